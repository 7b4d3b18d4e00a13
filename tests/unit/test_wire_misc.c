/* The small fixed messages against Bitcoin Core v29's own frames, and their
 * exact lengths. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* The payload of Core's frame for command (the frame minus 24 bytes). */
static uint8_t *core_payload(const char *command, size_t *len)
{
    size_t flen;
    uint8_t *frame = test_core_frame(command, &flen);
    assert_non_null(frame);
    *len = flen - 24;
    memmove(frame, frame + 24, *len);
    return frame;
}

static void test_core_frames_known_answers(void **state)
{
    (void)state;
    size_t len;
    struct wire_msg msg;
    uint8_t *p = core_payload("sendcmpct", &len);
    assert_int_equal(wire_decode("sendcmpct", p, len, &msg), WIRE_OK);
    assert_false(msg.u.sendcmpct.announce);
    assert_true(msg.u.sendcmpct.version == 2);
    test_roundtrip_bytes("sendcmpct", p, len);
    free(p);

    p = core_payload("feefilter", &len);
    assert_int_equal(wire_decode("feefilter", p, len, &msg), WIRE_OK);
    assert_true(msg.u.feefilter.feerate == 1000);
    test_roundtrip_bytes("feefilter", p, len);
    free(p);

    p = core_payload("pong", &len);
    assert_int_equal(wire_decode("pong", p, len, &msg), WIRE_OK);
    assert_true(msg.u.ping.nonce == 0x0102030405060708ull);
    test_roundtrip_bytes("pong", p, len);
    free(p);

    p = core_payload("ping", &len);
    assert_int_equal(len, 8);
    test_roundtrip_bytes("ping", p, len);
    free(p);

    const char *empty[] = {"wtxidrelay", "sendaddrv2", "verack"};
    for (size_t i = 0; i < 3; i++) {
        p = core_payload(empty[i], &len);
        assert_int_equal(len, 0);
        test_roundtrip_bytes(empty[i], p, len);
        free(p);
    }
}

static void test_exact_lengths_truncation_and_trailing(void **state)
{
    (void)state;
    const uint8_t nine[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const struct {
        const char *cmd;
        size_t len;
    } fixed[] = {{"ping", 8}, {"pong", 8}, {"feefilter", 8}, {"sendcmpct", 9}};
    for (size_t i = 0; i < 4; i++) {
        uint8_t p[10] = {0};
        memcpy(p, nine, fixed[i].len);
        p[0] = 1;
        test_every_truncation(fixed[i].cmd, p, fixed[i].len, NULL, 0);
        struct wire_msg msg;
        assert_int_equal(wire_decode(fixed[i].cmd, p, fixed[i].len + 1, &msg), WIRE_ERR_TRAILING);
        assert_int_equal(wire_decode(fixed[i].cmd, p, fixed[i].len, &msg), WIRE_OK);
        wire_msg_free(&msg);
    }
}

static void test_sendcmpct_announce_byte_like_core_bool(void **state)
{
    (void)state;
    uint8_t p[9] = {2, 1, 0, 0, 0, 0, 0, 0, 0};
    struct wire_msg msg;
    assert_int_equal(wire_decode("sendcmpct", p, sizeof p, &msg), WIRE_OK);
    assert_true(msg.u.sendcmpct.announce);
    assert_true(msg.u.sendcmpct.version == 1);
    p[0] = 1;
    test_roundtrip_bytes("sendcmpct", p, sizeof p);
}

static void test_struct_roundtrips(void **state)
{
    (void)state;
    struct wire_msg in[] = {
        {.type = WIRE_PING, .u.ping.nonce = UINT64_MAX},
        {.type = WIRE_PONG, .u.ping.nonce = 0},
        {.type = WIRE_FEEFILTER, .u.feefilter.feerate = -1},
        {.type = WIRE_SENDCMPCT, .u.sendcmpct = {.announce = true, .version = 2}},
        {.type = WIRE_VERACK},
        {.type = WIRE_SENDHEADERS},
        {.type = WIRE_GETADDR},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        struct buf_writer w;
        buf_writer_init(&w);
        assert_int_equal(wire_encode(&in[i], &w), WIRE_OK);
        struct wire_msg out;
        assert_int_equal(wire_decode(wire_msg_command(&in[i]), w.data, w.len, &out), WIRE_OK);
        assert_int_equal(out.type, in[i].type);
        if (in[i].type == WIRE_PING || in[i].type == WIRE_PONG)
            assert_true(out.u.ping.nonce == in[i].u.ping.nonce);
        if (in[i].type == WIRE_FEEFILTER)
            assert_true(out.u.feefilter.feerate == in[i].u.feefilter.feerate);
        if (in[i].type == WIRE_SENDCMPCT) {
            assert_int_equal(out.u.sendcmpct.announce, in[i].u.sendcmpct.announce);
            assert_true(out.u.sendcmpct.version == in[i].u.sendcmpct.version);
        }
        buf_writer_free(&w);
    }
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    const char *cmds[] = {"ping", "pong", "feefilter", "sendcmpct", "verack", "getaddr"};
    for (size_t i = 0; i < 6; i++) test_random_garbage(cmds[i], 2000, 12, 7 + i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_frames_known_answers),
        cmocka_unit_test(test_exact_lengths_truncation_and_trailing),
        cmocka_unit_test(test_sendcmpct_announce_byte_like_core_bool),
        cmocka_unit_test(test_struct_roundtrips),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
