/* Peer life cycle: the table that owns peers by id, connect and accept,
 * the bufferevent callbacks (bytes in → transport → wire → handshake or
 * handlers), sending with backpressure, and the one way out,
 * peer_disconnect, which logs, tells the node, and leaves the freeing to
 * the reaper so no peer is freed under its own callback. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/random.h>
#include <btcpeerd/socks5.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    cfg->max_msg_rate = 10;
    cfg->send_soft_limit = 5u * 1000 * 1000;
    cfg->send_hard_limit = 16u * 1000 * 1000;
    cfg->send_global_limit = PEER_SEND_GLOBAL_LIMIT;
    cfg->misbehavior_limit = 100;
    cfg->services = NODE_WITNESS | NODE_P2P_V2;
    cfg->v2_enabled = true;
    snprintf(cfg->user_agent, sizeof cfg->user_agent, "/btcpeerd:%s/", BTCPEERD_VERSION_STRING);
}

struct peer *peer_lookup(const struct peer_table *t, uint64_t id)
{
    return idmap_get(&t->peers, id);
}

/* ---- freeing ---- */

/* Every change to a peer's output buffer (our writes in, the socket's
 * takes out) moves the table's total of bytes owed to peers. */
static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    struct peer *p = arg;
    p->table->send_total += info->n_added;
    p->table->send_total -= info->n_deleted;
}

static void peer_free(struct peer *p)
{
    if (p->bev) {
        struct evbuffer *owed = bufferevent_get_output(p->bev);
        /* bufferevent_free does not flush: give what is queued (a verack,
         * the last answer) one non-blocking write before the socket closes. */
        struct evbuffer *out = bufferevent_get_output(p->bev);
        evutil_socket_t fd = bufferevent_getfd(p->bev);
        if (fd >= 0 && evbuffer_get_length(out)) {
            evbuffer_unfreeze(out, 1); /* the bufferevent froze its front for itself */
            evbuffer_write(out, fd);
        }
        evbuffer_remove_cb(owed, on_output_change, p);
        p->table->send_total -= evbuffer_get_length(owed);
        bufferevent_free(p->bev); /* closes the socket */
    }
    if (p->timer) event_free(p->timer);
    peer_transport_free(p);
    peer_proxy_free(p);
    free(p);
}

static void reap_dead(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer_table *t = arg;
    while (t->dead) {
        struct peer *p = t->dead;
        t->dead = p->next_dead;
        peer_free(p);
    }
}

/* ---- reading, and the caps that pause it ---- */

void peer_update_reading(struct peer *p)
{
    if (p->state == PEER_DEAD || !p->bev || p->connecting) return;
    if (p->reading_paused || p->queue_paused) {
        bufferevent_disable(p->bev, EV_READ);
        return;
    }
    bufferevent_enable(p->bev, EV_READ);
    /* Bytes read before the pause are still in the input buffer, and no
     * new bytes may come to call us: run the read callback for them on the
     * next loop turn. */
    if (evbuffer_get_length(bufferevent_get_input(p->bev)))
        bufferevent_trigger(p->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static bool node_queue_over(const struct node_queue *q)
{
    return node_queue_len(q) >= NODE_QUEUE_MAX_EVENTS || node_queue_bytes(q) >= NODE_QUEUE_MAX_BYTES;
}

/* The node took one of a peer's events: resume a paused peer once its
 * backlog is half gone and the queue as a whole is under its caps, or in
 * any case once it has nothing waiting (nothing else would wake it). */
static void on_queue_pop(uint64_t id, size_t cost, void *arg)
{
    struct peer_table *t = arg;
    struct peer *p = peer_lookup(t, id);
    if (!p) return;
    if (p->queued_events) p->queued_events--;
    p->queued_bytes = p->queued_bytes > cost ? p->queued_bytes - cost : 0;
    if (!p->queue_paused) return;
    bool caught_up = p->queued_events <= PEER_QUEUE_MAX_EVENTS / 2 &&
                     p->queued_bytes <= PEER_QUEUE_MAX_BYTES / 2 && !node_queue_over(t->queue);
    if (!caught_up && p->queued_events) return;
    p->queue_paused = false;
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "node queue caught up: reading resumed");
    peer_update_reading(p);
}

/* Partial-message bytes: the peer's, and everyone's. Past the global cap the
 * peer holding the most is dropped (the one that costs most, and the one a
 * slow sender of big messages becomes). */
static void peer_account_recv(struct peer *p)
{
    struct peer_table *t = p->table;
    if (p->state == PEER_DEAD) return;
    size_t held = p->transport ? transport_recv_buffered(p->transport) : 0;
    t->recv_total = t->recv_total - p->recv_held + held;
    p->recv_held = held;
    while (t->recv_total > PEER_RECV_GLOBAL_LIMIT) {
        struct peer *victim = NULL;
        size_t pos = 0;
        void *value;
        while (idmap_next(&t->peers, &pos, NULL, &value)) {
            struct peer *q = value;
            if (!victim || q->recv_held > victim->recv_held) victim = q;
        }
        if (!victim || !victim->recv_held) break;
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)victim->id,
               "all peers' partial messages hold %zu bytes (cap %u): dropping the largest, %zu bytes",
               t->recv_total, PEER_RECV_GLOBAL_LIMIT, victim->recv_held);
        peer_disconnect(victim, PEER_REASON_RECV_BUFFER_FULL);
    }
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
    buf_writer_init(&t->payload);
    buf_writer_init(&t->frame);
    peer_metrics_init(&t->metrics);
    t->reaper = event_new(base, -1, 0, reap_dead, t);
    if (!t->reaper) {
        free(t);
        return NULL;
    }
    node_queue_set_pop_hook(queue, on_queue_pop, t);
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
    peer_table_disconnect_all(t, PEER_REASON_SHUTDOWN);
    reap_dead(-1, 0, t);
    node_queue_set_pop_hook(t->queue, NULL, NULL);
    event_free(t->reaper);
    idmap_free(&t->peers);
    idmap_free(&t->local_nonces);
    buf_writer_free(&t->payload);
    buf_writer_free(&t->frame);
    free(t);
}

size_t peer_table_count(const struct peer_table *t)
{
    return idmap_len(&t->peers);
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
        LOG_STR("proxy_error", p->proxy_err ? socks5_err_str((enum socks5_err)p->proxy_err) : ""),
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
    t->recv_total -= p->recv_held;
    p->recv_held = 0;
    if (p->local_nonce && idmap_get(&t->local_nonces, p->local_nonce))
        idmap_del(&t->local_nonces, p->local_nonce);
    idmap_del(&t->peers, p->id);
    if (p->inbound) t->n_inbound--;
    if (p->bev) bufferevent_disable(p->bev, EV_READ | EV_WRITE);
    if (p->timer) event_del(p->timer);

    struct peer_event *ev = peer_event_new(PEER_EV_DISCONNECTED, p->id);
    if (ev) {
        ev->u.disconnected.reason = peer_reason_str(reason);
        peer_netaddr(p, &ev->u.disconnected.netaddr);
        ev->u.disconnected.inbound = p->inbound;
        ev->u.disconnected.was_connected = was == PEER_CONNECTED;
        ev->u.disconnected.v2_no_answer = peer_transport_v1_retry_worth(p, reason);
        node_queue_push(t->queue, ev);
    }
    p->next_dead = t->dead;
    t->dead = p;
    event_active(t->reaper, EV_TIMEOUT, 0);
}

void peer_post(struct peer *p, struct peer_event *ev)
{
    if (!ev) return;
    struct node_queue *q = p->table->queue;
    node_queue_push(q, ev);
    p->queued_events++;
    p->queued_bytes += ev->cost;
    if (!p->queue_paused && (p->queued_events >= PEER_QUEUE_MAX_EVENTS ||
                             p->queued_bytes >= PEER_QUEUE_MAX_BYTES || node_queue_over(q))) {
        p->queue_paused = true;
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "node queue holds %zu of its events (%zu bytes; %zu in all): reading paused",
               p->queued_events, p->queued_bytes, node_queue_len(q));
        peer_update_reading(p);
    }
}

void peer_add_misbehavior(struct peer *p, unsigned score, const char *offence)
{
    if (p->state == PEER_DEAD) return;
    p->stats.misbehavior += score;
    struct log_field f[] = {LOG_STR("offence", offence), LOG_UINT("score", score),
                            LOG_UINT("total", p->stats.misbehavior)};
    log_event(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "misbehaving", f, 3);
    if (p->stats.misbehavior >= p->table->cfg->misbehavior_limit)
        peer_disconnect(p, PEER_REASON_MISBEHAVING);
}

/* ---- sending ---- */

static void peer_check_output(struct peer *p)
{
    const struct peer_config *cfg = p->table->cfg;
    size_t out = evbuffer_get_length(bufferevent_get_output(p->bev));
    size_t all = p->table->send_total;
    if (out > cfg->send_hard_limit) {
        peer_disconnect(p, PEER_REASON_SEND_BUFFER_FULL);
    } else if (out > cfg->send_soft_limit && !p->reading_paused) {
        /* Stop reading until the remote reads what we owe it; the write
         * callback fires once output falls to half the soft limit. */
        p->reading_paused = true;
        bufferevent_setwatermark(p->bev, EV_WRITE, cfg->send_soft_limit / 2, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "send buffer at %zu bytes: reading paused", out);
    } else if (all > cfg->send_global_limit && out && !p->reading_paused) {
        /* All peers together are owed too much: this one waits until it
         * has taken everything (write low-water mark 0). */
        p->reading_paused = true;
        bufferevent_setwatermark(p->bev, EV_WRITE, 0, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "send buffer at %zu bytes, %zu owed to all peers (cap %zu): reading paused", out, all,
               cfg->send_global_limit);
    }
}

bool peer_send(struct peer *p, const struct wire_msg *msg)
{
    if (p->state == PEER_DEAD || !p->bev) return false;
    if (!p->transport) return true; /* not open yet: nothing is sent before the handshake */
    struct peer_table *t = p->table;
    buf_writer_reset(&t->payload);
    enum wire_err werr = wire_encode(msg, &t->payload);
    if (werr != WIRE_OK) {
        log_warn(LOG_CAT_PEER, "cannot encode %s for peer %llu: %s", wire_msg_command(msg),
                 (unsigned long long)p->id, wire_err_str(werr));
        return true; /* our bug or our memory, not the peer's fault */
    }
    size_t before, framed;
    transport_bytes_to_send(p->transport, &before);
    enum transport_status terr =
        transport_send(p->transport, wire_msg_command(msg), t->payload.data, t->payload.len);
    if (terr != TRANSPORT_OK) {
        log_warn(LOG_CAT_PEER, "cannot frame %s for peer %llu: %s", wire_msg_command(msg),
                 (unsigned long long)p->id, transport_status_str(terr));
        return true;
    }
    transport_bytes_to_send(p->transport, &framed);
    framed -= before;
    if (!peer_transport_flush(p)) {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
        return false;
    }
    p->stats.msgs_out++;
    peer_metrics_msg_out(p, msg->type, framed);
    p->last_send_us = clock_mono_us();
    p->sent_bytes[msg->type < WIRE_TYPE_COUNT ? msg->type : WIRE_UNKNOWN] += framed;
    LOG_AT(LOG_TRACE, LOG_CAT_PEER, (int64_t)p->id, "sent %s (%zu bytes)", wire_msg_command(msg),
           t->payload.len);
    peer_check_output(p);
    return p->state != PEER_DEAD;
}

bool peer_send_empty(struct peer *p, enum wire_type type)
{
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = type;
    return peer_send(p, &msg);
}

/* ---- receiving ---- */

static enum peer_reason fatal_reason(enum transport_status st)
{
    switch (st) {
    case TRANSPORT_FATAL_MAGIC: return PEER_REASON_BAD_MAGIC;
    case TRANSPORT_FATAL_OVERSIZE: return PEER_REASON_OVERSIZE;
    case TRANSPORT_FATAL_HANDSHAKE:
    case TRANSPORT_FATAL_CRYPTO:
    case TRANSPORT_FATAL_V1_ANSWER: return PEER_REASON_V2_HANDSHAKE;
    case TRANSPORT_FATAL_DECRYPT: return PEER_REASON_V2_DECRYPT;
    default: return PEER_REASON_IO_ERROR;
    }
}

/* Decode errors that mean "too many items" are the named offences of
 * oversized inv/addr/headers; anything else malformed scores less. */
static void peer_bad_payload(struct peer *p, const char *command, enum wire_err err)
{
    char offence[64];
    snprintf(offence, sizeof offence, "%s-%s", command, wire_err_str(err));
    peer_add_misbehavior(p, err == WIRE_ERR_TOO_MANY ? 20 : 10, offence);
}

static void peer_handle_frame(struct peer *p, struct transport_frame *frame)
{
    struct wire_msg msg;
    p->stats.msgs_in++;
    p->last_recv_us = clock_mono_us();
    p->last_msg_in_us = p->last_recv_us;
    enum wire_err err = wire_decode(frame->command, frame->payload, frame->len, &msg);
    p->recv_bytes[err == WIRE_OK && msg.type < WIRE_TYPE_COUNT ? msg.type : WIRE_UNKNOWN] +=
        p->rx_frame_bytes;
    p->rx_frame_bytes = 0;
    if (err != WIRE_OK) {
        char cmd[WIRE_COMMAND_LEN + 1];
        log_sanitize((const uint8_t *)frame->command, strlen(frame->command), cmd);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "malformed %s (%zu bytes): %s", cmd,
               frame->len, wire_err_str(err));
        peer_metrics_msg_in(p, wire_type_from_command(frame->command, strlen(frame->command)),
                            transport_framed_len(p->transport, frame->command, frame->len));
        if (p->state == PEER_NONE || p->state == PEER_SENT_VERSION)
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION); /* no valid version first */
        else
            peer_bad_payload(p, cmd, err);
        return;
    }
    LOG_AT(LOG_TRACE, LOG_CAT_PEER, (int64_t)p->id, "received %s (%zu bytes)",
           wire_msg_command(&msg), frame->len);
    peer_metrics_msg_in(p, msg.type, transport_framed_len(p->transport, frame->command, frame->len));
    if (p->state == PEER_CONNECTED) {
        if (!peer_is_solicited(p, &msg)) {
            p->stats.rate_counted++;
            if (!peer_rate_check(p)) {
                wire_msg_free(&msg);
                return;
            }
        }
        peer_connected_message(p, &msg);
    } else {
        peer_handshake_message(p, &msg);
    }
}

static void peer_on_read(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    /* A paused peer's remaining input waits in the buffer (bounded by the
     * read high-water mark) until it is resumed. */
    if (p->socks) peer_proxy_read(p, in); /* may open the tunnel: then the rest is P2P */
    while (p->state != PEER_DEAD && !p->socks && p->transport && !p->queue_paused &&
           evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec vec;
        if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1) break;
        size_t consumed = 0;
        enum transport_status st = transport_feed(p->transport, vec.iov_base, vec.iov_len, &consumed);
        evbuffer_drain(in, consumed);
        p->stats.bytes_in += consumed;
        p->table->metrics.net_bytes_in += consumed;
        p->rx_frame_bytes += consumed;
        /* What the transport answers (v2 handshake) goes out first. */
        if (!peer_transport_flush(p))
            st = TRANSPORT_FATAL_NOMEM;
        else
            peer_transport_maybe_send_version(p);
        peer_account_recv(p);
        if (p->state == PEER_DEAD) break; /* a held message goes with the transport */
        struct transport_frame frame;
        switch (st) {
        case TRANSPORT_NEED_MORE: break;
        case TRANSPORT_FRAME:
            transport_take(p->transport, &frame);
            peer_handle_frame(p, &frame);
            transport_frame_free(&frame);
            break;
        case TRANSPORT_DROP_CHECKSUM:
        case TRANSPORT_DROP_COMMAND:
            transport_take(p->transport, &frame);
            p->stats.msgs_in++;
            /* a message, but no payload to measure: counted without bytes */
            peer_metrics_msg_in(p, wire_type_from_command(frame.command, strlen(frame.command)), 0);
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "dropped %s: %s", frame.command,
                   transport_status_str(st));
            peer_add_misbehavior(p, 10, transport_status_str(st));
            transport_frame_free(&frame);
            break;
        default:
            peer_disconnect(p, fatal_reason(st));
            break;
        }
    }
}

static void peer_on_write(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    if (p->reading_paused && p->state != PEER_DEAD) {
        p->reading_paused = false;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "send buffer drained: reading resumed");
    }
}

static void peer_connected_tcp(struct peer *p)
{
    p->connecting = false;
    p->connected_us = clock_mono_us();
    p->last_recv_us = p->connected_us;
    p->handshake_deadline_us = p->connected_us + (uint64_t)p->table->cfg->handshake_timeout_ms * 1000u;
    bufferevent_set_timeouts(p->bev, NULL, NULL);
    evutil_socket_t fd = bufferevent_getfd(p->bev);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (p->socks) {
        /* Connected to the proxy, not the peer: addr stays the target. */
        peer_timer_schedule(p);
        peer_proxy_begin(p);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        p->addr = ss;
        hostport_format((struct sockaddr *)&ss, p->addr_str, sizeof p->addr_str);
    }
    peer_timer_schedule(p);
    peer_outbound_open(p);
}

void peer_outbound_open(struct peer *p)
{
    if (p->proxy)
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id,
               "connected addr=%s direction=outbound%s proxy=%s", p->addr_str,
               p->manual ? " manual=1" : "", p->proxy->str);
    else
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connected addr=%s direction=outbound%s",
               p->addr_str, p->manual ? " manual=1" : "");
    if (!peer_transport_start(p, p->want_v2)) {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
        return;
    }
    peer_transport_maybe_send_version(p);
}

static void peer_on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    if (p->state == PEER_DEAD) return;
    if (what & BEV_EVENT_CONNECTED) {
        peer_connected_tcp(p);
        return;
    }
    if (p->connecting) {
        peer_disconnect(p, (what & BEV_EVENT_TIMEOUT) ? PEER_REASON_CONNECT_TIMEOUT
                                                      : PEER_REASON_CONNECT_FAILED);
    } else if (what & BEV_EVENT_EOF) {
        peer_disconnect(p, PEER_REASON_EOF);
    } else {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
    }
}

/* ---- creation ---- */

static struct peer *peer_new(struct peer_table *t, bool inbound, struct bufferevent *bev)
{
    struct peer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id = t->next_id++;
    p->table = t;
    p->bev = bev;
    p->inbound = inbound;
    p->state = PEER_NONE;
    /* Inbound: BIP324 if we speak it, and the transport falls back to v1
     * by itself; outbound gets its transport once the connection is open. */
    if ((inbound && !peer_transport_start(p, t->cfg->v2_enabled)) || !peer_timer_init(p) ||
        !idmap_put(&t->peers, p->id, p)) {
        if (p->timer) event_free(p->timer);
        peer_transport_free(p);
        free(p);
        return NULL;
    }
    if (inbound) t->n_inbound++;
    bufferevent_setcb(bev, peer_on_read, peer_on_write, peer_on_event, p);
    bufferevent_setwatermark(bev, EV_READ, 0, PEER_RECV_HIGH_WATER);
    evbuffer_add_cb(bufferevent_get_output(bev), on_output_change, p);
    return p;
}

enum peer_err peer_connect(struct peer_table *t, const char *host, uint16_t port, bool manual,
                           uint64_t *id)
{
    return peer_connect_v(t, host, port, manual, t->cfg->v2_enabled, id);
}

static bool is_onion(const char *host)
{
    size_t n = strlen(host);
    return n > 6 && strcasecmp(host + n - 6, ".onion") == 0;
}

static enum peer_err peer_connect_target(struct peer_table *t, const char *host, uint16_t port,
                                         bool manual, bool v2, const struct wire_netaddr *target,
                                         uint64_t *id)
{
    const struct peer_proxy *px = NULL;
    if (is_onion(host)) {
        if (!t->cfg->onion_proxy.set) return PEER_ERR_UNREACHABLE;
        px = &t->cfg->onion_proxy;
    } else if (t->cfg->proxy.set) {
        px = &t->cfg->proxy;
    }
    struct bufferevent *bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) return PEER_ERR_NOMEM;
    struct peer *p = peer_new(t, false, bev);
    if (!p) {
        bufferevent_free(bev);
        return PEER_ERR_NOMEM;
    }
    p->manual = manual;
    p->want_v2 = v2 && t->cfg->v2_enabled;
    p->connecting = true;
    snprintf(p->addr_str, sizeof p->addr_str, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    if (target) {
        p->has_target = true;
        p->target = *target;
    }
    if (px) {
        enum peer_err err = peer_proxy_prepare(p, px, host, port);
        if (err != PEER_OK) {
            peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
            *id = p->id;
            return PEER_OK; /* reported as a failed connect, like any other */
        }
    }
    struct timeval tv = {.tv_sec = t->cfg->connect_timeout_ms / 1000,
                         .tv_usec = (suseconds_t)(t->cfg->connect_timeout_ms % 1000) * 1000};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    *id = p->id;
    struct sockaddr_storage ss;
    socklen_t len;
    bool numeric = hostport_numeric(host, port, &ss, &len);
    if (numeric) p->addr = ss; /* known before the connect completes */
    int rc;
    if (px) {
        /* The proxy resolves names: no look-up of ours may leak them. */
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s proxy=%s",
               p->addr_str, px->str);
        rc = bufferevent_socket_connect(bev, (const struct sockaddr *)&px->addr, (int)px->len);
    } else {
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s", p->addr_str);
        rc = numeric ? bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len)
                     : bufferevent_socket_connect_hostname(bev, t->dns, AF_UNSPEC, host, port);
    }
    if (rc != 0) {
        /* Reported like any failed connect: the caller sees DISCONNECTED. */
        peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
    }
    return PEER_OK;
}

enum peer_err peer_connect_v(struct peer_table *t, const char *host, uint16_t port, bool manual,
                             bool v2, uint64_t *id)
{
    return peer_connect_target(t, host, port, manual, v2, NULL, id);
}

enum peer_err peer_connect_addr(struct peer_table *t, const struct wire_netaddr *addr, bool v2,
                                uint64_t *id)
{
    char host[NETADDR_STR_MAX];
    if (addr->net == WIRE_NET_TORV3) {
        /* "<56 chars>.onion:port" without its port: the name for the proxy */
        netaddr_str(addr, host);
        char *colon = strrchr(host, ':');
        if (colon) *colon = '\0';
        return peer_connect_target(t, host, addr->port, false, v2, addr, id);
    }
    int family = addr->net == WIRE_NET_IPV4 ? AF_INET : addr->net == WIRE_NET_IPV6 ? AF_INET6 : 0;
    if (!family || !inet_ntop(family, addr->addr, host, sizeof host)) return PEER_ERR_BAD_REQUEST;
    return peer_connect_target(t, host, addr->port, false, v2, addr, id);
}

enum peer_err peer_accept(struct peer_table *t, int fd, const struct sockaddr *sa, int salen,
                          uint64_t *id)
{
    struct bufferevent *bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return PEER_ERR_NOMEM;
    }
    struct peer *p = peer_new(t, true, bev);
    if (!p) {
        bufferevent_free(bev);
        return PEER_ERR_NOMEM;
    }
    if (salen > 0 && (size_t)salen <= sizeof p->addr) memcpy(&p->addr, sa, (size_t)salen);
    hostport_format(sa, p->addr_str, sizeof p->addr_str);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->connected_us = clock_mono_us();
    p->last_recv_us = p->connected_us;
    p->handshake_deadline_us = p->connected_us + (uint64_t)t->cfg->handshake_timeout_ms * 1000u;
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    peer_timer_schedule(p);
    *id = p->id;
    LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connected addr=%s direction=inbound",
           p->addr_str);
    return PEER_OK;
}

/* ---- node-facing ---- */

enum peer_err peer_disconnect_id(struct peer_table *t, uint64_t id, enum peer_reason reason)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    peer_disconnect(p, reason);
    return PEER_OK;
}

enum peer_err peer_misbehaving(struct peer_table *t, uint64_t id, unsigned score,
                               const char *offence)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    peer_add_misbehavior(p, score, offence);
    return PEER_OK;
}

enum peer_err peer_get_stats(const struct peer_table *t, uint64_t id, struct peer_stats *out,
                             enum peer_state *state)
{
    const struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    if (out) *out = p->stats;
    if (state) *state = p->state;
    return PEER_OK;
}

/* A monotonic time in the past as unix seconds. */
static int64_t mono_to_unix(uint64_t then_us, uint64_t now_us)
{
    if (!then_us) return 0;
    return clock_unix_s() - (int64_t)((now_us - then_us) / 1000000u);
}

_Static_assert(PEER_MSG_KINDS >= WIRE_TYPE_COUNT, "a row for every message type");

/* The nonzero counts as named rows, bitcoind's "*other*" for the rest. */
static size_t msg_rows(const uint64_t bytes[WIRE_TYPE_COUNT], struct peer_msg_bytes *rows)
{
    size_t n = 0;
    for (int t = 0; t < WIRE_TYPE_COUNT; t++) {
        if (!bytes[t]) continue;
        snprintf(rows[n].command, sizeof rows[n].command, "%s",
                 t == WIRE_UNKNOWN ? "*other*" : wire_type_command((enum wire_type)t));
        rows[n++].bytes = bytes[t];
    }
    return n;
}

enum peer_err peer_get_info(const struct peer_table *t, uint64_t id, struct peer_info *out)
{
    const struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    memset(out, 0, sizeof *out);
    uint64_t now = clock_mono_us();
    out->id = p->id;
    out->state = p->state;
    out->inbound = p->inbound;
    out->manual = p->manual;
    snprintf(out->addr, sizeof out->addr, "%s", p->addr_str);
    evutil_socket_t fd = p->bev ? bufferevent_getfd(p->bev) : -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        hostport_format((struct sockaddr *)&ss, out->addrbind, sizeof out->addrbind);
    out->transport = peer_transport_name(p);
    peer_transport_session_hex(p, out->session_id);
    out->version = p->their_version;
    out->services = p->their_services;
    out->relay = p->their_relay;
    log_sanitize(p->user_agent, p->user_agent_len, out->subver);
    out->start_height = p->their_start_height;
    out->time_offset = p->time_offset;
    out->conn_time = mono_to_unix(p->connected_us, now);
    out->last_send = mono_to_unix(p->last_send_us, now);
    out->last_recv = mono_to_unix(p->last_msg_in_us, now);
    out->ping_wait_us = p->ping_outstanding ? now - p->ping_sent_us : 0;
    out->stats = p->stats;
    out->n_sent_per_msg = msg_rows(p->sent_bytes, out->sent_per_msg);
    out->n_recv_per_msg = msg_rows(p->recv_bytes, out->recv_per_msg);
    return PEER_OK;
}

void peer_table_totals(const struct peer_table *t, uint64_t *in, uint64_t *out)
{
    *in = t->metrics.net_bytes_in;
    *out = t->metrics.net_bytes_out;
}

size_t peer_table_ids(const struct peer_table *t, uint64_t *ids, size_t cap)
{
    size_t pos = 0, i = 0;
    uint64_t id;
    while (idmap_next(&t->peers, &pos, &id, NULL)) {
        if (i < cap) ids[i] = id;
        i++;
    }
    return i;
}
