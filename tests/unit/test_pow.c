/* Proof-of-work arithmetic and rules: Core's compact-encoding cases
 * (arith_uint256_tests), the four mainnet retarget known answers
 * (pow_tests), block proof, pow limits per network, and the next-nBits rule
 * driven through an array of ancestors. */
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/pow.h>

#include <string.h>

static void hex_of(const struct u256 *v, char out[65])
{
    u256_to_hex(v, out);
}

static void test_set_compact_cases_from_core(void **state)
{
    (void)state;
    /* Encodings whose mantissa is shifted away: zero, never negative. */
    static const uint32_t zeros[] = {0x00000000, 0x00123456, 0x01003456, 0x02000056, 0x03000000,
                                     0x04000000, 0x00923456, 0x01803456, 0x02800056, 0x03800000,
                                     0x04800000};
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++) {
        struct u256 v;
        bool neg = true, ovf = true;
        pow_set_compact(&v, zeros[i], &neg, &ovf);
        assert_true(u256_is_zero(&v));
        assert_false(neg);
        assert_false(ovf);
        assert_int_equal(pow_get_compact(&v, neg), 0);
    }

    static const struct {
        uint32_t bits;
        const char *hex;
        bool neg;
        uint32_t back;
    } cases[] = {
        {0x01123456, "0000000000000000000000000000000000000000000000000000000000000012", false, 0x01120000},
        {0x01fedcba, "000000000000000000000000000000000000000000000000000000000000007e", true, 0x01fe0000},
        {0x02123456, "0000000000000000000000000000000000000000000000000000000000001234", false, 0x02123400},
        {0x03123456, "0000000000000000000000000000000000000000000000000000000000123456", false, 0x03123456},
        {0x04123456, "0000000000000000000000000000000000000000000000000000000012345600", false, 0x04123456},
        {0x04923456, "0000000000000000000000000000000000000000000000000000000012345600", true, 0x04923456},
        {0x05009234, "0000000000000000000000000000000000000000000000000000000092340000", false, 0x05009234},
        {0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", false, 0x20123456},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct u256 v;
        bool neg, ovf;
        char hex[65];
        pow_set_compact(&v, cases[i].bits, &neg, &ovf);
        hex_of(&v, hex);
        assert_string_equal(hex, cases[i].hex);
        assert_int_equal(neg, cases[i].neg);
        assert_false(ovf);
        assert_int_equal(pow_get_compact(&v, neg), cases[i].back);
    }

    /* Overflow: more than 256 bits, with the three size/mantissa limits. */
    static const uint32_t overflows[] = {0xff123456, 0x23000001, 0x22000100, 0x21010000};
    for (size_t i = 0; i < sizeof overflows / sizeof overflows[0]; i++) {
        struct u256 v;
        bool ovf = false;
        pow_set_compact(&v, overflows[i], NULL, &ovf);
        assert_true(ovf);
    }
    /* Just inside each limit. */
    static const uint32_t fits[] = {0x220000ff, 0x2100ffff, 0x207fffff};
    for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
        struct u256 v;
        bool ovf = true;
        pow_set_compact(&v, fits[i], NULL, &ovf);
        assert_false(ovf);
    }

    /* 0x80 needs a longer form: a set 0x00800000 bit would be the sign. */
    struct u256 v = {{0x80}};
    assert_int_equal(pow_get_compact(&v, false), 0x02008000);
}

static void test_target_checks_name_each_bad_encoding(void **state)
{
    (void)state;
    const struct netparams *main = netparams_get(NET_MAIN);
    struct u256 t;
    assert_int_equal(pow_target_from_bits(main, 0x1d00ffff, &t), POW_OK);
    assert_int_equal(pow_target_from_bits(main, 0x1d80ffff, &t), POW_ERR_NEGATIVE);
    assert_int_equal(pow_target_from_bits(main, 0xff123456, &t), POW_ERR_OVERFLOW);
    assert_int_equal(pow_target_from_bits(main, 0x1d000000, &t), POW_ERR_ZERO);
    assert_int_equal(pow_target_from_bits(main, 0x00000000, &t), POW_ERR_ZERO);
    assert_int_equal(pow_target_from_bits(main, 0x1d010000, &t), POW_ERR_ABOVE_LIMIT);
    assert_int_equal(pow_target_from_bits(main, 0x207fffff, &t), POW_ERR_ABOVE_LIMIT);
    assert_int_equal(pow_target_from_bits(netparams_get(NET_REGTEST), 0x207fffff, &t), POW_OK);
    for (int e = POW_OK; e <= POW_ERR_HIGH_HASH; e++)
        assert_true(strlen(pow_err_str((enum pow_err)e)) > 0);
}

static void test_pow_limits_per_network(void **state)
{
    (void)state;
    assert_int_equal(pow_limit_bits(netparams_get(NET_MAIN)), 0x1d00ffff);
    assert_int_equal(pow_limit_bits(netparams_get(NET_TESTNET3)), 0x1d00ffff);
    assert_int_equal(pow_limit_bits(netparams_get(NET_TESTNET4)), 0x1d00ffff);
    assert_int_equal(pow_limit_bits(netparams_get(NET_SIGNET)), 0x1e0377ae);
    assert_int_equal(pow_limit_bits(netparams_get(NET_REGTEST)), 0x207fffff);
    struct u256 l;
    char hex[65];
    pow_limit(netparams_get(NET_SIGNET), &l);
    hex_of(&l, hex);
    assert_string_equal(hex, "00000377ae000000000000000000000000000000000000000000000000000000");
    for (int i = 0; i < NET_COUNT; i++) {
        const struct netparams *np = netparams_get((enum net_id)i);
        assert_int_equal(netparams_retarget_interval(np), 2016);
        /* Core's chainparams sanity check: limit * 4 * timespan < 2^256. */
        if (!np->pow_no_retargeting) {
            pow_limit(np, &l);
            uint64_t carry = 0;
            for (int w = 0; w < 8; w++)
                carry = ((uint64_t)l.w[w] * (uint64_t)(np->pow_target_timespan * 4) + carry) >> 32;
            assert_int_equal(carry, 0);
        }
    }
}

static void test_retarget_known_answers(void **state)
{
    (void)state;
    const struct netparams *main = netparams_get(NET_MAIN);
    /* last height 32255: ordinary retarget */
    assert_int_equal(pow_retarget(main, 0x1d00ffff, 1261130161, 1262152739), 0x1d00d86a);
    /* last height 2015: would ease past the limit */
    assert_int_equal(pow_retarget(main, 0x1d00ffff, 1231006505, 1233061996), 0x1d00ffff);
    /* last height 68543: the ÷4 clamp */
    assert_int_equal(pow_retarget(main, 0x1c05a3f4, 1279008237, 1279297671), 0x1c0168fd);
    /* last height 46367: the ×4 clamp */
    assert_int_equal(pow_retarget(main, 0x1c387f6f, 1263163443, 1269211443), 0x1d00e1fd);
    /* regtest never retargets */
    assert_int_equal(pow_retarget(netparams_get(NET_REGTEST), 0x207fffff, 0, 1), 0x207fffff);
}

/* Ancestors from an array indexed by height. */
struct arr {
    struct pow_block *b;
    int32_t n;
    int calls;
};

static bool arr_ancestor(void *ctx, int32_t height, struct pow_block *out)
{
    struct arr *a = ctx;
    a->calls++;
    if (height < 0 || height >= a->n) return false;
    *out = a->b[height];
    return true;
}

static void test_next_bits_reads_the_period_first_block(void **state)
{
    (void)state;
    const struct netparams *main = netparams_get(NET_MAIN);
    static struct pow_block blocks[32256];
    for (int32_t h = 0; h < 32256; h++) blocks[h] = (struct pow_block){h, 0, 0x1d00ffff, NULL};
    /* The off-by-one: the period's first block is height - 2015. */
    blocks[32255 - 2015].time = 1261130161;
    blocks[32255 - 2016].time = 1;
    blocks[32255].time = 1262152739;
    struct arr a = {blocks, 32256, 0};
    uint32_t bits = 0;
    assert_true(pow_next_bits(main, &blocks[32255], 1262153000, arr_ancestor, &a, NULL, &bits));
    assert_int_equal(bits, 0x1d00d86a);
    /* Inside a period: the parent's nBits, no ancestor needed. */
    a.calls = 0;
    assert_true(pow_next_bits(main, &blocks[32254], 1262153000, arr_ancestor, &a, NULL, &bits));
    assert_int_equal(bits, 0x1d00ffff);
    assert_int_equal(a.calls, 0);
    /* A missing ancestor is reported, not guessed. */
    a.n = 100;
    assert_false(pow_next_bits(main, &blocks[32255], 1262153000, arr_ancestor, &a, NULL, &bits));
}

static void test_next_bits_min_difficulty_and_walk_back(void **state)
{
    (void)state;
    const struct netparams *t3 = netparams_get(NET_TESTNET3);
    struct pow_block blocks[8];
    for (int32_t h = 0; h < 8; h++)
        blocks[h] = (struct pow_block){h, (uint32_t)(1000 + 600 * h), 0x1c0fffff, &blocks[h]};
    blocks[5].bits = 0x1d00ffff; /* min-difficulty exceptions */
    blocks[6].bits = 0x1d00ffff;
    struct arr a = {blocks, 8, 0};
    uint32_t bits;
    /* More than 20 minutes: the limit. Exactly 20: not. */
    assert_true(pow_next_bits(t3, &blocks[6], blocks[6].time + 1201, arr_ancestor, &a, NULL, &bits));
    assert_int_equal(bits, 0x1d00ffff);
    assert_true(pow_next_bits(t3, &blocks[6], blocks[6].time + 1200, arr_ancestor, &a, NULL, &bits));
    assert_int_equal(bits, 0x1c0fffff); /* walked back past 6 and 5 to 4 */

    /* With a cache, the child of 6 stops its walk at 6's remembered answer. */
    struct pow_walk_cache cache = {0};
    blocks[7].bits = 0x1d00ffff;
    a.calls = 0;
    assert_true(pow_next_bits(t3, &blocks[6], blocks[6].time + 600, arr_ancestor, &a, &cache, &bits));
    assert_int_equal(bits, 0x1c0fffff);
    assert_int_equal(a.calls, 2);
    assert_ptr_equal(cache.id, &blocks[6]);
    a.calls = 0;
    assert_true(pow_next_bits(t3, &blocks[7], blocks[7].time + 600, arr_ancestor, &a, &cache, &bits));
    assert_int_equal(bits, 0x1c0fffff);
    assert_int_equal(a.calls, 1);
    assert_ptr_equal(cache.id, &blocks[7]);
    /* Mainnet has no such exception. */
    assert_true(pow_next_bits(netparams_get(NET_MAIN), &blocks[6], blocks[6].time + 5000,
                              arr_ancestor, &a, NULL, &bits));
    assert_int_equal(bits, 0x1d00ffff);
}

static void test_block_proof(void **state)
{
    (void)state;
    struct u256 t, w;
    char hex[65];
    /* Genesis: Core's chainwork 0x100010001. */
    pow_set_compact(&t, 0x1d00ffff, NULL, NULL);
    pow_block_proof(&t, &w);
    hex_of(&w, hex);
    assert_string_equal(hex, "0000000000000000000000000000000000000000000000000000000100010001");
    /* Regtest: 0x207fffff is just under 2^255, so two hashes. */
    pow_set_compact(&t, 0x207fffff, NULL, NULL);
    pow_block_proof(&t, &w);
    hex_of(&w, hex);
    assert_string_equal(hex, "0000000000000000000000000000000000000000000000000000000000000002");
    memset(&t, 0xff, sizeof t);
    pow_block_proof(&t, &w);
    hex_of(&w, hex);
    assert_string_equal(hex, "0000000000000000000000000000000000000000000000000000000000000001");
    memset(&t, 0, sizeof t);
    pow_block_proof(&t, &w);
    assert_true(u256_is_zero(&w));
    /* target 1: 2^255 hashes. */
    t.w[0] = 1;
    pow_block_proof(&t, &w);
    hex_of(&w, hex);
    assert_string_equal(hex, "8000000000000000000000000000000000000000000000000000000000000000");
}

static void test_hash_meets_target_at_the_boundary(void **state)
{
    (void)state;
    struct u256 t;
    pow_set_compact(&t, 0x1d00ffff, NULL, NULL);
    uint8_t hash[32] = {0};
    /* hash == target passes; one more fails; one less passes. */
    for (int i = 0; i < 8; i++) le32_write(hash + 4 * i, t.w[i]);
    assert_true(pow_hash_meets_target(hash, &t));
    hash[0] = 0x01; /* target's low byte is 0: now target + 1 */
    assert_false(pow_hash_meets_target(hash, &t));
    memset(hash, 0, 32);
    hash[25] = 0xff; /* below: top words zero */
    assert_true(pow_hash_meets_target(hash, &t));
    /* The mainnet genesis hash meets its own nBits. */
    const struct netparams *main = netparams_get(NET_MAIN);
    assert_int_equal(pow_check(main, main->genesis_hash, 0x1d00ffff), POW_OK);
    assert_int_equal(pow_check(main, main->genesis_hash, 0x1b00ffff), POW_ERR_HIGH_HASH);
    assert_int_equal(pow_check(main, main->genesis_hash, 0x1d80ffff), POW_ERR_NEGATIVE);
}

static void test_u256_helpers(void **state)
{
    (void)state;
    uint8_t be[32], le[32];
    for (int i = 0; i < 32; i++) {
        be[i] = (uint8_t)i;
        le[31 - i] = (uint8_t)i;
    }
    struct u256 a, b;
    u256_from_be(&a, be);
    u256_from_le(&b, le);
    assert_int_equal(u256_cmp(&a, &b), 0);
    char hex[65];
    u256_to_hex(&a, hex);
    assert_string_equal(hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    struct u256 one = {{1}}, max;
    memset(&max, 0xff, sizeof max);
    u256_add(&b, &max, &one); /* wraps */
    assert_true(u256_is_zero(&b));
    assert_int_equal(u256_cmp(&one, &max), -1);
    assert_int_equal(u256_cmp(&max, &one), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_compact_cases_from_core),
        cmocka_unit_test(test_target_checks_name_each_bad_encoding),
        cmocka_unit_test(test_pow_limits_per_network),
        cmocka_unit_test(test_retarget_known_answers),
        cmocka_unit_test(test_next_bits_reads_the_period_first_block),
        cmocka_unit_test(test_next_bits_min_difficulty_and_walk_back),
        cmocka_unit_test(test_block_proof),
        cmocka_unit_test(test_hash_meets_target_at_the_boundary),
        cmocka_unit_test(test_u256_helpers),
    };
    return test_run_group(tests);
}
