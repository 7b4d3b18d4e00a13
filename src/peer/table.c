/* The peer table: every peer by id, and the one way out. peer_disconnect
 * logs why, tells the node (DISCONNECTED), takes the peer out of the table
 * and hands it to the reaper, which frees it on a later loop turn, never
 * inside one of its own callbacks; a peer that still owes output (a last
 * answer) drains first (send.c). Also the names of states, errors and
 * reasons, and the default configuration. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/socks5.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *peer_state_str(enum peer_state state)
{
    switch (state) {
    case PEER_NONE: return "none";
    case PEER_SENT_VERSION: return "sent-version";
    case PEER_SENT_VERACK: return "sent-verack";
    case PEER_CONNECTED: return "connected";
    case PEER_DEAD: return "dead";
    case PEER_PROXY: return "proxy";
    }
    return "unknown";
}

const char *peer_err_str(enum peer_err err)
{
    switch (err) {
    case PEER_OK: return "ok";
    case PEER_ERR_UNKNOWN_ID: return "unknown-peer";
    case PEER_ERR_NOT_CONNECTED: return "not-connected";
    case PEER_ERR_BAD_REQUEST: return "bad-request";
    case PEER_ERR_NOMEM: return "out-of-memory";
    case PEER_ERR_SOCKET: return "socket-error";
    case PEER_ERR_BUSY: return "busy";
    case PEER_ERR_UNREACHABLE: return "unreachable";
    }
    return "unknown";
}

const char *peer_reason_str(enum peer_reason reason)
{
    switch (reason) {
    case PEER_REASON_EOF: return "eof";
    case PEER_REASON_IO_ERROR: return "io-error";
    case PEER_REASON_HANDSHAKE_TIMEOUT: return "handshake-timeout";
    case PEER_REASON_PING_TIMEOUT: return "ping-timeout";
    case PEER_REASON_RATE_LIMIT: return "rate-limit";
    case PEER_REASON_BAD_MAGIC: return "bad-magic";
    case PEER_REASON_OVERSIZE: return "oversize";
    case PEER_REASON_PROTOCOL_VIOLATION: return "protocol-violation";
    case PEER_REASON_MISBEHAVING: return "misbehaving";
    case PEER_REASON_SELF_CONNECTION: return "self-connection";
    case PEER_REASON_INBOUND_FULL: return "inbound-full";
    case PEER_REASON_SEND_BUFFER_FULL: return "send-buffer-full";
    case PEER_REASON_SHUTDOWN: return "shutdown";
    case PEER_REASON_REQUESTED: return "requested";
    case PEER_REASON_CONNECT_FAILED: return "connect-failed";
    case PEER_REASON_CONNECT_TIMEOUT: return "connect-timeout";
    case PEER_REASON_MISSING_SERVICES: return "missing-services";
    case PEER_REASON_FEELER_DONE: return "feeler-done";
    case PEER_REASON_EVICTED: return "evicted";
    case PEER_REASON_SYNC_STALLED: return "sync-stalled";
    case PEER_REASON_V2_HANDSHAKE: return "v2-handshake";
    case PEER_REASON_V2_DECRYPT: return "v2-decrypt";
    case PEER_REASON_RECV_BUFFER_FULL: return "recv-buffer-full";
    case PEER_REASON_PROXY_ERROR: return "proxy-error";
    case PEER_REASON_ADDR_FETCH_DONE: return "addr-fetch-done";
    case PEER_REASON_PRESYNC_FAILED: return "presync-failed";
    case PEER_REASON_DISCOURAGED: return "discouraged";
    case PEER_REASON_BAD_FILTERS: return "bad-filters";
    case PEER_REASON_BROADCAST_DONE: return "private-broadcast-done";
    case PEER_REASON_BROADCAST_TIMEOUT: return "private-broadcast-timeout";
    case PEER_REASON_STALE_TIP: return "stale-tip-evicted";
    case PEER_REASON_EXTRA_BLOCK_RELAY: return "extra-block-relay-evicted";
    case PEER_REASON_BLOCK_RELAY_TX: return "block-relay-tx";
    case PEER_REASON_HEADERS_SYNC_TIMEOUT: return "headers-sync-timeout";
    case PEER_REASON_COUNT: break;
    }
    return "unknown";
}

void peer_config_default(struct peer_config *cfg, const struct netparams *net)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->net = net;
    cfg->handshake_timeout_ms = 10000;
    cfg->ping_interval_ms = 60000;
    cfg->ping_timeout_ms = 30000;
    cfg->connect_timeout_ms = 5000;
    cfg->drain_timeout_ms = 2000;
    cfg->max_msg_rate = 10;
    cfg->send_soft_limit = 5u * 1000 * 1000;
    cfg->send_hard_limit = 16u * 1000 * 1000;
    cfg->send_global_limit = PEER_SEND_GLOBAL_LIMIT;
    cfg->services = NODE_WITNESS | NODE_P2P_V2;
    cfg->v2_enabled = true;
    cfg->private_broadcast_timeout_ms = 60000;
    snprintf(cfg->user_agent, sizeof cfg->user_agent, "/btcpeerd:%s/", BTCPEERD_VERSION_STRING);
}

struct peer *peer_lookup(const struct peer_table *t, uint64_t id)
{
    return idmap_get(&t->peers, id);
}

/* ---- freeing: the reaper ---- */

/* bufferevent_free does not flush: when no loop turn is left to drain in
 * (the table is being freed), what is still owed gets one non-blocking
 * write before the socket closes. */
static void write_once(struct peer *p)
{
    struct evbuffer *out = bufferevent_get_output(p->bev);
    evutil_socket_t fd = bufferevent_getfd(p->bev);
    if (fd >= 0 && evbuffer_get_length(out)) {
        evbuffer_unfreeze(out, 1); /* the bufferevent froze its front for itself */
        evbuffer_write(out, fd);
    }
}

static void peer_free(struct peer *p)
{
    if (p->bev) {
        if (p->table->closing) write_once(p);
        peer_output_detach(p);
        bufferevent_free(p->bev); /* closes the socket */
    }
    if (p->timer) event_free(p->timer);
    peer_pb_free(p->pb);
    peer_transport_free(p);
    free(p);
}

/* Dead peers are freed here, a loop turn after their death. One that still
 * owes output (a verack, a last answer) drains first, as libevent's
 * le-proxy does: send.c frees it through peer_drained once its output is
 * empty, the socket fails, or the drain times out. */
static void reap_dead(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer_table *t = arg;
    while (t->dead) {
        struct peer *p = t->dead;
        t->dead = p->next_dead;
        if (!t->closing && !p->drained && peer_drain_begin(p)) continue;
        peer_free(p);
    }
}

void peer_drained(struct peer *p)
{
    struct peer_table *t = p->table;
    idmap_del(&t->draining, p->id);
    p->drained = true;
    p->next_dead = t->dead;
    t->dead = p;
    event_active(t->reaper, EV_TIMEOUT, 0);
}

/* ---- the table ---- */

struct peer_table *peer_table_new(struct event_base *base, struct evdns_base *dns,
                                  const struct peer_config *cfg, struct node_queue *queue)
{
    struct peer_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base = base;
    t->dns = dns;
    t->cfg = cfg;
    t->queue = queue;
    t->next_id = 1;
    idmap_init(&t->peers);
    idmap_init(&t->local_nonces);
    idmap_init(&t->draining);
    idmap_init(&t->watched_tx);
    buf_writer_init(&t->payload);
    peer_metrics_init(&t->metrics);
    t->reaper = event_new(base, -1, 0, reap_dead, t);
    if (!t->reaper) {
        free(t);
        return NULL;
    }
    node_queue_set_pop_hook(queue, peer_queue_popped, t);
    return t;
}

void peer_table_disconnect_all(struct peer_table *t, enum peer_reason reason)
{
    /* Collect first: disconnecting edits the map. */
    size_t n = idmap_len(&t->peers), i = 0, pos = 0;
    struct peer **all = n ? calloc(n, sizeof *all) : NULL;
    void *value;
    if (n && !all) return;
    while (i < n && idmap_next(&t->peers, &pos, NULL, &value)) all[i++] = value;
    for (size_t k = 0; k < i; k++) peer_disconnect(all[k], reason);
    free(all);
}

void peer_table_free(struct peer_table *t)
{
    if (!t) return;
    t->closing = true;
    peer_table_disconnect_all(t, PEER_REASON_SHUTDOWN);
    reap_dead(-1, 0, t);
    /* Drains still under way end here. */
    size_t pos = 0;
    void *value;
    while (idmap_next(&t->draining, &pos, NULL, &value)) peer_free(value);
    node_queue_set_pop_hook(t->queue, NULL, NULL);
    event_free(t->reaper);
    idmap_free(&t->peers);
    idmap_free(&t->local_nonces);
    idmap_free(&t->draining);
    peer_txwatch_free(t);
    buf_writer_free(&t->payload);
    free(t);
}

size_t peer_table_count_dir(const struct peer_table *t, bool inbound)
{
    return inbound ? t->n_inbound : idmap_len(&t->peers) - t->n_inbound;
}

void peer_table_set_best_height(struct peer_table *t, int32_t height)
{
    t->best_height = height;
}

/* ---- disconnect: the one way out ---- */

static void log_disconnect(const struct peer *p, enum peer_state state)
{
    if (!log_enabled(LOG_INFO, LOG_CAT_PEER)) return; /* as log_handshake */
    uint64_t now = clock_mono_us();
    double secs = p->connected_us ? (double)(now - p->connected_us) / 1e6 : 0.0;
    char secs_str[32];
    snprintf(secs_str, sizeof secs_str, "%.3f", secs);
    struct log_field f[] = {
        LOG_STR("addr", p->addr_str),
        LOG_STR("direction", p->inbound ? "inbound" : "outbound"),
        LOG_STR("state", peer_state_str(state)),
        LOG_STR("reason", peer_reason_str(p->reason)),
        LOG_STR("connected_s", secs_str),
        LOG_UINT("msgs_in", p->stats.msgs_in),
        LOG_UINT("msgs_out", p->stats.msgs_out),
        LOG_UINT("bytes_in", p->stats.bytes_in),
        LOG_UINT("bytes_out", p->stats.bytes_out),
        /* through a proxy: which, and how its negotiation failed */
        LOG_STR("proxy", p->proxy ? p->proxy->str : ""),
        LOG_STR("proxy_error", p->proxy_err ? socks5_err_str(p->proxy_err) : ""),
    };
    size_t nf = sizeof f / sizeof f[0];
    if (!p->proxy_err) nf--;
    if (!p->proxy) nf--;
    log_event(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "disconnected", f, nf);
}

void peer_disconnect(struct peer *p, enum peer_reason reason)
{
    if (p->state == PEER_DEAD) return;
    enum peer_state was = p->state;
    p->state = PEER_DEAD;
    p->reason = reason;
    log_disconnect(p, was);
    peer_metrics_disconnect(p, reason);

    struct peer_table *t = p->table;
    t->recv_total -= p->flow.recv_held;
    p->flow.recv_held = 0;
    if (p->local_nonce && idmap_get(&t->local_nonces, p->local_nonce))
        idmap_del(&t->local_nonces, p->local_nonce);
    idmap_del(&t->peers, p->id);
    if (p->inbound) t->n_inbound--;
    if (p->conn) {
        net_connect_cancel(p->conn); /* no word from it any more */
        p->conn = NULL;
    }
    if (p->bev) bufferevent_disable(p->bev, EV_READ | EV_WRITE);
    if (p->timer) event_del(p->timer);
    if (p->pb && p->pb->deadline) event_del(p->pb->deadline);

    struct peer_event *ev = peer_event_new(PEER_EV_DISCONNECTED, p->id);
    if (ev) {
        ev->u.disconnected.reason = peer_reason_str(reason);
        peer_netaddr(p, &ev->u.disconnected.netaddr);
        ev->u.disconnected.inbound = p->inbound;
        ev->u.disconnected.was_connected = was == PEER_CONNECTED;
        ev->u.disconnected.v2_no_answer = peer_transport_v1_retry_worth(p, reason);
        ev->u.disconnected.broadcast_taken = p->pb && p->pb->taken;
        node_queue_push(t->queue, ev);
    }
    p->next_dead = t->dead;
    t->dead = p;
    event_active(t->reaper, EV_TIMEOUT, 0);
}

/* Core's MaybeDiscourageAndDisconnect, peer side: noban and manual peers
 * are forgiven (Core logs "not punishing"), the rest disconnected at once;
 * whether the address is discouraged is the node's part (local addresses
 * are not). */
void peer_misbehaved(struct peer *p, const char *offence)
{
    if (p->state == PEER_DEAD) return;
    const char *forgiven = p->noban ? "noban" : p->manual ? "manual" : NULL;
    struct log_field f[] = {LOG_STR("addr", p->addr_str), LOG_STR("offence", offence),
                            LOG_STR("state", peer_state_str(p->state)),
                            LOG_STR("not_punished", forgiven ? forgiven : "")};
    /* A forgiven peer may offend on every message: one warning, then debug. */
    enum log_level level = !forgiven ? LOG_INFO : p->forgiven_once ? LOG_DEBUG : LOG_WARN;
    if (forgiven) p->forgiven_once = true;
    log_event(level, LOG_CAT_PEER, (int64_t)p->id, "misbehaving", f, forgiven ? 4 : 3);
    if (!forgiven) peer_disconnect(p, PEER_REASON_MISBEHAVING);
}

/* ---- node-facing ---- */

enum peer_err peer_disconnect_id(struct peer_table *t, uint64_t id, enum peer_reason reason)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    peer_disconnect(p, reason);
    return PEER_OK;
}

enum peer_err peer_misbehaving(struct peer_table *t, uint64_t id, const char *offence)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    peer_misbehaved(p, offence);
    return PEER_OK;
}

enum peer_err peer_set_block_relay(struct peer_table *t, uint64_t id)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    if (p->inbound || p->state != PEER_NONE) return PEER_ERR_BAD_REQUEST;
    p->block_relay = true;
    return PEER_OK;
}

enum peer_err peer_set_noban(struct peer_table *t, uint64_t id)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    p->noban = true;
    return PEER_OK;
}
