/* The read cursor, write buffer and compact size: the bounds every decoder
 * relies on. */
#include "testutil.h"

#include <btcpeerd/buf.h>

#include <stdlib.h>
#include <string.h>

static void test_reads_fixed_width_little_endian(void **state)
{
    (void)state;
    const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                            0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    struct buf_reader r;
    buf_reader_init(&r, data, sizeof data);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    assert_true(buf_read_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(buf_read_u16le(&r, &u16));
    assert_int_equal(u16, 0x0302);
    assert_true(buf_read_u16be(&r, &u16));
    assert_int_equal(u16, 0x0405);
    assert_true(buf_read_u32le(&r, &u32));
    assert_int_equal(u32, 0x09080706);
    assert_true(buf_read_u64le(&r, &u64));
    assert_true(u64 == 0x11100f0e0d0c0b0aull);
    assert_int_equal(buf_remaining(&r), 0);
    assert_true(buf_ok(&r));
}

static void test_read_past_end_fails_and_sticks(void **state)
{
    (void)state;
    const uint8_t data[] = {1, 2, 3};
    struct buf_reader r;
    buf_reader_init(&r, data, sizeof data);
    uint32_t v = 0xdeadbeef;
    assert_false(buf_read_u32le(&r, &v));
    assert_int_equal(v, 0xdeadbeef); /* output untouched */
    assert_int_equal(r.status, BUF_TRUNCATED);
    uint8_t b;
    assert_false(buf_read_u8(&r, &b)); /* sticky even though a byte remains */
    assert_int_equal(buf_remaining(&r), 3);
}

static void test_view_and_skip_are_bounded(void **state)
{
    (void)state;
    const uint8_t data[] = {1, 2, 3, 4};
    struct buf_reader r;
    buf_reader_init(&r, data, sizeof data);
    const uint8_t *view;
    assert_true(buf_read_view(&r, 2, &view));
    assert_ptr_equal(view, data);
    assert_true(buf_skip(&r, 2));
    assert_false(buf_skip(&r, 1));
    buf_reader_init(&r, data, sizeof data);
    assert_false(buf_read_view(&r, SIZE_MAX, &view));
}

static void test_compact_size_roundtrip_at_every_width_boundary(void **state)
{
    (void)state;
    const uint64_t values[] = {0, 1, 0xfc, 0xfd, 0xfe, 0xff, 0xffff, 0x10000, 0x02000000};
    const size_t lens[] = {1, 1, 1, 3, 3, 3, 3, 5, 5};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct buf_writer w;
        buf_writer_init(&w);
        assert_true(buf_write_compact(&w, values[i]));
        assert_int_equal(w.len, lens[i]);
        assert_int_equal(compact_size_len(values[i]), lens[i]);
        struct buf_reader r;
        buf_reader_init(&r, w.data, w.len);
        uint64_t got;
        assert_true(buf_read_compact(&r, &got));
        assert_true(got == values[i]);
        assert_int_equal(buf_remaining(&r), 0);
        buf_writer_free(&w);
    }
}

static void expect_compact(const char *hex, enum buf_status status)
{
    size_t n;
    uint8_t *b = test_unhex(hex, &n);
    struct buf_reader r;
    buf_reader_init(&r, b, n);
    uint64_t v;
    assert_int_equal(buf_read_compact(&r, &v), status == BUF_OK);
    assert_int_equal(r.status, status);
    free(b);
}

static void test_compact_size_rejects_non_canonical(void **state)
{
    (void)state;
    expect_compact("fdfc00", BUF_NONCANONICAL);             /* 252 in 3 bytes */
    expect_compact("fdfd00", BUF_OK);
    expect_compact("feffff0000", BUF_NONCANONICAL);         /* 65535 in 5 bytes */
    expect_compact("fe00000100", BUF_OK);
    expect_compact("ffffffffff00000000", BUF_NONCANONICAL); /* 2^32-1 in 9 bytes */
}

static void test_compact_size_over_max_size_rejected(void **state)
{
    (void)state;
    expect_compact("fe01000002", BUF_TOO_LARGE); /* 0x02000001 */
    expect_compact("ff0000000001000000", BUF_TOO_LARGE);
    expect_compact("fd01", BUF_TRUNCATED);
    expect_compact("", BUF_TRUNCATED);
}

static void test_count_checked_against_remaining_bytes(void **state)
{
    (void)state;
    /* count 5 of 10-byte items with 20 bytes left: a lie, caught before use */
    uint8_t data[21] = {5};
    struct buf_reader r;
    size_t n;
    buf_reader_init(&r, data, sizeof data);
    assert_false(buf_read_count(&r, 100, 10, &n));
    assert_int_equal(r.status, BUF_TRUNCATED);
    data[0] = 2;
    buf_reader_init(&r, data, sizeof data);
    assert_true(buf_read_count(&r, 100, 10, &n));
    assert_int_equal(n, 2);
    data[0] = 101;
    buf_reader_init(&r, data, sizeof data);
    assert_false(buf_read_count(&r, 100, 0, &n));
    assert_int_equal(r.status, BUF_TOO_LARGE);
}

static void test_writer_grows_and_steals(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    for (uint32_t i = 0; i < 10000; i++) assert_true(buf_write_u32le(&w, i));
    assert_true(buf_write_u16be(&w, 0x1234));
    assert_true(buf_write_i64le(&w, -2));
    assert_int_equal(w.len, 40000 + 2 + 8);
    assert_int_equal(le32_read(w.data + 4 * 9999), 9999);
    assert_int_equal(w.data[40000], 0x12);
    assert_int_equal(w.data[40002], 0xfe);
    size_t len;
    uint8_t *data = buf_writer_steal(&w, &len);
    assert_int_equal(len, 40010);
    assert_null(w.data);
    assert_int_equal(w.len, 0);
    free(data);
    buf_writer_free(&w);
}

static void test_signed_values_roundtrip(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_i32le(&w, -123456);
    buf_write_i64le(&w, INT64_MIN);
    struct buf_reader r;
    buf_reader_init(&r, w.data, w.len);
    int32_t a;
    int64_t b;
    assert_true(buf_read_i32le(&r, &a));
    assert_true(buf_read_i64le(&r, &b));
    assert_int_equal(a, -123456);
    assert_true(b == INT64_MIN);
    buf_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_fixed_width_little_endian),
        cmocka_unit_test(test_read_past_end_fails_and_sticks),
        cmocka_unit_test(test_view_and_skip_are_bounded),
        cmocka_unit_test(test_compact_size_roundtrip_at_every_width_boundary),
        cmocka_unit_test(test_compact_size_rejects_non_canonical),
        cmocka_unit_test(test_compact_size_over_max_size_rejected),
        cmocka_unit_test(test_count_checked_against_remaining_bytes),
        cmocka_unit_test(test_writer_grows_and_steals),
        cmocka_unit_test(test_signed_values_roundtrip),
    };
    return test_run_group(tests);
}
