/* Clocks a peer claims (issue 13, items 1 and 6): the peer layer's offset
 * from a version timestamp is defined and bounded for every int64 off the
 * wire (INT64_MIN made `timestamp - now` undefined behaviour; UBSan
 * aborted the daemon), the saturating helpers it rests on, and the node's
 * sample ring of outbound offsets with Bitcoin Core v27+'s rules: the
 * upper median, 0 below five samples, the last fifty kept, a warning only
 * strictly beyond ten minutes. */
#include "testutil.h"

#include "node/timeoffsets.h"
#include "peer/peer_internal.h"

#include <btcpeerd/satmath.h>

#include <stdint.h>

#define NOW 1800000000LL

static void test_version_time_extremes_give_bounded_offsets(void **state)
{
    (void)state;
    /* Core reads a negative time as 0: the offset is -now. */
    assert_true(peer_time_offset(INT64_MIN, NOW) == -NOW);
    assert_true(peer_time_offset(-1, NOW) == -NOW);
    assert_true(peer_time_offset(0, NOW) == -NOW);
    /* The top is capped where uint32 protocol times end (2106). */
    assert_true(peer_time_offset(INT64_MAX, NOW) == (int64_t)UINT32_MAX - NOW);
    assert_true(peer_time_offset((int64_t)UINT32_MAX + 1, NOW) == (int64_t)UINT32_MAX - NOW);
    /* Honest clocks pass as they are. */
    assert_true(peer_time_offset(NOW + 5, NOW) == 5);
    assert_true(peer_time_offset(NOW - 3600, NOW) == -3600);
    /* Even an absurd local clock cannot make the subtraction overflow. */
    assert_true(peer_time_offset(INT64_MAX, INT64_MIN) == INT64_MAX);
    assert_true(peer_time_offset(0, INT64_MAX) == -INT64_MAX);
}

static void test_saturating_helpers(void **state)
{
    (void)state;
    assert_true(sat_sub_i64(INT64_MIN, 1) == INT64_MIN);
    assert_true(sat_sub_i64(INT64_MAX, -1) == INT64_MAX);
    assert_true(sat_sub_i64(0, INT64_MIN) == INT64_MAX);
    assert_true(sat_sub_i64(10, 3) == 7);
    assert_true(sat_add_i64(INT64_MAX, 1) == INT64_MAX);
    assert_true(sat_add_i64(INT64_MIN, -1) == INT64_MIN);
    assert_true(sat_add_i64(-5, 3) == -2);
    assert_true(sat_add_u64(UINT64_MAX, 1) == UINT64_MAX);
    assert_true(sat_add_u64(1, 2) == 3);
    assert_true(sat_mul_u64(UINT64_MAX / 2, 3) == UINT64_MAX);
    assert_true(sat_mul_u64(6, 7) == 42);
    assert_true(sat_abs_i64(INT64_MIN) == INT64_MAX);
    assert_true(sat_abs_i64(-7) == 7);
    assert_true(clamp_i64(-9, 0, 5) == 0);
    assert_true(clamp_i64(9, 0, 5) == 5);
    assert_true(clamp_i64(3, 0, 5) == 3);
    assert_true(time_bounded(INT64_MIN) == 0);
    assert_true(time_bounded(INT64_MAX) == (int64_t)UINT32_MAX);
    assert_true(time_bounded(NOW) == NOW);
}

static void add_all(struct time_offsets *t, const int64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) time_offsets_add(t, v[i]);
}

static void test_median_needs_five_samples(void **state)
{
    (void)state;
    struct time_offsets t;
    time_offsets_init(&t);
    int64_t four[] = {-4, -3, -2, -1};
    add_all(&t, four, 4);
    assert_true(time_offsets_median(&t) == 0);
    time_offsets_add(&t, 0);
    assert_true(time_offsets_median(&t) == -2);
    /* even count: the upper median, sorted[n / 2] */
    time_offsets_add(&t, 100);
    assert_true(time_offsets_median(&t) == -1);
}

static void test_ring_keeps_the_last_fifty(void **state)
{
    (void)state;
    struct time_offsets t;
    time_offsets_init(&t);
    for (int i = 0; i < TIME_OFFSETS_MAX; i++) time_offsets_add(&t, 1000000);
    assert_true(time_offsets_median(&t) == 1000000);
    /* 50 more honest samples push every old one out */
    for (int i = 0; i < TIME_OFFSETS_MAX; i++) time_offsets_add(&t, 3);
    assert_int_equal(t.n, TIME_OFFSETS_MAX);
    assert_true(time_offsets_median(&t) == 3);
    assert_false(time_offsets_out_of_sync(&t));
}

static void test_warning_only_beyond_ten_minutes(void **state)
{
    (void)state;
    struct time_offsets t;
    time_offsets_init(&t);
    for (int i = 0; i < 4; i++) time_offsets_add(&t, 60 * 60);
    assert_false(time_offsets_out_of_sync(&t)); /* four samples: nothing to say */
    time_offsets_add(&t, 60 * 60);
    assert_true(time_offsets_out_of_sync(&t));

    time_offsets_init(&t);
    for (int i = 0; i < 5; i++) time_offsets_add(&t, TIME_OFFSETS_WARN_S);
    assert_false(time_offsets_out_of_sync(&t)); /* exactly ten minutes: strict > */
    time_offsets_init(&t);
    for (int i = 0; i < 5; i++) time_offsets_add(&t, -TIME_OFFSETS_WARN_S - 1);
    assert_true(time_offsets_out_of_sync(&t));
    time_offsets_init(&t);
    for (int i = 0; i < 100; i++) time_offsets_add(&t, 3 * 60);
    assert_false(time_offsets_out_of_sync(&t));
    /* the extremes a sample can hold do not break |median| */
    time_offsets_init(&t);
    for (int i = 0; i < 5; i++) time_offsets_add(&t, INT64_MIN);
    assert_true(time_offsets_median(&t) == INT64_MIN);
    assert_true(time_offsets_out_of_sync(&t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_time_extremes_give_bounded_offsets),
        cmocka_unit_test(test_saturating_helpers),
        cmocka_unit_test(test_median_needs_five_samples),
        cmocka_unit_test(test_ring_keeps_the_last_fifty),
        cmocka_unit_test(test_warning_only_beyond_ten_minutes),
    };
    return test_run_group(tests);
}
