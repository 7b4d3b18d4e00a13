/* --asmap with real daemons on 127.0.0.0/8 (--test-local-groups makes
 * loopback addresses routable for grouping, and looked up in the map, so a
 * test map can place 127.x prefixes in ASes): two addresses in different
 * /16s of one AS get one outbound connection between them, where without
 * the map each gets one; a missing, empty or corrupt map stops the daemon
 * with exit status 2 and a message; a restart with another map re-buckets
 * peers.dat. Every assertion waits for an event (a log line, an RPC
 * answer), none for a duration. */
#include "asmap_build.h"
#include "harness.h"
#include "listener.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/asmap.h>
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
#include <unistd.h>

#define WAIT_MS 8000
#define N_LISTENERS 3

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/btcpeerd-asmap-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A map file of these entries in tmpdir; its path in out, its checksum
 * (as the log prints it) in hex. */
static void write_map(const char *name, const struct asmap_entry *e, size_t n, char out[128],
                      char hex[ASMAP_CHECKSUM_HEX_LEN + 1])
{
    size_t len;
    uint8_t *b = asmap_build(e, n, &len);
    assert_non_null(b);
    struct asmap *m = NULL;
    assert_int_equal(asmap_new(b, len, &m), ASMAP_OK);
    asmap_checksum_hex(m, hex);
    asmap_free(m);
    snprintf(out, 128, "%s/%s", tmpdir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(b);
}

static void write_bytes(const char *name, const void *data, size_t len, char out[128])
{
    snprintf(out, 128, "%s/%s", tmpdir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}


static void add_address(const struct rpc_daemon *r, const char *ip, uint16_t port)
{
    json_t *reply = rpc_call(r, "addpeeraddress", json_pack("[s,i]", ip, port));
    assert_true(json_is_true(json_object_get(rpc_result(reply), "success")));
    json_decref(reply);
}

/* Accept and handshake the next connection to any listener; its index. */
static int accept_next(struct listener *ls, struct sp *s, const struct rpc_daemon *r)
{
    struct pollfd p[N_LISTENERS];
    for (size_t i = 0; i < N_LISTENERS; i++) p[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
    if (poll(p, N_LISTENERS, WAIT_MS) <= 0) fail_msg("no connection came; log:\n%s", r->d.log);
    for (int i = 0; i < N_LISTENERS; i++) {
        if (!(p[i].revents & POLLIN)) continue;
        assert_true(sp_accept(s, ls[i].fd, netparams_get(NET_REGTEST)->magic, WAIT_MS));
        assert_true(sp_handshake(s, false, NULL, WAIT_MS));
        return i;
    }
    return -1;
}

static size_t peer_count(const struct rpc_daemon *r)
{
    json_t *reply = rpc_call(r, "getpeerinfo", json_array());
    size_t n = json_array_size(rpc_result(reply));
    json_decref(reply);
    return n;
}

/* After both connections: one more full selection round that found no
 * candidate, with every address known (the round's debug line). */
static void wait_round_without_candidates(struct rpc_daemon *r, size_t have)
{
    char needle[64];
    snprintf(needle, sizeof needle, "outbound %zu of 3: no more candidates now", have);
    size_t before = daemon_log_count(&r->d, needle);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&r->d, needle) <= before && clock_mono_ms() < deadline) daemon_pump(&r->d, 20);
    if (daemon_log_count(&r->d, needle) <= before) fail_msg("no round ended with '%s':\n%s", needle, r->d.log);
}

/* 127.61/16 and 127.62/16 in AS 64501, 127.63/16 in AS 64502. */
static void test_one_outbound_per_as(void **state)
{
    (void)state;
    struct asmap_entry e[] = {asmap_entry_v4(127, 61, 0, 0, 16, 64501),
                              asmap_entry_v4(127, 62, 0, 0, 16, 64501),
                              asmap_entry_v4(127, 63, 0, 0, 16, 64502)};
    char map[128], hex[ASMAP_CHECKSUM_HEX_LEN + 1], opt[160];
    write_map("diversity.map", e, 3, map, hex);
    snprintf(opt, sizeof opt, "--asmap=%s", map);

    for (int with_map = 1; with_map >= 0; with_map--) {
        struct listener ls[N_LISTENERS];
        listener_open(&ls[0], "127.61.0.1");
        listener_open(&ls[1], "127.62.0.1");
        listener_open(&ls[2], "127.63.0.1");
        const char *extra[] = {"--test-local-groups", "--max-outbound=3", "--max-blockrelay=0",
                               "--dnsseed=0", with_map ? opt : NULL, NULL};
        struct rpc_daemon r;
        rpc_daemon_start(&r, extra);
        char line[160];
        if (with_map) {
            snprintf(line, sizeof line, "Opened asmap file %s (", map);
            assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
            snprintf(line, sizeof line, "using asmap %s for IP bucketing", hex);
            assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
        } else {
            assert_true(daemon_wait_log(&r.d, "using /16 prefix for IP bucketing", WAIT_MS));
        }
        json_t *reply = rpc_call(&r, "getnetworkinfo", json_array());
        json_t *asmap = json_object_get(rpc_result(reply), "asmap");
        if (with_map)
            assert_string_equal(json_string_value(asmap), hex);
        else
            assert_null(asmap); /* bitcoind's keys only */
        json_decref(reply);
        for (size_t i = 0; i < N_LISTENERS; i++) add_address(&r, ls[i].ip, ls[i].port);

        struct sp s[N_LISTENERS];
        bool got[N_LISTENERS] = {false};
        size_t want = with_map ? 2 : 3;
        for (size_t k = 0; k < want; k++) {
            int i = accept_next(ls, &s[k], &r);
            assert_true(i >= 0 && !got[i]);
            got[i] = true;
        }
        if (with_map) {
            /* one of the AS 64501 pair, and the AS 64502 one */
            assert_true(got[2]);
            assert_true(got[0] != got[1]);
            wait_round_without_candidates(&r, 2);
            assert_int_equal(peer_count(&r), 2);
            assert_int_equal(daemon_log_count(&r.d, "connecting addr=127.6"), 2);
            reply = rpc_call(&r, "getpeerinfo", json_array());
            size_t i;
            json_t *p;
            json_array_foreach(rpc_result(reply), i, p) {
                const char *addr = json_string_value(json_object_get(p, "addr"));
                json_int_t as = json_integer_value(json_object_get(p, "mapped_as"));
                assert_int_equal(as, strncmp(addr, "127.63.", 7) == 0 ? 64502 : 64501);
            }
            json_decref(reply);
        } else {
            /* the control: by /16 all three are different groups */
            assert_int_equal(peer_count(&r), 3);
            reply = rpc_call(&r, "getpeerinfo", json_array());
            size_t i;
            json_t *p;
            json_array_foreach(rpc_result(reply), i, p) assert_null(json_object_get(p, "mapped_as"));
            json_decref(reply);
        }
        for (size_t k = 0; k < want; k++) sp_close(&s[k]);
        for (size_t i = 0; i < N_LISTENERS; i++) close(ls[i].fd);
        rpc_daemon_stop(&r);
    }
}

static void expect_exit_2(const char *map_path, const char *why)
{
    char datadir[128], opt[160];
    snprintf(datadir, sizeof datadir, "--datadir=%s/bad", tmpdir);
    snprintf(opt, sizeof opt, "--asmap=%s", map_path);
    const char *args[] = {"--network=regtest", datadir, "--listen=0", "--dnsseed=0", opt, NULL};
    char *out = NULL;
    int rc = run_btcpeerd(args, &out, 5000);
    if (rc != 2 || !strstr(out, "cannot use asmap file") || !strstr(out, map_path) || !strstr(out, why))
        fail_msg("exit %d, output:\n%s", rc, out);
    free(out);
}

static void test_bad_map_is_a_startup_error(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/absent.map", tmpdir);
    expect_exit_2(path, "no such file");
    expect_exit_2(tmpdir, "not a regular file"); /* a directory */
    write_bytes("empty.map", "", 0, path);
    expect_exit_2(path, "the file is empty");
    static const uint8_t padded[] = {0x00, 0x00, 0x80}; /* a padding bit set */
    write_bytes("padded.map", padded, sizeof padded, path);
    expect_exit_2(path, "sanity check failed");
    /* a valid map cut by one byte */
    struct asmap_entry e[] = {asmap_entry_v4(127, 1, 0, 0, 16, 1), asmap_entry_v4(127, 2, 0, 0, 16, 2)};
    size_t len;
    uint8_t *b = asmap_build(e, 2, &len);
    assert_non_null(b);
    write_bytes("cut.map", b, len - 1, path);
    free(b);
    expect_exit_2(path, "sanity check failed");
}

static void start_with(struct rpc_daemon *r, const char *dir, const char *map, bool has_file)
{
    char opt[160];
    snprintf(opt, sizeof opt, "--asmap=%s", map ? map : "");
    const char *extra[] = {"--test-local-groups", "--max-outbound=0", "--max-blockrelay=0",
                           "--dnsseed=0", map ? opt : NULL, NULL};
    rpc_daemon_start_in(r, dir, extra);
    assert_true(daemon_wait_log(&r->d, "for IP bucketing", WAIT_MS));
    if (has_file && !daemon_wait_log(&r->d, "from peers.dat", WAIT_MS))
        fail_msg("peers.dat not loaded:\n%s", r->d.log);
}

static void stop(struct rpc_daemon *r)
{
    assert_int_equal(daemon_stop(&r->d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

/* Map A: ten /16s, each its own AS; map B: all of 127/8 one AS. */
static void test_restart_with_another_map_rebuckets(void **state)
{
    (void)state;
    struct asmap_entry ea[10];
    for (unsigned i = 0; i < 10; i++) ea[i] = asmap_entry_v4(127, (uint8_t)(20 + i * 10), 0, 0, 16, 65000 + i);
    struct asmap_entry eb[] = {asmap_entry_v4(127, 0, 0, 0, 8, 64501)};
    char map_a[128], map_b[128], hex_a[ASMAP_CHECKSUM_HEX_LEN + 1], hex_b[ASMAP_CHECKSUM_HEX_LEN + 1];
    write_map("a.map", ea, 10, map_a, hex_a);
    write_map("b.map", eb, 1, map_b, hex_b);
    char dir[128], line[256];
    snprintf(dir, sizeof dir, "%s/restart", tmpdir);

    struct rpc_daemon r;
    start_with(&r, dir, map_a, false);
    for (unsigned i = 0; i < 10; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.%u.0.1", 20 + i * 10);
        add_address(&r, ip, 18444);
    }
    stop(&r);

    /* map B: the file was bucketed with A, every entry is placed again */
    start_with(&r, dir, map_b, true);
    snprintf(line, sizeof line,
             "bucketing method was updated (peers.dat asmap %s, now %s): re-bucketed", hex_a, hex_b);
    if (!daemon_wait_log(&r.d, line, WAIT_MS)) fail_msg("no '%s' in:\n%s", line, r.d.log);
    snprintf(line, sizeof line, "using asmap %s for IP bucketing", hex_b);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    stop(&r);

    /* map B again: the file names B now, nothing to do */
    start_with(&r, dir, map_b, true);
    assert_int_equal(daemon_log_count(&r.d, "bucketing method was updated"), 0);
    stop(&r);

    /* no map: back to /16 */
    start_with(&r, dir, NULL, true);
    snprintf(line, sizeof line, "bucketing method was updated (peers.dat asmap %s, now none (/16 prefix))", hex_b);
    if (!daemon_wait_log(&r.d, line, WAIT_MS)) fail_msg("no '%s' in:\n%s", line, r.d.log);
    assert_true(daemon_wait_log(&r.d, "using /16 prefix for IP bucketing", WAIT_MS));
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_outbound_per_as, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_map_is_a_startup_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_with_another_map_rebuckets, setup, teardown),
    };
    return test_run_group(tests);
}
