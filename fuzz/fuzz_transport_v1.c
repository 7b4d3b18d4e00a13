/* libFuzzer target for the v1 stream, through the transport interface. The
 * first bytes choose how the rest is cut into feeds (so every split of the
 * stream is explored); every frame is decoded and freed. Then a frame
 * written by the codec from fuzzer-chosen command and payload must read
 * back exactly. */
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/transport_v1.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_stream(const uint8_t *data, size_t size)
{
    if (size < 2) return;
    size_t chunk = (size_t)data[0] % 64 + 1;
    data += 1;
    size -= 1;
    /* Through the transport interface, as the daemon reads a v1 peer. */
    struct transport *t = transport_v1_new(netparams_get(NET_REGTEST)->magic);
    if (!t) abort();
    size_t pos = 0;
    while (pos < size) {
        size_t piece = size - pos < chunk ? size - pos : chunk;
        size_t off = 0;
        while (off < piece) {
            size_t used;
            enum transport_status st = transport_feed(t, data + pos + off, piece - off, &used);
            off += used;
            struct transport_frame f;
            bool took = transport_take(t, &f);
            if (took != (st == TRANSPORT_FRAME || st == TRANSPORT_DROP_CHECKSUM ||
                         st == TRANSPORT_DROP_COMMAND))
                abort();
            if (st == TRANSPORT_FRAME) {
                struct wire_msg msg;
                if (wire_decode(f.command, f.payload, f.len, &msg) == WIRE_OK) wire_msg_free(&msg);
            }
            if (took) transport_frame_free(&f);
            if (transport_status_fatal(st)) {
                transport_free(t);
                return;
            }
            if (st == TRANSPORT_NEED_MORE && off != piece) abort(); /* NEED_MORE: everything consumed */
        }
        pos += piece;
    }
    if (transport_recv_buffered(t) > size) abort();
    transport_free(t);
}

static void write_then_read(const uint8_t *data, size_t size)
{
    if (size < 1) return;
    size_t cmd_len = (size_t)data[0] % 13;
    if (size < 1 + cmd_len) return;
    char command[13] = {0};
    memcpy(command, data + 1, cmd_len);
    const uint8_t *payload = data + 1 + cmd_len;
    size_t len = size - 1 - cmd_len;
    struct buf_writer w;
    buf_writer_init(&w);
    const uint8_t *magic = netparams_get(NET_MAIN)->magic;
    if (transport_v1_write(magic, command, payload, len, WIRE_MAX_PAYLOAD, &w) == TRANSPORT_OK) {
        struct transport_v1 t;
        transport_v1_init(&t, magic, WIRE_MAX_PAYLOAD);
        size_t used;
        struct transport_frame f;
        if (transport_v1_read(&t, w.data, w.len, &used, &f) != TRANSPORT_FRAME || used != w.len ||
            strcmp(f.command, command) != 0 || f.len != len ||
            (len && memcmp(f.payload, payload, len) != 0))
            abort();
        transport_frame_free(&f);
        transport_v1_clear(&t);
    }
    buf_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_stream(data, size);
    write_then_read(data, size);
    return 0;
}
