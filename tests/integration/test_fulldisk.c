/* A full disk: while writes fail, each failure is logged, the old
 * peers.dat, banlist.dat and headers.dat stay exactly as they were (no
 * temporary file left), no block file appears, and the daemon keeps
 * serving peers; once there is room again the next save, the next header
 * flush and the block (asked for again) all reach the disk, and a restart
 * loads them.
 *
 * The disk is a 256 KiB tmpfs for the data directory, filled up with a
 * file (ENOSPC) when we may mount one (root, and a container that allows
 * it); otherwise the daemon runs with SIGXFSZ ignored and its RLIMIT_FSIZE
 * is dropped to 0 with prlimit(2) (EFBIG, which takes the same path as
 * ENOSPC). BTCPEERD_FULLDISK=fsize forces the second. The log goes to a
 * pipe, so neither touches it. */
#define _GNU_SOURCE
#include "harness.h"
#include "rpc_client.h"
#include "scripted_peer.h"
#include "header_chain.h"
#include "testutil.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned wait_ms = 15000; /* BTCPEERD_TEST_WAIT_MS */

enum mechanism { BY_TMPFS, BY_FSIZE };

struct disk {
    enum mechanism how;
    char root[64];     /* our temp dir: the daemon's data under data/ */
    char data[96];     /* the data directory (the tmpfs mount point) */
    char files[128];   /* data/regtest */
    char filler[160];
    pid_t pid;
};

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

static void setup_disk(struct disk *k)
{
    snprintf(k->root, sizeof k->root, "/tmp/btcpeerd-it-XXXXXX");
    assert_non_null(mkdtemp(k->root));
    snprintf(k->data, sizeof k->data, "%s/data", k->root);
    snprintf(k->files, sizeof k->files, "%s/regtest", k->data);
    snprintf(k->filler, sizeof k->filler, "%s/filler", k->data);
    assert_int_equal(mkdir(k->data, 0700), 0);
    const char *force = getenv("BTCPEERD_FULLDISK");
    k->how = BY_FSIZE;
    if (!(force && strcmp(force, "fsize") == 0) &&
        mount("tmpfs", k->data, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700") == 0)
        k->how = BY_TMPFS;
    print_message("full disk by %s\n", k->how == BY_TMPFS ? "a 256 KiB tmpfs filled up (ENOSPC)"
                                                          : "RLIMIT_FSIZE lowered to 0 (EFBIG)");
}

static void fill(struct disk *k)
{
    if (k->how == BY_FSIZE) {
        struct rlimit rl = {.rlim_cur = 0, .rlim_max = RLIM_INFINITY};
        assert_int_equal(prlimit(k->pid, RLIMIT_FSIZE, &rl, NULL), 0);
        return;
    }
    int fd = open(k->filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static const uint8_t chunk[4096];
    while (write(fd, chunk, sizeof chunk) > 0) {
    }
    assert_int_equal(errno, ENOSPC);
    /* And the last few bytes a partial page may still take. */
    while (write(fd, chunk, 1) > 0) {
    }
    close(fd);
}

static void make_room(struct disk *k)
{
    if (k->how == BY_FSIZE) {
        struct rlimit rl = {.rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY};
        assert_int_equal(prlimit(k->pid, RLIMIT_FSIZE, &rl, NULL), 0);
        return;
    }
    assert_int_equal(unlink(k->filler), 0);
}

static void teardown_disk(struct disk *k)
{
    if (k->how == BY_TMPFS) assert_int_equal(umount(k->data), 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->root);
    assert_int_equal(system(cmd), 0);
}

/* The daemon with SIGXFSZ ignored (so a write past RLIMIT_FSIZE fails with
 * EFBIG instead of killing it) and its log on a pipe the harness reads. */
static void start(struct disk *k, struct daemon_proc *d, const char *const *args)
{
    memset(d, 0, sizeof *d);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        execv(BTCPEERD_BIN, (char *const *)args);
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    harness_track_child(pid);
    d->pid = pid;
    d->log_fd = p[0];
    k->pid = pid;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    return test_read_file(path, len);
}

/* A small block: one transaction with a 20 KB output script. */
static void make_block(struct buf_writer *w, uint8_t hash[32])
{
    struct buf_writer tx;
    buf_writer_init(&tx);
    buf_write_u32le(&tx, 1);
    buf_write_compact(&tx, 1);
    uint8_t prevout[36] = {0};
    memset(prevout + 32, 0xff, 4);
    buf_write_bytes(&tx, prevout, 36);
    buf_write_compact(&tx, 2);
    buf_write_bytes(&tx, "\x01\x07", 2);
    buf_write_u32le(&tx, 0xffffffffu);
    buf_write_compact(&tx, 1);
    buf_write_u64le(&tx, 50);
    static uint8_t script[20000];
    memset(script, 0x51, sizeof script);
    buf_write_compact(&tx, sizeof script);
    buf_write_bytes(&tx, script, sizeof script);
    buf_write_u32le(&tx, 0);
    struct wire_header h = {.version = 1, .time = 1296688602u, .bits = 0x207fffff};
    sha256d(tx.data, tx.len, h.merkle_root);
    uint8_t raw[80];
    wire_header_serialize(&h, raw);
    sha256d(raw, 80, hash);
    buf_write_bytes(w, raw, 80);
    buf_write_compact(w, 1);
    buf_write_bytes(w, tx.data, tx.len);
    buf_writer_free(&tx);
}

/* An inbound peer from ip that brings one address (its one token). */
static void gift_address(uint16_t port, const char *ip, uint8_t n)
{
    struct sp s;
    assert_true(sp_connect_from(&s, ip, port, magic()));
    assert_true(sp_handshake(&s, true, NULL, wait_ms));
    struct wire_netaddr a = {.net = WIRE_NET_IPV4, .port = 8333, .time = (uint32_t)clock_unix_s(),
                             .services = NODE_NETWORK | NODE_WITNESS};
    a.addr[0] = 20;
    a.addr[1] = n;
    a.addr[2] = 1;
    a.addr[3] = 1;
    struct wire_msg m = {.type = WIRE_ADDR, .u.addr = {.count = 1, .addrs = &a}};
    assert_true(sp_send(&s, &m));
    sp_close(&s);
}

/* A ban, by setban (misbehaving peers are discouraged in memory, never
 * banned, since issue 13). */
static void get_banned(struct daemon_proc *d, const struct disk *k, const char *ip)
{
    uint16_t rpc_port = rpc_client_port(d, wait_ms);
    assert_true(rpc_port != 0);
    char cookie[192], body[160];
    snprintf(cookie, sizeof cookie, "%s/.cookie", k->files);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"setban\",\"params\":[\"%s\",\"add\"]}",
             ip);
    int status = 0;
    char *reply = rpc_client_post(rpc_port, cookie, body, &status, wait_ms);
    assert_non_null(reply);
    assert_int_equal(status, 200);
    free(reply);
}

static void send_headers(struct sp *s, const struct header_chain *c, size_t from, size_t n)
{
    struct wire_msg m = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = c->headers + from}};
    assert_true(sp_send(s, &m));
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

/* Read the feeder until a getdata for hash arrives (pings answered). */
static bool wait_getdata(struct sp *s, const uint8_t hash[32])
{
    uint64_t deadline = clock_mono_ms() + wait_ms;
    while (clock_mono_ms() < deadline) {
        struct wire_msg m;
        if (sp_recv(s, &m, 50) != SP_FRAME) continue;
        bool hit = m.type == WIRE_GETDATA && m.u.inv.count && memcmp(m.u.inv.entries[0].hash, hash, 32) == 0;
        if (m.type == WIRE_PING) {
            struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m.u.ping};
            sp_send(s, &pong);
        }
        wire_msg_free(&m);
        if (hit) return true;
    }
    return false;
}

static void assert_same(const char *path, const uint8_t *before, size_t before_len)
{
    size_t len;
    uint8_t *now = read_all(path, &len);
    assert_non_null(now);
    if (len != before_len || memcmp(now, before, len) != 0)
        fail_msg("%s changed while the disk was full (%zu bytes, was %zu)", path, len, before_len);
    free(now);
}

static void test_full_disk(void **state)
{
    (void)state;
    const char *w = getenv("BTCPEERD_TEST_WAIT_MS");
    if (w) wait_ms = (unsigned)strtoul(w, NULL, 10);
    struct disk k;
    setup_disk(&k);
    struct header_chain chain, bad;
    header_chain_make(&chain, 300, 0);
    header_chain_make(&bad, 1, 1);
    struct buf_writer block;
    buf_writer_init(&block);
    uint8_t block_hash[32];
    make_block(&block, block_hash);
    char hex[65];
    hex_encode_rev(block_hash, 32, hex);

    uint16_t feeder_port;
    int lfd = sp_listen(&feeder_port);
    assert_true(lfd >= 0);
    char datadir[128], connect[48], fetch[96];
    snprintf(datadir, sizeof datadir, "--datadir=%s", k.data);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", feeder_port);
    snprintf(fetch, sizeof fetch, "--fetch-block=%s", hex);
    const char *args[] = {BTCPEERD_BIN, "--network=regtest", datadir, "--log-file=-", "--rpcport=0",
                          "--log-level=debug", "--bind=127.0.0.1", "--port=0", "--listen=1",
                          connect, "--v2transport=0", "--max-msg-rate=0", "--bantime=100000",
                          "--test-save-interval=0.05", "--block-timeout=0.3", fetch, NULL};
    struct daemon_proc d;
    start(&k, &d, args);
    uint16_t port = daemon_port(&d, wait_ms);
    assert_true(port != 0);
    struct sp feeder;
    assert_true(sp_accept(&feeder, lfd, magic(), wait_ms));
    assert_true(sp_handshake(&feeder, false, NULL, wait_ms));
    assert_true(wait_getdata(&feeder, block_hash)); /* held until the disk is full */

    /* Some state on disk: 100 headers, an address, a ban. */
    send_headers(&feeder, &chain, 1, 100);
    assert_true(daemon_wait_log(&d, "headers.dat flushed height=100", wait_ms));
    gift_address(port, "127.70.0.1", 1);
    get_banned(&d, &k, "127.71.0.1");
    size_t mark = d.log_len;
    assert_true(wait_after(&d, mark, "saved banlist.dat bans=1"));
    mark = d.log_len;
    assert_true(wait_after(&d, mark, "saved peers.dat addresses=1"));
    char peers[192], bans[192], headers[192], blk[256], tmp[272];
    snprintf(peers, sizeof peers, "%s/peers.dat", k.files);
    snprintf(bans, sizeof bans, "%s/banlist.dat", k.files);
    snprintf(headers, sizeof headers, "%s/headers.dat", k.files);
    snprintf(blk, sizeof blk, "%s/blocks/%s.blk", k.files, hex);
    size_t peers_len, bans_len, headers_len;
    /* A save may be under way: take the files between two saves. */
    mark = d.log_len;
    assert_true(wait_after(&d, mark, "saved banlist.dat"));
    uint8_t *peers_before = read_all(peers, &peers_len), *bans_before = read_all(bans, &bans_len);
    uint8_t *headers_before = read_all(headers, &headers_len);
    assert_non_null(peers_before);
    assert_non_null(bans_before);
    assert_int_equal(headers_len, 100 * 80);

    /* The disk fills up. */
    fill(&k);
    mark = d.log_len;
    gift_address(port, "127.70.0.2", 2);
    get_banned(&d, &k, "127.71.0.2");
    assert_true(wait_after(&d, mark, "cannot write"));
    if (!wait_after(&d, mark, "peers.dat: io-error") || !wait_after(&d, mark, "banlist.dat: io-error"))
        fail_msg("no failed save logged:\n%s", d.log + mark);
    send_headers(&feeder, &chain, 101, 100);
    assert_true(wait_after(&d, mark, "cannot write headers.dat"));
    assert_true(sp_send_frame(&feeder, "block", block.data, block.len));
    assert_true(wait_after(&d, mark, "cannot write block"));
    print_message("while full:%s%s", strstr(d.log + mark, "No space left") ? " ENOSPC" : "",
                  strstr(d.log + mark, "File too large") ? " EFBIG\n" : "\n");
    /* Two more failed saves, then the files are as they were. */
    size_t fails = daemon_log_count(&d, "cannot write");
    while (daemon_log_count(&d, "cannot write") < fails + 4) assert_true(wait_after(&d, d.log_len, "cannot write"));
    assert_same(peers, peers_before, peers_len);
    assert_same(bans, bans_before, bans_len);
    assert_same(headers, headers_before, headers_len);
    assert_int_equal(access(blk, F_OK), -1);
    snprintf(tmp, sizeof tmp, "%s.tmp", peers);
    assert_int_equal(access(tmp, F_OK), -1);
    snprintf(tmp, sizeof tmp, "%s.tmp", blk);
    assert_int_equal(access(tmp, F_OK), -1);

    /* Still serving: a newcomer gets through the handshake, the feeder's
     * ping is answered. */
    struct sp newcomer;
    assert_true(sp_connect_from(&newcomer, "127.72.0.1", port, magic()));
    assert_true(sp_handshake(&newcomer, true, NULL, wait_ms));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = 42}};
    assert_true(sp_send(&newcomer, &ping));
    struct wire_msg pong;
    assert_true(sp_expect(&newcomer, WIRE_PONG, &pong, wait_ms));
    assert_int_equal(pong.u.ping.nonce, 42);
    sp_close(&newcomer);
    assert_int_equal(kill(d.pid, 0), 0);

    /* Room again: the next save, flush and block fetch succeed. */
    make_room(&k);
    mark = d.log_len;
    assert_true(wait_after(&d, mark, "saved peers.dat addresses=2"));
    assert_true(wait_after(&d, mark, "saved banlist.dat bans=2"));
    send_headers(&feeder, &chain, 201, 100);
    assert_true(wait_after(&d, mark, "headers.dat flushed height=300"));
    assert_true(wait_getdata(&feeder, block_hash)); /* asked again after the timeout */
    assert_true(sp_send_frame(&feeder, "block", block.data, block.len));
    assert_true(wait_after(&d, mark, "block fetched"));
    assert_same(blk, block.data, block.len);
    size_t len;
    uint8_t *hdrs = read_all(headers, &len);
    assert_int_equal(len, 300 * 80);
    free(hdrs);
    sp_close(&feeder);
    assert_int_equal(daemon_stop(&d, SIGTERM, wait_ms), 0);
    if (strstr(d.log, "AddressSanitizer") || strstr(d.log, "runtime error")) fail_msg("%s", d.log);
    free(d.log);
    close(d.log_fd);

    /* And a restart loads all of it. */
    start(&k, &d, args);
    assert_true(daemon_wait_log(&d, "height 300", wait_ms));
    assert_true(daemon_wait_log(&d, "loaded 2 addresses", wait_ms));
    assert_true(daemon_wait_log(&d, "loaded 2 bans", wait_ms));
    assert_null(strstr(d.log, "unreadable"));
    assert_int_equal(daemon_stop(&d, SIGTERM, wait_ms), 0);
    free(d.log);
    close(d.log_fd);

    close(lfd);
    teardown_disk(&k);
    free(peers_before);
    free(bans_before);
    free(headers_before);
    buf_writer_free(&block);
    header_chain_free(&chain);
    header_chain_free(&bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_disk),
    };
    return test_run_group(tests);
}
