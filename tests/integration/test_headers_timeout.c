/* Bitcoin Core's headers download deadline (issue 14), with scripted
 * outbound peers on 127.0.0.0/8 that never answer getheaders and a
 * deadline of a fraction of a second (--test-headers-timeout-base, none per
 * header): the sync peer is dropped (reason headers-sync-timeout) and the
 * sync moves to the other peer, which is asked for headers; with no other
 * outbound peer it is kept; a noban (--whitelist) peer is kept and the sync
 * moves on all the same; and once the best header is within 24 h the
 * deadline is lifted: the peer that brought it stays past it. The stall
 * timer is pushed out of the way. */
#include "harness.h"
#include "header_chain.h"
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
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 8000
#define SYNC_LINE "header sync from height"

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}


/* Accept and handshake one connection on each listener, whichever comes
 * first. */
static void accept_all(const struct rpc_daemon *r, struct listener *ls, struct sp *s, size_t n)
{
    bool taken[2] = {false, false};
    for (size_t k = 0; k < n; k++) {
        struct pollfd p[2];
        for (size_t i = 0; i < n; i++) p[i] = (struct pollfd){.fd = taken[i] ? -1 : ls[i].fd, .events = POLLIN};
        if (poll(p, (nfds_t)n, WAIT_MS) <= 0) fail_msg("connection %zu did not come:\n%s", k, r->d.log);
        for (size_t i = 0; i < n; i++) {
            if (!(p[i].revents & POLLIN)) continue;
            assert_true(sp_accept(&s[i], ls[i].fd, magic(), WAIT_MS));
            assert_true(sp_handshake(&s[i], false, NULL, WAIT_MS));
            taken[i] = true;
            break;
        }
    }
}

/* The offset of the nth (0-based) line holding needle, or -1. */
static long nth_line(const char *log, const char *needle, size_t nth)
{
    const char *at = log;
    for (size_t k = 0;; k++) {
        at = strstr(at, needle);
        if (!at) return -1;
        if (k == nth) return at - log;
        at++;
    }
}

/* Wait for the nth line holding needle; its offset. */
static long wait_nth_line(struct daemon_proc *d, const char *needle, size_t nth)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (nth_line(d->log, needle, nth) < 0 && clock_mono_ms() < deadline) daemon_pump(d, 20);
    long off = nth_line(d->log, needle, nth);
    if (off < 0) fail_msg("no line %zu with '%s' in:\n%s", nth, needle, d->log);
    return off;
}

/* The peer= of the line at offset off. */
static long long peer_of_line(const char *log, long off)
{
    long start = off;
    while (start > 0 && log[start - 1] != '\n') start--;
    const char *p = strstr(log + start, "peer=");
    assert_non_null(p);
    assert_true(p < log + off);
    return atoll(p + 5);
}

/* The listener (index) getpeerinfo's peer id is connected to, or -1. */
static int listener_of_peer(const struct rpc_daemon *r, const struct listener *ls, size_t n,
                            long long id)
{
    json_t *reply = rpc_call(r, "getpeerinfo", json_array());
    json_t *peers = rpc_result(reply), *p;
    size_t i;
    int found = -1;
    json_array_foreach(peers, i, p) {
        if (json_integer_value(json_object_get(p, "id")) != id) continue;
        const char *addr = json_string_value(json_object_get(p, "addr"));
        for (size_t k = 0; k < n; k++) {
            char want[64];
            snprintf(want, sizeof want, "%s:%u", ls[k].ip, ls[k].port);
            if (!strcmp(addr, want)) found = (int)k;
        }
    }
    json_decref(reply);
    return found;
}

/* The scripted peer that got the first sync (index into ls). */
static size_t first_sync_peer(struct rpc_daemon *r, const struct listener *ls, size_t n,
                              long long *id)
{
    if (!daemon_wait_log(&r->d, SYNC_LINE, WAIT_MS)) fail_msg("no sync started:\n%s", r->d.log);
    *id = peer_of_line(r->d.log, nth_line(r->d.log, SYNC_LINE, 0));
    int k = listener_of_peer(r, ls, n, *id);
    if (k < 0) fail_msg("sync peer %lld is none of ours:\n%s", *id, r->d.log);
    return (size_t)k;
}

/* A daemon for n outbound peers, a 0.3 s deadline, no stall timer; more:
 * one more flag or NULL. */
static void start_with(struct rpc_daemon *r, size_t n, const char *more)
{
    char outbound[32];
    snprintf(outbound, sizeof outbound, "--max-outbound=%zu", n);
    const char *extra[] = {"--test-local-groups", outbound, "--max-blockrelay=0", "--dnsseed=0",
                           "--test-headers-timeout-base=0.3", "--test-headers-timeout-per-header=0",
                           "--sync-stall-timeout=3600", more, NULL};
    rpc_daemon_start(r, extra);
}

static void start(struct rpc_daemon *r, struct listener *ls, size_t n, bool noban)
{
    start_with(r, n, noban ? "--whitelist=127.0.0.0/8" : NULL);
    for (size_t i = 0; i < n; i++) listener_add(r, &ls[i]);
}

static void test_sync_peer_past_deadline_replaced(void **state)
{
    (void)state;
    struct listener ls[2];
    listener_open(&ls[0], "127.61.0.1");
    listener_open(&ls[1], "127.62.0.1");
    struct rpc_daemon r;
    start(&r, ls, 2, false);
    struct sp s[2];
    accept_all(&r, ls, s, 2);
    long long first_id;
    size_t first = first_sync_peer(&r, ls, 2, &first_id), other = 1 - first;

    /* it never answers its getheaders: past the deadline, with the other
     * peer up, it is dropped */
    assert_true(sp_expect(&s[first], WIRE_GETHEADERS, NULL, WAIT_MS));
    if (!sp_wait_closed(&s[first], WAIT_MS)) fail_msg("the sync peer stayed:\n%s", r.d.log);
    assert_true(sp_expect(&s[other], WIRE_GETHEADERS, NULL, WAIT_MS));
    if (!daemon_wait_log(&r.d, "reason=headers-sync-timeout", WAIT_MS))
        fail_msg("no reason=headers-sync-timeout:\n%s", r.d.log);

    /* in this order: the first sync, its timeout (no strike of the stall
     * timer), the sync moved to the other peer, the first one gone with
     * that reason */
    long sync0 = nth_line(r.d.log, SYNC_LINE, 0), sync1 = wait_nth_line(&r.d, SYNC_LINE, 1);
    long timeout = nth_line(r.d.log, "timeout downloading headers, disconnecting", 0);
    long gone = nth_line(r.d.log, "reason=headers-sync-timeout", 0);
    if (!(sync0 >= 0 && timeout > sync0 && sync1 > timeout && gone > sync1))
        fail_msg("events out of order (%ld %ld %ld %ld):\n%s", sync0, timeout, sync1, gone, r.d.log);
    assert_int_equal(peer_of_line(r.d.log, timeout), first_id);
    assert_int_equal(peer_of_line(r.d.log, gone), first_id);
    assert_int_equal(listener_of_peer(&r, ls, 2, peer_of_line(r.d.log, sync1)), (int)other);
    assert_int_equal(daemon_log_count(&r.d, "header sync stalled"), 0);
    assert_int_equal(daemon_log_count(&r.d, "disconnected and discouraged"), 0);

    /* the new sync peer is the only one left: past its own deadline it is
     * kept */
    char kept[96];
    snprintf(kept, sizeof kept, "peer=%lld header sync deadline passed; peer kept",
             peer_of_line(r.d.log, sync1));
    if (!daemon_wait_log(&r.d, kept, WAIT_MS)) fail_msg("no '%s':\n%s", kept, r.d.log);
    assert_true(sp_ping_pong(&s[other], 0x70e1u, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "reason=headers-sync-timeout"), 1);
    for (size_t k = 0; k < 2; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
}

/* Core keeps the only sync peer there is: a slow sync beats none. */
static void test_only_outbound_peer_kept(void **state)
{
    (void)state;
    struct listener ls[1];
    listener_open(&ls[0], "127.63.0.1");
    struct rpc_daemon r;
    start(&r, ls, 1, false);
    struct sp s[1];
    accept_all(&r, ls, s, 1);
    assert_true(sp_expect(&s[0], WIRE_GETHEADERS, NULL, WAIT_MS));
    if (!daemon_wait_log(&r.d, "header sync deadline passed; peer kept", WAIT_MS))
        fail_msg("the deadline did not pass:\n%s", r.d.log);
    assert_true(sp_ping_pong(&s[0], 0x70e2u, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "timeout downloading headers"), 0);
    assert_int_equal(daemon_log_count(&r.d, "reason=headers-sync-timeout"), 0);
    json_t *reply = rpc_call(&r, "getpeerinfo", json_array());
    assert_int_equal(json_array_size(rpc_result(reply)), 1);
    json_decref(reply);
    sp_close(&s[0]);
    close(ls[0].fd);
    rpc_daemon_stop(&r);
}

/* Core's NoBan: not disconnected, but the sync goes to another peer. */
static void test_noban_sync_peer_kept_sync_moved(void **state)
{
    (void)state;
    struct listener ls[2];
    listener_open(&ls[0], "127.64.0.1");
    listener_open(&ls[1], "127.65.0.1");
    struct rpc_daemon r;
    start(&r, ls, 2, true);
    struct sp s[2];
    accept_all(&r, ls, s, 2);
    long long first_id;
    size_t first = first_sync_peer(&r, ls, 2, &first_id), other = 1 - first;
    assert_true(sp_expect(&s[first], WIRE_GETHEADERS, NULL, WAIT_MS));
    assert_true(sp_expect(&s[other], WIRE_GETHEADERS, NULL, WAIT_MS));
    long noban = wait_nth_line(&r.d, "timeout downloading headers from noban peer", 0);
    long sync1 = wait_nth_line(&r.d, SYNC_LINE, 1);
    if (!(sync1 > noban)) fail_msg("no move to the other peer:\n%s", r.d.log);
    assert_int_equal(peer_of_line(r.d.log, noban), first_id);
    assert_int_equal(listener_of_peer(&r, ls, 2, peer_of_line(r.d.log, sync1)), (int)other);
    assert_true(sp_ping_pong(&s[first], 0x70e3u, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "reason=headers-sync-timeout"), 0);
    for (size_t k = 0; k < 2; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
}

/* n headers after regtest's genesis, the last one a minute old: a best
 * header within 24 h of now. */
static void make_recent_chain(struct header_chain *c, size_t n)
{
    c->count = n + 1;
    c->headers = calloc(c->count, sizeof *c->headers);
    c->hashes = calloc(c->count, 32);
    assert_non_null(c->headers);
    assert_non_null(c->hashes);
    const struct netparams *np = netparams_get(NET_REGTEST);
    wire_header_parse(np->genesis_header, &c->headers[0]);
    memcpy(c->hashes[0], np->genesis_hash, 32);
    uint32_t now = (uint32_t)clock_unix_s();
    for (size_t i = 1; i < c->count; i++) {
        struct wire_header *h = &c->headers[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, c->hashes[i - 1], 32);
        memset(h->merkle_root, (int)(i & 0xff), 32);
        h->time = now - (uint32_t)((n - i + 1) * 60);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, c->hashes[i]);
            if (c->hashes[i][31] < 0x7f) break; /* regtest's easy target */
        }
    }
}

/* The next ping the daemon sends this peer, answered. */
static void answer_next_ping(struct sp *s)
{
    for (;;) {
        struct wire_msg m;
        assert_int_equal(sp_recv(s, &m, WAIT_MS), SP_FRAME);
        bool ping = m.type == WIRE_PING;
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m.u.ping};
        wire_msg_free(&m);
        if (ping) {
            assert_true(sp_send(s, &pong));
            return;
        }
    }
}

/* Within 24 h of the present the deadline no longer applies: the sync peer
 * that brought us there stays, though its deadline passes while another
 * outbound peer is up (which, with an old best header, drops it: the first
 * test). The order of events makes it so: the other peer is up after the
 * lift; the daemon pings the sync peer only after --ping-interval (as long
 * as the deadline) of its silence, twice, the second time after the other
 * peer was up, and the deadline check runs twice as often. */
static void test_deadline_lifted_within_a_day(void **state)
{
    (void)state;
    struct header_chain c;
    make_recent_chain(&c, 20);
    struct listener ls[2];
    listener_open(&ls[0], "127.66.0.1");
    listener_open(&ls[1], "127.67.0.1");
    struct rpc_daemon r;
    start_with(&r, 2, "--ping-interval=0.3");
    listener_add(&r, &ls[0]);
    struct sp s[2];
    assert_true(sp_accept(&s[0], ls[0].fd, magic(), WAIT_MS));
    assert_true(sp_handshake(&s[0], false, NULL, WAIT_MS));
    struct wire_msg m;
    assert_true(sp_expect(&s[0], WIRE_GETHEADERS, &m, WAIT_MS));
    wire_msg_free(&m);
    struct wire_msg reply = {.type = WIRE_HEADERS,
                             .u.headers = {.count = c.count - 1, .headers = c.headers + 1}};
    assert_true(sp_send(&s[0], &reply));
    long lifted = wait_nth_line(&r.d, "header sync deadline lifted", 0);
    long long sync_id = peer_of_line(r.d.log, nth_line(r.d.log, SYNC_LINE, 0));
    assert_int_equal(peer_of_line(r.d.log, lifted), sync_id);

    /* another outbound peer, up after the lift */
    listener_add(&r, &ls[1]);
    assert_true(sp_accept(&s[1], ls[1].fd, magic(), WAIT_MS));
    assert_true(sp_handshake(&s[1], false, NULL, WAIT_MS));
    wait_nth_line(&r.d, "New outbound-full-relay v1 peer connected", 1);
    answer_next_ping(&s[0]);
    answer_next_ping(&s[0]); /* sent 0.3 s (two deadline checks) after the other was up */
    assert_true(sp_ping_pong(&s[0], 0x70e4u, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "timeout downloading headers"), 0);
    assert_int_equal(daemon_log_count(&r.d, "deadline passed"), 0);
    assert_int_equal(daemon_log_count(&r.d, SYNC_LINE), 1);
    for (size_t k = 0; k < 2; k++) {
        sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
    header_chain_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_peer_past_deadline_replaced),
        cmocka_unit_test(test_only_outbound_peer_kept),
        cmocka_unit_test(test_noban_sync_peer_kept_sync_moved),
        cmocka_unit_test(test_deadline_lifted_within_a_day),
    };
    return test_run_group(tests);
}
