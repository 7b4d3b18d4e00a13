/* Sending: a message encoded, framed by the transport and queued on the
 * bufferevent; backpressure on what we owe (pause reading past the soft
 * limit or the global one, disconnect past the hard limit); and the last
 * drain of a dead peer's output before it is freed. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <string.h>

/* Every change to a peer's output buffer (our writes in, the socket's
 * takes out) moves the table's total of bytes owed to peers. */
static void on_output_change(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    struct peer *p = arg;
    p->table->send_total += info->n_added;
    p->table->send_total -= info->n_deleted;
}

void peer_output_attach(struct peer *p)
{
    evbuffer_add_cb(bufferevent_get_output(p->bev), on_output_change, p);
}

void peer_output_detach(struct peer *p)
{
    struct evbuffer *owed = bufferevent_get_output(p->bev);
    evbuffer_remove_cb(owed, on_output_change, p);
    p->table->send_total -= evbuffer_get_length(owed);
}

static void peer_check_output(struct peer *p)
{
    const struct peer_config *cfg = p->table->cfg;
    size_t out = evbuffer_get_length(bufferevent_get_output(p->bev));
    size_t all = p->table->send_total;
    if (out > cfg->send_hard_limit) {
        peer_disconnect(p, PEER_REASON_SEND_BUFFER_FULL);
    } else if (out > cfg->send_soft_limit && !p->flow.reading_paused) {
        /* Stop reading until the remote reads what we owe it; the write
         * callback fires once output falls to half the soft limit. */
        p->flow.reading_paused = true;
        bufferevent_setwatermark(p->bev, EV_WRITE, cfg->send_soft_limit / 2, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "send buffer at %zu bytes: reading paused", out);
    } else if (all > cfg->send_global_limit && out && !p->flow.reading_paused) {
        /* All peers together are owed too much: this one waits until it
         * has taken everything (write low-water mark 0). */
        p->flow.reading_paused = true;
        bufferevent_setwatermark(p->bev, EV_WRITE, 0, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "send buffer at %zu bytes, %zu owed to all peers (cap %zu): reading paused", out, all,
               cfg->send_global_limit);
    }
}

enum peer_send_result peer_send(struct peer *p, const struct wire_msg *msg)
{
    if (p->state == PEER_DEAD || !p->bev) return PEER_SEND_PEER_GONE;
    if (!p->transport) return PEER_SEND_DROPPED; /* not open yet: nothing goes before the handshake */
    struct peer_table *t = p->table;
    buf_writer_reset(&t->payload);
    enum wire_err werr = wire_encode(msg, &t->payload);
    if (werr != WIRE_OK) {
        log_warn(LOG_CAT_PEER, "cannot encode %s for peer %llu: %s", wire_msg_command(msg),
                 (unsigned long long)p->id, wire_err_str(werr));
        return PEER_SEND_DROPPED; /* our bug or our memory, not the peer's fault */
    }
    size_t before, framed;
    transport_bytes_to_send(p->transport, &before);
    enum transport_status terr =
        transport_send(p->transport, wire_msg_command(msg), t->payload.data, t->payload.len);
    if (terr != TRANSPORT_OK) {
        log_warn(LOG_CAT_PEER, "cannot frame %s for peer %llu: %s", wire_msg_command(msg),
                 (unsigned long long)p->id, transport_status_str(terr));
        return PEER_SEND_DROPPED;
    }
    transport_bytes_to_send(p->transport, &framed);
    framed -= before;
    if (!peer_transport_flush(p)) {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
        return PEER_SEND_PEER_GONE;
    }
    p->stats.msgs_out++;
    peer_metrics_msg_out(p, msg->type, framed);
    p->last_send_us = clock_mono_us();
    p->sent_bytes[msg->type < WIRE_TYPE_COUNT ? msg->type : WIRE_UNKNOWN] += framed;
    LOG_AT(LOG_TRACE, LOG_CAT_PEER, (int64_t)p->id, "sent %s (%zu bytes)", wire_msg_command(msg),
           t->payload.len);
    peer_check_output(p);
    return p->state == PEER_DEAD ? PEER_SEND_PEER_GONE : PEER_SENT;
}

enum peer_send_result peer_send_empty(struct peer *p, enum wire_type type)
{
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = type;
    return peer_send(p, &msg);
}

void peer_on_write(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    if (p->flow.reading_paused && p->state != PEER_DEAD) {
        p->flow.reading_paused = false;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        peer_update_reading(p);
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "send buffer drained: reading resumed");
    }
}

/* ---- the last drain ---- */

static void drain_end(struct peer *p)
{
    bufferevent_disable(p->bev, EV_WRITE);
    event_del(p->timer);
    peer_drained(p);
}

static void on_drain_write(struct bufferevent *bev, void *arg)
{
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) drain_end(arg);
}

static void on_drain_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    drain_end(arg); /* the socket failed or closed: nothing more will go out */
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer *p = arg;
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "drain timed out with %zu bytes unsent",
           evbuffer_get_length(bufferevent_get_output(p->bev)));
    drain_end(p);
}

bool peer_drain_begin(struct peer *p)
{
    struct peer_table *t = p->table;
    uint32_t ms = t->cfg->drain_timeout_ms;
    /* A peer dropped for not reading what it is sent gets nothing more. */
    if (!ms || !p->bev || !p->timer || p->connecting || p->reason == PEER_REASON_SEND_BUFFER_FULL)
        return false;
    if (!evbuffer_get_length(bufferevent_get_output(p->bev))) return false;
    if (!idmap_put(&t->draining, p->id, p)) return false;
    bufferevent_setcb(p->bev, NULL, on_drain_write, on_drain_event, p);
    bufferevent_setwatermark(p->bev, EV_WRITE, 0, 0);
    bufferevent_enable(p->bev, EV_WRITE);
    /* The peer's timer is idle once it is dead: it bounds the drain now. */
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_assign(p->timer, t->base, -1, 0, on_drain_timeout, p);
    event_add(p->timer, &tv);
    return true;
}
