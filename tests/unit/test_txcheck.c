/* The broadcast rules (src/wire/txcheck.c, src/wire/script.c): each rule
 * with its error, bitcoind code and message, at its boundaries (weight
 * exactly 400,000 passes, one more fails; outputs summing to exactly 21M
 * BTC pass), in Core's order when several are broken, and
 * maxburnamount's idea of a burned output. */
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/script.h>
#include <btcpeerd/tx.h>
#include <btcpeerd/txcheck.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t op_true = 0x51;

static void hash_of(uint8_t h[32], unsigned n)
{
    memset(h, 0, 32);
    h[0] = (uint8_t)n;
    h[1] = (uint8_t)(n >> 8);
    h[31] = 0x5a;
}

/* A valid-looking legacy transaction: n_in distinct inputs, one output of
 * 1,000 satoshis to OP_TRUE. */
static void simple_tx(struct txbuild *b, size_t n_in)
{
    txbuild_init(b, 2);
    for (size_t i = 0; i < n_in; i++) {
        uint8_t h[32];
        hash_of(h, (unsigned)i);
        txbuild_add_input(b, h, 0, 0xffffffff);
    }
    txbuild_add_output(b, 1000, &op_true, 1);
}

struct checked {
    enum txcheck_err consensus, broadcast;
    uint64_t weight;
    size_t stripped, size;
};

static struct checked check(const struct txbuild *b)
{
    size_t len;
    uint8_t *raw = txbuild_bytes(b, &len);
    struct tx tx;
    assert_int_equal(tx_decode_any(raw, len, &tx), WIRE_OK);
    struct checked c = {txcheck_consensus(&tx), txcheck_broadcast(&tx), tx_weight(&tx),
                        tx.stripped_size, tx.size};
    tx_free(&tx);
    free(raw);
    return c;
}

static void expect(const struct txbuild *b, enum txcheck_err consensus, enum txcheck_err broadcast)
{
    struct checked c = check(b);
    if (c.consensus != consensus || c.broadcast != broadcast)
        fail_msg("consensus %s (want %s), broadcast %s (want %s)", txcheck_err_str(c.consensus),
                 txcheck_err_str(consensus), txcheck_err_str(c.broadcast), txcheck_err_str(broadcast));
}

static void test_errors_map_to_bitcoind(void **state)
{
    (void)state;
    static const char *const reasons[] = {
        "bad-txns-vin-empty", "bad-txns-vout-empty", "bad-txns-oversize",
        "bad-txns-vout-negative", "bad-txns-vout-toolarge", "bad-txns-txouttotal-toolarge",
        "bad-txns-inputs-duplicate", "bad-cb-length", "bad-txns-prevout-null", "coinbase",
        "tx-size",
    };
    for (enum txcheck_err e = TXCHECK_ERR_VIN_EMPTY; e <= TXCHECK_ERR_TX_SIZE; e++) {
        assert_int_equal(txcheck_err_rpc_code(e), -26);
        assert_string_equal(txcheck_err_str(e), reasons[e - TXCHECK_ERR_VIN_EMPTY]);
        assert_string_equal(txcheck_err_message(e), reasons[e - TXCHECK_ERR_VIN_EMPTY]);
    }
    assert_int_equal(txcheck_err_rpc_code(TXCHECK_ERR_NOT_HEX), -22);
    assert_int_equal(txcheck_err_rpc_code(TXCHECK_ERR_DECODE), -22);
    assert_string_equal(txcheck_err_message(TXCHECK_ERR_DECODE),
                        "TX decode failed. Make sure the tx has at least one input.");
    assert_string_equal(txcheck_err_message(TXCHECK_ERR_NOT_HEX),
                        txcheck_err_message(TXCHECK_ERR_DECODE));
    assert_string_not_equal(txcheck_err_str(TXCHECK_ERR_NOT_HEX), txcheck_err_str(TXCHECK_ERR_DECODE));
    assert_int_equal(txcheck_err_rpc_code(TXCHECK_ERR_MAX_BURN), -25);
    assert_string_equal(txcheck_err_message(TXCHECK_ERR_MAX_BURN),
                        "Unspendable output exceeds maximum configured by user (maxburnamount)");
    assert_int_equal(txcheck_err_rpc_code(TXCHECK_ERR_NOMEM), -7);
    assert_int_equal(txcheck_err_rpc_code(TXCHECK_OK), 0);
}

static void test_inputs_and_outputs_present(void **state)
{
    (void)state;
    struct txbuild b;
    simple_tx(&b, 1);
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    txbuild_free(&b);
    simple_tx(&b, 0); /* legacy bytes: 0 inputs, 1 output */
    expect(&b, TXCHECK_ERR_VIN_EMPTY, TXCHECK_ERR_VIN_EMPTY);
    txbuild_free(&b);
    txbuild_init(&b, 2); /* no input and no output: the input rule first */
    expect(&b, TXCHECK_ERR_VIN_EMPTY, TXCHECK_ERR_VIN_EMPTY);
    txbuild_free(&b);
    simple_tx(&b, 1);
    free(b.out[0].script);
    free(b.out);
    b.out = NULL;
    b.n_out = 0;
    expect(&b, TXCHECK_ERR_VOUT_EMPTY, TXCHECK_ERR_VOUT_EMPTY);
    txbuild_free(&b);
}

static void test_output_values_and_sum(void **state)
{
    (void)state;
    static const struct {
        int64_t v[3];
        size_t n;
        enum txcheck_err want;
    } cases[] = {
        {{0}, 1, TXCHECK_OK},
        {{AMOUNT_MAX_MONEY}, 1, TXCHECK_OK},
        {{AMOUNT_MAX_MONEY - 1, 1}, 2, TXCHECK_OK}, /* exactly 21M in all */
        {{AMOUNT_MAX_MONEY / 2, AMOUNT_MAX_MONEY / 2}, 2, TXCHECK_OK},
        {{-1}, 1, TXCHECK_ERR_VOUT_NEGATIVE},
        {{INT64_MIN}, 1, TXCHECK_ERR_VOUT_NEGATIVE},
        {{AMOUNT_MAX_MONEY + 1}, 1, TXCHECK_ERR_VOUT_TOOLARGE},
        {{INT64_MAX}, 1, TXCHECK_ERR_VOUT_TOOLARGE},
        {{AMOUNT_MAX_MONEY, 1}, 2, TXCHECK_ERR_TXOUTTOTAL_TOOLARGE},
        {{AMOUNT_MAX_MONEY, AMOUNT_MAX_MONEY, AMOUNT_MAX_MONEY}, 3, TXCHECK_ERR_TXOUTTOTAL_TOOLARGE},
        /* the first output that breaks a rule names it, as in Core's loop */
        {{AMOUNT_MAX_MONEY, 1, -1}, 3, TXCHECK_ERR_TXOUTTOTAL_TOOLARGE},
        {{-1, AMOUNT_MAX_MONEY + 1}, 2, TXCHECK_ERR_VOUT_NEGATIVE},
        {{AMOUNT_MAX_MONEY + 1, -1}, 2, TXCHECK_ERR_VOUT_TOOLARGE},
        {{5, INT64_MAX, INT64_MAX}, 3, TXCHECK_ERR_VOUT_TOOLARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct txbuild b;
        simple_tx(&b, 1);
        b.out[0].value = cases[i].v[0];
        for (size_t k = 1; k < cases[i].n; k++) txbuild_add_output(&b, cases[i].v[k], &op_true, 1);
        struct checked c = check(&b);
        if (c.consensus != cases[i].want) fail_msg("case %zu: %s", i, txcheck_err_str(c.consensus));
        txbuild_free(&b);
    }
}

static void test_duplicate_inputs(void **state)
{
    (void)state;
    struct txbuild b;
    simple_tx(&b, 2);
    memcpy(b.in[1].prev_hash, b.in[0].prev_hash, 32);
    b.in[1].prev_index = 1; /* same txid, another output: fine */
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    b.in[1].prev_index = 0;
    expect(&b, TXCHECK_ERR_INPUTS_DUPLICATE, TXCHECK_ERR_INPUTS_DUPLICATE);
    /* amounts are checked before inputs */
    b.out[0].value = -5;
    expect(&b, TXCHECK_ERR_VOUT_NEGATIVE, TXCHECK_ERR_VOUT_NEGATIVE);
    txbuild_free(&b);

    /* many inputs (the sorted path): distinct, then first == last, then
     * two in the middle that differ only in the index's high byte */
    simple_tx(&b, 300);
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    memcpy(b.in[299].prev_hash, b.in[0].prev_hash, 32);
    expect(&b, TXCHECK_ERR_INPUTS_DUPLICATE, TXCHECK_ERR_INPUTS_DUPLICATE);
    hash_of(b.in[299].prev_hash, 299);
    memcpy(b.in[150].prev_hash, b.in[151].prev_hash, 32);
    b.in[150].prev_index = 0x01000000;
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    b.in[150].prev_index = 0;
    expect(&b, TXCHECK_ERR_INPUTS_DUPLICATE, TXCHECK_ERR_INPUTS_DUPLICATE);
    txbuild_free(&b);

    /* two null prevouts: a duplicate before it is a null prevout */
    simple_tx(&b, 2);
    for (int i = 0; i < 2; i++) {
        memset(b.in[i].prev_hash, 0, 32);
        b.in[i].prev_index = TX_NULL_INDEX;
    }
    expect(&b, TXCHECK_ERR_INPUTS_DUPLICATE, TXCHECK_ERR_INPUTS_DUPLICATE);
    txbuild_free(&b);
}

static void test_null_prevout_and_coinbase(void **state)
{
    (void)state;
    uint8_t sig[101];
    memset(sig, 0x51, sizeof sig);
    struct txbuild b;
    simple_tx(&b, 1);
    memset(b.in[0].prev_hash, 0, 32);
    b.in[0].prev_index = TX_NULL_INDEX; /* a coinbase */
    static const struct {
        size_t len;
        enum txcheck_err consensus, broadcast;
    } sizes[] = {
        {0, TXCHECK_ERR_BAD_CB_LENGTH, TXCHECK_ERR_BAD_CB_LENGTH},
        {1, TXCHECK_ERR_BAD_CB_LENGTH, TXCHECK_ERR_BAD_CB_LENGTH},
        {2, TXCHECK_OK, TXCHECK_ERR_COINBASE},
        {100, TXCHECK_OK, TXCHECK_ERR_COINBASE},
        {101, TXCHECK_ERR_BAD_CB_LENGTH, TXCHECK_ERR_BAD_CB_LENGTH},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        txbuild_set_script_sig(&b, 0, sig, sizes[i].len);
        expect(&b, sizes[i].consensus, sizes[i].broadcast);
    }
    /* a zero txid with index 0, or index 0xffffffff of another txid, is
     * not null */
    b.in[0].prev_index = 0;
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    b.in[0].prev_hash[5] = 1;
    b.in[0].prev_index = TX_NULL_INDEX;
    expect(&b, TXCHECK_OK, TXCHECK_OK);
    txbuild_free(&b);

    /* a null prevout beside another input: not a coinbase, refused */
    simple_tx(&b, 2);
    memset(b.in[1].prev_hash, 0, 32);
    b.in[1].prev_index = TX_NULL_INDEX;
    txbuild_set_script_sig(&b, 1, sig, 5);
    expect(&b, TXCHECK_ERR_PREVOUT_NULL, TXCHECK_ERR_PREVOUT_NULL);
    txbuild_free(&b);
}

/* A legacy transaction of exactly `size` bytes (one input whose scriptSig
 * fills it): its weight is 4 * size. */
static void legacy_of_size(struct txbuild *b, size_t size)
{
    simple_tx(b, 1);
    /* simple_tx with an empty scriptSig is 61 bytes, 1 of them the
     * script's length, which grows to 3 or 5 bytes with the script */
    size_t fill = size - 61;
    if (fill >= 0xfd) fill = size - 63;
    if (fill > 0xffff) fill = size - 65;
    uint8_t *sig = calloc(fill, 1);
    assert_non_null(sig);
    txbuild_set_script_sig(b, 0, sig, fill);
    free(sig);
    assert_int_equal(check(b).size, size);
}

/* A segwit transaction of exactly `weight` (one input whose single witness
 * item fills it). */
static void witness_of_weight(struct txbuild *b, uint64_t weight)
{
    simple_tx(b, 1);
    /* stripped 61 bytes * 3 + 61 + marker, flag, item count = 247 + item with its length */
    size_t rest = (size_t)(weight - 247);
    size_t item = rest - 1;
    if (item >= 0xfd) item = rest - 3;
    if (item > 0xffff) item = rest - 5;
    uint8_t *data = calloc(item, 1);
    assert_non_null(data);
    txbuild_push_witness(b, 0, data, item);
    free(data);
    assert_int_equal(check(b).weight, weight);
}

static void test_weight_boundaries(void **state)
{
    (void)state;
    struct txbuild b;
    static const size_t sizes[] = {100000, 100001};
    for (size_t i = 0; i < 2; i++) {
        legacy_of_size(&b, sizes[i]);
        struct checked c = check(&b);
        assert_int_equal(c.weight, 4 * sizes[i]);
        assert_int_equal(c.consensus, TXCHECK_OK);
        assert_int_equal(c.broadcast, i == 0 ? TXCHECK_OK : TXCHECK_ERR_TX_SIZE);
        txbuild_free(&b);
    }
    static const uint64_t weights[] = {400000, 400001};
    for (size_t i = 0; i < 2; i++) {
        witness_of_weight(&b, weights[i]);
        struct checked c = check(&b);
        assert_int_equal(c.stripped, 61);
        assert_int_equal(c.consensus, TXCHECK_OK);
        assert_int_equal(c.broadcast, i == 0 ? TXCHECK_OK : TXCHECK_ERR_TX_SIZE);
        txbuild_free(&b);
    }
    /* each witness byte is one weight unit: the limit is exact */
    for (uint64_t w = 399990; w <= 400010; w++) {
        witness_of_weight(&b, w);
        assert_int_equal(check(&b).broadcast, w <= 400000 ? TXCHECK_OK : TXCHECK_ERR_TX_SIZE);
        txbuild_free(&b);
    }
}

static void test_consensus_size_limit(void **state)
{
    (void)state;
    struct txbuild b;
    /* 1,000,000 stripped bytes is consensus-valid but far from standard */
    legacy_of_size(&b, 1000000);
    expect(&b, TXCHECK_OK, TXCHECK_ERR_TX_SIZE);
    txbuild_free(&b);
    legacy_of_size(&b, 1000001);
    expect(&b, TXCHECK_ERR_OVERSIZE, TXCHECK_ERR_OVERSIZE);
    /* oversize comes before the output rules */
    b.out[0].value = -1;
    expect(&b, TXCHECK_ERR_OVERSIZE, TXCHECK_ERR_OVERSIZE);
    txbuild_free(&b);
    /* the witness does not count towards it */
    witness_of_weight(&b, 4000004);
    expect(&b, TXCHECK_OK, TXCHECK_ERR_TX_SIZE);
    txbuild_free(&b);
}

static void test_script_ops(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        bool valid;
    } scripts[] = {
        {"", true},
        {"51", true},
        {"b9", true},               /* OP_NOP10, the last opcode */
        {"ba", false},              /* above it */
        {"ff", false},
        {"01", false},              /* push 1, nothing follows */
        {"0100", true},
        {"4c", false},              /* PUSHDATA1 without its length */
        {"4c01", false},
        {"4c0107", true},
        {"4d01", false},            /* PUSHDATA2 with half a length */
        {"4d010007", true},
        {"4e01000000", false},
        {"4effffffff00", false},    /* a 4 GiB push in 6 bytes */
        {"4e0100000007", true},
        {"6a0568656c6c6f", true},   /* OP_RETURN "hello" parses */
    };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        size_t n;
        uint8_t *s = test_unhex(scripts[i].hex, &n);
        if (script_has_valid_ops(s, n) != scripts[i].valid) fail_msg("script %s", scripts[i].hex);
        free(s);
    }
    /* pushes up to 520 bytes */
    uint8_t big[3 + 521];
    memset(big, 0, sizeof big);
    big[0] = SCRIPT_OP_PUSHDATA2;
    big[1] = 520 & 0xff;
    big[2] = 520 >> 8;
    assert_true(script_has_valid_ops(big, 3 + 520));
    big[1] = 521 & 0xff;
    assert_true(521 >> 8 == big[2]);
    assert_false(script_has_valid_ops(big, 3 + 521));
}

static void test_burned_outputs(void **state)
{
    (void)state;
    uint8_t *long_script = malloc(SCRIPT_MAX_SIZE + 1);
    assert_non_null(long_script);
    memset(long_script, op_true, SCRIPT_MAX_SIZE + 1);
    static const uint8_t op_return_data[] = {0x6a, 0x02, 0xab, 0xcd};
    static const uint8_t bad_op[] = {0x51, 0xba};
    static const uint8_t cut_push[] = {0x4c};
    static const struct {
        const uint8_t *script;
        size_t len;
        bool burn;
    } outs[] = {
        {NULL, 0, false}, /* an empty script: anyone can spend it */
        {&op_true, 1, false},
        {op_return_data, sizeof op_return_data, true},
        {op_return_data, 1, true}, /* bare OP_RETURN */
        {bad_op, sizeof bad_op, true},
        {cut_push, sizeof cut_push, true},
        {NULL, SCRIPT_MAX_SIZE, false}, /* long_script, 10,000 bytes */
        {NULL, SCRIPT_MAX_SIZE + 1, true},
    };
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        const uint8_t *script = outs[i].len > 1000 ? long_script : outs[i].script;
        struct tx_output o = {1, script, outs[i].len};
        if (txcheck_output_is_burn(&o) != outs[i].burn) fail_msg("output %zu", i);

        struct txbuild b;
        simple_tx(&b, 1);
        txbuild_add_output(&b, 1, script, outs[i].len);
        size_t len;
        uint8_t *raw = txbuild_bytes(&b, &len);
        struct tx tx;
        assert_int_equal(tx_decode_any(raw, len, &tx), WIRE_OK);
        /* value 1: a burn is refused at maxburnamount 0, allowed at 1 */
        assert_int_equal(txcheck_max_burn(&tx, 0), outs[i].burn ? TXCHECK_ERR_MAX_BURN : TXCHECK_OK);
        assert_int_equal(txcheck_max_burn(&tx, 1), TXCHECK_OK);
        tx.outputs[1].value = 0; /* a zero-value OP_RETURN burns nothing */
        assert_int_equal(txcheck_max_burn(&tx, 0), TXCHECK_OK);
        tx_free(&tx);
        free(raw);
        txbuild_free(&b);
    }
    free(long_script);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_map_to_bitcoind),
        cmocka_unit_test(test_inputs_and_outputs_present),
        cmocka_unit_test(test_output_values_and_sum),
        cmocka_unit_test(test_duplicate_inputs),
        cmocka_unit_test(test_null_prevout_and_coinbase),
        cmocka_unit_test(test_weight_boundaries),
        cmocka_unit_test(test_consensus_size_limit),
        cmocka_unit_test(test_script_ops),
        cmocka_unit_test(test_burned_outputs),
    };
    return test_run_group(tests);
}
