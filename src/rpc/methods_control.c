/* Control methods: help, uptime, logging, stop. */
#include "rpc_internal.h"

#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The first line of a method's help: its name and arguments in bitcoind's
 * notation. */
static void usage_line(const struct rpc_method *m, char *out, size_t cap)
{
    char *help = rpc_help_text(m);
    size_t len = help ? strcspn(help, "\n") : 0;
    snprintf(out, cap, "%.*s", (int)len, help ? help : m->name);
    free(help);
}

static int by_category_then_name(const void *a, const void *b)
{
    const struct rpc_method *x = *(const struct rpc_method *const *)a, *y = *(const struct rpc_method *const *)b;
    int c = strcmp(x->category, y->category);
    return c ? c : strcmp(x->name, y->name);
}

static enum rpc_status m_help(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *name;
    if (!rpc_get_str(c, params, 0, false, &name)) return RPC_DONE;
    if (name) {
        const struct rpc_method *m = NULL;
        for (size_t i = 0; i < s->n_methods && !m; i++)
            if (strcmp(s->methods[i].name, name) == 0) m = &s->methods[i];
        char *help = m ? rpc_help_text(m) : NULL;
        if (help)
            rpc_call_result(c, json_string(help));
        else if (m)
            rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        else
            rpc_call_result(c, json_sprintf("help: unknown command: %s", name));
        free(help);
        return RPC_DONE;
    }
    /* bitcoind's list: categories in order, methods by name within each,
     * hidden ones left out */
    const struct rpc_method **sorted = calloc(s->n_methods ? s->n_methods : 1, sizeof *sorted);
    if (!sorted) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    for (size_t i = 0; i < s->n_methods; i++) sorted[i] = &s->methods[i];
    qsort(sorted, s->n_methods, sizeof *sorted, by_category_then_name);
    char text[16384];
    size_t len = 0;
    const char *category = NULL;
    for (size_t i = 0; i < s->n_methods && len < sizeof text; i++) {
        const struct rpc_method *m = sorted[i];
        if (strcmp(m->category, RPC_CATEGORY_HIDDEN) == 0) continue;
        char usage[256];
        usage_line(m, usage, sizeof usage);
        if (!category || strcmp(category, m->category) != 0) {
            category = m->category;
            len += (size_t)snprintf(text + len, sizeof text - len, "%s== %s ==\n", len ? "\n" : "",
                                    category);
        }
        if (len < sizeof text) len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", usage);
    }
    free(sorted);
    if (len >= sizeof text) len = sizeof text - 1;
    while (len && text[len - 1] == '\n') text[--len] = '\0';
    rpc_call_result(c, json_string(text));
    return RPC_DONE;
}

/* The calls in progress: this one (which bitcoind lists too) and each
 * getblock waiting for a peer. */
static enum rpc_status m_getrpcinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    json_t *active = json_array();
    json_array_append_new(active, json_pack("{s:s,s:i}", "method", "getrpcinfo", "duration", 0));
    rpc_chain_active_calls(s, active);
    rpc_call_result(c, json_pack("{s:o,s:s}", "active_commands", active, "logpath", s->cfg.log_path));
    return RPC_DONE;
}

static enum rpc_status m_uptime(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    rpc_call_result(c, json_integer((json_int_t)((int64_t)time(NULL) - s->started)));
    return RPC_DONE;
}

static json_t *category_map(void)
{
    json_t *o = json_object();
    for (int cat = 0; cat < LOG_CAT_COUNT; cat++)
        json_object_set_new(o, log_cat_str((enum log_cat)cat),
                            json_boolean(log_enabled(LOG_DEBUG, (enum log_cat)cat)));
    return o;
}

/* Categories from a JSON array: a bit mask ("all" and "1" mean every one).
 * False with the error set on an unknown name. */
static bool parse_cats(struct rpc_call *c, json_t *arr, uint32_t *mask)
{
    *mask = 0;
    if (!arr) return true;
    if (!json_is_array(arr)) {
        rpc_call_error(c, RPC_TYPE_ERROR, "Expected an array of categories");
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *name = json_string_value(v);
        enum log_cat cat;
        if (name && (strcmp(name, "all") == 0 || strcmp(name, "1") == 0)) {
            *mask = (1u << LOG_CAT_COUNT) - 1;
        } else if (name && log_cat_parse(name, &cat)) {
            *mask |= 1u << (unsigned)cat;
        } else {
            rpc_call_error(c, RPC_INVALID_PARAMETER, "unknown logging category %s", name ? name : "?");
            return false;
        }
    }
    return true;
}

/* logging ( ["include",...] ["exclude",...] ): debug logging per category,
 * at run time. Turning a category on raises the level to debug if it was
 * lower; turning the last one off brings it back to info. */
static enum rpc_status m_logging(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)ctx;
    uint32_t include, exclude;
    if (!parse_cats(c, rpc_param(params, 0), &include) || !parse_cats(c, rpc_param(params, 1), &exclude))
        return RPC_DONE;
    if (include || exclude) {
        uint32_t all = (1u << LOG_CAT_COUNT) - 1, cats = log_get_debug_cats();
        enum log_level level = log_get_level();
        uint32_t now = level < LOG_DEBUG ? 0 : cats == 0 ? all : cats;
        now = (now | include) & ~exclude;
        if (now == 0) {
            if (level > LOG_INFO) log_set_level(LOG_INFO);
            log_set_debug_cats(0);
        } else {
            if (level < LOG_DEBUG) log_set_level(LOG_DEBUG);
            log_set_debug_cats(now == all ? 0 : now);
        }
        log_info(LOG_CAT_RPC, "logging categories changed by RPC");
    }
    rpc_call_result(c, category_map());
    return RPC_DONE;
}

static enum rpc_status m_stop(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    log_info(LOG_CAT_RPC, "stop requested over RPC");
    s->stop_requested = true;
    rpc_server_arm_stop(s); /* even if this reply waits for a batch's getblock */
    rpc_call_result(c, json_string("btcpeerd stopping"));
    return RPC_DONE;
}

static const char *const args_help[] = {"command", NULL};
static const char *const args_logging[] = {"include", "exclude", NULL};

const struct rpc_method rpc_methods_control[] = {
    {"getrpcinfo", "Control", m_getrpcinfo, NULL, "Returns details of the RPC server."},
    {"help", "Control", m_help, args_help, "List all commands, or get help for a specified command."},
    {"logging", "Control", m_logging, args_logging,
     "Turn debug logging of categories on (include) or off (exclude); returns the categories "
     "with debug logging on."},
    {"stop", "Control", m_stop, NULL, "Request a graceful shutdown of btcpeerd."},
    {"uptime", "Control", m_uptime, NULL, "Returns the total uptime of the server in seconds."},
};
const size_t rpc_methods_control_count = sizeof rpc_methods_control / sizeof rpc_methods_control[0];
