/* v1 against v2 (BIP324) on one connection, in memory: a 1 MB message and
 * pings, each written by one end and read by the other, so the figure is
 * the work both peers do per message.
 *
 *   bench_transport [--quick] */
#include "benchutil.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/transport_v2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct link {
    bool v2;
    struct transport_v1 rx1;
    struct transport_v2 a, b; /* a writes, b reads */
    struct buf_writer wire, scratch;
    const uint8_t *payload;
    size_t len;
};

static void pump_v2_handshake(struct link *l)
{
    struct buf_writer ab, ba;
    buf_writer_init(&ab);
    buf_writer_init(&ba);
    const uint8_t *magic = netparams_get(NET_MAIN)->magic;
    if (transport_v2_init(&l->a, magic, true, &ab) != TRANSPORT_OK ||
        transport_v2_init(&l->b, magic, false, &ba) != TRANSPORT_OK)
        abort();
    for (int round = 0; round < 8; round++) {
        struct buf_writer *bufs[2] = {&ab, &ba};
        struct transport_v2 *to[2] = {&l->b, &l->a};
        struct buf_writer *reply[2] = {&ba, &ab};
        for (int d = 0; d < 2; d++) {
            struct buf_writer in;
            buf_writer_init(&in);
            buf_write_bytes(&in, bufs[d]->data, bufs[d]->len);
            buf_writer_reset(bufs[d]);
            size_t off = 0;
            while (off < in.len) {
                size_t used;
                struct transport_frame f;
                int st = transport_v2_read(to[d], in.data + off, in.len - off, &used, &f, reply[d]);
                off += used;
                if (st == TRANSPORT_FRAME) transport_frame_free(&f);
                if (used == 0) break;
            }
            buf_writer_free(&in);
        }
    }
    buf_writer_free(&ab);
    buf_writer_free(&ba);
    if (!transport_v2_established(&l->a) || !transport_v2_established(&l->b)) abort();
}

static void one_message(void *arg)
{
    struct link *l = arg;
    buf_writer_reset(&l->wire);
    struct transport_frame f;
    size_t used;
    int st;
    if (l->v2) {
        if (transport_v2_write(&l->a, "block", l->payload, l->len, &l->wire) != TRANSPORT_OK) abort();
        buf_writer_reset(&l->scratch);
        st = transport_v2_read(&l->b, l->wire.data, l->wire.len, &used, &f, &l->scratch);
    } else {
        const uint8_t *magic = netparams_get(NET_MAIN)->magic;
        if (transport_v1_write(magic, "block", l->payload, l->len, WIRE_MAX_PAYLOAD, &l->wire) != TRANSPORT_OK)
            abort();
        st = transport_v1_read(&l->rx1, l->wire.data, l->wire.len, &used, &f);
    }
    if (st != TRANSPORT_FRAME || f.len != l->len) abort();
    transport_frame_free(&f);
}

int main(int argc, char **argv)
{
    unsigned ms = (argc > 1 && strcmp(argv[1], "--quick") == 0) ? 200 : 2000;
    static uint8_t mb[1000000];
    for (size_t i = 0; i < sizeof mb; i++) mb[i] = (uint8_t)(i * 7);
    uint8_t ping[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct link l;
    memset(&l, 0, sizeof l);
    buf_writer_init(&l.wire);
    buf_writer_init(&l.scratch);
    transport_v1_init(&l.rx1, netparams_get(NET_MAIN)->magic, WIRE_MAX_PAYLOAD);
    pump_v2_handshake(&l);
    for (int v2 = 0; v2 < 2; v2++) {
        l.v2 = v2;
        l.payload = mb;
        l.len = sizeof mb;
        double s = bench_run(one_message, &l, ms);
        printf("%s 1 MB message, write + read      %9.1f MB/s\n", v2 ? "v2" : "v1", 1.0 / s);
        l.payload = ping;
        l.len = sizeof ping;
        s = bench_run(one_message, &l, ms);
        printf("%s ping, write + read               %9.0f messages/s\n", v2 ? "v2" : "v1", 1.0 / s);
    }
    transport_v1_clear(&l.rx1);
    transport_v2_clear(&l.a);
    transport_v2_clear(&l.b);
    buf_writer_free(&l.wire);
    buf_writer_free(&l.scratch);
    return 0;
}
