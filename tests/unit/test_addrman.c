/* The address manager with a fixed key and a seeded random source, so every
 * placement and pick is repeatable: bucket placement, eclipse resistance,
 * the 50/50 selection bias, terrible addresses, tried collisions, and the
 * peers.dat format with its corruptions, written whole or a slice at a
 * time. */
#include "testutil.h"

#include "node/addrman.h"
#include "node/store.h"

#include <btcpeerd/netaddr.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const int64_t NOW = 1760000000;

static uint64_t seeded(uint64_t n, void *arg)
{
    uint64_t *s = arg;
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s % n;
}

static struct addrman *make(bool allow_unroutable, uint64_t *seed)
{
    struct addrman *am = addrman_new(key, allow_unroutable);
    assert_non_null(am);
    addrman_set_rand(am, seeded, seed);
    return am;
}

static struct wire_netaddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct wire_netaddr n = {.net = WIRE_NET_IPV4, .port = port, .time = (uint32_t)(NOW - 3600),
                             .services = NODE_NETWORK | NODE_WITNESS};
    n.addr[0] = a;
    n.addr[1] = b;
    n.addr[2] = c;
    n.addr[3] = d;
    return n;
}

static void test_add_keeps_routable_only(void **state)
{
    (void)state;
    uint64_t seed = 1;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(8, 8, 8, 8, 8333);
    struct wire_netaddr good = ip4(1, 2, 3, 4, 8333), priv = ip4(192, 168, 1, 1, 8333),
                        lo = ip4(127, 0, 0, 1, 8333);
    assert_true(addrman_add(am, &good, &src, 0, NOW));
    assert_false(addrman_add(am, &good, &src, 0, NOW)); /* known already */
    assert_false(addrman_add(am, &priv, &src, 0, NOW));
    assert_false(addrman_add(am, &lo, &src, 0, NOW));
    assert_int_equal(addrman_size(am), 1);
    assert_int_equal(addrman_size_new(am), 1);
    addrman_free(am);
    /* regtest: unroutable kept */
    am = make(true, &seed);
    assert_true(addrman_add(am, &lo, &lo, 0, NOW));
    addrman_free(am);
}

static void test_placement_is_deterministic_for_a_key(void **state)
{
    (void)state;
    uint64_t s1 = 5, s2 = 5;
    struct addrman *a = make(false, &s1), *b = make(false, &s2);
    struct wire_netaddr addr = ip4(50, 60, 70, 80, 8333), src = ip4(9, 9, 9, 9, 8333);
    assert_int_equal(addrman_new_bucket(a, &addr, &src), addrman_new_bucket(b, &addr, &src));
    assert_int_equal(addrman_tried_bucket(a, &addr), addrman_tried_bucket(b, &addr));
    /* another key, another placement (with overwhelming probability) */
    uint8_t other[32];
    memset(other, 0x77, 32);
    struct addrman *c = addrman_new(other, false);
    assert_true(addrman_new_bucket(a, &addr, &src) != addrman_new_bucket(c, &addr, &src) ||
                addrman_tried_bucket(a, &addr) != addrman_tried_bucket(c, &addr));
    addrman_free(a);
    addrman_free(b);
    addrman_free(c);
}

static void test_one_source_cannot_fill_the_table(void **state)
{
    (void)state;
    uint64_t seed = 7;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(66, 66, 66, 66, 8333);
    bool used[ADDRMAN_NEW_BUCKETS] = {false};
    size_t buckets = 0;
    /* 20,000 addresses over many groups, all from one source */
    for (uint32_t i = 0; i < 20000; i++) {
        struct wire_netaddr a = ip4((uint8_t)(1 + i % 200), (uint8_t)(i / 200), (uint8_t)i, 1, 8333);
        addrman_add(am, &a, &src, 0, NOW);
        uint32_t b = addrman_new_bucket(am, &a, &src);
        if (!used[b]) {
            used[b] = true;
            buckets++;
        }
    }
    assert_true(buckets <= 64); /* a source group reaches at most 64 of 1,024 buckets */
    assert_true(addrman_size(am) <= 64 * ADDRMAN_BUCKET_SIZE);
    /* an honest second source still gets its addresses in */
    struct wire_netaddr src2 = ip4(77, 77, 77, 77, 8333);
    size_t added = 0;
    for (uint32_t i = 0; i < 100; i++) {
        struct wire_netaddr a = ip4(200, (uint8_t)i, 1, 1, 8333);
        added += addrman_add(am, &a, &src2, 0, NOW);
    }
    assert_true(added > 80);
    addrman_free(am);
}

static void test_one_group_reaches_few_tried_buckets(void **state)
{
    (void)state;
    uint64_t seed = 9;
    struct addrman *am = make(false, &seed);
    bool used[ADDRMAN_TRIED_BUCKETS] = {false};
    size_t buckets = 0;
    for (uint32_t i = 0; i < 2000; i++) {
        struct wire_netaddr a = ip4(44, 45, (uint8_t)(i >> 8), (uint8_t)i, 8333); /* one /16 */
        uint32_t b = addrman_tried_bucket(am, &a);
        if (!used[b]) {
            used[b] = true;
            buckets++;
        }
    }
    assert_true(buckets <= 8);
    addrman_free(am);
}

static void test_good_moves_to_tried_and_selection_is_balanced(void **state)
{
    (void)state;
    uint64_t seed = 11;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(8, 8, 4, 4, 8333);
    for (uint32_t i = 0; i < 400; i++) {
        struct wire_netaddr a = ip4((uint8_t)(10 + i % 100 + 1), (uint8_t)i, 3, 4, 8333);
        a.addr[0] = (uint8_t)(20 + i % 150);
        addrman_add(am, &a, &src, 0, NOW);
        if (i % 2) addrman_good(am, &a, NOW - 7200);
    }
    addrman_resolve_collisions(am, NOW);
    size_t tried = addrman_size_tried(am), fresh = addrman_size_new(am);
    assert_true(tried > 150);
    assert_true(fresh > 150);
    size_t from_tried = 0;
    for (int i = 0; i < 2000; i++) {
        struct wire_netaddr out;
        bool in_tried;
        assert_true(addrman_select(am, false, NOW, &out));
        assert_true(addrman_contains(am, &out, &in_tried));
        from_tried += in_tried;
    }
    /* 50/50 between the tables, whatever their sizes */
    assert_true(from_tried > 850 && from_tried < 1150);
    for (int i = 0; i < 200; i++) {
        struct wire_netaddr out;
        bool in_tried = true;
        assert_true(addrman_select(am, true, NOW, &out));
        assert_true(addrman_contains(am, &out, &in_tried));
        assert_false(in_tried);
    }
    addrman_free(am);
}

static void test_failures_make_addresses_terrible(void **state)
{
    (void)state;
    uint64_t seed = 13;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(8, 8, 8, 8, 8333), a = ip4(3, 3, 3, 3, 8333), b = ip4(4, 4, 4, 4, 8333);
    addrman_add(am, &a, &src, 0, NOW);
    addrman_add(am, &b, &src, 0, NOW);
    for (int i = 0; i < 3; i++) {
        addrman_attempt(am, &a, true, NOW + i * 100);
        addrman_good(am, &src, NOW + i * 100 + 1); /* we were online meanwhile */
    }
    assert_false(addrman_is_terrible(am, &a, NOW + 250)); /* just tried: a grace minute */
    assert_true(addrman_is_terrible(am, &a, NOW + 1000));
    assert_false(addrman_is_terrible(am, &b, NOW + 1000));
    struct wire_netaddr out[10];
    size_t n = addrman_get_addr(am, 10, 100, NOW + 1000, out);
    assert_int_equal(n, 1);
    assert_true(netaddr_equal(&out[0], &b));
    /* too old: 31 days without news */
    assert_true(addrman_is_terrible(am, &b, NOW + 31 * 86400));
    addrman_free(am);
}

/* One network's entries, none terrible, up to max (private broadcast's
 * onion preference reads them). */
static void test_net_entries_lists_one_network(void **state)
{
    (void)state;
    uint64_t seed = 17;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(8, 8, 8, 8, 8333), onions[3];
    for (uint8_t i = 0; i < 3; i++) {
        onions[i] = (struct wire_netaddr){.net = WIRE_NET_TORV3, .port = 8333,
                                          .time = (uint32_t)(NOW - 3600)};
        memset(onions[i].addr, 0x10 * (i + 1), 32);
        assert_true(addrman_add(am, &onions[i], &src, 0, NOW));
        struct wire_netaddr v4 = ip4((uint8_t)(20 + i), 1, 1, 1, 8333);
        assert_true(addrman_add(am, &v4, &src, 0, NOW));
    }
    for (int i = 0; i < 3; i++) { /* onion 0 fails three times: terrible */
        addrman_attempt(am, &onions[0], true, NOW + i * 100);
        addrman_good(am, &src, NOW + i * 100 + 1);
    }
    struct wire_netaddr out[8];
    assert_int_equal(addrman_net_entries(am, WIRE_NET_TORV3, NOW + 1000, out, 8), 2);
    bool seen[3] = {false};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < 3; i++) seen[i] |= netaddr_equal(&out[k], &onions[i]);
    assert_false(seen[0]);
    assert_true(seen[1] && seen[2]);
    assert_int_equal(addrman_net_entries(am, WIRE_NET_TORV3, NOW + 1000, out, 1), 1);
    assert_int_equal(addrman_net_entries(am, WIRE_NET_I2P, NOW + 1000, out, 8), 0);
    assert_int_equal(addrman_net_entries(am, WIRE_NET_IPV4, NOW + 1000, out, 8), 3);
    addrman_free(am);
}

static void test_future_timestamps_are_sanitized(void **state)
{
    (void)state;
    uint64_t seed = 15;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr src = ip4(8, 8, 8, 8, 8333), a = ip4(5, 5, 5, 5, 8333);
    a.time = (uint32_t)(NOW + 86400);
    assert_true(addrman_add(am, &a, &src, 0, NOW));
    struct wire_netaddr out[1];
    assert_int_equal(addrman_get_addr(am, 1, 100, NOW, out), 1);
    assert_true((int64_t)out[0].time <= NOW - 5 * 86400 + 1);
    addrman_free(am);
}

static void test_getaddr_answers_23_percent_at_most_1000(void **state)
{
    (void)state;
    uint64_t seed = 17;
    struct addrman *am = make(false, &seed);
    for (uint32_t i = 0; i < 6000; i++) {
        struct wire_netaddr a = ip4((uint8_t)(1 + i % 220), (uint8_t)(i / 220), 7, 7, 8333);
        if (a.addr[0] == 10 || a.addr[0] == 127 || a.addr[0] == 100 || a.addr[0] == 169 ||
            a.addr[0] == 172 || a.addr[0] == 192 || a.addr[0] == 198 || a.addr[0] == 203)
            continue;
        addrman_add(am, &a, &a, 0, NOW); /* each its own source: no crowding */
    }
    size_t total = addrman_size(am);
    assert_true(total > 4000);
    struct wire_netaddr *out = calloc(ADDRMAN_GETADDR_MAX, sizeof *out);
    size_t n = addrman_get_addr(am, ADDRMAN_GETADDR_MAX, ADDRMAN_GETADDR_PCT, NOW, out);
    assert_int_equal(n, total * 23 / 100 > 1000 ? 1000 : total * 23 / 100);
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n && k < i + 50; k++) assert_false(netaddr_equal(&out[i], &out[k]));
    free(out);
    addrman_free(am);
}

/* Find two addresses that want the same tried slot (a birthday search). */
static void find_tried_collision(struct addrman *am, struct wire_netaddr *first, struct wire_netaddr *second)
{
    for (uint32_t i = 0; i < 100000; i++) {
        struct wire_netaddr a = ip4((uint8_t)(11 + i % 50), (uint8_t)(i / 50), (uint8_t)(i / 12800), 9, 8333);
        if (!addrman_add(am, &a, &a, 0, NOW - 86400)) continue;
        size_t before = addrman_size_tried(am);
        addrman_good(am, &a, NOW - 86400);
        if (addrman_size_tried(am) == before) {
            *second = a;
            assert_true(addrman_tried_collision(am, first));
            return;
        }
    }
    fail_msg("no collision found");
}

static void test_tried_collision_keeps_a_live_occupant(void **state)
{
    (void)state;
    uint64_t seed = 19;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr old, fresh;
    find_tried_collision(am, &old, &fresh);
    bool in_tried;
    /* the feeler reaches the occupant: it stays, the newcomer stays new */
    addrman_good(am, &old, NOW);
    addrman_resolve_collisions(am, NOW + 10);
    assert_true(addrman_contains(am, &old, &in_tried) && in_tried);
    assert_true(addrman_contains(am, &fresh, &in_tried) && !in_tried);
    struct wire_netaddr none;
    assert_false(addrman_tried_collision(am, &none));
    addrman_free(am);
}

static void test_tried_collision_replaces_a_dead_occupant(void **state)
{
    (void)state;
    uint64_t seed = 21;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr old, fresh;
    find_tried_collision(am, &old, &fresh);
    /* the feeler fails on the occupant, more than a minute ago */
    addrman_attempt(am, &old, true, NOW - 120);
    addrman_resolve_collisions(am, NOW);
    bool in_tried;
    assert_true(addrman_contains(am, &fresh, &in_tried) && in_tried);
    assert_true(addrman_contains(am, &old, &in_tried) && !in_tried); /* back to new, not lost */
    addrman_free(am);
}

static void test_peers_dat_roundtrip_and_corruption(void **state)
{
    (void)state;
    uint64_t seed = 23;
    struct addrman *am = make(false, &seed);
    struct wire_netaddr tor = {.net = WIRE_NET_TORV3, .port = 8333, .time = (uint32_t)NOW - 60};
    memset(tor.addr, 0x5a, 32);
    addrman_add(am, &tor, &tor, 0, NOW);
    for (uint32_t i = 0; i < 300; i++) {
        struct wire_netaddr a = ip4((uint8_t)(30 + i % 60), (uint8_t)i, 1, 2, 8333);
        addrman_add(am, &a, &a, 0, NOW);
        if (i % 3 == 0) addrman_good(am, &a, NOW);
    }
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(addrman_serialize(am, &w), ADDRMAN_OK);

    struct addrman *back = addrman_new(NULL, false); /* the key comes from the file */
    assert_int_equal(addrman_deserialize(back, w.data, w.len), ADDRMAN_OK);
    assert_int_equal(addrman_size(back), addrman_size(am));
    assert_int_equal(addrman_size_tried(back), addrman_size_tried(am));
    bool in_tried;
    assert_true(addrman_contains(back, &tor, &in_tried));
    struct wire_netaddr a0 = ip4(30, 0, 1, 2, 8333);
    assert_true(addrman_contains(back, &a0, &in_tried) && in_tried);
    /* the same key: the same placement */
    assert_int_equal(addrman_new_bucket(back, &a0, &tor), addrman_new_bucket(am, &a0, &tor));

    w.data[100] ^= 1;
    assert_int_equal(addrman_deserialize(back, w.data, w.len), ADDRMAN_ERR_CHECKSUM);
    assert_int_equal(addrman_size(back), 0);
    w.data[100] ^= 1;
    assert_int_equal(addrman_deserialize(back, w.data, w.len / 2), ADDRMAN_ERR_CHECKSUM);
    assert_int_equal(addrman_deserialize(back, w.data, 10), ADDRMAN_ERR_TRUNCATED);
    w.data[0] = 'X';
    assert_int_equal(addrman_deserialize(back, w.data, w.len), ADDRMAN_ERR_FORMAT);
    buf_writer_free(&w);
    addrman_free(back);
    addrman_free(am);
}

/* A table of n addresses from many groups, some in tried. */
static struct addrman *filled(uint64_t *seed, uint32_t n)
{
    struct addrman *am = make(false, seed);
    for (uint32_t i = 0; i < n; i++) {
        struct wire_netaddr a = ip4((uint8_t)(30 + i % 60), (uint8_t)(i / 60), 1, 2, 8333);
        addrman_add(am, &a, &a, 0, NOW);
        if (i % 3 == 0) addrman_good(am, &a, NOW);
    }
    return am;
}

/* The daemon's way of saving, a slice of the table per loop turn, gives
 * the bytes addrman_serialize gives, whatever the slice. */
static void test_save_in_slices_is_the_same_file(void **state)
{
    (void)state;
    uint64_t seed = 41;
    struct addrman *am = filled(&seed, 500);
    struct buf_writer whole;
    buf_writer_init(&whole);
    assert_int_equal(addrman_serialize(am, &whole), ADDRMAN_OK);
    const size_t slices[] = {1, 7, 100, 499, 500, 100000};
    for (size_t k = 0; k < sizeof slices / sizeof slices[0]; k++) {
        struct buf_writer w;
        buf_writer_init(&w);
        struct addrman_save s;
        addrman_save_begin(am, &w, &s);
        size_t steps = 1;
        while (!addrman_save_step(am, &w, &s, slices[k])) steps++;
        if (slices[k] == 1) assert_true(steps >= addrman_size(am));
        if (slices[k] >= 100000) assert_int_equal(steps, 1);
        assert_int_equal(s.count, addrman_size(am));
        assert_true(store_envelope_seal(&w, s.start));
        assert_int_equal(w.len, whole.len);
        assert_memory_equal(w.data, whole.data, whole.len);
        buf_writer_free(&w);
    }
    buf_writer_free(&whole);
    addrman_free(am);
}

/* Addresses added between slices: the file is still whole and loads, with
 * every address that was there when the save began, each as it was. */
static void test_save_in_slices_while_the_table_grows(void **state)
{
    (void)state;
    uint64_t seed = 43;
    struct addrman *am = filled(&seed, 300);
    size_t before = addrman_size(am);
    struct buf_writer w;
    buf_writer_init(&w);
    struct addrman_save s;
    addrman_save_begin(am, &w, &s);
    uint32_t extra = 0;
    while (!addrman_save_step(am, &w, &s, 64)) {
        for (int i = 0; i < 20; i++, extra++) {
            struct wire_netaddr a = ip4((uint8_t)(100 + extra % 50), (uint8_t)(extra / 50), 9, 9, 8333);
            addrman_add(am, &a, &a, 0, NOW);
        }
    }
    assert_true(extra > 0);
    assert_true(store_envelope_seal(&w, s.start));
    struct addrman *back = addrman_new(NULL, false);
    assert_int_equal(addrman_deserialize(back, w.data, w.len), ADDRMAN_OK);
    assert_int_equal(addrman_size(back), s.count);
    assert_true(addrman_size(back) >= before);
    for (uint32_t i = 0; i < 300; i++) {
        struct wire_netaddr a = ip4((uint8_t)(30 + i % 60), (uint8_t)(i / 60), 1, 2, 8333);
        bool in_tried_then, in_tried_now;
        if (!addrman_contains(am, &a, &in_tried_then)) continue; /* lost to a collision */
        assert_true(addrman_contains(back, &a, &in_tried_now));
        assert_int_equal(in_tried_now, in_tried_then);
    }
    buf_writer_free(&w);
    addrman_free(back);
    addrman_free(am);
}

static void test_random_file_bytes_never_crash(void **state)
{
    (void)state;
    struct addrman *am = addrman_new(key, false);
    uint64_t rng = 99;
    uint8_t buf[600];
    for (int i = 0; i < 2000; i++) {
        test_random_bytes(&rng, buf, sizeof buf);
        memcpy(buf, "BTPA\x01", 5);
        size_t n = 40 + (size_t)(buf[5] * 2);
        assert_true(addrman_deserialize(am, buf, n) != ADDRMAN_OK);
    }
    addrman_free(am);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_keeps_routable_only),
        cmocka_unit_test(test_placement_is_deterministic_for_a_key),
        cmocka_unit_test(test_one_source_cannot_fill_the_table),
        cmocka_unit_test(test_one_group_reaches_few_tried_buckets),
        cmocka_unit_test(test_good_moves_to_tried_and_selection_is_balanced),
        cmocka_unit_test(test_failures_make_addresses_terrible),
        cmocka_unit_test(test_net_entries_lists_one_network),
        cmocka_unit_test(test_future_timestamps_are_sanitized),
        cmocka_unit_test(test_getaddr_answers_23_percent_at_most_1000),
        cmocka_unit_test(test_tried_collision_keeps_a_live_occupant),
        cmocka_unit_test(test_tried_collision_replaces_a_dead_occupant),
        cmocka_unit_test(test_peers_dat_roundtrip_and_corruption),
        cmocka_unit_test(test_save_in_slices_is_the_same_file),
        cmocka_unit_test(test_save_in_slices_while_the_table_grows),
        cmocka_unit_test(test_random_file_bytes_never_crash),
    };
    return test_run_group(tests);
}
