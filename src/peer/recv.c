/* Reading: bytes from the socket into the transport, frames out of it
 * decoded into messages for the handshake (before CONNECTED) or the
 * handlers; and the caps that pause reading: a peer's share of the node
 * queue, and every peer's bytes held for messages not yet complete. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

/* ---- the caps that pause reading ---- */

void peer_update_reading(struct peer *p)
{
    if (p->state == PEER_DEAD || !p->bev || p->connecting) return;
    if (p->flow.reading_paused || p->flow.queue_paused) {
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
void peer_queue_popped(uint64_t id, size_t cost, void *arg)
{
    struct peer_table *t = arg;
    struct peer *p = peer_lookup(t, id);
    if (!p) return;
    if (p->flow.queued_events) p->flow.queued_events--;
    p->flow.queued_bytes = p->flow.queued_bytes > cost ? p->flow.queued_bytes - cost : 0;
    if (!p->flow.queue_paused) return;
    bool caught_up = p->flow.queued_events <= PEER_QUEUE_MAX_EVENTS / 2 &&
                     p->flow.queued_bytes <= PEER_QUEUE_MAX_BYTES / 2 && !node_queue_over(t->queue);
    if (!caught_up && p->flow.queued_events) return;
    p->flow.queue_paused = false;
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
    t->recv_total = t->recv_total - p->flow.recv_held + held;
    p->flow.recv_held = held;
    while (t->recv_total > PEER_RECV_GLOBAL_LIMIT) {
        struct peer *victim = NULL;
        size_t pos = 0;
        void *value;
        while (idmap_next(&t->peers, &pos, NULL, &value)) {
            struct peer *q = value;
            if (!victim || q->flow.recv_held > victim->flow.recv_held) victim = q;
        }
        if (!victim || !victim->flow.recv_held) break;
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)victim->id,
               "all peers' partial messages hold %zu bytes (cap %u): dropping the largest, %zu bytes",
               t->recv_total, PEER_RECV_GLOBAL_LIMIT, victim->flow.recv_held);
        peer_disconnect(victim, PEER_REASON_RECV_BUFFER_FULL);
    }
}

void peer_post(struct peer *p, struct peer_event *ev)
{
    if (!ev) return;
    struct node_queue *q = p->table->queue;
    node_queue_push(q, ev);
    p->flow.queued_events++;
    p->flow.queued_bytes += ev->cost;
    if (!p->flow.queue_paused && (p->flow.queued_events >= PEER_QUEUE_MAX_EVENTS ||
                             p->flow.queued_bytes >= PEER_QUEUE_MAX_BYTES || node_queue_over(q))) {
        p->flow.queue_paused = true;
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id,
               "node queue holds %zu of its events (%zu bytes; %zu in all): reading paused",
               p->flow.queued_events, p->flow.queued_bytes, node_queue_len(q));
        peer_update_reading(p);
    }
}

/* ---- reading and framing ---- */

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

/* A message we drop unread still costs the peer a message against the
 * rate limit once it is connected, so dropping is no way around it.
 * Returns false if the peer is gone. */
static bool peer_count_dropped(struct peer *p)
{
    if (p->state != PEER_CONNECTED) return true;
    p->stats.rate_counted++;
    return peer_rate_check(p);
}

/* Does a payload this long really carry more entries than the limit? A
 * count that claims more than the bytes hold fails to decode in Core too
 * (an exception: ignored); only a message that truly is over the limit
 * is an offence. The smallest entry of each: an inv or getdata entry 36
 * bytes, an addr 30, an addrv2 9 (time, one-byte services, network,
 * length, port), a header 81, a locator hash 32 (with a version and a
 * stop hash around them). */
static bool really_over_limit(enum wire_type type, size_t len)
{
    switch (type) {
    case WIRE_ADDR: return len > (size_t)WIRE_MAX_ADDR * 30;
    case WIRE_ADDRV2: return len > (size_t)WIRE_MAX_ADDR * 9;
    case WIRE_INV:
    case WIRE_GETDATA: return len > (size_t)WIRE_MAX_INV * 36;
    case WIRE_HEADERS: return len > (size_t)WIRE_MAX_HEADERS * 81;
    case WIRE_GETHEADERS:
    case WIRE_GETBLOCKS: return len > (size_t)WIRE_MAX_LOCATOR * 32 + 4 + 32;
    default: return false;
    }
}

/* A message that did not decode, after the handshake. Bitcoin Core v29
 * punishes only the named oversize offences (more than 1,000 addresses,
 * 50,000 inv or getdata entries, 2,000 headers, really sent: discouraged);
 * an oversize locator disconnects without discouragement; anything else
 * malformed is dropped and the peer kept (Core catches the decoding
 * exception). Dropped messages still count against the rate limit.
 * Returns false if the peer is gone. */
static bool peer_bad_payload(struct peer *p, const char *command, enum wire_type type,
                             enum wire_err err, size_t len)
{
    if (err == WIRE_ERR_TOO_MANY && really_over_limit(type, len)) {
        if (type == WIRE_GETHEADERS || type == WIRE_GETBLOCKS) {
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION); /* Core: MAX_LOCATOR_SZ */
            return false;
        }
        char offence[64];
        snprintf(offence, sizeof offence, "%s-%s", command, wire_err_str(err));
        peer_misbehaved(p, offence);
        return p->state != PEER_DEAD;
    }
    return peer_count_dropped(p);
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
        /* drop=<command>-<why>: the stable token tests and greps match */
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "malformed %s (%zu bytes): %s drop=%s-%s", cmd,
               frame->len, wire_err_str(err), cmd, wire_err_str(err));
        peer_metrics_msg_in(p, wire_type_from_command(frame->command, strlen(frame->command)),
                            transport_framed_len(p->transport, frame->command, frame->len));
        if (p->state == PEER_NONE || p->state == PEER_SENT_VERSION)
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION); /* no valid version first */
        else if (wire_type_is_cf_answer(wire_type_from_command(frame->command, strlen(frame->command))))
            /* A BIP157 answer comes only from a peer we asked; one that
             * does not parse (over 2,000 hashes, a filter claiming more
             * than the payload) is no answer at all. */
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        else
            peer_bad_payload(p, cmd, wire_type_from_command(frame->command, strlen(frame->command)),
                             err, frame->len);
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

void peer_on_read(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    /* A paused peer's remaining input waits in the buffer (bounded by the
     * read high-water mark) until it is resumed. */
    while (p->state != PEER_DEAD && p->transport && !p->flow.queue_paused &&
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
            char cmd[WIRE_COMMAND_LEN + 1]; /* a bad command's bytes are the peer's */
            log_sanitize((const uint8_t *)frame.command, strlen(frame.command), cmd);
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "dropped %s: %s drop=%s-%s", cmd,
                   transport_status_str(st), cmd, transport_status_str(st));
            /* Core and BIP324: a bad checksum, an invalid command, an
             * unknown v2 short id (a future message type) or an empty v2
             * packet drops that message only; no penalty. */
            transport_frame_free(&frame);
            peer_count_dropped(p);
            break;
        default:
            peer_disconnect(p, fatal_reason(st));
            break;
        }
    }
}
