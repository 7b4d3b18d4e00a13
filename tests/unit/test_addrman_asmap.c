/* The address manager grouped by an ASMap: addresses of many /16s in one
 * AS reach only the buckets one group may reach, the placement follows the
 * map, and peers.dat remembers the map it was bucketed with: loading it
 * under another map (or none) places every entry again by the current one.
 * A version 1 peers.dat (before asmap support) still loads, as "no map". */
#include "testutil.h"

#include "asmap_build.h"
#include "node/addrman.h"
#include "node/store.h"

#include <btcpeerd/asmap.h>
#include <btcpeerd/netaddr.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t key[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12, 13, 14, 15, 16,
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

static struct wire_netaddr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct wire_netaddr n = {.net = WIRE_NET_IPV4, .port = 8333, .time = (uint32_t)(NOW - 3600),
                             .services = 9};
    n.addr[0] = a;
    n.addr[1] = b;
    n.addr[2] = c;
    n.addr[3] = d;
    return n;
}

/* 20.0.0.0/8 in one AS (or, split, 20.0/9 and 20.128/9 in two). */
static struct asmap *map_20(uint32_t asn, bool split)
{
    struct asmap_entry one[] = {asmap_entry_v4(20, 0, 0, 0, 8, asn)};
    struct asmap_entry two[] = {asmap_entry_v4(20, 0, 0, 0, 9, asn),
                                asmap_entry_v4(20, 128, 0, 0, 9, asn + 1)};
    size_t len;
    uint8_t *b = split ? asmap_build(two, 2, &len) : asmap_build(one, 1, &len);
    assert_non_null(b);
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(b, len, &m), ASMAP_OK);
    free(b);
    return m;
}

static size_t distinct(const uint32_t *v, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && v[j] != v[i]) j++;
        if (j == i) d++;
    }
    return d;
}

static void test_one_as_reaches_few_buckets(void **state)
{
    (void)state;
    struct addrman *am = addrman_new(key, false);
    struct asmap *m = map_20(64500, false);
    struct wire_netaddr src = ip4(30, 1, 0, 1);
    uint32_t tried[128], fresh[128];
    /* 128 addresses in 128 different /16s */
    for (uint8_t i = 0; i < 128; i++) {
        struct wire_netaddr a = ip4(20, i, 0, 1);
        tried[i] = addrman_tried_bucket(am, &a);
        fresh[i] = addrman_new_bucket(am, &a, &src);
    }
    /* by /16 they spread out */
    assert_true(distinct(tried, 128) > 64);
    assert_true(distinct(fresh, 128) > 32);
    addrman_set_asmap(am, m);
    for (uint8_t i = 0; i < 128; i++) {
        struct wire_netaddr a = ip4(20, i, 0, 1);
        tried[i] = addrman_tried_bucket(am, &a);
        fresh[i] = addrman_new_bucket(am, &a, &src);
    }
    /* by AS they are one group: at most 8 tried buckets (Core's
     * TRIED_BUCKETS_PER_GROUP) and one new bucket per source group */
    assert_true(distinct(tried, 128) <= 8);
    assert_int_equal(distinct(fresh, 128), 1);
    addrman_free(am);
    asmap_free(m);
}

static void test_placement_follows_the_map(void **state)
{
    (void)state;
    struct addrman *am = addrman_new(key, false);
    struct asmap *m1 = map_20(64500, false), *m2 = map_20(64600, false);
    struct wire_netaddr src = ip4(30, 1, 0, 1);
    size_t moved_tried = 0, moved_new = 0;
    for (uint8_t i = 0; i < 64; i++) {
        struct wire_netaddr a = ip4(20, i, 7, 1);
        addrman_set_asmap(am, m1);
        uint32_t t1 = addrman_tried_bucket(am, &a), n1 = addrman_new_bucket(am, &a, &src);
        assert_int_equal(addrman_tried_bucket(am, &a), t1); /* same map, same place */
        addrman_set_asmap(am, m2);
        moved_tried += addrman_tried_bucket(am, &a) != t1;
        moved_new += addrman_new_bucket(am, &a, &src) != n1;
    }
    /* another ASN is another group: the buckets change (a few may match by chance) */
    assert_true(moved_tried > 48);
    assert_true(moved_new > 48);
    addrman_free(am);
    asmap_free(m1);
    asmap_free(m2);
}

/* addrman_add remembers its source's group (one addr message, one
 * source): the cache must never give a group the map would not, nor
 * outlive a change of map. */
static void test_source_group_cache_follows_the_map(void **state)
{
    (void)state;
    uint64_t seed = 9;
    struct asmap *m1 = map_20(64500, false), *m2 = map_20(64500, true);
    struct addrman *am = addrman_new(key, false), *fresh = addrman_new(key, false);
    addrman_set_rand(am, seeded, &seed);
    addrman_set_asmap(am, m1);
    struct wire_netaddr src = ip4(20, 200, 0, 1), other = ip4(20, 1, 0, 1);
    for (uint8_t i = 0; i < 32; i++) {
        struct wire_netaddr a = ip4(31, i, 0, 1);
        addrman_add(am, &a, &src, 0, NOW);
        bool in_tried;
        if (addrman_contains(am, &a, &in_tried)) assert_true(addrman_at_home(am, &a));
    }
    struct wire_netaddr a = ip4(31, 0, 0, 1);
    addrman_set_asmap(fresh, m1);
    assert_int_equal(addrman_new_bucket(am, &a, &src), addrman_new_bucket(fresh, &a, &src));
    /* under m2, src (20.200/16) and other (20.1/16) are two ASes */
    addrman_set_asmap(am, m2);
    addrman_set_asmap(fresh, m2);
    assert_int_equal(addrman_new_bucket(am, &a, &src), addrman_new_bucket(fresh, &a, &src));
    addrman_add(am, &a, &other, 0, NOW);
    assert_int_equal(addrman_new_bucket(am, &a, &src), addrman_new_bucket(fresh, &a, &src));
    assert_int_equal(addrman_new_bucket(am, &a, &other), addrman_new_bucket(fresh, &a, &other));
    addrman_free(am);
    addrman_free(fresh);
    asmap_free(m1);
    asmap_free(m2);
}

/* A table under map m (NULL: /16) with addresses from 64 /16s of 20/8, a
 * quarter of them tried; its peers.dat in *w. */
static struct addrman *filled(const struct asmap *m, struct buf_writer *w, uint64_t *seed)
{
    struct addrman *am = addrman_new(key, false);
    addrman_set_rand(am, seeded, seed);
    addrman_set_asmap(am, m);
    for (uint8_t i = 0; i < 64; i++) {
        struct wire_netaddr a = ip4(20, (uint8_t)(i * 4), 1, 1), s = ip4(30, (uint8_t)(i % 8), 0, 1);
        addrman_add(am, &a, &s, 0, NOW);
        if (i % 4 == 0) addrman_good(am, &a, NOW);
    }
    buf_writer_init(w);
    assert_int_equal(addrman_serialize(am, w), ADDRMAN_OK);
    return am;
}

static void test_peers_dat_rebucketed_on_map_change(void **state)
{
    (void)state;
    uint64_t seed = 5;
    struct asmap *m1 = map_20(64500, false), *m2 = map_20(64500, true);
    struct buf_writer w;
    struct addrman *a = filled(m1, &w, &seed);
    assert_true(addrman_size(a) > 0);

    /* the same map: nothing to re-bucket */
    struct addrman *same = addrman_new(NULL, false);
    addrman_set_asmap(same, m1);
    assert_int_equal(addrman_deserialize(same, w.data, w.len), ADDRMAN_OK);
    assert_false(addrman_rebucketed(same));
    uint8_t got[32], want[32];
    addrman_file_asmap(same, got);
    asmap_checksum(m1, want);
    assert_memory_equal(got, want, 32);

    /* another map: every entry kept is where the new map puts it */
    struct addrman *b = addrman_new(NULL, false);
    addrman_set_asmap(b, m2);
    assert_int_equal(addrman_deserialize(b, w.data, w.len), ADDRMAN_OK);
    assert_true(addrman_rebucketed(b));
    addrman_file_asmap(b, got);
    assert_memory_equal(got, want, 32);
    size_t kept = 0, home_in_a = 0;
    for (uint8_t i = 0; i < 64; i++) {
        struct wire_netaddr x = ip4(20, (uint8_t)(i * 4), 1, 1);
        bool in_tried;
        if (!addrman_contains(b, &x, &in_tried)) continue;
        kept++;
        assert_true(addrman_at_home(b, &x));
        home_in_a += addrman_contains(a, &x, &in_tried) && addrman_at_home(a, &x);
    }
    assert_true(kept > 32);
    assert_true(home_in_a > 0);
    /* ... and where the old map put them no longer holds for most: the
     * tried bucket of a 20.128/9 address now hashes another group */
    addrman_set_asmap(a, m2);
    size_t moved = 0;
    for (uint8_t i = 32; i < 64; i++) {
        struct wire_netaddr x = ip4(20, (uint8_t)(i * 4), 1, 1);
        bool in_tried;
        if (addrman_contains(a, &x, &in_tried) && in_tried && !addrman_at_home(a, &x)) moved++;
    }
    assert_true(moved > 0);

    /* saved again under m2, the file names m2 */
    struct buf_writer w2;
    buf_writer_init(&w2);
    assert_int_equal(addrman_serialize(b, &w2), ADDRMAN_OK);
    struct addrman *c = addrman_new(NULL, false);
    assert_int_equal(addrman_deserialize(c, w2.data, w2.len), ADDRMAN_OK);
    addrman_file_asmap(c, got);
    asmap_checksum(m2, want);
    assert_memory_equal(got, want, 32);
    assert_true(addrman_rebucketed(c)); /* c has no map: /16 again */

    buf_writer_free(&w);
    buf_writer_free(&w2);
    addrman_free(a);
    addrman_free(same);
    addrman_free(b);
    addrman_free(c);
    asmap_free(m1);
    asmap_free(m2);
}

/* Version 1 (before the asmap checksum) by hand: one tried entry. */
static void test_version1_file_loads_as_no_map(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    store_envelope_begin(&w, "BTPA", 1);
    buf_write_bytes(&w, key, 32);
    buf_write_u32le(&w, 1);
    struct wire_netaddr a = ip4(20, 9, 1, 1), s = ip4(30, 1, 0, 1);
    buf_write_u8(&w, a.net);
    buf_write_bytes(&w, a.addr, 4);
    buf_write_u16be(&w, a.port);
    buf_write_u32le(&w, a.time);
    buf_write_u64le(&w, a.services);
    buf_write_u8(&w, s.net);
    buf_write_bytes(&w, s.addr, 4);
    buf_write_i64le(&w, NOW - 10);
    buf_write_i64le(&w, NOW - 10);
    buf_write_i32le(&w, 0);
    buf_write_u8(&w, 1);
    assert_true(store_envelope_seal(&w, 0));

    uint8_t zero[32] = {0}, got[32];
    struct addrman *plain = addrman_new(NULL, false);
    assert_int_equal(addrman_deserialize(plain, w.data, w.len), ADDRMAN_OK);
    assert_int_equal(addrman_size_tried(plain), 1);
    assert_false(addrman_rebucketed(plain));
    addrman_file_asmap(plain, got);
    assert_memory_equal(got, zero, 32);

    struct asmap *m = map_20(64500, false);
    struct addrman *mapped = addrman_new(NULL, false);
    addrman_set_asmap(mapped, m);
    assert_int_equal(addrman_deserialize(mapped, w.data, w.len), ADDRMAN_OK);
    assert_true(addrman_rebucketed(mapped));
    assert_true(addrman_at_home(mapped, &a));
    /* version 3 is not ours */
    w.data[4] = 3;
    assert_int_equal(addrman_deserialize(plain, w.data, w.len), ADDRMAN_ERR_FORMAT);
    buf_writer_free(&w);
    addrman_free(plain);
    addrman_free(mapped);
    asmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_as_reaches_few_buckets),
        cmocka_unit_test(test_placement_follows_the_map),
        cmocka_unit_test(test_peers_dat_rebucketed_on_map_change),
        cmocka_unit_test(test_version1_file_loads_as_no_map),
        cmocka_unit_test(test_source_group_cache_follows_the_map),
    };
    return test_run_group(tests);
}
