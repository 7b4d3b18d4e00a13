/* The v1 transport as a pure state machine: Bitcoin Core's real frames fed
 * whole, byte by byte and split at every position; the fatal cases (magic,
 * oversize) and the dropped ones (checksum, command). */
#include "testutil.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v1.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX WIRE_MAX_PAYLOAD

static const uint8_t *regtest(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* Every frame of the recorded Core v29 session: command names and bytes. */
struct session {
    char commands[16][13];
    uint8_t *frames[16];
    size_t lens[16];
    size_t n;
};

static void load_session(struct session *s)
{
    static const char *const cmds[] = {"version", "wtxidrelay", "sendaddrv2", "verack",
                                       "sendcmpct", "ping", "feefilter", "pong", "headers",
                                       "block"};
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        s->frames[s->n] = test_core_frame(cmds[i], &s->lens[s->n]);
        if (!s->frames[s->n]) fail_msg("no %s frame in the session file", cmds[i]);
        snprintf(s->commands[s->n], sizeof s->commands[0], "%s", cmds[i]);
        s->n++;
    }
}

static void free_session(struct session *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->frames[i]);
}

/* Feed data in pieces of `chunk` bytes (0 = all at once) and collect the
 * frames; every frame must come out with the expected command and the
 * payload bytes of the original. */
static size_t feed(struct transport_v1 *t, const uint8_t *data, size_t len, size_t chunk,
                   struct transport_frame *frames, size_t max_frames)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t piece = chunk ? (len - pos < chunk ? len - pos : chunk) : len - pos;
        size_t off = 0;
        while (off < piece) {
            size_t used;
            struct transport_frame f;
            enum transport_status st = transport_v1_read(t, data + pos + off, piece - off, &used, &f);
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

static void check_frame(const struct transport_frame *f, const char *command, const uint8_t *whole,
                        size_t whole_len)
{
    assert_string_equal(f->command, command);
    assert_int_equal(f->len, whole_len - 24);
    if (f->len) assert_memory_equal(f->payload, whole + 24, f->len);
}

static void test_core_frames_whole_and_byte_by_byte(void **state)
{
    (void)state;
    struct session s;
    load_session(&s);
    for (size_t chunk = 0; chunk <= 1; chunk++) {
        for (size_t i = 0; i < s.n; i++) {
            struct transport_v1 t;
            transport_v1_init(&t, regtest(), MAX);
            struct transport_frame f[1];
            assert_int_equal(feed(&t, s.frames[i], s.lens[i], chunk, f, 1), 1);
            check_frame(&f[0], s.commands[i], s.frames[i], s.lens[i]);
            transport_frame_free(&f[0]);
            assert_int_equal(transport_v1_buffered(&t), 0);
            transport_v1_clear(&t);
        }
    }
    free_session(&s);
}

static void test_core_frames_split_at_every_byte(void **state)
{
    (void)state;
    struct session s;
    load_session(&s);
    for (size_t i = 0; i < s.n; i++) {
        for (size_t cut = 0; cut <= s.lens[i]; cut++) {
            struct transport_v1 t;
            transport_v1_init(&t, regtest(), MAX);
            struct transport_frame f;
            size_t used;
            enum transport_status st = transport_v1_read(&t, s.frames[i], cut, &used, &f);
            assert_int_equal(used, cut);
            if (cut < s.lens[i]) {
                assert_int_equal(st, TRANSPORT_NEED_MORE);
                assert_int_equal(transport_v1_buffered(&t), cut);
                st = transport_v1_read(&t, s.frames[i] + cut, s.lens[i] - cut, &used, &f);
                assert_int_equal(used, s.lens[i] - cut);
            }
            assert_int_equal(st, TRANSPORT_FRAME);
            check_frame(&f, s.commands[i], s.frames[i], s.lens[i]);
            transport_frame_free(&f);
            transport_v1_clear(&t);
        }
    }
    free_session(&s);
}

static void test_concatenated_frames_come_out_in_order(void **state)
{
    (void)state;
    struct session s;
    load_session(&s);
    struct buf_writer all;
    buf_writer_init(&all);
    for (size_t i = 0; i < s.n; i++) buf_write_bytes(&all, s.frames[i], s.lens[i]);
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        struct transport_v1 t;
        transport_v1_init(&t, regtest(), MAX);
        struct transport_frame f[16];
        assert_int_equal(feed(&t, all.data, all.len, chunk, f, 16), s.n);
        for (size_t i = 0; i < s.n; i++) {
            check_frame(&f[i], s.commands[i], s.frames[i], s.lens[i]);
            transport_frame_free(&f[i]);
        }
        transport_v1_clear(&t);
    }
    buf_writer_free(&all);
    free_session(&s);
}

static void roundtrip(size_t len)
{
    uint8_t *payload = malloc(len ? len : 1);
    assert_non_null(payload);
    for (size_t i = 0; i < len; i++) payload[i] = (uint8_t)(i * 31 + 7);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(transport_v1_write(regtest(), "block", payload, len, MAX, &w), TRANSPORT_OK);
    assert_int_equal(w.len, 24 + len);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, w.data, w.len, &used, &f), TRANSPORT_FRAME);
    assert_int_equal(used, w.len);
    assert_string_equal(f.command, "block");
    assert_int_equal(f.len, len);
    if (len) assert_memory_equal(f.payload, payload, len);
    else assert_null(f.payload);
    transport_frame_free(&f);
    transport_v1_clear(&t);
    buf_writer_free(&w);
    free(payload);
}

static void test_write_read_roundtrip_sizes(void **state)
{
    (void)state;
    roundtrip(0);
    roundtrip(1);
    roundtrip(65536 + 3); /* past the first allocation */
    roundtrip(1000000);
    roundtrip(MAX);
}

static void test_wrong_magic_fatal_after_four_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *frame = test_core_frame("verack", &len);
    struct transport_v1 t;
    transport_v1_init(&t, netparams_get(NET_MAIN)->magic, MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, frame, 3, &used, &f), TRANSPORT_NEED_MORE);
    assert_int_equal(transport_v1_read(&t, frame + 3, len - 3, &used, &f), TRANSPORT_FATAL_MAGIC);
    assert_int_equal(used, 1);
    assert_true(transport_status_fatal(TRANSPORT_FATAL_MAGIC));
    /* dead: nothing more is consumed */
    assert_int_equal(transport_v1_read(&t, frame, len, &used, &f), TRANSPORT_FATAL_MAGIC);
    assert_int_equal(used, 0);
    transport_v1_clear(&t);
    free(frame);
}

static void make_header(uint8_t hdr[24], const char *cmd, uint32_t len)
{
    memset(hdr, 0, 24);
    memcpy(hdr, regtest(), 4);
    memcpy(hdr + 4, cmd, strlen(cmd));
    le32_write(hdr + 16, len);
}

static void test_oversize_fatal_before_any_payload(void **state)
{
    (void)state;
    uint8_t buf[24 + 10] = {0};
    make_header(buf, "block", MAX + 1);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, buf, sizeof buf, &used, &f), TRANSPORT_FATAL_OVERSIZE);
    assert_int_equal(used, 24);
    assert_int_equal(transport_v1_buffered(&t), 0);
    transport_v1_clear(&t);
}

static void test_claimed_length_does_not_allocate_up_front(void **state)
{
    (void)state;
    uint8_t buf[24 + 100];
    memset(buf, 0xab, sizeof buf);
    make_header(buf, "block", MAX);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, buf, sizeof buf, &used, &f), TRANSPORT_NEED_MORE);
    assert_int_equal(transport_v1_buffered(&t), 24 + 100);
    assert_true(t.payload_cap <= 65536); /* not 4 MB for 100 bytes */
    transport_v1_clear(&t);
}

static void test_bad_checksum_dropped_stream_continues(void **state)
{
    (void)state;
    size_t plen, vlen;
    uint8_t *ping = test_core_frame("ping", &plen);
    uint8_t *verack = test_core_frame("verack", &vlen);
    ping[20] ^= 1;
    uint8_t both[64];
    memcpy(both, ping, plen);
    memcpy(both + plen, verack, vlen);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, both, plen + vlen, &used, &f), TRANSPORT_DROP_CHECKSUM);
    assert_int_equal(used, plen);
    assert_string_equal(f.command, "ping");
    assert_null(f.payload);
    assert_false(transport_status_fatal(TRANSPORT_DROP_CHECKSUM));
    assert_int_equal(transport_v1_read(&t, both + used, plen + vlen - used, &used, &f), TRANSPORT_FRAME);
    assert_string_equal(f.command, "verack");
    transport_frame_free(&f);
    transport_v1_clear(&t);
    free(ping);
    free(verack);
}

static void expect_bad_command(const char cmd[12])
{
    uint8_t buf[24];
    make_header(buf, "", 0);
    memcpy(buf + 4, cmd, 12);
    uint8_t sum[4];
    sha256d_checksum("", 0, sum);
    memcpy(buf + 20, sum, 4);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, buf, sizeof buf, &used, &f), TRANSPORT_DROP_COMMAND);
    assert_int_equal(used, 24);
    /* printable in logs whatever came in */
    for (const char *c = f.command; *c; c++) assert_true(*c >= 0x20 && *c < 0x7f);
    transport_v1_clear(&t);
}

static void test_invalid_command_dropped(void **state)
{
    (void)state;
    expect_bad_command("ver\x01" "ack\0\0\0\0\0");
    expect_bad_command("verack\0x\0\0\0\0");
    expect_bad_command("\x80\x81\0\0\0\0\0\0\0\0\0\0");
    /* all NULs is valid (an empty, unknown command) */
    uint8_t buf[24];
    make_header(buf, "", 0);
    sha256d_checksum("", 0, buf + 20);
    struct transport_v1 t;
    transport_v1_init(&t, regtest(), MAX);
    struct transport_frame f;
    size_t used;
    assert_int_equal(transport_v1_read(&t, buf, sizeof buf, &used, &f), TRANSPORT_FRAME);
    assert_string_equal(f.command, "");
    transport_frame_free(&f);
    transport_v1_clear(&t);
}

static void test_write_rejects_bad_command_and_oversize(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(transport_v1_write(regtest(), "", NULL, 0, MAX, &w), TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_v1_write(regtest(), "thirteen-long", NULL, 0, MAX, &w),
                     TRANSPORT_ERR_COMMAND);
    assert_int_equal(transport_v1_write(regtest(), "bad\ncmd", NULL, 0, MAX, &w), TRANSPORT_ERR_COMMAND);
    uint8_t p[11] = {0};
    assert_int_equal(transport_v1_write(regtest(), "tx", p, sizeof p, 10, &w), TRANSPORT_ERR_TOO_LONG);
    assert_int_equal(w.len, 0);
    assert_int_equal(transport_v1_write(regtest(), "twelve-chars", NULL, 0, MAX, &w), TRANSPORT_OK);
    assert_int_equal(w.len, 24);
    buf_writer_free(&w);
}

static void test_written_frame_matches_core_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *frame = test_core_frame("pong", &len);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(transport_v1_write(regtest(), "pong", frame + 24, len - 24, MAX, &w), TRANSPORT_OK);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, frame, len);
    buf_writer_free(&w);
    free(frame);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_frames_whole_and_byte_by_byte),
        cmocka_unit_test(test_core_frames_split_at_every_byte),
        cmocka_unit_test(test_concatenated_frames_come_out_in_order),
        cmocka_unit_test(test_write_read_roundtrip_sizes),
        cmocka_unit_test(test_wrong_magic_fatal_after_four_bytes),
        cmocka_unit_test(test_oversize_fatal_before_any_payload),
        cmocka_unit_test(test_claimed_length_does_not_allocate_up_front),
        cmocka_unit_test(test_bad_checksum_dropped_stream_continues),
        cmocka_unit_test(test_invalid_command_dropped),
        cmocka_unit_test(test_write_rejects_bad_command_and_oversize),
        cmocka_unit_test(test_written_frame_matches_core_bytes),
    };
    return test_run_group(tests);
}
