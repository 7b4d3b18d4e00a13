/* Eclipse resistance (issue 14), with scripted peers on 127.0.0.0/8: a
 * --connect peer is asked for addresses and its answer taken whole; once
 * the full-relay slots are full, block-relay-only peers fill theirs, and
 * no address nor transaction request goes to them either way; they are
 * saved in anchors.dat at a stop and dialled first at the next start. */
#include "harness.h"
#include "metrics_client.h"
#include "listener.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 8000
#define N_LISTENERS 3

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* count fresh IPv4 addresses 127.(16 + i % 200).(i / 200).1: 200 /16
 * groups, spread over the new buckets one source may reach; age_s old. */
static void send_addresses_aged(struct sp *s, size_t count, uint32_t age_s)
{
    struct wire_netaddr *a = calloc(count, sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < count; i++) {
        uint8_t ip16[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [13] = (uint8_t)(16 + i % 200),
                            [14] = (uint8_t)(i / 200), [15] = 1};
        wire_netaddr_from_v1(&a[i], ip16);
        a[i].port = 18444;
        a[i].services = NODE_NETWORK | NODE_WITNESS;
        a[i].time = (uint32_t)clock_unix_s() - age_s;
    }
    struct wire_msg m = {.type = WIRE_ADDR, .u.addr = {.count = count, .addrs = a}};
    assert_true(sp_send(s, &m));
    free(a);
}

static void wait_log_count(struct daemon_proc *d, const char *needle, size_t count)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(d, needle) < count && clock_mono_ms() < deadline) daemon_pump(d, 20);
    if (daemon_log_count(d, needle) != count)
        fail_msg("'%s' %zu times, not %zu, in:\n%s", needle, daemon_log_count(d, needle), count, d->log);
}

/* An hour old: not fresh enough to be relayed on. */
static void send_addresses(struct sp *s, size_t count)
{
    send_addresses_aged(s, count, 3600);
}

/* The one peer of getpeerinfo (the test's only connection). */
static json_t *only_peer(const struct rpc_daemon *r, json_t **reply)
{
    *reply = rpc_call(r, "getpeerinfo", json_array());
    json_t *peers = rpc_result(*reply);
    assert_int_equal(json_array_size(peers), 1);
    return json_array_get(peers, 0);
}

static void test_connect_peer_is_asked_and_answer_taken(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = sp_listen(&port);
    assert_true(lfd >= 0);
    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *extra[] = {connect, "--listen=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);

    struct sp s;
    assert_true(sp_accept(&s, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    /* asked, though a manual peer */
    assert_true(sp_expect(&s, WIRE_GETADDR, NULL, WAIT_MS));
    send_addresses(&s, 1000);
    /* all of the answer passed the token bucket (before: 1 taken, 999 dropped) */
    if (!daemon_wait_log(&r.d, "addr: 1000 accepted, 0 dropped", WAIT_MS))
        fail_msg("log:\n%s", r.d.log);

    json_t *reply;
    json_t *p = only_peer(&r, &reply);
    assert_string_equal(json_string_value(json_object_get(p, "connection_type")), "manual");
    assert_int_equal(json_integer_value(json_object_get(p, "addr_processed")), 1000);
    assert_int_equal(json_integer_value(json_object_get(p, "addr_rate_limited")), 0);
    json_decref(reply);
    /* most of them are in the table now: one source group reaches only 64
     * new buckets, so some slots collide (about 85 % land); before, 1 did */
    reply = rpc_call(&r, "getaddrmaninfo", json_array());
    json_int_t total = json_integer_value(
        json_object_get(json_object_get(rpc_result(reply), "all_networks"), "total"));
    json_decref(reply);
    if (total < 500) fail_msg("only %lld addresses in the table", (long long)total);

    /* the next message is gossip again: the bucket is spent (a token or
     * two trickle back meanwhile, at 0.1 a second) */
    send_addresses(&s, 20);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&r.d, "(token bucket)") < 2 && clock_mono_ms() < deadline) daemon_pump(&r.d, 20);
    p = only_peer(&r, &reply);
    assert_true(json_integer_value(json_object_get(p, "addr_rate_limited")) >= 15);
    json_decref(reply);

    sp_close(&s);
    close(lfd);
    rpc_daemon_stop(&r);
}


/* The index of the listener that gets a connection first (-1 if none). */
static int accept_any(struct listener *ls, size_t n, struct sp *s, unsigned timeout_ms)
{
    struct pollfd p[N_LISTENERS];
    for (size_t i = 0; i < n; i++) p[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
    if (poll(p, (nfds_t)n, (int)timeout_ms) <= 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i].revents & POLLIN) return sp_accept(s, ls[i].fd, magic(), WAIT_MS) ? (int)i : -1;
    return -1;
}

static size_t count_type(json_t *peers, const char *type)
{
    size_t count = 0, i;
    json_t *p;
    json_array_foreach(peers, i, p)
        count += strcmp(json_string_value(json_object_get(p, "connection_type")), type) == 0;
    return count;
}

/* An inv naming a transaction (any of Core's tx types)? */
static bool inv_names_tx(const struct wire_msg *m)
{
    if (m->type != WIRE_INV) return false;
    for (size_t i = 0; i < m->u.inv.count; i++) {
        uint32_t t = m->u.inv.entries[i].type & ~WIRE_INV_WITNESS_FLAG;
        if (t == WIRE_INV_TX || t == WIRE_INV_WTX) return true;
    }
    return false;
}

/* A ping as a barrier: everything the daemon queued for this peer before
 * it read the ping comes before the pong. Fails on an address message, a
 * getaddr or a transaction announcement met on the way. */
static void expect_no_addr_traffic(struct sp *s, uint64_t nonce)
{
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = nonce}};
    assert_true(sp_send(s, &ping));
    for (;;) {
        struct wire_msg m;
        assert_int_equal(sp_recv(s, &m, WAIT_MS), SP_FRAME);
        enum wire_type t = m.type;
        bool pong = t == WIRE_PONG && m.u.ping.nonce == nonce;
        bool tx_inv = inv_names_tx(&m);
        wire_msg_free(&m);
        if (tx_inv) fail_msg("a block-relay-only peer got a transaction announcement");
        if (t == WIRE_ADDR || t == WIRE_ADDRV2 || t == WIRE_GETADDR)
            fail_msg("a block-relay-only peer got %s", t == WIRE_GETADDR ? "getaddr" : "addresses");
        if (pong) return;
    }
}

/* Three connections, one per listener's group: one full-relay (its
 * version says relay=1) and two block-relay-only (relay=0). Each is
 * handshaken; the full-relay one's index is returned. */
static size_t accept_three(const struct rpc_daemon *r, struct listener *ls, struct sp *s)
{
    bool taken[N_LISTENERS] = {false};
    size_t full = N_LISTENERS, n_full = 0;
    for (size_t k = 0; k < N_LISTENERS; k++) {
        struct sp c;
        int i = accept_any(ls, N_LISTENERS, &c, WAIT_MS);
        if (i < 0) fail_msg("connection %zu did not come; log:\n%s", k, r->d.log);
        assert_false(taken[i]);
        taken[i] = true;
        s[i] = c;
        struct wire_version theirs;
        assert_true(sp_handshake(&s[i], false, &theirs, WAIT_MS));
        if (theirs.relay) {
            full = (size_t)i;
            n_full++;
        }
    }
    assert_int_equal(n_full, 1);
    return full;
}

static void test_block_relay_only_peers(void **state)
{
    (void)state;
    struct listener ls[N_LISTENERS];
    listener_open(&ls[0], "127.41.0.1");
    listener_open(&ls[1], "127.42.0.1");
    listener_open(&ls[2], "127.43.0.1");
    const char *extra[] = {"--test-local-groups", "--max-outbound=1", "--max-blockrelay=2",
                           "--dnsseed=0", "--metrics-bind=127.0.0.1:0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    uint16_t mport = metrics_port(&r.d), p2p_port = daemon_port(&r.d, WAIT_MS);
    for (size_t i = 0; i < N_LISTENERS; i++) listener_add(&r, &ls[i]);

    struct sp s[N_LISTENERS];
    size_t full = accept_three(&r, ls, s);
    /* the full-relay peer is asked for addresses */
    assert_true(sp_expect(&s[full], WIRE_GETADDR, NULL, WAIT_MS));
    /* and an inbound one, from a fourth group */
    struct sp in;
    assert_true(sp_connect_from(&in, "127.47.0.1", p2p_port, magic()));
    assert_true(sp_handshake(&in, true, NULL, WAIT_MS));
    assert_true(sp_ping_pong(&in, 0x5eedffffu, WAIT_MS));

    json_t *reply = rpc_call(&r, "getpeerinfo", json_array());
    json_t *peers = rpc_result(reply);
    assert_int_equal(json_array_size(peers), 4);
    assert_int_equal(count_type(peers, "outbound-full-relay"), 1);
    assert_int_equal(count_type(peers, "block-relay-only"), 2);
    assert_int_equal(count_type(peers, "inbound"), 1);
    /* the operator's view: the same counts by Core's connection types */
    char *text = metrics_scrape(mport);
    static const struct {
        const char *type;
        double count;
    } want[] = {{"inbound", 1}, {"outbound-full-relay", 1}, {"block-relay-only", 2},
                {"manual", 0},  {"feeler", 0},              {"addr-fetch", 0},
                {"private-broadcast", 0}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        char series[96];
        snprintf(series, sizeof series, "btcpeerd_peer_connections{connection_type=\"%s\"}",
                 want[k].type);
        if (metrics_value(text, series) != want[k].count)
            fail_msg("%s is %g, not %g", series, metrics_value(text, series), want[k].count);
    }
    free(text);
    /* each outbound connection's type in the log at its handshake (Core's line) */
    wait_log_count(&r.d, "New outbound-full-relay v1 peer connected", 1);
    wait_log_count(&r.d, "New block-relay-only v1 peer connected", 2);
    size_t i;
    json_t *p;
    json_array_foreach(peers, i, p)
        if (!strcmp(json_string_value(json_object_get(p, "connection_type")), "block-relay-only"))
            assert_false(json_is_true(json_object_get(p, "addr_relay_enabled")));
    json_decref(reply);

    /* addresses from a block-relay-only peer are ignored, not taken */
    for (size_t k = 0; k < N_LISTENERS; k++)
        if (k != full) send_addresses(&s[k], 5);
    wait_log_count(&r.d, "from a block-relay-only peer", 2);
    reply = rpc_call(&r, "getaddrmaninfo", json_array());
    json_int_t total = json_integer_value(
        json_object_get(json_object_get(rpc_result(reply), "all_networks"), "total"));
    json_decref(reply);
    assert_int_equal(total, N_LISTENERS);

    /* fresh gossip from the full-relay peer is relayed to two others, but
     * never to a block-relay-only peer (here: to nobody) */
    send_addresses_aged(&s[full], 2, 0);
    assert_true(daemon_wait_log(&r.d, "addr: 2 accepted", WAIT_MS));
    for (size_t k = 0; k < N_LISTENERS; k++)
        if (k != full) expect_no_addr_traffic(&s[k], 0x5eed0000u + k);

    sp_close(&in);
    for (size_t k = 0; k < N_LISTENERS; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
}

static void send_tx_inv(struct sp *s, uint32_t type, uint8_t fill)
{
    struct wire_inv_entry e = {.type = type};
    memset(e.hash, fill, sizeof e.hash);
    struct wire_msg m = {.type = WIRE_INV, .u.inv = {.count = 1, .entries = &e}};
    assert_true(sp_send(s, &m));
}

/* A one-input, one-output legacy transaction (never valid on a chain; the
 * rule judges the message, not the transaction). */
static void send_tx(struct sp *s)
{
    uint8_t raw[4 + 1 + 32 + 4 + 1 + 4 + 1 + 8 + 1 + 4] = {0x01};
    size_t at = 5;
    raw[4] = 1;                              /* one input */
    memset(raw + at, 0x11, 32), at += 32;    /* its outpoint */
    at += 4;                                 /* index 0 */
    raw[at++] = 0;                           /* empty scriptSig */
    memset(raw + at, 0xff, 4), at += 4;      /* sequence */
    raw[at++] = 1;                           /* one output */
    raw[at] = 0xe8, raw[at + 1] = 0x03, at += 8; /* 1,000 sat */
    raw[at++] = 0;                           /* empty script; lock time 0 follows */
    struct wire_msg m = {.type = WIRE_TX, .u.tx = {.raw = raw, .raw_len = sizeof raw}};
    assert_true(sp_send(s, &m));
}

/* Core's RejectIncomingTxs: a block-relay-only peer that announces or
 * sends a transaction is disconnected (reason block-relay-tx), and not
 * discouraged: the daemon dials it again. The full-relay peer announcing
 * one stays. */
static void test_tx_on_block_relay_disconnects(void **state)
{
    (void)state;
    struct listener ls[N_LISTENERS];
    listener_open(&ls[0], "127.44.0.1");
    listener_open(&ls[1], "127.45.0.1");
    listener_open(&ls[2], "127.46.0.1");
    const char *extra[] = {"--test-local-groups", "--max-outbound=1", "--max-blockrelay=2",
                           "--dnsseed=0", "--test-discourage-loopback", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    for (size_t i = 0; i < N_LISTENERS; i++) listener_add(&r, &ls[i]);
    struct sp s[N_LISTENERS];
    size_t full = accept_three(&r, ls, s);
    size_t br[2], nbr = 0;
    for (size_t k = 0; k < N_LISTENERS; k++)
        if (k != full) br[nbr++] = k;

    /* a full-relay peer may announce transactions: kept */
    send_tx_inv(&s[full], WIRE_INV_WTX, 0x21);
    send_tx_inv(&s[full], WIRE_INV_TX, 0x22);
    assert_true(sp_ping_pong(&s[full], 0xf011u, WAIT_MS));

    /* a tx inv (MSG_WTX) from a block-relay-only peer: disconnected */
    send_tx_inv(&s[br[0]], WIRE_INV_WTX, 0x23);
    if (!sp_wait_closed(&s[br[0]], WAIT_MS)) fail_msg("still connected; log:\n%s", r.d.log);
    wait_log_count(&r.d, "reason=block-relay-tx", 1);
    /* not discouraged, even with loopback discouragement on: dialled again,
     * as block-relay-only (relay=0) */
    sp_close(&s[br[0]]);
    assert_true(sp_accept(&s[br[0]], ls[br[0]].fd, magic(), WAIT_MS));
    struct wire_version theirs;
    assert_true(sp_handshake(&s[br[0]], false, &theirs, WAIT_MS));
    assert_false(theirs.relay);
    assert_int_equal(daemon_log_count(&r.d, "disconnected and discouraged"), 0);

    /* a tx message from the other one: the same */
    send_tx(&s[br[1]]);
    if (!sp_wait_closed(&s[br[1]], WAIT_MS)) fail_msg("still connected; log:\n%s", r.d.log);
    wait_log_count(&r.d, "reason=block-relay-tx", 2);

    /* the full-relay peer outlived both */
    assert_true(sp_ping_pong(&s[full], 0xf012u, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "disconnected and discouraged"), 0);
    for (size_t k = 0; k < N_LISTENERS; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
}

/* The index of the listener whose address the nth (0-based) "connecting
 * addr=" line of the log names, or -1. */
static int nth_dial(const struct daemon_proc *d, struct listener *ls, size_t nth)
{
    const char *at = d->log;
    for (size_t k = 0; at && k <= nth; k++) {
        at = strstr(at, "connecting addr=");
        if (at && k < nth) at++;
    }
    if (!at) return -1;
    char want[64];
    for (size_t i = 0; i < N_LISTENERS; i++) {
        snprintf(want, sizeof want, "connecting addr=%s:%u", ls[i].ip, ls[i].port);
        if (!strncmp(at, want, strlen(want))) return (int)i;
    }
    return -1;
}

static void test_anchors_dialled_first_after_restart(void **state)
{
    (void)state;
    struct listener ls[N_LISTENERS];
    listener_open(&ls[0], "127.51.0.1");
    listener_open(&ls[1], "127.52.0.1");
    listener_open(&ls[2], "127.53.0.1");
    char dir[64] = "/tmp/btcpeerd-anchors-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/regtest/anchors.dat", dir);
    const char *extra[] = {"--test-local-groups", "--max-outbound=1", "--max-blockrelay=2",
                           "--dnsseed=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start_in(&r, dir, extra);
    for (size_t i = 0; i < N_LISTENERS; i++) listener_add(&r, &ls[i]);
    struct sp s[N_LISTENERS];
    size_t full = accept_three(&r, ls, s);
    /* all three READY in the node before the stop */
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    for (;;) {
        json_t *reply = rpc_call(&r, "getpeerinfo", json_array());
        size_t block_relay = count_type(rpc_result(reply), "block-relay-only");
        json_decref(reply);
        if (block_relay == 2) break;
        if (clock_mono_ms() > deadline) fail_msg("no two block-relay-only peers:\n%s", r.d.log);
        daemon_pump(&r.d, 20);
    }
    assert_int_equal(daemon_stop(&r.d, SIGTERM, WAIT_MS), 0);
    assert_true(strstr(r.d.log, "saving 2 block-relay-only peers to anchors.dat") != NULL);
    daemon_cleanup(&r.d);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    for (size_t k = 0; k < N_LISTENERS; k++) sp_close(&s[k]);

    /* the next start: the file read and gone, the two anchors dialled
     * before anything else, as block-relay-only again */
    rpc_daemon_start_in(&r, dir, extra);
    assert_true(daemon_wait_log(&r.d, "loaded 2 anchors from anchors.dat", WAIT_MS));
    assert_int_equal(stat(path, &st), -1);
    wait_log_count(&r.d, "anchor: dialling", 2);
    size_t full2 = accept_three(&r, ls, s);
    assert_int_equal(full2, full);
    /* "anchor: dialling" comes just before its "connecting" line: the log
     * read so far may end between the two */
    wait_log_count(&r.d, "connecting addr=", 3);
    int first = nth_dial(&r.d, ls, 0), second = nth_dial(&r.d, ls, 1);
    if (first < 0 || second < 0 || first == (int)full || second == (int)full || first == second)
        fail_msg("the first dials were not the anchors (full-relay %zu):\n%s", full, r.d.log);
    for (size_t k = 0; k < N_LISTENERS; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_peer_is_asked_and_answer_taken),
        cmocka_unit_test(test_block_relay_only_peers),
        cmocka_unit_test(test_tx_on_block_relay_disconnects),
        cmocka_unit_test(test_anchors_dialled_first_after_restart),
    };
    return test_run_group(tests);
}
