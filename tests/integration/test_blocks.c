/* Blocks on request: a peer answering notfound is passed over for the
 * next one; a block whose merkle root does not match, or that is mutated
 * by duplicated transactions, is refused and the sender punished; the
 * right block is written to <datadir>/blocks/<hash>.blk. */
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 10000

/* The mainnet genesis coinbase: any well-formed transaction will do. */
static const char coinbase_hex[] =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000";

/* Transaction i: the coinbase with locktime i, so each has its own txid. */
static uint8_t *tx_variant(int i, size_t *len)
{
    uint8_t *tx = test_unhex(coinbase_hex, len);
    tx[*len - 4] = (uint8_t)i;
    return tx;
}

/* Block of the transactions variants[0..n): header merkle root from the
 * first `root_of` of them (so a block can carry more than its root says). */
static void make_block(struct buf_writer *w, const int *variants, int n, int root_of, uint8_t hash[32])
{
    uint8_t ids[8][32];
    size_t tl;
    for (int i = 0; i < root_of; i++) {
        uint8_t *tx = tx_variant(variants[i], &tl);
        sha256d(tx, tl, ids[i]);
        free(tx);
    }
    int count = root_of;
    while (count > 1) { /* Core's merkle tree: an odd last node pairs with itself */
        if (count & 1) memcpy(ids[count], ids[count - 1], 32), count++;
        for (int i = 0; i < count / 2; i++) {
            uint8_t pair[64];
            memcpy(pair, ids[2 * i], 32);
            memcpy(pair + 32, ids[2 * i + 1], 32);
            sha256d(pair, 64, ids[i]);
        }
        count /= 2;
    }
    struct wire_header h = {.version = 1, .time = 1231006505, .bits = 0x207fffff, .nonce = 7};
    memcpy(h.merkle_root, ids[0], 32);
    uint8_t raw[80];
    wire_header_serialize(&h, raw);
    sha256d(raw, 80, hash);
    buf_write_bytes(w, raw, 80);
    buf_write_compact(w, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        uint8_t *tx = tx_variant(variants[i], &tl);
        buf_write_bytes(w, tx, tl);
        free(tx);
    }
}

/* Wait on either peer for a getdata; returns 0 or 1, or -1. */
static int which_asked(struct sp peers[2])
{
    for (int round = 0; round < 500; round++) {
        for (int i = 0; i < 2; i++) {
            struct wire_msg m;
            if (sp_recv(&peers[i], &m, 10) != SP_FRAME) continue;
            bool getdata = m.type == WIRE_GETDATA;
            wire_msg_free(&m);
            if (getdata) return i;
        }
    }
    return -1;
}

enum bad_kind { SEND_NOTFOUND, SEND_WRONG_MERKLE, SEND_MUTATED };

static void run_case(enum bad_kind kind)
{
    struct buf_writer good, bad;
    buf_writer_init(&good);
    buf_writer_init(&bad);
    uint8_t hash[32], bad_hash[32];
    const int three[] = {0, 1, 2}, four[] = {0, 1, 2, 2}, other[] = {0, 1, 3};
    make_block(&good, three, 3, 3, hash);
    char hex[65], fetch[96];
    hex_encode_rev(hash, 32, hex);
    snprintf(fetch, sizeof fetch, "--fetch-block=%s", hex);
    uint16_t p1, p2;
    int l1 = sp_listen(&p1), l2 = sp_listen(&p2);
    char c1[48], c2[48];
    snprintf(c1, sizeof c1, "--connect=127.0.0.1:%u", p1);
    snprintf(c2, sizeof c2, "--connect=127.0.0.1:%u", p2);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", c1, c2, fetch, NULL};
    assert_true(daemon_start(&d, args));
    struct sp peers[2];
    assert_true(sp_accept(&peers[0], l1, netparams_get(NET_REGTEST)->magic, WAIT_MS));
    assert_true(sp_accept(&peers[1], l2, netparams_get(NET_REGTEST)->magic, WAIT_MS));
    assert_true(sp_handshake(&peers[0], false, NULL, WAIT_MS));
    assert_true(sp_handshake(&peers[1], false, NULL, WAIT_MS));
    int first = which_asked(peers);
    assert_true(first >= 0);
    if (kind != SEND_NOTFOUND) {
        /* The requested header over other transactions (wrong root), or
         * over [T0, T1, T2, T2], whose root is that of [T0, T1, T2]: the
         * same header hash, a mutated block (CVE-2012-2459). */
        if (kind == SEND_WRONG_MERKLE) {
            make_block(&bad, other, 3, 3, bad_hash);
            memcpy(bad.data, good.data, 80);
        } else {
            make_block(&bad, four, 4, 3, bad_hash);
            assert_memory_equal(bad_hash, hash, 32);
        }
        assert_true(sp_send_frame(&peers[first], "block", bad.data, bad.len));
        /* a --connect peer: forgiven, not disconnected (Core v28+) */
        assert_true(daemon_wait_log(&d, "not_punished=manual", WAIT_MS));
        assert_non_null(strstr(d.log, kind == SEND_MUTATED ? "mutated" : "merkle root does not match"));
    } else {
        struct wire_inv_entry e = {.type = WIRE_INV_WITNESS_BLOCK};
        memcpy(e.hash, hash, 32);
        struct wire_msg nf = {.type = WIRE_NOTFOUND, .u.inv = {.count = 1, .entries = &e}};
        assert_true(sp_send(&peers[first], &nf));
        assert_true(daemon_wait_log(&d, "not found, trying another peer", WAIT_MS));
    }
    int second = which_asked(peers);
    assert_int_equal(second, 1 - first);
    assert_true(sp_send_frame(&peers[second], "block", good.data, good.len));
    assert_true(daemon_wait_log(&d, "block fetched", WAIT_MS));
    char path[256];
    snprintf(path, sizeof path, "%s/data/regtest/blocks/%s.blk", d.datadir, hex);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, good.len);
    sp_close(&peers[0]);
    sp_close(&peers[1]);
    close(l1);
    close(l2);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    buf_writer_free(&good);
    buf_writer_free(&bad);
}

static void test_notfound_moves_to_another_peer(void **state)
{
    (void)state;
    run_case(SEND_NOTFOUND);
}

static void test_wrong_merkle_root_refused(void **state)
{
    (void)state;
    run_case(SEND_WRONG_MERKLE);
}

static void test_mutated_block_refused(void **state)
{
    (void)state;
    run_case(SEND_MUTATED);
}

/* A block is written by the disk writer, not the loop. "Stuck in the
 * disk" without timing: the block's temporary file is made a FIFO before
 * the block comes, so the writer's open waits for a reader. Meanwhile the
 * loop answers a ping and "block fetched" is not said (the block is not on
 * disk); once the FIFO is read, its fsync fails (EINVAL) as a failing disk
 * would, the write is reported, and the block asked again is saved. */
static void test_block_write_does_not_hold_the_loop(void **state)
{
    (void)state;
    struct buf_writer good;
    buf_writer_init(&good);
    uint8_t hash[32];
    const int three[] = {0, 1, 2};
    make_block(&good, three, 3, 3, hash);
    char hex[65], fetch[96], c1[48];
    hex_encode_rev(hash, 32, hex);
    snprintf(fetch, sizeof fetch, "--fetch-block=%s", hex);
    uint16_t port;
    int l = sp_listen(&port);
    snprintf(c1, sizeof c1, "--connect=127.0.0.1:%u", port);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", c1, fetch, "--block-timeout=0.2", NULL};
    assert_true(daemon_start(&d, args));
    char dir[256], fifo[384];
    snprintf(dir, sizeof dir, "%s/data/regtest/blocks", d.datadir);
    snprintf(fifo, sizeof fifo, "%s/%s.blk.tmp", dir, hex);
    struct sp peer;
    assert_true(sp_accept(&peer, l, netparams_get(NET_REGTEST)->magic, WAIT_MS));
    assert_true(sp_handshake(&peer, false, NULL, WAIT_MS));
    assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct sp peers[2] = {peer, peer};
    assert_true(which_asked(peers) >= 0);
    assert_true(sp_send_frame(&peer, "block", good.data, good.len));

    /* The writer is stuck in open(); the loop still answers. */
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = 7}};
    assert_true(sp_send(&peer, &ping));
    struct wire_msg pong;
    assert_true(sp_expect(&peer, WIRE_PONG, &pong, WAIT_MS));
    assert_int_equal(pong.u.ping.nonce, 7);
    /* The block was handled before the ping (one connection, in order),
     * and its log lines written before the pong left. */
    daemon_pump(&d, 0);
    assert_int_equal(daemon_log_count(&d, "block fetched"), 0);
    assert_int_equal(daemon_log_count(&d, "cannot write block"), 0);

    /* Let the write go: the FIFO takes the bytes, its fsync fails. */
    int fd = open(fifo, O_RDONLY);
    assert_true(fd >= 0);
    size_t got = 0;
    uint8_t chunk[65536];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0) got += (size_t)r;
    close(fd);
    assert_int_equal(got, good.len);
    assert_true(daemon_wait_log(&d, "cannot write block", WAIT_MS));
    assert_int_equal(daemon_log_count(&d, "block fetched"), 0);

    /* Asked again (the same peer: the failure was ours), saved this time. */
    assert_true(which_asked(peers) >= 0);
    assert_true(sp_send_frame(&peer, "block", good.data, good.len));
    assert_true(daemon_wait_log(&d, "block fetched", WAIT_MS));
    char path[512];
    snprintf(path, sizeof path, "%s/%s.blk", dir, hex);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, good.len);
    sp_close(&peer);
    close(l);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    buf_writer_free(&good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notfound_moves_to_another_peer),
        cmocka_unit_test(test_wrong_merkle_root_refused),
        cmocka_unit_test(test_mutated_block_refused),
        cmocka_unit_test(test_block_write_does_not_hold_the_loop),
    };
    return test_run_group(tests);
}
