/* Codec throughput, each figure beside raw SHA-256d of the same bytes in the
 * same run (the floor any validating consumer pays anyway):
 *   decode of a 2,000-header `headers` (real mainnet headers),
 *   decode of a 50,000-entry `inv`,
 *   v1 framing with checksum (write) and v1 reading, for the headers
 *   payload and for 1 MB.
 *
 *   bench_wire [--quick]     (run from the build directory) */
#include "benchutil.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bytes {
    const uint8_t *data;
    size_t len;
    const char *command;
    struct buf_writer *out;
};

static volatile uint8_t sink;

static void run_sha256d(void *arg)
{
    struct bytes *b = arg;
    uint8_t h[32];
    sha256d(b->data, b->len, h);
    sink ^= h[0];
}

static void run_decode(void *arg)
{
    struct bytes *b = arg;
    struct wire_msg msg;
    if (wire_decode(b->command, b->data, b->len, &msg) != WIRE_OK) abort();
    wire_msg_free(&msg);
}

static void run_frame_write(void *arg)
{
    struct bytes *b = arg;
    buf_writer_reset(b->out);
    if (transport_v1_write(netparams_get(NET_MAIN)->magic, b->command, b->data, b->len,
                           WIRE_MAX_PAYLOAD, b->out) != TRANSPORT_OK)
        abort();
}

static void run_frame_read(void *arg)
{
    struct bytes *b = arg; /* data is a whole frame here */
    struct transport_v1 t;
    transport_v1_init(&t, netparams_get(NET_MAIN)->magic, WIRE_MAX_PAYLOAD);
    size_t used;
    struct transport_frame f;
    if (transport_v1_read(&t, b->data, b->len, &used, &f) != TRANSPORT_FRAME) abort();
    transport_frame_free(&f);
    transport_v1_clear(&t);
}

static uint8_t *read_headers(size_t *len)
{
    const char *path = BTCPEERD_VECTORS_DIR "/headers/mainnet-0-10236.bin";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    uint8_t *data = malloc(2000 * 80);
    if (fread(data, 80, 2000, f) != 2000) exit(1);
    fclose(f);
    /* as a `headers` payload: count, then each header and a zero tx count */
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_compact(&w, 2000);
    for (size_t i = 0; i < 2000; i++) {
        buf_write_bytes(&w, data + i * 80, 80);
        buf_write_u8(&w, 0);
    }
    free(data);
    return buf_writer_steal(&w, len);
}

static uint8_t *make_inv(size_t *len)
{
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_compact(&w, 50000);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < 50000; i++) {
        buf_write_u32le(&w, WIRE_INV_WITNESS_TX);
        for (int k = 0; k < 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf_write_u64le(&w, x);
        }
    }
    return buf_writer_steal(&w, len);
}

static void pair(const char *label, void (*fn)(void *), struct bytes *b, unsigned ms)
{
    char name[96];
    bench_report_mbps(label, b->len, bench_run(fn, b, ms));
    snprintf(name, sizeof name, "  sha256d of the same %zu bytes", b->len);
    bench_report_mbps(name, b->len, bench_run(run_sha256d, b, ms));
}

int main(int argc, char **argv)
{
    unsigned ms = (argc > 1 && strcmp(argv[1], "--quick") == 0) ? 200 : 2000;
    struct buf_writer out;
    buf_writer_init(&out);

    size_t hlen, ilen;
    uint8_t *headers = read_headers(&hlen);
    uint8_t *inv = make_inv(&ilen);
    size_t mlen = 1000000;
    uint8_t *mb = malloc(mlen);
    for (size_t i = 0; i < mlen; i++) mb[i] = (uint8_t)(i * 131);

    struct bytes h = {headers, hlen, "headers", &out};
    struct bytes iv = {inv, ilen, "inv", &out};
    struct bytes m = {mb, mlen, "block", &out};
    struct bytes one = {headers + 1, 80, "", &out};
    bench_report_mbps("sha256d of one 80-byte header", 80, bench_run(run_sha256d, &one, ms));
    pair("decode headers (2,000, mainnet)", run_decode, &h, ms);
    pair("decode inv (50,000 entries)", run_decode, &iv, ms);
    pair("v1 frame write: headers payload", run_frame_write, &h, ms);
    pair("v1 frame write: 1 MB payload", run_frame_write, &m, ms);

    struct buf_writer frame;
    buf_writer_init(&frame);
    transport_v1_write(netparams_get(NET_MAIN)->magic, "headers", headers, hlen, WIRE_MAX_PAYLOAD, &frame);
    struct bytes hf = {frame.data, frame.len, "headers", &out};
    pair("v1 frame read: headers frame", run_frame_read, &hf, ms);
    struct buf_writer frame2;
    buf_writer_init(&frame2);
    transport_v1_write(netparams_get(NET_MAIN)->magic, "block", mb, mlen, WIRE_MAX_PAYLOAD, &frame2);
    struct bytes mf = {frame2.data, frame2.len, "block", &out};
    pair("v1 frame read: 1 MB frame", run_frame_read, &mf, ms);

    buf_writer_free(&frame);
    buf_writer_free(&frame2);
    buf_writer_free(&out);
    free(headers);
    free(inv);
    free(mb);
    return 0;
}
