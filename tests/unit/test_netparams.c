/* Network constants: each genesis header hashes to its network's genesis
 * hash (as published), and names and magics look up both ways. */
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

static void test_genesis_headers_hash_to_published_hashes(void **state)
{
    (void)state;
    static const char *const expected[NET_COUNT] = {
        [NET_MAIN] = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
        [NET_TESTNET3] = "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
        [NET_TESTNET4] = "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
        [NET_SIGNET] = "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
        [NET_REGTEST] = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
    };
    for (int i = 0; i < NET_COUNT; i++) {
        const struct netparams *np = netparams_get((enum net_id)i);
        assert_non_null(np);
        uint8_t h[32];
        char hex[65];
        sha256d(np->genesis_header, 80, h);
        assert_memory_equal(h, np->genesis_hash, 32);
        hex_encode_rev(h, 32, hex);
        assert_string_equal(hex, expected[i]);
    }
}

static void test_signet_genesis_matches_real_headers_file(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = test_read_file(test_vector_path("headers/signet-0-2015.bin"), &len);
    assert_true(len >= 80);
    assert_memory_equal(data, netparams_get(NET_SIGNET)->genesis_header, 80);
    free(data);
    data = test_read_file(test_vector_path("headers/mainnet-0-10236.bin"), &len);
    assert_memory_equal(data, netparams_get(NET_MAIN)->genesis_header, 80);
    free(data);
}

static void test_names_magics_and_ports(void **state)
{
    (void)state;
    const struct {
        const char *name;
        const char *magic;
        uint16_t port;
    } want[] = {{"main", "\xf9\xbe\xb4\xd9", 8333},     {"testnet3", "\x0b\x11\x09\x07", 18333},
                {"testnet4", "\x1c\x16\x3f\x28", 48333}, {"signet", "\x0a\x03\xcf\x40", 38333},
                {"regtest", "\xfa\xbf\xb5\xda", 18444}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct netparams *np = netparams_by_name(want[i].name);
        assert_non_null(np);
        assert_memory_equal(np->magic, want[i].magic, 4);
        assert_int_equal(np->default_port, want[i].port);
        assert_ptr_equal(netparams_by_magic((const uint8_t *)want[i].magic), np);
        assert_ptr_equal(netparams_get(np->id), np);
    }
    assert_null(netparams_by_name("mainnet"));
    assert_null(netparams_by_magic((const uint8_t *)"\0\0\0\0"));
    assert_null(netparams_get(NET_COUNT));
}

/* Core v29.0rc3 kernel/chainparams.cpp nMinimumChainWork, as its hex
 * literals read (lines 120, 250, 349, 429, 562). */
static void test_minimum_chain_work_is_cores(void **state)
{
    (void)state;
    const struct {
        enum net_id id;
        const char *hex;
    } want[] = {
        {NET_MAIN, "0000000000000000000000000000000000000000b1f3b93b65b16d035a82be84"},
        {NET_TESTNET3, "0000000000000000000000000000000000000000000015f5e0c9f13455b0eb17"},
        {NET_TESTNET4, "0000000000000000000000000000000000000000000001d6dce8651b6094e4c1"},
        {NET_SIGNET, "000000000000000000000000000000000000000000000000000002b517f3d1a1"},
        {NET_REGTEST, "0000000000000000000000000000000000000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char hex[65];
        hex_encode(netparams_get(want[i].id)->min_chain_work, 32, hex);
        assert_string_equal(hex, want[i].hex);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis_headers_hash_to_published_hashes),
        cmocka_unit_test(test_signet_genesis_matches_real_headers_file),
        cmocka_unit_test(test_names_magics_and_ports),
        cmocka_unit_test(test_minimum_chain_work_is_cores),
    };
    return test_run_group(tests);
}
