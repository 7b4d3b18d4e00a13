/* The transport interface (include/btcpeerd/transport.h) as the peer uses
 * it: send, bytes to send, mark sent, feed, take. Pins what moved behind it
 * from the peer: an inbound v2 transport tells a v1 peer (Bitcoin Core's
 * own version message), a peer of another network and a v2 key apart by
 * their first 16 bytes, fed whole or byte by byte; an outbound one reports
 * a v1 answer; and whether a v1 retry is worth it. */
#include "testutil.h"

#include <btcpeerd/bip324_crypto.h>
#include <btcpeerd/buf.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/transport_v2.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t *regtest(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* Feed all of in, `chunk` bytes at a time (0 = at once); frames are kept
 * in frames[], and every status is returned through last. Returns how many
 * frames came out. Stops at a fatal status. */
static size_t feed_all(struct transport *t, const uint8_t *in, size_t len, size_t chunk,
                       struct transport_frame *frames, size_t max, enum transport_status *last)
{
    size_t n = 0, pos = 0;
    *last = TRANSPORT_NEED_MORE;
    while (pos < len) {
        size_t piece = chunk && len - pos > chunk ? chunk : len - pos, used;
        enum transport_status st = transport_feed(t, in + pos, piece, &used);
        *last = st;
        if (transport_status_fatal(st)) return n;
        struct transport_frame f;
        if (st == TRANSPORT_FRAME) {
            assert_true(transport_take(t, &f));
            assert_true(n < max);
            frames[n++] = f;
        } else if (st != TRANSPORT_NEED_MORE) {
            assert_true(transport_take(t, &f)); /* a drop: its name */
            transport_frame_free(&f);
        } else {
            assert_int_equal(used, piece);
        }
        pos += used;
    }
    return n;
}

/* Everything from has ready, fed to to; returns the frames to took. */
static size_t pump(struct transport *from, struct transport *to, struct transport_frame *frames,
                   size_t max)
{
    size_t n;
    const uint8_t *bytes = transport_bytes_to_send(from, &n);
    if (!n) return 0;
    enum transport_status last;
    size_t got = feed_all(to, bytes, n, 0, frames, max, &last);
    assert_false(transport_status_fatal(last));
    transport_mark_sent(from, n);
    return got;
}

static void test_v1_send_feed_take(void **state)
{
    (void)state;
    struct transport *a = transport_v1_new(regtest()), *b = transport_v1_new(regtest());
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(transport_name(a), "v1");
    assert_int_equal(transport_version(a), 1);
    assert_true(transport_can_send(a));
    size_t n;
    assert_null(transport_bytes_to_send(a, &n));
    assert_int_equal(n, 0);

    const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(transport_send(a, "ping", nonce, 8), TRANSPORT_OK);
    assert_int_equal(transport_send(a, "verack", NULL, 0), TRANSPORT_OK);
    /* Refused messages leave nothing queued. */
    assert_int_equal(transport_send(a, "thirteenchars", NULL, 0), TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_send(a, "block", NULL, WIRE_MAX_PAYLOAD + 1), TRANSPORT_ERR_TOO_LONG);
    const uint8_t *bytes = transport_bytes_to_send(a, &n);
    assert_int_equal(n, transport_framed_len(a, "ping", 8) + transport_framed_len(a, "verack", 0));
    assert_int_equal(n, 24 + 8 + 24);

    /* One feed stops after the first message; the next feed consumes
     * nothing until it is taken. */
    size_t used;
    assert_int_equal(transport_feed(b, bytes, n, &used), TRANSPORT_FRAME);
    assert_int_equal(used, 32);
    assert_int_equal(transport_feed(b, bytes + used, n - used, &used), TRANSPORT_FRAME);
    assert_int_equal(used, 0);
    struct transport_frame f;
    assert_true(transport_take(b, &f));
    assert_string_equal(f.command, "ping");
    assert_int_equal(f.len, 8);
    assert_memory_equal(f.payload, nonce, 8);
    transport_frame_free(&f);
    assert_false(transport_take(b, &f));
    assert_int_equal(transport_feed(b, bytes + 32, n - 32, &used), TRANSPORT_FRAME);
    assert_int_equal(used, 24);
    assert_true(transport_take(b, &f));
    assert_string_equal(f.command, "verack");
    assert_null(f.payload);

    /* Marked sent in two parts; then nothing is left. */
    transport_mark_sent(a, 10);
    assert_ptr_equal(transport_bytes_to_send(a, &n), bytes + 10);
    assert_int_equal(n, 56 - 10);
    transport_mark_sent(a, n);
    assert_null(transport_bytes_to_send(a, &n));
    assert_false(transport_session_id(a, (uint8_t[32]){0}));
    assert_false(transport_should_reconnect_v1(a));
    transport_free(a);
    transport_free(b);
}

/* The queued bytes handed over whole, after part of them was sent. */
static void test_take_bytes_to_send(void **state)
{
    (void)state;
    struct transport *t = transport_v1_new(regtest());
    size_t n;
    assert_null(transport_take_bytes_to_send(t, &n));
    assert_int_equal(n, 0);
    assert_int_equal(transport_send(t, "verack", NULL, 0), TRANSPORT_OK);
    assert_int_equal(transport_send(t, "ping", (const uint8_t *)"12345678", 8), TRANSPORT_OK);
    const uint8_t *queued = transport_bytes_to_send(t, &n);
    assert_int_equal(n, 24 + 32);
    uint8_t expect[56];
    memcpy(expect, queued, n);
    transport_mark_sent(t, 24);
    uint8_t *rest = transport_take_bytes_to_send(t, &n);
    assert_non_null(rest);
    assert_int_equal(n, 32);
    assert_memory_equal(rest, expect + 24, 32);
    free(rest);
    assert_null(transport_bytes_to_send(t, &n));
    assert_int_equal(n, 0);
    /* and the queue works on afterwards */
    assert_int_equal(transport_send(t, "verack", NULL, 0), TRANSPORT_OK);
    assert_non_null(transport_bytes_to_send(t, &n));
    assert_int_equal(n, 24);
    transport_free(t);
}

/* A bad checksum drops one message: take names it, without a payload. */
static void test_drop_is_taken_by_name(void **state)
{
    (void)state;
    struct transport *t = transport_v1_new(regtest());
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(transport_v1_write(regtest(), "pong", (const uint8_t *)"12345678", 8,
                                        WIRE_MAX_PAYLOAD, &w),
                     TRANSPORT_OK);
    w.data[20] ^= 1;
    size_t used;
    assert_int_equal(transport_feed(t, w.data, w.len, &used), TRANSPORT_DROP_CHECKSUM);
    assert_int_equal(used, w.len);
    struct transport_frame f;
    assert_true(transport_take(t, &f));
    assert_string_equal(f.command, "pong");
    assert_null(f.payload);
    assert_int_equal(transport_recv_buffered(t), 0);
    buf_writer_free(&w);
    transport_free(t);
}

/* Bitcoin Core's own version message, to an inbound v2 transport, fed
 * whole and byte by byte: the transport becomes v1, hands the version out,
 * and never queued a byte of BIP324 (a v1 peer would take it for garbage). */
static void test_inbound_v2_falls_back_to_v1(void **state)
{
    (void)state;
    size_t len;
    uint8_t *version = test_core_frame("version", &len);
    assert_non_null(version);
    assert_true(len > 16);
    assert_memory_equal(version, regtest(), 4);
    const size_t chunks[] = {0, 1, 5, 16, 17};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct transport *t = transport_v2_new(regtest(), false);
        assert_non_null(t);
        assert_false(transport_can_send(t));
        assert_string_equal(transport_name(t), "v1");
        struct transport_frame f;
        enum transport_status last;
        assert_int_equal(feed_all(t, version, len, chunks[i], &f, 1, &last), 1);
        assert_string_equal(f.command, "version");
        assert_int_equal(f.len, len - 24);
        transport_frame_free(&f);
        size_t n;
        assert_null(transport_bytes_to_send(t, &n));
        assert_string_equal(transport_name(t), "v1");
        assert_int_equal(transport_version(t), 1);
        assert_true(transport_can_send(t));
        /* It answers in v1 too. */
        assert_int_equal(transport_send(t, "verack", NULL, 0), TRANSPORT_OK);
        const uint8_t *out = transport_bytes_to_send(t, &n);
        assert_int_equal(n, 24);
        assert_memory_equal(out, regtest(), 4);
        assert_false(transport_should_reconnect_v1(t));
        transport_free(t);
    }
    free(version);
}

/* The same version prefix with another network's magic: bad-magic, but
 * only once the 16 bytes are in, and it sticks. (Fed a byte at a time, its
 * first byte already differs from ours and reads as a v2 key: the check
 * needs the magic whole, as it arrives in practice.) */
static void test_inbound_other_network_is_bad_magic(void **state)
{
    (void)state;
    uint8_t prefix[16] = {0};
    memcpy(prefix, netparams_get(NET_MAIN)->magic, 4);
    memcpy(prefix + 4, "version", 7);
    struct transport *t = transport_v2_new(regtest(), false);
    size_t used;
    assert_int_equal(transport_feed(t, prefix, 15, &used), TRANSPORT_NEED_MORE);
    assert_int_equal(used, 15);
    assert_int_equal(transport_recv_buffered(t), 15);
    assert_int_equal(transport_feed(t, prefix + 15, 1, &used), TRANSPORT_FATAL_MAGIC);
    assert_int_equal(transport_feed(t, prefix, 1, &used), TRANSPORT_FATAL_MAGIC);
    assert_int_equal(used, 0);
    size_t n;
    assert_null(transport_bytes_to_send(t, &n));
    transport_free(t);
}

/* An outbound v2 transport against an inbound one: the inbound end answers
 * with its key only after the first byte that is not a v1 prefix; both end
 * up on v2 with the same session id, and messages go both ways. */
static void test_v2_pair_through_the_interface(void **state)
{
    (void)state;
    struct transport *out = transport_v2_new(regtest(), true);
    struct transport *in = transport_v2_new(regtest(), false);
    assert_non_null(out);
    assert_non_null(in);
    size_t n;
    assert_non_null(transport_bytes_to_send(out, &n));
    assert_true(n >= BIP324_ELLSWIFT_LEN && n <= BIP324_ELLSWIFT_LEN + TRANSPORT_V2_MAX_GARBAGE);
    assert_false(transport_can_send(out));
    assert_int_equal(transport_send(out, "ping", NULL, 0), TRANSPORT_ERR_NOT_READY);
    assert_null(transport_bytes_to_send(in, &n));
    assert_true(transport_should_reconnect_v1(out)); /* nothing back yet */

    struct transport_frame f;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(pump(out, in, &f, 0), 0);
        assert_int_equal(pump(in, out, &f, 0), 0);
    }
    assert_true(transport_can_send(out));
    assert_true(transport_can_send(in));
    assert_string_equal(transport_name(out), "v2");
    assert_string_equal(transport_name(in), "v2");
    assert_false(transport_should_reconnect_v1(out));
    assert_false(transport_should_reconnect_v1(in));
    uint8_t s1[32], s2[32];
    assert_true(transport_session_id(out, s1));
    assert_true(transport_session_id(in, s2));
    assert_memory_equal(s1, s2, 32);

    const uint8_t nonce[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    assert_int_equal(transport_send(out, "ping", nonce, 8), TRANSPORT_OK);
    assert_null(transport_bytes_to_send(in, &n));
    transport_bytes_to_send(out, &n);
    assert_int_equal(n, transport_framed_len(out, "ping", 8));
    assert_int_equal(pump(out, in, &f, 1), 1);
    assert_string_equal(f.command, "ping");
    assert_memory_equal(f.payload, nonce, 8);
    transport_frame_free(&f);
    assert_int_equal(transport_send(in, "somecommand", nonce, 8), TRANSPORT_OK);
    transport_bytes_to_send(in, &n);
    assert_int_equal(n, transport_framed_len(in, "somecommand", 8));
    assert_int_equal(pump(in, out, &f, 1), 1);
    assert_string_equal(f.command, "somecommand");
    transport_frame_free(&f);
    transport_free(out);
    transport_free(in);
}

/* Inbound, a v2 key byte by byte, with chosen keys so the split is the
 * same every run: the key is taken in as soon as byte one differs from the
 * magic, and our key goes out at that moment. */
static void test_inbound_v2_key_byte_by_byte(void **state)
{
    (void)state;
    uint8_t p1[32], e1[64], p2[32], e2[64];
    /* A key whose first byte is the magic's would wait for more bytes. */
    do assert_int_equal(ellswift_keygen(p1, e1), BIP324_OK);
    while (e1[0] == regtest()[0]);
    assert_int_equal(ellswift_keygen(p2, e2), BIP324_OK);
    struct transport *out = transport_v2_new_with(regtest(), true, p1, e1, NULL, 0);
    struct transport *in = transport_v2_new_with(regtest(), false, p2, e2, (const uint8_t *)"g", 1);
    assert_non_null(out);
    assert_non_null(in);
    size_t n, used;
    const uint8_t *bytes = transport_bytes_to_send(out, &n);
    assert_int_equal(n, 64);
    assert_int_equal(transport_feed(in, bytes, 1, &used), TRANSPORT_NEED_MORE);
    assert_int_equal(used, 1);
    const uint8_t *answer = transport_bytes_to_send(in, &n);
    assert_int_equal(n, 64 + 1);
    assert_memory_equal(answer, e2, 64);
    assert_string_equal(transport_name(in), "v2");
    for (size_t i = 1; i < 64; i++) {
        assert_int_equal(transport_feed(in, bytes + i, 1, &used), TRANSPORT_NEED_MORE);
        assert_int_equal(used, 1);
    }
    transport_mark_sent(out, 64);
    /* The inbound end has the key: its terminator and version packet follow. */
    transport_bytes_to_send(in, &n);
    assert_true(n > 64 + 1 + BIP324_GARBAGE_TERMINATOR_LEN);
    struct transport_frame f;
    assert_int_equal(pump(in, out, &f, 0), 0);
    assert_int_equal(pump(out, in, &f, 0), 0);
    assert_true(transport_can_send(out));
    assert_true(transport_can_send(in));
    transport_free(out);
    transport_free(in);
}

/* Outbound v2, the answer starts with our v1 magic: a v1 node speaking
 * first. Nothing is consumed, the status sticks, and a v1 retry is worth
 * it; a v2 answer's first byte ends "nothing came back". */
static void test_outbound_v1_answer(void **state)
{
    (void)state;
    struct transport *t = transport_v2_new(regtest(), true);
    size_t n, used;
    transport_bytes_to_send(t, &n);
    transport_mark_sent(t, n);
    uint8_t answer[24] = {0};
    memcpy(answer, regtest(), 4);
    memcpy(answer + 4, "version", 7);
    assert_int_equal(transport_feed(t, answer, sizeof answer, &used), TRANSPORT_FATAL_V1_ANSWER);
    assert_int_equal(used, 0);
    assert_true(transport_status_fatal(TRANSPORT_FATAL_V1_ANSWER));
    assert_int_equal(transport_feed(t, answer, sizeof answer, &used), TRANSPORT_FATAL_V1_ANSWER);
    assert_true(transport_should_reconnect_v1(t));
    assert_string_equal(transport_status_str(TRANSPORT_FATAL_V1_ANSWER), "v1-answer");
    transport_free(t);

    t = transport_v2_new(regtest(), true);
    uint8_t key_byte = (uint8_t)(regtest()[0] ^ 1);
    assert_int_equal(transport_feed(t, &key_byte, 1, &used), TRANSPORT_NEED_MORE);
    assert_int_equal(used, 1);
    assert_false(transport_should_reconnect_v1(t));
    transport_free(t);
}

/* Every status has its own name, and the v1 and v2 failures are fatal. */
static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(transport_status_str(TRANSPORT_FATAL_HANDSHAKE), "no-garbage-terminator");
    assert_string_equal(transport_status_str(TRANSPORT_FATAL_DECRYPT), "decrypt-failed");
    assert_string_equal(transport_status_str(TRANSPORT_DROP_CHECKSUM), "bad-checksum");
    assert_string_equal(transport_status_str(TRANSPORT_ERR_TOO_LONG), "payload-too-long");
    for (int s = TRANSPORT_OK; s <= TRANSPORT_ERR_CRYPTO; s++) {
        const char *name = transport_status_str((enum transport_status)s);
        assert_string_not_equal(name, "unknown");
        bool fatal = s >= TRANSPORT_FATAL_MAGIC && s <= TRANSPORT_FATAL_V1_ANSWER;
        assert_int_equal(transport_status_fatal((enum transport_status)s), fatal);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_send_feed_take),
        cmocka_unit_test(test_take_bytes_to_send),
        cmocka_unit_test(test_drop_is_taken_by_name),
        cmocka_unit_test(test_inbound_v2_falls_back_to_v1),
        cmocka_unit_test(test_inbound_other_network_is_bad_magic),
        cmocka_unit_test(test_v2_pair_through_the_interface),
        cmocka_unit_test(test_inbound_v2_key_byte_by_byte),
        cmocka_unit_test(test_outbound_v1_answer),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
