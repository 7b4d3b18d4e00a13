/* Address classification: routable ranges, network groups, formatting
 * (a real v3 onion name among them). */
#include "testutil.h"

#include <btcpeerd/netaddr.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static struct wire_netaddr v4(const char *s, uint16_t port)
{
    struct wire_netaddr a = {.net = WIRE_NET_IPV4, .port = port};
    assert_int_equal(inet_pton(AF_INET, s, a.addr), 1);
    return a;
}

static struct wire_netaddr v6(const char *s, uint16_t port)
{
    struct wire_netaddr a = {.net = WIRE_NET_IPV6, .port = port};
    assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
    return a;
}

static void test_ipv4_reserved_ranges_unroutable(void **state)
{
    (void)state;
    const char *bad[] = {"0.1.2.3", "10.1.2.3", "127.0.0.1", "100.64.0.1", "169.254.1.1",
                         "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.2.1", "198.18.0.1",
                         "198.19.255.1", "198.51.100.7", "203.0.113.9", "224.0.0.1", "255.255.255.255"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct wire_netaddr a = v4(bad[i], 8333);
        if (netaddr_is_routable(&a)) fail_msg("%s should not be routable", bad[i]);
    }
    const char *good[] = {"1.2.3.4", "8.8.8.8", "172.32.0.1", "100.128.0.1", "198.20.0.1", "11.0.0.1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct wire_netaddr a = v4(good[i], 8333);
        if (!netaddr_is_routable(&a)) fail_msg("%s should be routable", good[i]);
    }
    struct wire_netaddr lo = v4("127.5.6.7", 1);
    assert_true(netaddr_is_loopback(&lo));
}

static void test_ipv6_reserved_ranges_unroutable(void **state)
{
    (void)state;
    const char *bad[] = {"::", "::1", "fc00::1", "fd12::1", "fe80::1", "ff02::1", "2001:db8::1",
                         "2001:10::1", "2001:20::1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct wire_netaddr a = v6(bad[i], 8333);
        if (netaddr_is_routable(&a)) fail_msg("%s should not be routable", bad[i]);
    }
    struct wire_netaddr a = v6("2a01:4f8::1", 8333);
    assert_true(netaddr_is_routable(&a));
    struct wire_netaddr tor = {.net = WIRE_NET_TORV3}, cj = {.net = WIRE_NET_CJDNS};
    assert_true(netaddr_is_routable(&tor));
    cj.addr[0] = 0xfc;
    assert_true(netaddr_is_routable(&cj));
    cj.addr[0] = 0xfd;
    assert_false(netaddr_is_routable(&cj));
}

static void test_groups(void **state)
{
    (void)state;
    uint8_t g1[NETADDR_GROUP_MAX], g2[NETADDR_GROUP_MAX];
    struct wire_netaddr a = v4("1.2.3.4", 1), b = v4("1.2.200.9", 2), c = v4("1.3.3.4", 1);
    size_t n1 = netaddr_group(&a, false, NULL, g1), n2 = netaddr_group(&b, false, NULL, g2);
    assert_int_equal(n1, n2);
    assert_memory_equal(g1, g2, n1); /* same /16 */
    n2 = netaddr_group(&c, false, NULL, g2);
    assert_memory_not_equal(g1, g2, n1);
    /* IPv6 /32 */
    struct wire_netaddr d = v6("2a01:4f8:1::1", 1), e = v6("2a01:4f8:ffff::2", 1), f = v6("2a01:4f9::1", 1);
    n1 = netaddr_group(&d, false, NULL, g1);
    assert_int_equal(netaddr_group(&e, false, NULL, g2), n1);
    assert_memory_equal(g1, g2, n1);
    netaddr_group(&f, false, NULL, g2);
    assert_memory_not_equal(g1, g2, n1);
    /* 6to4 carrying 1.2.x.x groups with 1.2.3.4 */
    struct wire_netaddr six2four = v6("2002:0102:0909::1", 1);
    n1 = netaddr_group(&a, false, NULL, g1);
    assert_int_equal(netaddr_group(&six2four, false, NULL, g2), n1);
    assert_memory_equal(g1, g2, n1);
    /* unroutable all alike; the test switch spreads 127/8 by /16 */
    struct wire_netaddr l1 = v4("127.1.0.1", 1), l2 = v4("127.2.0.1", 1), p = v4("10.0.0.1", 1);
    n1 = netaddr_group(&l1, false, NULL, g1);
    n2 = netaddr_group(&p, false, NULL, g2);
    assert_int_equal(n1, n2);
    assert_memory_equal(g1, g2, n1);
    n1 = netaddr_group(&l1, true, NULL, g1);
    n2 = netaddr_group(&l2, true, NULL, g2);
    assert_int_equal(n1, 3);
    assert_memory_not_equal(g1, g2, 3);
    /* one group per overlay network */
    struct wire_netaddr t1 = {.net = WIRE_NET_TORV3}, t2 = {.net = WIRE_NET_TORV3};
    t2.addr[0] = 0xff;
    n1 = netaddr_group(&t1, false, NULL, g1);
    n2 = netaddr_group(&t2, false, NULL, g2);
    assert_int_equal(n1, n2);
    assert_memory_equal(g1, g2, n1);
}

static void test_strings(void **state)
{
    (void)state;
    char s[NETADDR_STR_MAX];
    struct wire_netaddr a = v4("1.2.3.4", 8333);
    netaddr_str(&a, s);
    assert_string_equal(s, "1.2.3.4:8333");
    struct wire_netaddr b = v6("2001:db8::1", 18444);
    netaddr_str(&b, s);
    assert_string_equal(s, "[2001:db8::1]:18444");
    /* a real v3 onion (Bitcoin Core's net tests use this one) */
    struct wire_netaddr t = {.net = WIRE_NET_TORV3, .port = 8333};
    size_t n;
    uint8_t *pk = test_unhex("79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f", &n);
    memcpy(t.addr, pk, 32);
    free(pk);
    netaddr_str(&t, s);
    assert_string_equal(s, "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333");
    struct wire_netaddr i = {.net = WIRE_NET_I2P, .port = 0};
    netaddr_str(&i, s);
    assert_string_equal(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b32.i2p:0");
}

static void test_key_and_equality(void **state)
{
    (void)state;
    struct wire_netaddr a = v4("1.2.3.4", 8333), b = v4("1.2.3.4", 8334);
    assert_false(netaddr_equal(&a, &b));
    b.port = 8333;
    b.time = 99; /* time and services are not identity */
    assert_true(netaddr_equal(&a, &b));
    uint8_t k1[35], k2[35];
    assert_int_equal(netaddr_key(&a, k1), 7);
    netaddr_key(&b, k2);
    assert_memory_equal(k1, k2, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_reserved_ranges_unroutable),
        cmocka_unit_test(test_ipv6_reserved_ranges_unroutable),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_key_and_equality),
    };
    return test_run_group(tests);
}
