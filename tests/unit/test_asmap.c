/* ASMap: the interpreter, sanity check and checksum against Bitcoin Core's
 * published test map (tests/vectors/asmap/) with the answers Core's own
 * interpreter gives, three maps made with Core's contrib/asmap encoder, the
 * invalid files Core rejects, maps from our test encoder, and the groups
 * netaddr_group makes with a map. */
#include "testutil.h"

#include "asmap_build.h"

#include <btcpeerd/asmap.h>
#include <btcpeerd/netaddr.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* An address as the 16 bytes the map is run over. */
static void ip16(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET6, s, out) == 1) return;
    out[10] = out[11] = 0xff;
    assert_int_equal(inet_pton(AF_INET, s, out + 12), 1);
}

static uint32_t lookup(const struct asmap *m, const char *s)
{
    uint8_t ip[16];
    ip16(s, ip);
    return asmap_lookup(m, ip);
}

static struct asmap *core_map(uint8_t **bytes, size_t *len)
{
    *bytes = test_read_file(test_vector_path("asmap/asmap.raw"), len);
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(*bytes, *len, &m), ASMAP_OK);
    return m;
}

static void test_core_map_lookups(void **state)
{
    (void)state;
    uint8_t *bytes;
    size_t len;
    struct asmap *m = core_map(&bytes, &len);
    assert_int_equal(len, 59);
    assert_int_equal(asmap_size(m), 59);
    static const struct {
        const char *ip;
        uint32_t asn;
    } want[] = {
        {"101.1.0.0", 1},       {"101.2.3.4", 2},         {"101.3.0.0", 3},       {"101.4.255.255", 4},
        {"101.5.0.0", 5},       {"101.6.0.0", 6},         {"101.7.0.0", 7},       {"101.8.0.0", 8},
        {"250.1.1.1", 1000},    {"250.2.1.1", 1000},      {"::ffff:101.1.0.0", 1}, {"101.0.0.1", 1},
        {"101.15.255.255", 8},  {"101.16.0.0", 0},        {"1.2.3.4", 0},         {"128.0.0.1", 1000},
        {"255.255.255.255", 1000}, {"2001:db8::1", 0},    {"fc00::1", 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (lookup(m, want[i].ip) != want[i].asn)
            fail_msg("%s: AS%u, want AS%u", want[i].ip, lookup(m, want[i].ip), want[i].asn);
    asmap_free(m);
    free(bytes);
}

static void test_core_map_checksum(void **state)
{
    (void)state;
    uint8_t *bytes;
    size_t len;
    struct asmap *m = core_map(&bytes, &len);
    char hex[ASMAP_CHECKSUM_HEX_LEN + 1];
    asmap_checksum_hex(m, hex);
    /* feature_asmap.py's VERSION */
    assert_string_equal(hex, "fec61fa21a9f46f3b17bdcd660d7f4cd90b966aad3aec593c99b35f0aca15853");
    uint8_t raw[32];
    asmap_checksum(m, raw); /* hash order: the display reversed */
    assert_int_equal(raw[0], 0x53);
    assert_int_equal(raw[31], 0xfe);
    asmap_free(m);
    free(bytes);
}

static void test_core_map_edits_invalid(void **state)
{
    (void)state;
    uint8_t *bytes;
    size_t len;
    struct asmap *m = core_map(&bytes, &len), *bad = (struct asmap *)1;
    assert_true(asmap_bytes_sane(bytes, len));
    /* the last byte dropped: the final RETURN is cut */
    assert_false(asmap_bytes_sane(bytes, len - 1));
    assert_int_equal(asmap_new(bytes, len - 1, &bad), ASMAP_ERR_INSANE);
    assert_null(bad);
    /* a zero byte appended: more than 7 bits of padding */
    uint8_t *longer = calloc(len + 1, 1);
    assert_non_null(longer);
    memcpy(longer, bytes, len);
    assert_false(asmap_bytes_sane(longer, len + 1));
    /* every prefix fails, every single-bit flip is checked without harm */
    for (size_t n = 0; n < len; n++) assert_false(asmap_bytes_sane(bytes, n));
    for (size_t bit = 0; bit < len * 8; bit++) {
        memcpy(longer, bytes, len);
        longer[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        struct asmap *flipped = NULL;
        if (asmap_new(longer, len, &flipped) == ASMAP_OK) {
            (void)lookup(flipped, "101.1.0.0");
            asmap_free(flipped);
        } else {
            assert_null(flipped);
        }
    }
    free(longer);
    asmap_free(m);
    free(bytes);
}

/* Maps made with Core's contrib/asmap/asmap.py and checked with Core's
 * compiled Interpret and SanityCheckASMap (notes in docs/RELIABILITY.md). */
static struct asmap *from_hex(const char *hex)
{
    size_t len;
    uint8_t *b = test_unhex(hex, &len);
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(b, len, &m), ASMAP_OK);
    free(b);
    return m;
}

static void expect_version(const struct asmap *m, const char *want)
{
    char hex[ASMAP_CHECKSUM_HEX_LEN + 1];
    asmap_checksum_hex(m, hex);
    assert_string_equal(hex, want);
}

static void test_synthetic_maps(void **state)
{
    (void)state;
    /* a single RETURN AS1: everything is AS1 */
    struct asmap *m = from_hex("000000");
    assert_int_equal(lookup(m, "1.2.3.4"), 1);
    assert_int_equal(lookup(m, "2001:db8::1"), 1);
    expect_version(m, "5efeebc08d93b1b2b015c9d84bddd34aec1c86ac32d8617b4535678f8742af58");
    asmap_free(m);

    m = from_hex("fb80fd01f607d81f607f80fd01f607d81f607f80fd01f6e7dfff7fff81d009c078001807");
    assert_int_equal(asmap_size(m), 36);
    assert_int_equal(lookup(m, "1.2.3.4"), 100);
    assert_int_equal(lookup(m, "2.255.0.1"), 200);
    assert_int_equal(lookup(m, "3.0.0.1"), 0);
    assert_int_equal(lookup(m, "2001:db8::1"), 0);
    expect_version(m, "9cd077a95f758814b0fa72817828f7542eda983f44d01b56aabf2798fa9557f5");
    asmap_free(m);

    m = from_hex("8b8e6907fb03ec0fb03fc0fe00fb03ec0fb03fc0fe00fb03ecefbffffffea141f23ddf1f50deff7b607fc0"
                 "fd61f7ef000004");
    assert_int_equal(asmap_size(m), 50);
    assert_int_equal(lookup(m, "10.1.2.3"), 65000);
    assert_int_equal(lookup(m, "11.1.9.9"), 64512);
    assert_int_equal(lookup(m, "11.2.0.0"), 0);
    assert_int_equal(lookup(m, "2001:db8:1::1"), 3);
    assert_int_equal(lookup(m, "2001:db9::1"), 0);
    asmap_free(m);
}

static void test_invalid_files(void **state)
{
    (void)state;
    struct asmap *m = NULL;
    assert_int_equal(asmap_new((const uint8_t *)"", 0, &m), ASMAP_ERR_EMPTY);
    assert_false(asmap_bytes_sane((const uint8_t *)"", 0));
    static const char *const bad[] = {
        "00000000", /* RETURN AS1 and 8 bits of padding */
        "000080",   /* a padding bit set */
        /* the 36-byte map without its last byte */
        "fb80fd01f607d81f607f80fd01f607d81f607f80fd01f6e7dfff7fff81d009c0780018",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        uint8_t *b = test_unhex(bad[i], &len);
        if (asmap_bytes_sane(b, len)) fail_msg("%s passed the sanity check", bad[i]);
        assert_int_equal(asmap_new(b, len, &m), ASMAP_ERR_INSANE);
        assert_null(m);
        free(b);
    }
    assert_string_equal(asmap_err_str(ASMAP_ERR_INSANE), "not-a-valid-asmap");
}

/* Hand-made programs for the rules the files above do not reach: bits are
 * written here most significant first per field, least significant first
 * per byte as the format wants. */
struct bits {
    uint8_t b[384];
    size_t n;
};
static void put(struct bits *w, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ') continue;
        if (*s == '1') w->b[w->n / 8] |= (uint8_t)(1u << (w->n % 8));
        w->n++;
    }
}
static size_t nbytes(const struct bits *w) { return (w->n + 7) / 8; }

static void test_rules(void **state)
{
    (void)state;
    /* DEFAULT AS1 then RETURN AS2: a RETURN right after a DEFAULT */
    struct bits w = {0};
    put(&w, "111 0000000000000000 0 0000000000000001");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* DEFAULT twice */
    memset(&w, 0, sizeof w);
    put(&w, "111 0000000000000000 111 0000000000000001 0 0000000000000001");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* DEFAULT AS5, MATCH "1" then RETURN AS2: valid; a 0 bit falls back to AS5 */
    memset(&w, 0, sizeof w);
    put(&w, "111 0000000000000100 110 01 0 0000000000000001");
    assert_true(asmap_bytes_sane(w.b, nbytes(&w)));
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(w.b, nbytes(&w), &m), ASMAP_OK);
    assert_int_equal(lookup(m, "8000::"), 2);
    assert_int_equal(lookup(m, "::1"), 5);
    asmap_free(m);
    /* two short MATCHes in a row */
    memset(&w, 0, sizeof w);
    put(&w, "110 01 110 01 0 0000000000000001");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* a JUMP past the end (offset 17, nothing after it) */
    memset(&w, 0, sizeof w);
    put(&w, "10 0 00000");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* a JUMP over a RETURN of 17 bits to a RETURN: valid */
    memset(&w, 0, sizeof w);
    put(&w, "10 0 00000 0 0000000000000000 0 0000000000000001");
    assert_true(asmap_bytes_sane(w.b, nbytes(&w)));
    assert_int_equal(asmap_new(w.b, nbytes(&w), &m), ASMAP_OK);
    assert_int_equal(lookup(m, "::1"), 1);     /* first bit 0: falls through */
    assert_int_equal(lookup(m, "8000::"), 2);  /* first bit 1: jumps */
    asmap_free(m);
    /* the same with the jump one bit short: it lands inside the RETURN */
    memset(&w, 0, sizeof w);
    put(&w, "10 0 00000 0 00000000000000000 0 0000000000000001");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* 16 MATCHes of 8 zero bits use up the address: then RETURN is valid */
    memset(&w, 0, sizeof w);
    for (int i = 0; i < 16; i++) put(&w, "110 1111111 00000000");
    put(&w, "0 0000000000000001");
    assert_true(asmap_bytes_sane(w.b, nbytes(&w)));
    assert_int_equal(asmap_new(w.b, nbytes(&w), &m), ASMAP_OK);
    assert_int_equal(lookup(m, "::"), 2);
    assert_int_equal(lookup(m, "::1"), 0);
    asmap_free(m);
    /* a 17th needs more input bits than an address has */
    memset(&w, 0, sizeof w);
    for (int i = 0; i < 17; i++) put(&w, "110 1111111 00000000");
    put(&w, "0 0000000000000001");
    assert_false(asmap_bytes_sane(w.b, nbytes(&w)));
    /* the opcode cut by the end */
    memset(&w, 0, sizeof w);
    put(&w, "11");
    assert_false(asmap_bytes_sane(w.b, 1));
}

static void test_garbage_is_harmless(void **state)
{
    (void)state;
    uint64_t seed = 14;
    uint8_t buf[512];
    size_t sane = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = 1 + (size_t)(round % 511);
        test_random_bytes(&seed, buf, len);
        struct asmap *m = NULL;
        if (asmap_new(buf, len, &m) != ASMAP_OK) continue;
        sane++;
        (void)lookup(m, "101.1.2.3");
        (void)lookup(m, "2001:db8::1");
        asmap_free(m);
    }
    (void)sane; /* random bytes are rarely a map; the point is no crash */
}

static void test_encoder_maps(void **state)
{
    (void)state;
    struct asmap_entry e[] = {
        asmap_entry_v4(127, 1, 0, 0, 16, 64501), asmap_entry_v4(127, 2, 0, 0, 16, 64501),
        asmap_entry_v4(127, 3, 0, 0, 16, 64502), asmap_entry_v4(8, 8, 8, 0, 24, 15169),
        asmap_entry_v4(101, 0, 0, 0, 8, 16000000),
    };
    size_t len;
    uint8_t *b = asmap_build(e, 5, &len);
    assert_non_null(b);
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(b, len, &m), ASMAP_OK);
    assert_int_equal(lookup(m, "127.1.0.9"), 64501);
    assert_int_equal(lookup(m, "127.2.200.1"), 64501);
    assert_int_equal(lookup(m, "127.3.0.1"), 64502);
    assert_int_equal(lookup(m, "127.4.0.1"), 0);
    assert_int_equal(lookup(m, "8.8.8.8"), 15169);
    assert_int_equal(lookup(m, "8.8.9.8"), 0);
    assert_int_equal(lookup(m, "101.200.0.1"), 16000000);
    assert_int_equal(lookup(m, "2001:db8::1"), 0);
    asmap_free(m);
    free(b);
}

static struct wire_netaddr na(const char *s)
{
    struct wire_netaddr a = {.port = 8333};
    if (inet_pton(AF_INET, s, a.addr) == 1) {
        a.net = WIRE_NET_IPV4;
    } else {
        a.net = WIRE_NET_IPV6;
        assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
    }
    return a;
}

static void test_groups_by_as(void **state)
{
    (void)state;
    uint8_t *bytes;
    size_t len;
    struct asmap *m = core_map(&bytes, &len);
    uint8_t g[NETADDR_GROUP_MAX], g2[NETADDR_GROUP_MAX];
    struct wire_netaddr a = na("101.2.3.4");
    /* Core's bytes: NET_IPV6, then the ASN little-endian */
    assert_int_equal(netaddr_group(&a, false, m, g), 5);
    static const uint8_t as2[5] = {0x02, 0x02, 0x00, 0x00, 0x00};
    assert_memory_equal(g, as2, 5);
    assert_int_equal(netaddr_mapped_as(&a, false, m), 2);
    /* different /16s, one AS: one group (101.0/16 and 101.1/16 are AS1) */
    struct wire_netaddr b = na("101.0.0.1"), c = na("101.1.200.1");
    assert_int_equal(netaddr_group(&b, false, m, g), netaddr_group(&c, false, m, g2));
    assert_memory_equal(g, g2, 5);
    /* ... and two without the map */
    assert_int_equal(netaddr_group(&b, false, NULL, g), 3);
    netaddr_group(&c, false, NULL, g2);
    assert_memory_not_equal(g, g2, 3);
    /* IPv6 forms of an IPv4 address are looked up as it: mapped, 6to4, NAT64 */
    struct wire_netaddr mapped = na("::ffff:101.1.0.0"), six = na("2002:6501:0001::1"),
                        nat64 = na("64:ff9b::6501:1");
    assert_int_equal(netaddr_mapped_as(&mapped, false, m), 1);
    assert_int_equal(netaddr_mapped_as(&six, false, m), 1);
    assert_int_equal(netaddr_mapped_as(&nat64, false, m), 1);
    /* unmapped: today's /16 group */
    struct wire_netaddr d = na("1.2.3.4");
    assert_int_equal(netaddr_mapped_as(&d, false, m), 0);
    assert_int_equal(netaddr_group(&d, false, m, g), 3);
    /* unroutable addresses and other networks are never looked up: 250/8 is
     * AS1000 in the map but reserved (not routable) to us */
    struct wire_netaddr e = na("250.1.1.1"), lo = na("127.0.0.1");
    assert_int_equal(netaddr_mapped_as(&e, false, m), 0);
    assert_int_equal(netaddr_mapped_as(&lo, false, m), 0);
    struct wire_netaddr tor = {.net = WIRE_NET_TORV3};
    assert_int_equal(netaddr_mapped_as(&tor, false, m), 0);
    assert_int_equal(netaddr_mapped_as(&a, false, NULL), 0);
    asmap_free(m);
    free(bytes);

    /* --test-local-groups: 127/8 is looked up like a routable address */
    struct asmap_entry ents[] = {asmap_entry_v4(127, 1, 0, 0, 16, 64501),
                                 asmap_entry_v4(127, 2, 0, 0, 16, 64501)};
    uint8_t *mb = asmap_build(ents, 2, &len);
    assert_int_equal(asmap_new(mb, len, &m), ASMAP_OK);
    struct wire_netaddr l1 = na("127.1.0.1"), l2 = na("127.2.0.1");
    assert_int_equal(netaddr_mapped_as(&l1, true, m), 64501);
    assert_int_equal(netaddr_mapped_as(&l1, false, m), 0);
    netaddr_group(&l1, true, m, g);
    netaddr_group(&l2, true, m, g2);
    assert_memory_equal(g, g2, 5);
    asmap_free(m);
    free(mb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_map_lookups),
        cmocka_unit_test(test_core_map_checksum),
        cmocka_unit_test(test_core_map_edits_invalid),
        cmocka_unit_test(test_synthetic_maps),
        cmocka_unit_test(test_invalid_files),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_garbage_is_harmless),
        cmocka_unit_test(test_encoder_maps),
        cmocka_unit_test(test_groups_by_as),
    };
    return test_run_group(tests);
}
