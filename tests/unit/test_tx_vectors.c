/* Real transactions from Bitcoin Core v29.0rc3's test data
 * (tests/vectors/tx/, see its README):
 *  - blockfilters.json: ten testnet blocks, two of them segwit. Each
 *    block's header hashes to its listed hash, the txids we compute build
 *    the header's merkle root, and the wtxids build the witness commitment
 *    in the coinbase, so every id is checked against the chain itself.
 *  - tx_valid.json: every transaction decodes, re-encodes to the same
 *    bytes and passes CheckTransaction; txids named in comments match.
 *  - tx_invalid.json: CheckTransaction fails exactly for those marked
 *    BADTX, with the reason its comment names. */
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/tx.h>
#include <btcpeerd/txcheck.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *load_json(const char *rel)
{
    json_error_t err;
    json_t *root = json_load_file(test_vector_path(rel), 0, &err);
    if (!root) fail_msg("%s: %s (line %d)", rel, err.text, err.line);
    assert_true(json_is_array(root));
    return root;
}

/* Core's merkle tree: an odd last node pairs with itself. */
static void merkle_root(uint8_t (*ids)[32], size_t n, uint8_t out[32])
{
    while (n > 1) {
        size_t k = 0;
        for (size_t i = 0; i < n; i += 2) {
            uint8_t pair[64];
            memcpy(pair, ids[i], 32);
            memcpy(pair + 32, ids[i + 1 < n ? i + 1 : i], 32);
            sha256d(pair, 64, ids[k++]);
        }
        n = k;
    }
    memcpy(out, ids[0], 32);
}

/* BIP141: the last coinbase output whose script starts with
 * OP_RETURN PUSH36 aa21a9ed; NULL if none. */
static const uint8_t *witness_commitment(const struct tx *coinbase)
{
    static const uint8_t tag[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    const uint8_t *found = NULL;
    for (size_t i = 0; i < coinbase->n_outputs; i++) {
        const struct tx_output *o = &coinbase->outputs[i];
        if (o->script_len >= 38 && memcmp(o->script, tag, 6) == 0) found = o->script + 6;
    }
    return found;
}

static void test_blocks_ids_match_the_chain(void **state)
{
    (void)state;
    json_t *rows = load_json("tx/blockfilters.json");
    size_t blocks = 0, txs = 0, commitments = 0, wtxids_checked = 0;
    for (size_t r = 1; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r);
        size_t len;
        uint8_t *blk = test_unhex(json_string_value(json_array_get(row, 2)), &len);
        uint8_t hash[32], want[32];
        sha256d(blk, 80, hash);
        assert_true(hex_decode_hash(json_string_value(json_array_get(row, 1)), want));
        assert_memory_equal(hash, want, 32);

        struct wire_block wb; /* only to find where each transaction lies */
        assert_int_equal(wire_block_decode(blk, len, &wb), WIRE_OK);
        uint8_t(*txids)[32] = calloc(wb.tx_count, 32);
        uint8_t(*wtxids)[32] = calloc(wb.tx_count, 32);
        assert_non_null(txids);
        assert_non_null(wtxids);
        struct tx coinbase;
        bool segwit = false;
        for (size_t i = 0; i < wb.tx_count; i++) {
            struct tx tx;
            const uint8_t *p = wb.raw + wb.txs[i].off;
            assert_int_equal(tx_decode(p, wb.txs[i].len, TX_WITH_WITNESS, &tx), WIRE_OK);
            struct buf_writer w;
            buf_writer_init(&w);
            assert_int_equal(tx_encode(&tx, TX_WITH_WITNESS, &w), WIRE_OK);
            assert_int_equal(w.len, wb.txs[i].len);
            assert_memory_equal(w.data, p, w.len);
            buf_writer_free(&w);
            tx_txid(&tx, txids[i]);
            tx_wtxid(&tx, wtxids[i]);
            segwit |= tx_has_witness(&tx);
            if (i == 0) {
                assert_true(tx_is_coinbase(&tx));
                assert_int_equal(txcheck_consensus(&tx), TXCHECK_OK);
                assert_int_equal(txcheck_broadcast(&tx), TXCHECK_ERR_COINBASE);
                coinbase = tx;
            } else {
                assert_int_equal(txcheck_broadcast(&tx), TXCHECK_OK);
                tx_free(&tx);
            }
            txs++;
        }
        uint8_t root[32];
        merkle_root(txids, wb.tx_count, root);
        assert_memory_equal(root, blk + 36, 32);

        const uint8_t *commitment = witness_commitment(&coinbase);
        if (segwit) {
            assert_non_null(commitment);
            /* the reserved value is the coinbase's single witness item */
            assert_int_equal(coinbase.inputs[0].witness_items, 1);
            assert_int_equal(coinbase.inputs[0].witness_len, 33);
            memset(wtxids[0], 0, 32);
            uint8_t buf[64];
            merkle_root(wtxids, wb.tx_count, buf);
            memcpy(buf + 32, coinbase.inputs[0].witness + 1, 32);
            sha256d(buf, 64, root);
            assert_memory_equal(root, commitment, 32);
            commitments++;
            wtxids_checked += wb.tx_count - 1;
        }
        tx_free(&coinbase);
        free(txids);
        free(wtxids);
        wire_block_free(&wb);
        free(blk);
        blocks++;
    }
    json_decref(rows);
    assert_int_equal(blocks, 10);
    assert_int_equal(txs, 20);
    assert_int_equal(commitments, 2);
    assert_int_equal(wtxids_checked, 5);
}

/* "The following is <txid>" before a test names its txid. */
static const char *named_txid(const char *comment)
{
    static const char prefix[] = "The following is ";
    size_t n = sizeof prefix - 1;
    if (strncmp(comment, prefix, n) != 0 || strlen(comment) != n + 64) return NULL;
    return comment + n;
}

static void test_tx_valid_decode_and_pass(void **state)
{
    (void)state;
    json_t *rows = load_json("tx/tx_valid.json");
    size_t tests = 0, named = 0;
    const char *expect_txid = NULL;
    for (size_t r = 0; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r);
        if (json_array_size(row) == 1) {
            const char *id = named_txid(json_string_value(json_array_get(row, 0)));
            if (id) expect_txid = id; /* for the next test, past further comments */
            continue;
        }
        size_t len;
        uint8_t *raw = test_unhex(json_string_value(json_array_get(row, 1)), &len);
        struct tx tx;
        assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_OK);
        struct buf_writer w;
        buf_writer_init(&w);
        assert_int_equal(tx_encode(&tx, TX_WITH_WITNESS, &w), WIRE_OK);
        assert_int_equal(w.len, len);
        assert_memory_equal(w.data, raw, len);
        buf_writer_free(&w);
        assert_int_equal(txcheck_consensus(&tx), TXCHECK_OK);
        if (expect_txid) {
            uint8_t id[32];
            char hex[65];
            tx_txid(&tx, id);
            hex_encode_rev(id, 32, hex);
            assert_string_equal(hex, expect_txid);
            named++;
            expect_txid = NULL;
        }
        tx_free(&tx);
        free(raw);
        tests++;
    }
    json_decref(rows);
    assert_int_equal(tests, 120);
    assert_int_equal(named, 3);
}

/* The reasons the BADTX comments announce. */
static const struct {
    const char *comment;
    enum txcheck_err err;
    size_t count;
} badtx_reasons[] = {
    {"No outputs", TXCHECK_ERR_VOUT_EMPTY, 1},
    {"Negative output", TXCHECK_ERR_VOUT_NEGATIVE, 1},
    {"MAX_MONEY + 1 output", TXCHECK_ERR_VOUT_TOOLARGE, 1},
    {"MAX_MONEY output + 1 output", TXCHECK_ERR_TXOUTTOTAL_TOOLARGE, 1},
    {"Duplicate inputs", TXCHECK_ERR_INPUTS_DUPLICATE, 1},
    {"Coinbase of size 1", TXCHECK_ERR_BAD_CB_LENGTH, 1},
    {"Coinbase of size 101", TXCHECK_ERR_BAD_CB_LENGTH, 1},
    {"Null txin, but without being a coinbase (because there are two inputs)",
     TXCHECK_ERR_PREVOUT_NULL, 2},
};

static void test_tx_invalid_badtx_exactly(void **state)
{
    (void)state;
    json_t *rows = load_json("tx/tx_invalid.json");
    size_t tests = 0, badtx = 0, reason_seen[sizeof badtx_reasons / sizeof badtx_reasons[0]] = {0};
    int reason = -1; /* index into badtx_reasons of the comment block in force */
    bool last_was_test = false;
    for (size_t r = 0; r < json_array_size(rows); r++) {
        json_t *row = json_array_get(rows, r);
        if (json_array_size(row) == 1) {
            const char *c = json_string_value(json_array_get(row, 0));
            if (last_was_test) reason = -1; /* a new comment block */
            for (size_t k = 0; k < sizeof badtx_reasons / sizeof badtx_reasons[0]; k++)
                if (strcmp(c, badtx_reasons[k].comment) == 0) reason = (int)k;
            last_was_test = false;
            continue;
        }
        last_was_test = true;
        size_t len;
        uint8_t *raw = test_unhex(json_string_value(json_array_get(row, 1)), &len);
        bool is_badtx = strcmp(json_string_value(json_array_get(row, 2)), "BADTX") == 0;
        struct tx tx;
        assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_OK);
        enum txcheck_err err = txcheck_consensus(&tx);
        if (!is_badtx) {
            assert_int_equal(err, TXCHECK_OK);
        } else {
            badtx++;
            assert_true(reason >= 0);
            if (err != badtx_reasons[reason].err)
                fail_msg("%s: got %s", badtx_reasons[reason].comment, txcheck_err_str(err));
            reason_seen[reason]++;
        }
        tx_free(&tx);
        free(raw);
        tests++;
    }
    json_decref(rows);
    assert_int_equal(tests, 93);
    assert_int_equal(badtx, 9);
    for (size_t k = 0; k < sizeof badtx_reasons / sizeof badtx_reasons[0]; k++)
        assert_int_equal(reason_seen[k], badtx_reasons[k].count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_ids_match_the_chain),
        cmocka_unit_test(test_tx_valid_decode_and_pass),
        cmocka_unit_test(test_tx_invalid_badtx_exactly),
    };
    return test_run_group(tests);
}
