/* libFuzzer target for an inbound v2 transport, as the daemon makes one
 * for every accepted connection (transport_v2_new, here with a fixed key
 * and garbage so runs reproduce). The input is what the peer sends: the
 * first 16 bytes decide between a v1 peer (the transport falls back to the
 * v1 codec), a peer of another network (bad magic) and a v2 key; then, on
 * v2, the key (any 64 bytes are a valid ElligatorSwift encoding), garbage,
 * terminator search, length decryption and packet authentication. The
 * first input byte chooses the feed size, so every split is explored.
 * Checked on the way: NEED_MORE means all input was consumed, a frame or a
 * drop is always there to take, and the bytes to answer are bounded. */
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>
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
    struct transport *t = transport_v2_new_with(netparams_get(NET_REGTEST)->magic, false, priv, ell,
                                                (const uint8_t *)"garbage", 7);
    if (!t) abort();
    size_t pos = 0;
    bool dead = false;
    while (pos < size && !dead) {
        size_t piece = size - pos < chunk ? size - pos : chunk;
        size_t off = 0;
        while (off < piece) {
            size_t used = 0;
            enum transport_status st = transport_feed(t, data + pos + off, piece - off, &used);
            off += used;
            struct transport_frame f;
            bool took = transport_take(t, &f);
            if (took) transport_frame_free(&f);
            if (took != (st == TRANSPORT_FRAME || st == TRANSPORT_DROP_CHECKSUM ||
                         st == TRANSPORT_DROP_COMMAND))
                abort();
            /* Our key, garbage, terminator and version packet at most. */
            size_t n;
            transport_bytes_to_send(t, &n);
            if (n > BIP324_ELLSWIFT_LEN + 7 + BIP324_GARBAGE_TERMINATOR_LEN + 3 + 1 + BIP324_TAG_LEN)
                abort();
            transport_mark_sent(t, n);
            if (transport_status_fatal(st)) {
                dead = true;
                break;
            }
            if (st == TRANSPORT_NEED_MORE && off != piece) abort();
        }
        pos += piece;
    }
    if (transport_recv_buffered(t) > size) abort();
    transport_free(t);
    return 0;
}
