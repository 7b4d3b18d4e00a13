/* headers, getheaders and getblocks: Bitcoin Core's regtest headers frame,
 * the real mainnet headers in batches of 2,000, the limits. */
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

static void assert_hash(const uint8_t hash[32], const char *display)
{
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    assert_string_equal(hex, display);
}

static void test_core_headers_frame_links_from_regtest_genesis(void **state)
{
    (void)state;
    size_t len;
    uint8_t *frame = test_core_frame("headers", &len);
    assert_non_null(frame);
    struct wire_msg msg;
    assert_int_equal(wire_decode("headers", frame + 24, len - 24, &msg), WIRE_OK);
    const struct wire_headers *h = &msg.u.headers;
    assert_int_equal(h->count, 12);
    uint8_t prev[32];
    memcpy(prev, netparams_get(NET_REGTEST)->genesis_hash, 32);
    for (size_t i = 0; i < h->count; i++) {
        assert_memory_equal(h->headers[i].prev_hash, prev, 32);
        assert_true(h->headers[i].bits == 0x207fffff);
        wire_header_hash(&h->headers[i], prev);
        if (i == 4) assert_hash(prev, "10f8219fa36dade2430ff3a54c9e11725c6fe9982beb0578b7849de33fe61156");
    }
    assert_hash(prev, "7126cb3aff8eb4f1d35dd81a5a575c756aea34c823972caf6b49c6a67616c9b5");
    wire_msg_free(&msg);
    test_roundtrip_bytes("headers", frame + 24, len - 24);
    free(frame);
}

/* Build `headers` payloads of up to 2,000 from the real mainnet file. */
static void test_real_mainnet_headers_in_batches(void **state)
{
    (void)state;
    size_t flen;
    uint8_t *file = test_read_file(test_vector_path("headers/mainnet-0-10236.bin"), &flen);
    size_t total = flen / 80;
    assert_int_equal(total, 10237);
    uint8_t prev[32] = {0};
    struct buf_writer w;
    buf_writer_init(&w);
    for (size_t start = 0; start < total; start += 2000) {
        size_t n = total - start < 2000 ? total - start : 2000;
        buf_writer_reset(&w);
        buf_write_compact(&w, n);
        for (size_t i = 0; i < n; i++) {
            buf_write_bytes(&w, file + (start + i) * 80, 80);
            buf_write_u8(&w, 0);
        }
        struct wire_msg msg;
        assert_int_equal(wire_decode("headers", w.data, w.len, &msg), WIRE_OK);
        assert_int_equal(msg.u.headers.count, n);
        for (size_t i = 0; i < n; i++) {
            assert_memory_equal(msg.u.headers.headers[i].prev_hash, prev, 32);
            wire_header_hash(&msg.u.headers.headers[i], prev);
        }
        wire_msg_free(&msg);
        test_roundtrip_bytes("headers", w.data, w.len);
    }
    assert_hash(prev, "000000004f74d42205b9d7ae1cb5c1591e723894a71358fce73b7e0919628161");
    buf_writer_free(&w);
    free(file);
}

static void test_header_serialize_parse_roundtrip(void **state)
{
    (void)state;
    const uint8_t *genesis = netparams_get(NET_MAIN)->genesis_header;
    struct wire_header h;
    wire_header_parse(genesis, &h);
    assert_int_equal(h.version, 1);
    assert_true(h.time == 1231006505);
    assert_true(h.bits == 0x1d00ffff);
    assert_true(h.nonce == 2083236893);
    uint8_t back[80];
    wire_header_serialize(&h, back);
    assert_memory_equal(back, genesis, 80);
}

static void headers_payload(struct buf_writer *w, size_t n, uint8_t txn)
{
    buf_write_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        buf_write_bytes(w, netparams_get(NET_MAIN)->genesis_header, 80);
        buf_write_u8(w, txn);
    }
}

static void test_headers_limits_and_tx_count(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    struct wire_msg msg;
    headers_payload(&w, 2000, 0);
    assert_int_equal(wire_decode("headers", w.data, w.len, &msg), WIRE_OK);
    wire_msg_free(&msg);
    buf_writer_reset(&w);
    headers_payload(&w, 2001, 0);
    assert_int_equal(wire_decode("headers", w.data, w.len, &msg), WIRE_ERR_TOO_MANY);
    buf_writer_reset(&w);
    headers_payload(&w, 3, 1);
    assert_int_equal(wire_decode("headers", w.data, w.len, &msg), WIRE_ERR_BAD_HEADER_TXN);
    /* 2,000 claimed, one present: no allocation for 2,000 */
    buf_writer_reset(&w);
    headers_payload(&w, 1, 0);
    w.data[0] = 0xfd;
    struct buf_writer lie;
    buf_writer_init(&lie);
    buf_write_bytes(&lie, "\xfd\xd0\x07", 3);
    buf_write_bytes(&lie, w.data + 1, w.len - 1);
    assert_int_equal(wire_decode("headers", lie.data, lie.len, &msg), WIRE_ERR_TRUNCATED);
    buf_writer_free(&lie);
    /* truncations and trailing */
    buf_writer_reset(&w);
    headers_payload(&w, 2, 0);
    test_every_truncation("headers", w.data, w.len, NULL, 0);
    buf_write_u8(&w, 0);
    assert_int_equal(wire_decode("headers", w.data, w.len, &msg), WIRE_ERR_TRAILING);
    buf_writer_free(&w);
}

static void locator_payload(struct buf_writer *w, size_t n)
{
    buf_write_u32le(w, PROTOCOL_VERSION);
    buf_write_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t h[32];
        memset(h, (int)i, sizeof h);
        buf_write_bytes(w, h, 32);
    }
    uint8_t stop[32] = {0};
    buf_write_bytes(w, stop, 32);
}

static void test_locator_roundtrip_and_101_limit(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    struct wire_msg msg;
    for (int c = 0; c < 2; c++) {
        const char *cmd = c ? "getblocks" : "getheaders";
        buf_writer_reset(&w);
        locator_payload(&w, 101);
        assert_int_equal(wire_decode(cmd, w.data, w.len, &msg), WIRE_OK);
        assert_int_equal(msg.u.locator.count, 101);
        assert_int_equal(msg.u.locator.version, PROTOCOL_VERSION);
        assert_int_equal(msg.u.locator.hashes[7][0], 7);
        wire_msg_free(&msg);
        test_roundtrip_bytes(cmd, w.data, w.len);
        buf_writer_reset(&w);
        locator_payload(&w, 102);
        assert_int_equal(wire_decode(cmd, w.data, w.len, &msg), WIRE_ERR_TOO_MANY);
        buf_writer_reset(&w);
        locator_payload(&w, 3);
        test_every_truncation(cmd, w.data, w.len, NULL, 0);
        buf_write_u8(&w, 0);
        assert_int_equal(wire_decode(cmd, w.data, w.len, &msg), WIRE_ERR_TRAILING);
    }
    /* an empty locator (hash_stop only) is valid */
    buf_writer_reset(&w);
    locator_payload(&w, 0);
    test_roundtrip_bytes("getheaders", w.data, w.len);
    buf_writer_free(&w);
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    test_random_garbage("headers", 5000, 300, 21);
    test_random_garbage("getheaders", 5000, 200, 22);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_headers_frame_links_from_regtest_genesis),
        cmocka_unit_test(test_real_mainnet_headers_in_batches),
        cmocka_unit_test(test_header_serialize_parse_roundtrip),
        cmocka_unit_test(test_headers_limits_and_tx_count),
        cmocka_unit_test(test_locator_roundtrip_and_101_limit),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
