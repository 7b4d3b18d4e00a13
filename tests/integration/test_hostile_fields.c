/* Hostile field values in a version message against a real daemon on
 * 127.0.0.1 (issue 13, items 1 and 6), read back through the real RPC with
 * btcpeerd-cli:
 *   - a version timestamp of INT64_MIN or INT64_MAX: `timestamp - now` was
 *     undefined behaviour (the sanitizer build aborted and stopped
 *     listening; INT64_MAX showed as an offset of 9.2e18). The daemon must
 *     go on answering and show a bounded offset;
 *   - getnetworkinfo's timeoffset: inbound peers must not move it (two
 *     inbound peers at +1e9 s made it 1e9); outbound peers do, as Bitcoin
 *     Core v27+, once five of them have given a sample, with a warning
 *     beyond ten minutes. getpeerinfo still shows each peer's own offset;
 *   - from the overflow audit: ban times read back from banlist.dat. */
#include "cli_runner.h"
#include "node/banman.h"
#include "node/store.h"
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 8000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

struct rpcd {
    struct daemon_proc d;
    uint16_t port;     /* P2P */
    char arg_datadir[200], arg_rpcport[32];
};

static void fail_with_log(const struct daemon_proc *d, const char *what)
{
    fprintf(stderr, "---- daemon log ----\n%s---- end ----\n", d->log ? d->log : "");
    fail_msg("%s", what);
}

/* listening: --connect turns listening off (as Core's -connect). root:
 * a data directory prepared by the test, or NULL for a fresh one. */
static void start_in(struct rpcd *r, const char *const *extra, bool listening, const char *root)
{
    char root_arg[160];
    const char *args[24] = {"--network=regtest", "--bind=127.0.0.1", "--port=0", "--log-level=debug",
                            "--rpcport=0", "--v2transport=0", "--dnsseed=0"};
    size_t n = 7;
    if (root) {
        snprintf(root_arg, sizeof root_arg, "--datadir=%s", root);
        args[n++] = root_arg;
        args[n++] = "--log-file=-";
    }
    for (size_t i = 0; extra && extra[i] && n < 23; i++) args[n++] = extra[i];
    args[n] = NULL;
    assert_true(root ? process_start_btcpeerd(&r->d, args) : daemon_start(&r->d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(&r->d, needle, WAIT_MS)) fail_with_log(&r->d, "no RPC server");
    snprintf(r->arg_rpcport, sizeof r->arg_rpcport, "-rpcport=%d",
             atoi(strstr(r->d.log, needle) + sizeof needle - 1));
    if (root) snprintf(r->arg_datadir, sizeof r->arg_datadir, "-datadir=%s", root);
    else snprintf(r->arg_datadir, sizeof r->arg_datadir, "-datadir=%s/data", r->d.datadir);
    if (!daemon_wait_log(&r->d, "RPC cookie written", WAIT_MS)) fail_with_log(&r->d, "no cookie");
    r->port = listening ? daemon_port(&r->d, WAIT_MS) : 0;
    if (listening && !r->port) fail_with_log(&r->d, "not listening");
}

static void start(struct rpcd *r, const char *const *extra, bool listening)
{
    start_in(r, extra, listening, NULL);
}

static void stop(struct rpcd *r)
{
    assert_int_equal(daemon_stop(&r->d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

/* The result of a call through btcpeerd-cli (the caller decrefs); NULL
 * for a null result, which the CLI prints as nothing. */
static json_t *rpc(struct rpcd *r, const char *method, const char *arg1, const char *arg2)
{
    const char *args[] = {r->arg_datadir, "-regtest", r->arg_rpcport, method, arg1, arg2, NULL};
    struct cli_run run;
    assert_true(cli_run(NULL, args, NULL, WAIT_MS, &run));
    if (run.status != 0) {
        fprintf(stderr, "cli %s: status %d\n%s\n%s\n", method, run.status, run.out, run.err);
        fail_with_log(&r->d, "RPC call failed");
    }
    json_error_t err;
    json_t *j = NULL;
    if (run.out[strspn(run.out, " \r\n")]) {
        j = json_loads(run.out, JSON_DECODE_ANY, &err);
        if (!j) fail_msg("not JSON: %s", run.out);
    }
    cli_run_free(&run);
    return j;
}

static json_int_t network_timeoffset(struct rpcd *r, size_t *n_warnings)
{
    json_t *ni = rpc(r, "getnetworkinfo", NULL, NULL);
    json_t *off = json_object_get(ni, "timeoffset");
    assert_true(json_is_integer(off));
    json_int_t v = json_integer_value(off);
    if (n_warnings) *n_warnings = json_array_size(json_object_get(ni, "warnings"));
    json_decref(ni);
    return v;
}

/* getpeerinfo's timeoffset of every peer, in id order; returns how many. */
static size_t peer_offsets(struct rpcd *r, json_int_t *out, bool *inbound, size_t cap)
{
    json_t *pi = rpc(r, "getpeerinfo", NULL, NULL);
    size_t n = 0, i;
    json_t *p;
    json_array_foreach(pi, i, p)
    {
        if (n == cap) break;
        out[n] = json_integer_value(json_object_get(p, "timeoffset"));
        inbound[n] = json_is_true(json_object_get(p, "inbound"));
        n++;
    }
    json_decref(pi);
    return n;
}

static void wait_log_count(struct rpcd *r, const char *needle, size_t want)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&r->d, needle) < want) {
        if (clock_mono_ms() > deadline) {
            char what[160];
            snprintf(what, sizeof what, "fewer than %zu '%s' lines", want, needle);
            fail_with_log(&r->d, what);
        }
        daemon_pump(&r->d, 50);
    }
}

/* The handshake with our version's timestamp chosen. initiator: we
 * connected to the daemon and speak first. */
static void handshake_at(struct sp *s, bool initiator, int64_t timestamp, uint64_t nonce)
{
    struct wire_msg v;
    sp_make_version(&v, nonce, 0);
    v.u.version.timestamp = timestamp;
    if (initiator) {
        assert_true(sp_send(s, &v));
        assert_true(sp_expect(s, WIRE_VERSION, NULL, WAIT_MS));
    } else {
        assert_true(sp_expect(s, WIRE_VERSION, NULL, WAIT_MS));
        assert_true(sp_send(s, &v));
    }
    assert_true(sp_send_empty(s, WIRE_VERACK));
    assert_true(sp_expect(s, WIRE_VERACK, NULL, WAIT_MS));
}

/* An inbound peer's READY has reached the node once the node answered the
 * getaddr it sent after the handshake (the node's queue is FIFO). */
static void inbound_ready(struct rpcd *r, struct sp *s, size_t nth)
{
    assert_true(sp_send_empty(s, WIRE_GETADDR));
    wait_log_count(r, "getaddr: answered", nth);
}

/* ---- item 1: the extremes of the version timestamp ---- */

static void test_version_time_extremes_keep_the_daemon_up(void **state)
{
    (void)state;
    struct rpcd r;
    start(&r, NULL, true);
    struct sp lo, hi;
    int64_t before = clock_unix_s(); /* the daemon reads its clock between these two */
    assert_true(sp_connect(&lo, r.port, magic()));
    handshake_at(&lo, true, INT64_MIN, 11);
    inbound_ready(&r, &lo, 1);
    assert_true(sp_connect(&hi, r.port, magic()));
    handshake_at(&hi, true, INT64_MAX, 12);
    inbound_ready(&r, &hi, 2);

    /* Still answering: both peers ping-pong, and RPC works. */
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 77};
    struct wire_msg pong;
    assert_true(sp_send(&lo, &ping));
    assert_true(sp_expect(&lo, WIRE_PONG, &pong, WAIT_MS));
    assert_true(pong.u.ping.nonce == 77);
    assert_true(sp_send(&hi, &ping));
    assert_true(sp_expect(&hi, WIRE_PONG, &pong, WAIT_MS));

    json_int_t off[4];
    bool in[4];
    assert_int_equal(peer_offsets(&r, off, in, 4), 2);
    int64_t after = clock_unix_s();
    /* INT64_MIN is read as time 0, as Core: the offset is minus our clock. */
    assert_true(off[0] >= -after && off[0] <= -before);
    /* INT64_MAX is capped at the last uint32 time (2106), not 9.2e18. */
    assert_true(off[1] >= (json_int_t)UINT32_MAX - after && off[1] <= (json_int_t)UINT32_MAX - before);
    /* Inbound: neither moves the network's offset. */
    size_t warnings;
    assert_true(network_timeoffset(&r, &warnings) == 0);
    assert_int_equal(warnings, 0);
    sp_close(&lo);
    sp_close(&hi);
    stop(&r);
}

/* ---- item 6: whose clocks count ---- */

static void test_inbound_peers_do_not_set_timeoffset(void **state)
{
    (void)state;
    struct rpcd r;
    start(&r, NULL, true);
    struct sp a, b;
    int64_t claim = clock_unix_s() + 1000000000;
    assert_true(sp_connect(&a, r.port, magic()));
    handshake_at(&a, true, claim, 21);
    inbound_ready(&r, &a, 1);
    assert_true(sp_connect(&b, r.port, magic()));
    handshake_at(&b, true, claim, 22);
    inbound_ready(&r, &b, 2);

    json_int_t off[4];
    bool in[4];
    assert_int_equal(peer_offsets(&r, off, in, 4), 2);
    /* each peer's own offset is still shown */
    assert_true(in[0] && in[1]);
    assert_true(off[0] > 999990000 && off[1] > 999990000);
    size_t warnings;
    assert_true(network_timeoffset(&r, &warnings) == 0);
    assert_int_equal(warnings, 0);
    assert_int_equal(daemon_log_count(&r.d, "clock sample"), 0);
    assert_int_equal(daemon_log_count(&r.d, "clock out of sync"), 0);
    sp_close(&a);
    sp_close(&b);
    stop(&r);
}

/* ---- the audit: times read back from banlist.dat ---- */

/* A ban created at INT64_MIN and lasting to INT64_MAX, as a damaged or
 * hostile banlist.dat may say: listbanned's ban_duration was
 * `until - created`, an overflow (UBSan aborted the daemon on the RPC). */
static void test_banlist_extreme_times_listed(void **state)
{
    (void)state;
    char root[] = "/tmp/btcpeerd-it-XXXXXX", dir[64], path[96];
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof dir, "%s/regtest", root);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/banlist.dat", dir);
    struct banman *bm = banman_new();
    struct netaddr_subnet sn;
    assert_true(netaddr_subnet_parse("203.0.113.7", &sn));
    assert_int_equal(banman_ban(bm, &sn, INT64_MAX, INT64_MIN), BANMAN_OK);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(banman_serialize(bm, &w), BANMAN_OK);
    assert_int_equal(store_write_atomic(path, w.data, w.len), STORE_OK);
    buf_writer_free(&w);
    banman_free(bm);

    struct rpcd r;
    start_in(&r, NULL, true, root);
    json_t *bans = rpc(&r, "listbanned", NULL, NULL);
    assert_int_equal(json_array_size(bans), 1);
    json_t *b = json_array_get(bans, 0);
    assert_true(json_integer_value(json_object_get(b, "ban_created")) == INT64_MIN);
    assert_true(json_integer_value(json_object_get(b, "banned_until")) == INT64_MAX);
    assert_true(json_integer_value(json_object_get(b, "ban_duration")) == INT64_MAX); /* saturated */
    assert_true(json_integer_value(json_object_get(b, "time_remaining")) > 0);
    json_decref(bans);
    /* and it still answers */
    json_decref(rpc(&r, "getnetworkinfo", NULL, NULL));
    stop(&r);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

#define N_OUT 5

static void test_five_outbound_peers_set_timeoffset_and_warn(void **state)
{
    (void)state;
    int lfd[N_OUT];
    uint16_t lport[N_OUT];
    char connect[N_OUT][48];
    const char *extra[N_OUT + 1];
    for (size_t i = 0; i < N_OUT; i++) {
        lfd[i] = sp_listen(&lport[i]);
        assert_true(lfd[i] >= 0);
        snprintf(connect[i], sizeof connect[i], "--connect=127.0.0.1:%u", lport[i]);
        extra[i] = connect[i];
    }
    /* the fifth is added later, by RPC */
    extra[N_OUT - 1] = NULL;
    struct rpcd r;
    start(&r, extra, false);

    /* One hour ahead: an outbound sample each, but four are not enough. */
    struct sp out[N_OUT];
    for (size_t i = 0; i < N_OUT - 1; i++) {
        assert_true(sp_accept(&out[i], lfd[i], magic(), WAIT_MS));
        handshake_at(&out[i], false, clock_unix_s() + 3600, 100 + i);
    }
    wait_log_count(&r, "clock sample", N_OUT - 1);
    size_t warnings;
    assert_true(network_timeoffset(&r, &warnings) == 0);
    assert_int_equal(warnings, 0);
    assert_int_equal(daemon_log_count(&r.d, "clock out of sync"), 0);

    /* The fifth makes a median: an hour, and the warning. */
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%u", lport[N_OUT - 1]);
    assert_null(rpc(&r, "addnode", target, "add"));
    assert_true(sp_accept(&out[N_OUT - 1], lfd[N_OUT - 1], magic(), WAIT_MS));
    handshake_at(&out[N_OUT - 1], false, clock_unix_s() + 3600, 200);
    wait_log_count(&r, "clock sample", N_OUT);
    wait_log_count(&r, "clock out of sync", 1);

    /* The network's offset is the median of the outbound peers' own. */
    json_int_t off[N_OUT + 1];
    bool in[N_OUT + 1];
    assert_int_equal(peer_offsets(&r, off, in, N_OUT + 1), N_OUT);
    json_int_t sorted[N_OUT];
    for (size_t i = 0; i < N_OUT; i++) {
        assert_false(in[i]);
        assert_true(off[i] >= 3590 && off[i] <= 3610); /* an hour, give or take the test's own seconds */
        sorted[i] = off[i];
    }
    for (size_t i = 0; i < N_OUT; i++)
        for (size_t j = i + 1; j < N_OUT; j++)
            if (sorted[j] < sorted[i]) {
                json_int_t t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
    assert_true(network_timeoffset(&r, &warnings) == sorted[N_OUT / 2]);
    assert_int_equal(warnings, 1);

    for (size_t i = 0; i < N_OUT; i++) {
        sp_close(&out[i]);
        close(lfd[i]);
    }
    stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_time_extremes_keep_the_daemon_up),
        cmocka_unit_test(test_inbound_peers_do_not_set_timeoffset),
        cmocka_unit_test(test_five_outbound_peers_set_timeoffset_and_warn),
        cmocka_unit_test(test_banlist_extreme_times_listed),
    };
    return test_run_group(tests);
}
