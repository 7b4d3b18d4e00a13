/* The ban list at the operator's scale (issue 13 item 3: setban must work
 * up to BANMAN_MAX, with nothing of misbehaviour's in the way): every
 * entry found through the index, the cap exact, unban and sweep keep the
 * index right. */
#include "testutil.h"

#include "node/banman.h"

#include <string.h>

static struct netaddr_subnet host6(uint32_t i)
{
    struct netaddr_subnet sn = {.net = WIRE_NET_IPV6, .prefix = 128};
    const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2};
    memcpy(sn.addr, prefix, 8);
    sn.addr[12] = (uint8_t)(i >> 24);
    sn.addr[13] = (uint8_t)(i >> 16);
    sn.addr[14] = (uint8_t)(i >> 8);
    sn.addr[15] = (uint8_t)i;
    return sn;
}

static void test_fills_to_banman_max_and_finds_every_entry(void **state)
{
    (void)state;
    struct banman *bm = banman_new();
    assert_non_null(bm);
    for (uint32_t i = 0; i < BANMAN_MAX; i++) {
        struct netaddr_subnet sn = host6(i);
        assert_int_equal(banman_ban(bm, &sn, 2000 + i, 1000), BANMAN_OK);
    }
    assert_int_equal(banman_count(bm), BANMAN_MAX);
    struct netaddr_subnet extra = host6(BANMAN_MAX);
    assert_int_equal(banman_ban(bm, &extra, 5000, 1000), BANMAN_ERR_FULL);
    for (uint32_t i = 0; i < BANMAN_MAX; i += 997) {
        struct netaddr_subnet sn = host6(i);
        const struct ban_entry *e = banman_find(bm, &sn);
        assert_non_null(e);
        assert_true(netaddr_subnet_equal(&e->subnet, &sn));
        assert_int_equal(e->until, 2000 + i);
    }
    assert_null(banman_find(bm, &extra));
    /* a ban again extends, never duplicates */
    struct netaddr_subnet first = host6(0);
    assert_int_equal(banman_ban(bm, &first, 9999, 1000), BANMAN_OK);
    assert_int_equal(banman_count(bm), BANMAN_MAX);
    assert_int_equal(banman_find(bm, &first)->until, 9999);
    banman_free(bm);
}

/* Unban moves the last entry into the hole; sweep compacts: every
 * remaining entry is still found, every removed one is not. */
static void test_unban_and_sweep_keep_the_index(void **state)
{
    (void)state;
    struct banman *bm = banman_new();
    enum { N = 5000 };
    for (uint32_t i = 0; i < N; i++) {
        struct netaddr_subnet sn = host6(i);
        assert_int_equal(banman_ban(bm, &sn, i % 2 ? 100 : 3000, 50), BANMAN_OK);
    }
    for (uint32_t i = 0; i < N; i += 3) {
        struct netaddr_subnet sn = host6(i);
        assert_true(banman_unban(bm, &sn));
        assert_false(banman_unban(bm, &sn));
    }
    for (uint32_t i = 0; i < N; i++) {
        struct netaddr_subnet sn = host6(i);
        assert_int_equal(banman_find(bm, &sn) != NULL, i % 3 != 0);
    }
    size_t before = banman_count(bm);
    size_t gone = banman_sweep(bm, 200); /* the odd ones expired at 100 */
    assert_int_equal(banman_count(bm), before - gone);
    for (uint32_t i = 0; i < N; i++) {
        struct netaddr_subnet sn = host6(i);
        assert_int_equal(banman_find(bm, &sn) != NULL, i % 3 != 0 && i % 2 == 0);
    }
    banman_clear(bm);
    struct netaddr_subnet sn = host6(2);
    assert_null(banman_find(bm, &sn));
    assert_int_equal(banman_ban(bm, &sn, 3000, 50), BANMAN_OK);
    assert_non_null(banman_find(bm, &sn));
    banman_free(bm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_to_banman_max_and_finds_every_entry),
        cmocka_unit_test(test_unban_and_sweep_keep_the_index),
    };
    return test_run_group(tests);
}
