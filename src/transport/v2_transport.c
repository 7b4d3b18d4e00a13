/* The transport interface's v2 (transport_v2_new): BIP324 over the codec
 * in v2.c, with what Bitcoin Core's V2Transport does around it, so that
 * the owner never has to tell v1 from v2 itself:
 *   responder: the first 16 bytes decide. Our magic ‖ "version" ‖ NULs is
 *              a v1 peer: the transport turns itself into v1 (those bytes
 *              replayed into the v1 codec) and stays v1. The same prefix
 *              with another network's magic is a v1 peer on the wrong
 *              network: FATAL_MAGIC. Anything else is an initiator's key,
 *              and only then are our key and garbage queued, so a v1 peer
 *              never receives them.
 *   initiator: our key and garbage are queued at once. An answer that
 *              starts with our v1 magic is a v1 node that speaks first
 *              (bcoin does; a BIP324 key never starts so): FATAL_V1_ANSWER.
 *              That, or no answer at all, is what should_reconnect_v1
 *              reports. */
#include "transport_impl.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/transport_v2.h>

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

#define V1_PREFIX_LEN 16u

static const uint8_t version_command[WIRE_COMMAND_LEN] = "version";

enum v2_mode {
    V2_DETECTING = 0, /* responder: first bytes not yet classified */
    V2_SPEAKING,      /* BIP324 */
    V2_FELL_BACK,     /* responder: the peer spoke v1 */
};

/* A key and garbage chosen by the caller (transport_v2_new_with). */
struct v2_choice {
    uint8_t priv[32];
    uint8_t ell[BIP324_ELLSWIFT_LEN];
    uint8_t garbage[TRANSPORT_V2_MAX_GARBAGE];
    size_t garbage_len;
};

struct v2_conn {
    struct transport base;
    uint8_t magic[4];
    bool initiator;
    enum v2_mode mode;
    enum transport_status fatal; /* our own fatal status (bad magic, v1 answer), TRANSPORT_OK if none */
    uint8_t prefix[V1_PREFIX_LEN];
    uint8_t prefix_have;
    bool received;               /* initiator: a byte of the answer was consumed */
    bool v1_answer;              /* initiator: the answer was v1 */
    struct v2_choice *choice;    /* NULL: a fresh random key */
    struct transport_v2 *v2;     /* allocated when BIP324 is spoken (it is 8 KB) */
    struct transport_v1 v1;      /* after falling back */
};

static enum transport_status set_fatal(struct v2_conn *c, enum transport_status st)
{
    c->fatal = st;
    return st;
}

/* Our key and garbage, queued for sending. */
static enum transport_status start_v2(struct v2_conn *c)
{
    c->v2 = calloc(1, sizeof *c->v2);
    if (!c->v2) return TRANSPORT_ERR_NOMEM;
    const struct v2_choice *ch = c->choice;
    enum transport_status rc =
        ch ? transport_v2_init_with(c->v2, c->magic, c->initiator, ch->priv, ch->ell, ch->garbage,
                                    ch->garbage_len, &c->base.out)
           : transport_v2_init(c->v2, c->magic, c->initiator, &c->base.out);
    if (rc != TRANSPORT_OK) {
        free(c->v2);
        c->v2 = NULL;
    }
    return rc;
}

/* The responder's first bytes: buffer until the 16-byte v1 prefix either
 * matches or cannot, then replay them into the transport chosen. */
static enum transport_status detect(struct v2_conn *c, const uint8_t *in, size_t len,
                                    size_t *consumed, struct transport_frame *out)
{
    size_t take = V1_PREFIX_LEN - c->prefix_have;
    if (take > len) take = len;
    memcpy(c->prefix + c->prefix_have, in, take);
    c->prefix_have = (uint8_t)(c->prefix_have + take);
    *consumed = take;
    size_t have = c->prefix_have;
    bool command_so_far = have <= 4 || memcmp(c->prefix + 4, version_command, have - 4) == 0;
    bool v1 = memcmp(c->prefix, c->magic, have < 4 ? have : 4) == 0 && command_so_far;
    bool other_net = !v1 && have >= 4 && command_so_far && netparams_by_magic(c->prefix) != NULL;
    if ((v1 || other_net) && have < V1_PREFIX_LEN) return TRANSPORT_NEED_MORE; /* wait and see */
    if (other_net) return set_fatal(c, TRANSPORT_FATAL_MAGIC);
    size_t used = 0;
    enum transport_status st;
    if (v1) {
        c->mode = V2_FELL_BACK;
        st = transport_v1_read(&c->v1, c->prefix, have, &used, out);
    } else {
        enum transport_status rc = start_v2(c);
        if (rc != TRANSPORT_OK)
            return set_fatal(c, rc == TRANSPORT_ERR_NOMEM ? TRANSPORT_FATAL_NOMEM : TRANSPORT_FATAL_CRYPTO);
        c->mode = V2_SPEAKING;
        st = transport_v2_read(c->v2, c->prefix, have, &used, out, &c->base.out);
    }
    /* 16 bytes hold neither a v1 header nor a v2 key: no frame yet. */
    if (st == TRANSPORT_FRAME) {
        transport_frame_free(out);
        st = TRANSPORT_NEED_MORE;
    }
    return st;
}

static enum transport_status v2_feed(struct transport *t, const uint8_t *in, size_t len,
                                     size_t *consumed, struct transport_frame *out)
{
    struct v2_conn *c = (struct v2_conn *)t;
    *consumed = 0;
    if (c->fatal != TRANSPORT_OK) return c->fatal;
    switch (c->mode) {
    case V2_DETECTING: {
        enum transport_status st = detect(c, in, len, consumed, out);
        if (st != TRANSPORT_NEED_MORE || c->mode == V2_DETECTING || *consumed == len) return st;
        /* Decided: the rest goes to the transport chosen, so NEED_MORE
         * still means all input was consumed. */
        size_t more = 0;
        st = v2_feed(t, in + *consumed, len - *consumed, &more, out);
        *consumed += more;
        return st;
    }
    case V2_FELL_BACK: return transport_v1_read(&c->v1, in, len, consumed, out);
    case V2_SPEAKING: break;
    }
    if (c->initiator && !c->received && len >= 4 && memcmp(in, c->magic, 4) == 0) {
        c->v1_answer = true;
        return set_fatal(c, TRANSPORT_FATAL_V1_ANSWER);
    }
    enum transport_status st = transport_v2_read(c->v2, in, len, consumed, out, &t->out);
    if (*consumed) c->received = true;
    return st;
}

static enum transport_status v2_send(struct transport *t, const char *command,
                                     const uint8_t *payload, size_t len)
{
    struct v2_conn *c = (struct v2_conn *)t;
    switch (c->mode) {
    case V2_DETECTING: return TRANSPORT_ERR_NOT_READY;
    case V2_FELL_BACK:
        return transport_v1_write(c->magic, command, payload, len, WIRE_MAX_PAYLOAD, &t->out);
    case V2_SPEAKING: break;
    }
    return transport_v2_write(c->v2, command, payload, len, &t->out);
}

static bool v2_can_send(const struct transport *t)
{
    const struct v2_conn *c = (const struct v2_conn *)t;
    if (c->fatal != TRANSPORT_OK) return false;
    switch (c->mode) {
    case V2_DETECTING: return false;
    case V2_FELL_BACK: return true;
    case V2_SPEAKING: break;
    }
    return c->v2->keyed && c->v2->fatal == TRANSPORT_OK;
}

static size_t v2_recv_buffered(const struct transport *t)
{
    const struct v2_conn *c = (const struct v2_conn *)t;
    switch (c->mode) {
    case V2_DETECTING: return c->prefix_have;
    case V2_FELL_BACK: return transport_v1_buffered(&c->v1);
    case V2_SPEAKING: break;
    }
    return transport_v2_buffered(c->v2);
}

static size_t v2_framed_len(const struct transport *t, const char *command, size_t payload_len)
{
    const struct v2_conn *c = (const struct v2_conn *)t;
    if (c->mode != V2_SPEAKING) return TRANSPORT_V1_HEADER_LEN + payload_len;
    /* Assumes the sender used the short id when there is one (BIP324 says
     * it should; Core does). */
    size_t id_len = transport_v2_short_id(command) ? 1u : 1u + WIRE_COMMAND_LEN;
    return TRANSPORT_V2_LENGTH_LEN + TRANSPORT_V2_HEADER_LEN + id_len + payload_len + BIP324_TAG_LEN;
}

static unsigned v2_version(const struct transport *t)
{
    return ((const struct v2_conn *)t)->mode == V2_SPEAKING ? 2 : 1;
}

static bool v2_session_id(const struct transport *t, uint8_t out32[32])
{
    const struct v2_conn *c = (const struct v2_conn *)t;
    return c->mode == V2_SPEAKING && transport_v2_session_id(c->v2, out32);
}

static bool v2_should_reconnect_v1(const struct transport *t)
{
    const struct v2_conn *c = (const struct v2_conn *)t;
    return c->initiator && (c->v1_answer || !c->received);
}

static void v2_destroy(struct transport *t)
{
    struct v2_conn *c = (struct v2_conn *)t;
    if (c->v2) {
        transport_v2_clear(c->v2);
        free(c->v2);
    }
    transport_v1_clear(&c->v1);
    if (c->choice) {
        OPENSSL_cleanse(c->choice, sizeof *c->choice);
        free(c->choice);
    }
    free(c);
}

static const struct transport_ops v2_ops = {
    .feed = v2_feed,
    .send = v2_send,
    .can_send = v2_can_send,
    .recv_buffered = v2_recv_buffered,
    .framed_len = v2_framed_len,
    .version = v2_version,
    .session_id = v2_session_id,
    .should_reconnect_v1 = v2_should_reconnect_v1,
    .destroy = v2_destroy,
};

static struct transport *v2_new(const uint8_t magic[4], bool initiator, struct v2_choice *choice)
{
    struct v2_conn *c = calloc(1, sizeof *c);
    if (!c) {
        if (choice) OPENSSL_cleanse(choice, sizeof *choice);
        free(choice);
        return NULL;
    }
    transport_base_init(&c->base, &v2_ops);
    memcpy(c->magic, magic, 4);
    c->initiator = initiator;
    c->choice = choice;
    transport_v1_init(&c->v1, magic, WIRE_MAX_PAYLOAD);
    c->mode = V2_DETECTING;
    if (initiator) {
        if (start_v2(c) != TRANSPORT_OK) {
            transport_free(&c->base);
            return NULL;
        }
        c->mode = V2_SPEAKING;
    }
    return &c->base;
}

struct transport *transport_v2_new(const uint8_t magic[4], bool initiator)
{
    return v2_new(magic, initiator, NULL);
}

struct transport *transport_v2_new_with(const uint8_t magic[4], bool initiator,
                                        const uint8_t priv32[32],
                                        const uint8_t ell64[BIP324_ELLSWIFT_LEN],
                                        const uint8_t *garbage, size_t garbage_len)
{
    if (garbage_len > TRANSPORT_V2_MAX_GARBAGE) return NULL;
    struct v2_choice *ch = calloc(1, sizeof *ch);
    if (!ch) return NULL;
    memcpy(ch->priv, priv32, sizeof ch->priv);
    memcpy(ch->ell, ell64, sizeof ch->ell);
    if (garbage_len) memcpy(ch->garbage, garbage, garbage_len);
    ch->garbage_len = garbage_len;
    return v2_new(magic, initiator, ch);
}
