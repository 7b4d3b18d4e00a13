/* Discouragement (issue 13 item 3): the rolling Bloom filter it lives in,
 * the address key (exact IP: no port, no /64 aggregation), the local
 * exemption, the inbound rule (only while two slots are free) and the
 * eviction preference (discouraged peers first among the unprotected).
 * The node's use of them is driven end to end in
 * tests/integration/test_misbehaviour.c. */
#include "testutil.h"

#include "node/banman.h"
#include "node/discourage.h"
#include "node/eviction.h"
#include "node/rollingbloom.h"

#include <string.h>

static const uint8_t key[ROLLING_BLOOM_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Core's parameters for 50,000 at 1e-6: 20 hash functions, about 2.16
 * million positions of 2 bits: 539 KB, fixed. */
static void test_bloom_parameters_and_memory(void **state)
{
    (void)state;
    struct rolling_bloom *f = rolling_bloom_new(50000, 0.000001, key);
    assert_non_null(f);
    assert_int_equal(rolling_bloom_hash_funcs(f), 20);
    size_t pos = rolling_bloom_positions(f);
    assert_true(pos > 2150000 && pos < 2160000);
    assert_true(rolling_bloom_memory(f) >= pos / 4 && rolling_bloom_memory(f) < 545000);
    rolling_bloom_free(f);
    assert_null(rolling_bloom_new(0, 0.01, key));
    assert_null(rolling_bloom_new(10, 0.0, key));
    assert_null(rolling_bloom_new(10, 1.0, key));
}

/* What went in is found; what did not is (at this rate) not. */
static void test_bloom_remembers_recent_items(void **state)
{
    (void)state;
    struct rolling_bloom *f = rolling_bloom_new(1000, 0.000001, key);
    assert_non_null(f);
    uint8_t item[4];
    for (uint32_t i = 0; i < 1000; i++) {
        put_u32(item, i);
        assert_true(rolling_bloom_insert(f, item, sizeof item));
    }
    for (uint32_t i = 0; i < 1000; i++) {
        put_u32(item, i);
        assert_true(rolling_bloom_contains(f, item, sizeof item));
    }
    size_t false_positives = 0;
    for (uint32_t i = 1000000; i < 1100000; i++) {
        put_u32(item, i);
        false_positives += rolling_bloom_contains(f, item, sizeof item);
    }
    assert_true(false_positives <= 2); /* expected 0.1 at 1e-6 */
    rolling_bloom_reset(f);
    put_u32(item, 5);
    assert_false(rolling_bloom_contains(f, item, sizeof item));
    rolling_bloom_free(f);
}

/* It rolls: the last n items are always there, items older than 1.5 n
 * are gone (their generation was wiped), and memory never grows. */
static void test_bloom_forgets_old_generations(void **state)
{
    (void)state;
    struct rolling_bloom *f = rolling_bloom_new(100, 0.000001, key);
    assert_non_null(f);
    size_t memory = rolling_bloom_memory(f);
    uint8_t item[4];
    for (uint32_t i = 0; i < 1000; i++) {
        put_u32(item, i);
        assert_true(rolling_bloom_insert(f, item, sizeof item));
        /* the latest 100 are always remembered */
        for (uint32_t back = 0; back < 100 && back <= i; back++) {
            put_u32(item, i - back);
            assert_true(rolling_bloom_contains(f, item, sizeof item));
        }
    }
    /* 1000 inserted into a 100-entry filter: the first ones are gone */
    size_t old_found = 0;
    for (uint32_t i = 0; i < 800; i++) {
        put_u32(item, i);
        old_found += rolling_bloom_contains(f, item, sizeof item);
    }
    assert_true(old_found <= 1);
    assert_int_equal(rolling_bloom_memory(f), memory);
    rolling_bloom_free(f);
}

/* The key decides the positions: two filters with different keys disagree
 * on which never-inserted items look present (no fixed hash to aim at). */
static void test_bloom_keys_matter(void **state)
{
    (void)state;
    uint8_t other[ROLLING_BLOOM_KEY_LEN];
    memcpy(other, key, sizeof other);
    other[0] ^= 1;
    struct rolling_bloom *a = rolling_bloom_new(4, 0.5, key), *b = rolling_bloom_new(4, 0.5, other);
    assert_non_null(a);
    assert_non_null(b);
    uint8_t item[4];
    for (uint32_t i = 0; i < 4; i++) {
        put_u32(item, i);
        rolling_bloom_insert(a, item, sizeof item);
        rolling_bloom_insert(b, item, sizeof item);
    }
    size_t differ = 0;
    for (uint32_t i = 100; i < 2100; i++) {
        put_u32(item, i);
        differ += rolling_bloom_contains(a, item, sizeof item) !=
                  rolling_bloom_contains(b, item, sizeof item);
    }
    assert_true(differ > 0);
    rolling_bloom_free(a);
    rolling_bloom_free(b);
}

static struct wire_netaddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct wire_netaddr x = {.net = WIRE_NET_IPV4, .port = port};
    x.addr[0] = a;
    x.addr[1] = b;
    x.addr[2] = c;
    x.addr[3] = d;
    return x;
}

static struct wire_netaddr v6(uint32_t low, uint16_t port)
{
    struct wire_netaddr x = {.net = WIRE_NET_IPV6, .port = port};
    const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78};
    memcpy(x.addr, prefix, 8);
    put_u32(x.addr + 12, low);
    return x;
}

/* The exact IP: another port of the same host is discouraged too, the
 * next address is not. */
static void test_discourage_keys_by_exact_ip(void **state)
{
    (void)state;
    struct discourage *d = discourage_new(key);
    assert_non_null(d);
    struct wire_netaddr a = v4(8, 8, 4, 4, 8333);
    assert_false(discourage_has(d, &a));
    assert_true(discourage_add(d, &a));
    assert_true(discourage_has(d, &a));
    struct wire_netaddr other_port = v4(8, 8, 4, 4, 18444), next = v4(8, 8, 4, 5, 8333);
    assert_true(discourage_has(d, &other_port));
    assert_false(discourage_has(d, &next));
    discourage_free(d);
}

/* The probe's /64 case: 200,000 addresses of one IPv6 /64 misbehaving cost
 * no ban entry and no memory beyond the fixed filter; the newest 50,000
 * are all remembered, and setban is unaffected (the operator's list is
 * another structure: it stays empty and takes bans). */
static void test_an_ipv6_64_creates_no_entries(void **state)
{
    (void)state;
    struct discourage *d = discourage_new(key);
    struct banman *bm = banman_new();
    assert_non_null(d);
    assert_non_null(bm);
    size_t memory = discourage_memory(d);
    assert_true(memory < 545000);
    for (uint32_t i = 0; i < 200000; i++) {
        struct wire_netaddr a = v6(i, 8333);
        assert_true(discourage_add(d, &a));
    }
    assert_int_equal(discourage_memory(d), memory);
    for (uint32_t i = 150000; i < 200000; i++) {
        struct wire_netaddr a = v6(i, 8333);
        assert_true(discourage_has(d, &a));
    }
    assert_int_equal(banman_count(bm), 0);
    struct netaddr_subnet sn;
    assert_true(netaddr_subnet_parse("2001:db8:1234:5678::/64", &sn));
    assert_int_equal(banman_ban(bm, &sn, 2000, 1000), BANMAN_OK);
    assert_int_equal(banman_count(bm), 1);
    banman_free(bm);
    discourage_free(d);
}

/* Core's IsLocal: 127.0.0.0/8, 0.0.0.0/8, ::1; private ranges are not. */
static void test_local_addresses_are_exempt(void **state)
{
    (void)state;
    struct wire_netaddr lo = v4(127, 0, 0, 1, 1), lo2 = v4(127, 9, 8, 7, 1),
                        zero = v4(0, 1, 2, 3, 1);
    struct wire_netaddr priv = v4(10, 0, 0, 1, 1), priv2 = v4(192, 168, 1, 1, 1),
                        pub = v4(8, 8, 8, 8, 1);
    assert_true(discourage_is_local(&lo));
    assert_true(discourage_is_local(&lo2));
    assert_true(discourage_is_local(&zero));
    assert_false(discourage_is_local(&priv));
    assert_false(discourage_is_local(&priv2));
    assert_false(discourage_is_local(&pub));
    struct wire_netaddr lo6 = {.net = WIRE_NET_IPV6}, doc6 = v6(1, 1);
    lo6.addr[15] = 1;
    assert_true(discourage_is_local(&lo6));
    assert_false(discourage_is_local(&doc6));
}

/* Core: a discouraged inbound peer is refused when inbound + 1 >= max. */
static void test_discouraged_inbound_needs_two_free_slots(void **state)
{
    (void)state;
    assert_true(discourage_inbound_admit(0, 117));
    assert_true(discourage_inbound_admit(115, 117));  /* two free */
    assert_false(discourage_inbound_admit(116, 117)); /* one free */
    assert_false(discourage_inbound_admit(117, 117));
    assert_false(discourage_inbound_admit(0, 1));
    assert_false(discourage_inbound_admit(0, 0));
}

static struct evict_candidate cand(uint64_t id, uint8_t group, uint64_t connected_ms,
                                   uint64_t ping_us)
{
    struct evict_candidate c = {.id = id,
                                .connected_ms = connected_ms,
                                .ping_us = ping_us,
                                .group_key = group * 2654435761u,
                                .group_len = 3};
    c.group[0] = WIRE_NET_IPV4;
    c.group[1] = group;
    return c;
}

/* 4 lone peers in high-key groups (protected by group), and 20 in group 0:
 * ids 0..7 with the best pings (protected), 8..13 the oldest of the rest
 * (protected by age), 14..19 unprotected, 19 the youngest. */
static size_t crowd(struct evict_candidate *c, int discouraged)
{
    size_t n = 0;
    for (uint64_t i = 0; i < 4; i++)
        c[n++] = cand(90 + i, (uint8_t)(1 + i), 10, 50000);
    for (uint64_t i = 0; i < 20; i++)
        c[n++] = cand(i, 0, 1000 + i, i < 8 ? 100 : 50000);
    for (size_t i = 0; i < n; i++)
        c[i].prefer_evict = discouraged >= 0 && c[i].id == (uint64_t)discouraged;
    return n;
}

/* Among the peers not protected, a discouraged one goes first, where the
 * usual rule takes the youngest; a protected discouraged peer stays. */
static void test_discouraged_peer_is_evicted_first(void **state)
{
    (void)state;
    struct evict_candidate c[24];
    uint64_t victim;
    size_t n = crowd(c, -1);
    assert_true(evict_select(c, n, &victim));
    assert_int_equal(victim, 19); /* the usual rule */
    n = crowd(c, 15);
    assert_true(evict_select(c, n, &victim));
    assert_int_equal(victim, 15); /* discouraged, unprotected: first out */
    n = crowd(c, 3);
    assert_true(evict_select(c, n, &victim));
    assert_int_equal(victim, 19); /* discouraged but protected by its ping */
    n = crowd(c, 91);
    assert_true(evict_select(c, n, &victim));
    assert_int_equal(victim, 19); /* discouraged but protected by its group */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bloom_parameters_and_memory),
        cmocka_unit_test(test_bloom_remembers_recent_items),
        cmocka_unit_test(test_bloom_forgets_old_generations),
        cmocka_unit_test(test_bloom_keys_matter),
        cmocka_unit_test(test_discourage_keys_by_exact_ip),
        cmocka_unit_test(test_an_ipv6_64_creates_no_entries),
        cmocka_unit_test(test_local_addresses_are_exempt),
        cmocka_unit_test(test_discouraged_inbound_needs_two_free_slots),
        cmocka_unit_test(test_discouraged_peer_is_evicted_first),
    };
    return test_run_group(tests);
}
