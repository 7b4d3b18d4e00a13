/* Saving peers.dat off the event loop: while a save is stuck in the disk
 * the daemon goes on serving peers; a save that fails is logged and leaves
 * the old file as it was; and at shutdown the last save is waited for (it
 * holds what came last, and is logged before "shutdown complete").
 *
 * "Stuck in the disk" without timing: peers.dat.tmp is made a FIFO before
 * the save, so the writer's open() of it blocks until this test opens the
 * other end; it then gets the whole file through the FIFO, and its fsync
 * fails (EINVAL: a FIFO cannot be synced), as a failing disk would. */
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include "node/addrman.h"
#include "node/store.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned wait_ms = 15000; /* BTCPEERD_TEST_WAIT_MS */

struct dirs {
    char root[64];     /* the data directory */
    char files[96];    /* root/regtest */
    char peers[128], tmp[136];
};

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

static void make_dirs(struct dirs *k)
{
    const char *w = getenv("BTCPEERD_TEST_WAIT_MS");
    if (w) wait_ms = (unsigned)strtoul(w, NULL, 10);
    snprintf(k->root, sizeof k->root, "/tmp/btcpeerd-it-XXXXXX");
    assert_non_null(mkdtemp(k->root));
    snprintf(k->files, sizeof k->files, "%s/regtest", k->root);
    assert_int_equal(mkdir(k->files, 0700), 0);
    snprintf(k->peers, sizeof k->peers, "%s/peers.dat", k->files);
    snprintf(k->tmp, sizeof k->tmp, "%s.tmp", k->peers);
}

static void remove_dirs(struct dirs *k)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->root);
    assert_int_equal(system(cmd), 0);
}

static void start(struct dirs *k, struct daemon_proc *d, uint16_t *port)
{
    char datadir[96];
    snprintf(datadir, sizeof datadir, "--datadir=%s", k->root);
    const char *args[] = {"--network=regtest", datadir, "--log-file=-", "--log-level=debug",
                          "--bind=127.0.0.1", "--port=0", "--listen=1", "--server=0",
                          "--max-outbound=0", "--dnsseed=0", "--v2transport=0",
                          "--test-save-interval=0.02", NULL};
    assert_true(process_start_btcpeerd(d, args));
    *port = daemon_port(d, wait_ms);
    assert_true(*port != 0);
}

/* Wait for needle to appear after offset `after` of the log. */
static bool wait_after(struct daemon_proc *d, size_t after, const char *needle)
{
    uint64_t deadline = clock_mono_ms() + wait_ms;
    for (;;) {
        if (d->log && d->log_len > after && strstr(d->log + after, needle)) return true;
        if (clock_mono_ms() >= deadline) return false;
        daemon_pump(d, 20);
    }
}

static struct wire_netaddr address(uint8_t n)
{
    struct wire_netaddr a = {.net = WIRE_NET_IPV4, .port = 8333, .time = (uint32_t)clock_unix_s(),
                             .services = NODE_NETWORK | NODE_WITNESS};
    a.addr[0] = 20;
    a.addr[1] = n;
    a.addr[2] = 1;
    a.addr[3] = 1;
    return a;
}

/* An inbound peer from 127.70.0.n that brings address(n) (its one token)
 * and stays until the node took it; then a ping of ours is answered. */
static void gift_address(struct daemon_proc *d, uint16_t port, uint8_t n)
{
    struct sp s;
    char ip[32];
    snprintf(ip, sizeof ip, "127.70.0.%u", n);
    assert_true(sp_connect_from(&s, ip, port, magic()));
    assert_true(sp_handshake(&s, true, NULL, wait_ms));
    size_t mark = d->log_len;
    struct wire_netaddr a = address(n);
    struct wire_msg m = {.type = WIRE_ADDR, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(&s, &m));
    assert_true(wait_after(d, mark, "addr: 1 accepted"));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = 4200u + n}}, pong;
    assert_true(sp_send(&s, &ping));
    assert_true(sp_expect(&s, WIRE_PONG, &pong, wait_ms));
    assert_int_equal(pong.u.ping.nonce, 4200u + n);
    sp_close(&s);
}

/* The FIFO at path.tmp, made between two saves (a save's own temporary
 * file may be there for a moment). */
static void plant_fifo(const char *path)
{
    uint64_t deadline = clock_mono_ms() + wait_ms;
    while (mkfifo(path, 0600) != 0) {
        assert_int_equal(errno, EEXIST);
        assert_true(clock_mono_ms() < deadline);
    }
}

/* Open the FIFO's reading end (which lets the writer's open go on) and
 * take all it writes, up to its close. */
static uint8_t *drain_fifo(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct buf_writer w;
    buf_writer_init(&w);
    uint8_t chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        assert_true(n > 0);
        buf_write_bytes(&w, chunk, (size_t)n);
    }
    close(fd);
    return buf_writer_steal(&w, len);
}

/* A peers.dat the daemon took for its file (a sealed envelope): how many
 * addresses it holds. */
static size_t peers_dat_count(const uint8_t *data, size_t len)
{
    const uint8_t *body;
    size_t n;
    assert_int_equal(store_envelope_open(data, len, "BTPA", 2, &body, &n), STORE_ENVELOPE_OK); /* version 2: with the asmap checksum */
    struct addrman *am = addrman_new(NULL, true);
    assert_int_equal(addrman_deserialize(am, data, len), ADDRMAN_OK);
    size_t count = addrman_size(am);
    addrman_free(am);
    return count;
}

static void assert_peers_dat(const uint8_t *data, size_t len, size_t want_addresses)
{
    assert_int_equal(peers_dat_count(data, len), want_addresses);
}

static void check_clean_log(const struct daemon_proc *d)
{
    if (strstr(d->log, "AddressSanitizer") || strstr(d->log, "runtime error") ||
        strstr(d->log, "ThreadSanitizer"))
        fail_msg("%s", d->log);
}

static void test_loop_serves_while_a_save_is_stuck_and_a_failed_save_keeps_the_file(void **state)
{
    (void)state;
    struct dirs k;
    make_dirs(&k);
    /* The file a first run left: one address. */
    struct addrman *am = addrman_new(NULL, true);
    struct wire_netaddr first = address(1);
    assert_true(addrman_add(am, &first, &first, 0, clock_unix_s()));
    struct buf_writer old;
    buf_writer_init(&old);
    assert_int_equal(addrman_serialize(am, &old), ADDRMAN_OK);
    addrman_free(am);
    FILE *f = fopen(k.peers, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(old.data, 1, old.len, f), old.len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(mkfifo(k.tmp, 0600), 0);

    struct daemon_proc d;
    uint16_t port;
    start(&k, &d, &port);
    assert_true(daemon_wait_log(&d, "loaded 1 addresses", wait_ms));
    /* The first save is stuck opening the FIFO; the loop is not: its save
     * timer still runs, and a peer is served from handshake to pong. */
    assert_true(daemon_wait_log(&d, "save skipped reason=last-save-unfinished", wait_ms));
    gift_address(&d, port, 2);
    assert_null(strstr(d.log, "saved peers.dat"));
    assert_null(strstr(d.log, "cannot write"));

    /* Let it go: the writer had the whole file (one address: it was taken
     * before the gift), then its fsync fails. */
    size_t mark = d.log_len, len;
    uint8_t *got = drain_fifo(k.tmp, &len);
    assert_peers_dat(got, len, 1);
    free(got);
    assert_true(wait_after(&d, mark, "peers.dat: io-error"));
    assert_true(wait_after(&d, mark, "the old file is kept"));
    size_t now_len;
    uint8_t *now = test_read_file(k.peers, &now_len);
    assert_int_equal(now_len, old.len);
    assert_memory_equal(now, old.data, old.len);
    free(now);
    /* The next save goes through, with the gift. */
    assert_true(wait_after(&d, mark, "saved peers.dat addresses=2"));
    assert_int_equal(daemon_stop(&d, SIGTERM, wait_ms), 0);
    check_clean_log(&d);
    size_t final_len;
    uint8_t *final = test_read_file(k.peers, &final_len);
    assert_peers_dat(final, final_len, 2);
    free(final);
    buf_writer_free(&old);
    daemon_cleanup(&d);
    remove_dirs(&k);
}

static void test_shutdown_waits_for_the_last_save(void **state)
{
    (void)state;
    struct dirs k;
    make_dirs(&k);
    struct daemon_proc d;
    uint16_t port;
    start(&k, &d, &port);
    gift_address(&d, port, 1);
    assert_true(daemon_wait_log(&d, "saved peers.dat addresses=1", wait_ms));

    /* A save stuck in the disk, then an address it cannot hold. */
    plant_fifo(k.tmp);
    size_t mark = d.log_len;
    assert_true(wait_after(&d, mark, "save skipped reason=last-save-unfinished"));
    gift_address(&d, port, 2);

    /* Stop: the last save queues behind the stuck one, and the daemon
     * cannot finish before the stuck one is let go. */
    mark = d.log_len;
    assert_int_equal(kill(d.pid, SIGTERM), 0);
    assert_true(wait_after(&d, mark, "shutting down"));
    size_t len;
    uint8_t *got = drain_fifo(k.tmp, &len);
    /* Usually the stuck save holds address 1 alone; but when the skip above
     * was logged while the save before the FIFO was still in its fsyncs (a
     * busy machine), the save that met the FIFO came after address 2. What
     * this test is about comes next: the last save waits, then lands. */
    size_t stuck = peers_dat_count(got, len);
    assert_true(stuck == 1 || stuck == 2);
    free(got);
    assert_true(wait_after(&d, mark, "shutdown complete"));
    assert_int_equal(daemon_stop(&d, 0, wait_ms), 0); /* signal 0: only wait for the exit */
    check_clean_log(&d);

    /* In order: the stuck save failed, the last one was saved, and only
     * then was the shutdown complete. */
    const char *failed = strstr(d.log + mark, "peers.dat: io-error");
    const char *saved = strstr(d.log + mark, "saved peers.dat addresses=2");
    const char *done = strstr(d.log + mark, "shutdown complete");
    assert_non_null(failed);
    assert_non_null(saved);
    assert_true(failed < saved && saved < done);
    uint8_t *final = test_read_file(k.peers, &len);
    assert_peers_dat(final, len, 2);
    free(final);
    daemon_cleanup(&d);
    remove_dirs(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_serves_while_a_save_is_stuck_and_a_failed_save_keeps_the_file),
        cmocka_unit_test(test_shutdown_waits_for_the_last_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
