/* Bans and subnets: matching, expiry at the stored time, banlist.dat
 * roundtrip and corruption, and the subnet syntax operators type. */
#include "testutil.h"

#include "node/banman.h"

#include <string.h>

static const int64_t NOW = 1760000000;

static struct wire_netaddr addr(const char *s)
{
    struct netaddr_subnet sn;
    assert_true(netaddr_subnet_parse(s, &sn));
    struct wire_netaddr a = {.net = sn.net};
    memcpy(a.addr, sn.addr, sizeof a.addr);
    return a;
}

static void test_subnet_syntax(void **state)
{
    (void)state;
    struct netaddr_subnet sn;
    char s[NETADDR_STR_MAX];
    assert_true(netaddr_subnet_parse("1.2.3.4", &sn));
    netaddr_subnet_str(&sn, s);
    assert_string_equal(s, "1.2.3.4/32");
    assert_true(netaddr_subnet_parse("10.20.30.40/16", &sn));
    netaddr_subnet_str(&sn, s);
    assert_string_equal(s, "10.20.0.0/16"); /* host bits cleared */
    assert_true(netaddr_subnet_parse("2001:db8::/32", &sn));
    netaddr_subnet_str(&sn, s);
    assert_string_equal(s, "2001:db8::/32");
    assert_true(netaddr_subnet_parse("[::ffff:1.2.3.4]", &sn));
    assert_int_equal(sn.net, WIRE_NET_IPV4);
    assert_true(netaddr_subnet_parse("1.2.3.4/0", &sn));
    assert_false(netaddr_subnet_parse("1.2.3.4/33", &sn));
    assert_false(netaddr_subnet_parse("1.2.3.4/", &sn));
    assert_false(netaddr_subnet_parse("host.example", &sn));
    assert_false(netaddr_subnet_parse("", &sn));
}

static void test_matching_and_expiry(void **state)
{
    (void)state;
    struct banman *bm = banman_new();
    struct netaddr_subnet net16, one;
    assert_true(netaddr_subnet_parse("10.20.0.0/16", &net16));
    assert_true(netaddr_subnet_parse("1.2.3.4", &one));
    assert_int_equal(banman_ban(bm, &net16, NOW + 100, NOW), BANMAN_OK);
    assert_int_equal(banman_ban(bm, &one, NOW + 50, NOW), BANMAN_OK);
    struct wire_netaddr in = addr("10.20.99.1"), out = addr("10.21.0.1"), x = addr("1.2.3.4"),
                        y = addr("1.2.3.5");
    assert_true(banman_is_banned(bm, &in, NOW));
    assert_false(banman_is_banned(bm, &out, NOW));
    assert_true(banman_is_banned(bm, &x, NOW + 49));
    assert_false(banman_is_banned(bm, &x, NOW + 50)); /* expires at its own time */
    assert_false(banman_is_banned(bm, &y, NOW));
    /* banning again extends, never shortens */
    assert_int_equal(banman_ban(bm, &one, NOW + 10, NOW), BANMAN_OK);
    assert_true(banman_is_banned(bm, &x, NOW + 40));
    assert_int_equal(banman_count(bm), 2);
    assert_int_equal(banman_sweep(bm, NOW + 60), 1);
    assert_int_equal(banman_count(bm), 1);
    assert_true(banman_unban(bm, &net16));
    assert_false(banman_is_banned(bm, &in, NOW));
    banman_free(bm);
}

static void test_banlist_roundtrip_keeps_expiry(void **state)
{
    (void)state;
    struct banman *bm = banman_new();
    struct netaddr_subnet a, b, c;
    assert_true(netaddr_subnet_parse("5.6.7.8", &a));
    assert_true(netaddr_subnet_parse("2a01:4f8::/32", &b));
    assert_true(netaddr_subnet_parse("9.9.9.9", &c));
    banman_ban(bm, &a, NOW + 86400, NOW);
    banman_ban(bm, &b, NOW + 3600, NOW);
    banman_ban(bm, &c, NOW + 10, NOW);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(banman_serialize(bm, &w), BANMAN_OK);
    struct banman *back = banman_new();
    /* loaded an hour and a minute later: the 10 s and the 1 h bans are over */
    assert_int_equal(banman_deserialize(back, w.data, w.len, NOW + 3660), BANMAN_OK);
    assert_int_equal(banman_count(back), 1);
    assert_true(banman_get(back, 0)->until == NOW + 86400);
    assert_true(banman_get(back, 0)->created == NOW);
    w.data[12] ^= 0x40;
    assert_int_equal(banman_deserialize(back, w.data, w.len, NOW), BANMAN_ERR_CHECKSUM);
    assert_int_equal(banman_count(back), 0);
    assert_int_equal(banman_deserialize(back, w.data, 7, NOW), BANMAN_ERR_TRUNCATED);
    buf_writer_free(&w);
    banman_free(back);
    banman_free(bm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subnet_syntax),
        cmocka_unit_test(test_matching_and_expiry),
        cmocka_unit_test(test_banlist_roundtrip_keeps_expiry),
    };
    return test_run_group(tests);
}
