/* Issue 13, items 3, 4 and 7, against a real daemon on loopback.
 *
 * Item 3: misbehaviour discourages, it never bans. How a loopback test
 * can see that: by Core's rule (MaybeDiscourageAndDisconnect), a local
 * peer (127.0.0.0/8, ::1) is disconnected but never discouraged, and every
 * address a test may use is local. Here that rule is tested as it ships
 * (without --test-discourage-loopback): the daemon is watched through
 * what it must and must not do on loopback: the
 * misbehaving peer is disconnected (reason=misbehaving), logged as "not
 * discouraged ... why=local", counted in btcpeerd_misbehaving_peers_total
 * {outcome="local"}, absent from listbanned and from banlist.dat, and
 * welcome again at once; a --whitelist (noban) peer and a --connect
 * (manual) peer are not even disconnected; setban takes thousands of
 * entries (the probe's BANMAN_MAX and IPv6 /64 cases) with misbehaving
 * peers all around, and lists exactly those. The discouragement itself
 * (the filter, its key, the two-free-slots rule, eviction first) is pure
 * code, tested in tests/unit/test_discourage.c, and its wiring in the node
 * (accept, eviction, dialling, gossip) in test_discourage_wiring.c, where
 * --test-discourage-loopback lets 127/8 be discouraged.
 *
 * Item 4: one gossiped address that refuses us is dialled once, then held
 * back for --redial-backoff, counted at a listener the test owns across
 * several of the daemon's selection rounds (its "held back" log lines,
 * one per round); with a short back-off the second dial comes.
 *
 * Item 7: a BIP324 peer sends 20 unknown short ids and 20 empty packets,
 * then a ping: answered, no penalty, no disconnect. */
#include "harness.h"
#include "node/banman.h"
#include "rpc_client.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v2.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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

static void expect_log(struct daemon_proc *d, const char *needle)
{
    char what[200];
    snprintf(what, sizeof what, "no '%s' in the log", needle);
    if (!daemon_wait_log(d, needle, WAIT_MS)) fail_with_log(d, what);
}

static void expect_count(struct daemon_proc *d, const char *needle, size_t n)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(d, needle) < n && clock_mono_ms() < deadline)
        daemon_pump(d, 20);
    if (daemon_log_count(d, needle) < n) {
        char what[200];
        snprintf(what, sizeof what, "'%s' %zu times, wanted %zu", needle,
                 daemon_log_count(d, needle), n);
        fail_with_log(d, what);
    }
}

static void stop(struct daemon_proc *d)
{
    assert_int_equal(daemon_stop(d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(d);
}

/* ---- RPC ---- */

static json_t *rpc_within(struct daemon_proc *d, const char *body, unsigned timeout_ms)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s/data/regtest/.cookie", d->datadir);
    uint16_t port = rpc_client_port(d, WAIT_MS);
    assert_true(port != 0);
    int status = 0;
    char *reply = rpc_client_post(port, cookie, body, &status, timeout_ms);
    if (!reply) fail_with_log(d, "no RPC reply");
    assert_int_equal(status, 200);
    json_error_t err;
    json_t *j = json_loads(reply, 0, &err);
    if (!j) fail_msg("not JSON: %s", reply);
    free(reply);
    return j;
}

static json_t *rpc(struct daemon_proc *d, const char *body)
{
    return rpc_within(d, body, WAIT_MS);
}

/* A big list takes a while under the sanitizers: a minute's deadline. */
static size_t listbanned_count(struct daemon_proc *d, const char *must_not_contain)
{
    json_t *j = rpc_within(
        d, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"listbanned\",\"params\":[]}", 6 * WAIT_MS);
    json_t *res = json_object_get(j, "result");
    assert_true(json_is_array(res));
    size_t n = json_array_size(res);
    for (size_t i = 0; must_not_contain && i < n; i++) {
        const char *addr = json_string_value(json_object_get(json_array_get(res, i), "address"));
        assert_non_null(addr);
        if (strstr(addr, must_not_contain)) fail_msg("%s is banned", addr);
    }
    json_decref(j);
    return n;
}

/* The metrics page: the value of one sample ("name{labels} "), or -1. */
static long metric(struct daemon_proc *d, const char *sample)
{
    static const char needle[] = "metrics served at http://127.0.0.1:";
    if (!daemon_wait_log(d, needle, WAIT_MS)) return -1;
    uint16_t port = (uint16_t)atoi(strstr(d->log, needle) + sizeof needle - 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
    static char page[1 << 20];
    size_t len = 0;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (clock_mono_ms() < deadline && len < sizeof page - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t n = recv(fd, page + len, sizeof page - 1 - len, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    page[len] = '\0';
    /* at a line's start: "# HELP name ..." must not match a bare name */
    char line[160];
    snprintf(line, sizeof line, "\n%s", sample);
    const char *at = strstr(page, line);
    return at ? strtol(at + strlen(line), NULL, 10) : -1;
}

/* ---- scripted misbehaviour ---- */

/* An addr message of 1,001 real (zeroed) entries: Core's offence (more
 * than 1,000), decoded far enough to know it is really that big. */
static void send_oversize_addr(struct sp *s)
{
    size_t len = 3 + 1001 * 30;
    uint8_t *p = calloc(1, len);
    assert_non_null(p);
    p[0] = 0xfd, p[1] = 0xe9, p[2] = 0x03;
    assert_true(sp_send_frame(s, "addr", p, len));
    free(p);
}

/* ---- item 3 ---- */

/* The probe's cases 1 and 2: a misbehaving 127.0.0.1 peer is disconnected,
 * neither banned nor discouraged, nothing reaches listbanned or
 * banlist.dat, and it may come straight back. */
static void test_misbehaving_loopback_peer_is_not_banned(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--metrics-bind=127.0.0.1:0", NULL};
    uint16_t port = daemon_start_listening(&d, extra);
    assert_true(port != 0);
    for (int round = 0; round < 3; round++) {
        struct sp s;
        assert_true(sp_connect(&s, port, magic()));
        assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
        send_oversize_addr(&s);
        assert_true(sp_wait_closed(&s, WAIT_MS));
        sp_close(&s);
        expect_count(&d, "reason=misbehaving", (size_t)round + 1);
        expect_count(&d, "misbehaving peer disconnected, not discouraged addr=127.0.0.1",
                     (size_t)round + 1);
    }
    assert_non_null(strstr(d.log, "offence=addr-too-many-items"));
    assert_non_null(strstr(d.log, "why=local"));
    assert_null(strstr(d.log, "disconnected and discouraged"));
    assert_null(strstr(d.log, "banned 127.0.0.1"));
    assert_int_equal(listbanned_count(&d, NULL), 0);
    assert_int_equal(metric(&d, "btcpeerd_misbehaving_peers_total{outcome=\"local\"} "), 3);
    assert_int_equal(metric(&d, "btcpeerd_misbehaving_peers_total{outcome=\"discouraged\"} "), 0);
    assert_int_equal(metric(&d, "btcpeerd_peer_disconnects_total{reason=\"misbehaving\"} "), 3);
    assert_int_equal(metric(&d, "btcpeerd_bans "), 0);
    /* welcome again at once: not banned, not discouraged */
    struct sp s;
    assert_true(sp_connect(&s, port, magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    assert_true(sp_ping_pong(&s, 7, WAIT_MS));
    sp_close(&s);
    assert_null(strstr(d.log, "reason=banned"));
    assert_null(strstr(d.log, "reason=discouraged"));
    /* and banlist.dat, written at shutdown, holds nothing */
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    assert_non_null(strstr(d.log, "saved banlist.dat bans=0"));
    daemon_cleanup(&d);
}

/* --whitelist is Core's noban: the offence is logged, the peer stays. */
static void test_whitelisted_peer_is_not_disconnected(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--whitelist=127.0.0.3/32", NULL};
    uint16_t port = daemon_start_listening(&d, extra);
    assert_true(port != 0);
    struct sp s;
    assert_true(sp_connect_from(&s, "127.0.0.3", port, magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    send_oversize_addr(&s);
    send_oversize_addr(&s);
    assert_true(sp_ping_pong(&s, 3, WAIT_MS));
    expect_count(&d, "offence=addr-too-many-items", 2);
    assert_non_null(strstr(d.log, "not_punished=noban"));
    assert_null(strstr(d.log, "reason=misbehaving"));
    sp_close(&s);
    /* an unlisted neighbour doing the same is disconnected */
    assert_true(sp_connect_from(&s, "127.0.0.4", port, magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    send_oversize_addr(&s);
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    expect_log(&d, "reason=misbehaving");
    stop(&d);
}

/* A --connect peer: Core's "not punishing manually connected peer". */
static void test_manual_peer_is_not_disconnected(void **state)
{
    (void)state;
    uint16_t lport;
    int lfd = sp_listen(&lport);
    assert_true(lfd >= 0);
    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", lport);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", connect, "--log-level=debug", "--v2transport=0",
                          NULL};
    assert_true(daemon_start(&d, args));
    struct sp s;
    assert_true(sp_accept(&s, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    send_oversize_addr(&s);
    assert_true(sp_ping_pong(&s, 5, WAIT_MS));
    expect_log(&d, "not_punished=manual");
    assert_null(strstr(d.log, "reason=misbehaving"));
    sp_close(&s);
    close(lfd);
    stop(&d);
}

/* setban at scale: misbehaving peers take no room in the operator's list.
 * 20 peers misbehave; then BANMAN_MAX (100,000) setbans of one IPv6 /64's
 * addresses (the probe's cases) all land, the next is refused as full,
 * and listbanned shows exactly them. */
static void test_setban_at_scale_with_misbehaviour_around(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = daemon_start_listening(&d, NULL);
    assert_true(port != 0);
    for (int i = 0; i < 20; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.13.0.%d", i + 1);
        struct sp s;
        assert_true(sp_connect_from(&s, ip, port, magic()));
        assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
        send_oversize_addr(&s);
        assert_true(sp_wait_closed(&s, WAIT_MS));
        sp_close(&s);
    }
    expect_count(&d, "reason=misbehaving", 20);
    assert_int_equal(listbanned_count(&d, NULL), 0);
    const int per_batch = 2000, batches = (int)BANMAN_MAX / per_batch;
    size_t cap = (size_t)per_batch * 120 + 16;
    char *body = malloc(cap);
    assert_non_null(body);
    for (int b = 0; b < batches; b++) {
        size_t len = 0;
        body[len++] = '[';
        for (int i = 0; i < per_batch; i++) {
            int k = b * per_batch + i + 1;
            len += (size_t)snprintf(body + len, cap - len,
                                    "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"setban\","
                                    "\"params\":[\"2001:db8:1:2:0:0:%x:%x\",\"add\",86400]}",
                                    i ? "," : "", k, k >> 16, k & 0xffff);
        }
        body[len++] = ']';
        body[len] = '\0';
        json_t *j = rpc(&d, body);
        assert_true(json_is_array(j));
        assert_int_equal(json_array_size(j), (size_t)per_batch);
        for (size_t i = 0; i < json_array_size(j); i++) {
            json_t *e = json_object_get(json_array_get(j, i), "error");
            if (e && !json_is_null(e)) fail_msg("setban failed: %s", json_dumps(e, 0));
        }
        json_decref(j);
    }
    free(body);
    json_t *j = rpc(&d, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"setban\","
                        "\"params\":[\"2001:db8:1:3::1\",\"add\"]}");
    json_t *e = json_object_get(j, "error");
    assert_true(e && !json_is_null(e)); /* the operator's own cap, reached by the operator */
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "full"));
    json_decref(j);
    assert_int_equal(listbanned_count(&d, "127."), BANMAN_MAX);
    stop(&d);
}

/* ---- item 4 ---- */

/* Accept (and at once close) every connection waiting at the listener;
 * how many there were. */
static size_t drain_listener(int lfd)
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

static size_t wait_dial(int lfd)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    size_t n = 0;
    while (!n && clock_mono_ms() < deadline) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 50) == 1) n = drain_listener(lfd);
    }
    return n;
}

/* A daemon with one outbound slot and an empty address manager; an
 * inbound peer gossips one addrv2 naming the test's listener, which
 * closes every connection at once (a dead address, as far as the daemon
 * can tell: never a handshake). */
static int gossip_dead_address(struct daemon_proc *d, const char *backoff /* or NULL */,
                               struct sp *gossiper)
{
    uint16_t dead_port;
    int lfd = sp_listen(&dead_port);
    assert_true(lfd >= 0);
    const char *extra[] = {"--max-outbound=1", "--dnsseed=0", "--metrics-bind=127.0.0.1:0", backoff,
                           NULL};
    uint16_t port = daemon_start_listening(d, extra);
    assert_true(port != 0);
    assert_true(sp_connect(gossiper, port, magic()));
    assert_true(sp_handshake(gossiper, true, NULL, WAIT_MS));
    struct wire_netaddr a = {.net = WIRE_NET_IPV4,
                             .port = dead_port,
                             .time = (uint32_t)clock_unix_s(),
                             .services = NODE_NETWORK | NODE_WITNESS};
    a.addr[0] = 127, a.addr[3] = 1;
    struct wire_msg m = {.type = WIRE_ADDRV2, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(gossiper, &m));
    expect_log(d, "addr: 1 accepted");
    return lfd;
}

static void test_gossiped_dead_address_is_not_redialled(void **state)
{
    (void)state;
    /* The default back-off (2 minutes): one dial, then six selection
     * rounds (each logs the hold once) without another. */
    struct daemon_proc d;
    struct sp gossiper;
    int lfd = gossip_dead_address(&d, NULL, &gossiper);
    assert_int_equal(wait_dial(lfd), 1);
    size_t held = daemon_log_count(&d, "held back: redial-backoff");
    expect_count(&d, "held back: redial-backoff", held + 6);
    assert_int_equal(drain_listener(lfd), 0);
    assert_true(metric(&d, "btcpeerd_outbound_redial_held_total ") >= 6);
    sp_close(&gossiper);
    close(lfd);
    stop(&d);

    /* A short back-off: held back, then dialled again once it has passed. */
    lfd = gossip_dead_address(&d, "--redial-backoff=0.3", &gossiper);
    assert_int_equal(wait_dial(lfd), 1);
    assert_int_equal(wait_dial(lfd), 1);
    sp_close(&gossiper);
    close(lfd);
    stop(&d);
}

/* ---- item 7 ---- */

/* A v2 initiator: key and garbage out, the daemon's key, garbage,
 * terminator and version packet in, until the keys exist. */
static bool v2_handshake(struct sp *s, struct transport_v2 *t, struct buf_writer *out)
{
    buf_writer_reset(out);
    if (transport_v2_init(t, magic(), true, out) != TRANSPORT_OK) return false;
    if (!sp_send_raw(s, out->data, out->len)) return false;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    uint8_t buf[8192];
    while (!transport_v2_established(t) && clock_mono_ms() < deadline) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) != 1) continue;
        ssize_t n = recv(s->fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used;
            struct transport_frame f;
            buf_writer_reset(out);
            enum transport_status st =
                transport_v2_read(t, buf + off, (size_t)n - off, &used, &f, out);
            off += used;
            if (out->len && !sp_send_raw(s, out->data, out->len)) return false;
            if (st == TRANSPORT_FRAME) transport_frame_free(&f);
            if (transport_status_fatal(st)) return false;
        }
    }
    return transport_v2_established(t);
}

static void v2_send(struct sp *s, struct transport_v2 *t, const struct wire_msg *msg)
{
    struct buf_writer payload, out;
    buf_writer_init(&payload);
    buf_writer_init(&out);
    assert_int_equal(wire_encode(msg, &payload), WIRE_OK);
    assert_int_equal(transport_v2_write(t, wire_msg_command(msg), payload.data, payload.len, &out),
                     TRANSPORT_OK);
    assert_true(sp_send_raw(s, out.data, out.len));
    buf_writer_free(&payload);
    buf_writer_free(&out);
}

/* Read until a message of this command arrives (its payload's first 8
 * bytes in *nonce8 if not NULL); false on close, fatal or timeout. */
static bool v2_expect(struct sp *s, struct transport_v2 *t, const char *command, uint64_t *nonce8)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    static uint8_t buf[65536];
    static size_t have, off;
    struct buf_writer out;
    buf_writer_init(&out);
    bool found = false;
    while (!found && clock_mono_ms() < deadline) {
        if (off == have) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
            if (poll(&pfd, 1, 50) != 1) continue;
            ssize_t n = recv(s->fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            have = (size_t)n;
            off = 0;
        }
        size_t used;
        struct transport_frame f;
        enum transport_status st = transport_v2_read(t, buf + off, have - off, &used, &f, &out);
        off += used;
        if (transport_status_fatal(st)) break;
        if (st != TRANSPORT_FRAME) continue;
        if (strcmp(f.command, command) == 0) {
            found = true;
            if (nonce8 && f.len >= 8) {
                *nonce8 = 0;
                for (int i = 7; i >= 0; i--)
                    *nonce8 = *nonce8 << 8 | f.payload[i];
            }
        }
        transport_frame_free(&f);
    }
    buf_writer_free(&out);
    return found;
}

static void test_v2_unknown_short_ids_and_empty_packets_are_ignored(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = daemon_start_listening(&d, NULL);
    assert_true(port != 0);
    struct sp s;
    assert_true(sp_connect(&s, port, magic()));
    struct transport_v2 t;
    struct buf_writer out;
    buf_writer_init(&out);
    assert_true(v2_handshake(&s, &t, &out));
    struct wire_msg v;
    sp_make_version(&v, 99, 0);
    v2_send(&s, &t, &v);
    assert_true(v2_expect(&s, &t, "verack", NULL));
    struct wire_msg verack = {.type = WIRE_VERACK};
    v2_send(&s, &t, &verack);
    expect_log(&d, "handshake complete");
    /* 20 short ids nobody assigned yet (29..32 are reserved by BIP324 but
     * unimplemented; 33 and up unassigned), each with a payload, and 20
     * packets with no contents at all */
    for (uint8_t i = 0; i < 20; i++) {
        uint8_t contents[9] = {(uint8_t)(29 + i * 11), 1, 2, 3, 4, 5, 6, 7, 8};
        buf_writer_reset(&out);
        assert_int_equal(transport_v2_write_contents(&t, contents, sizeof contents, &out),
                         TRANSPORT_OK);
        assert_true(sp_send_raw(&s, out.data, out.len));
        buf_writer_reset(&out);
        assert_int_equal(transport_v2_write_contents(&t, contents, 0, &out), TRANSPORT_OK);
        assert_true(sp_send_raw(&s, out.data, out.len));
    }
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 0x1324};
    v2_send(&s, &t, &ping);
    uint64_t nonce = 0;
    assert_true(v2_expect(&s, &t, "pong", &nonce));
    assert_true(nonce == 0x1324);
    expect_count(&d, "bad-command", 40);
    assert_null(strstr(d.log, "reason="));
    assert_null(strstr(d.log, "misbehaving"));
    buf_writer_free(&out);
    transport_v2_clear(&t);
    sp_close(&s);
    stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_misbehaving_loopback_peer_is_not_banned),
        cmocka_unit_test(test_whitelisted_peer_is_not_disconnected),
        cmocka_unit_test(test_manual_peer_is_not_disconnected),
        cmocka_unit_test(test_setban_at_scale_with_misbehaviour_around),
        cmocka_unit_test(test_gossiped_dead_address_is_not_redialled),
        cmocka_unit_test(test_v2_unknown_short_ids_and_empty_packets_are_ignored),
    };
    return test_run_group(tests);
}
