/* Stale-tip rules (Bitcoin Core v29's TipMayBeStale and
 * EvictExtraOutboundPeers): when the tip is stale, which extra outbound
 * peer goes, and when it may. */
#include "testutil.h"

#include "node/staletip.h"

#include <stdint.h>

static struct staletip_candidate cand(uint64_t id, uint64_t last_ms)
{
    return (struct staletip_candidate){.id = id, .connected_ms = 1000, .last_ms = last_ms};
}

static void test_stale_after_the_age_and_only_with_nothing_in_flight(void **state)
{
    (void)state;
    assert_false(staletip_is_stale(1000, 1000, 500, false));
    assert_false(staletip_is_stale(1500, 1000, 500, false)); /* exactly the age: not yet */
    assert_true(staletip_is_stale(1501, 1000, 500, false));
    /* a block download in flight means the tip may be about to move */
    assert_false(staletip_is_stale(9000, 1000, 500, true));
    /* a clock that seems to go back never makes it stale */
    assert_false(staletip_is_stale(900, 1000, 0, false));
}

static void test_full_relay_oldest_announcement_goes(void **state)
{
    (void)state;
    struct staletip_candidate c[] = {cand(1, 5000), cand(2, 3000), cand(3, 7000), cand(4, 4000)};
    size_t out;
    assert_true(staletip_pick_full(c, 4, &out));
    assert_int_equal(c[out].id, 2);
    /* never announced counts as the oldest */
    c[2].last_ms = 0;
    assert_true(staletip_pick_full(c, 4, &out));
    assert_int_equal(c[out].id, 3);
}

static void test_full_relay_tie_goes_to_the_newest_connection(void **state)
{
    (void)state;
    struct staletip_candidate c[] = {cand(7, 0), cand(9, 0), cand(8, 0), cand(3, 100)};
    size_t out;
    assert_true(staletip_pick_full(c, 4, &out));
    assert_int_equal(c[out].id, 9);
}

static void test_full_relay_protected_and_last_on_network_are_kept(void **state)
{
    (void)state;
    struct staletip_candidate c[] = {cand(1, 0), cand(2, 10), cand(3, 20)};
    c[0].protect = true;
    c[1].only_on_net = true;
    size_t out;
    assert_true(staletip_pick_full(c, 3, &out));
    assert_int_equal(c[out].id, 3);
    c[2].protect = true;
    assert_false(staletip_pick_full(c, 3, &out));
    assert_false(staletip_pick_full(c, 0, &out));
}

static void test_block_relay_youngest_goes_unless_it_brought_a_block(void **state)
{
    (void)state;
    struct staletip_candidate c[] = {cand(4, 500), cand(12, 0), cand(6, 900), cand(10, 100)};
    size_t out;
    /* youngest 12 brought nothing: it goes */
    assert_true(staletip_pick_block_relay(c, 4, &out));
    assert_int_equal(c[out].id, 12);
    /* it brought a block later than the next youngest (10) did: 10 goes */
    c[1].last_ms = 200;
    assert_true(staletip_pick_block_relay(c, 4, &out));
    assert_int_equal(c[out].id, 10);
    /* at the same time: not more recent, the youngest goes */
    c[1].last_ms = 100;
    assert_true(staletip_pick_block_relay(c, 4, &out));
    assert_int_equal(c[out].id, 12);
    /* one candidate: itself */
    assert_true(staletip_pick_block_relay(&c[2], 1, &out));
    assert_int_equal(out, 0);
    assert_false(staletip_pick_block_relay(c, 0, &out));
}

static void test_minimum_connect_time_and_in_flight(void **state)
{
    (void)state;
    struct staletip_candidate c = cand(1, 0); /* connected at 1000 */
    assert_false(staletip_may_evict(&c, 1500, 500, true)); /* full-relay: strictly longer */
    assert_true(staletip_may_evict(&c, 1500, 500, false)); /* block-relay-only: at least */
    assert_true(staletip_may_evict(&c, 1501, 500, true));
    assert_false(staletip_may_evict(&c, 1400, 500, false));
    c.in_flight = 1;
    assert_false(staletip_may_evict(&c, 99999, 500, false));
}

static void test_exponential_delay(void **state)
{
    (void)state;
    assert_int_equal(staletip_exp_delay(300000, 0), 0);
    /* the longest draw: 53 ln 2 means */
    uint64_t tail = staletip_exp_delay(1000, UINT64_MAX);
    assert_true(tail >= 36736 && tail <= 36737);
    /* u = 1/2: ln 2 of the mean */
    uint64_t half = staletip_exp_delay(300000, 1ull << 63);
    assert_true(half >= 207944 && half <= 207945);
    /* the mean over many draws of a fixed sequence is near the mean */
    uint64_t x = 88172645463325252ull, sum = 0;
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += staletip_exp_delay(1000, x);
    }
    assert_true(sum / 10000 > 950 && sum / 10000 < 1050);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_after_the_age_and_only_with_nothing_in_flight),
        cmocka_unit_test(test_full_relay_oldest_announcement_goes),
        cmocka_unit_test(test_full_relay_tie_goes_to_the_newest_connection),
        cmocka_unit_test(test_full_relay_protected_and_last_on_network_are_kept),
        cmocka_unit_test(test_block_relay_youngest_goes_unless_it_brought_a_block),
        cmocka_unit_test(test_minimum_connect_time_and_in_flight),
        cmocka_unit_test(test_exponential_delay),
    };
    return test_run_group(tests);
}
