/* The calls of the transport interface (include/btcpeerd/transport.h):
 * the status names, and what every transport does the same way, whatever
 * its version: holding the message a feed completed until it is taken, and
 * the queue of bytes to send. The version-specific work goes through the
 * operations table (v1.c, v2.c). */
#include "transport_impl.h"

#include <stdlib.h>
#include <string.h>

const char *transport_status_str(enum transport_status status)
{
    switch (status) {
    case TRANSPORT_OK: return "ok";
    case TRANSPORT_NEED_MORE: return "need-more";
    case TRANSPORT_FRAME: return "frame";
    case TRANSPORT_DROP_CHECKSUM: return "bad-checksum";
    case TRANSPORT_DROP_COMMAND: return "bad-command";
    case TRANSPORT_FATAL_MAGIC: return "bad-magic";
    case TRANSPORT_FATAL_OVERSIZE: return "oversize";
    case TRANSPORT_FATAL_NOMEM: return "out-of-memory";
    case TRANSPORT_FATAL_HANDSHAKE: return "no-garbage-terminator";
    case TRANSPORT_FATAL_DECRYPT: return "decrypt-failed";
    case TRANSPORT_FATAL_CRYPTO: return "crypto-failed";
    case TRANSPORT_FATAL_V1_ANSWER: return "v1-answer";
    case TRANSPORT_ERR_COMMAND: return "bad-command";
    case TRANSPORT_ERR_TOO_LONG: return "payload-too-long";
    case TRANSPORT_ERR_NOMEM: return "out-of-memory";
    case TRANSPORT_ERR_NOT_READY: return "not-ready";
    case TRANSPORT_ERR_CRYPTO: return "crypto-failed";
    }
    return "unknown";
}

bool transport_status_fatal(enum transport_status status)
{
    switch (status) {
    case TRANSPORT_FATAL_MAGIC:
    case TRANSPORT_FATAL_OVERSIZE:
    case TRANSPORT_FATAL_NOMEM:
    case TRANSPORT_FATAL_HANDSHAKE:
    case TRANSPORT_FATAL_DECRYPT:
    case TRANSPORT_FATAL_CRYPTO:
    case TRANSPORT_FATAL_V1_ANSWER: return true;
    default: return false;
    }
}

void transport_frame_free(struct transport_frame *f)
{
    free(f->payload);
    f->payload = NULL;
    f->len = 0;
}

void transport_base_init(struct transport *t, const struct transport_ops *ops)
{
    t->ops = ops;
    buf_writer_init(&t->out);
    t->out_sent = 0;
    t->held = TRANSPORT_OK;
    memset(&t->frame, 0, sizeof t->frame);
}

void transport_free(struct transport *t)
{
    if (!t) return;
    transport_frame_free(&t->frame);
    buf_writer_free(&t->out);
    t->ops->destroy(t);
}

static bool holds_message(enum transport_status st)
{
    return st == TRANSPORT_FRAME || st == TRANSPORT_DROP_CHECKSUM || st == TRANSPORT_DROP_COMMAND;
}

enum transport_status transport_feed(struct transport *t, const uint8_t *in, size_t len,
                                     size_t *consumed)
{
    if (t->held != TRANSPORT_OK) {
        *consumed = 0;
        return t->held;
    }
    enum transport_status st = t->ops->feed(t, in, len, consumed, &t->frame);
    if (holds_message(st)) t->held = st;
    return st;
}

bool transport_take(struct transport *t, struct transport_frame *out)
{
    if (t->held == TRANSPORT_OK) return false;
    *out = t->frame;
    memset(&t->frame, 0, sizeof t->frame);
    t->held = TRANSPORT_OK;
    return true;
}

size_t transport_recv_buffered(const struct transport *t)
{
    return t->ops->recv_buffered(t);
}

bool transport_can_send(const struct transport *t)
{
    return t->ops->can_send(t);
}

enum transport_status transport_send(struct transport *t, const char *command,
                                     const uint8_t *payload, size_t len)
{
    size_t before = t->out.len;
    enum transport_status st = t->ops->send(t, command, payload, len);
    /* A refused message leaves nothing half-queued. */
    if (st != TRANSPORT_OK) {
        t->out.len = before;
        t->out.status = BUF_OK;
    }
    return st;
}

const uint8_t *transport_bytes_to_send(const struct transport *t, size_t *len)
{
    *len = t->out.len - t->out_sent;
    return *len ? t->out.data + t->out_sent : NULL;
}

void transport_mark_sent(struct transport *t, size_t n)
{
    size_t left = t->out.len - t->out_sent;
    t->out_sent += n < left ? n : left;
    /* An idle connection holds no send memory: the queue is empty between
     * the owner's writes, and a big message's buffer is not kept. */
    if (t->out_sent == t->out.len) {
        buf_writer_free(&t->out);
        t->out_sent = 0;
    }
}

uint8_t *transport_take_bytes_to_send(struct transport *t, size_t *len)
{
    size_t n = t->out.len - t->out_sent;
    *len = 0;
    if (!n) return NULL;
    if (t->out_sent) memmove(t->out.data, t->out.data + t->out_sent, n);
    t->out.len = n;
    t->out_sent = 0;
    return buf_writer_steal(&t->out, len);
}

size_t transport_framed_len(const struct transport *t, const char *command, size_t payload_len)
{
    return t->ops->framed_len(t, command, payload_len);
}

const char *transport_name(const struct transport *t)
{
    return t->ops->version(t) == 2 ? "v2" : "v1";
}

unsigned transport_version(const struct transport *t)
{
    return t->ops->version(t);
}

bool transport_session_id(const struct transport *t, uint8_t out32[32])
{
    return t->ops->session_id(t, out32);
}

bool transport_should_reconnect_v1(const struct transport *t)
{
    return t->ops->should_reconnect_v1(t);
}
