/* addr() and raw() descriptors with BIP380 checksums: BIP380's checksum
 * vectors (bitcoin/bips, bip-0380.mediawiki "Test Vectors"), and addr/raw
 * descriptors with the checksums Bitcoin Core v29.0rc3's functional tests
 * use (test/functional, MIT), parsed on regtest; then every way to be
 * wrong, each with its name. */
#include "testutil.h"

#include <btcpeerd/descriptor.h>
#include <btcpeerd/hex.h>

#include <string.h>

static enum descriptor_err parse(const char *d, enum net_id net, uint8_t *script, size_t *len)
{
    return descriptor_parse(d, net, script, DESCRIPTOR_MAX_SCRIPT, len, NULL);
}

static void test_bip380_checksum_vectors(void **state)
{
    (void)state;
    uint8_t s[DESCRIPTOR_MAX_SCRIPT];
    size_t len;
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    assert_true(descriptor_checksum("raw(deadbeef)", 13, sum));
    assert_string_equal(sum, "89f8spxm");
    assert_int_equal(parse("raw(deadbeef)#89f8spxm", NET_MAIN, s, &len), DESCRIPTOR_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "\xde\xad\xbe\xef", 4);
    assert_int_equal(parse("raw(deadbeef)", NET_MAIN, s, &len), DESCRIPTOR_OK); /* optional */
    assert_int_equal(parse("raw(deadbeef)#", NET_MAIN, s, &len), DESCRIPTOR_ERR_CHECKSUM_LENGTH);
    assert_int_equal(parse("raw(deadbeef)#89f8spxmx", NET_MAIN, s, &len),
                     DESCRIPTOR_ERR_CHECKSUM_LENGTH);
    assert_int_equal(parse("raw(deadbeef)#89f8spx", NET_MAIN, s, &len),
                     DESCRIPTOR_ERR_CHECKSUM_LENGTH);
    assert_int_equal(parse("raw(deedbeef)#89f8spxm", NET_MAIN, s, &len), DESCRIPTOR_ERR_BAD_CHECKSUM);
    assert_int_equal(parse("raw(deedbeef)##9f8spxm", NET_MAIN, s, &len), DESCRIPTOR_ERR_BAD_CHECKSUM);
    assert_int_equal(parse("raw(\xc3\x9c)#00000000", NET_MAIN, s, &len), DESCRIPTOR_ERR_BAD_CHAR);
}

static void test_core_addr_and_raw_descriptors(void **state)
{
    (void)state;
    const struct { const char *desc, *script; } v[] = {
        {"addr(2NF2b3KS8xXb9XHvbRMXdZh8s5g92rUZHtp)#ywfcpmh9", NULL},
        {"addr(bcrt1pamhqk96edn)#vkh8uj5a", NULL},
        {"addr(bcrt1q73qyfypp47hvgnkjqnav0j3k2lq3v76wg22dk8tmwuz5sfgv66xsvxg6uu)#9p3q328s", NULL},
        {"addr(bcrt1qamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhwamhqgdn98t)#afaecevx", NULL},
        {"addr(bcrt1qjmprdr7rq522gw9ghkgfly7yng25n4m3nrxtmdujqsakvm9jfapqk795l5)#5akkdska", NULL},
        {"raw(02eeee)#5xzck7pr", "02eeee"},
        {"raw(50)#a7tu03xf", "50"},
        {"raw(6a00)#ncfmkl43", "6a00"},
        {"raw(6a02ee)#gvdwnlzl", "6a02ee"},
        {"raw(6aee)#vsyzgqdt", "6aee"},
        {"raw(ba)#yy0eg44l", "ba"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *hash = strchr(v[i].desc, '#');
        char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
        assert_true(descriptor_checksum(v[i].desc, (size_t)(hash - v[i].desc), sum));
        assert_string_equal(sum, hash + 1);
        uint8_t s[DESCRIPTOR_MAX_SCRIPT];
        size_t len = 0;
        enum address_err aerr;
        enum descriptor_err err =
            descriptor_parse(v[i].desc, NET_REGTEST, s, sizeof s, &len, &aerr);
        if (err != DESCRIPTOR_OK)
            fail_msg("%s: %s (%s)", v[i].desc, descriptor_err_str(err), address_err_str(aerr));
        if (v[i].script) {
            char hex[64];
            hex_encode(s, len, hex);
            assert_string_equal(hex, v[i].script);
        }
    }
    /* the 2-byte v1 program: OP_1 and a push of 2 */
    uint8_t s[64];
    size_t len;
    assert_int_equal(parse("addr(bcrt1pamhqk96edn)", NET_REGTEST, s, &len), DESCRIPTOR_OK);
    assert_int_equal(len, 4);
    assert_int_equal(s[0], 0x51);
    assert_int_equal(s[1], 2);
}

static void test_addr_descriptor_gives_the_address_script(void **state)
{
    (void)state;
    uint8_t s[64];
    size_t len;
    enum address_err aerr;
    assert_int_equal(descriptor_parse("addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)", NET_MAIN, s,
                                      sizeof s, &len, &aerr),
                     DESCRIPTOR_OK);
    char hex[128];
    hex_encode(s, len, hex);
    assert_string_equal(hex, "0014751e76e8199196d454941c45d1b3a323f1433bd6");
    /* the address's own error comes out beside the descriptor's */
    assert_int_equal(descriptor_parse("addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)", NET_REGTEST,
                                      s, sizeof s, &len, &aerr),
                     DESCRIPTOR_ERR_BAD_ADDRESS);
    assert_int_equal(aerr, ADDRESS_ERR_WRONG_NETWORK);
    assert_int_equal(descriptor_parse("addr(1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb)", NET_MAIN, s, sizeof s,
                                      &len, &aerr),
                     DESCRIPTOR_ERR_BAD_ADDRESS);
    assert_int_equal(aerr, ADDRESS_ERR_BASE58_CHECKSUM);
    assert_int_equal(descriptor_parse("addr()", NET_MAIN, s, sizeof s, &len, &aerr),
                     DESCRIPTOR_ERR_BAD_ADDRESS);
    assert_int_equal(aerr, ADDRESS_ERR_EMPTY);
    /* a checksum is over the whole expression, address included */
    char d[128] = "addr(1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa)";
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    assert_true(descriptor_checksum(d, strlen(d), sum));
    strcat(d, "#");
    strcat(d, sum);
    assert_int_equal(parse(d, NET_MAIN, s, &len), DESCRIPTOR_OK);
    assert_int_equal(len, 25);
    d[6] = 'B';
    assert_int_equal(parse(d, NET_MAIN, s, &len), DESCRIPTOR_ERR_BAD_CHECKSUM);
}

static void test_everything_else_is_refused_by_name(void **state)
{
    (void)state;
    uint8_t s[8];
    size_t len;
    const struct { const char *d; enum descriptor_err want; } v[] = {
        {"", DESCRIPTOR_ERR_EMPTY},
        {"wpkh(0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600)",
         DESCRIPTOR_ERR_UNSUPPORTED},
        {"tr(0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600)",
         DESCRIPTOR_ERR_UNSUPPORTED},
        {"sh(raw(00))", DESCRIPTOR_ERR_UNSUPPORTED},
        {"RAW(00)", DESCRIPTOR_ERR_UNSUPPORTED},
        {"raw(00", DESCRIPTOR_ERR_SYNTAX},
        {"raw00)", DESCRIPTOR_ERR_SYNTAX},
        {"(00)", DESCRIPTOR_ERR_SYNTAX},
        {"raw(00)x", DESCRIPTOR_ERR_SYNTAX},
        {"raw((00))", DESCRIPTOR_ERR_SYNTAX},
        {"raw()", DESCRIPTOR_ERR_BAD_HEX},
        {"raw(0)", DESCRIPTOR_ERR_BAD_HEX},
        {"raw(0g)", DESCRIPTOR_ERR_BAD_HEX},
        {"raw( 00)", DESCRIPTOR_ERR_BAD_HEX},
        {"raw(000000000000000000)", DESCRIPTOR_ERR_SCRIPT_TOO_LONG}, /* 9 bytes, room for 8 */
        {"raw(00)\n", DESCRIPTOR_ERR_BAD_CHAR},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        enum descriptor_err got = descriptor_parse(v[i].d, NET_MAIN, s, sizeof s, &len, NULL);
        if (got != v[i].want)
            fail_msg("%s: got %s, want %s", v[i].d, descriptor_err_str(got),
                     descriptor_err_str(v[i].want));
    }
    for (int x = DESCRIPTOR_OK; x <= DESCRIPTOR_ERR_BAD_ADDRESS; x++) {
        assert_string_not_equal(descriptor_err_str((enum descriptor_err)x), "unknown");
        for (int y = x + 1; y <= DESCRIPTOR_ERR_BAD_ADDRESS; y++)
            assert_string_not_equal(descriptor_err_str((enum descriptor_err)x),
                                    descriptor_err_str((enum descriptor_err)y));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip380_checksum_vectors),
        cmocka_unit_test(test_core_addr_and_raw_descriptors),
        cmocka_unit_test(test_addr_descriptor_gives_the_address_script),
        cmocka_unit_test(test_everything_else_is_refused_by_name),
    };
    return test_run_group(tests);
}
