/* Header sync end to end: a btcpeerd syncs a synthetic regtest chain from a
 * scripted peer in 2,000-header batches, keeps it in headers.dat across a
 * restart (a torn tail cut), rejects a chain with bad proof of work in the
 * middle, serves getheaders, and a second btcpeerd syncs from the first and
 * follows its new tip through an announcement. */
#include "aftermath.h"
#include "harness.h"
#include "header_chain.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 20000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

struct synced {
    struct daemon_proc d;
    char dir[32];
    uint16_t port; /* its listening port */
};

/* A daemon (keeping its data in dir) connected to a scripted server of c. */
static void start_and_sync(struct synced *s, const struct header_chain *c, int32_t expect_height)
{
    uint16_t sp_port;
    int lfd = sp_listen(&sp_port);
    assert_true(lfd >= 0);
    char connect[48], datadir[64], port_arg[32];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", sp_port);
    snprintf(datadir, sizeof datadir, "--datadir=%s", s->dir);
    s->port = free_port();
    snprintf(port_arg, sizeof port_arg, "--port=%u", s->port);
    const char *args[] = {"--network=regtest", connect, "--listen=1", "--bind=127.0.0.1", port_arg,
                          datadir, "--log-file=-", NULL};
    assert_true(process_start_btcpeerd(&s->d, args));
    struct sp srv;
    assert_true(sp_accept(&srv, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&srv, false, NULL, WAIT_MS));
    assert_true(header_chain_serve(&srv, c, 300, WAIT_MS) >= 1);
    char needle[64];
    snprintf(needle, sizeof needle, "caught up at height %d", expect_height);
    if (!daemon_wait_log(&s->d, needle, WAIT_MS)) fail_msg("no '%s' in:\n%s", needle, s->d.log);
    sp_close(&srv);
    close(lfd);
}

static void make_dir(char dir[32])
{
    strcpy(dir, "/tmp/btcpeerd-it-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_sync_store_restart_and_torn_tail(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, 5000, 0);
    struct synced s;
    make_dir(s.dir);
    start_and_sync(&s, &c, 5000);
    assert_non_null(strstr(s.d.log, "header sync progress="));
    char tip[65];
    hex_encode_rev(c.hashes[5000], 32, tip);
    assert_non_null(strstr(s.d.log, tip));
    assert_int_equal(daemon_stop(&s.d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&s.d);

    /* a crash mid-write leaves a torn record: cut on the next start */
    char path[96];
    snprintf(path, sizeof path, "%s/regtest/headers.dat", s.dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (5000 + 2) * 80); /* two checkpoints */
    assert_int_equal(truncate(path, (5000 + 2) * 80 - 30), 0);
    char datadir[64];
    snprintf(datadir, sizeof datadir, "--datadir=%s", s.dir);
    const char *args[] = {"--network=regtest", "--listen=0", "--max-outbound=0", "--dnsseed=0", datadir,
                          "--log-file=-", NULL};
    assert_true(process_start_btcpeerd(&s.d, args));
    assert_true(daemon_wait_log(&s.d, "cut a torn tail of 50 bytes", WAIT_MS));
    assert_true(daemon_wait_log(&s.d, "loaded 4999 headers from headers.dat", WAIT_MS));
    assert_true(daemon_wait_log(&s.d, "2 checkpoints agreed", WAIT_MS));
    assert_int_equal(daemon_stop(&s.d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&s.d);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (4999 + 2) * 80);
    remove_dir(s.dir);
    header_chain_free(&c);
}

static void test_bad_pow_in_the_middle_rejected(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, 3000, 1500);
    struct synced s;
    make_dir(s.dir);
    uint16_t sp_port;
    int lfd = sp_listen(&sp_port);
    char connect[48], datadir[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", sp_port);
    snprintf(datadir, sizeof datadir, "--datadir=%s", s.dir);
    /* listening too, so the aftermath check can connect */
    const char *args[] = {"--network=regtest", connect, datadir, "--log-file=-", "--listen=1",
                          "--bind=127.0.0.1", "--port=0", NULL};
    assert_true(process_start_btcpeerd(&s.d, args));
    uint16_t port = daemon_port(&s.d, WAIT_MS);
    assert_true(port != 0);
    struct rss_mark mark;
    aftermath_baseline(&s.d, port, &mark);
    struct sp srv;
    assert_true(sp_accept(&srv, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&srv, false, NULL, WAIT_MS));
    header_chain_serve(&srv, &c, 300, WAIT_MS);
    assert_true(daemon_wait_log(&s.d, "invalid header", WAIT_MS));
    /* a --connect peer: forgiven, not disconnected (Core v28+) */
    assert_true(daemon_wait_log(&s.d, "not_punished=manual", WAIT_MS));
    char hash[65];
    hex_encode_rev(c.hashes[1500], 32, hash);
    assert_non_null(strstr(s.d.log, hash));
    sp_close(&srv);
    close(lfd);
    aftermath_check(&s.d, port, &mark, "bad-pow-mid-chain");
    assert_int_equal(daemon_stop(&s.d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&s.d);
    remove_dir(s.dir);
    header_chain_free(&c);
}

static void test_serves_getheaders_and_a_second_daemon_syncs_and_follows(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, 4100, 0);
    struct header_chain shorter = c;
    shorter.count = 4001; /* A first learns 4,000; 4,100 comes later */
    struct synced a;
    make_dir(a.dir);
    uint16_t sp_port;
    int lfd = sp_listen(&sp_port);
    char connect[48], datadir[64], port_arg[32];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", sp_port);
    snprintf(datadir, sizeof datadir, "--datadir=%s", a.dir);
    a.port = free_port();
    snprintf(port_arg, sizeof port_arg, "--port=%u", a.port);
    const char *args[] = {"--network=regtest", connect, "--listen=1", "--bind=127.0.0.1", port_arg,
                          datadir, "--log-file=-", NULL};
    assert_true(process_start_btcpeerd(&a.d, args));
    struct sp srv;
    assert_true(sp_accept(&srv, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&srv, false, NULL, WAIT_MS));
    header_chain_serve(&srv, &shorter, 300, WAIT_MS);
    assert_true(daemon_wait_log(&a.d, "caught up at height 4000", WAIT_MS));

    /* getheaders from genesis: 2,000; with a stop hash at 10: ten */
    struct sp q;
    assert_true(sp_connect(&q, a.port, magic()));
    assert_true(sp_handshake(&q, true, NULL, WAIT_MS));
    uint8_t loc[1][32];
    memcpy(loc[0], c.hashes[0], 32);
    struct wire_msg gh = {.type = WIRE_GETHEADERS, .u.locator = {.version = PROTOCOL_VERSION, .count = 1, .hashes = loc}};
    assert_true(sp_send(&q, &gh));
    struct wire_msg got;
    assert_true(sp_expect(&q, WIRE_HEADERS, &got, WAIT_MS));
    assert_int_equal(got.u.headers.count, 2000);
    uint8_t h[32];
    wire_header_hash(&got.u.headers.headers[1999], h);
    assert_memory_equal(h, c.hashes[2000], 32);
    wire_msg_free(&got);
    memcpy(gh.u.locator.hash_stop, c.hashes[10], 32);
    assert_true(sp_send(&q, &gh));
    assert_true(sp_expect(&q, WIRE_HEADERS, &got, WAIT_MS));
    assert_int_equal(got.u.headers.count, 10);
    wire_msg_free(&got);
    sp_close(&q);

    /* B syncs from A */
    struct daemon_proc b;
    char connect_a[48];
    snprintf(connect_a, sizeof connect_a, "--connect=127.0.0.1:%u", a.port);
    const char *bargs[] = {"--network=regtest", connect_a, NULL};
    assert_true(daemon_start(&b, bargs));
    assert_true(daemon_wait_log(&b, "caught up at height 4000", WAIT_MS));

    /* the server announces 100 more to A; A follows, and tells B */
    struct wire_msg ann = {.type = WIRE_HEADERS, .u.headers = {.count = 100, .headers = c.headers + 4001}};
    assert_true(sp_send(&srv, &ann));
    char tip[65];
    hex_encode_rev(c.hashes[4100], 32, tip);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    /* B learns of A's new tip (a headers announcement) and asks for it */
    while (clock_mono_ms() < deadline && !strstr(b.log ? b.log : "", "height=4100")) {
        daemon_pump(&b, 50);
        daemon_pump(&a.d, 10);
    }
    if (!strstr(b.log ? b.log : "", "height=4100")) fail_msg("B did not follow:\n%s\nA:\n%s", b.log, a.d.log);
    sp_close(&srv);
    close(lfd);
    assert_int_equal(daemon_stop(&b, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&b);
    assert_int_equal(daemon_stop(&a.d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&a.d);
    remove_dir(a.dir);
    header_chain_free(&c);
}

/* The first sync peer never answers: after the stall timeout the daemon
 * moves to the other peer and finishes there. */
static void test_stalled_sync_peer_replaced(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, 2500, 0);
    uint16_t p1, p2;
    int l1 = sp_listen(&p1), l2 = sp_listen(&p2);
    char c1[48], c2[48];
    snprintf(c1, sizeof c1, "--connect=127.0.0.1:%u", p1);
    snprintf(c2, sizeof c2, "--connect=127.0.0.1:%u", p2);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", c1, c2, "--sync-stall-timeout=0.5", NULL};
    assert_true(daemon_start(&d, args));
    struct sp s1, s2;
    assert_true(sp_accept(&s1, l1, magic(), WAIT_MS));
    assert_true(sp_accept(&s2, l2, magic(), WAIT_MS));
    assert_true(sp_handshake(&s1, false, NULL, WAIT_MS));
    assert_true(sp_handshake(&s2, false, NULL, WAIT_MS));
    /* whoever is asked first stays silent; the other serves */
    struct wire_msg m;
    struct sp *silent = NULL, *server = NULL;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (!silent && clock_mono_ms() < deadline) {
        if (sp_recv(&s1, &m, 20) == SP_FRAME) {
            if (m.type == WIRE_GETHEADERS) silent = &s1, server = &s2;
            wire_msg_free(&m);
        } else if (sp_recv(&s2, &m, 20) == SP_FRAME) {
            if (m.type == WIRE_GETHEADERS) silent = &s2, server = &s1;
            wire_msg_free(&m);
        }
    }
    assert_non_null(silent);
    assert_true(header_chain_serve(server, &c, 300, WAIT_MS) >= 2);
    assert_true(daemon_wait_log(&d, "header sync stalled: switching peer", WAIT_MS));
    assert_true(daemon_wait_log(&d, "caught up at height 2500", WAIT_MS));
    sp_close(&s1);
    sp_close(&s2);
    close(l1);
    close(l2);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_store_restart_and_torn_tail),
        cmocka_unit_test(test_bad_pow_in_the_middle_rejected),
        cmocka_unit_test(test_serves_getheaders_and_a_second_daemon_syncs_and_follows),
        cmocka_unit_test(test_stalled_sync_peer_replaced),
    };
    return test_run_group(tests);
}
