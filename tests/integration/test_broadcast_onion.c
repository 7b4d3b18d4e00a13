/* Private broadcast prefers onion peers when Tor is there. The address
 * manager holds a few Tor v3 addresses (gossiped in addrv2 by inbound
 * peers, each from its own /16 so that each lands in its own new bucket)
 * among hundreds of IPv4 ones (addpeeraddress); what the scripted SOCKS5
 * proxy below is asked to CONNECT to shows which were chosen: names
 * ending in .onion (address type 3) or IPv4 addresses (type 1). Behind
 * the proxy the test plays the peer. With --proxy every connection goes
 * through it, onions first, each with credentials of its own (even with
 * --proxy-randomize=0); with --onion alone only onions can be
 * reached, and nothing is dialled directly: the IPv4 addresses have
 * listeners that must never see a connection. */
#include "harness.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "socks5_script.h"
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 20000
/* IPv4 addresses beside the onions: with a few onions among this many, a
 * preference that only biases draws from the whole table loses them. */
#define N_IPV4 400
#define N_LISTENING 8
#define ONION_PORT 8333
#define TARGET_MAX 300 /* "host:port", the host up to 255 bytes */

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* Usernames the proxy was given, one per connection. */
static char users[8][256];
static size_t n_users;

/* One SOCKS5 exchange as the proxy (socks5_script.h): the username kept
 * in users[], the CONNECT target recorded as the proxy would see it
 * ("name.onion:port" or "a.b.c.d:port"). The open tunnel, or -1. */
static int proxy_accept(int lfd, char target[TARGET_MAX])
{
    struct socks5_seen seen;
    int fd = socks5_accept(lfd, &seen, WAIT_MS);
    target[0] = '\0';
    char *user = n_users < 8 ? users[n_users++] : users[7];
    snprintf(user, sizeof users[0], "%s", seen.user);
    if (fd >= 0) snprintf(target, TARGET_MAX, "%s:%u", seen.host, (unsigned)seen.port);
    return fd;
}

/* The private-broadcast conversation over an open tunnel (v1). */
static void serve(int fd, const uint8_t *wtxid)
{
    assert_true(socks5_serve_private_broadcast(fd, magic(), 0x77, wtxid, WAIT_MS));
}

static size_t addrman_count(const struct rpc_daemon *r, const char *net)
{
    json_t *reply = rpc_call(r, "getaddrmaninfo", NULL);
    json_t *o = json_object_get(json_object_get(rpc_result(reply), net), "total");
    size_t n = (size_t)json_integer_value(o);
    json_decref(reply);
    return n;
}

/* Onion number i (its key a byte pattern of its own; netaddr_str gives
 * the name the proxy will be asked for). */
static void onion_addr(unsigned i, struct wire_netaddr *a, char name[NETADDR_STR_MAX])
{
    memset(a, 0, sizeof *a);
    a->time = (uint32_t)time(NULL);
    a->services = NODE_NETWORK | NODE_WITNESS; /* no P2P_V2: a v1 conversation */
    a->net = WIRE_NET_TORV3;
    for (size_t k = 0; k < 32; k++) a->addr[k] = (uint8_t)(0x40 + i * 31 + k);
    a->port = ONION_PORT;
    netaddr_str(a, name);
}

/* An inbound peer from 127.(80+i).0.1 tells of onion i in addrv2 (one
 * address: an inbound peer has one token); in the address manager before
 * this returns. */
static void gossip_onion(const struct rpc_daemon *r, struct daemon_proc *d, unsigned i)
{
    size_t before = addrman_count(r, "onion");
    char from[32];
    snprintf(from, sizeof from, "127.%u.0.1", 80 + i);
    struct sp in;
    assert_true(sp_connect_from(&in, from, daemon_port(d, WAIT_MS), magic()));
    assert_true(sp_handshake(&in, true, NULL, WAIT_MS));
    struct wire_netaddr a;
    char name[NETADDR_STR_MAX];
    onion_addr(i, &a, name);
    struct wire_msg addr = {.type = WIRE_ADDRV2, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(&in, &addr));
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (addrman_count(r, "onion") != before + 1) {
        if (clock_mono_ms() >= deadline) fail_msg("onion %u not in the address manager:\n%s", i, d->log);
        daemon_pump(d, 20);
    }
    sp_close(&in);
}

struct ipv4s {
    int fd[N_LISTENING]; /* listeners at the first few: never to be dialled */
};

/* N_IPV4 addresses, each in its own /16 (--test-local-groups makes
 * 127.x.y.z routable, grouped by /16), into the address manager. */
static void add_ipv4s(const struct rpc_daemon *r, struct ipv4s *v)
{
    for (unsigned i = 0; i < N_IPV4; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.%u.%u.1", 100 + i % 150, 1 + i / 150);
        uint16_t port = 18444;
        if (i < N_LISTENING) {
            v->fd[i] = sp_listen_on(ip, 0);
            assert_true(v->fd[i] >= 0);
            struct sockaddr_in sa;
            socklen_t len = sizeof sa;
            assert_int_equal(getsockname(v->fd[i], (struct sockaddr *)&sa, &len), 0);
            port = ntohs(sa.sin_port);
        }
        /* two of one /16 may share a slot and one is refused: the count
         * below is what matters */
        json_decref(rpc_call(r, "addpeeraddress", json_pack("[s,i]", ip, port)));
    }
    assert_true(addrman_count(r, "ipv4") >= N_IPV4 * 9 / 10);
}

static void assert_ipv4s_never_dialled(const struct ipv4s *v)
{
    for (size_t i = 0; i < N_LISTENING; i++) {
        struct pollfd p = {.fd = v->fd[i], .events = POLLIN};
        if (poll(&p, 1, 0) != 0) fail_msg("IPv4 address %zu was dialled directly", i);
        close(v->fd[i]);
    }
}

static char *submit(const struct rpc_daemon *r, struct txbuild *b, uint8_t prev0, uint8_t wtxid[32])
{
    uint8_t prev[32] = {prev0};
    txbuild_spend_p2wsh_op_true(b, prev, 0, 4999000000, NULL, 0);
    txbuild_wtxid(b, wtxid);
    char *hex = txbuild_hex(b);
    json_t *reply = rpc_call(r, "sendrawtransaction", json_pack("[s]", hex));
    rpc_result(reply);
    json_decref(reply);
    return hex;
}

/* Which of the n onions is this CONNECT target? n if none. */
static unsigned onion_index(const char *target, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct wire_netaddr a;
        char name[NETADDR_STR_MAX];
        onion_addr(i, &a, name);
        if (strcmp(target, name) == 0) return i;
    }
    return n;
}

/* Every "connecting addr=" line names an onion and the proxy. */
static void assert_only_onions_dialled(const struct daemon_proc *d, const char *via)
{
    size_t lines = 0;
    for (const char *at = strstr(d->log, "connecting addr="); at; at = strstr(at + 1, "connecting addr=")) {
        const char *eol = strchr(at, '\n');
        size_t len = eol ? (size_t)(eol - at) : strlen(at);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), at);
        if (!strstr(line, ".onion:") || !strstr(line, via)) fail_msg("not an onion through %s: %s", via, line);
        lines++;
    }
    assert_int_equal(lines, 3);
}

/* Every connection through the proxy had credentials of its own. */
static void assert_fresh_credentials(void)
{
    for (size_t i = 0; i < n_users; i++) {
        assert_true(users[i][0] != '\0');
        for (size_t j = i + 1; j < n_users; j++) assert_string_not_equal(users[i], users[j]);
    }
    n_users = 0;
}

/* The network logged for attempt k ("network=onion"...), or "". */
static void attempt_network(const struct daemon_proc *d, unsigned k, char out[16])
{
    char needle[32];
    snprintf(needle, sizeof needle, " attempt %u: ", k);
    out[0] = '\0';
    const char *at = strstr(d->log, needle);
    if (!at) return;
    const char *eol = strchr(at, '\n');
    const char *net = strstr(at, "network=");
    if (!net || (eol && net > eol)) return;
    net += strlen("network=");
    size_t len = strcspn(net, " \n");
    snprintf(out, 16, "%.*s", (int)(len < 15 ? len : 15), net);
}

/* --proxy (which is the onion proxy too): 3 onions among 400 IPv4
 * addresses, and the 3 private-broadcast connections go to the 3 onions. */
static void test_proxy_chooses_onions_first(void **state)
{
    (void)state;
    uint16_t pport;
    int plfd = sp_listen(&pport);
    assert_true(plfd >= 0);
    char proxy[64], via[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    snprintf(via, sizeof via, "proxy=127.0.0.1:%u", pport);
    /* fresh credentials per connection even so: stream isolation */
    const char *extra[] = {proxy, "--privatebroadcast=tor", "--proxy-randomize=0",
                           "--test-local-groups", "--max-outbound=0", "--dnsseed=0",
                           "--test-broadcast-retry=0.05", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    n_users = 0;
    for (unsigned i = 0; i < 3; i++) gossip_onion(&r, &r.d, i);
    struct ipv4s v;
    add_ipv4s(&r, &v);

    struct txbuild b;
    uint8_t wtxid[32];
    char *hex = submit(&r, &b, 6, wtxid);
    bool seen[3] = {false};
    for (int k = 0; k < 3; k++) {
        char target[TARGET_MAX];
        int fd = proxy_accept(plfd, target);
        if (fd < 0) fail_msg("connection %d did not come through the proxy:\n%s", k, r.d.log);
        unsigned i = onion_index(target, 3);
        if (i == 3) fail_msg("connection %d went to %s, not to an onion", k, target);
        assert_false(seen[i]); /* each onion is a group of its own: all three, once each */
        seen[i] = true;
        serve(fd, wtxid);
    }
    assert_true(daemon_wait_log(&r.d, "sent to 3 peers", WAIT_MS));
    assert_int_equal(n_users, 3);
    assert_fresh_credentials();
    assert_int_equal(daemon_log_count(&r.d, "network=onion transport=v1"), 3);
    assert_int_equal(daemon_log_count(&r.d, "network=ipv4"), 0);
    assert_only_onions_dialled(&r.d, via);
    assert_ipv4s_never_dialled(&v);

    close(plfd);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

/* Preferred, not exclusive: with --proxy and only 2 onions, the two
 * onions are the first two attempts and an IPv4 peer, through the proxy
 * too, makes up the three. */
static void test_proxy_falls_back_to_ipv4_through_it(void **state)
{
    (void)state;
    uint16_t pport;
    int plfd = sp_listen(&pport);
    assert_true(plfd >= 0);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    const char *extra[] = {proxy, "--privatebroadcast=tor", "--test-local-groups", "--max-outbound=0",
                           "--dnsseed=0", "--test-broadcast-retry=0.05", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    n_users = 0;
    for (unsigned i = 0; i < 2; i++) gossip_onion(&r, &r.d, i);
    struct ipv4s v;
    add_ipv4s(&r, &v);

    struct txbuild b;
    uint8_t wtxid[32];
    char *hex = submit(&r, &b, 8, wtxid);
    bool seen[2] = {false};
    size_t ipv4 = 0;
    for (int k = 0; k < 3; k++) {
        char target[TARGET_MAX];
        int fd = proxy_accept(plfd, target);
        if (fd < 0) fail_msg("connection %d did not come through the proxy:\n%s", k, r.d.log);
        unsigned i = onion_index(target, 2);
        if (i < 2) {
            assert_false(seen[i]);
            seen[i] = true;
        } else {
            assert_true(strncmp(target, "127.", 4) == 0); /* one of ours, as the proxy was asked */
            ipv4++;
        }
        serve(fd, wtxid);
    }
    assert_true(seen[0] && seen[1]);
    assert_int_equal(ipv4, 1);
    assert_true(daemon_wait_log(&r.d, "sent to 3 peers", WAIT_MS));
    /* in the order picked: the onions, then the IPv4 one */
    char net[16];
    attempt_network(&r.d, 1, net);
    assert_string_equal(net, "onion");
    attempt_network(&r.d, 2, net);
    assert_string_equal(net, "onion");
    attempt_network(&r.d, 3, net);
    assert_string_equal(net, "ipv4");
    assert_ipv4s_never_dialled(&v); /* the IPv4 peer too was reached through the proxy */
    assert_fresh_credentials();

    close(plfd);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

/* --onion alone: IPv4 peers cannot be reached privately (they would go
 * direct), so only onions are. With 2 onions the broadcast goes to those
 * 2 and says it is short of a third; a third onion gossiped later is
 * taken on the next round of the timer; no IPv4 address is ever dialled. */
static void test_onion_only_dials_onions_only(void **state)
{
    (void)state;
    uint16_t pport;
    int plfd = sp_listen(&pport);
    assert_true(plfd >= 0);
    char onion[64], via[64];
    snprintf(onion, sizeof onion, "--onion=127.0.0.1:%u", pport);
    snprintf(via, sizeof via, "proxy=127.0.0.1:%u", pport);
    const char *extra[] = {onion, "--privatebroadcast=tor", "--test-local-groups", "--max-outbound=0",
                           "--dnsseed=0", "--test-broadcast-retry=0.05", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    assert_true(daemon_wait_log(&r.d, "private broadcast: to onion peers only", WAIT_MS));
    n_users = 0;
    for (unsigned i = 0; i < 2; i++) gossip_onion(&r, &r.d, i);
    struct ipv4s v;
    add_ipv4s(&r, &v);

    struct txbuild b;
    uint8_t wtxid[32];
    char *hex = submit(&r, &b, 7, wtxid);
    bool seen[3] = {false};
    for (int k = 0; k < 2; k++) {
        char target[TARGET_MAX];
        int fd = proxy_accept(plfd, target);
        if (fd < 0) fail_msg("connection %d did not come through the proxy:\n%s", k, r.d.log);
        unsigned i = onion_index(target, 2);
        if (i == 2) fail_msg("connection %d went to %s, not to one of the onions", k, target);
        assert_false(seen[i]);
        seen[i] = true;
        serve(fd, wtxid);
    }
    /* both at once in the first round; the IPv4 addresses do not count */
    assert_true(daemon_wait_log(&r.d, "2 of 3 peers; no other address", WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "of 3 peers; no other address"), 1);

    gossip_onion(&r, &r.d, 2);
    char target[TARGET_MAX];
    int fd = proxy_accept(plfd, target);
    if (fd < 0) fail_msg("the third onion was not dialled:\n%s", r.d.log);
    assert_int_equal(onion_index(target, 3), 2);
    serve(fd, wtxid);
    assert_true(daemon_wait_log(&r.d, "sent to 3 peers", WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "network=ipv4"), 0);
    assert_only_onions_dialled(&r.d, via);
    assert_ipv4s_never_dialled(&v);
    assert_int_equal(n_users, 3);
    assert_fresh_credentials();

    close(plfd);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_chooses_onions_first),
        cmocka_unit_test(test_proxy_falls_back_to_ipv4_through_it),
        cmocka_unit_test(test_onion_only_dials_onions_only),
    };
    return test_run_group(tests);
}
