/* v1 transport: magic ‖ command[12] ‖ length ‖ checksum[4] ‖ payload.
 * Bitcoin Core's V1Transport rules: wrong magic and oversized lengths are
 * fatal (nothing after them can be trusted to be framed right); a bad
 * checksum or command drops that one message. The payload buffer grows with
 * the bytes that arrive, never with the length a header claims.
 * The codec (transport_v1_read/_write), then the transport interface's
 * operations over it (transport_v1_new). */
#include "transport_impl.h"

#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v1.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_FIRST_ALLOC 65536u

void transport_v1_init(struct transport_v1 *t, const uint8_t magic[4], size_t max_payload)
{
    memset(t, 0, sizeof *t);
    memcpy(t->magic, magic, 4);
    t->max_payload = max_payload;
}

void transport_v1_clear(struct transport_v1 *t)
{
    free(t->payload);
    t->payload = NULL;
    t->payload_cap = 0;
    t->payload_have = 0;
    t->header_have = 0;
}

size_t transport_v1_buffered(const struct transport_v1 *t)
{
    return t->header_have + t->payload_have;
}

/* The command field as a C string for logs: printable bytes kept, others
 * replaced, so a dropped message can still be named. */
static void command_for_log(const uint8_t field[WIRE_COMMAND_LEN], char out[WIRE_COMMAND_LEN + 1])
{
    size_t n = 0;
    while (n < WIRE_COMMAND_LEN && field[n]) n++;
    for (size_t i = 0; i < n; i++)
        out[i] = (field[i] >= 0x20 && field[i] < 0x7f) ? (char)field[i] : '?';
    out[n] = '\0';
}

static enum transport_status fatal(struct transport_v1 *t, enum transport_status st)
{
    t->fatal = st;
    transport_v1_clear(t);
    return st;
}

static bool grow_payload(struct transport_v1 *t, size_t need)
{
    if (need <= t->payload_cap) return true;
    size_t cap = t->payload_cap ? t->payload_cap : PAYLOAD_FIRST_ALLOC;
    while (cap < need) cap *= 2;
    if (cap > t->payload_len) cap = t->payload_len;
    uint8_t *p = realloc(t->payload, cap);
    if (!p) return false;
    t->payload = p;
    t->payload_cap = cap;
    return true;
}

/* A complete message: check it, hand it out, reset for the next header. */
static enum transport_status finish_message(struct transport_v1 *t, struct transport_frame *out)
{
    const uint8_t *cmd = t->header + 4;
    const uint8_t *checksum = t->header + 20;
    command_for_log(cmd, out->command);
    out->payload = NULL;
    out->len = 0;
    enum transport_status st = TRANSPORT_FRAME;
    if (!wire_command_valid(cmd)) {
        st = TRANSPORT_DROP_COMMAND;
    } else {
        uint8_t sum[4];
        sha256d_checksum(t->payload, t->payload_len, sum);
        if (memcmp(sum, checksum, 4) != 0) st = TRANSPORT_DROP_CHECKSUM;
    }
    if (st == TRANSPORT_FRAME) {
        /* Zero-length payloads are handed out as NULL. */
        out->payload = t->payload_len ? t->payload : NULL;
        out->len = t->payload_len;
        if (out->payload) {
            t->payload = NULL;
            t->payload_cap = 0;
        }
    }
    t->header_have = 0;
    t->payload_have = 0;
    t->payload_len = 0;
    /* A big buffer is not kept for the next, probably small, message. */
    if (t->payload_cap > PAYLOAD_FIRST_ALLOC) {
        free(t->payload);
        t->payload = NULL;
        t->payload_cap = 0;
    }
    return st;
}

enum transport_status transport_v1_read(struct transport_v1 *t, const uint8_t *in, size_t len,
                                        size_t *consumed, struct transport_frame *out)
{
    size_t used = 0;
    *consumed = 0;
    if (t->fatal != TRANSPORT_OK) return t->fatal;
    while (used < len) {
        if (t->header_have < TRANSPORT_V1_HEADER_LEN) {
            /* Take the magic on its own so a wrong one is caught as soon as
             * its four bytes are in, before anything after it is read. */
            size_t want = t->header_have < 4 ? 4 - t->header_have
                                             : TRANSPORT_V1_HEADER_LEN - t->header_have;
            size_t take = want < len - used ? want : len - used;
            memcpy(t->header + t->header_have, in + used, take);
            t->header_have += take;
            used += take;
            if (t->header_have == 4 && memcmp(t->header, t->magic, 4) != 0) {
                *consumed = used;
                return fatal(t, TRANSPORT_FATAL_MAGIC);
            }
            if (t->header_have < TRANSPORT_V1_HEADER_LEN) continue;
            t->payload_len = le32_read(t->header + 16);
            if (t->payload_len > t->max_payload) {
                *consumed = used;
                return fatal(t, TRANSPORT_FATAL_OVERSIZE);
            }
            t->payload_have = 0;
            if (t->payload_len == 0) {
                *consumed = used;
                return finish_message(t, out);
            }
            continue;
        }
        size_t take = t->payload_len - t->payload_have;
        if (take > len - used) take = len - used;
        if (!grow_payload(t, t->payload_have + take)) {
            *consumed = used;
            return fatal(t, TRANSPORT_FATAL_NOMEM);
        }
        memcpy(t->payload + t->payload_have, in + used, take);
        t->payload_have += take;
        used += take;
        if (t->payload_have == t->payload_len) {
            *consumed = used;
            return finish_message(t, out);
        }
    }
    *consumed = used;
    return TRANSPORT_NEED_MORE;
}

enum transport_status transport_v1_write(const uint8_t magic[4], const char *command,
                                         const uint8_t *payload, size_t len, size_t max_payload,
                                         struct buf_writer *out)
{
    size_t n;
    if (!wire_command_name_ok(command, &n)) return TRANSPORT_ERR_COMMAND;
    if (len > max_payload || len > UINT32_MAX) return TRANSPORT_ERR_TOO_LONG;
    uint8_t header[TRANSPORT_V1_HEADER_LEN] = {0};
    memcpy(header, magic, 4);
    memcpy(header + 4, command, n);
    le32_write(header + 16, (uint32_t)len);
    sha256d_checksum(payload ? (const void *)payload : (const void *)"", len, header + 20);
    if (!buf_reserve(out, sizeof header + len) || !buf_write_bytes(out, header, sizeof header) ||
        !buf_write_bytes(out, payload, len))
        return TRANSPORT_ERR_NOMEM;
    return TRANSPORT_OK;
}

/* ---- the transport interface over the codec ---- */

struct v1_conn {
    struct transport base;
    struct transport_v1 rx;
};

static enum transport_status v1_feed(struct transport *t, const uint8_t *in, size_t len,
                                     size_t *consumed, struct transport_frame *out)
{
    return transport_v1_read(&((struct v1_conn *)t)->rx, in, len, consumed, out);
}

static enum transport_status v1_send(struct transport *t, const char *command,
                                     const uint8_t *payload, size_t len)
{
    struct v1_conn *c = (struct v1_conn *)t;
    return transport_v1_write(c->rx.magic, command, payload, len, c->rx.max_payload, &t->out);
}

static bool v1_can_send(const struct transport *t)
{
    (void)t;
    return true;
}

static size_t v1_recv_buffered(const struct transport *t)
{
    return transport_v1_buffered(&((const struct v1_conn *)t)->rx);
}

static size_t v1_framed_len(const struct transport *t, const char *command, size_t payload_len)
{
    (void)t;
    (void)command;
    return TRANSPORT_V1_HEADER_LEN + payload_len;
}

static unsigned v1_version(const struct transport *t)
{
    (void)t;
    return 1;
}

static bool v1_session_id(const struct transport *t, uint8_t out32[32])
{
    (void)t;
    (void)out32;
    return false;
}

static bool v1_should_reconnect_v1(const struct transport *t)
{
    (void)t;
    return false;
}

static void v1_destroy(struct transport *t)
{
    struct v1_conn *c = (struct v1_conn *)t;
    transport_v1_clear(&c->rx);
    free(c);
}

static const struct transport_ops v1_ops = {
    .feed = v1_feed,
    .send = v1_send,
    .can_send = v1_can_send,
    .recv_buffered = v1_recv_buffered,
    .framed_len = v1_framed_len,
    .version = v1_version,
    .session_id = v1_session_id,
    .should_reconnect_v1 = v1_should_reconnect_v1,
    .destroy = v1_destroy,
};

struct transport *transport_v1_new(const uint8_t magic[4])
{
    struct v1_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    transport_base_init(&c->base, &v1_ops);
    transport_v1_init(&c->rx, magic, WIRE_MAX_PAYLOAD);
    return &c->base;
}
