/* The node on its own: DNS seeds served by a DNS server on 127.0.0.1 reach
 * the address manager and become outbound peers, one per network group;
 * outbound peers without the needed services are dropped; feelers test
 * addresses; getaddr and addr relay; bans survive a restart and expire;
 * peers.dat survives a restart and a corrupt one is moved aside. The
 * --test-local-groups switch groups 127.0.0.0/8 by /16 as if routable. */
#include "dns_server.h"
#include "harness.h"
#include "rpc_client.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 8000
#define REGTEST_PORT 18444

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* Start a regtest daemon whose only DNS seed is served by `dns`. */
static void start_with_seed(struct daemon_proc *d, const struct dns_server *dns, const char *const *extra)
{
    char server[48];
    snprintf(server, sizeof server, "--dns-server=127.0.0.1:%u", dns->port);
    const char *args[20] = {"--network=regtest", "--listen=0", "--dnsseed-name=seed.test", server,
                            "--test-local-groups", "--log-level=debug"};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < 19; i++) args[n++] = extra[i];
    args[n] = NULL;
    assert_true(daemon_start(d, args));
}

/* Which of the listeners gets the next connection (its index), or -1. */
static int accept_any(const int *fds, size_t n, struct sp *out, unsigned timeout_ms)
{
    struct pollfd pfd[8];
    for (size_t i = 0; i < n; i++) pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    if (poll(pfd, (nfds_t)n, (int)timeout_ms) <= 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (pfd[i].revents & POLLIN) return sp_accept(out, fds[i], magic(), WAIT_MS) ? (int)i : -1;
    return -1;
}

/* SIGTERM must end the daemon with status 0; if not, show its log. */
static void stop_ok(struct daemon_proc *d)
{
    int rc = daemon_stop(d, SIGTERM, WAIT_MS);
    if (rc != 0) fail_msg("exit status %d, log:\n%s", rc, d->log ? d->log : "");
}

static void wait_log_count(struct daemon_proc *d, const char *needle, size_t count)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(d, needle) < count && clock_mono_ms() < deadline) daemon_pump(d, 20);
    if (daemon_log_count(d, needle) < count) fail_msg("'%s' < %zu times in:\n%s", needle, count, d->log);
}

static void test_dns_seeds_feed_outbound_one_per_group(void **state)
{
    (void)state;
    const char *ips[] = {"127.11.0.1", "127.11.0.2", "127.12.0.1", NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    int fds[3];
    for (int i = 0; i < 3; i++) assert_true((fds[i] = sp_listen_on(ips[i], REGTEST_PORT)) >= 0);
    struct daemon_proc d;
    start_with_seed(&d, &dns, NULL);
    /* Not "3 new": 127.11.0.1 and .2 share a group, so a new bucket, and
     * with a chance of 1 in 64 (the bucket's random key) the same slot, and
     * the second is then not stored. One of them is all this test needs. */
    assert_true(daemon_wait_log(&d, "DNS seed seed.test: 3 addresses, ", WAIT_MS));

    struct sp a, b;
    int first = accept_any(fds, 3, &a, WAIT_MS);
    assert_true(first >= 0);
    assert_true(sp_handshake(&a, false, NULL, WAIT_MS));
    int second = accept_any(fds, 3, &b, WAIT_MS);
    assert_true(second >= 0);
    assert_true(sp_handshake(&b, false, NULL, WAIT_MS));
    /* one in 127.12/16, one in 127.11/16: never both 127.11 */
    assert_true((first == 2) != (second == 2));
    size_t ticks = daemon_log_count(&d, "no more candidates");
    wait_log_count(&d, "no more candidates", ticks + 3);
    struct sp c;
    assert_int_equal(accept_any(fds, 3, &c, 0), -1); /* the other 127.11 address: not dialled */
    assert_int_equal(daemon_log_count(&d, "connecting addr=127.11."), 1);
    /* the outbound peers were asked for addresses */
    assert_true(sp_expect(&a, WIRE_GETADDR, NULL, WAIT_MS));
    sp_close(&a);
    sp_close(&b);
    for (int i = 0; i < 3; i++) close(fds[i]);
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

static void test_outbound_without_services_is_dropped(void **state)
{
    (void)state;
    const char *ips[] = {"127.13.0.1", NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    int fd = sp_listen_on(ips[0], REGTEST_PORT);
    assert_true(fd >= 0);
    struct daemon_proc d;
    start_with_seed(&d, &dns, NULL);
    struct sp s;
    assert_true(sp_accept(&s, fd, magic(), WAIT_MS));
    /* witness but no NODE_NETWORK / NODE_NETWORK_LIMITED: serves no blocks */
    if (!sp_handshake_services(&s, false, NODE_WITNESS, NULL, WAIT_MS)) {
        daemon_pump(&d, 500);
        fail_msg("log:\n%s", d.log);
    }
    assert_true(sp_wait_closed(&s, WAIT_MS));
    assert_true(daemon_wait_log(&d, "reason=missing-services", WAIT_MS));
    sp_close(&s);
    close(fd);
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

static void test_feeler_moves_a_new_address_to_tried(void **state)
{
    (void)state;
    const char *ips[] = {"127.14.0.1", "127.15.0.1", NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    int fds[2];
    for (int i = 0; i < 2; i++) assert_true((fds[i] = sp_listen_on(ips[i], REGTEST_PORT)) >= 0);
    struct daemon_proc d;
    /* no block-relay-only slots: they would take the other address first */
    const char *extra[] = {"--max-outbound=1", "--max-blockrelay=0", "--feeler-interval=0.2", NULL};
    start_with_seed(&d, &dns, extra);
    struct sp out, feeler;
    int first = accept_any(fds, 2, &out, WAIT_MS);
    assert_true(first >= 0);
    assert_true(sp_handshake(&out, false, NULL, WAIT_MS));
    /* the slot is full: the other address is tested by a feeler */
    int second = accept_any(fds, 2, &feeler, WAIT_MS);
    assert_int_equal(second, 1 - first);
    assert_true(sp_handshake(&feeler, false, NULL, WAIT_MS));
    assert_true(sp_wait_closed(&feeler, WAIT_MS));
    assert_true(daemon_wait_log(&d, "answered: marked good", WAIT_MS));
    assert_true(daemon_wait_log(&d, "reason=feeler-done", WAIT_MS));
    sp_close(&out);
    sp_close(&feeler);
    for (int i = 0; i < 2; i++) close(fds[i]);
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

/* Listening, with no DNS seeds and no outbound slots unless extra says so
 * (later flags win). */
static uint16_t start_listening(struct daemon_proc *d, const char *const *extra)
{
    const char *args[12] = {"--dnsseed=0", "--max-outbound=0"};
    size_t n = 2;
    for (size_t i = 0; extra && extra[i] && n < 11; i++) args[n++] = extra[i];
    args[n] = NULL;
    uint16_t port = daemon_start_listening(d, args);
    assert_true(port != 0);
    return port;
}

static void send_addrs(struct sp *s, size_t count, uint32_t time)
{
    struct wire_netaddr *addrs = calloc(count, sizeof *addrs);
    for (size_t i = 0; i < count; i++) {
        addrs[i] = (struct wire_netaddr){.net = WIRE_NET_IPV4, .port = 8333, .time = time,
                                         .services = NODE_NETWORK | NODE_WITNESS};
        addrs[i].addr[0] = (uint8_t)(20 + i % 100);
        addrs[i].addr[1] = (uint8_t)(i / 100);
        addrs[i].addr[2] = 1;
        addrs[i].addr[3] = 1;
    }
    struct wire_msg msg = {.type = WIRE_ADDR, .u.addr = {.count = count, .addrs = addrs}};
    assert_true(sp_send(s, &msg));
    free(addrs);
}

/* A ping answered means everything sent before it was handled. */
static void sync_with(struct sp *s)
{
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 4242};
    assert_true(sp_send(s, &ping));
    assert_true(sp_expect(s, WIRE_PONG, NULL, WAIT_MS));
}

static void test_addr_flood_beyond_token_bucket_dropped_and_getaddr_once(void **state)
{
    (void)state;
    /* ten addresses from a DNS seed, none dialled (no outbound slots) */
    const char *ips[] = {"127.20.0.1", "127.21.0.1", "127.22.0.1", "127.23.0.1", "127.24.0.1",
                         "127.25.0.1", "127.26.0.1", "127.27.0.1", "127.28.0.1", "127.29.0.1", NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    char server[48];
    snprintf(server, sizeof server, "--dns-server=127.0.0.1:%u", dns.port);
    const char *extra[] = {"--dnsseed=1", "--dnsseed-name=seed.test", server, "--test-local-groups", NULL};
    struct daemon_proc d;
    uint16_t port = start_listening(&d, extra);
    if (!daemon_wait_log(&d, "10 addresses, 10 new", WAIT_MS)) fail_msg("log:\n%s", d.log);
    struct sp a, b, c;
    assert_true(sp_connect(&a, port, magic()));
    assert_true(sp_handshake(&a, true, NULL, WAIT_MS));
    /* an unsolicited flood of 1,000: one token, the rest dropped */
    send_addrs(&a, 1000, (uint32_t)clock_unix_s());
    assert_true(daemon_wait_log(&d, "addr: 1 accepted, 999 dropped", WAIT_MS));

    /* a second inbound peer asks: 23 % of the 11 we know, once */
    assert_true(sp_connect(&b, port, magic()));
    assert_true(sp_handshake(&b, true, NULL, WAIT_MS));
    assert_true(sp_send_empty(&b, WIRE_GETADDR));
    struct wire_msg answer;
    assert_true(sp_expect(&b, WIRE_ADDR, &answer, WAIT_MS));
    assert_int_equal(answer.u.addr.count, 2);
    wire_msg_free(&answer);
    assert_true(sp_send_empty(&b, WIRE_GETADDR));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 77};
    assert_true(sp_send(&b, &ping));
    struct wire_msg next;
    assert_int_equal(sp_recv(&b, &next, WAIT_MS), SP_FRAME);
    assert_int_equal(next.type, WIRE_PONG); /* no second addr before the pong */

    /* a fresh, small addr message is relayed to other peers */
    assert_true(sp_connect(&c, port, magic()));
    assert_true(sp_handshake(&c, true, NULL, WAIT_MS));
    sync_with(&c);
    send_addrs(&c, 1, (uint32_t)clock_unix_s()); /* its one token */
    bool relayed = sp_expect(&a, WIRE_ADDR, NULL, WAIT_MS) || sp_expect(&b, WIRE_ADDR, NULL, 100);
    assert_true(relayed);
    sp_close(&a);
    sp_close(&b);
    sp_close(&c);
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

/* Is a new connection refused at once (the daemon closes it)? */
static bool refused(uint16_t port)
{
    struct sp s;
    if (!sp_connect(&s, port, magic())) return true;
    struct wire_msg v;
    sp_make_version(&v, 1, 0);
    sp_send(&s, &v);
    struct wire_msg got;
    enum sp_result r = sp_recv(&s, &got, 2000);
    if (r == SP_FRAME) wire_msg_free(&got);
    sp_close(&s);
    return r == SP_CLOSED;
}

static void test_bans_survive_restart_and_expire(void **state)
{
    (void)state;
    char dir[] = "/tmp/btcpeerd-it-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char datadir[64], port_arg[32];
    snprintf(datadir, sizeof datadir, "--datadir=%s/data", dir);
    uint16_t port = free_port();
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    const char *args[] = {"--network=regtest", "--bind=127.0.0.1", port_arg, "--dnsseed=0",
                          "--max-outbound=0", "--bantime=4", datadir, "--log-file=-", "--rpcport=0",
                          NULL};
    struct daemon_proc d;
    assert_true(process_start_btcpeerd(&d, args));
    assert_true(daemon_wait_log(&d, "started", WAIT_MS));
    struct sp s;
    assert_true(sp_connect(&s, port, magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    /* the operator's ban (misbehaviour only discourages, since issue 13):
     * --bantime long, and the connected peer it covers is dropped */
    char cookie[96];
    snprintf(cookie, sizeof cookie, "%s/data/regtest/.cookie", dir);
    int status = 0;
    char *reply = rpc_client_post(rpc_client_port(&d, WAIT_MS), cookie,
                                  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"setban\","
                                  "\"params\":[\"127.0.0.1\",\"add\"]}",
                                  &status, WAIT_MS);
    assert_non_null(reply);
    assert_int_equal(status, 200);
    free(reply);
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    assert_true(daemon_wait_log(&d, "banned 127.0.0.1/32", WAIT_MS));
    assert_true(refused(port));
    assert_true(daemon_wait_log(&d, "reason=banned", WAIT_MS));
    stop_ok(&d);
    daemon_cleanup(&d);

    /* restarted: still banned, until the stored expiry */
    assert_true(process_start_btcpeerd(&d, args));
    assert_true(daemon_wait_log(&d, "loaded 1 bans from banlist.dat", WAIT_MS));
    assert_true(refused(port));
    uint64_t deadline = clock_mono_ms() + 15000;
    bool accepted = false;
    while (!accepted && clock_mono_ms() < deadline) accepted = !refused(port);
    assert_true(accepted);
    stop_ok(&d);
    daemon_cleanup(&d);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_peers_dat_survives_restart_and_corruption_is_moved_aside(void **state)
{
    (void)state;
    const char *ips[] = {"127.16.0.1", "127.17.0.1", NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    char dir[] = "/tmp/btcpeerd-it-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char datadir[64], server[48], path[96];
    snprintf(datadir, sizeof datadir, "--datadir=%s/data", dir);
    snprintf(server, sizeof server, "--dns-server=127.0.0.1:%u", dns.port);
    snprintf(path, sizeof path, "%s/data/regtest/peers.dat", dir);
    const char *args[] = {"--network=regtest", "--listen=0", "--dnsseed-name=seed.test", server,
                          datadir, "--log-file=-", NULL};
    struct daemon_proc d;
    assert_true(process_start_btcpeerd(&d, args));
    assert_true(daemon_wait_log(&d, "2 new", WAIT_MS));
    stop_ok(&d);
    daemon_cleanup(&d);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    assert_true(process_start_btcpeerd(&d, args));
    assert_true(daemon_wait_log(&d, "loaded 2 addresses", WAIT_MS));
    stop_ok(&d);
    daemon_cleanup(&d);

    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc('X', f);
    fclose(f);
    assert_true(process_start_btcpeerd(&d, args));
    assert_true(daemon_wait_log(&d, "moved aside to peers.dat.bad", WAIT_MS));
    stop_ok(&d);
    daemon_cleanup(&d);
    char bad[112];
    snprintf(bad, sizeof bad, "%s.bad", path);
    assert_int_equal(stat(bad, &st), 0);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    dns_server_stop(&dns);
}

static void test_inbound_eviction_and_group_cap(void **state)
{
    (void)state;
    struct daemon_proc d;
    /* 30 connections - 8 full-relay - 2 block-relay-only slots = 20
     * inbound; no group cap */
    const char *extra[] = {"--maxconnections=30", "--max-outbound=8", "--max-inbound-per-group=0",
                           "--test-local-groups", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp peers[21];
    char ip[32];
    for (int i = 0; i < 20; i++) {
        snprintf(ip, sizeof ip, "127.31.0.%d", i + 1);
        assert_true(sp_connect_from(&peers[i], ip, port, magic()));
        assert_true(sp_handshake(&peers[i], true, NULL, WAIT_MS));
    }
    /* full: a newcomer from another group makes one of the crowd leave */
    assert_true(sp_connect_from(&peers[20], "127.32.0.1", port, magic()));
    assert_true(sp_handshake(&peers[20], true, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&d, "reason=evicted", WAIT_MS));
    assert_non_null(strstr(strstr(d.log, "reason=evicted") - 200, "addr=127.31.0."));
    for (int i = 0; i < 21; i++) sp_close(&peers[i]);
    stop_ok(&d);
    daemon_cleanup(&d);

    /* a cap of two per group: the third from 127.33/16 is refused */
    const char *capped[] = {"--max-inbound-per-group=2", "--test-local-groups", NULL};
    port = start_listening(&d, capped);
    struct sp a, b, c;
    assert_true(sp_connect_from(&a, "127.33.0.1", port, magic()));
    assert_true(sp_connect_from(&b, "127.33.0.2", port, magic()));
    assert_true(sp_handshake(&a, true, NULL, WAIT_MS));
    assert_true(sp_handshake(&b, true, NULL, WAIT_MS));
    assert_true(sp_connect_from(&c, "127.33.0.3", port, magic()));
    assert_true(sp_wait_closed(&c, WAIT_MS));
    assert_true(daemon_wait_log(&d, "reason=inbound-group-full", WAIT_MS));
    sp_close(&a);
    sp_close(&b);
    sp_close(&c);
    stop_ok(&d);
    daemon_cleanup(&d);
}

/* Where needle first appears in the log (fails the test if nowhere). */
static size_t log_pos(const struct daemon_proc *d, const char *needle)
{
    const char *at = strstr(d->log, needle);
    if (!at) fail_msg("no '%s' in:\n%s", needle, d->log);
    return (size_t)(at - d->log);
}

/* The first minute says what it does: each seed asked, each failure named
 * as it comes (NXDOMAIN at once, a silent server after its timeout), and,
 * once no seed is left to answer, what the daemon waits for next. */
static void test_seed_failures_and_waiting_are_logged(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", none), 0);
    char server[48];
    snprintf(server, sizeof server, "--dns-server=127.0.0.1:%u", dns.port);
    const char *args[] = {"--network=regtest", "--listen=0", "--log-level=info", server,
                          "--dnsseed-name=nx.test", "--dnsseed-name=silent.test",
                          "--test-dns-timeout=0.3", NULL};
    struct daemon_proc d;
    assert_true(daemon_start(&d, args));
    if (!daemon_wait_log(&d, "no peers yet: fixed seeds in ", WAIT_MS)) fail_msg("%s", d.log);
    size_t asked_nx = log_pos(&d, "DNS seed nx.test: asking");
    size_t asked_silent = log_pos(&d, "DNS seed silent.test: asking");
    size_t nx = log_pos(&d, "DNS seed nx.test: failed error=nxdomain");
    size_t timeout = log_pos(&d, "DNS seed silent.test: failed error=timeout");
    size_t waiting = log_pos(&d, "no peers yet: fixed seeds in ");
    assert_true(asked_nx < nx && asked_silent < timeout);
    assert_true(nx < timeout && timeout < waiting);
    /* the countdown is the real one: at most the 60 s fixed-seed delay */
    unsigned secs = 0;
    assert_int_equal(sscanf(d.log + waiting, "no peers yet: fixed seeds in %u s", &secs), 1);
    assert_true(secs >= 1 && secs <= 60);
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

/* A seed that answers: its count, then the waiting line names the known
 * addresses being tried instead of the fixed seeds. */
static void test_seed_answer_then_waiting_for_a_peer(void **state)
{
    (void)state;
    const char *ips[] = {"127.18.0.1", NULL}; /* nobody listens there */
    struct dns_server dns;
    assert_int_equal(dns_server_start(&dns, "seed.test", ips), 0);
    struct daemon_proc d;
    start_with_seed(&d, &dns, NULL);
    if (!daemon_wait_log(&d, "no peers yet: trying 1 known address", WAIT_MS)) fail_msg("%s", d.log);
    assert_true(log_pos(&d, "DNS seed seed.test: asking") <
                log_pos(&d, "DNS seed seed.test: 1 addresses, 1 new"));
    assert_true(log_pos(&d, "DNS seed seed.test: 1 addresses, 1 new") <
                log_pos(&d, "no peers yet: trying 1 known address"));
    assert_null(strstr(d.log, "fixed seeds in"));
    stop_ok(&d);
    daemon_cleanup(&d);
    dns_server_stop(&dns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_seeds_feed_outbound_one_per_group),
        cmocka_unit_test(test_seed_failures_and_waiting_are_logged),
        cmocka_unit_test(test_seed_answer_then_waiting_for_a_peer),
        cmocka_unit_test(test_outbound_without_services_is_dropped),
        cmocka_unit_test(test_feeler_moves_a_new_address_to_tried),
        cmocka_unit_test(test_addr_flood_beyond_token_bucket_dropped_and_getaddr_once),
        cmocka_unit_test(test_bans_survive_restart_and_expire),
        cmocka_unit_test(test_peers_dat_survives_restart_and_corruption_is_moved_aside),
        cmocka_unit_test(test_inbound_eviction_and_group_cap),
    };
    return test_run_group(tests);
}
