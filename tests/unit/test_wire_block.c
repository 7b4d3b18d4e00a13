/* block and tx: the mainnet genesis block, Bitcoin Core's regtest witness
 * block, Core's rules for the witness serialization, the merkle root and
 * its mutation check. */
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

static const char genesis_coinbase_hex[] =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000";

static const char genesis_header_hex[] =
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c"
    "3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

static void assert_hash(const uint8_t hash[32], const char *display)
{
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    assert_string_equal(hex, display);
}

static uint8_t *genesis_block(size_t *len)
{
    size_t hl, tl;
    uint8_t *h = test_unhex(genesis_header_hex, &hl);
    uint8_t *t = test_unhex(genesis_coinbase_hex, &tl);
    uint8_t *b = malloc(hl + 1 + tl);
    memcpy(b, h, hl);
    b[hl] = 1;
    memcpy(b + hl + 1, t, tl);
    *len = hl + 1 + tl;
    free(h);
    free(t);
    return b;
}

static void test_mainnet_genesis_block(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = genesis_block(&len);
    assert_int_equal(len, 285);
    struct wire_msg msg;
    assert_int_equal(wire_decode("block", b, len, &msg), WIRE_OK);
    const struct wire_block *blk = &msg.u.block;
    uint8_t hash[32], root[32];
    wire_header_hash(&blk->header, hash);
    assert_hash(hash, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    assert_int_equal(blk->tx_count, 1);
    assert_false(blk->txs[0].witness);
    assert_int_equal(blk->txs[0].off, 81);
    assert_int_equal(blk->txs[0].len, 204);
    bool mutated;
    assert_int_equal(wire_block_merkle_root(blk, root, &mutated), WIRE_OK);
    assert_false(mutated);
    assert_memory_equal(root, blk->header.merkle_root, 32);
    assert_hash(root, "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    wire_msg_free(&msg);
    test_roundtrip_bytes("block", b, len);
    test_every_truncation("block", b, len, NULL, 0);
    free(b);
}

static void test_core_witness_block_at_height_5(void **state)
{
    (void)state;
    size_t len;
    uint8_t *frame = test_core_frame("block", &len);
    assert_non_null(frame);
    const uint8_t *p = frame + 24;
    len -= 24;
    struct wire_msg msg;
    assert_int_equal(wire_decode("block", p, len, &msg), WIRE_OK);
    const struct wire_block *blk = &msg.u.block;
    uint8_t hash[32], root[32], txid[32], wtxid[32];
    wire_header_hash(&blk->header, hash);
    assert_hash(hash, "10f8219fa36dade2430ff3a54c9e11725c6fe9982beb0578b7849de33fe61156");
    assert_int_equal(blk->tx_count, 1);
    assert_true(blk->txs[0].witness);
    wire_tx_txid(blk->raw, &blk->txs[0], txid);
    wire_tx_wtxid(blk->raw, &blk->txs[0], wtxid);
    assert_memory_not_equal(txid, wtxid, 32);
    assert_int_equal(wire_block_merkle_root(blk, root, NULL), WIRE_OK);
    assert_memory_equal(root, blk->header.merkle_root, 32);
    /* the tx alone as a `tx` message: same ids */
    struct wire_msg tx;
    const uint8_t *tx_bytes = blk->raw + blk->txs[0].off;
    assert_int_equal(wire_decode("tx", tx_bytes, blk->txs[0].len, &tx), WIRE_OK);
    uint8_t txid2[32];
    wire_tx_txid(tx.u.tx.raw, &tx.u.tx.span, txid2);
    assert_memory_equal(txid, txid2, 32);
    wire_msg_free(&tx);
    test_roundtrip_bytes("tx", tx_bytes, blk->txs[0].len);
    test_every_truncation("tx", tx_bytes, blk->txs[0].len, NULL, 0);
    wire_msg_free(&msg);
    test_roundtrip_bytes("block", p, len);
    free(frame);
}

/* A one-input, one-output transaction; segwit adds marker, flag and one
 * witness stack of `items` items. */
static void build_tx(struct buf_writer *w, bool segwit, uint8_t flag, size_t items)
{
    buf_write_i32le(w, 2);
    if (segwit) {
        buf_write_u8(w, 0);
        buf_write_u8(w, flag);
    }
    buf_write_compact(w, 1);
    uint8_t outpoint[36];
    memset(outpoint, 0x11, sizeof outpoint);
    buf_write_bytes(w, outpoint, 36);
    buf_write_compact(w, 0); /* empty scriptSig */
    buf_write_u32le(w, 0xffffffff);
    buf_write_compact(w, 1);
    buf_write_i64le(w, 5000);
    buf_write_compact(w, 1);
    buf_write_u8(w, 0x51);
    if (segwit) {
        buf_write_compact(w, items);
        for (size_t i = 0; i < items; i++) {
            buf_write_compact(w, 2);
            buf_write_bytes(w, "\xab\xcd", 2);
        }
    }
    buf_write_u32le(w, 0);
}

static void test_witness_serialization_rules(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    struct wire_msg msg;
    build_tx(&w, true, 1, 2);
    assert_int_equal(wire_decode("tx", w.data, w.len, &msg), WIRE_OK);
    assert_true(msg.u.tx.span.witness);
    /* txid = the same tx serialized without witness */
    struct buf_writer legacy;
    buf_writer_init(&legacy);
    build_tx(&legacy, false, 0, 0);
    uint8_t txid[32], want[32];
    wire_tx_txid(msg.u.tx.raw, &msg.u.tx.span, txid);
    sha256d(legacy.data, legacy.len, want);
    assert_memory_equal(txid, want, 32);
    wire_msg_free(&msg);
    test_roundtrip_bytes("tx", legacy.data, legacy.len);
    buf_writer_free(&legacy);

    buf_writer_reset(&w);
    build_tx(&w, true, 1, 0); /* witness flag, every stack empty */
    assert_int_equal(wire_decode("tx", w.data, w.len, &msg), WIRE_ERR_BAD_TX);
    buf_writer_reset(&w);
    build_tx(&w, true, 3, 1); /* flag bit 2 unknown */
    assert_int_equal(wire_decode("tx", w.data, w.len, &msg), WIRE_ERR_BAD_TX);
    buf_writer_reset(&w);
    build_tx(&w, false, 0, 0);
    buf_write_u8(&w, 0);
    assert_int_equal(wire_decode("tx", w.data, w.len, &msg), WIRE_ERR_TRAILING);
    buf_writer_free(&w);
}

static void test_lying_counts_rejected(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = genesis_block(&len);
    struct wire_msg msg;
    /* block claims 1,000,000 transactions */
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_bytes(&w, b, 80);
    buf_write_compact(&w, 1000000);
    buf_write_bytes(&w, b + 81, len - 81);
    assert_int_equal(wire_decode("block", w.data, w.len, &msg), WIRE_ERR_TRUNCATED);
    /* trailing bytes after the last tx */
    buf_writer_reset(&w);
    buf_write_bytes(&w, b, len);
    buf_write_u8(&w, 0);
    assert_int_equal(wire_decode("block", w.data, w.len, &msg), WIRE_ERR_TRAILING);
    /* a tx claiming 100,000 inputs */
    buf_writer_reset(&w);
    buf_write_i32le(&w, 1);
    buf_write_compact(&w, 100000);
    buf_write_bytes(&w, "0123456789012345678901234567890123456789012345", 46);
    assert_int_equal(wire_decode("tx", w.data, w.len, &msg), WIRE_ERR_TRUNCATED);
    buf_writer_free(&w);
    free(b);
}

static void test_merkle_root_odd_count_and_mutation(void **state)
{
    (void)state;
    size_t tl;
    uint8_t *t = test_unhex(genesis_coinbase_hex, &tl);
    struct buf_writer legacy;
    buf_writer_init(&legacy);
    build_tx(&legacy, false, 0, 0);
    /* three transactions: A, B, A  → the last pairs with itself, no mutation */
    struct buf_writer w;
    buf_writer_init(&w);
    uint8_t hdr[80] = {0};
    buf_write_bytes(&w, hdr, 80);
    buf_write_compact(&w, 3);
    buf_write_bytes(&w, t, tl);
    buf_write_bytes(&w, legacy.data, legacy.len);
    buf_write_bytes(&w, t, tl);
    struct wire_msg msg;
    assert_int_equal(wire_decode("block", w.data, w.len, &msg), WIRE_OK);
    uint8_t root[32], a[32], b[32], ab[32], aa[32], pair[64];
    bool mutated;
    assert_int_equal(wire_block_merkle_root(&msg.u.block, root, &mutated), WIRE_OK);
    assert_false(mutated);
    sha256d(t, tl, a);
    sha256d(legacy.data, legacy.len, b);
    memcpy(pair, a, 32);
    memcpy(pair + 32, b, 32);
    sha256d(pair, 64, ab);
    memcpy(pair, a, 32);
    memcpy(pair + 32, a, 32);
    sha256d(pair, 64, aa);
    memcpy(pair, ab, 32);
    memcpy(pair + 32, aa, 32);
    uint8_t want[32];
    sha256d(pair, 64, want);
    assert_memory_equal(root, want, 32);
    wire_msg_free(&msg);
    /* four: A, B, A, A → the last pair is equal: mutated (CVE-2012-2459) */
    buf_write_bytes(&w, t, tl);
    w.data[80] = 4;
    assert_int_equal(wire_decode("block", w.data, w.len, &msg), WIRE_OK);
    assert_int_equal(wire_block_merkle_root(&msg.u.block, root, &mutated), WIRE_OK);
    assert_true(mutated);
    wire_msg_free(&msg);
    /* no transactions: a zero root */
    uint8_t empty[81] = {0};
    assert_int_equal(wire_decode("block", empty, sizeof empty, &msg), WIRE_OK);
    assert_int_equal(wire_block_merkle_root(&msg.u.block, root, NULL), WIRE_OK);
    uint8_t zero[32] = {0};
    assert_memory_equal(root, zero, 32);
    wire_msg_free(&msg);
    buf_writer_free(&w);
    buf_writer_free(&legacy);
    free(t);
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    test_random_garbage("block", 5000, 400, 31);
    test_random_garbage("tx", 5000, 300, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mainnet_genesis_block),
        cmocka_unit_test(test_core_witness_block_at_height_5),
        cmocka_unit_test(test_witness_serialization_rules),
        cmocka_unit_test(test_lying_counts_rejected),
        cmocka_unit_test(test_merkle_root_odd_count_and_mutation),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
