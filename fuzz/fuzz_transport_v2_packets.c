/* libFuzzer target for what BIP324 packets carry, past authentication. A
 * fuzzer cannot forge a Poly1305 tag, so fuzz_transport_v2 stops at the
 * first packet; here both ends have fixed keys and garbage, the harness
 * plays the initiator through the handshake, and then encrypts the input's
 * packets itself (length, header byte, contents: any short id, any long
 * command, any payload, decoys) with the initiator's keys. The responder
 * must decode them, drop or fail cleanly, in any split of the stream.
 *
 * Input: one byte for the feed size, then packets, each a header byte, a
 * 16-bit little-endian contents length (cut to what remains) and the
 * contents. */
#include <btcpeerd/buf.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v2.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t garbage_i[] = "initiator garbage";
static const uint8_t garbage_r[] = "responder";

/* Feed all of in to t; false once t failed. Frames are decoded and freed. */
static bool feed(struct transport_v2 *t, const uint8_t *in, size_t len, size_t chunk,
                 struct buf_writer *out)
{
    size_t pos = 0;
    while (pos < len) {
        size_t piece = len - pos < chunk ? len - pos : chunk, off = 0;
        while (off < piece) {
            size_t used = 0;
            struct transport_frame f;
            enum transport_status st = transport_v2_read(t, in + pos + off, piece - off, &used, &f, out);
            off += used;
            if (st == TRANSPORT_FRAME) transport_frame_free(&f);
            if (transport_status_fatal(st)) return false;
            if (st == TRANSPORT_NEED_MORE && off != piece) abort();
        }
        pos += piece;
    }
    return true;
}

/* Initiator and responder through the handshake: both established. */
static void handshake(struct transport_v2 *ini, struct transport_v2 *res)
{
    static uint8_t priv_i[32] = {7}, priv_r[32] = {9};
    static uint8_t ell_i[BIP324_ELLSWIFT_LEN], ell_r[BIP324_ELLSWIFT_LEN];
    static bool have;
    if (!have) {
        if (ellswift_create(priv_i, ell_i) != BIP324_OK || ellswift_create(priv_r, ell_r) != BIP324_OK)
            abort();
        have = true;
    }
    const uint8_t *magic = netparams_get(NET_REGTEST)->magic;
    struct buf_writer to_r, to_i, none;
    buf_writer_init(&to_r);
    buf_writer_init(&to_i);
    buf_writer_init(&none);
    if (transport_v2_init_with(ini, magic, true, priv_i, ell_i, garbage_i, sizeof garbage_i, &to_r) !=
            TRANSPORT_OK ||
        transport_v2_init_with(res, magic, false, priv_r, ell_r, garbage_r, sizeof garbage_r, &to_i) !=
            TRANSPORT_OK)
        abort();
    /* keys and garbage cross; each answers with terminator and version */
    size_t sent_r = to_r.len;
    if (!feed(res, to_r.data, to_r.len, to_r.len, &to_i) || !feed(ini, to_i.data, to_i.len, to_i.len, &to_r))
        abort();
    if (!feed(res, to_r.data + sent_r, to_r.len - sent_r, to_r.len, &none)) abort();
    if (!transport_v2_established(ini) || !transport_v2_established(res)) abort();
    buf_writer_free(&to_r);
    buf_writer_free(&to_i);
    buf_writer_free(&none);
}

/* One packet with the initiator's keys, as BIP324 frames it: the contents'
 * length (3 bytes, encrypted alone), then header ‖ contents ‖ tag. */
static bool seal(struct transport_v2 *ini, uint8_t header, const uint8_t *contents, size_t len,
                 struct buf_writer *out)
{
    uint8_t len3[3] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16)};
    if (fschacha20_crypt(&ini->send_l, len3, len3, sizeof len3) != BIP324_OK) return false;
    size_t plain = 1 + len;
    uint8_t *p = malloc(plain + BIP324_TAG_LEN);
    if (!p) return false;
    p[0] = header;
    if (len) memcpy(p + 1, contents, len);
    bool ok = fschacha20poly1305_encrypt(&ini->send_p, NULL, 0, p, plain, p) == BIP324_OK &&
              buf_write_bytes(out, len3, sizeof len3) && buf_write_bytes(out, p, plain + BIP324_TAG_LEN);
    free(p);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] % 97 + 1;
    data++;
    size--;
    struct transport_v2 ini, res;
    handshake(&ini, &res);
    struct buf_writer stream, out;
    buf_writer_init(&stream);
    buf_writer_init(&out);
    size_t pos = 0;
    while (pos + 3 <= size) {
        uint8_t header = data[pos];
        size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
        pos += 3;
        if (len > size - pos) len = size - pos;
        if (!seal(&ini, header, data + pos, len, &stream)) abort();
        pos += len;
    }
    (void)feed(&res, stream.data, stream.len, chunk, &out);
    buf_writer_free(&stream);
    buf_writer_free(&out);
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
    return 0;
}
