/* libFuzzer target for the BIP324 receive path. A responder with a fixed
 * key and garbage; the input is what its peer sends: the first 64 bytes as
 * the peer's key (any 64 bytes are a valid ElligatorSwift encoding), then
 * garbage, terminator search, length decryption and packet authentication.
 * The first input byte chooses the feed size, so every split is explored. */
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v2.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)data[0] % 97 + 1;
    data++;
    size--;
    static const uint8_t priv[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    static uint8_t ell[BIP324_ELLSWIFT_LEN];
    static bool have_key;
    if (!have_key) {
        if (ellswift_create(priv, ell) != BIP324_OK) abort();
        have_key = true;
    }
    struct transport_v2 t;
    struct buf_writer out;
    buf_writer_init(&out);
    if (transport_v2_init_with(&t, netparams_get(NET_REGTEST)->magic, false, priv, ell,
                               (const uint8_t *)"garbage", 7, &out) != TRANSPORT_OK)
        abort();
    size_t pos = 0;
    bool dead = false;
    while (pos < size && !dead) {
        size_t piece = size - pos < chunk ? size - pos : chunk;
        size_t off = 0;
        while (off < piece) {
            size_t used = 0;
            struct transport_frame f;
            buf_writer_reset(&out);
            int st = transport_v2_read(&t, data + pos + off, piece - off, &used, &f, &out);
            off += used;
            if (st == TRANSPORT_FRAME) transport_frame_free(&f);
            if (transport_v2_status_fatal(st)) {
                dead = true;
                break;
            }
            if (st == TRANSPORT_NEED_MORE && off != piece) abort();
        }
        pos += piece;
    }
    transport_v2_clear(&t);
    buf_writer_free(&out);
    return 0;
}
