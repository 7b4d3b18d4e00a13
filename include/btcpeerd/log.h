/* Logging: levels, categories, text or JSON lines, to stderr or a file.
 *
 * Text:  2026-11-24T22:02:26.123Z info  peer peer=7 connected addr=1.2.3.4:8333
 * JSON:  {"ts":"2026-11-24T22:02:26.123Z","level":"info","cat":"peer","peer":7,"msg":"..."}
 *
 * The logger is process state (one per daemon), set up once by main. Until
 * log_open is called, messages at warn and above go to stderr as text. */
#ifndef BTCPEERD_LOG_H
#define BTCPEERD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

enum log_cat {
    LOG_CAT_NET = 0,
    LOG_CAT_PEER,
    LOG_CAT_NODE,
    LOG_CAT_ADDRMAN,
    LOG_CAT_CHAIN,
    LOG_CAT_RPC,
    LOG_CAT_COUNT
};

enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

enum log_err { LOG_OK = 0, LOG_ERR_OPEN, LOG_ERR_BAD_NAME };
const char *log_err_str(enum log_err err);

const char *log_level_str(enum log_level level);
const char *log_cat_str(enum log_cat cat);
bool log_level_parse(const char *name, enum log_level *out);
bool log_cat_parse(const char *name, enum log_cat *out);

struct log_config {
    enum log_level level;         /* messages above this level are dropped */
    uint32_t debug_cats;          /* bit per category: debug/trace allowed */
    enum log_format format;
    const char *path;             /* NULL or "-" = stderr */
};

/* Open (or reopen, e.g. on SIGHUP) the destination. */
enum log_err log_open(const struct log_config *cfg);
enum log_err log_reopen(void);
void log_close(void);
/* Change the threshold and categories at run time. */
void log_set_level(enum log_level level);
void log_set_debug_cats(uint32_t cats);
bool log_enabled(enum log_level level, enum log_cat cat);
enum log_level log_get_level(void);
uint32_t log_get_debug_cats(void); /* 0 = no filter */

/* peer < 0 means "no peer". */
void log_write(enum log_level level, enum log_cat cat, int64_t peer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define LOG_AT(level, cat, peer, ...)                                                    \
    do {                                                                                 \
        if (log_enabled((level), (cat))) log_write((level), (cat), (peer), __VA_ARGS__); \
    } while (0)

#define log_error(cat, ...) LOG_AT(LOG_ERROR, cat, -1, __VA_ARGS__)
#define log_warn(cat, ...) LOG_AT(LOG_WARN, cat, -1, __VA_ARGS__)
#define log_info(cat, ...) LOG_AT(LOG_INFO, cat, -1, __VA_ARGS__)
#define log_debug(cat, ...) LOG_AT(LOG_DEBUG, cat, -1, __VA_ARGS__)
#define log_trace(cat, ...) LOG_AT(LOG_TRACE, cat, -1, __VA_ARGS__)

/* Structured events: a message plus typed fields. Text puts the fields
 * after the message as key=value; JSON makes each a key of the object (so a
 * log processor never parses the message). Text from the network must be
 * passed through log_sanitize first. */
enum log_field_type { LOG_FIELD_STR, LOG_FIELD_INT, LOG_FIELD_UINT, LOG_FIELD_BOOL };
struct log_field {
    const char *key;
    enum log_field_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        bool b;
    } v;
};
#define LOG_STR(k, val) ((struct log_field){.key = (k), .type = LOG_FIELD_STR, .v.s = (val)})
#define LOG_INT(k, val) ((struct log_field){.key = (k), .type = LOG_FIELD_INT, .v.i = (int64_t)(val)})
#define LOG_UINT(k, val) ((struct log_field){.key = (k), .type = LOG_FIELD_UINT, .v.u = (uint64_t)(val)})
#define LOG_BOOL(k, val) ((struct log_field){.key = (k), .type = LOG_FIELD_BOOL, .v.b = (val)})

void log_event(enum log_level level, enum log_cat cat, int64_t peer, const char *msg,
               const struct log_field *fields, size_t n_fields);

/* Format an ISO-8601 UTC timestamp with milliseconds: out needs 25 bytes. */
void log_format_time(int64_t unix_ms, char out[25]);

/* Copy at most n bytes of untrusted text, replacing anything unprintable
 * with '?', always NUL-terminated (out needs n+1 bytes). For user agents and
 * commands from the network before they reach a log line. */
void log_sanitize(const uint8_t *in, size_t n, char *out);

#endif
