/* The dial book (issue 13 item 4): Core's 10-minute / 30-selection rule,
 * and our back-off after a failure, which no number of selections gets
 * around. Times are the caller's monotonic milliseconds. */
#include "testutil.h"

#include "node/redial.h"

#include <string.h>

static struct wire_netaddr host(uint8_t last, uint16_t port)
{
    struct wire_netaddr a = {.net = WIRE_NET_IPV4, .port = port};
    a.addr[0] = 203;
    a.addr[1] = 0;
    a.addr[2] = 113;
    a.addr[3] = last;
    return a;
}

#define T0 1000000u
#define BACKOFF 120000u

static void test_unknown_host_may_be_dialled(void **state)
{
    (void)state;
    struct redial *r = redial_new(BACKOFF);
    assert_non_null(r);
    struct wire_netaddr a = host(1, 8333);
    assert_int_equal(redial_check(r, &a, T0, 0), REDIAL_OK);
    redial_free(r);
}

/* Core: tried in the last 10 minutes → passed over until the 30th
 * selection of the round. A success is never held back beyond that. */
static void test_core_recent_rule(void **state)
{
    (void)state;
    struct redial *r = redial_new(BACKOFF);
    struct wire_netaddr a = host(1, 8333);
    redial_dialled(r, &a, T0);
    redial_succeeded(r, &a);
    assert_int_equal(redial_check(r, &a, T0 + 1000, 0), REDIAL_RECENT);
    assert_int_equal(redial_check(r, &a, T0 + 1000, REDIAL_RECENT_SELECTIONS - 1), REDIAL_RECENT);
    assert_int_equal(redial_check(r, &a, T0 + 1000, REDIAL_RECENT_SELECTIONS), REDIAL_OK);
    assert_int_equal(redial_check(r, &a, T0 + REDIAL_RECENT_MS, 0), REDIAL_OK);
    assert_string_equal(redial_verdict_str(REDIAL_RECENT), "recently-tried");
    redial_free(r);
}

/* The case: a failure holds the host back for the whole back-off,
 * at any selection count; after it, Core's rule alone applies. */
static void test_failure_backs_off_whatever_the_round(void **state)
{
    (void)state;
    struct redial *r = redial_new(BACKOFF);
    struct wire_netaddr a = host(1, 18444);
    redial_dialled(r, &a, T0);
    redial_failed(r, &a, T0 + 5);
    for (unsigned sel = 0; sel < 100; sel++)
        assert_int_equal(redial_check(r, &a, T0 + 500, sel), REDIAL_BACKOFF);
    assert_int_equal(redial_check(r, &a, T0 + 5 + BACKOFF - 1, 99), REDIAL_BACKOFF);
    assert_int_equal(redial_check(r, &a, T0 + 5 + BACKOFF, 99), REDIAL_OK);
    assert_int_equal(redial_check(r, &a, T0 + 5 + BACKOFF, 0), REDIAL_RECENT);
    assert_string_equal(redial_verdict_str(REDIAL_BACKOFF), "backoff");
    redial_free(r);
}

/* One target behind many gossiped ports is one host. */
static void test_keyed_by_host_not_port(void **state)
{
    (void)state;
    struct redial *r = redial_new(BACKOFF);
    struct wire_netaddr a = host(1, 1000), other_port = host(1, 2000), other_host = host(2, 1000);
    redial_dialled(r, &a, T0);
    redial_failed(r, &a, T0);
    assert_int_equal(redial_check(r, &other_port, T0 + 1, 99), REDIAL_BACKOFF);
    assert_int_equal(redial_check(r, &other_host, T0 + 1, 0), REDIAL_OK);
    redial_free(r);
}

/* Back-off 0: Core's rule only (the behaviour before the fix). */
static void test_zero_backoff_is_core_alone(void **state)
{
    (void)state;
    struct redial *r = redial_new(0);
    struct wire_netaddr a = host(1, 8333);
    redial_dialled(r, &a, T0);
    redial_failed(r, &a, T0);
    assert_int_equal(redial_check(r, &a, T0 + 1, REDIAL_RECENT_SELECTIONS), REDIAL_OK);
    redial_free(r);
}

/* Entries go once neither rule needs them: the book stays as small as
 * the dials of the last ten minutes. */
static void test_prune_bounds_the_book(void **state)
{
    (void)state;
    struct redial *r = redial_new(BACKOFF);
    for (uint32_t i = 0; i < 1000; i++) {
        struct wire_netaddr a = host((uint8_t)i, 8333);
        a.addr[2] = (uint8_t)(i >> 8);
        redial_dialled(r, &a, T0 + i);
        if (i % 2) redial_failed(r, &a, T0 + i);
    }
    assert_int_equal(redial_size(r), 1000);
    redial_prune(r, T0 + REDIAL_RECENT_MS + 499);
    assert_int_equal(redial_size(r), 500);
    redial_prune(r, T0 + REDIAL_RECENT_MS + 1000);
    assert_int_equal(redial_size(r), 0);
    struct wire_netaddr a = host(0, 8333);
    assert_int_equal(redial_check(r, &a, T0 + REDIAL_RECENT_MS + 1000, 0), REDIAL_OK);
    redial_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_host_may_be_dialled),
        cmocka_unit_test(test_core_recent_rule),
        cmocka_unit_test(test_failure_backs_off_whatever_the_round),
        cmocka_unit_test(test_keyed_by_host_not_port),
        cmocka_unit_test(test_zero_backoff_is_core_alone),
        cmocka_unit_test(test_prune_bounds_the_book),
    };
    return test_run_group(tests);
}
