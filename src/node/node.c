/* Node core: the queue drain, and what READY and DISCONNECTED mean for the
 * node (discouragement, the address manager). The state kept on disk: statefiles.c. */
#include "node.h"

#include "node_internal.h"
#include "cfsync.h"
#include "eviction.h"
#include "hdrdeadline.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *node_err_str(enum node_err err)
{
    switch (err) {
    case NODE_OK: return "ok";
    case NODE_ERR_NOMEM: return "out-of-memory";
    case NODE_ERR_BAD_ADDRESS: return "bad-address";
    case NODE_ERR_STORE: return "cannot-save-state";
    case NODE_ERR_NOT_FOUND: return "not-found";
    case NODE_ERR_EXISTS: return "already-exists";
    case NODE_ERR_FULL: return "full";
    case NODE_ERR_SHUTTING_DOWN: return "shutting-down";
    case NODE_ERR_NO_PROXY: return "no-proxy";
    }
    return "unknown";
}

void node_config_default(struct node_config *cfg, const struct netparams *net)
{
    memset(cfg, 0, sizeof *cfg);
    peer_config_default(&cfg->peer, net);
    cfg->max_connections = 125;
    cfg->max_outbound = 8;
    cfg->max_block_relay = 2;
    cfg->max_inbound_per_group = 16;
    cfg->reconnect_min_ms = 1000;
    cfg->reconnect_max_ms = 5 * 60 * 1000;
    cfg->dnsseed = true;
    cfg->bantime_s = 86400;
    cfg->allow_unroutable = net->id == NET_REGTEST;
    cfg->open_interval_ms = 500;
    cfg->feeler_interval_ms = 2 * 60 * 1000;
    cfg->stale_tip_ms = (uint32_t)(3 * net->pow_target_spacing * 1000);
    cfg->stale_check_ms = 10 * 60 * 1000;
    cfg->extra_peer_check_ms = 45 * 1000;
    cfg->min_connect_ms = 30 * 1000;
    cfg->extra_block_relay_ms = 5 * 60 * 1000;
    cfg->redial_backoff_ms = REDIAL_BACKOFF_MS_DEFAULT;
    cfg->fixed_seed_delay_ms = 60 * 1000;
    cfg->waiting_log_ms = 10 * 1000;
    cfg->dns_interval_ms = 60 * 60 * 1000;
    cfg->save_interval_ms = 15 * 60 * 1000;
    cfg->sync_stall_ms = 2 * 60 * 1000;
    cfg->sync_log_interval_ms = 5000;
    cfg->headers_timeout_base_ms = HDRDEADLINE_BASE_MS_DEFAULT;
    cfg->headers_timeout_per_header_ms = HDRDEADLINE_PER_HEADER_MS_DEFAULT;
    cfg->block_timeout_ms = 60 * 1000;
    memcpy(cfg->min_chain_work, net->min_chain_work, 32);
    cfg->filter_timeout_ms = 30 * 1000;
    cfg->filter_peer_interval_ms = 5 * 60 * 1000;
    cfg->broadcast_retry_ms = 1000;
    cfg->broadcast_round_ms = 5 * 60 * 1000;
    /* Core serves a mempool transaction to anyone once it is 2 minutes old */
    cfg->broadcast_getdata_ms = 130 * 1000;
    cfg->broadcast_expiry_ms = 24u * 60 * 60 * 1000;
}

int64_t node_now(void)
{
    return clock_unix_s();
}

/* ---- per-peer node state ---- */

struct node_peer *node_peer_get(const struct node *n, uint64_t id)
{
    return idmap_get(&n->node_peers, id);
}

struct node_peer *node_peer_add(struct node *n, uint64_t id, enum node_conn_kind kind,
                                const struct wire_netaddr *addr)
{
    struct node_peer *np = calloc(1, sizeof *np);
    if (!np) return NULL;
    np->id = id;
    np->kind = kind;
    if (addr) {
        np->addr = *addr;
        np->group_len = netaddr_group(addr, n->cfg->local_groups, n->asmap, np->group);
    }
    /* Core's token bucket starts with one address. */
    np->addr_tokens = 1.0;
    np->synced_headers = -1;
    np->tokens_at_ms = clock_mono_ms();
    np->connected_ms = np->tokens_at_ms;
    if (!idmap_put(&n->node_peers, id, np)) {
        free(np);
        return NULL;
    }
    return np;
}

static void node_peer_remove(struct node *n, uint64_t id)
{
    free(idmap_del(&n->node_peers, id));
}

uint64_t node_addr_hash(const struct wire_netaddr *a)
{
    uint8_t k[35];
    size_t n = netaddr_key(a, k);
    uint64_t h = 1469598103934665603ull; /* FNV-1a: a private set, not adversarial placement */
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return h ? h : 1;
}

bool node_is_whitelisted(const struct node *n, const struct wire_netaddr *a)
{
    for (size_t i = 0; i < n->cfg->n_whitelist; i++)
        if (netaddr_subnet_match(&n->cfg->whitelist[i], a)) return true;
    return false;
}

/* ---- events from peers ---- */

/* Core v27+: every non-inbound peer's offset is a sample, and each sample
 * that leaves the median beyond 10 min logs the warning again (Core's
 * WarnIfOutOfSync); the median changes nothing else. */
static void node_clock_sample(struct node *n, uint64_t id, int64_t offset)
{
    time_offsets_add(&n->time_offsets, offset);
    LOG_AT(LOG_DEBUG, LOG_CAT_NODE, (int64_t)id, "clock sample offset=%lld median=%lld samples=%zu",
           (long long)offset, (long long)time_offsets_median(&n->time_offsets), n->time_offsets.n);
    if (!time_offsets_out_of_sync(&n->time_offsets)) return;
    n->clock_warnings++;
    LOG_AT(LOG_WARN, LOG_CAT_NODE, (int64_t)id,
           "clock out of sync: the median offset of outbound peers is %lld s (more than %d s); "
           "check this computer's date and time",
           (long long)time_offsets_median(&n->time_offsets), TIME_OFFSETS_WARN_S);
}

/* Core's line, which names the connection's type: info for ours, debug
 * for inbound ones (they come at will). */
static void log_connected(const struct node_peer *np, const struct peer_ready_info *info)
{
    enum log_level level = np->kind == CONN_INBOUND ? LOG_DEBUG : LOG_INFO;
    if (!log_enabled(level, LOG_CAT_NODE)) return;
    LOG_AT(level, LOG_CAT_NODE, (int64_t)np->id, "New %s %s peer connected: version: %d, blocks=%d",
           node_conn_type((size_t)np->kind), info->transport ? info->transport : "v1",
           info->version, info->start_height);
}

static void node_on_ready(struct node *n, uint64_t id, const struct peer_ready_info *info)
{
    struct node_peer *np = node_peer_get(n, id);
    if (!np) np = node_peer_add(n, id, info->manual ? CONN_MANUAL : CONN_INBOUND, &info->netaddr);
    if (!np) return;
    np->ready = true;
    np->services = info->services;
    if (np->kind != CONN_INBOUND) node_clock_sample(n, id, info->time_offset);
    if (np->kind == CONN_MANUAL) node_manual_ready(n, id);
    if (np->kind == CONN_OUTBOUND || np->kind == CONN_FEELER || np->kind == CONN_BLOCK_RELAY)
        node_outbound_ready(n, np, info);
    /* still connected (not dropped for its services, not a feeler)? */
    bool kept = node_peer_get(n, id) && np->kind != CONN_FEELER &&
                peer_get_stats(n->peers, id, NULL, NULL) == PEER_OK;
    if (kept) log_connected(np, info);
    if (np->kind == CONN_ADDR_FETCH) {
        node_addr_fetch_ready(n, np);
        return;
    }
    if (kept) {
        node_sync_peer_ready(n, np, info->start_height);
        node_cf_peer_ready(n, np);
        node_blocks_tick(n);
    }
}

static void node_on_disconnected(struct node *n, uint64_t id, const struct peer_disconnected_info *info)
{
    struct node_peer *np = node_peer_get(n, id);
    enum node_conn_kind kind = np ? np->kind : CONN_INBOUND;
    node_misbehaving_gone(n, id, kind, info);
    if (kind == CONN_MANUAL) node_manual_disconnected(n, id, info->v2_no_answer);
    if (np && kind == CONN_PRIVATE_BROADCAST) node_broadcast_peer_gone(n, np, info);
    if (np && (kind == CONN_OUTBOUND || kind == CONN_FEELER || kind == CONN_BLOCK_RELAY))
        node_outbound_gone(n, np, info);
    node_peer_remove(n, id);
    node_sync_peer_gone(n, id);
    node_cf_peer_gone(n, id);
    node_blocks_peer_gone(n, id);
}

static void node_on_event(struct peer_event *ev, void *arg)
{
    struct node *n = arg;
    LOG_AT(LOG_TRACE, LOG_CAT_NODE, (int64_t)ev->peer_id, "event %s",
           peer_event_type_str(ev->type));
    switch (ev->type) {
    case PEER_EV_READY: node_on_ready(n, ev->peer_id, &ev->u.ready); break;
    case PEER_EV_DISCONNECTED: node_on_disconnected(n, ev->peer_id, &ev->u.disconnected); break;
    case PEER_EV_GETHEADERS: node_getheaders_received(n, ev->peer_id, &ev->u.msg.u.locator); break;
    case PEER_EV_HEADERS: node_headers_received(n, ev->peer_id, &ev->u.msg.u.headers); break;
    case PEER_EV_NEW_BLOCK: node_block_announced(n, ev->peer_id, &ev->u.msg.u.inv); break;
    case PEER_EV_BLOCK: node_block_received(n, ev->peer_id, &ev->u.msg.u.block); break;
    case PEER_EV_NOT_FOUND: node_notfound_received(n, ev->peer_id, &ev->u.msg.u.inv); break;
    case PEER_EV_ADDR: node_addr_received(n, ev->peer_id, &ev->u.msg.u.addr); break;
    case PEER_EV_GETADDR: node_getaddr_received(n, ev->peer_id); break;
    case PEER_EV_CF_ANSWER: node_cf_answer(n, ev->peer_id, &ev->u.msg); break;
    case PEER_EV_TX: node_broadcast_tx_received(n, ev->peer_id, &ev->u.msg.u.tx); break;
    case PEER_EV_TX_SEEN: node_broadcast_announced(n, ev->peer_id, &ev->u.msg.u.inv); break;
    }
    peer_event_free(ev);
}

/* ---- life cycle ---- */

struct node *node_new(struct event_base *base, struct evdns_base *dns,
                      const struct node_config *cfg, const struct node_hooks *hooks)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->base = base;
    n->dns = dns;
    n->cfg = cfg;
    if (hooks) n->hooks = *hooks;
    idmap_init(&n->node_peers);
    idmap_init(&n->v1_only);
    time_offsets_init(&n->time_offsets);
    broadcast_set_init(&n->broadcasts);
    n->queue = node_queue_new(base, 64, node_on_event, n);
    if (n->queue) n->peers = peer_table_new(base, dns, &cfg->peer, n->queue);
    n->addrman = addrman_new(NULL, cfg->allow_unroutable || cfg->local_groups);
    n->banman = banman_new();
    n->discouraged = discourage_new(NULL);
    n->redial = redial_new(cfg->redial_backoff_ms);
    n->chain = chain_new(cfg->peer.net);
    n->state = node_state_new(n);
    if (!n->queue || !n->peers || !n->addrman || !n->banman || !n->discouraged || !n->redial ||
        !n->state || !n->chain) {
        node_free(n);
        return NULL;
    }
    return n;
}

void node_set_asmap(struct node *n, struct asmap *map)
{
    asmap_free(n->asmap);
    n->asmap = map;
    addrman_set_asmap(n->addrman, map);
}

/* Which grouping is in use, as Core says it (by the map's checksum). */
static void log_bucketing(const struct node *n)
{
    char hex[ASMAP_CHECKSUM_HEX_LEN + 1];
    if (!n->asmap) {
        log_info(LOG_CAT_ADDRMAN, "using /16 prefix for IP bucketing");
        return;
    }
    asmap_checksum_hex(n->asmap, hex);
    log_info(LOG_CAT_ADDRMAN, "using asmap %s for IP bucketing", hex);
}

enum node_err node_start(struct node *n)
{
    log_bucketing(n);
    if (node_state_open(n) != NODE_OK) return NODE_ERR_STORE;
    peer_table_set_best_height(n->peers, chain_height(n->chain));
    for (size_t i = 0; i < n->cfg->n_fetch_blocks; i++) node_fetch_block(n, n->cfg->fetch_blocks[i]);
    enum node_err err = node_manual_start(n);
    if (err == NODE_OK) err = node_outbound_start(n);
    if (err == NODE_OK) err = node_staletip_start(n);
    if (err == NODE_OK) err = node_sync_start(n);
    if (err == NODE_OK) err = node_cf_start(n);
    if (err == NODE_OK) err = node_broadcast_start(n);
    return err;
}

void node_shutdown(struct node *n)
{
    if (n->shutting_down) return;
    n->shutting_down = true;
    node_manual_stop(n);
    node_outbound_stop(n);
    node_staletip_stop(n);
    node_sync_stop(n);
    node_broadcast_stop(n);
    node_anchors_save(n);
    peer_table_disconnect_all(n->peers, PEER_REASON_SHUTDOWN);
    node_cf_flush(n);
    node_state_shutdown(n);
}

void node_free(struct node *n)
{
    if (!n) return;
    node_manual_stop(n);
    node_outbound_stop(n);
    node_staletip_stop(n);
    node_sync_stop(n);
    node_broadcast_stop(n);
    node_blocks_free(n);
    peer_table_free(n->peers);
    node_state_free(n->state); /* before the headers and tables its last jobs report on */
    node_cf_free(n);
    headerstore_close(n->headers);
    chain_free(n->chain);
    node_queue_free(n->queue);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) free(value);
    idmap_free(&n->node_peers);
    idmap_free(&n->v1_only);
    addrman_free(n->addrman);
    asmap_free(n->asmap); /* after the table that borrows it */
    banman_free(n->banman);
    discourage_free(n->discouraged);
    redial_free(n->redial);
    broadcast_set_free(&n->broadcasts);
    free(n);
}

/* An inbound peer to disconnect for a newcomer, or 0. */
static uint64_t pick_eviction(struct node *n)
{
    size_t cap = idmap_len(&n->node_peers), count = 0, pos = 0;
    struct evict_candidate *c = calloc(cap ? cap : 1, sizeof *c);
    if (!c) return 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->kind != CONN_INBOUND || !np->ready) continue;
        struct evict_candidate *e = &c[count++];
        struct peer_stats st;
        e->id = np->id;
        e->connected_ms = np->connected_ms;
        e->ping_us = peer_get_stats(n->peers, np->id, &st, NULL) == PEER_OK ? st.ping_rtt_us : 0;
        memcpy(e->group, np->group, sizeof e->group);
        e->group_len = np->group_len;
        e->group_key = addrman_group_key(n->addrman, np->group, np->group_len);
        /* --test-local-groups makes loopback stand in for the Internet */
        e->local = netaddr_is_loopback(&np->addr) && !n->cfg->local_groups;
        e->prefer_evict = node_is_discouraged(n, &np->addr) && !node_is_whitelisted(n, &np->addr);
    }
    uint64_t victim = 0;
    if (!evict_select(c, count, &victim)) victim = 0;
    free(c);
    return victim;
}

static size_t inbound_in_group(const struct node *n, const uint8_t *g, size_t gl)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        count += np->kind == CONN_INBOUND && np->group_len == gl && memcmp(np->group, g, gl) == 0;
    }
    return count;
}

unsigned node_inbound_limit(const struct node *n)
{
    /* block-relay-only slots exist only beside full-relay ones (outbound.c) */
    unsigned block_relay = n->cfg->max_outbound ? n->cfg->max_block_relay : 0;
    unsigned reserved = n->cfg->max_outbound + block_relay + (unsigned)n->n_manual;
    return n->cfg->max_connections > reserved ? n->cfg->max_connections - reserved : 0;
}

/* Why the node will not take an inbound connection from a whoever else is
 * connected (a pure query): "shutdown", "banned", "discouraged" (fewer than
 * two inbound slots free), "inbound-group-full"; NULL if it may. Room is
 * make_inbound_room's question. */
static const char *inbound_refusal(const struct node *n, const struct wire_netaddr *a)
{
    if (n->shutting_down) return "shutdown";
    bool whitelisted = node_is_whitelisted(n, a);
    if (!whitelisted && banman_is_banned(n->banman, a, node_now())) return "banned";
    if (!whitelisted && node_is_discouraged(n, a) &&
        !discourage_inbound_admit(peer_table_count_dir(n->peers, true), node_inbound_limit(n)))
        return "discouraged";
    uint8_t g[NETADDR_GROUP_MAX];
    size_t gl = netaddr_group(a, n->cfg->local_groups, n->asmap, g);
    bool local = netaddr_is_loopback(a) && !n->cfg->local_groups;
    if (!whitelisted && !local && n->cfg->max_inbound_per_group &&
        inbound_in_group(n, g, gl) >= n->cfg->max_inbound_per_group)
        return "inbound-group-full";
    return NULL;
}

/* A slot for one more inbound peer: true if one is free, or once a peer
 * has been evicted to free it; false when full with no one to evict. */
static bool make_inbound_room(struct node *n)
{
    unsigned limit = node_inbound_limit(n);
    if (peer_table_count_dir(n->peers, true) < limit) return true;
    uint64_t victim = limit ? pick_eviction(n) : 0;
    if (!victim) return false;
    peer_disconnect_id(n->peers, victim, PEER_REASON_EVICTED);
    return true;
}

void node_accept(struct node *n, int fd, const struct sockaddr *sa, int salen)
{
    struct wire_netaddr a;
    const char *refusal = netaddr_from_sockaddr(sa, &a) ? inbound_refusal(n, &a) : "bad-address";
    if (!refusal && !make_inbound_room(n)) refusal = "inbound-full";
    if (refusal) {
        char addr[NETADDR_STR_MAX];
        netaddr_str(&a, addr);
        struct log_field f[] = {LOG_STR("addr", addr), LOG_STR("direction", "inbound"),
                                LOG_STR("state", "none"), LOG_STR("reason", refusal)};
        log_event(LOG_INFO, LOG_CAT_NET, -1, "refused inbound connection", f, 4);
        evutil_closesocket(fd);
        return;
    }
    uint64_t id;
    enum peer_err err = peer_accept(n->peers, fd, sa, salen, &id);
    if (err != PEER_OK) {
        log_warn(LOG_CAT_NET, "cannot accept: %s", peer_err_str(err));
        return;
    }
    node_peer_add(n, id, CONN_INBOUND, &a);
    node_mark_noban(n, id, &a);
}
