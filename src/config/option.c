/* The option-table engine: values parsed by a row's type and stored
 * through its field's own C type; defaults; the placeholder and default
 * text --help shows; a consistency check of a whole table. No program
 * knowledge lives here: the tables are src/config/config_table.c and
 * tools/cli_args.c. */
#include <btcpeerd/option.h>

#include <btcpeerd/report.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *option_err_str(enum option_err err)
{
    switch (err) {
    case OPTION_OK: return "ok";
    case OPTION_ERR_SYNTAX: return "not a value of this type";
    case OPTION_ERR_RANGE: return "out of range";
    case OPTION_ERR_EMPTY: return "empty";
    case OPTION_ERR_TOO_LONG: return "too long";
    case OPTION_ERR_INVALID: return "invalid";
    case OPTION_ERR_FULL: return "given too often";
    }
    return "unknown";
}

static unsigned char *field(const struct option_row *row, void *base)
{
    return (unsigned char *)base + row->offset;
}

int64_t option_get_number(const struct option_row *row, const void *base)
{
    const unsigned char *p = (const unsigned char *)base + row->offset;
    switch (row->kind) {
    case OPTION_KIND_BOOL: { bool v; memcpy(&v, p, sizeof v); return v; }
    case OPTION_KIND_INT: { int v; memcpy(&v, p, sizeof v); return v; }
    case OPTION_KIND_UINT: { unsigned v; memcpy(&v, p, sizeof v); return v; }
    case OPTION_KIND_LONG: { long v; memcpy(&v, p, sizeof v); return v; }
    case OPTION_KIND_ULONG: { unsigned long v; memcpy(&v, p, sizeof v); return (int64_t)v; }
    case OPTION_KIND_LLONG: { long long v; memcpy(&v, p, sizeof v); return v; }
    case OPTION_KIND_ULLONG: { unsigned long long v; memcpy(&v, p, sizeof v); return (int64_t)v; }
    case OPTION_KIND_DOUBLE: { double v; memcpy(&v, p, sizeof v); return (int64_t)v; }
    case OPTION_KIND_BYTES: break;
    }
    return 0;
}

/* Callers keep v within the field's range: the table check proves the
 * ranges and defaults fit, and parsing enforces the range. */
void option_set_number(const struct option_row *row, void *base, int64_t v)
{
    unsigned char *p = field(row, base);
    switch (row->kind) {
    case OPTION_KIND_BOOL: { bool x = v != 0; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_INT: { int x = (int)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_UINT: { unsigned x = (unsigned)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_LONG: { long x = (long)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_ULONG: { unsigned long x = (unsigned long)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_LLONG: { long long x = (long long)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_ULLONG: { unsigned long long x = (unsigned long long)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_DOUBLE: { double x = (double)v; memcpy(p, &x, sizeof x); return; }
    case OPTION_KIND_BYTES: return;
    }
}

void option_defaults(const struct option_row *rows, size_t n, void *base, size_t size)
{
    memset(base, 0, size);
    for (size_t i = 0; i < n; i++) {
        /* A flag's default is off: false, or whatever the other rows
         * sharing its field (btcpeerd-cli's -chain) say. Text and lists
         * start empty. */
        if (rows[i].type == OPTION_FLAG || rows[i].type == OPTION_LIST ||
            rows[i].kind == OPTION_KIND_BYTES)
            continue;
        option_set_number(&rows[i], base, rows[i].def);
    }
}

void option_set_flag(const struct option_row *row, void *base, bool on)
{
    if (row->kind == OPTION_KIND_BOOL)
        option_set_number(row, base, on);
    else if (on)
        option_set_number(row, base, row->on);
}

/* Decimal digits only: no sign, no spaces, no hex. */
static bool parse_decimal(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool option_copy_text(const char *value, void *dst, size_t size)
{
    size_t len = strlen(value);
    if (len >= size) return false;
    memcpy(dst, value, len + 1);
    return true;
}

static enum option_err store_one(const struct option_row *row, const char *value, void *dst)
{
    if (!value[0] && !row->empty_ok) return OPTION_ERR_EMPTY;
    if (row->store) return row->store(value, dst, row->size) ? OPTION_OK : OPTION_ERR_INVALID;
    return option_copy_text(value, dst, row->size) ? OPTION_OK : OPTION_ERR_TOO_LONG;
}

static enum option_err apply_ms(const struct option_row *row, void *base, const char *value)
{
    if ((*value < '0' || *value > '9') && *value != '.') return OPTION_ERR_SYNTAX;
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || *end) return OPTION_ERR_SYNTAX;
    /* Compared in seconds, as written: min 1 ms is exactly 0.001. */
    if (!(v >= (double)row->min / 1000.0) || v > (double)row->max / 1000.0) return OPTION_ERR_RANGE;
    option_set_number(row, base, (int64_t)(v * 1000.0 + 0.5));
    return OPTION_OK;
}

static enum option_err apply_list(const struct option_row *row, void *base, const char *value)
{
    size_t count;
    memcpy(&count, (unsigned char *)base + row->count_offset, sizeof count);
    if (count >= row->max_count) return OPTION_ERR_FULL;
    enum option_err err = store_one(row, value, field(row, base) + count * row->size);
    if (err != OPTION_OK) return err;
    count++;
    memcpy((unsigned char *)base + row->count_offset, &count, sizeof count);
    return OPTION_OK;
}

enum option_err option_apply(const struct option_row *row, void *base, const char *value)
{
    switch (row->type) {
    case OPTION_FLAG:
        /* "" from a bare --flag; the file may say flag=1 or flag=0 */
        if (value[0] && strcmp(value, "1") != 0 && strcmp(value, "0") != 0) return OPTION_ERR_SYNTAX;
        option_set_flag(row, base, value[0] != '0');
        return OPTION_OK;
    case OPTION_BOOL:
        if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0) return OPTION_ERR_SYNTAX;
        option_set_number(row, base, value[0] == '1');
        return OPTION_OK;
    case OPTION_UINT: {
        uint64_t v;
        if (!parse_decimal(value, &v)) return OPTION_ERR_SYNTAX;
        if (v < (uint64_t)row->min || v > (uint64_t)row->max) return OPTION_ERR_RANGE;
        option_set_number(row, base, (int64_t)v);
        return OPTION_OK;
    }
    case OPTION_MS: return apply_ms(row, base, value);
    case OPTION_ENUM:
        for (unsigned i = 0; row->names(i); i++) {
            if (strcmp(row->names(i), value) == 0) {
                option_set_number(row, base, i);
                return OPTION_OK;
            }
        }
        return OPTION_ERR_SYNTAX;
    case OPTION_TEXT: return store_one(row, value, field(row, base));
    case OPTION_LIST: return apply_list(row, base, value);
    case OPTION_CUSTOM: return row->set(base, value) ? OPTION_OK : OPTION_ERR_INVALID;
    }
    return OPTION_ERR_INVALID;
}

int option_find(const struct option_row *rows, size_t n, const char *name, size_t name_len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(rows[i].name) == name_len && memcmp(rows[i].name, name, name_len) == 0)
            return (int)i;
    return -1;
}

void option_dependent_defaults(const struct option_row *rows, size_t n, void *base,
                               const bool *given)
{
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].dep_on || given[i]) continue;
        int other = option_find(rows, n, rows[i].dep_on, strlen(rows[i].dep_on));
        if (other >= 0 && given[other]) option_set_number(&rows[i], base, rows[i].dep_def);
    }
}

const char *option_arg_text(const struct option_row *row, char *buf, size_t cap)
{
    if (row->arg) return row->arg;
    if (row->type == OPTION_BOOL) return "0|1";
    if (row->type != OPTION_ENUM || !cap) return NULL;
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; row->names(i); i++) {
        int k = snprintf(buf + len, cap - len, "%s%s", i ? "|" : "", row->names(i));
        if (k < 0 || (size_t)k >= cap - len) return NULL;
        len += (size_t)k;
    }
    return buf;
}

/* A number as its option is written: milliseconds as seconds. */
static bool format_value(const struct option_row *row, int64_t v, char *buf, size_t cap)
{
    int k;
    if (row->type == OPTION_ENUM) {
        const char *name = v >= 0 && v <= UINT_MAX ? row->names((unsigned)v) : NULL;
        if (!name) return false;
        k = snprintf(buf, cap, "%s", name);
    } else if (row->type == OPTION_MS && v % 1000 != 0) {
        k = snprintf(buf, cap, "%" PRId64 ".%03" PRId64, v / 1000, v % 1000);
        while (k > 0 && buf[k - 1] == '0') buf[--k] = '\0';
    } else if (row->type == OPTION_MS) {
        k = snprintf(buf, cap, "%" PRId64, v / 1000);
    } else {
        k = snprintf(buf, cap, "%" PRId64, v);
    }
    return k >= 0 && (size_t)k < cap;
}

const char *option_default_text(const struct option_row *row, char *buf, size_t cap)
{
    if (row->action) return NULL;
    if (row->default_text) return row->default_text;
    if (row->type == OPTION_FLAG) return "off";
    if (row->type != OPTION_BOOL && row->type != OPTION_UINT && row->type != OPTION_MS &&
        row->type != OPTION_ENUM)
        return NULL;
    if (!format_value(row, row->def, buf, cap)) return NULL;
    if (row->dep_on) {
        char dep[64];
        size_t len = strlen(buf);
        if (!format_value(row, row->dep_def, dep, sizeof dep)) return NULL;
        int k = snprintf(buf + len, cap - len, ", or %s with --%s", dep, row->dep_on);
        if (k < 0 || (size_t)k >= cap - len) return NULL;
    }
    return buf;
}

/* The largest value a number field holds (as int64_t). */
static int64_t kind_max(enum option_kind kind)
{
    switch (kind) {
    case OPTION_KIND_BOOL: return 1;
    case OPTION_KIND_INT: return INT_MAX;
    case OPTION_KIND_UINT: return UINT_MAX;
    case OPTION_KIND_LONG: return LONG_MAX;
    case OPTION_KIND_ULONG:
    case OPTION_KIND_LLONG:
    case OPTION_KIND_ULLONG: return INT64_MAX;
    case OPTION_KIND_DOUBLE: return INT64_MAX;
    case OPTION_KIND_BYTES: break;
    }
    return 0;
}

static bool kind_is_integer(enum option_kind kind)
{
    return kind != OPTION_KIND_BYTES && kind != OPTION_KIND_DOUBLE && kind != OPTION_KIND_BOOL;
}

static bool kind_is_signed(enum option_kind kind)
{
    return kind == OPTION_KIND_INT || kind == OPTION_KIND_LONG || kind == OPTION_KIND_LLONG ||
           kind == OPTION_KIND_DOUBLE;
}

/* A default inside the range, or -1 ("not set") on a signed field. */
static bool default_fits(const struct option_row *row)
{
    return (row->def >= row->min && row->def <= row->max) ||
           (row->def == -1 && kind_is_signed(row->kind));
}

/* NULL if the row is sound, else what is wrong with it. */
static const char *row_problem(const struct option_row *rows, size_t n, size_t i)
{
    const struct option_row *r = &rows[i];
    char buf[256];
    if (!r->help || !r->help[0]) return "no help text";
    if (!r->action && !option_default_text(r, buf, sizeof buf)) return "no default text";
    if (r->action && r->type != OPTION_FLAG) return "an action that takes a value";
    if (r->type != OPTION_FLAG && !option_arg_text(r, buf, sizeof buf)) return "no placeholder";
    if (r->dep_on && option_find(rows, n, r->dep_on, strlen(r->dep_on)) < 0)
        return "depends on an option that does not exist";
    switch (r->type) {
    case OPTION_FLAG:
        if (r->kind != OPTION_KIND_BOOL && !kind_is_integer(r->kind)) return "flag on a non-number";
        if (r->on < 0 ? !kind_is_signed(r->kind) : r->on > kind_max(r->kind))
            return "flag value does not fit";
        return NULL;
    case OPTION_BOOL:
        if (!kind_is_integer(r->kind) && r->kind != OPTION_KIND_BOOL) return "0|1 on a non-number";
        if ((r->def != 0 && r->def != 1) || (r->dep_on && r->dep_def != 0 && r->dep_def != 1))
            return "0|1 default not 0 or 1";
        return NULL;
    case OPTION_UINT:
    case OPTION_MS:
        if (!kind_is_integer(r->kind)) return "number on a non-integer field";
        if (r->type == OPTION_MS && (r->kind != OPTION_KIND_UINT || r->size != sizeof(uint32_t)))
            return "milliseconds not in a uint32_t";
        if (r->min < 0 || r->min > r->max || r->max > kind_max(r->kind))
            return "range does not fit the field";
        if (!default_fits(r)) return "default outside the range";
        if (r->dep_on && (r->dep_def < r->min || r->dep_def > r->max))
            return "dependent default outside the range";
        return NULL;
    case OPTION_ENUM:
        if (!kind_is_integer(r->kind) || !r->names) return "enum without names or number field";
        if (r->def < 0 || r->def > UINT_MAX || !r->names((unsigned)r->def))
            return "enum default is not a name";
        return NULL;
    case OPTION_TEXT:
        if (r->kind != OPTION_KIND_BYTES || r->size < 2) return "text on a non-array field";
        return NULL;
    case OPTION_LIST:
        if (r->kind != OPTION_KIND_OF((size_t)0) || !r->max_count || !r->size)
            return "list without a size_t count or room";
        return NULL;
    case OPTION_CUSTOM:
        if (!r->set) return "custom row without a setter";
        if (r->kind != OPTION_KIND_BYTES &&
            (r->def < 0 ? !kind_is_signed(r->kind) : r->def > kind_max(r->kind)))
            return "default does not fit";
        return NULL;
    }
    return "unknown type";
}

bool option_table_check(const struct option_row *rows, size_t n, char *msg, size_t msg_len)
{
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].name || !rows[i].name[0]) {
            report(msg, msg_len, "row %zu: no name", i);
            return false;
        }
        if (option_find(rows, i, rows[i].name, strlen(rows[i].name)) >= 0) {
            report(msg, msg_len, "%s: listed twice", rows[i].name);
            return false;
        }
        const char *problem = row_problem(rows, n, i);
        if (problem) {
            report(msg, msg_len, "%s: %s", rows[i].name, problem);
            return false;
        }
    }
    return true;
}
