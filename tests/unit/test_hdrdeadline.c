/* Core's headers download deadline (issue 14): base + per header × the
 * headers expected missing, whole headers, saturating on any best-header
 * time a peer can put on the wire; lifted within 24 h of now. */
#include "testutil.h"

#include "node/hdrdeadline.h"

#include <stdint.h>

#define NOW_S 1764720000 /* 2025-12-03 */

static void test_missing_headers_are_whole_spacings(void **state)
{
    (void)state;
    assert_int_equal(hdrdeadline_missing(NOW_S, NOW_S - 599, 600), 0);
    assert_int_equal(hdrdeadline_missing(NOW_S, NOW_S - 600, 600), 1);
    assert_int_equal(hdrdeadline_missing(NOW_S, NOW_S - 1199, 600), 1);
    /* mainnet genesis (2009-01-03): about 888k headers at this date */
    assert_int_equal(hdrdeadline_missing(NOW_S, 1231006505, 600), (NOW_S - 1231006505) / 600);
}

static void test_header_time_from_the_wire_never_wraps(void **state)
{
    (void)state;
    /* in the future (up to 2 h is valid), or any 32-bit value: nothing missing */
    assert_int_equal(hdrdeadline_missing(NOW_S, NOW_S + 7200, 600), 0);
    assert_int_equal(hdrdeadline_missing(NOW_S, UINT32_MAX, 600), 0);
    assert_int_equal(hdrdeadline_missing(NOW_S, 0, 600), NOW_S / 600);
    /* a spacing of 0 (never a network's) does not divide by zero */
    assert_int_equal(hdrdeadline_missing(NOW_S, NOW_S - 10, 0), 10);
    assert_int_equal(hdrdeadline_missing(INT64_MAX, 0, 1), (uint64_t)INT64_MAX);
}

static void test_deadline_is_core_s(void **state)
{
    (void)state;
    /* Core: 15 min + 1 ms × missing */
    uint64_t missing = hdrdeadline_missing(NOW_S, 1231006505, 600);
    assert_int_equal(hdrdeadline_at(5000, HDRDEADLINE_BASE_MS_DEFAULT,
                                    HDRDEADLINE_PER_HEADER_MS_DEFAULT, missing),
                     5000 + 900000 + missing);
    assert_int_equal(hdrdeadline_at(5000, 300, 0, missing), 5300);
    assert_int_equal(hdrdeadline_at(0, 0, 7, 3), 21);
}

static void test_deadline_saturates(void **state)
{
    (void)state;
    assert_true(hdrdeadline_at(0, 1, UINT32_MAX, UINT64_MAX) == UINT64_MAX);
    assert_true(hdrdeadline_at(UINT64_MAX - 10, 100, 0, 0) == UINT64_MAX);
    assert_true(hdrdeadline_at(UINT64_MAX - 100, 50, 1, 49) == UINT64_MAX - 1);
    assert_true(hdrdeadline_at(1, 0, 2, UINT64_MAX / 2) == UINT64_MAX);
}

static void test_lifted_within_a_day(void **state)
{
    (void)state;
    assert_false(hdrdeadline_caught_up(NOW_S, NOW_S - 86400));
    assert_true(hdrdeadline_caught_up(NOW_S, NOW_S - 86399));
    assert_true(hdrdeadline_caught_up(NOW_S, NOW_S + 3600));
    assert_false(hdrdeadline_caught_up(NOW_S, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_headers_are_whole_spacings),
        cmocka_unit_test(test_header_time_from_the_wire_never_wraps),
        cmocka_unit_test(test_deadline_is_core_s),
        cmocka_unit_test(test_deadline_saturates),
        cmocka_unit_test(test_lifted_within_a_day),
    };
    return test_run_group(tests);
}
