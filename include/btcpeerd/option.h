/* The option-table engine. A program describes each of its options once,
 * as a row: name, type, range, where the value goes in its options struct,
 * default, help, whether the config file may set it. The generic code here
 * parses a value by the row's type, fills defaults and says a row's
 * default for --help; btcpeerd (src/config/) and btcpeerd-cli
 * (tools/cli_args.c) each keep only their syntax (getopt_long, or
 * bitcoin-cli's -name=value) and a few validators of their own. */
#ifndef BTCPEERD_OPTION_H
#define BTCPEERD_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum option_type {
    OPTION_FLAG,   /* no value: turns a bool on, or stores .on in a number */
    OPTION_BOOL,   /* "0" or "1" into an integer */
    OPTION_UINT,   /* decimal digits, in [min, max] */
    OPTION_MS,     /* seconds, fractions allowed ("0.2"), stored as uint32_t
                      milliseconds in [min, max] */
    OPTION_ENUM,   /* one of the names .names gives, stored as its index */
    OPTION_TEXT,   /* a string into a char array (.store may check it) */
    OPTION_LIST,   /* repeatable: each value appended to an array, at most
                      its length; a size_t counts them */
    OPTION_CUSTOM, /* .set does everything */
};

/* The C type of a row's field, found by _Generic, so the engine writes
 * numbers through the field's own type. An enum counts as the integer
 * type it is compatible with. */
enum option_kind {
    OPTION_KIND_BYTES = 0, /* arrays: text, list elements */
    OPTION_KIND_BOOL,
    OPTION_KIND_INT,
    OPTION_KIND_UINT,
    OPTION_KIND_LONG,
    OPTION_KIND_ULONG,
    OPTION_KIND_LLONG,
    OPTION_KIND_ULLONG,
    OPTION_KIND_DOUBLE,
};

#define OPTION_KIND_OF(x)                                                                      \
    _Generic((x), bool: OPTION_KIND_BOOL, int: OPTION_KIND_INT, unsigned: OPTION_KIND_UINT,    \
             long: OPTION_KIND_LONG, unsigned long: OPTION_KIND_ULONG,                         \
             long long: OPTION_KIND_LLONG, unsigned long long: OPTION_KIND_ULLONG,             \
             double: OPTION_KIND_DOUBLE, default: OPTION_KIND_BYTES)

/* Designated initialisers for where a row's value goes in struct T. */
#define OPTION_FIELD(T, f)                                                                     \
    .offset = offsetof(T, f), .size = sizeof ((T *)0)->f, .kind = OPTION_KIND_OF(((T *)0)->f)
#define OPTION_LIST_FIELD(T, array, count)                                                     \
    .offset = offsetof(T, array), .size = sizeof ((T *)0)->array[0],                           \
    .max_count = sizeof ((T *)0)->array / sizeof ((T *)0)->array[0],                           \
    .count_offset = offsetof(T, count), .kind = OPTION_KIND_OF(((T *)0)->count)

/* Check one value and store it in dst (size bytes); false if it is bad. */
typedef bool (*option_store_fn)(const char *value, void *dst, size_t size);
/* A custom row: parse value into the options struct at base. */
typedef bool (*option_set_fn)(void *base, const char *value);
/* An enum row's name for value i; NULL past the last. */
typedef const char *(*option_name_fn)(unsigned i);

struct option_row {
    const char *name;         /* the flag without dashes; its config-file key */
    enum option_type type;
    const char *arg;          /* what --help shows after '='; NULL: "0|1" for
                                 BOOL, the names for ENUM */
    const char *default_text; /* NULL: said from .def (BOOL, UINT, MS, ENUM),
                                 "off" for a FLAG */
    const char *help;
    bool file_ok;             /* may be set in the config file */
    bool action;              /* --help, --version: sets nothing, no default */
    bool empty_ok;            /* TEXT: "" is a value (else a bad one) */
    const char *file_key;     /* its key in the file when not .name */
    /* Where the value goes (OPTION_FIELD / OPTION_LIST_FIELD). */
    size_t offset, size;      /* LIST: the size of one element */
    enum option_kind kind;    /* LIST: of the count */
    size_t count_offset, max_count;
    int64_t min, max;         /* UINT: the value; MS: milliseconds */
    int64_t def;              /* the default of a number; -1 on a signed
                                 field: "not set", the program decides */
    int64_t on;               /* FLAG on a number: the value it selects */
    /* A default that follows another option: when the option named
     * .dep_on is given and this one is not, the default is .dep_def. */
    const char *dep_on;
    int64_t dep_def;
    option_name_fn names;     /* ENUM */
    option_store_fn store;    /* TEXT, LIST: NULL = copy the text */
    option_set_fn set;        /* CUSTOM */
};

enum option_err {
    OPTION_OK = 0,
    OPTION_ERR_SYNTAX,   /* not a number, not 0|1, not one of the names */
    OPTION_ERR_RANGE,    /* a number outside [min, max] */
    OPTION_ERR_EMPTY,    /* "" where a value is needed */
    OPTION_ERR_TOO_LONG, /* text longer than its field */
    OPTION_ERR_INVALID,  /* the row's own check said no */
    OPTION_ERR_FULL,     /* a repeatable option given too often */
};
const char *option_err_str(enum option_err err);

/* Zero the struct (size bytes), then every row's default. */
void option_defaults(const struct option_row *rows, size_t n, void *base, size_t size);
/* One value for one row. A FLAG row takes "" or "1" (on) and "0" (off). */
enum option_err option_apply(const struct option_row *row, void *base, const char *value);
/* A FLAG row on or off (btcpeerd-cli's -name=0); off leaves a number as it is. */
void option_set_flag(const struct option_row *row, void *base, bool on);
/* The dependent defaults (.dep_on) once every source is read; given[i]
 * says whether rows[i] was set by any of them. */
void option_dependent_defaults(const struct option_row *rows, size_t n, void *base,
                               const bool *given);
/* The row called name (name_len bytes, not NUL-terminated); -1 if none. */
int option_find(const struct option_row *rows, size_t n, const char *name, size_t name_len);

/* A number field read and written through its own type. */
int64_t option_get_number(const struct option_row *row, const void *base);
void option_set_number(const struct option_row *row, void *base, int64_t v);

/* What --help shows: the value's placeholder ("N", "0|1",
 * "main|testnet3|...") and the default ("120", "1, or 0 with --connect").
 * Each returns the row's own text or writes one into buf; NULL if the row
 * has none (a FLAG's placeholder, an action's default). */
const char *option_arg_text(const struct option_row *row, char *buf, size_t cap);
const char *option_default_text(const struct option_row *row, char *buf, size_t cap);

/* Copy text into a char array of size bytes; false if it does not fit. */
bool option_copy_text(const char *value, void *dst, size_t size);

/* A table's own consistency: unique names, help on every row, a default
 * text on every row but actions, each type on a field of a matching kind,
 * ranges and defaults that fit their fields. False with msg naming the
 * first bad row. For unit tests. */
bool option_table_check(const struct option_row *rows, size_t n, char *msg, size_t msg_len);

#endif
