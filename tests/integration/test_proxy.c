/* Outbound connections through a SOCKS5 proxy. Two proxies: a fake one in
 * this file (one blocking exchange per connection, recording what the
 * daemon asked: methods, credentials, address type, host, port; answering
 * whatever the test wants), and Debian's microsocks as a real one. Behind
 * either, the scripted peer completes the handshake. No local DNS look-up
 * may happen under --proxy: the daemon's DNS server is a UDP socket of ours
 * that must stay silent. */
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
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

#define WAIT_MS 5000
#define ONION "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* The daemon under test, for its log when the fake proxy fails. */
static struct daemon_proc *g_daemon;

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            if (g_daemon) daemon_stop(g_daemon, SIGTERM, WAIT_MS);                            \
            fprintf(stderr, "daemon log:\n%s\n", g_daemon && g_daemon->log ? g_daemon->log : "(none)"); \
            fail_msg("%s failed", #cond);                                                     \
        }                                                                                     \
    } while (0)

/* ---- a fake SOCKS5 proxy ---- */

struct socks_req {
    uint8_t methods[255];
    size_t n_methods;
    char user[256], pass[256];
    uint8_t atyp;
    char host[256];  /* a name, or the address written out */
    uint16_t port;
};

static bool read_full(int fd, void *buf, size_t n, uint64_t deadline)
{
    uint8_t *p = buf;
    while (n) {
        uint64_t now = clock_mono_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) != 1) return false;
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0) return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool read_str(int fd, char *out, uint64_t deadline)
{
    uint8_t len;
    if (!read_full(fd, &len, 1, deadline) || !read_full(fd, out, len, deadline)) return false;
    out[len] = '\0';
    return true;
}

static int accept_within(int lfd, unsigned timeout_ms)
{
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    if (poll(&pfd, 1, (int)timeout_ms) != 1) return -1;
    return accept(lfd, NULL, NULL);
}

/* What the fake proxy answers. rep < 0: the reply code is the number after
 * "rep" in the requested host name ("rep5.test" → 5). */
struct socks_script {
    uint8_t method;   /* its choice of method (0xff: none acceptable) */
    bool auth_ok;
    int rep;
};

/* Accept one connection and play the proxy's part; the socket (open after
 * a success reply, to speak P2P on), or -1 if the exchange ended early. */
static int fake_proxy(int lfd, const struct socks_script *sc, struct socks_req *r)
{
    memset(r, 0, sizeof *r);
    int fd = accept_within(lfd, WAIT_MS);
    CHECK(fd >= 0);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    uint8_t head[2];
    CHECK(read_full(fd, head, 2, deadline));
    assert_int_equal(head[0], 5);
    r->n_methods = head[1];
    CHECK(read_full(fd, r->methods, r->n_methods, deadline));
    uint8_t choice[2] = {5, sc->method};
    assert_int_equal(send(fd, choice, 2, 0), 2);
    if (sc->method == 0xff) return fd;
    if (sc->method == 2) {
        uint8_t ver;
        CHECK(read_full(fd, &ver, 1, deadline));
        assert_int_equal(ver, 1);
        CHECK(read_str(fd, r->user, deadline) && read_str(fd, r->pass, deadline));
        uint8_t status[2] = {1, sc->auth_ok ? 0 : 1};
        assert_int_equal(send(fd, status, 2, 0), 2);
        if (!sc->auth_ok) return fd;
    }
    uint8_t req[4];
    CHECK(read_full(fd, req, 4, deadline));
    assert_int_equal(req[0], 5);
    assert_int_equal(req[1], 1); /* CONNECT */
    assert_int_equal(req[2], 0);
    r->atyp = req[3];
    uint8_t ip[16];
    if (r->atyp == 1) {
        CHECK(read_full(fd, ip, 4, deadline));
        inet_ntop(AF_INET, ip, r->host, sizeof r->host);
    } else if (r->atyp == 4) {
        CHECK(read_full(fd, ip, 16, deadline));
        inet_ntop(AF_INET6, ip, r->host, sizeof r->host);
    } else {
        assert_int_equal(r->atyp, 3);
        CHECK(read_str(fd, r->host, deadline));
    }
    uint8_t port[2];
    CHECK(read_full(fd, port, 2, deadline));
    r->port = (uint16_t)(port[0] << 8 | port[1]);
    int rep = sc->rep >= 0 ? sc->rep : atoi(r->host + 3);
    /* bound address: a domain name, to exercise that reply shape too */
    uint8_t reply[] = {5, (uint8_t)rep, 0, 3, 5, 'p', 'r', 'o', 'x', 'y', 0x1f, 0x90};
    assert_int_equal(send(fd, reply, sizeof reply, 0), (ssize_t)sizeof reply);
    return fd;
}

/* A UDP socket standing in for the daemon's DNS server. */
static int dns_trap(char *flag, size_t cap)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(flag, cap, "--dns-server=127.0.0.1:%u", ntohs(sa.sin_port));
    return fd;
}

static void assert_no_dns(int fd)
{
    uint8_t buf[512];
    assert_true(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0);
    close(fd);
}

static void stop_cleanly(struct daemon_proc *d)
{
    assert_int_equal(daemon_stop(d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(d);
}

static void wait_log(struct daemon_proc *d, const char *needle)
{
    if (!daemon_wait_log(d, needle, WAIT_MS)) fail_msg("no '%s' in log:\n%s", needle, d->log);
}

/* ---- tests ---- */

static void test_name_goes_to_proxy_not_dns(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    assert_true(lfd >= 0);
    char proxy[64], dns[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    int dfd = dns_trap(dns, sizeof dns);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=localhost:18444", proxy, dns,
                          "--v2transport=0", "--log-level=debug", NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    struct socks_script sc = {.method = 2, .auth_ok = true, .rep = 0};
    struct socks_req r;
    int fd = fake_proxy(lfd, &sc, &r);
    /* both methods offered; random credentials; the name, unresolved */
    assert_int_equal(r.n_methods, 2);
    assert_int_equal(r.methods[0], 0);
    assert_int_equal(r.methods[1], 2);
    assert_int_equal(strlen(r.user), 32);
    assert_int_equal(strlen(r.pass), 32);
    assert_string_not_equal(r.user, r.pass);
    assert_int_equal(r.atyp, 3);
    assert_string_equal(r.host, "localhost");
    assert_int_equal(r.port, 18444);
    struct sp s;
    sp_adopt(&s, fd, magic());
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    wait_log(&d, "handshake complete");
    char needle[96];
    snprintf(needle, sizeof needle, "connected addr=localhost:18444 direction=outbound manual=1 proxy=127.0.0.1:%u", pport);
    assert_non_null(strstr(d.log, needle));
    sp_close(&s);
    wait_log(&d, "disconnected addr=localhost:18444");
    stop_cleanly(&d);
    assert_no_dns(dfd);
    close(lfd);
}

/* BIP324 first, through the proxy; the v1-only peer closes on the key; the
 * v1 retry goes through the proxy too, with fresh credentials. An IPv4
 * target is sent as an address. */
static void test_v2_fallback_through_proxy(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=10.1.2.3:18444", proxy, NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    struct socks_script sc = {.method = 2, .auth_ok = true, .rep = 0};
    struct socks_req first, second;
    int fd = fake_proxy(lfd, &sc, &first);
    assert_int_equal(first.atyp, 1);
    assert_string_equal(first.host, "10.1.2.3");
    assert_int_equal(first.port, 18444);
    uint8_t key[64];
    assert_true(read_full(fd, key, sizeof key, clock_mono_ms() + WAIT_MS));
    assert_memory_not_equal(key, magic(), 4); /* an ElligatorSwift key, not v1 */
    close(fd);
    fd = fake_proxy(lfd, &sc, &second);
    assert_string_equal(second.host, "10.1.2.3");
    assert_string_not_equal(first.user, second.user); /* stream isolation */
    assert_string_not_equal(first.pass, second.pass);
    struct sp s;
    sp_adopt(&s, fd, magic());
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    wait_log(&d, "handshake complete");
    assert_non_null(strstr(d.log, "does not speak BIP324: reconnecting with v1"));
    assert_non_null(strstr(d.log, "transport=v1"));
    sp_close(&s);
    stop_cleanly(&d);
    close(lfd);
}

/* Reply codes: each failure is a logged disconnect naming the proxy's
 * error, in state "proxy". */
static void test_error_replies_logged(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=rep5.test", "--connect=rep4.test",
                          "--connect=rep240.test", proxy, NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    struct socks_script sc = {.method = 2, .auth_ok = true, .rep = -1};
    for (int i = 0; i < 3; i++) {
        struct socks_req r;
        close(fake_proxy(lfd, &sc, &r));
    }
    wait_log(&d, "proxy_error=connection-refused");
    wait_log(&d, "proxy_error=host-unreachable");
    wait_log(&d, "proxy_error=onion-descriptor-not-found");
    assert_int_equal(daemon_log_count(&d, "state=proxy reason=proxy-error"), 3);
    stop_cleanly(&d);
    close(lfd);
}

/* --proxy-randomize=0 offers no-auth alone; a proxy that takes none of our
 * methods, or refuses our credentials, is a named failure. */
static void test_methods_and_auth_failures(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=127.0.0.1:18444", proxy,
                          "--proxy-randomize=0", NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    struct socks_script refuse = {.method = 0xff};
    struct socks_req r;
    close(fake_proxy(lfd, &refuse, &r));
    assert_int_equal(r.n_methods, 1);
    assert_int_equal(r.methods[0], 0);
    wait_log(&d, "proxy_error=no-acceptable-method");
    stop_cleanly(&d);

    const char *args2[] = {"--network=regtest", "--connect=127.0.0.1:18444", proxy, NULL};
    assert_true(daemon_start(&d, args2));
    g_daemon = &d;
    struct socks_script bad_auth = {.method = 2, .auth_ok = false};
    close(fake_proxy(lfd, &bad_auth, &r));
    wait_log(&d, "proxy_error=auth-failed");
    stop_cleanly(&d);
    close(lfd);
}

/* A proxy that never answers: the handshake timeout covers it. */
static void test_silent_proxy_times_out(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=127.0.0.1:18444", proxy,
                          "--handshake-timeout=0.3", NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    int fd = accept_within(lfd, WAIT_MS);
    assert_true(fd >= 0);
    wait_log(&d, "state=proxy reason=handshake-timeout");
    close(fd);
    stop_cleanly(&d);
    close(lfd);
}

/* Onion peers: unreachable without a proxy; with --onion alone they go to
 * it by name while other peers stay direct. */
static void test_onion(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--connect=" ONION ":8333", NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    wait_log(&d, "cannot connect to " ONION ":8333: unreachable");
    stop_cleanly(&d);

    uint16_t pport, dport;
    int lfd = sp_listen(&pport), direct = sp_listen(&dport);
    char onion[64], connect[64];
    snprintf(onion, sizeof onion, "--onion=127.0.0.1:%u", pport);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", dport);
    const char *args2[] = {"--network=regtest", "--connect=" ONION ":8333", connect, onion,
                           "--v2transport=0", NULL};
    assert_true(daemon_start(&d, args2));
    g_daemon = &d;
    struct socks_script sc = {.method = 2, .auth_ok = true, .rep = 0};
    struct socks_req r;
    int fd = fake_proxy(lfd, &sc, &r);
    assert_int_equal(r.atyp, 3);
    assert_string_equal(r.host, ONION);
    assert_int_equal(r.port, 8333);
    struct sp s, s2;
    sp_adopt(&s, fd, magic());
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    assert_true(sp_accept(&s2, direct, magic(), WAIT_MS)); /* not through the proxy */
    assert_true(sp_handshake(&s2, false, NULL, WAIT_MS));
    wait_log(&d, "handshake complete addr=" ONION ":8333");
    sp_close(&s);
    sp_close(&s2);
    stop_cleanly(&d);
    close(lfd);
    close(direct);
}

/* DNS seeds under --proxy: no DNS query; the seed's name goes to the proxy
 * as a one-shot peer that is asked for addresses and dropped once they
 * come. Its onion addresses are then dialled through the proxy by name
 * (automatic outbound, one per network group; one slot, so that an idle
 * daemon does not spend its time looking for more candidates in a table of
 * two, which is slow under valgrind). */
static void test_seed_through_proxy_then_onion_outbound(void **state)
{
    (void)state;
    uint16_t pport;
    int lfd = sp_listen(&pport);
    char proxy[64], dns[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    int dfd = dns_trap(dns, sizeof dns);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", "--dnsseed-name=seed.test", proxy, dns,
                          "--max-outbound=1", "--log-level=debug", NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    struct socks_script sc = {.method = 2, .auth_ok = true, .rep = 0};
    struct socks_req r;
    int fd = fake_proxy(lfd, &sc, &r);
    assert_int_equal(r.atyp, 3);
    assert_string_equal(r.host, "seed.test");
    assert_int_equal(r.port, 18444);
    struct sp s;
    sp_adopt(&s, fd, magic());
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    assert_true(sp_expect(&s, WIRE_GETADDR, NULL, WAIT_MS));
    /* two onion addresses (BIP155) */
    struct wire_netaddr addrs[2];
    memset(addrs, 0, sizeof addrs);
    for (int i = 0; i < 2; i++) {
        addrs[i].net = WIRE_NET_TORV3;
        addrs[i].port = 18444;
        addrs[i].time = (uint32_t)time(NULL);
        addrs[i].services = NODE_NETWORK | NODE_WITNESS;
        memset(addrs[i].addr, 0x11 * (i + 1), 32);
    }
    struct wire_msg msg = {.type = WIRE_ADDRV2, .u.addr = {.count = 2, .addrs = addrs}};
    assert_true(sp_send(&s, &msg));
    wait_log(&d, "reason=addr-fetch-done");
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    /* the next connection: an onion, by name, through the proxy */
    struct socks_req r2;
    close(fake_proxy(lfd, &sc, &r2));
    assert_int_equal(r2.atyp, 3);
    assert_int_equal(strlen(r2.host), 62);
    assert_string_equal(r2.host + 56, ".onion");
    assert_int_equal(r2.port, 18444);
    stop_cleanly(&d);
    assert_no_dns(dfd);
    close(lfd);
}

/* ---- a real proxy: microsocks ---- */

static bool can_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* microsocks on a free port; its outgoing connections come from 127.0.0.2,
 * so the peer can tell they went through it. The port is free when chosen
 * but may be taken before microsocks binds: then another is tried. */
static uint16_t start_microsocks(struct daemon_proc *ms)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        uint16_t port = free_port();
        char port_str[8];
        snprintf(port_str, sizeof port_str, "%u", port);
        const char *argv[] = {"microsocks", "-i", "127.0.0.1", "-p", port_str, "-b", "127.0.0.2", NULL};
        if (!process_start(ms, argv)) return 0;
        uint64_t deadline = clock_mono_ms() + 2000;
        while (clock_mono_ms() < deadline) {
            if (can_connect(port)) return port;
            daemon_pump(ms, 20); /* waits on its output, 20 ms at most */
        }
        daemon_stop(ms, SIGTERM, WAIT_MS);
        daemon_cleanup(ms);
    }
    return 0;
}

static bool have_microsocks(void)
{
    return system("command -v microsocks >/dev/null 2>&1") == 0;
}

static void test_through_microsocks(void **state)
{
    (void)state;
    if (!have_microsocks()) test_skip("microsocks is not installed (scripts/deps.sh --test installs it)");
    struct daemon_proc ms, d;
    uint16_t pport = start_microsocks(&ms);
    assert_true(pport != 0);
    uint16_t port;
    int lfd = sp_listen(&port);
    char proxy[64], connect[64], dns[64];
    snprintf(proxy, sizeof proxy, "--proxy=127.0.0.1:%u", pport);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    int dfd = dns_trap(dns, sizeof dns);
    const char *args[] = {"--network=regtest", connect, proxy, dns, NULL};
    assert_true(daemon_start(&d, args));
    g_daemon = &d;
    /* v2 first (closed by sp_accept), then v1: both through microsocks */
    struct sp s;
    CHECK(sp_accept(&s, lfd, magic(), WAIT_MS));
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    assert_int_equal(getpeername(s.fd, (struct sockaddr *)&from, &len), 0);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.2"); /* microsocks' -b address: it came via the proxy */
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    wait_log(&d, "handshake complete");
    assert_non_null(strstr(d.log, "proxy=127.0.0.1:"));
    assert_non_null(strstr(d.log, "does not speak BIP324: reconnecting with v1"));
    sp_close(&s);
    stop_cleanly(&d);
    assert_no_dns(dfd);
    daemon_stop(&ms, SIGTERM, WAIT_MS);
    daemon_cleanup(&ms);
    close(lfd);
}

/* Flags: the proxy must be numeric (no look-up of its own name). */
static void test_bad_proxy_flags(void **state)
{
    (void)state;
    const char *bad[] = {"--proxy=localhost:9050", "--onion=tor:9050", "--proxy=1.2.3.4:0",
                         "--proxy-randomize=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        const char *args[] = {bad[i], NULL};
        assert_int_equal(run_btcpeerd(args, &out, WAIT_MS), 2);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_goes_to_proxy_not_dns),
        cmocka_unit_test(test_v2_fallback_through_proxy),
        cmocka_unit_test(test_error_replies_logged),
        cmocka_unit_test(test_methods_and_auth_failures),
        cmocka_unit_test(test_silent_proxy_times_out),
        cmocka_unit_test(test_onion),
        cmocka_unit_test(test_seed_through_proxy_then_onion_outbound),
        cmocka_unit_test(test_through_microsocks),
        cmocka_unit_test(test_bad_proxy_flags),
    };
    return test_run_group(tests);
}
