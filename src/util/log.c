/* The logger: one destination per process, chosen by main. Each call
 * formats one whole line and writes it with a single fwrite so lines never
 * interleave. JSON lines are built with jansson, which owns the escaping. */
#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    enum log_level level;
    uint32_t debug_cats;
    enum log_format format;
    char *path; /* NULL: stderr */
    FILE *out;
} logger = {LOG_WARN, 0, LOG_FORMAT_TEXT, NULL, NULL};

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const cat_names[] = {"net", "peer", "node", "addrman", "chain", "rpc"};
_Static_assert(sizeof cat_names / sizeof cat_names[0] == LOG_CAT_COUNT, "category names");

const char *log_err_str(enum log_err err)
{
    switch (err) {
    case LOG_OK: return "ok";
    case LOG_ERR_OPEN: return "cannot open log file";
    case LOG_ERR_BAD_NAME: return "unknown level or category";
    }
    return "unknown";
}

const char *log_level_str(enum log_level level)
{
    return (unsigned)level <= LOG_TRACE ? level_names[level] : "?";
}

const char *log_cat_str(enum log_cat cat)
{
    return (unsigned)cat < LOG_CAT_COUNT ? cat_names[cat] : "?";
}

bool log_level_parse(const char *name, enum log_level *out)
{
    for (unsigned i = 0; i <= LOG_TRACE; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_cat_parse(const char *name, enum log_cat *out)
{
    for (unsigned i = 0; i < LOG_CAT_COUNT; i++) {
        if (strcmp(name, cat_names[i]) == 0) {
            *out = (enum log_cat)i;
            return true;
        }
    }
    return false;
}

static FILE *dest(void)
{
    return logger.out ? logger.out : stderr;
}

static enum log_err open_path(void)
{
    if (!logger.path) return LOG_OK;
    FILE *f = fopen(logger.path, "a");
    if (!f) return LOG_ERR_OPEN;
    if (logger.out) fclose(logger.out);
    logger.out = f;
    return LOG_OK;
}

enum log_err log_open(const struct log_config *cfg)
{
    log_close();
    logger.level = cfg->level;
    logger.debug_cats = cfg->debug_cats;
    logger.format = cfg->format;
    if (cfg->path && strcmp(cfg->path, "-") != 0) {
        logger.path = strdup(cfg->path);
        if (!logger.path) return LOG_ERR_OPEN;
    }
    return open_path();
}

enum log_err log_reopen(void)
{
    return open_path();
}

void log_close(void)
{
    if (logger.out) fclose(logger.out);
    logger.out = NULL;
    free(logger.path);
    logger.path = NULL;
}

void log_set_level(enum log_level level) { logger.level = level; }
void log_set_debug_cats(uint32_t cats) { logger.debug_cats = cats; }
enum log_level log_get_level(void) { return logger.level; }
uint32_t log_get_debug_cats(void) { return logger.debug_cats; }

/* info and above follow the level alone; debug and trace also need either
 * the category enabled with --debug or no category filter at all. */
bool log_enabled(enum log_level level, enum log_cat cat)
{
    if (level > logger.level) return false;
    if (level <= LOG_INFO || logger.debug_cats == 0) return true;
    return (logger.debug_cats >> (unsigned)cat) & 1u;
}

void log_format_time(int64_t unix_ms, char out[25])
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 25, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 25 - n, ".%03dZ", (int)(unix_ms % 1000));
}

void log_sanitize(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? (char)in[i] : '?';
    out[n] = '\0';
}

static void emit_line(const char *line)
{
    size_t n = strlen(line);
    char buf[4096];
    if (n + 1 < sizeof buf) {
        memcpy(buf, line, n);
        buf[n] = '\n';
        fwrite(buf, 1, n + 1, dest());
    } else {
        fprintf(dest(), "%s\n", line);
    }
    fflush(dest());
}

static json_t *field_json(const struct log_field *f)
{
    switch (f->type) {
    case LOG_FIELD_STR: return json_string(f->v.s ? f->v.s : "");
    case LOG_FIELD_INT: return json_integer(f->v.i);
    case LOG_FIELD_UINT: return json_integer(f->v.u > INT64_MAX ? INT64_MAX : (json_int_t)f->v.u);
    case LOG_FIELD_BOOL: return json_boolean(f->v.b);
    }
    return json_null();
}

static void write_json(const char *ts, enum log_level level, enum log_cat cat, int64_t peer,
                       const char *msg, const struct log_field *fields, size_t n_fields)
{
    json_t *obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", log_level_str(level), "cat",
                            log_cat_str(cat));
    if (!obj) return;
    if (peer >= 0) json_object_set_new(obj, "peer", json_integer(peer));
    json_object_set_new(obj, "msg", json_string(msg));
    for (size_t i = 0; i < n_fields; i++) json_object_set_new(obj, fields[i].key, field_json(&fields[i]));
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (!line) return;
    emit_line(line);
    free(line);
}

/* key=value; values with spaces or quotes are quoted so the line still
 * splits on spaces. */
static size_t append_field_text(char *out, size_t cap, const struct log_field *f)
{
    switch (f->type) {
    case LOG_FIELD_STR: {
        const char *s = f->v.s ? f->v.s : "";
        bool quote = *s == '\0' || strpbrk(s, " \"=") != NULL;
        return (size_t)snprintf(out, cap, quote ? " %s=\"%s\"" : " %s=%s", f->key, s);
    }
    case LOG_FIELD_INT: return (size_t)snprintf(out, cap, " %s=%lld", f->key, (long long)f->v.i);
    case LOG_FIELD_UINT:
        return (size_t)snprintf(out, cap, " %s=%llu", f->key, (unsigned long long)f->v.u);
    case LOG_FIELD_BOOL: return (size_t)snprintf(out, cap, " %s=%d", f->key, f->v.b ? 1 : 0);
    }
    return 0;
}

static void write_line(enum log_level level, enum log_cat cat, int64_t peer, char *msg,
                       const struct log_field *fields, size_t n_fields)
{
    /* A message is never allowed to break the one-line-per-event rule. */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    char ts[25];
    log_format_time(clock_unix_ms(), ts);
    if (logger.format == LOG_FORMAT_JSON) {
        write_json(ts, level, cat, peer, msg, fields, n_fields);
        return;
    }
    char line[4096], who[32] = "";
    if (peer >= 0) snprintf(who, sizeof who, "peer=%lld ", (long long)peer);
    size_t len = (size_t)snprintf(line, sizeof line, "%s %-5s %-7s %s%s", ts, log_level_str(level),
                                  log_cat_str(cat), who, msg);
    for (size_t i = 0; i < n_fields && len < sizeof line; i++)
        len += append_field_text(line + len, sizeof line - len, &fields[i]);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    emit_line(line);
}

void log_event(enum log_level level, enum log_cat cat, int64_t peer, const char *msg,
               const struct log_field *fields, size_t n_fields)
{
    if (!log_enabled(level, cat)) return;
    int saved_errno = errno;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", msg);
    write_line(level, cat, peer, copy, fields, n_fields);
    errno = saved_errno;
}

void log_write(enum log_level level, enum log_cat cat, int64_t peer, const char *fmt, ...)
{
    int saved_errno = errno;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    write_line(level, cat, peer, msg, NULL, 0);
    errno = saved_errno;
}
