/* hex, clock and SHA-256: small utilities with known answers. */
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/random.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

static void test_hex_roundtrip_and_case(void **state)
{
    (void)state;
    const uint8_t data[] = {0x00, 0x01, 0xab, 0xff};
    char hex[9];
    hex_encode(data, sizeof data, hex);
    assert_string_equal(hex, "0001abff");
    hex_encode_rev(data, sizeof data, hex);
    assert_string_equal(hex, "ffab0100");
    uint8_t out[4];
    size_t n;
    assert_true(hex_decode("0001ABff", out, sizeof out, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(out, data, 4);
}

static void test_hex_rejects_bad_input(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n;
    assert_false(hex_decode("abc", out, sizeof out, &n));        /* odd */
    assert_false(hex_decode("zz", out, sizeof out, &n));         /* not hex */
    assert_false(hex_decode("0011223344", out, sizeof out, &n)); /* too long */
    uint8_t hash[32];
    assert_false(hex_decode_hash("00", hash));
}

/* Core's IsHex, and decoding a counted string that may hold NULs. */
static void test_hex_is_valid_and_counted_decode(void **state)
{
    (void)state;
    assert_true(hex_is_valid("00aAfF", 6));
    assert_false(hex_is_valid("", 0));      /* empty is not hex for Core */
    assert_false(hex_is_valid("abc", 3));   /* odd */
    assert_false(hex_is_valid("0x00", 4));
    assert_false(hex_is_valid("00\0" "0", 4));
    assert_false(hex_is_valid("0 ", 2));
    assert_true(hex_is_valid("0011zz", 4)); /* only len characters count */
    uint8_t out[3];
    size_t n = 0;
    assert_true(hex_decode_n("0102ff99", 6, out, sizeof out, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x01\x02\xff", 3);
    assert_false(hex_decode_n("01\0" "2", 4, out, sizeof out, &n));
    assert_false(hex_decode_n("01020304", 8, out, sizeof out, &n)); /* over cap */
}

/* Core's uint256::FromUserHex, as -minimumchainwork takes it. */
static void test_hex_uint256_user(void **state)
{
    (void)state;
    uint8_t be[32], want[32] = {0};
    want[31] = 0x1f;
    assert_true(hex_decode_uint256_user("0x1f", be));
    assert_memory_equal(be, want, 32);
    assert_true(hex_decode_uint256_user("1F", be));
    assert_memory_equal(be, want, 32);
    want[31] = 0x22;
    want[30] = 0x2a;
    want[29] = 0x06;
    assert_true(hex_decode_uint256_user("62a22", be)); /* odd digit count: left-padded */
    assert_memory_equal(be, want, 32);
    memset(want, 0, 32);
    assert_true(hex_decode_uint256_user("", be)); /* empty is zero */
    assert_memory_equal(be, want, 32);
    const char *mainnet = "0000000000000000000000000000000000000000b1f3b93b65b16d035a82be84";
    assert_true(hex_decode_uint256_user(mainnet, be));
    assert_int_equal(be[20], 0xb1);
    assert_int_equal(be[31], 0x84);
    assert_false(hex_decode_uint256_user("0X1f", be)); /* only a lowercase prefix */
    assert_false(hex_decode_uint256_user("1g", be));
    assert_false(hex_decode_uint256_user("-1", be));
    char long_hex[70];
    memset(long_hex, '1', 65);
    long_hex[65] = '\0';
    assert_false(hex_decode_uint256_user(long_hex, be)); /* 65 digits */
    long_hex[64] = '\0';
    assert_true(hex_decode_uint256_user(long_hex, be));
}

static void test_sha256_known_answers(void **state)
{
    (void)state;
    uint8_t h[32];
    char hex[65];
    sha256("abc", 3, h);
    hex_encode(h, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256("", 0, h);
    hex_encode(h, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* SHA-256d of the empty string: the v1 checksum of an empty payload */
    sha256d("", 0, h);
    hex_encode(h, 32, hex);
    assert_string_equal(hex, "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456");
    uint8_t ck[4];
    sha256d_checksum("", 0, ck);
    assert_memory_equal(ck, "\x5d\xf6\xe0\xe2", 4);
}

static void test_sha256d_parts_matches_oneshot(void **state)
{
    (void)state;
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
    uint8_t a[32], b[32];
    const void *parts[3] = {data, data + 1, data + 500};
    const size_t lens[3] = {1, 499, 500};
    sha256d_parts(parts, lens, 3, a);
    sha256d(data, sizeof data, b);
    assert_memory_equal(a, b, 32);
}

static void test_mainnet_genesis_header_hash(void **state)
{
    (void)state;
    size_t n;
    uint8_t *hdr = test_unhex(
        "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b2"
        "7ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c", &n);
    assert_int_equal(n, 80);
    uint8_t h[32];
    char hex[65];
    sha256d(hdr, n, h);
    hex_encode_rev(h, 32, hex);
    assert_string_equal(hex, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    free(hdr);
}

static void test_random_values_distinct_and_in_range(void **state)
{
    (void)state;
    uint64_t seen[200];
    for (int i = 0; i < 200; i++) {
        seen[i] = random_u64(); /* crosses several pool refills */
        for (int k = 0; k < i; k++) assert_true(seen[k] != seen[i]);
    }
    int hits[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = random_range(7);
        assert_true(v < 7);
        hits[v]++;
    }
    for (int i = 0; i < 7; i++) assert_true(hits[i] > 700 && hits[i] < 1300);
    uint8_t big[4096] = {0}, zero[4096] = {0};
    random_bytes(big, sizeof big); /* larger than the pool: straight from OpenSSL */
    assert_memory_not_equal(big, zero, sizeof big);
}

static void test_monotonic_clock_never_goes_back(void **state)
{
    (void)state;
    uint64_t a = clock_mono_us();
    for (int i = 0; i < 1000; i++) {
        uint64_t b = clock_mono_us();
        assert_true(b >= a);
        a = b;
    }
    assert_true(clock_unix_s() > 1700000000); /* after Nov 2023 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_roundtrip_and_case),
        cmocka_unit_test(test_hex_rejects_bad_input),
        cmocka_unit_test(test_hex_is_valid_and_counted_decode),
        cmocka_unit_test(test_hex_uint256_user),
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_sha256d_parts_matches_oneshot),
        cmocka_unit_test(test_mainnet_genesis_header_hash),
        cmocka_unit_test(test_random_values_distinct_and_in_range),
        cmocka_unit_test(test_monotonic_clock_never_goes_back),
    };
    return test_run_group(tests);
}
