/* Inbound eviction: who is protected and who goes. */
#include "testutil.h"

#include "node/eviction.h"

#include <string.h>

static struct evict_candidate cand(uint64_t id, uint8_t group, uint64_t connected_ms, uint64_t ping_us)
{
    struct evict_candidate c = {.id = id, .connected_ms = connected_ms, .ping_us = ping_us,
                                .group_key = group * 2654435761u, .group_len = 3};
    c.group[0] = WIRE_NET_IPV4;
    c.group[1] = group;
    return c;
}

static void test_evicts_youngest_of_the_biggest_group(void **state)
{
    (void)state;
    struct evict_candidate c[40];
    size_t n = 0;
    /* 20 peers from group 7 (an attacker's /16), 20 honest peers each in
     * its own group, everyone with a middling ping */
    for (uint64_t i = 0; i < 20; i++) c[n++] = cand(100 + i, 7, 1000 + i, 50000);
    for (uint64_t i = 0; i < 20; i++) c[n++] = cand(200 + i, (uint8_t)(20 + i), 500 + i, 40000);
    uint64_t victim;
    assert_true(evict_select(c, n, &victim));
    /* the attacker's group, and its youngest (unless that one happened to
     * be the group's protected representative) */
    assert_true(victim >= 118 && victim < 120);
}

static void test_low_ping_peers_are_protected(void **state)
{
    (void)state;
    struct evict_candidate c[12];
    /* all in one group; eight with excellent pings */
    for (uint64_t i = 0; i < 12; i++) c[i] = cand(i, 9, 1000 + i, i < 8 ? 100 : 90000);
    uint64_t victim;
    assert_true(evict_select(c, 12, &victim));
    assert_true(victim >= 8); /* never one of the fast eight */
}

static void test_all_protected_means_no_eviction(void **state)
{
    (void)state;
    struct evict_candidate c[4];
    for (uint64_t i = 0; i < 4; i++) c[i] = cand(i, (uint8_t)i, 1000, 100);
    uint64_t victim;
    assert_false(evict_select(c, 4, &victim)); /* four distinct groups: all protected */
    struct evict_candidate local[3];
    for (uint64_t i = 0; i < 3; i++) {
        local[i] = cand(i, 1, 1000, 0);
        local[i].local = true;
    }
    assert_false(evict_select(local, 3, &victim));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evicts_youngest_of_the_biggest_group),
        cmocka_unit_test(test_low_ping_peers_are_protected),
        cmocka_unit_test(test_all_protected_means_no_eviction),
    };
    return test_run_group(tests);
}
