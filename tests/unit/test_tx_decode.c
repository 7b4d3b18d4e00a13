/* Full transaction decoding (src/wire/txdecode.c) against transactions
 * built by hand with tests/unit/txbuild.c: both serializations, Core's
 * choice between two readings of the same bytes, every truncation,
 * trailing bytes, witness flags with empty stacks, non-canonical and
 * oversized counts, exact re-encoding, txid and wtxid. */
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/tx.h>
#include <btcpeerd/txcheck.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t hash_a[32] = {0xaa, 1, 2, 3};

/* Decode, re-encode in the same serialization, and insist on the same
 * bytes and on both ids matching a plain hash of the right bytes. */
static void assert_roundtrip(const uint8_t *raw, size_t len, enum tx_serialization ser)
{
    struct tx tx;
    assert_int_equal(tx_decode(raw, len, ser, &tx), WIRE_OK);
    assert_int_equal(tx.size, len);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(tx_encode(&tx, TX_WITH_WITNESS, &w), WIRE_OK);
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, raw, len);
    uint8_t id[32], want[32];
    tx_wtxid(&tx, id);
    sha256d(raw, len, want);
    assert_memory_equal(id, want, 32);
    buf_writer_reset(&w);
    assert_int_equal(tx_encode(&tx, TX_NO_WITNESS, &w), WIRE_OK);
    assert_int_equal(w.len, tx.stripped_size);
    tx_txid(&tx, id);
    sha256d(w.data, w.len, want);
    assert_memory_equal(id, want, 32);
    buf_writer_free(&w);
    tx_free(&tx);
}

static void test_p2wsh_op_true_spend_ids_and_fields(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_spend_p2wsh_op_true(&b, hash_a, 7, 4999990000, NULL, 0);
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    struct tx tx;
    assert_int_equal(tx_decode_any(raw, len, &tx), WIRE_OK);
    assert_int_equal(tx.version, 2);
    assert_int_equal(tx.n_inputs, 1);
    assert_int_equal(tx.n_outputs, 1);
    assert_memory_equal(tx.inputs[0].prev_hash, hash_a, 32);
    assert_int_equal(tx.inputs[0].prev_index, 7);
    assert_int_equal(tx.inputs[0].script_sig_len, 0);
    assert_int_equal(tx.inputs[0].sequence, 0xfffffffdu);
    /* witness stack [0x51]: one item, length 1, OP_TRUE */
    assert_int_equal(tx.inputs[0].witness_items, 1);
    assert_int_equal(tx.inputs[0].witness_len, 2);
    assert_memory_equal(tx.inputs[0].witness, "\x01\x51", 2);
    assert_int_equal(tx.outputs[0].value, 4999990000);
    uint8_t p2wsh[34];
    txbuild_p2wsh_op_true_script(p2wsh);
    assert_int_equal(tx.outputs[0].script_len, 34);
    assert_memory_equal(tx.outputs[0].script, p2wsh, 34);
    assert_true(tx_has_witness(&tx));
    assert_false(tx_is_coinbase(&tx));
    /* sizes: 4 version + 2 marker/flag + 1 + 41 + 1 + 43 + 3 witness + 4 */
    assert_int_equal(tx.size, 99);
    assert_int_equal(tx.stripped_size, 94);
    assert_int_equal(tx_weight(&tx), 94 * 3 + 99);
    uint8_t id[32], want[32];
    tx_txid(&tx, id);
    txbuild_txid(&b, want);
    assert_memory_equal(id, want, 32);
    tx_wtxid(&tx, id);
    txbuild_wtxid(&b, want);
    assert_memory_equal(id, want, 32);
    txbuild_txid(&b, want);
    assert_memory_not_equal(id, want, 32); /* the witness is in the wtxid only */
    assert_int_equal(txcheck_broadcast(&tx), TXCHECK_OK);
    tx_free(&tx);
    assert_roundtrip(raw, len, TX_WITH_WITNESS);
    free(raw);
    txbuild_free(&b);
}

static void test_p2wsh_op_true_script_and_address(void **state)
{
    (void)state;
    uint8_t script[34];
    txbuild_p2wsh_op_true_script(script);
    char hex[69];
    hex_encode(script, 34, hex);
    /* OP_0 PUSH32 sha256(0x51) */
    assert_string_equal(hex, "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260");
    char addr[90];
    txbuild_p2wsh_op_true_address("bcrt", addr, sizeof addr);
    /* Core's test_framework/address.py ADDRESS_BCRT1_P2WSH_OP_TRUE */
    assert_string_equal(addr, "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85");
    /* BIP173's P2WSH example */
    size_t n;
    uint8_t *prog = test_unhex("1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", &n);
    assert_true(txbuild_segwit_address("bc", prog, n, addr, sizeof addr));
    assert_string_equal(addr, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3");
    free(prog);
    prog = test_unhex("751e76e8199196d454941c45d1b3a323f1433bd6", &n); /* BIP173 P2WPKH */
    assert_true(txbuild_segwit_address("bc", prog, n, addr, sizeof addr));
    assert_string_equal(addr, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    free(prog);
}

static void test_legacy_multi_io_roundtrip(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_init(&b, 1);
    b.locktime = 500000;
    uint8_t sig[300];
    memset(sig, 0x01, sizeof sig); /* long enough for a 3-byte length */
    for (uint32_t i = 0; i < 3; i++) {
        size_t in = txbuild_add_input(&b, hash_a, i, 0xffffffff - i);
        txbuild_set_script_sig(&b, in, sig, 100 * i);
    }
    txbuild_add_output(&b, 1, (const uint8_t *)"\x51", 1);
    txbuild_add_output(&b, 0, NULL, 0);
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    struct tx tx;
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_OK);
    assert_int_equal(tx.n_inputs, 3);
    assert_int_equal(tx.inputs[2].script_sig_len, 200);
    assert_int_equal(tx.inputs[2].sequence, 0xfffffffd);
    assert_int_equal(tx.outputs[1].script_len, 0);
    assert_int_equal(tx.locktime, 500000);
    assert_false(tx_has_witness(&tx));
    assert_int_equal(tx.stripped_size, len);
    tx_free(&tx);
    assert_roundtrip(raw, len, TX_WITH_WITNESS);
    assert_roundtrip(raw, len, TX_NO_WITNESS);
    free(raw);
    txbuild_free(&b);
}

/* Every proper prefix fails, as does any byte more. A prefix may happen to
 * read as a zero-input transaction without witness rules (Core's DecodeTx
 * would take it too), which is then refused for having no input. */
static void check_truncations(const uint8_t *raw, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        struct tx tx;
        enum wire_err err = tx_decode(raw, n, TX_WITH_WITNESS, &tx);
        assert_int_not_equal(err, WIRE_OK);
        assert_null(tx.inputs);
        if (tx_decode_any(raw, n, &tx) == WIRE_OK) {
            assert_int_equal(tx.n_inputs, 0);
            assert_int_equal(txcheck_broadcast(&tx), TXCHECK_ERR_VIN_EMPTY);
            tx_free(&tx);
        }
    }
    uint8_t *more = malloc(len + 1);
    assert_non_null(more);
    memcpy(more, raw, len);
    more[len] = 0;
    struct tx tx;
    assert_int_equal(tx_decode(more, len + 1, TX_WITH_WITNESS, &tx), WIRE_ERR_TRAILING);
    assert_int_not_equal(tx_decode_any(more, len + 1, &tx), WIRE_OK);
    free(more);
}

static void test_truncations_and_trailing_bytes(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_spend_p2wsh_op_true(&b, hash_a, 0, 1000, NULL, 0);
    txbuild_push_witness(&b, 0, (const uint8_t *)"\x01\x02\x03", 3);
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    check_truncations(raw, len);
    free(raw);
    b.form = TXBUILD_LEGACY;
    raw = txbuild_bytes(&b, &len);
    check_truncations(raw, len);
    free(raw);
    txbuild_free(&b);
}

static void test_witness_flag_rules(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_init(&b, 2);
    txbuild_add_input(&b, hash_a, 0, 0);
    txbuild_add_input(&b, hash_a, 1, 0);
    txbuild_add_output(&b, 1, (const uint8_t *)"\x51", 1);
    b.form = TXBUILD_WITNESS; /* marker and flag, every stack empty */
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    struct tx tx;
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_ERR_BAD_TX);
    /* read as legacy it is 0 inputs and 1 output with garbage after:
     * no reading works, so sendrawtransaction's "TX decode failed" */
    assert_int_not_equal(tx_decode_any(raw, len, &tx), WIRE_OK);
    free(raw);

    /* one empty stack beside a non-empty one is fine */
    txbuild_push_witness(&b, 1, NULL, 0); /* a stack of one empty item */
    raw = txbuild_bytes(&b, &len);
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_OK);
    assert_int_equal(tx.inputs[0].witness_items, 0);
    assert_int_equal(tx.inputs[1].witness_items, 1);
    tx_free(&tx);
    assert_roundtrip(raw, len, TX_WITH_WITNESS);
    free(raw);

    /* unknown flag bits, with or without the witness bit */
    for (unsigned flag = 2; flag < 256; flag++) {
        b.flag_byte = (uint8_t)flag;
        raw = txbuild_bytes(&b, &len);
        assert_int_not_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_OK);
        free(raw);
    }
    b.flag_byte = 3;
    raw = txbuild_bytes(&b, &len);
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &tx), WIRE_ERR_BAD_TX);
    free(raw);
    txbuild_free(&b);
}

static void test_empty_marker_reads_and_counts(void **state)
{
    (void)state;
    /* version, 00, 00, locktime: with witness rules the marker is followed
     * by flag 0, so no inputs and no outputs; the same bytes re-encode */
    static const uint8_t ten[] = {2, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44};
    struct tx tx;
    assert_int_equal(tx_decode(ten, sizeof ten, TX_WITH_WITNESS, &tx), WIRE_OK);
    assert_int_equal(tx.n_inputs, 0);
    assert_int_equal(tx.n_outputs, 0);
    assert_int_equal(tx.locktime, 0x44332211u);
    assert_int_equal(txcheck_consensus(&tx), TXCHECK_ERR_VIN_EMPTY);
    tx_free(&tx);
    assert_roundtrip(ten, sizeof ten, TX_WITH_WITNESS);
    assert_roundtrip(ten, sizeof ten, TX_NO_WITNESS);

    /* a non-canonical input count (0xfd 0x01 0x00) */
    static const uint8_t noncanon[] = {1, 0, 0, 0, 0xfd, 1, 0};
    assert_int_equal(tx_decode(noncanon, sizeof noncanon, TX_WITH_WITNESS, &tx), WIRE_ERR_NONCANONICAL);
    /* a count over Core's MAX_SIZE (0x02000001) */
    static const uint8_t huge[] = {1, 0, 0, 0, 0xfe, 0x01, 0, 0, 0x02};
    assert_int_equal(tx_decode(huge, sizeof huge, TX_WITH_WITNESS, &tx), WIRE_ERR_TOO_MANY);
    /* a count the bytes cannot hold fails before allocating */
    static const uint8_t lying[] = {1, 0, 0, 0, 0xfe, 0, 0, 0, 0x01, 0, 0, 0, 0};
    assert_int_equal(tx_decode(lying, sizeof lying, TX_WITH_WITNESS, &tx), WIRE_ERR_TRUNCATED);
    assert_null(tx.inputs);
}

/* The bytes of a one-input transaction that also read, without witness
 * rules, as a zero-input one whose single output script swallows the
 * rest (the layout is worked out in docs/WIRE.md's note on DecodeTx).
 * out_op is the first byte of the segwit reading's output script;
 * sequence decides whether the legacy reading's script parses. */
static uint8_t *ambiguous_tx(uint8_t out_op, uint32_t sequence, size_t *len)
{
    const size_t script_len = 1;
    uint8_t hash[32] = {0};
    hash[7] = (uint8_t)(46 + script_len); /* the legacy reading's script length */
    struct txbuild b;
    txbuild_init(&b, 2);
    txbuild_add_input(&b, hash, 0, sequence);
    txbuild_push_witness(&b, 0, (const uint8_t *)"\x51", 1);
    txbuild_add_output(&b, 1000, &out_op, script_len);
    uint8_t *raw = txbuild_bytes(&b, len);
    txbuild_free(&b);
    return raw;
}

static size_t inputs_chosen(const uint8_t *raw, size_t len)
{
    struct tx tx;
    assert_int_equal(tx_decode_any(raw, len, &tx), WIRE_OK);
    size_t n = tx.n_inputs;
    tx_free(&tx);
    return n;
}

static void test_decode_choice_follows_core(void **state)
{
    (void)state;
    size_t len;
    struct tx with, without;
    /* both readings decode and both have sane scripts: witness wins */
    uint8_t *raw = ambiguous_tx(0x51, 0, &len);
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &with), WIRE_OK);
    assert_int_equal(tx_decode(raw, len, TX_NO_WITNESS, &without), WIRE_OK);
    assert_int_equal(with.n_inputs, 1);
    assert_int_equal(without.n_inputs, 0);
    assert_int_equal(without.n_outputs, 1);
    assert_int_equal(without.outputs[0].script_len, len - 19);
    tx_free(&with);
    tx_free(&without);
    assert_int_equal(inputs_chosen(raw, len), 1);
    free(raw);

    /* the witness reading's output has an invalid opcode (0xff), the
     * legacy reading parses: legacy wins, and is then refused for having
     * no input, as bitcoind refuses it */
    raw = ambiguous_tx(0xff, 0, &len);
    assert_int_equal(inputs_chosen(raw, len), 0);
    assert_int_equal(tx_decode_any(raw, len, &without), WIRE_OK);
    assert_int_equal(txcheck_broadcast(&without), TXCHECK_ERR_VIN_EMPTY);
    tx_free(&without);
    free(raw);

    /* neither reading has sane scripts (sequence 0xffffffff puts opcode
     * 0xff into the legacy script): witness wins */
    raw = ambiguous_tx(0xff, 0xffffffff, &len);
    assert_int_equal(tx_decode(raw, len, TX_NO_WITNESS, &without), WIRE_OK);
    tx_free(&without);
    assert_int_equal(inputs_chosen(raw, len), 1);
    free(raw);

    /* only the legacy reading decodes: version, 0 inputs, 1 output of
     * value 0 to OP_TRUE, locktime (as witness: flag 1, then 0 inputs,
     * 0 outputs and a witness section with no stack) */
    struct txbuild b;
    txbuild_init(&b, 1);
    txbuild_add_output(&b, 0, (const uint8_t *)"\x51", 1);
    raw = txbuild_bytes(&b, &len);
    assert_int_equal(tx_decode(raw, len, TX_WITH_WITNESS, &with), WIRE_ERR_BAD_TX);
    assert_int_equal(inputs_chosen(raw, len), 0);
    assert_roundtrip(raw, len, TX_NO_WITNESS);
    free(raw);
    txbuild_free(&b);
}

static void test_random_mutations_never_crash(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_spend_p2wsh_op_true(&b, hash_a, 1, 1000, NULL, 0);
    txbuild_add_output(&b, 5, (const uint8_t *)"\x6a\x01\x02", 3);
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    uint64_t seed = 16;
    size_t decoded = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, raw, len);
        uint8_t r[3];
        test_random_bytes(&seed, r, sizeof r);
        buf[r[0] % len] = r[1];
        size_t n = len - (r[2] % 4 == 0 ? r[2] % 8 : 0);
        struct tx tx;
        if (tx_decode_any(buf, n, &tx) != WIRE_OK) continue;
        decoded++;
        struct buf_writer w;
        buf_writer_init(&w);
        assert_int_equal(tx_encode(&tx, TX_WITH_WITNESS, &w), WIRE_OK);
        assert_int_equal(w.len, n);
        assert_memory_equal(w.data, buf, n);
        buf_writer_free(&w);
        (void)txcheck_broadcast(&tx);
        tx_free(&tx);
    }
    assert_true(decoded > 1000); /* most one-byte changes still decode */
    free(buf);
    free(raw);
    txbuild_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p2wsh_op_true_spend_ids_and_fields),
        cmocka_unit_test(test_p2wsh_op_true_script_and_address),
        cmocka_unit_test(test_legacy_multi_io_roundtrip),
        cmocka_unit_test(test_truncations_and_trailing_bytes),
        cmocka_unit_test(test_witness_flag_rules),
        cmocka_unit_test(test_empty_marker_reads_and_counts),
        cmocka_unit_test(test_decode_choice_follows_core),
        cmocka_unit_test(test_random_mutations_never_crash),
    };
    return test_run_group(tests);
}
