/* The BIP324 v2 transport as a pure state machine: an initiator and a
 * responder wired together in memory. The handshake fed whole, byte by byte
 * and split at every early position; messages both ways; decoys skipped;
 * the fatal cases (bad tag, missing terminator, oversize length). Run under
 * ASan, so every buffer the transport owns must be freed. */
#include "testutil.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/random.h>
#include <btcpeerd/transport_v2.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t *regtest(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* Feed data to t in pieces of `chunk` bytes (0 = all at once), answering
 * bytes going to `reply`. Returns the frames taken out; every other status
 * must be NEED_MORE. */
static size_t feed(struct transport_v2 *t, const uint8_t *data, size_t len, size_t chunk,
                   struct buf_writer *reply, struct transport_frame *frames, size_t max_frames)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t piece = chunk ? (len - pos < chunk ? len - pos : chunk) : len - pos;
        size_t off = 0;
        while (off < piece) {
            size_t used;
            struct transport_frame f;
            enum transport_status st = transport_v2_read(t, data + pos + off, piece - off, &used, &f, reply);
            off += used;
            if (st == TRANSPORT_FRAME) {
                assert_true(n < max_frames);
                frames[n++] = f;
            } else {
                assert_int_equal(st, TRANSPORT_NEED_MORE);
                assert_int_equal(off, piece);
            }
        }
        pos += piece;
    }
    return n;
}

/* Both sides initialised; their first bytes in a and b. */
static void start(struct transport_v2 *ini, struct transport_v2 *res, struct buf_writer *a,
                  struct buf_writer *b)
{
    buf_writer_init(a);
    buf_writer_init(b);
    assert_int_equal(transport_v2_init(ini, regtest(), true, a), TRANSPORT_OK);
    assert_int_equal(transport_v2_init(res, regtest(), false, b), TRANSPORT_OK);
    assert_true(a->len >= BIP324_ELLSWIFT_LEN && a->len <= BIP324_ELLSWIFT_LEN + 4095);
    assert_true(b->len >= BIP324_ELLSWIFT_LEN && b->len <= BIP324_ELLSWIFT_LEN + 4095);
}

/* Full handshake: each side's whole output fed to the other in `chunk`
 * pieces until both are established. */
static void handshake(struct transport_v2 *ini, struct transport_v2 *res, size_t chunk)
{
    struct buf_writer a, b, a2, b2;
    struct transport_frame f;
    start(ini, res, &a, &b);
    buf_writer_init(&a2);
    buf_writer_init(&b2);
    /* The responder sees key ‖ garbage, and answers terminator ‖ version. */
    assert_int_equal(feed(res, a.data, a.len, chunk, &b, &f, 0), 0);
    assert_false(transport_v2_established(res));
    /* The initiator gets everything the responder wrote so far. */
    assert_int_equal(feed(ini, b.data, b.len, chunk, &a2, &f, 0), 0);
    assert_true(transport_v2_established(ini));
    assert_int_equal(feed(res, a2.data, a2.len, chunk, &b2, &f, 0), 0);
    assert_true(transport_v2_established(res));
    assert_int_equal(b2.len, 0);
    assert_int_equal(transport_v2_buffered(ini), 0);
    assert_int_equal(transport_v2_buffered(res), 0);
    uint8_t s1[32], s2[32];
    assert_true(transport_v2_session_id(ini, s1));
    assert_true(transport_v2_session_id(res, s2));
    assert_memory_equal(s1, s2, 32);
    buf_writer_free(&a);
    buf_writer_free(&b);
    buf_writer_free(&a2);
    buf_writer_free(&b2);
}

static void test_handshake_whole_and_byte_by_byte(void **state)
{
    (void)state;
    size_t chunks[] = {0, 1, 7, 64, 1000};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct transport_v2 ini, res;
        handshake(&ini, &res, chunks[i]);
        transport_v2_clear(&ini);
        transport_v2_clear(&res);
    }
}

/* The initiator's whole stream (key, garbage, terminator, version, one
 * ping) fed to the responder in two pieces split at every position of the
 * first 200 bytes. A fixed garbage length keeps the split points inside
 * the key, the garbage, the terminator and the version packet. */
static void test_handshake_split_at_every_position(void **state)
{
    (void)state;
    uint8_t garbage[100];
    memset(garbage, 0xab, sizeof garbage);
    for (size_t split = 0; split <= 200; split++) {
        struct transport_v2 ini, res;
        struct buf_writer a, b, tmp;
        struct transport_frame f[2];
        uint8_t p1[32], e1[64], p2[32], e2[64];
        buf_writer_init(&a);
        buf_writer_init(&b);
        buf_writer_init(&tmp);
        assert_int_equal(ellswift_keygen(p1, e1), BIP324_OK);
        assert_int_equal(ellswift_keygen(p2, e2), BIP324_OK);
        assert_int_equal(transport_v2_init_with(&ini, regtest(), true, p1, e1, garbage, sizeof garbage, &a),
                         TRANSPORT_OK);
        assert_int_equal(transport_v2_init_with(&res, regtest(), false, p2, e2, NULL, 0, &b),
                         TRANSPORT_OK);
        /* The initiator learns the responder's key first and appends its
         * terminator, version packet and a ping after its key ‖ garbage. */
        assert_int_equal(feed(&ini, b.data, b.len, 0, &a, f, 0), 0);
        const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        assert_int_equal(transport_v2_write(&ini, "ping", nonce, 8, &a), TRANSPORT_OK);
        assert_true(a.len > 200);
        size_t n = feed(&res, a.data, split, 0, &tmp, f, 2);
        n += feed(&res, a.data + split, a.len - split, 0, &tmp, f + n, 2 - n);
        assert_int_equal(n, 1);
        assert_string_equal(f[0].command, "ping");
        assert_int_equal(f[0].len, 8);
        assert_memory_equal(f[0].payload, nonce, 8);
        transport_frame_free(&f[0]);
        assert_true(transport_v2_established(&res));
        transport_v2_clear(&ini);
        transport_v2_clear(&res);
        buf_writer_free(&a);
        buf_writer_free(&b);
        buf_writer_free(&tmp);
    }
}

/* One message from `from` to `to`, fed in `chunk` pieces. */
static void send_one(struct transport_v2 *from, struct transport_v2 *to, const char *command,
                     const uint8_t *payload, size_t len, size_t chunk)
{
    struct buf_writer w, reply;
    struct transport_frame f;
    buf_writer_init(&w);
    buf_writer_init(&reply);
    assert_int_equal(transport_v2_write(from, command, payload, len, &w), TRANSPORT_OK);
    assert_int_equal(feed(to, w.data, w.len, chunk, &reply, &f, 1), 1);
    assert_int_equal(reply.len, 0);
    assert_string_equal(f.command, command);
    assert_int_equal(f.len, len);
    if (len) assert_memory_equal(f.payload, payload, len);
    else assert_null(f.payload);
    transport_frame_free(&f);
    buf_writer_free(&w);
    buf_writer_free(&reply);
}

static void test_messages_both_ways(void **state)
{
    (void)state;
    struct transport_v2 ini, res;
    handshake(&ini, &res, 0);
    const uint8_t nonce[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    size_t big_len = 1000000;
    uint8_t *big = malloc(big_len);
    assert_non_null(big);
    uint64_t seed = 42;
    test_random_bytes(&seed, big, big_len);

    /* ping uses short id 18: 3 + 1 + 1 + 8 + 16 bytes on the wire. */
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(transport_v2_short_id("ping"), 18);
    assert_int_equal(transport_v2_write(&ini, "ping", nonce, 8, &w), TRANSPORT_OK);
    assert_int_equal(w.len, 3 + 1 + 1 + 8 + 16);
    buf_writer_reset(&w);
    /* An unknown command goes long form: 0x00 and 12 bytes. */
    assert_int_equal(transport_v2_write(&ini, "whatever", nonce, 8, &w), TRANSPORT_OK);
    assert_int_equal(w.len, 3 + 1 + 13 + 8 + 16);
    buf_writer_free(&w);
    /* Those two were never delivered: restart the pair. */
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
    handshake(&ini, &res, 0);

    /* More than 224 packets each way, so both ciphers rekey on the way. */
    for (int round = 0; round < 120; round++) {
        send_one(&ini, &res, "ping", nonce, 8, 0);
        send_one(&res, &ini, "pong", nonce, 8, round == 0 ? 1 : 0);
        send_one(&ini, &res, "twelvechars_", nonce, 8, 0);
        send_one(&res, &ini, "verack", NULL, 0, 0);
    }
    send_one(&ini, &res, "block", big, big_len, 0);
    send_one(&res, &ini, "somebigthing", big, big_len, 65537);
    send_one(&ini, &res, "sendaddrv2", NULL, 0, 1);
    send_one(&res, &ini, "addrv2", NULL, 0, 0);
    free(big);
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
}

static void test_decoy_ignored(void **state)
{
    (void)state;
    struct transport_v2 ini, res;
    handshake(&ini, &res, 0);
    struct buf_writer w, reply;
    struct transport_frame f;
    buf_writer_init(&w);
    buf_writer_init(&reply);
    assert_int_equal(transport_v2_write_decoy(&ini, 0, &w), TRANSPORT_OK);
    assert_int_equal(transport_v2_write_decoy(&ini, 300, &w), TRANSPORT_OK);
    assert_int_equal(transport_v2_write(&ini, "inv", (const uint8_t *)"\x00", 1, &w), TRANSPORT_OK);
    assert_int_equal(feed(&res, w.data, w.len, 0, &reply, &f, 1), 1);
    assert_string_equal(f.command, "inv");
    assert_int_equal(f.len, 1);
    transport_frame_free(&f);
    buf_writer_free(&w);
    buf_writer_free(&reply);
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
}

/* Decoys sent before the version packet are skipped too, and the first one
 * carries the garbage as AAD. */
static void test_decoy_before_version(void **state)
{
    (void)state;
    struct transport_v2 ini, res;
    struct buf_writer a, b, a2, b2;
    struct transport_frame f;
    start(&ini, &res, &a, &b);
    buf_writer_init(&a2);
    buf_writer_init(&b2);
    assert_int_equal(feed(&res, a.data, a.len, 0, &b, &f, 0), 0);
    assert_int_equal(feed(&ini, b.data, b.len, 0, &a2, &f, 0), 0);
    assert_true(transport_v2_established(&ini));
    assert_int_equal(transport_v2_write_decoy(&res, 5, &b2), TRANSPORT_OK);
    assert_int_equal(transport_v2_write(&res, "pong", (const uint8_t *)"12345678", 8, &b2),
                     TRANSPORT_OK);
    assert_int_equal(feed(&ini, b2.data, b2.len, 0, &a2, &f, 1), 1);
    assert_string_equal(f.command, "pong");
    transport_frame_free(&f);
    buf_writer_free(&a);
    buf_writer_free(&b);
    buf_writer_free(&a2);
    buf_writer_free(&b2);
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
}

static void test_flipped_bit_fatal(void **state)
{
    (void)state;
    for (size_t pos = 3; pos < 3 + 1 + 1 + 8 + 16; pos++) {
        struct transport_v2 ini, res;
        handshake(&ini, &res, 0);
        struct buf_writer w, reply;
        struct transport_frame f;
        size_t used;
        buf_writer_init(&w);
        buf_writer_init(&reply);
        assert_int_equal(transport_v2_write(&ini, "ping", (const uint8_t *)"abcdefgh", 8, &w),
                         TRANSPORT_OK);
        w.data[pos] ^= 0x10;
        assert_int_equal(transport_v2_read(&res, w.data, w.len, &used, &f, &reply),
                         TRANSPORT_FATAL_DECRYPT);
        assert_int_equal(used, w.len);
        assert_true(transport_status_fatal(TRANSPORT_FATAL_DECRYPT));
        /* The status sticks. */
        assert_int_equal(transport_v2_read(&res, w.data, 1, &used, &f, &reply),
                         TRANSPORT_FATAL_DECRYPT);
        assert_int_equal(used, 0);
        buf_writer_free(&w);
        buf_writer_free(&reply);
        transport_v2_clear(&ini);
        transport_v2_clear(&res);
    }
}

/* 4095 garbage bytes is the most allowed; one more before the terminator
 * is fatal as soon as 4095 + 16 bytes arrived without it. */
static void test_garbage_limit(void **state)
{
    (void)state;
    uint8_t *garbage = malloc(4096);
    assert_non_null(garbage);
    uint64_t seed = 7;
    test_random_bytes(&seed, garbage, 4096);
    for (int extra = 0; extra <= 1; extra++) {
        struct transport_v2 ini, res;
        struct buf_writer a, b, tail;
        struct transport_frame f;
        uint8_t p1[32], e1[64], p2[32], e2[64];
        buf_writer_init(&a);
        buf_writer_init(&b);
        buf_writer_init(&tail);
        assert_int_equal(ellswift_keygen(p1, e1), BIP324_OK);
        assert_int_equal(ellswift_keygen(p2, e2), BIP324_OK);
        assert_int_equal(transport_v2_init_with(&ini, regtest(), true, p1, e1, garbage, 4095, &a),
                         TRANSPORT_OK);
        assert_int_equal(transport_v2_init_with(&res, regtest(), false, p2, e2, NULL, 0, &b),
                         TRANSPORT_OK);
        assert_int_equal(feed(&ini, b.data, b.len, 0, &tail, &f, 0), 0);
        /* key ‖ 4095 garbage ‖ (one more byte) ‖ terminator ‖ version */
        if (extra) assert_true(buf_write_u8(&a, garbage[4095]));
        assert_true(buf_write_bytes(&a, tail.data, tail.len));
        buf_writer_reset(&b);
        size_t used;
        enum transport_status st = transport_v2_read(&res, a.data, a.len, &used, &f, &b);
        if (extra) {
            assert_int_equal(st, TRANSPORT_FATAL_HANDSHAKE);
            assert_int_equal(used, 64 + 4095 + 16);
        } else {
            assert_int_equal(st, TRANSPORT_NEED_MORE);
            assert_int_equal(used, a.len);
            assert_true(transport_v2_established(&res));
        }
        buf_writer_free(&a);
        buf_writer_free(&b);
        buf_writer_free(&tail);
        transport_v2_clear(&ini);
        transport_v2_clear(&res);
    }
    free(garbage);
}

/* A length over the cap is fatal on its three bytes, before any contents
 * are buffered; the cap itself is accepted. */
static void test_oversize_fatal_before_payload(void **state)
{
    (void)state;
    const uint32_t lens[] = {TRANSPORT_V2_MAX_CONTENTS, TRANSPORT_V2_MAX_CONTENTS + 1, 0xffffff};
    for (size_t i = 0; i < 3; i++) {
        struct transport_v2 ini, res;
        handshake(&ini, &res, 0);
        uint8_t len3[3] = {(uint8_t)lens[i], (uint8_t)(lens[i] >> 8), (uint8_t)(lens[i] >> 16)};
        /* Encrypt the length the way the initiator's send side would. */
        assert_int_equal(fschacha20_crypt(&ini.send_l, len3, len3, 3), BIP324_OK);
        uint8_t wire[4] = {len3[0], len3[1], len3[2], 0x55};
        struct buf_writer reply;
        struct transport_frame f;
        size_t used;
        buf_writer_init(&reply);
        enum transport_status st = transport_v2_read(&res, wire, sizeof wire, &used, &f, &reply);
        if (i == 0) {
            assert_int_equal(st, TRANSPORT_NEED_MORE);
            assert_int_equal(used, 4);
            /* One byte arrived, so one small allocation, not 4 MB. */
            assert_true(res.buf_cap <= 65536);
        } else {
            assert_int_equal(st, TRANSPORT_FATAL_OVERSIZE);
            assert_int_equal(used, 3);
            assert_null(res.buf);
            assert_true(transport_status_fatal(st));
        }
        buf_writer_free(&reply);
        transport_v2_clear(&ini);
        transport_v2_clear(&res);
    }
}

/* A packet with arbitrary contents, encrypted with from's send ciphers the
 * way the transport would: lets the test say what write never would. */
static void raw_packet(struct transport_v2 *from, const uint8_t *contents, size_t len,
                       struct buf_writer *w)
{
    uint8_t len3[3] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16)};
    assert_int_equal(fschacha20_crypt(&from->send_l, len3, len3, 3), BIP324_OK);
    uint8_t *plain = calloc(1, 1 + len + 16);
    assert_non_null(plain);
    if (len) memcpy(plain + 1, contents, len);
    assert_int_equal(fschacha20poly1305_encrypt(&from->send_p, NULL, 0, plain, 1 + len, plain),
                     BIP324_OK);
    assert_true(buf_write_bytes(w, len3, 3));
    assert_true(buf_write_bytes(w, plain, 1 + len + 16));
    free(plain);
}

/* An unassigned short id, a malformed long command or empty contents drop
 * one message; the stream goes on. */
static void test_unknown_type_dropped(void **state)
{
    (void)state;
    struct transport_v2 ini, res;
    handshake(&ini, &res, 0);
    assert_null(transport_v2_short_command(29));
    assert_null(transport_v2_short_command(0));
    assert_string_equal(transport_v2_short_command(28), "addrv2");
    assert_string_equal(transport_v2_short_command(1), "addr");
    assert_int_equal(transport_v2_short_id("version"), 0);

    static const uint8_t unassigned[] = {29, 1, 2, 3};
    static const uint8_t bad_long[] = {0, 'a', 0, 'b', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t short_long[] = {0, 'p', 'i', 'n', 'g'};
    static const uint8_t good_long[] = {0, 'p', 'i', 'n', 'g', 0, 0, 0, 0, 0, 0, 0, 0, 7};
    const uint8_t *cases[] = {unassigned, bad_long, short_long, NULL};
    size_t lens[] = {sizeof unassigned, sizeof bad_long, sizeof short_long, 0};
    struct buf_writer w, reply;
    struct transport_frame f;
    size_t used;
    buf_writer_init(&w);
    buf_writer_init(&reply);
    for (size_t i = 0; i < 4; i++) {
        buf_writer_reset(&w);
        raw_packet(&ini, cases[i], lens[i], &w);
        assert_int_equal(transport_v2_read(&res, w.data, w.len, &used, &f, &reply),
                         TRANSPORT_DROP_COMMAND);
        assert_int_equal(used, w.len);
        assert_null(f.payload);
        assert_false(transport_status_fatal(TRANSPORT_DROP_COMMAND));
    }
    /* The long form of a command that has a short id is still accepted. */
    buf_writer_reset(&w);
    raw_packet(&ini, good_long, sizeof good_long, &w);
    assert_int_equal(feed(&res, w.data, w.len, 0, &reply, &f, 1), 1);
    assert_string_equal(f.command, "ping");
    assert_int_equal(f.len, 1);
    assert_int_equal(f.payload[0], 7);
    transport_frame_free(&f);
    send_one(&ini, &res, "ping", (const uint8_t *)"abcdefgh", 8, 0);

    /* Commands write refuses. */
    buf_writer_reset(&w);
    assert_int_equal(transport_v2_write(&ini, "a\x01", NULL, 0, &w), TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_v2_write(&ini, "thirteenchars", NULL, 0, &w), TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_v2_write(&ini, "", NULL, 0, &w), TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_v2_write(&ini, "block", NULL, WIRE_MAX_PAYLOAD + 1, &w),
                     TRANSPORT_ERR_TOO_LONG);
    assert_int_equal(w.len, 0);
    buf_writer_free(&w);
    buf_writer_free(&reply);
    transport_v2_clear(&ini);
    transport_v2_clear(&res);
}

/* Before the peer's key nothing can be encrypted, and there is no session
 * id yet. */
static void test_write_before_handshake_refused(void **state)
{
    (void)state;
    struct transport_v2 t;
    struct buf_writer w;
    uint8_t sid[32];
    buf_writer_init(&w);
    assert_int_equal(transport_v2_init(&t, regtest(), true, &w), TRANSPORT_OK);
    size_t len = w.len;
    assert_int_equal(transport_v2_write(&t, "ping", NULL, 0, &w), TRANSPORT_ERR_NOT_READY);
    assert_int_equal(transport_v2_write_decoy(&t, 3, &w), TRANSPORT_ERR_NOT_READY);
    assert_int_equal(w.len, len);
    assert_false(transport_v2_session_id(&t, sid));
    assert_string_equal(transport_status_str(TRANSPORT_FATAL_HANDSHAKE), "no-garbage-terminator");
    assert_string_equal(transport_status_str(TRANSPORT_FATAL_OVERSIZE), "oversize");
    transport_v2_clear(&t);
    buf_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_whole_and_byte_by_byte),
        cmocka_unit_test(test_handshake_split_at_every_position),
        cmocka_unit_test(test_messages_both_ways),
        cmocka_unit_test(test_decoy_ignored),
        cmocka_unit_test(test_decoy_before_version),
        cmocka_unit_test(test_flipped_bit_fatal),
        cmocka_unit_test(test_garbage_limit),
        cmocka_unit_test(test_oversize_fatal_before_payload),
        cmocka_unit_test(test_unknown_type_dropped),
        cmocka_unit_test(test_write_before_handshake_refused),
    };
    return test_run_group(tests);
}
