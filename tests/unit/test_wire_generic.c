/* The generic message layer: command names, Core's command-field rule,
 * unknown commands kept whole, and error names. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void test_every_type_maps_to_its_command_and_back(void **state)
{
    (void)state;
    for (unsigned t = 0; t < WIRE_UNKNOWN; t++) {
        const char *cmd = wire_type_command((enum wire_type)t);
        assert_true(strlen(cmd) > 0 && strlen(cmd) <= WIRE_COMMAND_LEN);
        assert_int_equal(wire_type_from_command(cmd, strlen(cmd)), t);
        /* the NUL-padded 12-byte field form as well */
        char field[WIRE_COMMAND_LEN] = {0};
        memcpy(field, cmd, strlen(cmd));
        assert_int_equal(wire_type_from_command(field, sizeof field), t);
    }
    assert_int_equal(wire_type_from_command("versio", 6), WIRE_UNKNOWN);
    assert_int_equal(wire_type_from_command("versionx", 8), WIRE_UNKNOWN);
    assert_int_equal(wire_type_from_command("", 0), WIRE_UNKNOWN);
}

static void test_command_field_follows_core_rule(void **state)
{
    (void)state;
    uint8_t f[WIRE_COMMAND_LEN] = "version";
    assert_true(wire_command_valid(f));
    memset(f, 0, sizeof f);
    assert_true(wire_command_valid(f)); /* empty: valid, just unknown */
    memcpy(f, "abcdefghijkl", 12);
    assert_true(wire_command_valid(f)); /* all 12 used, no NUL */
    memcpy(f, "ver\0ion\0\0\0\0\0", 12);
    assert_false(wire_command_valid(f)); /* non-NUL after the first NUL */
    memcpy(f, "ver\x01ion\0\0\0\0\0", 12);
    assert_false(wire_command_valid(f)); /* control character */
    memcpy(f, "ver\x7fion\0\0\0\0\0", 12);
    assert_false(wire_command_valid(f)); /* DEL */
    memcpy(f, "ver sion\0\0\0\0", 12);
    assert_true(wire_command_valid(f)); /* space is printable */
}

static void test_unknown_command_kept_as_command_and_payload(void **state)
{
    (void)state;
    const uint8_t payload[] = {1, 2, 3, 4, 5};
    struct wire_msg msg;
    assert_int_equal(wire_decode("mempool2", payload, sizeof payload, &msg), WIRE_OK);
    assert_int_equal(msg.type, WIRE_UNKNOWN);
    assert_string_equal(msg.u.unknown.command, "mempool2");
    assert_int_equal(msg.u.unknown.len, sizeof payload);
    assert_memory_equal(msg.u.unknown.payload, payload, sizeof payload);
    assert_string_equal(wire_msg_command(&msg), "mempool2");
    wire_msg_free(&msg);
    test_roundtrip_bytes("mempool2", payload, sizeof payload);
    test_roundtrip_bytes("x", NULL, 0);
}

static void test_empty_messages_take_no_payload(void **state)
{
    (void)state;
    const char *cmds[] = {"verack", "getaddr", "sendaddrv2", "sendheaders", "wtxidrelay"};
    const uint8_t extra[] = {0};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        test_roundtrip_bytes(cmds[i], NULL, 0);
        struct wire_msg msg;
        assert_int_equal(wire_decode(cmds[i], extra, 1, &msg), WIRE_ERR_TRAILING);
    }
}

static void test_error_names_are_distinct_tokens(void **state)
{
    (void)state;
    for (int a = WIRE_OK; a <= WIRE_ERR_NOMEM; a++) {
        const char *sa = wire_err_str((enum wire_err)a);
        assert_null(strchr(sa, ' '));
        for (int b = a + 1; b <= WIRE_ERR_NOMEM; b++)
            assert_string_not_equal(sa, wire_err_str((enum wire_err)b));
    }
    assert_int_equal(wire_err_from_buf(BUF_NONCANONICAL), WIRE_ERR_NONCANONICAL);
    assert_int_equal(wire_err_from_buf(BUF_TRUNCATED), WIRE_ERR_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_maps_to_its_command_and_back),
        cmocka_unit_test(test_command_field_follows_core_rule),
        cmocka_unit_test(test_unknown_command_kept_as_command_and_payload),
        cmocka_unit_test(test_empty_messages_take_no_payload),
        cmocka_unit_test(test_error_names_are_distinct_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
