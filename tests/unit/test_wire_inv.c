/* inv, getdata and notfound: every inventory type kept as sent (witness
 * flag included), the 50,000-entry limit, lying counts. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void build_inv(struct buf_writer *w, size_t n, const uint32_t *types, size_t n_types)
{
    buf_write_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t hash[32];
        for (int k = 0; k < 32; k++) hash[k] = (uint8_t)(i * 7 + (size_t)k);
        buf_write_u32le(w, types[i % n_types]);
        buf_write_bytes(w, hash, 32);
    }
}

static const uint32_t all_types[] = {
    WIRE_INV_ERROR,        WIRE_INV_TX,           WIRE_INV_BLOCK,
    WIRE_INV_FILTERED_BLOCK, WIRE_INV_CMPCT_BLOCK, WIRE_INV_WTX,
    WIRE_INV_WITNESS_TX,   WIRE_INV_WITNESS_BLOCK, WIRE_INV_WITNESS_FILTERED_BLOCK,
    0x12345678u, /* unknown: kept */
};

static void test_every_type_roundtrips_for_all_three_commands(void **state)
{
    (void)state;
    const char *cmds[] = {"inv", "getdata", "notfound"};
    struct buf_writer w;
    buf_writer_init(&w);
    size_t n_types = sizeof all_types / sizeof all_types[0];
    build_inv(&w, n_types, all_types, n_types);
    for (int c = 0; c < 3; c++) {
        struct wire_msg msg;
        assert_int_equal(wire_decode(cmds[c], w.data, w.len, &msg), WIRE_OK);
        assert_int_equal(msg.u.inv.count, n_types);
        for (size_t i = 0; i < n_types; i++) assert_int_equal(msg.u.inv.entries[i].type, all_types[i]);
        assert_int_equal(msg.u.inv.entries[3].hash[5], 3 * 7 + 5);
        wire_msg_free(&msg);
        test_roundtrip_bytes(cmds[c], w.data, w.len);
        test_every_truncation(cmds[c], w.data, w.len, NULL, 0);
    }
    buf_writer_free(&w);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(wire_inv_type_str(WIRE_INV_WITNESS_BLOCK), "witness_block");
    assert_string_equal(wire_inv_type_str(WIRE_INV_WTX), "wtx");
    assert_string_equal(wire_inv_type_str(WIRE_INV_CMPCT_BLOCK), "cmpct_block");
    assert_string_equal(wire_inv_type_str(0x12345678u), "unknown");
}

static void test_limit_50000_entries(void **state)
{
    (void)state;
    uint32_t t = WIRE_INV_TX;
    struct buf_writer w;
    buf_writer_init(&w);
    build_inv(&w, 50000, &t, 1);
    struct wire_msg msg;
    assert_int_equal(wire_decode("inv", w.data, w.len, &msg), WIRE_OK);
    assert_int_equal(msg.u.inv.count, 50000);
    wire_msg_free(&msg);
    buf_writer_reset(&w);
    build_inv(&w, 50001, &t, 1);
    assert_int_equal(wire_decode("inv", w.data, w.len, &msg), WIRE_ERR_TOO_MANY);
    buf_writer_free(&w);

    struct wire_inv_entry *many = calloc(50001, sizeof *many);
    struct wire_msg big = {.type = WIRE_GETDATA, .u.inv = {.count = 50001, .entries = many}};
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&big, &w), WIRE_ERR_TOO_MANY);
    buf_writer_free(&w);
    free(many);
}

static void test_lying_count_rejected_before_allocation(void **state)
{
    (void)state;
    /* 50,000 entries claimed, one present */
    uint32_t t = WIRE_INV_BLOCK;
    struct buf_writer w;
    buf_writer_init(&w);
    build_inv(&w, 1, &t, 1);
    uint8_t claim[3] = {0xfd, 0x50, 0xc3};
    struct buf_writer lie;
    buf_writer_init(&lie);
    buf_write_bytes(&lie, claim, 3);
    buf_write_bytes(&lie, w.data + 1, w.len - 1);
    struct wire_msg msg;
    assert_int_equal(wire_decode("inv", lie.data, lie.len, &msg), WIRE_ERR_TRUNCATED);
    /* the same count written non-canonically in 5 bytes */
    buf_writer_reset(&lie);
    buf_write_bytes(&lie, "\xfe\x01\x00\x00\x00", 5);
    buf_write_bytes(&lie, w.data + 1, w.len - 1);
    assert_int_equal(wire_decode("inv", lie.data, lie.len, &msg), WIRE_ERR_NONCANONICAL);
    /* trailing bytes */
    buf_write_u8(&w, 0);
    assert_int_equal(wire_decode("notfound", w.data, w.len, &msg), WIRE_ERR_TRAILING);
    buf_writer_free(&lie);
    buf_writer_free(&w);
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    test_random_garbage("inv", 5000, 120, 11);
    test_random_garbage("getdata", 5000, 120, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_roundtrips_for_all_three_commands),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_limit_50000_entries),
        cmocka_unit_test(test_lying_count_rejected_before_allocation),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
