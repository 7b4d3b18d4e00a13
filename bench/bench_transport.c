/* v1 against v2 (BIP324) on one connection, in memory, through the
 * transport interface the peer uses (send, bytes to send, feed, take, mark
 * sent): a 1 MB message and pings, each written by one end and read by the
 * other, so the figure is the work both peers do per message. The v2 pair
 * is an outbound transport against an inbound one that first checks for a
 * v1 peer, as a daemon's connections are.
 *
 *   bench_transport [--quick] */
#include "benchutil.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct link {
    struct transport *a, *b; /* a writes, b reads */
    const uint8_t *payload;
    size_t len;
};

/* Everything from has ready, fed to to; false if nothing was. */
static bool pump(struct transport *from, struct transport *to)
{
    size_t n, off = 0;
    const uint8_t *bytes = transport_bytes_to_send(from, &n);
    if (!n) return false;
    while (off < n) {
        size_t used;
        enum transport_status st = transport_feed(to, bytes + off, n - off, &used);
        off += used;
        struct transport_frame f;
        if (transport_take(to, &f)) transport_frame_free(&f);
        else if (st != TRANSPORT_NEED_MORE) abort();
    }
    transport_mark_sent(from, n);
    return true;
}

static void open_link(struct link *l, bool v2)
{
    const uint8_t *magic = netparams_get(NET_MAIN)->magic;
    l->a = v2 ? transport_v2_new(magic, true) : transport_v1_new(magic);
    l->b = v2 ? transport_v2_new(magic, false) : transport_v1_new(magic);
    if (!l->a || !l->b) abort();
    if (v2) {
        /* The inbound end answers only once it has seen a key. */
        bool moved = true;
        while (moved) {
            moved = pump(l->a, l->b);
            moved = pump(l->b, l->a) || moved;
        }
    }
    if (!transport_can_send(l->a) || !transport_can_send(l->b) ||
        transport_version(l->b) != (v2 ? 2u : 1u))
        abort();
}

static void one_message(void *arg)
{
    struct link *l = arg;
    if (transport_send(l->a, "block", l->payload, l->len) != TRANSPORT_OK) abort();
    size_t n, used;
    const uint8_t *bytes = transport_bytes_to_send(l->a, &n);
    struct transport_frame f;
    if (transport_feed(l->b, bytes, n, &used) != TRANSPORT_FRAME || used != n ||
        !transport_take(l->b, &f) || f.len != l->len)
        abort();
    transport_mark_sent(l->a, n);
    transport_frame_free(&f);
}

int main(int argc, char **argv)
{
    unsigned ms = (argc > 1 && strcmp(argv[1], "--quick") == 0) ? 200 : 2000;
    static uint8_t mb[1000000];
    for (size_t i = 0; i < sizeof mb; i++) mb[i] = (uint8_t)(i * 7);
    uint8_t ping[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (int v2 = 0; v2 < 2; v2++) {
        struct link l;
        memset(&l, 0, sizeof l);
        open_link(&l, v2);
        l.payload = mb;
        l.len = sizeof mb;
        double s = bench_run(one_message, &l, ms);
        printf("%s 1 MB message, write + read      %9.1f MB/s\n", v2 ? "v2" : "v1", 1.0 / s);
        l.payload = ping;
        l.len = sizeof ping;
        s = bench_run(one_message, &l, ms);
        printf("%s ping, write + read               %9.0f messages/s\n", v2 ? "v2" : "v1", 1.0 / s);
        transport_free(l.a);
        transport_free(l.b);
    }
    return 0;
}
