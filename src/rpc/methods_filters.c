/* Compact block filter methods, in bitcoind's shapes (--blockfilters):
 * getblockfilter, scanblocks, getindexinfo. Filters are fetched from
 * filter peers on demand and checked against the filter header chain by
 * the node (node/view_filters.h) before they are answered; a getblockfilter
 * waits at most --rpc-getblock-timeout. scanblocks "start" answers when
 * the scan ends (one scan at a time, as bitcoind), "status" and "abort"
 * at once. Scan objects are descriptors: addr(ADDRESS) and raw(HEX), with
 * an optional checksum; an object {"desc": ...} as bitcoind takes it; a
 * "range" is refused (btcpeerd derives no keys). */
#include "rpc_internal.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/descriptor.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include "node/view.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

struct filter_wait {
    struct rpc_server *srv;
    struct rpc_call *call;
    struct event *timer;
    struct filter_wait *next;
};

static json_t *hash_json(const uint8_t hash[32])
{
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    return json_string(hex);
}

static bool filters_on(struct rpc_call *c, struct rpc_server *s)
{
    struct node_filter_view v;
    node_filter_info(s->node, &v);
    if (!v.enabled) rpc_call_error(c, RPC_MISC_ERROR, "Index is not enabled for filtertype basic (start with --blockfilters=1)");
    return v.enabled;
}

static bool filter_type_ok(struct rpc_call *c, json_t *params, size_t i)
{
    const char *type;
    if (!rpc_get_str(c, params, i, false, &type)) return false;
    if (type && strcmp(type, "basic") != 0) {
        rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Unknown filtertype");
        return false;
    }
    return true;
}

/* ---- getblockfilter ---- */

static void wait_free(struct filter_wait *w)
{
    for (struct filter_wait **pp = &w->srv->filter_waits; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    node_get_filter_cancel(w->srv->node, w);
    if (w->timer) event_free(w->timer);
    free(w);
}

static void answer_filter(struct rpc_call *c, const uint8_t *filter, size_t len, const uint8_t header[32])
{
    char *hex = malloc(len * 2 + 1);
    if (!hex) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return;
    }
    hex_encode(filter, len, hex);
    json_t *o = json_object();
    json_object_set_new(o, "filter", json_string(hex));
    json_object_set_new(o, "header", hash_json(header));
    free(hex);
    rpc_call_result(c, o);
}

static void on_filter(void *ctx, const uint8_t *filter, size_t len, const uint8_t header[32], const char *why)
{
    struct filter_wait *w = ctx;
    struct rpc_call *c = w->call;
    if (filter) answer_filter(c, filter, len, header);
    else rpc_call_error(c, RPC_MISC_ERROR, "Filter not available (%s)", why ? why : "unknown");
    wait_free(w);
    rpc_call_finish(c);
}

static void on_filter_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct filter_wait *w = arg;
    struct rpc_call *c = w->call;
    rpc_call_error(c, RPC_MISC_ERROR, "Filter not available (not fetched from any filter peer in time)");
    wait_free(w);
    rpc_call_finish(c);
}

static enum rpc_status m_getblockfilter(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    uint8_t hash[32];
    if (!rpc_get_hash(c, params, 0, true, "blockhash", hash, NULL)) return RPC_DONE;
    if (!filter_type_ok(c, params, 1) || !filters_on(c, s)) return RPC_DONE;
    if (s->closing) {
        rpc_call_error(c, RPC_MISC_ERROR, "Shutting down");
        return RPC_DONE;
    }
    struct filter_wait *w = calloc(1, sizeof *w);
    if (w) w->timer = evtimer_new(s->base, on_filter_timeout, w);
    if (!w || !w->timer) {
        free(w);
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    w->srv = s;
    w->call = c;
    w->next = s->filter_waits;
    s->filter_waits = w;
    enum node_err err = node_get_filter(s->node, hash, on_filter, w);
    if (err == NODE_ERR_NOT_FOUND) rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    else if (err == NODE_ERR_FULL) rpc_call_error(c, RPC_MISC_ERROR, "Filter headers not synced to that block yet");
    else if (err != NODE_OK) rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
    if (err != NODE_OK) {
        wait_free(w);
        return RPC_DONE;
    }
    uint32_t ms = s->cfg.getblock_timeout_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(w->timer, &tv);
    return RPC_PENDING; /* node_get_filter never answers before we return */
}

/* ---- scanblocks ---- */

static void on_scan_done(void *ctx, int32_t from, int32_t to, const uint8_t (*hashes)[32], size_t n,
                         bool completed)
{
    struct rpc_server *s = ctx;
    struct rpc_call *c = s->scan_call;
    s->scan_call = NULL;
    if (!c) return;
    json_t *o = json_object();
    json_object_set_new(o, "from_height", json_integer(from));
    json_object_set_new(o, "to_height", json_integer(to));
    json_t *blocks = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(blocks, hash_json(hashes[i]));
    json_object_set_new(o, "relevant_blocks", blocks);
    json_object_set_new(o, "completed", json_boolean(completed));
    rpc_call_result(c, o);
    rpc_call_finish(c);
}

/* The scripts of the scan objects, concatenated in *data; false with the
 * call's error set. */
static bool scan_scripts(struct rpc_call *c, struct rpc_server *s, json_t *objs,
                         struct node_scan_script **out, size_t *count, uint8_t **data)
{
    *out = NULL;
    *data = NULL;
    *count = 0;
    if (!json_is_array(objs)) {
        rpc_call_error(c, RPC_MISC_ERROR, "scanobjects argument is required for the start action");
        return false;
    }
    size_t n = json_array_size(objs);
    if (n > NODE_SCAN_MAX_SCRIPTS) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "too many scan objects (at most %u)", NODE_SCAN_MAX_SCRIPTS);
        return false;
    }
    struct node_scan_script *sc = calloc(n ? n : 1, sizeof *sc);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    uint8_t *buf = malloc((n ? n : 1) * DESCRIPTOR_MAX_SCRIPT);
    bool ok = sc && lens && buf;
    if (!ok) rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
    for (size_t i = 0; ok && i < n; i++) {
        json_t *o = json_array_get(objs, i);
        const char *desc = json_is_string(o) ? json_string_value(o) : NULL;
        if (json_is_object(o)) {
            desc = json_string_value(json_object_get(o, "desc"));
            if (json_object_get(o, "range")) {
                rpc_call_error(c, RPC_INVALID_PARAMETER, "Ranged descriptors are not supported (btcpeerd derives no keys)");
                ok = false;
                break;
            }
        }
        if (!desc) {
            rpc_call_error(c, RPC_INVALID_PARAMETER, "Scan object needs to be either a string or an object");
            ok = false;
            break;
        }
        enum address_err aerr = 0;
        enum descriptor_err derr = descriptor_parse(desc, s->cfg.net->id, buf + i * DESCRIPTOR_MAX_SCRIPT,
                                                    DESCRIPTOR_MAX_SCRIPT, &lens[i], &aerr);
        if (derr != DESCRIPTOR_OK) {
            if (derr == DESCRIPTOR_ERR_BAD_ADDRESS)
                rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Invalid descriptor '%s': %s (%s)", desc,
                               descriptor_err_str(derr), address_err_str(aerr));
            else if (derr == DESCRIPTOR_ERR_UNSUPPORTED)
                rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY,
                               "Unsupported descriptor '%s': only addr(ADDRESS) and raw(HEX) (btcpeerd derives no keys)", desc);
            else
                rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Invalid descriptor '%s': %s", desc,
                               descriptor_err_str(derr));
            ok = false;
        }
        sc[i].data = buf + i * DESCRIPTOR_MAX_SCRIPT;
        sc[i].len = lens[i];
    }
    free(lens);
    if (!ok) {
        free(sc);
        free(buf);
        return false;
    }
    *out = sc;
    *count = n;
    *data = buf;
    return true;
}

static enum rpc_status scan_start(struct rpc_call *c, json_t *params, struct rpc_server *s)
{
    if (s->scan_call) {
        rpc_call_error(c, RPC_MISC_ERROR, "Scan already in progress, use action \"abort\" or \"status\"");
        return RPC_DONE;
    }
    const struct chain *ch = node_chain_view(s->node);
    int64_t from, to;
    if (!rpc_get_int(c, params, 2, 0, &from) || !rpc_get_int(c, params, 3, chain_height(ch), &to))
        return RPC_DONE;
    if (!filter_type_ok(c, params, 4)) return RPC_DONE;
    json_t *opts = rpc_param(params, 5);
    if (opts && json_is_true(json_object_get(opts, "filter_false_positives"))) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "filter_false_positives needs the blocks (btcpeerd keeps none)");
        return RPC_DONE;
    }
    if (from < 0 || from > chain_height(ch)) {
        rpc_call_error(c, RPC_MISC_ERROR, "Invalid start_height");
        return RPC_DONE;
    }
    if (to < from || to > chain_height(ch)) {
        rpc_call_error(c, RPC_MISC_ERROR, "Invalid stop_height");
        return RPC_DONE;
    }
    struct node_scan_script *sc;
    size_t count;
    uint8_t *data;
    if (!scan_scripts(c, s, rpc_param(params, 1), &sc, &count, &data)) return RPC_DONE;
    enum node_err err = node_scan_start(s->node, (int32_t)from, (int32_t)to, sc, count, on_scan_done, s);
    free(sc);
    free(data);
    if (err == NODE_ERR_FULL) {
        struct node_filter_view v;
        node_filter_info(s->node, &v);
        rpc_call_error(c, RPC_MISC_ERROR, "Filter headers not synced to stop_height yet (at %d)", v.synced_height);
    } else if (err == NODE_ERR_EXISTS) {
        rpc_call_error(c, RPC_MISC_ERROR, "Scan already in progress, use action \"abort\" or \"status\"");
    } else if (err != NODE_OK) {
        rpc_call_error(c, RPC_MISC_ERROR, "Cannot start the scan (%s)", node_err_str(err));
    }
    if (err != NODE_OK) return RPC_DONE;
    s->scan_call = c;
    return RPC_PENDING;
}

static enum rpc_status m_scanblocks(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *action;
    if (!rpc_get_str(c, params, 0, true, &action)) return RPC_DONE;
    if (strcmp(action, "status") == 0) {
        struct node_scan_view v;
        node_scan_status(s->node, &v);
        if (!v.running) {
            rpc_call_result(c, json_null());
            return RPC_DONE;
        }
        json_t *o = json_object();
        json_object_set_new(o, "progress", json_integer((json_int_t)v.progress));
        json_object_set_new(o, "current_height", json_integer(v.current));
        rpc_call_result(c, o);
        return RPC_DONE;
    }
    if (strcmp(action, "abort") == 0) {
        rpc_call_result(c, json_boolean(node_scan_abort(s->node)));
        return RPC_DONE;
    }
    if (strcmp(action, "start") != 0) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Invalid action '%s'", action);
        return RPC_DONE;
    }
    if (!filters_on(c, s)) return RPC_DONE;
    return scan_start(c, params, s);
}

/* ---- getindexinfo ---- */

static enum rpc_status m_getindexinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *name;
    if (!rpc_get_str(c, params, 0, false, &name)) return RPC_DONE;
    json_t *o = json_object();
    struct node_filter_view v;
    node_filter_info(s->node, &v);
    if (v.enabled && (!name || strcmp(name, "basic block filter index") == 0)) {
        json_t *i = json_object();
        json_object_set_new(i, "synced", json_boolean(v.synced_height == v.header_height));
        json_object_set_new(i, "best_block_height", json_integer(v.synced_height));
        json_object_set_new(i, "filter_peers", json_integer((json_int_t)v.filter_peers));
        json_object_set_new(i, "cached_filters", json_integer((json_int_t)v.cache_filters));
        json_object_set_new(i, "cached_bytes", json_integer((json_int_t)v.cache_bytes));
        json_object_set_new(o, "basic block filter index", i);
    }
    rpc_call_result(c, o);
    return RPC_DONE;
}

/* ---- life cycle ---- */

void rpc_filters_close(struct rpc_server *s)
{
    while (s->filter_waits) {
        struct filter_wait *w = s->filter_waits;
        struct rpc_call *c = w->call;
        rpc_call_error(c, RPC_MISC_ERROR, "Shutting down");
        wait_free(w);
        rpc_call_finish(c);
    }
    if (s->scan_call) node_scan_abort(s->node); /* answers it, not completed */
    s->scan_call = NULL;
}

static const char *const args_getblockfilter[] = {"blockhash", "filtertype", NULL};
static const char *const args_scanblocks[] = {"action", "scanobjects", "start_height", "stop_height",
                                              "filtertype", "options", NULL};
static const char *const args_getindexinfo[] = {"index_name", NULL};

const struct rpc_method rpc_methods_filters[] = {
    {"getblockfilter", "Blockchain", m_getblockfilter, args_getblockfilter,
     "Returns {filter, header}: the block's BIP158 basic filter, fetched from a filter peer and "
     "checked against the filter header chain (--blockfilters=1)."},
    {"getindexinfo", "Util", m_getindexinfo, args_getindexinfo,
     "Returns the state of the filter header chain as \"basic block filter index\" (--blockfilters=1)."},
    {"scanblocks", "Blockchain", m_scanblocks, args_scanblocks,
     "start: the blocks whose filters match addr()/raw() descriptors, between the heights; status; "
     "abort (--blockfilters=1)."},
};
const size_t rpc_methods_filters_count = sizeof rpc_methods_filters / sizeof rpc_methods_filters[0];
