/* Private broadcast and proxies: --privatebroadcast=tor refuses to send
 * without one; with --proxy every private-broadcast connection goes
 * through it with fresh SOCKS5 credentials (even with
 * --proxy-randomize=0), and a v2 attempt that fails is never retried as
 * v1, least of all outside the proxy (Core's first release did:
 * bitcoin/bitcoin#35319). A fake SOCKS5 proxy in this file plays the
 * proxy, behind which the test plays the remote peer; and microsocks, a
 * real one, whose connections come from 127.0.0.2. The peers' addresses
 * are loopback ones with listeners of their own: a connection that
 * bypassed the proxy would reach one of them (and nothing would leave the
 * machine). */
#include "harness.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "socks5_script.h"
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 20000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* The first n bytes, left unread. */
static bool peek_full(int fd, uint8_t *buf, size_t n)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(deadline - now)) != 1) continue;
        ssize_t got = recv(fd, buf, n, MSG_PEEK);
        if (got <= 0) return false;
        if ((size_t)got == n) return true;
    }
}

struct target {
    char ip[32];
    int fd; /* a listener at the address: it must never get a connection */
    uint16_t port;
};

static void target_on(struct target *t, const char *ip)
{
    snprintf(t->ip, sizeof t->ip, "%s", ip);
    t->fd = sp_listen_on(ip, 0);
    assert_true(t->fd >= 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(t->fd, (struct sockaddr *)&sa, &len), 0);
    t->port = ntohs(sa.sin_port);
}

static void assert_never_dialled(const struct target *t)
{
    struct pollfd p = {.fd = t->fd, .events = POLLIN};
    if (poll(&p, 1, 0) != 0) fail_msg("%s was dialled directly, outside the proxy", t->ip);
}

static void add_address(const struct rpc_daemon *r, const struct target *t)
{
    json_t *reply = rpc_call(r, "addpeeraddress", json_pack("[s,i]", t->ip, t->port));
    assert_true(json_is_true(json_object_get(rpc_result(reply), "success")));
    json_decref(reply);
}

/* Serve the private-broadcast conversation over an open tunnel (v1). */
static void serve(int fd, const uint8_t *wtxid)
{
    assert_true(socks5_serve_private_broadcast(fd, magic(), 0x99, wtxid, WAIT_MS));
}

static void test_tor_only_refuses_without_a_proxy(void **state)
{
    (void)state;
    const char *extra[] = {"--privatebroadcast=tor", "--max-outbound=0", "--dnsseed=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    assert_true(daemon_wait_log(&r.d, "--privatebroadcast=tor and no proxy", WAIT_MS));
    struct txbuild b;
    static const uint8_t prev[32] = {3};
    txbuild_spend_p2wsh_op_true(&b, prev, 0, 4999000000, NULL, 0);
    char *hex = txbuild_hex(&b);
    json_t *reply = rpc_call(&r, "sendrawtransaction", json_pack("[s]", hex));
    const char *msg;
    assert_int_equal(rpc_error_code(reply, &msg), -1);
    assert_non_null(strstr(msg, "-privatebroadcast=tor"));
    json_decref(reply);
    reply = rpc_call(&r, "getbroadcastinfo", NULL);
    assert_int_equal(json_array_size(rpc_result(reply)), 0); /* nothing kept, nothing sent */
    json_decref(reply);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

/* Without a proxy, auto says the origin is visible. */
static void test_auto_without_proxy_says_origin_visible(void **state)
{
    (void)state;
    const char *extra[] = {"--max-outbound=0", "--dnsseed=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    assert_true(daemon_wait_log(&r.d, "see this machine's address as its origin", WAIT_MS));
    rpc_daemon_stop(&r);
}

/* A: advertises v2 (learned from an addr message), the tunnel closes on
 * its key; then B, C, D (v1) take it. Every connection comes through the
 * proxy, each with its own credentials; A is only ever tried with v2. */
static void test_every_attempt_through_the_proxy_v2_never_v1(void **state)
{
    (void)state;
    uint16_t pport;
    int plfd = sp_listen(&pport);
    assert_true(plfd >= 0);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct target t[4];
    target_on(&t[0], "127.91.0.1");
    target_on(&t[1], "127.92.0.1");
    target_on(&t[2], "127.93.0.1");
    target_on(&t[3], "127.94.0.1");
    /* --redial-backoff=0: A, which fails, is to be dialled again at once
     * (only Core's 10-minute rule, which a one-address table passes) */
    const char *extra[] = {proxy, "--privatebroadcast=tor", "--proxy-randomize=0",
                           "--test-local-groups", "--max-outbound=0", "--dnsseed=0",
                           "--test-broadcast-retry=0.05", "--redial-backoff=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    /* A into the address manager with NODE_P2P_V2, as a peer would tell */
    struct sp inbound;
    assert_true(sp_connect_from(&inbound, "127.90.0.1", daemon_port(&r.d, WAIT_MS), magic()));
    assert_true(sp_handshake(&inbound, true, NULL, WAIT_MS));
    struct wire_netaddr a = {.time = (uint32_t)time(NULL),
                             .services = NODE_NETWORK | NODE_WITNESS | NODE_P2P_V2,
                             .net = WIRE_NET_IPV4,
                             .addr = {127, 91, 0, 1},
                             .port = t[0].port};
    struct wire_msg addr = {.type = WIRE_ADDRV2, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(&inbound, &addr));
    assert_true(daemon_wait_log(&r.d, "addr: 1 accepted", WAIT_MS));

    struct txbuild b;
    static const uint8_t prev[32] = {4};
    txbuild_spend_p2wsh_op_true(&b, prev, 0, 4999000000, NULL, 0);
    uint8_t wtxid[32];
    txbuild_wtxid(&b, wtxid);
    char *hex = txbuild_hex(&b);
    json_t *reply = rpc_call(&r, "sendrawtransaction", json_pack("[s]", hex));
    rpc_result(reply);
    json_decref(reply);

    char users[16][256];
    size_t n_users = 0, v2_failures = 0, served = 0;
    bool served_by[4] = {false};
    /* the first attempts can only be A: v2 through the proxy, closed */
    for (int k = 0; k < 2; k++) {
        struct socks5_seen s;
        int fd = socks5_accept(plfd, &s, WAIT_MS);
        assert_true(fd >= 0);
        assert_string_equal(s.host, "127.91.0.1");
        uint8_t key[64];
        assert_true(socks5_read_full(fd, key, sizeof key, WAIT_MS));
        assert_memory_not_equal(key, magic(), 4); /* an ElligatorSwift key, not v1 */
        close(fd);
        snprintf(users[n_users++], sizeof users[0], "%s", s.user);
        v2_failures++;
    }
    assert_true(daemon_wait_log(&r.d, "transport=v2", WAIT_MS));
    for (size_t i = 1; i < 4; i++) add_address(&r, &t[i]);
    while (served < 3) {
        struct socks5_seen s;
        int fd = socks5_accept(plfd, &s, WAIT_MS);
        if (fd < 0) fail_msg("no connection through the proxy:\n%s", r.d.log);
        assert_true(n_users < 16);
        snprintf(users[n_users++], sizeof users[0], "%s", s.user);
        uint8_t first[4];
        assert_true(peek_full(fd, first, 4)); /* left in the socket for serve() */
        if (strcmp(s.host, "127.91.0.1") == 0) {
            assert_memory_not_equal(first, magic(), 4); /* A: v2 again, never v1 */
            close(fd);
            v2_failures++;
            continue;
        }
        assert_memory_equal(first, magic(), 4);
        size_t i = 1;
        while (i < 4 && strcmp(s.host, t[i].ip) != 0) i++;
        assert_true(i < 4);
        assert_false(served_by[i]);
        served_by[i] = true;
        serve(fd, wtxid);
        served++;
    }
    assert_true(daemon_wait_log(&r.d, "sent to 3 peers", WAIT_MS));
    assert_true(v2_failures >= 2);
    /* fresh credentials for every connection, though --proxy-randomize=0 */
    for (size_t i = 0; i < n_users; i++) {
        assert_true(users[i][0] != '\0');
        for (size_t j = i + 1; j < n_users; j++) assert_string_not_equal(users[i], users[j]);
    }
    /* nothing went around the proxy, to A least of all */
    for (size_t i = 0; i < 4; i++) assert_never_dialled(&t[i]);
    assert_int_equal(daemon_log_count(&r.d, "reconnecting with v1"), 0);

    sp_close(&inbound);
    for (size_t i = 0; i < 4; i++) close(t[i].fd);
    close(plfd);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

/* ---- through a real proxy: Debian's microsocks ---- */

static uint16_t start_microsocks(struct daemon_proc *ms)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        uint16_t port = free_port();
        char port_str[8];
        snprintf(port_str, sizeof port_str, "%u", port);
        /* its outgoing connections come from 127.0.0.2: a peer can tell */
        const char *argv[] = {"microsocks", "-i", "127.0.0.1", "-p", port_str, "-b", "127.0.0.2", NULL};
        if (!process_start(ms, argv)) return 0;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        uint64_t deadline = clock_mono_ms() + 2000;
        while (clock_mono_ms() < deadline) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            bool up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            close(fd);
            if (up) return port;
            daemon_pump(ms, 20);
        }
        daemon_stop(ms, SIGTERM, WAIT_MS);
        daemon_cleanup(ms);
    }
    return 0;
}

static void test_through_microsocks(void **state)
{
    (void)state;
    if (system("command -v microsocks >/dev/null 2>&1") != 0)
        test_skip("microsocks is not installed (scripts/deps.sh --test installs it)");
    struct daemon_proc ms;
    uint16_t pport = start_microsocks(&ms);
    assert_true(pport != 0);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct target t[3];
    target_on(&t[0], "127.95.0.1");
    target_on(&t[1], "127.96.0.1");
    target_on(&t[2], "127.97.0.1");
    const char *extra[] = {proxy, "--privatebroadcast=tor", "--test-local-groups", "--max-outbound=0",
                           "--dnsseed=0", "--test-broadcast-retry=0.05", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    for (size_t i = 0; i < 3; i++) add_address(&r, &t[i]);
    struct txbuild b;
    static const uint8_t prev[32] = {5};
    txbuild_spend_p2wsh_op_true(&b, prev, 0, 4999000000, NULL, 0);
    uint8_t wtxid[32];
    txbuild_wtxid(&b, wtxid);
    char *hex = txbuild_hex(&b);
    json_t *reply = rpc_call(&r, "sendrawtransaction", json_pack("[s]", hex));
    rpc_result(reply);
    json_decref(reply);
    bool served[3] = {false};
    for (size_t k = 0; k < 3; k++) {
        struct pollfd p[3];
        for (size_t i = 0; i < 3; i++) p[i] = (struct pollfd){.fd = t[i].fd, .events = POLLIN};
        if (poll(p, 3, WAIT_MS) <= 0) fail_msg("connection %zu did not come:\n%s", k, r.d.log);
        size_t i = 0;
        while (!(p[i].revents & POLLIN)) i++;
        assert_false(served[i]);
        served[i] = true;
        int fd = accept(t[i].fd, NULL, NULL);
        assert_true(fd >= 0);
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        assert_int_equal(getpeername(fd, (struct sockaddr *)&from, &len), 0);
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
        assert_string_equal(ip, "127.0.0.2"); /* microsocks' -b address: through the proxy */
        serve(fd, wtxid);
    }
    assert_true(daemon_wait_log(&r.d, "sent to 3 peers", WAIT_MS));
    /* three connections in all, each logged with the proxy */
    char via[48];
    snprintf(via, sizeof via, "proxy=127.0.0.1:%u", pport);
    assert_int_equal(daemon_log_count(&r.d, "connecting addr=127.9"), 3);
    const char *at = r.d.log;
    for (size_t k = 0; k < 3; k++) {
        at = strstr(at, "connecting addr=127.9");
        assert_non_null(at);
        const char *eol = strchr(at, '\n');
        const char *p = strstr(at, via);
        assert_true(p && (!eol || p < eol));
        at += 10;
    }
    for (size_t i = 0; i < 3; i++) close(t[i].fd);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
    daemon_stop(&ms, SIGTERM, WAIT_MS);
    daemon_cleanup(&ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tor_only_refuses_without_a_proxy),
        cmocka_unit_test(test_auto_without_proxy_says_origin_visible),
        cmocka_unit_test(test_every_attempt_through_the_proxy_v2_never_v1),
        cmocka_unit_test(test_through_microsocks),
    };
    return test_run_group(tests);
}
