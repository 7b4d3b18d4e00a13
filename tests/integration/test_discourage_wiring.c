/* Issue 13 item 3, the node's discouragement wiring end to end on
 * loopback. By Core's rule a local peer (127.0.0.0/8) is never
 * discouraged, so these daemons run with --test-discourage-loopback,
 * which makes 127/8 count as remote for that rule only (test_misbehaviour
 * keeps checking the rule itself, without the option). Scripted peers
 * come from distinct 127.x addresses; an offence is an addr of 1,001
 * entries. What is checked, by log events and sockets, never by time:
 *  - the offender is disconnected (reason=misbehaving) and its address
 *    discouraged, never banned; every other connection from that address
 *    goes too (reason=discouraged), a neighbour stays;
 *  - it may come back only while two inbound slots are free;
 *  - with inbound full it is the one evicted for a newcomer;
 *  - it is never dialled, even when its address is in the address
 *    manager, and gossip of it is not kept; a --whitelist peer that
 *    misbehaves is not discouraged (it stays, and is dialled). */
#include "harness.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

static void fail_with_log(const struct daemon_proc *d, const char *what)
{
    fprintf(stderr, "---- daemon log ----\n%s---- end ----\n", d->log ? d->log : "");
    fail_msg("%s", what);
}

static bool line_has(const char *line, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(line + i, needle, n) == 0) return true;
    return false;
}

/* Log lines holding both a and b (b may be NULL). */
static size_t count_lines(const struct daemon_proc *d, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *p = d->log; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (line_has(p, len, a) && (!b || line_has(p, len, b))) n++;
        p = end ? end + 1 : p + len;
    }
    return n;
}

static void expect_lines(struct daemon_proc *d, const char *a, const char *b, size_t n)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (count_lines(d, a, b) < n && clock_mono_ms() < deadline)
        daemon_pump(d, 20);
    if (count_lines(d, a, b) < n) {
        char what[300];
        snprintf(what, sizeof what, "lines with '%s' and '%s': %zu, wanted %zu", a, b ? b : "",
                 count_lines(d, a, b), n);
        fail_with_log(d, what);
    }
}

/* Where in the log the first line holding a and b starts (fails if none). */
static size_t line_at(const struct daemon_proc *d, const char *a, const char *b)
{
    for (const char *p = d->log; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (line_has(p, len, a) && (!b || line_has(p, len, b))) return (size_t)(p - d->log);
        p = end ? end + 1 : p + len;
    }
    fail_with_log(d, a);
    return 0;
}

static void peer_up(struct sp *s, const char *ip, uint16_t port)
{
    if (!sp_connect_from(s, ip, port, magic())) fail_msg("cannot connect from %s", ip);
    if (!sp_handshake(s, true, NULL, WAIT_MS)) fail_msg("no handshake from %s", ip);
}

/* An addr of 1,001 (zeroed) entries: Core's offence, more than 1,000. */
static void send_oversize_addr(struct sp *s)
{
    size_t len = 3 + 1001 * 30;
    uint8_t *p = calloc(1, len);
    assert_non_null(p);
    p[0] = 0xfd, p[1] = 0xe9, p[2] = 0x03;
    assert_true(sp_send_frame(s, "addr", p, len));
    free(p);
}

/* A peer from ip commits the offence and is discouraged for it. */
static void misbehave_from(struct daemon_proc *d, const char *ip, uint16_t port)
{
    char disc[80];
    snprintf(disc, sizeof disc, "disconnected and discouraged addr=%s", ip);
    size_t before = count_lines(d, disc, NULL);
    struct sp s;
    peer_up(&s, ip, port);
    send_oversize_addr(&s);
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    expect_lines(d, disc, NULL, before + 1);
}

static void start(struct rpc_daemon *r, const char *const *extra, uint16_t *port)
{
    rpc_daemon_start(r, extra);
    *port = daemon_port(&r->d, WAIT_MS);
    assert_true(*port != 0);
}

static size_t listbanned_count(struct rpc_daemon *r)
{
    json_t *reply = rpc_call(r, "listbanned", json_array());
    size_t n = json_array_size(rpc_result(reply));
    json_decref(reply);
    return n;
}

/* ---- (a), (b): the offence ---- */

static void test_offender_discouraged_and_every_connection_from_it_dropped(void **state)
{
    (void)state;
    struct rpc_daemon r;
    uint16_t port;
    const char *extra[] = {"--test-discourage-loopback", "--max-outbound=0", "--dnsseed=0", NULL};
    start(&r, extra, &port);
    struct daemon_proc *d = &r.d;
    /* the offender's host has a second connection; a neighbour one */
    struct sp same, neighbour;
    peer_up(&same, "127.0.0.5", port);
    peer_up(&neighbour, "127.0.0.6", port);
    misbehave_from(d, "127.0.0.5", port);
    expect_lines(d, "disconnected addr=127.0.0.5:", "reason=misbehaving", 1);
    /* the other connection from 127.0.0.5 goes, as discouraged */
    assert_true(sp_wait_closed(&same, WAIT_MS));
    sp_close(&same);
    expect_lines(d, "disconnected addr=127.0.0.5:", "reason=discouraged", 1);
    /* in that order: offence, discouragement, the rest of the host */
    size_t offence = line_at(d, "disconnected addr=127.0.0.5:", "reason=misbehaving");
    size_t discouraged = line_at(d, "disconnected and discouraged addr=127.0.0.5", NULL);
    size_t rest = line_at(d, "disconnected addr=127.0.0.5:", "reason=discouraged");
    assert_true(offence < discouraged);
    assert_true(discouraged < rest);
    /* the neighbour is untouched */
    assert_true(sp_ping_pong(&neighbour, 11, WAIT_MS));
    assert_int_equal(count_lines(d, "disconnected addr=127.0.0.6:", NULL), 0);
    assert_int_equal(count_lines(d, "not discouraged", NULL), 0);
    /* never a ban */
    assert_int_equal(listbanned_count(&r), 0);
    sp_close(&neighbour);
    assert_int_equal(daemon_stop(d, SIGTERM, WAIT_MS), 0);
    assert_non_null(strstr(d->log, "saved banlist.dat bans=0"));
    daemon_cleanup(d);
}

/* ---- (c): back only into two free slots ---- */

static void test_discouraged_comes_back_only_while_two_slots_are_free(void **state)
{
    (void)state;
    struct rpc_daemon r;
    uint16_t port;
    /* four inbound slots: no outbound, no manual peers */
    const char *extra[] = {"--test-discourage-loopback", "--max-outbound=0", "--dnsseed=0",
                           "--maxconnections=4", NULL};
    start(&r, extra, &port);
    struct daemon_proc *d = &r.d;
    misbehave_from(d, "127.0.0.5", port);
    struct sp f1, f2, f3, back;
    peer_up(&f1, "127.0.1.1", port);
    peer_up(&f2, "127.0.1.2", port);
    /* two inbound, two free: taken, and served */
    peer_up(&back, "127.0.0.5", port);
    assert_true(sp_ping_pong(&back, 1, WAIT_MS));
    sp_close(&back);
    expect_lines(d, "disconnected addr=127.0.0.5:", "direction=inbound", 2);
    peer_up(&f3, "127.0.1.3", port);
    /* three inbound, one free: refused at accept */
    assert_true(sp_connect_from(&back, "127.0.0.5", port, magic()));
    assert_true(sp_wait_closed(&back, WAIT_MS));
    sp_close(&back);
    expect_lines(d, "refused inbound connection addr=127.0.0.5:", "reason=discouraged", 1);
    /* the same room for anyone else: the refusal was the discouragement */
    peer_up(&back, "127.0.0.6", port);
    assert_true(sp_ping_pong(&back, 2, WAIT_MS));
    assert_int_equal(count_lines(d, "refused inbound connection", NULL), 1);
    sp_close(&back);
    sp_close(&f1);
    sp_close(&f2);
    sp_close(&f3);
    rpc_daemon_stop(&r);
}

/* ---- (d): first evicted ---- */

/* Answer the daemon's first ping, so eviction knows this peer's ping. */
static void answer_ping(struct sp *s)
{
    struct wire_msg ping;
    assert_true(sp_expect(s, WIRE_PING, &ping, WAIT_MS));
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping.nonce = ping.u.ping.nonce};
    assert_true(sp_send(s, &pong));
}

/* Eviction (eviction.c, after Core) protects one peer per network group
 * (4 groups, chosen by a keyed hash), the 8 best pings and the
 * longest-connected half of the rest, and only then prefers the
 * discouraged. Set up so that no choice of those protections can cover
 * every discouraged peer: all peers in one group (127.0/16 under
 * --test-local-groups, which also lets loopback peers be evicted at all),
 * so one peer is protected by group; two discouraged peers (127.0.0.5 and
 * 127.0.0.6), so at least one is not; 11 others that answered a ping, so
 * the 8 best pings are theirs; the discouraged among the three youngest,
 * so with 5 left the age rule (2 oldest) cannot reach them. The youngest
 * of all is a 12th ordinary peer that answered no ping: the one to go if
 * discouragement were ignored (unless it drew the group protection). 14
 * inbound slots, full; a newcomer evicts a discouraged peer, no one else. */
static void test_discouraged_is_evicted_first(void **state)
{
    (void)state;
    enum { SLOTS = 14, FILLERS = SLOTS - 2 };
    struct rpc_daemon r;
    uint16_t port;
    const char *extra[] = {"--test-discourage-loopback",
                           "--test-local-groups",
                           "--max-outbound=0",
                           "--dnsseed=0",
                           "--maxconnections=14",
                           "--max-inbound-per-group=0",
                           "--ping-interval=0.05",
                           "--ping-timeout=600",
                           NULL};
    start(&r, extra, &port);
    struct daemon_proc *d = &r.d;
    misbehave_from(d, "127.0.0.5", port);
    misbehave_from(d, "127.0.0.6", port);
    struct sp fill[FILLERS], d5, d6, newcomer;
    char ip[32];
    for (int i = 0; i < FILLERS - 1; i++) {
        snprintf(ip, sizeof ip, "127.0.1.%d", i + 1);
        peer_up(&fill[i], ip, port);
        answer_ping(&fill[i]);
    }
    /* 11 inbound, 3 free, then 12 and 2 free: both taken */
    peer_up(&d5, "127.0.0.5", port);
    peer_up(&d6, "127.0.0.6", port);
    snprintf(ip, sizeof ip, "127.0.1.%d", FILLERS);
    peer_up(&fill[FILLERS - 1], ip, port); /* the youngest, its ping unknown: next in line */
    assert_int_equal(count_lines(d, "refused inbound connection", NULL), 0);
    /* full: the newcomer takes a discouraged peer's slot */
    peer_up(&newcomer, "127.0.2.1", port);
    assert_true(sp_ping_pong(&newcomer, 3, WAIT_MS));
    expect_lines(d, "reason=evicted", NULL, 1);
    assert_int_equal(count_lines(d, "reason=evicted", NULL), 1);
    size_t from5 = count_lines(d, "disconnected addr=127.0.0.5:", "reason=evicted");
    size_t from6 = count_lines(d, "disconnected addr=127.0.0.6:", "reason=evicted");
    if (from5 + from6 != 1) fail_with_log(d, "the evicted peer was not a discouraged one");
    assert_true(sp_wait_closed(from5 ? &d5 : &d6, WAIT_MS));
    /* everyone else is still served */
    assert_true(sp_ping_pong(from5 ? &d6 : &d5, 4, WAIT_MS));
    for (int i = 0; i < FILLERS; i++)
        assert_true(sp_ping_pong(&fill[i], 100 + (uint64_t)i, WAIT_MS));
    assert_int_equal(count_lines(d, "refused inbound connection", NULL), 0);
    for (int i = 0; i < FILLERS; i++)
        sp_close(&fill[i]);
    sp_close(&d5);
    sp_close(&d6);
    sp_close(&newcomer);
    rpc_daemon_stop(&r);
}

/* ---- (e): never dialled; whitelist ---- */

static int listen_on(const char *ip, uint16_t *port)
{
    int fd = sp_listen_on(ip, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static size_t pending_dials(int lfd)
{
    size_t n = 0;
    for (;;) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 0) != 1) return n;
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) return n;
        close(fd);
        n++;
    }
}

/* Does getnodeaddresses list ip? */
static bool known_address(struct rpc_daemon *r, const char *ip)
{
    json_t *reply = rpc_call(r, "getnodeaddresses", json_pack("[i]", 0));
    json_t *list = rpc_result(reply);
    assert_true(json_is_array(list));
    bool found = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *a = json_string_value(json_object_get(json_array_get(list, i), "address"));
        found |= a && !strcmp(a, ip);
    }
    json_decref(reply);
    return found;
}

static void add_peer_address(struct rpc_daemon *r, const char *ip, uint16_t port)
{
    json_t *reply = rpc_call(r, "addpeeraddress", json_pack("[s,i]", ip, (int)port));
    assert_true(json_is_true(json_object_get(rpc_result(reply), "success")));
    json_decref(reply);
}

static void test_discouraged_never_dialled_whitelisted_not_discouraged(void **state)
{
    (void)state;
    uint16_t p5, p8;
    int l5 = listen_on("127.0.0.5", &p5), l8 = listen_on("127.0.0.8", &p8);
    struct rpc_daemon r;
    uint16_t port;
    const char *extra[] = {"--test-discourage-loopback", "--max-outbound=1", "--dnsseed=0",
                           "--whitelist=127.0.0.8/32", NULL};
    start(&r, extra, &port);
    struct daemon_proc *d = &r.d;
    misbehave_from(d, "127.0.0.5", port);
    /* the whitelisted host commits the same offence: kept, not discouraged */
    struct sp w;
    peer_up(&w, "127.0.0.8", port);
    send_oversize_addr(&w);
    assert_true(sp_ping_pong(&w, 8, WAIT_MS));
    expect_lines(d, "not_punished=noban", NULL, 1);
    assert_int_equal(count_lines(d, "discouraged addr=127.0.0.8", NULL), 0);
    /* gossip naming the discouraged host is not kept */
    struct wire_netaddr a = {.net = WIRE_NET_IPV4,
                             .port = p5,
                             .time = (uint32_t)clock_unix_s(),
                             .services = NODE_NETWORK | NODE_WITNESS};
    a.addr[0] = 127, a.addr[3] = 5;
    struct wire_msg m = {.type = WIRE_ADDRV2, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(&w, &m));
    expect_lines(d, "addr: 1 accepted", NULL, 1);
    assert_false(known_address(&r, "127.0.0.5"));
    /* put there by RPC, it is in the table but never dialled: six rounds of
     * the outbound loop find nothing to dial */
    add_peer_address(&r, "127.0.0.5", p5);
    assert_true(known_address(&r, "127.0.0.5"));
    size_t rounds = count_lines(d, "no more candidates now", NULL);
    expect_lines(d, "no more candidates now", NULL, rounds + 6);
    assert_int_equal(pending_dials(l5), 0);
    /* the whitelisted host is dialled: the loop does dial what it may */
    add_peer_address(&r, "127.0.0.8", p8);
    struct sp out;
    if (!sp_accept(&out, l8, magic(), WAIT_MS)) fail_with_log(d, "127.0.0.8 was never dialled");
    assert_true(sp_handshake(&out, false, NULL, WAIT_MS));
    assert_int_equal(pending_dials(l5), 0);
    assert_int_equal(count_lines(d, "addr=127.0.0.5:", "direction=outbound"), 0);
    assert_int_equal(listbanned_count(&r), 0);
    sp_close(&out);
    sp_close(&w);
    close(l5);
    close(l8);
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offender_discouraged_and_every_connection_from_it_dropped),
        cmocka_unit_test(test_discouraged_comes_back_only_while_two_slots_are_free),
        cmocka_unit_test(test_discouraged_is_evicted_first),
        cmocka_unit_test(test_discouraged_never_dialled_whitelisted_not_discouraged),
    };
    return test_run_group(tests);
}
