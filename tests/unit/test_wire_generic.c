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

/* decode(encode(x)) == x for the list messages, built as structs. */
static void encode_decode(const struct wire_msg *in, struct wire_msg *out)
{
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(in, &w), WIRE_OK);
    assert_int_equal(wire_decode(wire_msg_command(in), w.data, w.len, out), WIRE_OK);
    assert_int_equal(out->type, in->type);
    buf_writer_free(&w);
}

static void test_struct_roundtrip_list_messages(void **state)
{
    (void)state;
    struct wire_inv_entry entries[3] = {{WIRE_INV_WITNESS_BLOCK, {1}}, {WIRE_INV_WTX, {2}}, {7, {3}}};
    enum wire_type inv_types[] = {WIRE_INV, WIRE_GETDATA, WIRE_NOTFOUND};
    for (size_t t = 0; t < 3; t++) {
        struct wire_msg in = {.type = inv_types[t], .u.inv = {.count = 3, .entries = entries}}, out;
        encode_decode(&in, &out);
        assert_int_equal(out.u.inv.count, 3);
        assert_memory_equal(out.u.inv.entries, entries, sizeof entries);
        wire_msg_free(&out);
    }
    uint8_t hashes[2][32] = {{0xaa}, {0xbb}};
    enum wire_type loc_types[] = {WIRE_GETHEADERS, WIRE_GETBLOCKS};
    for (size_t t = 0; t < 2; t++) {
        struct wire_msg in = {.type = loc_types[t],
                              .u.locator = {.version = 70016, .count = 2, .hashes = hashes}},
                        out;
        in.u.locator.hash_stop[31] = 0xcc;
        encode_decode(&in, &out);
        assert_int_equal(out.u.locator.version, 70016);
        assert_int_equal(out.u.locator.count, 2);
        assert_memory_equal(out.u.locator.hashes, hashes, sizeof hashes);
        assert_memory_equal(out.u.locator.hash_stop, in.u.locator.hash_stop, 32);
        wire_msg_free(&out);
    }
    struct wire_header hdrs[2] = {{.version = 0x20000000, .prev_hash = {9}, .merkle_root = {8},
                                   .time = 1, .bits = 0x207fffff, .nonce = 3},
                                  {.version = -1, .time = UINT32_MAX, .bits = 1, .nonce = 0}};
    struct wire_msg in = {.type = WIRE_HEADERS, .u.headers = {.count = 2, .headers = hdrs}}, out;
    encode_decode(&in, &out);
    assert_int_equal(out.u.headers.count, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(out.u.headers.headers[i].version, hdrs[i].version);
        assert_memory_equal(out.u.headers.headers[i].prev_hash, hdrs[i].prev_hash, 32);
        assert_memory_equal(out.u.headers.headers[i].merkle_root, hdrs[i].merkle_root, 32);
        assert_true(out.u.headers.headers[i].time == hdrs[i].time);
        assert_true(out.u.headers.headers[i].bits == hdrs[i].bits);
        assert_true(out.u.headers.headers[i].nonce == hdrs[i].nonce);
    }
    wire_msg_free(&out);
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
        cmocka_unit_test(test_struct_roundtrip_list_messages),
        cmocka_unit_test(test_error_names_are_distinct_tokens),
    };
    return test_run_group(tests);
}
