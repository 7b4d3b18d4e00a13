/* Addresses to scripts: Bech32/Bech32m strings and segwit addresses with
 * every vector of BIP173 and BIP350 (valid and invalid lists, copied from
 * the BIPs' "Test vectors" sections, bitcoin/bips at 7fe0b034), Base58 and
 * Base58Check with vectors from Bitcoin Core v29.0rc3's test data
 * (src/test/data/base58_encode_decode.json and key_io_valid.json, MIT),
 * on every network. */
#include "testutil.h"

#include <btcpeerd/address.h>
#include <btcpeerd/base58.h>
#include <btcpeerd/bech32.h>
#include <btcpeerd/hex.h>

#include <stdlib.h>
#include <string.h>

/* ---- Bech32 / Bech32m strings (BIP173, BIP350) ---- */

static const char *const bech32_valid[] = {
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
};

static const char *const bech32m_valid[] = {
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
};

static void test_bech32_valid_strings_and_their_variant(void **state)
{
    (void)state;
    char hrp[BECH32_MAX_HRP + 1], again[BECH32_MAX_LEN + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    for (int v = 0; v < 2; v++) {
        const char *const *list = v ? bech32m_valid : bech32_valid;
        enum bech32_encoding want = v ? BECH32_ENC_BECH32M : BECH32_ENC_BECH32;
        for (size_t i = 0; i < 7; i++) {
            assert_int_equal(bech32_decode(list[i], hrp, data, &n, &enc), BECH32_OK);
            /* "no string is valid Bech32 and Bech32m": the variant is known */
            assert_int_equal(enc, want);
            /* re-encoding gives the lowercase string */
            assert_true(bech32_encode(hrp, data, n, enc, again, sizeof again));
            char lower[BECH32_MAX_LEN + 1];
            size_t len = strlen(list[i]);
            for (size_t k = 0; k <= len; k++)
                lower[k] = (char)(list[i][k] >= 'A' && list[i][k] <= 'Z' ? list[i][k] + 32
                                                                          : list[i][k]);
            assert_string_equal(again, lower);
        }
    }
}

struct bad_string {
    const char *s;
    enum bech32_err want;
};

static void test_bech32_invalid_strings_with_reasons(void **state)
{
    (void)state;
    const struct bad_string bad[] = {
        /* BIP173 */
        {"\x20" "1nwldj5", BECH32_ERR_HRP_CHAR},
        {"\x7f" "1axkwrx", BECH32_ERR_HRP_CHAR},
        {"\x80" "1eym55h", BECH32_ERR_HRP_CHAR},
        {"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
         BECH32_ERR_TOO_LONG},
        {"pzry9x0s0muk", BECH32_ERR_NO_SEPARATOR},
        {"1pzry9x0s0muk", BECH32_ERR_EMPTY_HRP},
        {"x1b4n0q5v", BECH32_ERR_DATA_CHAR},
        {"li1dgmt3", BECH32_ERR_SHORT_CHECKSUM},
        {"de1lg7wt" "\xff", BECH32_ERR_DATA_CHAR},
        {"A1G7SGD8", BECH32_ERR_CHECKSUM},
        {"10a06t8", BECH32_ERR_EMPTY_HRP},
        {"1qzzfhee", BECH32_ERR_EMPTY_HRP},
        /* BIP350 */
        {"\x20" "1xj0phk", BECH32_ERR_HRP_CHAR},
        {"\x7f" "1g6xzxy", BECH32_ERR_HRP_CHAR},
        {"\x80" "1vctc34", BECH32_ERR_HRP_CHAR},
        {"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
         BECH32_ERR_TOO_LONG},
        {"qyrz8wqd2c9m", BECH32_ERR_NO_SEPARATOR},
        {"1qyrz8wqd2c9m", BECH32_ERR_EMPTY_HRP},
        {"y1b0jsk6g", BECH32_ERR_DATA_CHAR},
        {"lt1igcx5c0", BECH32_ERR_DATA_CHAR},
        {"in1muywd", BECH32_ERR_SHORT_CHECKSUM},
        {"mm1crxm3i", BECH32_ERR_DATA_CHAR},
        {"au1s5cgom", BECH32_ERR_DATA_CHAR},
        {"M1VUXWEZ", BECH32_ERR_CHECKSUM},
        {"16plkw9", BECH32_ERR_EMPTY_HRP},
        {"1p2gdwpf", BECH32_ERR_EMPTY_HRP},
        /* mixed case (the segwit lists' example, as a plain string) */
        {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", BECH32_ERR_MIXED_CASE},
    };
    char hrp[BECH32_MAX_HRP + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum bech32_err got = bech32_decode(bad[i].s, hrp, data, &n, &enc);
        if (got != bad[i].want)
            fail_msg("%s: got %s, want %s", bad[i].s, bech32_err_str(got), bech32_err_str(bad[i].want));
    }
}

/* ---- segwit addresses (BIP350's lists, which supersede BIP173's) ---- */

static void test_segwit_addresses_valid(void **state)
{
    (void)state;
    const struct { const char *addr, *script; enum net_id net; } v[] = {
        {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6", NET_MAIN},
        {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
         "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", NET_TESTNET3},
        {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
         "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", NET_MAIN},
        {"BC1SW50QGDZ25J", "6002751e", NET_MAIN},
        {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323", NET_MAIN},
        {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
         "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", NET_SIGNET},
        {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
         "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", NET_TESTNET4},
        {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
         "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", NET_MAIN},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t script[ADDRESS_MAX_SCRIPT];
        size_t len = 0;
        enum address_err err = address_to_script(v[i].addr, v[i].net, script, &len);
        if (err != ADDRESS_OK) fail_msg("%s: %s", v[i].addr, address_err_str(err));
        char hex[2 * ADDRESS_MAX_SCRIPT + 1];
        hex_encode(script, len, hex);
        assert_string_equal(hex, v[i].script);
    }
}

struct bad_addr {
    const char *s;
    enum address_err want;
};

static void test_segwit_addresses_invalid_with_reasons(void **state)
{
    (void)state;
    const struct bad_addr bip350[] = {
        {"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", ADDRESS_ERR_UNKNOWN_HRP},
        {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", ADDRESS_ERR_WRONG_ENCODING},
        {"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", ADDRESS_ERR_WRONG_ENCODING},
        {"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", ADDRESS_ERR_WRONG_ENCODING},
        {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", ADDRESS_ERR_WRONG_ENCODING},
        {"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", ADDRESS_ERR_WRONG_ENCODING},
        {"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", ADDRESS_ERR_BECH32},
        {"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", ADDRESS_ERR_WITNESS_VERSION},
        {"bc1pw5dgrnzv", ADDRESS_ERR_PROGRAM_LENGTH},
        {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
         ADDRESS_ERR_PROGRAM_LENGTH},
        {"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", ADDRESS_ERR_V0_PROGRAM_LENGTH},
        {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", ADDRESS_ERR_MIXED_CASE},
        {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", ADDRESS_ERR_PADDING},
        {"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", ADDRESS_ERR_PADDING},
        {"bc1gmk9yu", ADDRESS_ERR_NO_DATA},
        /* BIP173's list; its v1+ entries carry Bech32 checksums, which BIP350
         * made invalid whatever else they get wrong (so are its v1+ "valid" ones) */
        {"tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", ADDRESS_ERR_UNKNOWN_HRP},
        {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ADDRESS_ERR_BECH32_CHECKSUM},
        {"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", ADDRESS_ERR_WITNESS_VERSION},
        {"bc1rw5uspcuh", ADDRESS_ERR_WRONG_ENCODING},
        {"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
         ADDRESS_ERR_WRONG_ENCODING}, /* v15 in Bech32: refused before its 41-byte length */
        {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", ADDRESS_ERR_MIXED_CASE},
        {"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", ADDRESS_ERR_WRONG_ENCODING},
        {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", ADDRESS_ERR_PADDING},
        {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
         ADDRESS_ERR_WRONG_ENCODING},
        {"BC1SW50QA3JX3S", ADDRESS_ERR_WRONG_ENCODING},
        {"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", ADDRESS_ERR_WRONG_ENCODING},
    };
    for (size_t i = 0; i < sizeof bip350 / sizeof bip350[0]; i++) {
        struct address a;
        enum net_id net = (bip350[i].s[0] == 't' || bip350[i].s[0] == 'T') ? NET_TESTNET3 : NET_MAIN;
        enum address_err got = address_decode(bip350[i].s, net, &a);
        if (got != bip350[i].want)
            fail_msg("%s: got %s, want %s", bip350[i].s, address_err_str(got),
                     address_err_str(bip350[i].want));
    }
}

/* The HRP decides the network: bc, tb (testnet3, testnet4, signet), bcrt. */
static void test_segwit_hrp_per_network(void **state)
{
    (void)state;
    const char *main_addr = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    const char *test_addr = "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7";
    struct address a;
    assert_int_equal(address_decode(main_addr, NET_MAIN, &a), ADDRESS_OK);
    assert_int_equal(address_decode(test_addr, NET_MAIN, &a), ADDRESS_ERR_WRONG_NETWORK);
    for (enum net_id n = NET_TESTNET3; n <= NET_SIGNET; n++) {
        assert_int_equal(address_decode(test_addr, n, &a), ADDRESS_OK);
        assert_int_equal(address_decode(main_addr, n, &a), ADDRESS_ERR_WRONG_NETWORK);
    }
    assert_int_equal(address_decode(test_addr, NET_REGTEST, &a), ADDRESS_ERR_WRONG_NETWORK);
    /* a regtest address, built here: v0, 20-byte program 00 01 .. 13 */
    uint8_t data[1 + 32] = {0};
    uint8_t prog[20];
    for (int i = 0; i < 20; i++) prog[i] = (uint8_t)i;
    size_t k = 1;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (int i = 0; i < 20; i++) {
        acc = acc << 8 | prog[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[k++] = (uint8_t)(acc >> bits & 31);
        }
    }
    if (bits) data[k++] = (uint8_t)(acc << (5 - bits) & 31);
    char s[BECH32_MAX_LEN + 1];
    assert_true(bech32_encode("bcrt", data, k, BECH32_ENC_BECH32, s, sizeof s));
    assert_int_equal(address_decode(s, NET_REGTEST, &a), ADDRESS_OK);
    assert_int_equal(a.type, ADDRESS_SEGWIT);
    assert_int_equal(a.program_len, 20);
    assert_memory_equal(a.program, prog, 20);
    assert_int_equal(address_decode(s, NET_MAIN, &a), ADDRESS_ERR_WRONG_NETWORK);
    /* the same data in Bech32m is refused for v0 */
    assert_true(bech32_encode("bcrt", data, k, BECH32_ENC_BECH32M, s, sizeof s));
    assert_int_equal(address_decode(s, NET_REGTEST, &a), ADDRESS_ERR_WRONG_ENCODING);
}

/* ---- Base58 ---- */

static void test_base58_core_vectors(void **state)
{
    (void)state;
    /* Core's base58_encode_decode.json (a selection, every kind of row) */
    const char *const v[][2] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"00000000000000000000", "1111111111"},
        {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
         "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
        {"271f359e", "zzzzy"},
        {"271f35a0", "211111"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len;
        uint8_t *bytes = test_unhex(v[i][0], &len);
        char s[128];
        assert_true(base58_encode(bytes, len, s, sizeof s));
        assert_string_equal(s, v[i][1]);
        uint8_t back[128];
        size_t n;
        assert_int_equal(base58_decode(v[i][1], back, sizeof back, &n), BASE58_OK);
        assert_int_equal(n, len);
        if (len) assert_memory_equal(back, bytes, len);
        free(bytes);
    }
    uint8_t out[64];
    size_t n;
    assert_int_equal(base58_decode("0OIl", out, sizeof out, &n), BASE58_ERR_BAD_CHAR);
    assert_int_equal(base58_decode(" 2g", out, sizeof out, &n), BASE58_ERR_BAD_CHAR);
    assert_int_equal(base58_decode("2g ", out, sizeof out, &n), BASE58_ERR_BAD_CHAR);
    assert_int_equal(base58_decode("a3gV", out, 2, &n), BASE58_ERR_TOO_LONG);
    char s[4];
    assert_false(base58_encode((const uint8_t *)"bbb", 3, s, 4)); /* "a3gV" needs 5 */
    char big[BASE58_MAX_STRING + 2];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(base58_decode(big, out, sizeof out, &n), BASE58_ERR_TOO_LONG);
}

static void test_base58_addresses_on_every_network(void **state)
{
    (void)state;
    /* Core's key_io_valid.json rows, with the chain they belong to; and
     * the genesis block's address (its pubkey hash). */
    const struct { const char *addr, *script; enum net_id net; } v[] = {
        {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
         "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", NET_MAIN},
        {"1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac", NET_MAIN},
        {"36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", "a914373b819a068f32b7a6b38b6b38729647cfde01c287", NET_MAIN},
        {"mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac", NET_TESTNET3},
        {"2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", "a914ce0bba75891ff9ec60148d4bd4a09ee2dc5c933187", NET_TESTNET4},
        {"mww4LvqtTMKvmeQvizPz2EQv26xTneWrbg", "76a914b4110ba93ac54afc14da3bdd19614774a2d55d2988ac", NET_SIGNET},
        {"2N1r7aC69VHeE7yQJPDLi9T1PYq4wnwvjuT", "a9145e5a35ab44b3efaea5129ba22b88ba3e2976614587", NET_SIGNET},
        {"n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ", "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac", NET_REGTEST},
        {"2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA", "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87", NET_REGTEST},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t script[ADDRESS_MAX_SCRIPT];
        size_t len = 0;
        enum address_err err = address_to_script(v[i].addr, v[i].net, script, &len);
        if (err != ADDRESS_OK) fail_msg("%s: %s", v[i].addr, address_err_str(err));
        char hex[2 * ADDRESS_MAX_SCRIPT + 1];
        hex_encode(script, len, hex);
        assert_string_equal(hex, v[i].script);
        /* main and test prefixes never cross */
        enum net_id other = v[i].net == NET_MAIN ? NET_TESTNET3 : NET_MAIN;
        assert_int_equal(address_to_script(v[i].addr, other, script, &len), ADDRESS_ERR_WRONG_NETWORK);
    }
    struct address a;
    assert_int_equal(address_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", NET_MAIN, &a),
                     ADDRESS_ERR_BASE58_CHECKSUM);
    assert_int_equal(address_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", NET_MAIN, &a),
                     ADDRESS_ERR_BASE58_CHAR);
    assert_int_equal(address_decode("", NET_MAIN, &a), ADDRESS_ERR_EMPTY);
    /* valid Base58Check of the wrong size, and of an unknown version */
    uint8_t payload[22] = {0x00};
    char s[64];
    assert_true(base58check_encode(payload, 22, s, sizeof s));
    assert_int_equal(address_decode(s, NET_MAIN, &a), ADDRESS_ERR_BASE58_LENGTH);
    payload[0] = 0x30; /* Litecoin's P2PKH byte */
    assert_true(base58check_encode(payload, 21, s, sizeof s));
    assert_int_equal(address_decode(s, NET_MAIN, &a), ADDRESS_ERR_BASE58_VERSION);
    char lng[ADDRESS_MAX_LEN + 2];
    memset(lng, '1', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    assert_int_equal(address_decode(lng, NET_MAIN, &a), ADDRESS_ERR_TOO_LONG);
}

static void test_error_names_are_distinct_tokens(void **state)
{
    (void)state;
    for (int x = ADDRESS_OK; x <= ADDRESS_ERR_V0_PROGRAM_LENGTH; x++) {
        const char *sx = address_err_str((enum address_err)x);
        assert_null(strchr(sx, ' '));
        assert_string_not_equal(sx, "unknown");
        for (int y = x + 1; y <= ADDRESS_ERR_V0_PROGRAM_LENGTH; y++)
            assert_string_not_equal(sx, address_err_str((enum address_err)y));
    }
    for (int x = BECH32_OK; x <= BECH32_ERR_CHECKSUM; x++) {
        assert_string_not_equal(bech32_err_str((enum bech32_err)x), "unknown");
        for (int y = x + 1; y <= BECH32_ERR_CHECKSUM; y++)
            assert_string_not_equal(bech32_err_str((enum bech32_err)x), bech32_err_str((enum bech32_err)y));
    }
    for (int x = BASE58_OK; x <= BASE58_ERR_CHECKSUM; x++)
        assert_string_not_equal(base58_err_str((enum base58_err)x), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bech32_valid_strings_and_their_variant),
        cmocka_unit_test(test_bech32_invalid_strings_with_reasons),
        cmocka_unit_test(test_segwit_addresses_valid),
        cmocka_unit_test(test_segwit_addresses_invalid_with_reasons),
        cmocka_unit_test(test_segwit_hrp_per_network),
        cmocka_unit_test(test_base58_core_vectors),
        cmocka_unit_test(test_base58_addresses_on_every_network),
        cmocka_unit_test(test_error_names_are_distinct_tokens),
    };
    return test_run_group(tests);
}
