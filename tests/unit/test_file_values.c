/* Numbers read back from the state files are as hostile as the wire's
 * (issue 13, item 1's audit): a peers.dat whose times are INT64_MIN or
 * INT64_MAX and whose attempt counts are INT32_MAX or negative loads, and
 * then every use of those entries (terrible or not, a selection, a failed
 * attempt) is defined behaviour. Before the load clamped them,
 * is_terrible's `now - last_success`, the selection's `now - last_try`
 * and attempts++ overflowed (UBSan aborts). */
#include "testutil.h"

#include "node/addrman.h"
#include "node/store.h"

#include <btcpeerd/buf.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const int64_t NOW = 1760000000;

struct rec {
    uint8_t ip[4];
    int64_t last_success, last_try;
    int32_t attempts;
    uint8_t tried;
};

/* peers.dat as addrman_serialize lays it out (envelope "BTPA" v1, the key,
 * a count, then each entry), with the numbers we choose. */
static void write_peers_dat(struct buf_writer *w, const struct rec *r, size_t n)
{
    buf_writer_init(w);
    store_envelope_begin(w, "BTPA", 1);
    uint8_t key[32] = {7};
    buf_write_bytes(w, key, 32);
    buf_write_u32le(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        buf_write_u8(w, WIRE_NET_IPV4);
        buf_write_bytes(w, r[i].ip, 4);
        buf_write_u16be(w, 8333);
        buf_write_u32le(w, (uint32_t)(NOW - 3600));
        buf_write_u64le(w, NODE_NETWORK | NODE_WITNESS);
        buf_write_u8(w, WIRE_NET_IPV4);
        uint8_t src[4] = {8, 8, 8, (uint8_t)i};
        buf_write_bytes(w, src, 4);
        buf_write_i64le(w, r[i].last_success);
        buf_write_i64le(w, r[i].last_try);
        buf_write_i32le(w, r[i].attempts);
        buf_write_u8(w, r[i].tried);
    }
    assert_true(store_envelope_seal(w, 0));
}

static struct wire_netaddr ip4(const uint8_t ip[4])
{
    struct wire_netaddr a = {.net = WIRE_NET_IPV4, .port = 8333};
    memcpy(a.addr, ip, 4);
    return a;
}

static void test_peers_dat_extreme_times_and_counts(void **state)
{
    (void)state;
    const struct rec recs[] = {
        {{1, 2, 3, 4}, INT64_MIN, INT64_MIN, INT32_MAX, 0},
        {{5, 6, 7, 8}, INT64_MAX, INT64_MAX, INT32_MIN, 1},
        {{9, 10, 11, 12}, -1, INT64_MIN, -1, 0},
        {{13, 14, 15, 16}, INT64_MAX, 0, INT32_MAX, 1},
    };
    size_t n = sizeof recs / sizeof recs[0];
    struct buf_writer w;
    write_peers_dat(&w, recs, n);
    struct addrman *am = addrman_new(NULL, false);
    assert_non_null(am);
    assert_int_equal(addrman_deserialize(am, w.data, w.len), ADDRMAN_OK);
    buf_writer_free(&w);
    assert_int_equal(addrman_size(am), n);

    /* Never a success and a pile of failures: terrible. */
    struct wire_netaddr a0 = ip4(recs[0].ip), a1 = ip4(recs[1].ip);
    assert_true(addrman_is_terrible(am, &a0, NOW));
    /* "Tried" in 2106 or later counts as just tried: not terrible yet. */
    assert_false(addrman_is_terrible(am, &a1, NOW));
    for (size_t i = 0; i < n; i++) {
        struct wire_netaddr a = ip4(recs[i].ip);
        (void)addrman_is_terrible(am, &a, NOW);
        addrman_attempt(am, &a, true, NOW);
    }
    struct wire_netaddr out;
    size_t picked = 0;
    for (int i = 0; i < 200; i++) picked += addrman_select(am, i & 1, NOW, &out);
    assert_true(picked > 0);
    addrman_resolve_collisions(am, NOW);
    /* What is saved again loads again, the same size. */
    struct buf_writer again;
    buf_writer_init(&again);
    assert_int_equal(addrman_serialize(am, &again), ADDRMAN_OK);
    struct addrman *am2 = addrman_new(NULL, false);
    assert_int_equal(addrman_deserialize(am2, again.data, again.len), ADDRMAN_OK);
    assert_int_equal(addrman_size(am2), addrman_size(am));
    buf_writer_free(&again);
    addrman_free(am2);
    addrman_free(am);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peers_dat_extreme_times_and_counts),
    };
    return test_run_group(tests);
}
