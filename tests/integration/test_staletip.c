/* Stale-tip detection and the extra outbound peers (issue 14; Bitcoin
 * Core v29's CheckForStaleTipAndEvictPeers), with scripted peers on
 * distinct 127.x/16 groups (--test-local-groups) and every interval in
 * milliseconds. The assertions are on events and their order, never on
 * elapsed time:
 *  - a tip left stale brings one extra full-relay peer, then the peer with
 *    the oldest block announcement is evicted (four announcers are
 *    protected, a fifth announced before the extra one did);
 *  - once the tip is recent, an extra block-relay-only peer is opened, and
 *    since it brought a new header, the next youngest one is evicted;
 *  - with --connect none of this happens, though the tip is stale. */
#include "harness.h"
#include "header_chain.h"
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
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 15000
#define MAX_PEERS 8

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}


/* A scripted peer the daemon dialled: which listener, what it knows. */
struct peer {
    struct sp s;
    int listener;
    bool open;
    bool relay;     /* its version from the daemon said relay=1: full-relay */
    size_t known;   /* the chain's headers it serves to getheaders (0: none) */
};

struct world {
    struct rpc_daemon r;
    struct listener ls[MAX_PEERS];
    size_t n_ls;
    struct peer ps[MAX_PEERS];
    size_t n_ps;
    const struct header_chain *chain;
};

/* Headers after the locator's fork point, up to what p knows (none when
 * it knows nothing past that point). */
static void serve_getheaders(struct peer *p, const struct header_chain *c, const struct wire_locator *loc)
{
    size_t fork = SIZE_MAX;
    for (size_t i = 0; c && i < loc->count && fork == SIZE_MAX; i++)
        for (size_t k = 0; k <= p->known && fork == SIZE_MAX; k++)
            if (memcmp(c->hashes[k], loc->hashes[i], 32) == 0) fork = k;
    size_t n = fork < p->known ? p->known - fork : 0;
    struct wire_msg reply = {.type = WIRE_HEADERS,
                             .u.headers = {.count = n, .headers = n ? c->headers + fork + 1 : NULL}};
    assert_true(sp_send(&p->s, &reply));
}

/* Whatever each open peer has been sent: pings answered, getheaders
 * served, the rest dropped; a closed connection is marked. */
static void pump_peers(struct world *w)
{
    for (size_t i = 0; i < w->n_ps; i++) {
        struct peer *p = &w->ps[i];
        while (p->open) {
            struct wire_msg m;
            enum sp_result res = sp_recv(&p->s, &m, 1);
            if (res == SP_TIMEOUT) break;
            if (res == SP_CLOSED) {
                p->open = false;
                break;
            }
            if (res != SP_FRAME) continue;
            if (m.type == WIRE_PING) {
                struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m.u.ping};
                sp_send(&p->s, &pong);
            } else if (m.type == WIRE_GETHEADERS) {
                serve_getheaders(p, w->chain, &m.u.locator);
            }
            wire_msg_free(&m);
        }
    }
}

/* Pump the daemon's log and the peers until the log holds needle count
 * times (a hang guard, not a timing assertion). */
static void wait_log(struct world *w, const char *needle, size_t count)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&w->r.d, needle) < count && clock_mono_ms() < deadline) {
        daemon_pump(&w->r.d, 10);
        pump_peers(w);
    }
    if (daemon_log_count(&w->r.d, needle) < count)
        fail_msg("'%s' not %zu times in:\n%s", needle, count, w->r.d.log);
}

/* The next connection to any listener not yet used, handshaken; its
 * index in w->ps. */
static size_t accept_next(struct world *w)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (clock_mono_ms() < deadline) {
        struct pollfd pfd[MAX_PEERS];
        for (size_t i = 0; i < w->n_ls; i++) pfd[i] = (struct pollfd){.fd = w->ls[i].fd, .events = POLLIN};
        if (poll(pfd, (nfds_t)w->n_ls, 10) > 0) {
            for (size_t i = 0; i < w->n_ls; i++) {
                if (!(pfd[i].revents & POLLIN)) continue;
                struct peer *p = &w->ps[w->n_ps];
                memset(p, 0, sizeof *p);
                assert_true(sp_accept(&p->s, w->ls[i].fd, magic(), WAIT_MS));
                struct wire_version theirs;
                assert_true(sp_handshake(&p->s, false, &theirs, WAIT_MS));
                p->listener = (int)i;
                p->open = true;
                p->relay = theirs.relay;
                return w->n_ps++;
            }
        }
        daemon_pump(&w->r.d, 1);
        pump_peers(w);
    }
    fail_msg("no connection came; log:\n%s", w->r.d.log);
    return 0;
}

/* Announce header k of the chain (after sendheaders: a one-header
 * headers message) from peer p. */
static void announce(struct world *w, size_t p, size_t k)
{
    struct wire_msg m = {.type = WIRE_HEADERS,
                         .u.headers = {.count = 1, .headers = (struct wire_header *)&w->chain->headers[k]}};
    assert_true(sp_send(&w->ps[p].s, &m));
    w->ps[p].known = k;
}

/* The peer id the daemon gave its connection to listener l (its
 * "connecting addr=" line), 0 if none. */
static uint64_t dial_id(const struct world *w, const struct listener *l)
{
    char needle[64];
    snprintf(needle, sizeof needle, "connecting addr=%s:%u", l->ip, l->port);
    const char *at = strstr(w->r.d.log, needle);
    if (!at) return 0;
    const char *line = at;
    while (line > w->r.d.log && line[-1] != '\n') line--;
    const char *id = strstr(line, "peer=");
    return id && id < at ? strtoull(id + 5, NULL, 10) : 0;
}

/* The daemon's disconnect line for listener l's address: its reason, or
 * "" if there is none. */
static void disconnect_reason(const struct world *w, const struct listener *l, char *out, size_t cap)
{
    char needle[64];
    snprintf(needle, sizeof needle, "disconnected addr=%s:%u ", l->ip, l->port);
    out[0] = '\0';
    const char *at = strstr(w->r.d.log, needle);
    if (!at) return;
    const char *r = strstr(at, "reason="), *eol = strchr(at, '\n');
    if (!r || (eol && r > eol)) return;
    r += 7;
    size_t n = strcspn(r, " \n");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), r);
}

/* Where needle first occurs in the log (SIZE_MAX: nowhere). */
static size_t log_pos(const struct world *w, const char *needle)
{
    const char *at = strstr(w->r.d.log, needle);
    return at ? (size_t)(at - w->r.d.log) : SIZE_MAX;
}

static size_t count_in_prefix(const struct world *w, const char *needle, size_t end)
{
    size_t count = 0;
    for (const char *at = strstr(w->r.d.log, needle); at && (size_t)(at - w->r.d.log) < end;
         at = strstr(at + 1, needle))
        count++;
    return count;
}

static void world_stop(struct world *w)
{
    for (size_t i = 0; i < w->n_ps; i++) sp_close(&w->ps[i].s);
    for (size_t i = 0; i < w->n_ls; i++)
        if (w->ls[i].fd >= 0) close(w->ls[i].fd);
    rpc_daemon_stop(&w->r);
}

static void open_listener_only(struct world *w, size_t keep)
{
    for (size_t i = 0; i < w->n_ls; i++) {
        if (i == keep || w->ls[i].fd < 0) continue;
        close(w->ls[i].fd);
        w->ls[i].fd = -1;
    }
}

/* The daemon's info line of an eviction names the peer's id. */
static void assert_evicted(struct world *w, size_t p, const char *line, const char *reason)
{
    const struct listener *l = &w->ls[w->ps[p].listener];
    char needle[96], got[48];
    snprintf(needle, sizeof needle, "disconnected addr=%s:%u ", l->ip, l->port);
    wait_log(w, needle, 1);
    disconnect_reason(w, l, got, sizeof got);
    assert_string_equal(got, reason);
    uint64_t id = dial_id(w, l);
    assert_true(id > 0);
    snprintf(needle, sizeof needle, "peer=%llu %s", (unsigned long long)id, line);
    if (!strstr(w->r.d.log, needle)) fail_msg("no '%s' in:\n%s", needle, w->r.d.log);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (w->ps[p].open && clock_mono_ms() < deadline) pump_peers(w);
    assert_false(w->ps[p].open);
}

static double scrape(uint16_t port, const char *series)
{
    char *text = metrics_scrape(port);
    double v = metrics_value(text, series);
    free(text);
    return v;
}

/* (a) Five full-relay slots. Peers 1-4 announce a new header each and are
 * protected (Core protects the first four with our tip's work); peer 5
 * announces the next one. The tip then goes stale: one extra full-relay
 * peer, which announces a newer header. The unprotected peer with the
 * oldest announcement, peer 5, is evicted; the extra one stays. */
static void test_stale_tip_extra_full_relay_peer(void **state)
{
    (void)state;
    struct header_chain chain;
    header_chain_make(&chain, 6, 0);
    static struct world w;
    memset(&w, 0, sizeof w);
    w.chain = &chain;
    w.n_ls = 6;
    for (size_t i = 0; i < w.n_ls; i++) listener_open_group(&w.ls[i], 61 + (unsigned)i);
    const char *extra[] = {"--test-local-groups", "--max-outbound=5", "--max-blockrelay=0",
                           "--dnsseed=0", "--listen=0", "--metrics-bind=127.0.0.1:0",
                           "--test-stale-tip-age=0.4", "--test-stale-check-interval=0.05",
                           "--test-extra-peer-check-interval=0.05", "--test-min-connect-time=3",
                           NULL};
    rpc_daemon_start(&w.r, extra);
    uint16_t mport = metrics_port(&w.r.d);
    /* the sixth address is not known yet: the extra peer can only be it */
    for (size_t i = 0; i < 5; i++) listener_add(&w.r, &w.ls[i]);
    for (size_t k = 0; k < 5; k++) {
        size_t p = accept_next(&w);
        assert_true(w.ps[p].relay);
    }
    char line[64];
    for (size_t k = 1; k <= 5; k++) {
        announce(&w, k - 1, k);
        snprintf(line, sizeof line, "block announcement height=%zu", k);
        wait_log(&w, line, 1);
    }
    wait_log(&w, "protected from extra-peer eviction", 4);

    /* the extra connection goes to the sixth listener; the other five
     * listen no more, so a redial cannot pass for it */
    listener_add(&w.r, &w.ls[5]);
    open_listener_only(&w, 5);
    size_t x = accept_next(&w);
    assert_int_equal(w.ps[x].listener, 5);
    assert_true(w.ps[x].relay);
    announce(&w, x, 6);
    wait_log(&w, "block announcement height=6", 1);

    /* peer 5 goes for it, with the reason; the protected four and the
     * extra one stay */
    assert_evicted(&w, 4, "evicting an extra full-relay peer (stale tip) chosen=oldest-block-announcement",
                   "stale-tip-evicted");
    pump_peers(&w);
    for (size_t p = 0; p < 4; p++) assert_true(w.ps[p].open);
    assert_true(w.ps[x].open);
    assert_int_equal(daemon_log_count(&w.r.d, "protected from extra-peer eviction"), 4);

    /* in this order: detected, one extra peer added, the eviction */
    size_t detected = log_pos(&w, "potential stale tip detected");
    size_t added = log_pos(&w, "stale tip: extra full-relay outbound peer added");
    size_t evicted = log_pos(&w, "evicting an extra full-relay peer");
    if (!(detected < added && added < evicted))
        fail_msg("not detected < added < evicted:\n%s", w.r.d.log);
    assert_int_equal(count_in_prefix(&w, "stale tip: extra full-relay outbound peer added", evicted), 1);

    assert_true(scrape(mport, "btcpeerd_stale_tips_total") >= 1);
    assert_true(scrape(mport, "btcpeerd_extra_peers_evicted_total{kind=\"outbound-full-relay\"}") == 1);
    assert_true(scrape(mport, "btcpeerd_extra_peers_evicted_total{kind=\"block-relay-only\"}") == 0);
    assert_true(scrape(mport, "btcpeerd_peer_disconnects_total{reason=\"stale-tip-evicted\"}") == 1);
    world_stop(&w);
    header_chain_free(&chain);
}

/* (b) One full-relay and two block-relay-only slots, and a recent tip
 * (headers an hour old at most): an extra block-relay-only peer comes; it
 * announces a new header, so of the two youngest block-relay-only peers
 * the elder (the one dialled second) is evicted, not the newcomer. */
static void test_extra_block_relay_rotation(void **state)
{
    (void)state;
    struct header_chain chain;
    header_chain_make_timed(&chain, 4, 0, 0, (uint32_t)clock_unix_s() - 1800);
    static struct world w;
    memset(&w, 0, sizeof w);
    w.chain = &chain;
    w.n_ls = 4;
    for (size_t i = 0; i < w.n_ls; i++) listener_open_group(&w.ls[i], 71 + (unsigned)i);
    const char *extra[] = {"--test-local-groups", "--max-outbound=1", "--max-blockrelay=2",
                           "--dnsseed=0", "--listen=0", "--metrics-bind=127.0.0.1:0",
                           "--test-extra-blockrelay-interval=0.2",
                           "--test-extra-peer-check-interval=0.05", "--test-min-connect-time=3",
                           NULL};
    rpc_daemon_start(&w.r, extra);
    uint16_t mport = metrics_port(&w.r.d);
    for (size_t i = 0; i < w.n_ls; i++) listener_add(&w.r, &w.ls[i]);
    for (size_t k = 0; k < 3; k++) w.ps[accept_next(&w)].known = 3; /* the chain up to header 3 */
    wait_log(&w, "block announcement height=3", 1);
    wait_log(&w, "tip is recent: extra block-relay-only peers enabled", 1);
    wait_log(&w, "extra block-relay-only peer added", 1);
    w.ps[accept_next(&w)].known = 3;

    /* by the daemon's ids (connections are accepted in whatever order they
     * come): one full-relay peer, and the block-relay-only ones oldest
     * first; the youngest is the extra one */
    size_t full = 0, br[3], n_br = 0;
    uint64_t ids[4];
    for (size_t p = 0; p < 4; p++) {
        ids[p] = dial_id(&w, &w.ls[w.ps[p].listener]);
        assert_true(ids[p] > 0);
        if (w.ps[p].relay) {
            full++;
            continue;
        }
        size_t at = n_br++;
        while (at > 0 && ids[br[at - 1]] > ids[p]) {
            br[at] = br[at - 1];
            at--;
        }
        br[at] = p;
    }
    assert_int_equal(full, 1);
    assert_int_equal(n_br, 3);
    size_t keeper = br[0], victim = br[1], x = br[2];
    /* the youngest is the dial the first "added" line reports */
    char needle[64];
    snprintf(needle, sizeof needle, "connecting addr=%s:%u", w.ls[w.ps[x].listener].ip,
             w.ls[w.ps[x].listener].port);
    assert_true(log_pos(&w, needle) < log_pos(&w, "extra block-relay-only peer added"));
    open_listener_only(&w, SIZE_MAX);
    /* no redial can pass for a new peer from here on. The youngest (x)
     * brings a block the next youngest did not: the next youngest goes */
    announce(&w, x, 4);
    wait_log(&w, "block announcement height=4", 1);
    assert_evicted(&w, victim, "evicting an extra block-relay-only peer chosen=next-youngest",
                   "extra-block-relay-evicted");
    pump_peers(&w);
    assert_true(w.ps[keeper].open);
    assert_true(w.ps[x].open);

    size_t enabled = log_pos(&w, "tip is recent: extra block-relay-only peers enabled");
    size_t added = log_pos(&w, "extra block-relay-only peer added");
    size_t evicted = log_pos(&w, "evicting an extra block-relay-only peer");
    if (!(enabled < added && added < evicted))
        fail_msg("not enabled < added < evicted:\n%s", w.r.d.log);
    assert_int_equal(daemon_log_count(&w.r.d, "potential stale tip detected"), 0);
    assert_true(scrape(mport, "btcpeerd_extra_peers_evicted_total{kind=\"block-relay-only\"}") == 1);
    assert_true(scrape(mport, "btcpeerd_extra_peers_evicted_total{kind=\"outbound-full-relay\"}") == 0);
    assert_true(scrape(mport, "btcpeerd_peer_disconnects_total{reason=\"extra-block-relay-evicted\"}") == 1);
    world_stop(&w);
    header_chain_free(&chain);
}

/* (c) --connect: the tip is recent, then stale, again and again, and the
 * checks see it; but no extra peer is tried, none evicted, and a known
 * address is never dialled. */
static void test_connect_means_no_extra_peers(void **state)
{
    (void)state;
    struct header_chain chain;
    header_chain_make_timed(&chain, 3, 0, 0, (uint32_t)clock_unix_s() - 1200);
    static struct world w;
    memset(&w, 0, sizeof w);
    w.chain = &chain;
    w.n_ls = 2;
    listener_open_group(&w.ls[0], 81);
    listener_open_group(&w.ls[1], 82);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=%s:%u", w.ls[0].ip, w.ls[0].port);
    const char *extra[] = {connect, "--test-local-groups", "--listen=0",
                           "--metrics-bind=127.0.0.1:0", "--test-stale-tip-age=0.1",
                           "--test-stale-check-interval=0.05",
                           "--test-extra-peer-check-interval=0.05", "--test-min-connect-time=0.05",
                           "--test-extra-blockrelay-interval=0.05", NULL};
    rpc_daemon_start(&w.r, extra);
    uint16_t mport = metrics_port(&w.r.d);
    listener_add(&w.r, &w.ls[1]);
    size_t p = accept_next(&w);
    assert_int_equal(w.ps[p].listener, 0);
    w.ps[p].known = 3;
    wait_log(&w, "block announcement height=3", 1);
    const char *seen = "but no automatic outbound connections (--connect): no extra peer";
    wait_log(&w, seen, daemon_log_count(&w.r.d, seen) + 3);

    assert_int_equal(daemon_log_count(&w.r.d, "potential stale tip detected"), 0);
    assert_int_equal(daemon_log_count(&w.r.d, "tip is recent: extra block-relay-only"), 0);
    assert_int_equal(daemon_log_count(&w.r.d, "peer added"), 0);
    assert_int_equal(daemon_log_count(&w.r.d, "evicting an extra"), 0);
    struct pollfd pfd = {.fd = w.ls[1].fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 0);
    assert_true(w.ps[p].open);
    assert_true(scrape(mport, "btcpeerd_stale_tips_total") == 0);
    assert_true(scrape(mport, "btcpeerd_extra_peers_evicted_total{kind=\"outbound-full-relay\"}") == 0);
    world_stop(&w);
    header_chain_free(&chain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stale_tip_extra_full_relay_peer),
        cmocka_unit_test(test_extra_block_relay_rotation),
        cmocka_unit_test(test_connect_means_no_extra_peers),
    };
    return test_run_group(tests);
}
