/* BIP324 v2 codec: the state machine of key exchange, garbage and terminator,
 * version packet, then encrypted packets carrying messages. Follows Bitcoin
 * Core's V2Transport where the BIP leaves room: the first packet after the
 * terminator (decoy or not) authenticates the garbage, decoys before the
 * version packet are allowed, an unknown short id drops one message. The
 * packet buffer grows with the bytes that arrive, never with the length a
 * peer claims. */
#include <btcpeerd/random.h>
#include <btcpeerd/transport_v2.h>

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

#define PACKET_FIRST_ALLOC 65536u

static const char *const short_ids[] = {
    NULL,          "addr",        "block",      "blocktxn",     "cmpctblock", "feefilter",
    "filteradd",   "filterclear", "filterload", "getblocks",    "getblocktxn", "getdata",
    "getheaders",  "headers",     "inv",        "mempool",      "merkleblock", "notfound",
    "ping",        "pong",        "sendcmpct",  "tx",           "getcfilters", "cfilter",
    "getcfheaders", "cfheaders",  "getcfcheckpt", "cfcheckpt",  "addrv2",
};
#define SHORT_ID_COUNT (sizeof short_ids / sizeof short_ids[0])

uint8_t transport_v2_short_id(const char *command)
{
    for (size_t i = 1; i < SHORT_ID_COUNT; i++)
        if (strcmp(short_ids[i], command) == 0) return (uint8_t)i;
    return 0;
}

const char *transport_v2_short_command(uint8_t id)
{
    return id < SHORT_ID_COUNT ? short_ids[id] : NULL;
}

enum transport_status transport_v2_init_with(struct transport_v2 *t, const uint8_t magic[4],
                                             bool initiator, const uint8_t priv32[32],
                                             const uint8_t ell64[BIP324_ELLSWIFT_LEN],
                                             const uint8_t *garbage, size_t garbage_len,
                                             struct buf_writer *out)
{
    memset(t, 0, sizeof *t);
    if (garbage_len > TRANSPORT_V2_MAX_GARBAGE) return TRANSPORT_ERR_TOO_LONG;
    t->initiator = initiator;
    memcpy(t->magic, magic, 4);
    memcpy(t->our_priv, priv32, 32);
    memcpy(t->our_ell, ell64, BIP324_ELLSWIFT_LEN);
    if (garbage_len) memcpy(t->our_garbage, garbage, garbage_len);
    t->our_garbage_len = garbage_len;
    if (!buf_reserve(out, BIP324_ELLSWIFT_LEN + garbage_len) ||
        !buf_write_bytes(out, t->our_ell, BIP324_ELLSWIFT_LEN) ||
        !buf_write_bytes(out, t->our_garbage, garbage_len)) {
        transport_v2_clear(t);
        return TRANSPORT_ERR_NOMEM;
    }
    return TRANSPORT_OK;
}

enum transport_status transport_v2_init(struct transport_v2 *t, const uint8_t magic[4],
                                        bool initiator, struct buf_writer *out)
{
    uint8_t priv[32], ell[BIP324_ELLSWIFT_LEN], garbage[TRANSPORT_V2_MAX_GARBAGE];
    if (ellswift_keygen(priv, ell) != BIP324_OK) {
        OPENSSL_cleanse(priv, sizeof priv);
        memset(t, 0, sizeof *t);
        return TRANSPORT_ERR_CRYPTO;
    }
    /* Random length and bytes, so neither the handshake's size nor its
     * content gives the protocol away. */
    size_t garbage_len = (size_t)random_range(TRANSPORT_V2_MAX_GARBAGE + 1);
    random_bytes(garbage, garbage_len);
    enum transport_status rc =
        transport_v2_init_with(t, magic, initiator, priv, ell, garbage, garbage_len, out);
    OPENSSL_cleanse(priv, sizeof priv);
    return rc;
}

void transport_v2_clear(struct transport_v2 *t)
{
    if (t->buf) {
        OPENSSL_cleanse(t->buf, t->buf_cap);
        free(t->buf);
    }
    fschacha20_wipe(&t->send_l);
    fschacha20_wipe(&t->recv_l);
    fschacha20poly1305_wipe(&t->send_p);
    fschacha20poly1305_wipe(&t->recv_p);
    OPENSSL_cleanse(t, sizeof *t);
    t->buf = NULL;
}

bool transport_v2_established(const struct transport_v2 *t)
{
    return t->fatal == TRANSPORT_OK && t->state == TRANSPORT_V2_RECV_APP;
}

size_t transport_v2_buffered(const struct transport_v2 *t)
{
    switch (t->state) {
    case TRANSPORT_V2_RECV_KEY: return t->their_ell_have;
    case TRANSPORT_V2_RECV_GARBAGE: return t->hs_have;
    case TRANSPORT_V2_RECV_VERSION:
    case TRANSPORT_V2_RECV_APP: break;
    }
    return t->len_have + t->buf_have;
}

bool transport_v2_session_id(const struct transport_v2 *t, uint8_t out32[BIP324_SESSION_ID_LEN])
{
    if (!t->keyed) return false;
    memcpy(out32, t->session_id, BIP324_SESSION_ID_LEN);
    return true;
}

/* Drop every secret and buffered byte; the status sticks. */
static enum transport_status fatal(struct transport_v2 *t, enum transport_status status)
{
    transport_v2_clear(t);
    t->fatal = status;
    return status;
}

/* length ‖ AEAD(header ‖ type ‖ payload) appended to out, encrypted in
 * place in out's memory so a 4 MB payload is not copied twice. */
static enum transport_status write_packet(struct transport_v2 *t, uint8_t header,
                                          const uint8_t *type, size_t type_len,
                                          const uint8_t *payload, size_t len, const uint8_t *aad,
                                          size_t aad_len, struct buf_writer *out)
{
    size_t contents = type_len + len;
    size_t plain = TRANSPORT_V2_HEADER_LEN + contents;
    if (!buf_reserve(out, TRANSPORT_V2_LENGTH_LEN + plain + BIP324_TAG_LEN))
        return TRANSPORT_ERR_NOMEM;
    size_t start = out->len;
    uint8_t len3[TRANSPORT_V2_LENGTH_LEN] = {(uint8_t)contents, (uint8_t)(contents >> 8),
                                             (uint8_t)(contents >> 16)};
    if (fschacha20_crypt(&t->send_l, len3, len3, sizeof len3) != BIP324_OK)
        return TRANSPORT_ERR_CRYPTO;
    uint8_t tag_space[BIP324_TAG_LEN] = {0};
    if (!buf_write_bytes(out, len3, sizeof len3) || !buf_write_u8(out, header) ||
        !buf_write_bytes(out, type, type_len) || !buf_write_bytes(out, payload, len) ||
        !buf_write_bytes(out, tag_space, sizeof tag_space))
        return TRANSPORT_ERR_NOMEM;
    uint8_t *p = out->data + start + TRANSPORT_V2_LENGTH_LEN;
    if (fschacha20poly1305_encrypt(&t->send_p, aad, aad_len, p, plain, p) != BIP324_OK) {
        /* The plaintext must not go out by accident. */
        out->len = start;
        return TRANSPORT_ERR_CRYPTO;
    }
    return TRANSPORT_OK;
}

/* The peer's key is in: shared secret, keys, then our terminator and
 * version packet (empty contents, AAD = our garbage). */
static enum transport_status on_their_key(struct transport_v2 *t, struct buf_writer *out)
{
    uint8_t secret[32];
    struct bip324_keys keys;
    bip324_err err = bip324_ecdh(t->our_priv, t->our_ell, t->their_ell, t->initiator, secret);
    OPENSSL_cleanse(t->our_priv, sizeof t->our_priv);
    if (err == BIP324_OK) err = bip324_derive_keys(secret, t->magic, &keys);
    OPENSSL_cleanse(secret, sizeof secret);
    if (err != BIP324_OK) {
        bip324_keys_wipe(&keys);
        return TRANSPORT_FATAL_CRYPTO;
    }
    /* Each side sends with its own role's keys and terminator. */
    fschacha20_init(&t->send_l, t->initiator ? keys.initiator_l : keys.responder_l);
    fschacha20poly1305_init(&t->send_p, t->initiator ? keys.initiator_p : keys.responder_p);
    fschacha20_init(&t->recv_l, t->initiator ? keys.responder_l : keys.initiator_l);
    fschacha20poly1305_init(&t->recv_p, t->initiator ? keys.responder_p : keys.initiator_p);
    memcpy(t->their_terminator,
           t->initiator ? keys.responder_garbage_terminator : keys.initiator_garbage_terminator,
           BIP324_GARBAGE_TERMINATOR_LEN);
    const uint8_t *our_terminator =
        t->initiator ? keys.initiator_garbage_terminator : keys.responder_garbage_terminator;
    memcpy(t->session_id, keys.session_id, BIP324_SESSION_ID_LEN);
    t->keyed = true;
    enum transport_status rc = TRANSPORT_OK;
    if (!buf_write_bytes(out, our_terminator, BIP324_GARBAGE_TERMINATOR_LEN)) rc = TRANSPORT_FATAL_NOMEM;
    bip324_keys_wipe(&keys);
    if (rc != TRANSPORT_OK) return rc;
    rc = write_packet(t, 0, NULL, 0, NULL, 0, t->our_garbage, t->our_garbage_len, out);
    if (rc == TRANSPORT_ERR_NOMEM) return TRANSPORT_FATAL_NOMEM;
    if (rc != TRANSPORT_OK) return TRANSPORT_FATAL_CRYPTO;
    t->our_garbage_len = 0;
    t->state = TRANSPORT_V2_RECV_GARBAGE;
    return TRANSPORT_OK;
}

static bool grow_buf(struct transport_v2 *t, size_t need, size_t total)
{
    if (need <= t->buf_cap) return true;
    size_t cap = t->buf_cap ? t->buf_cap : PACKET_FIRST_ALLOC;
    while (cap < need) cap *= 2;
    if (cap > total) cap = total;
    uint8_t *p = realloc(t->buf, cap);
    if (!p) return false;
    t->buf = p;
    t->buf_cap = cap;
    return true;
}

static void reset_packet(struct transport_v2 *t)
{
    t->len_have = 0;
    t->contents_len = 0;
    t->buf_have = 0;
    /* A big buffer is not kept for the next, probably small, packet. */
    if (t->buf_cap > PACKET_FIRST_ALLOC) {
        OPENSSL_cleanse(t->buf, t->buf_cap);
        free(t->buf);
        t->buf = NULL;
        t->buf_cap = 0;
    }
}

/* The message type at the start of contents: a short id, or 0x00 and a
 * 12-byte NUL-padded command. Returns its encoded length, 0 if invalid. */
static size_t decode_type(const uint8_t *contents, size_t len, char command[WIRE_COMMAND_LEN + 1])
{
    command[0] = '\0';
    if (len == 0) return 0;
    if (contents[0] != 0) {
        const char *name = transport_v2_short_command(contents[0]);
        if (!name) return 0;
        strcpy(command, name);
        return 1;
    }
    if (len < 1 + WIRE_COMMAND_LEN || !wire_command_valid(contents + 1)) return 0;
    memcpy(command, contents + 1, WIRE_COMMAND_LEN);
    command[WIRE_COMMAND_LEN] = '\0';
    return 1 + WIRE_COMMAND_LEN;
}

/* A whole packet is buffered: authenticate, then skip it (decoy, version)
 * or hand out its message. Returns NEED_MORE when nothing is handed out. */
static enum transport_status finish_packet(struct transport_v2 *t, struct transport_frame *frame)
{
    const uint8_t *aad = t->their_aad_pending ? t->hs : NULL;
    size_t aad_len = t->their_aad_pending ? t->their_garbage_len : 0;
    bip324_err err = fschacha20poly1305_decrypt(&t->recv_p, aad, aad_len, t->buf, t->buf_have, t->buf);
    if (err == BIP324_ERR_AUTH) return fatal(t, TRANSPORT_FATAL_DECRYPT);
    if (err != BIP324_OK) return fatal(t, TRANSPORT_FATAL_CRYPTO);
    /* The garbage is authenticated now; it is not needed any more. */
    if (t->their_aad_pending) {
        t->their_aad_pending = false;
        OPENSSL_cleanse(t->hs, sizeof t->hs);
        t->their_garbage_len = 0;
    }
    bool decoy = (t->buf[0] & TRANSPORT_V2_DECOY_BIT) != 0;
    if (decoy || t->state == TRANSPORT_V2_RECV_VERSION) {
        /* The version packet's contents are reserved for future
         * extensions: ignored, as the BIP says. */
        if (!decoy) t->state = TRANSPORT_V2_RECV_APP;
        reset_packet(t);
        return TRANSPORT_NEED_MORE;
    }
    const uint8_t *contents = t->buf + TRANSPORT_V2_HEADER_LEN;
    size_t type_len = decode_type(contents, t->contents_len, frame->command);
    frame->payload = NULL;
    frame->len = 0;
    if (type_len == 0) {
        reset_packet(t);
        return TRANSPORT_DROP_COMMAND;
    }
    size_t plen = t->contents_len - type_len;
    if (plen) {
        /* Move the payload to the front and hand the buffer over. */
        memmove(t->buf, contents + type_len, plen);
        frame->payload = t->buf;
        frame->len = plen;
        t->buf = NULL;
        t->buf_cap = 0;
    }
    reset_packet(t);
    return TRANSPORT_FRAME;
}

enum transport_status transport_v2_read(struct transport_v2 *t, const uint8_t *in, size_t len,
                                        size_t *consumed, struct transport_frame *frame,
                                        struct buf_writer *out)
{
    size_t used = 0;
    *consumed = 0;
    if (t->fatal != TRANSPORT_OK) return t->fatal;
    while (used < len) {
        if (t->state == TRANSPORT_V2_RECV_KEY) {
            size_t take = BIP324_ELLSWIFT_LEN - t->their_ell_have;
            if (take > len - used) take = len - used;
            memcpy(t->their_ell + t->their_ell_have, in + used, take);
            t->their_ell_have += take;
            used += take;
            if (t->their_ell_have < BIP324_ELLSWIFT_LEN) continue;
            enum transport_status rc = on_their_key(t, out);
            if (rc != TRANSPORT_OK) {
                *consumed = used;
                return fatal(t, rc);
            }
            continue;
        }
        if (t->state == TRANSPORT_V2_RECV_GARBAGE) {
            /* One byte at a time: the terminator may end anywhere, and
             * nothing after it belongs to the garbage. */
            t->hs[t->hs_have++] = in[used++];
            if (t->hs_have >= BIP324_GARBAGE_TERMINATOR_LEN &&
                memcmp(t->hs + t->hs_have - BIP324_GARBAGE_TERMINATOR_LEN, t->their_terminator,
                       BIP324_GARBAGE_TERMINATOR_LEN) == 0) {
                t->their_garbage_len = t->hs_have - BIP324_GARBAGE_TERMINATOR_LEN;
                t->their_aad_pending = true;
                t->state = TRANSPORT_V2_RECV_VERSION;
            } else if (t->hs_have == sizeof t->hs) {
                *consumed = used;
                return fatal(t, TRANSPORT_FATAL_HANDSHAKE);
            }
            continue;
        }
        if (t->len_have < TRANSPORT_V2_LENGTH_LEN) {
            size_t take = TRANSPORT_V2_LENGTH_LEN - t->len_have;
            if (take > len - used) take = len - used;
            memcpy(t->len_bytes + t->len_have, in + used, take);
            t->len_have += take;
            used += take;
            if (t->len_have < TRANSPORT_V2_LENGTH_LEN) continue;
            if (fschacha20_crypt(&t->recv_l, t->len_bytes, t->len_bytes, TRANSPORT_V2_LENGTH_LEN) !=
                BIP324_OK) {
                *consumed = used;
                return fatal(t, TRANSPORT_FATAL_CRYPTO);
            }
            t->contents_len = (uint32_t)t->len_bytes[0] | (uint32_t)t->len_bytes[1] << 8 |
                              (uint32_t)t->len_bytes[2] << 16;
            if (t->contents_len > TRANSPORT_V2_MAX_CONTENTS) {
                *consumed = used;
                return fatal(t, TRANSPORT_FATAL_OVERSIZE);
            }
            t->buf_have = 0;
            continue;
        }
        size_t total = TRANSPORT_V2_HEADER_LEN + t->contents_len + BIP324_TAG_LEN;
        size_t take = total - t->buf_have;
        if (take > len - used) take = len - used;
        if (!grow_buf(t, t->buf_have + take, total)) {
            *consumed = used;
            return fatal(t, TRANSPORT_FATAL_NOMEM);
        }
        memcpy(t->buf + t->buf_have, in + used, take);
        t->buf_have += take;
        used += take;
        if (t->buf_have < total) continue;
        enum transport_status st = finish_packet(t, frame);
        if (st != TRANSPORT_NEED_MORE) {
            *consumed = used;
            return st;
        }
    }
    *consumed = used;
    return TRANSPORT_NEED_MORE;
}

enum transport_status transport_v2_write(struct transport_v2 *t, const char *command,
                                         const uint8_t *payload, size_t len,
                                         struct buf_writer *out)
{
    size_t n;
    if (!t->keyed || t->fatal != TRANSPORT_OK) return TRANSPORT_ERR_NOT_READY;
    if (!wire_command_name_ok(command, &n)) return TRANSPORT_ERR_COMMAND;
    if (len > WIRE_MAX_PAYLOAD) return TRANSPORT_ERR_TOO_LONG;
    uint8_t type[1 + WIRE_COMMAND_LEN] = {0};
    size_t type_len = 1;
    type[0] = transport_v2_short_id(command);
    if (type[0] == 0) {
        memcpy(type + 1, command, n);
        type_len = 1 + WIRE_COMMAND_LEN;
    }
    return write_packet(t, 0, type, type_len, payload, len, NULL, 0, out);
}

enum transport_status transport_v2_write_contents(struct transport_v2 *t, const uint8_t *contents,
                                                  size_t len, struct buf_writer *out)
{
    if (!t->keyed || t->fatal != TRANSPORT_OK) return TRANSPORT_ERR_NOT_READY;
    if (len > TRANSPORT_V2_MAX_CONTENTS) return TRANSPORT_ERR_TOO_LONG;
    return write_packet(t, 0, NULL, 0, contents, len, NULL, 0, out);
}

enum transport_status transport_v2_write_decoy(struct transport_v2 *t, size_t len,
                                               struct buf_writer *out)
{
    if (!t->keyed || t->fatal != TRANSPORT_OK) return TRANSPORT_ERR_NOT_READY;
    if (len > TRANSPORT_V2_MAX_CONTENTS) return TRANSPORT_ERR_TOO_LONG;
    uint8_t *junk = malloc(len ? len : 1);
    if (!junk) return TRANSPORT_ERR_NOMEM;
    random_bytes(junk, len);
    enum transport_status rc = write_packet(t, TRANSPORT_V2_DECOY_BIT, NULL, 0, junk, len, NULL, 0, out);
    free(junk);
    return rc;
}
