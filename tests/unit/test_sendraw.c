/* sendrawtransaction's checks end to end (src/wire/sendraw.c): hex in,
 * bitcoind's code and message out, for every rule, in bitcoind's order
 * when more than one thing is wrong; the largest standard transaction
 * (399,820 bytes, 799,640 hex digits) goes through. */
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/sendraw.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t op_true = 0x51;
static const uint8_t prev[32] = {0x77, 0x66, 0x55};
#define DECODE_FAILED "TX decode failed. Make sure the tx has at least one input."

static int run_hex(const char *hex, size_t len, struct sendraw_result *res)
{
    struct sendraw_request req = {.hex = hex, .hex_len = len};
    return sendraw_check(&req, res);
}

/* Run b's hex with default arguments; return the code, check the message. */
static int run(const struct txbuild *b, const char *want_message)
{
    char *hex = txbuild_hex(b);
    struct sendraw_result res;
    int code = run_hex(hex, strlen(hex), &res);
    assert_int_equal(code, res.rpc_code);
    assert_string_equal(res.message, want_message);
    if (code != 0) assert_null(res.raw);
    sendraw_result_free(&res);
    free(hex);
    return code;
}

static void spend(struct txbuild *b)
{
    txbuild_spend_p2wsh_op_true(b, prev, 0, 4999000000, NULL, 0);
}

static void test_accepts_p2wsh_op_true_spend(void **state)
{
    (void)state;
    struct txbuild b;
    spend(&b);
    char *hex = txbuild_hex(&b);
    struct sendraw_result res;
    assert_int_equal(run_hex(hex, strlen(hex), &res), 0);
    assert_string_equal(res.message, "");
    assert_int_equal(res.tx_err, TXCHECK_OK);
    assert_int_equal(res.max_fee_rate, 10000000);
    assert_int_equal(res.max_burn_amount, 0);
    uint8_t want[32];
    txbuild_txid(&b, want);
    assert_memory_equal(res.txid, want, 32);
    txbuild_wtxid(&b, want);
    assert_memory_equal(res.wtxid, want, 32);
    assert_int_equal(res.weight, 94 * 3 + 99);
    size_t len;
    uint8_t *raw = txbuild_bytes(&b, &len);
    assert_int_equal(res.raw_len, len);
    assert_memory_equal(res.raw, raw, len);
    sendraw_result_free(&res);
    assert_null(res.raw);
    /* upper case hex is hex too */
    for (char *c = hex; *c; c++) *c = (char)toupper((unsigned char)*c);
    assert_int_equal(run_hex(hex, strlen(hex), &res), 0);
    assert_memory_equal(res.raw, raw, len);
    sendraw_result_free(&res);
    free(raw);
    free(hex);
    txbuild_free(&b);
}

static void test_hex_and_decode_failures(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        size_t len;
        enum txcheck_err err;
    } cases[] = {
        {"", 0, TXCHECK_ERR_NOT_HEX},
        {"0", 1, TXCHECK_ERR_NOT_HEX},
        {"zz", 2, TXCHECK_ERR_NOT_HEX},
        {"0g", 2, TXCHECK_ERR_NOT_HEX},
        {"00 0", 4, TXCHECK_ERR_NOT_HEX},
        {"00\0" "0", 4, TXCHECK_ERR_NOT_HEX}, /* a NUL inside a JSON string */
        {"00", 2, TXCHECK_ERR_DECODE},
        {"0100000000", 10, TXCHECK_ERR_DECODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sendraw_result res;
        assert_int_equal(run_hex(cases[i].hex, cases[i].len, &res), -22);
        assert_int_equal(res.tx_err, cases[i].err);
        assert_string_equal(res.message, DECODE_FAILED);
        sendraw_result_free(&res);
    }
    struct sendraw_result res;
    struct sendraw_request req = {.hex = NULL};
    assert_int_equal(sendraw_check(&req, &res), -22);

    struct txbuild b;
    spend(&b);
    char *hex = txbuild_hex(&b);
    size_t n = strlen(hex);
    /* one hex digit short, one byte short, one byte more */
    assert_int_equal(run_hex(hex, n - 1, &res), -22);
    assert_int_equal(res.tx_err, TXCHECK_ERR_NOT_HEX);
    assert_int_equal(run_hex(hex, n - 2, &res), -22);
    assert_int_equal(res.tx_err, TXCHECK_ERR_DECODE);
    char *longer = malloc(n + 3);
    assert_non_null(longer);
    memcpy(longer, hex, n);
    memcpy(longer + n, "00", 3);
    assert_int_equal(run_hex(longer, n + 2, &res), -22);
    assert_int_equal(res.tx_err, TXCHECK_ERR_DECODE);
    free(longer);
    free(hex);
    /* a witness flag with every stack empty */
    free(b.in[0].witness[0].data);
    free(b.in[0].witness);
    b.in[0].witness = NULL;
    b.in[0].n_witness = 0;
    b.form = TXBUILD_WITNESS;
    assert_int_equal(run(&b, DECODE_FAILED), -22);
    txbuild_free(&b);
}

static void test_each_rule_with_its_reason(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_init(&b, 2); /* 0 inputs: only the legacy reading */
    txbuild_add_output(&b, 1, &op_true, 1);
    assert_int_equal(run(&b, "bad-txns-vin-empty"), -26);
    txbuild_free(&b);

    txbuild_init(&b, 2);
    txbuild_add_input(&b, prev, 0, 0);
    assert_int_equal(run(&b, "bad-txns-vout-empty"), -26);
    txbuild_add_output(&b, -1, &op_true, 1);
    assert_int_equal(run(&b, "bad-txns-vout-negative"), -26);
    b.out[0].value = AMOUNT_MAX_MONEY + 1;
    assert_int_equal(run(&b, "bad-txns-vout-toolarge"), -26);
    b.out[0].value = AMOUNT_MAX_MONEY;
    assert_int_equal(run(&b, ""), 0);
    txbuild_add_output(&b, 1, &op_true, 1);
    assert_int_equal(run(&b, "bad-txns-txouttotal-toolarge"), -26);
    b.out[0].value = AMOUNT_MAX_MONEY - 1; /* exactly 21M in all */
    assert_int_equal(run(&b, ""), 0);
    txbuild_add_input(&b, prev, 0, 0);
    assert_int_equal(run(&b, "bad-txns-inputs-duplicate"), -26);
    memset(b.in[1].prev_hash, 0, 32);
    b.in[1].prev_index = TX_NULL_INDEX;
    assert_int_equal(run(&b, "bad-txns-prevout-null"), -26);
    txbuild_free(&b);

    txbuild_init(&b, 1); /* a coinbase */
    static const uint8_t zero[32];
    txbuild_add_input(&b, zero, TX_NULL_INDEX, 0);
    txbuild_add_output(&b, 50, &op_true, 1);
    txbuild_set_script_sig(&b, 0, (const uint8_t *)"\x51", 1);
    assert_int_equal(run(&b, "bad-cb-length"), -26);
    txbuild_set_script_sig(&b, 0, (const uint8_t *)"\x51\x51", 2);
    assert_int_equal(run(&b, "coinbase"), -26);
    txbuild_free(&b);

    /* bad-txns-oversize: 1,000,001 bytes without witness */
    txbuild_init(&b, 1);
    txbuild_add_input(&b, prev, 0, 0);
    txbuild_add_output(&b, 1, &op_true, 1);
    uint8_t *sig = calloc(1000001 - 65, 1);
    assert_non_null(sig);
    txbuild_set_script_sig(&b, 0, sig, 1000001 - 65);
    free(sig);
    assert_int_equal(run(&b, "bad-txns-oversize"), -26);
    txbuild_free(&b);
}

/* The largest transaction that is standard by weight: 60 bytes without
 * witness (one input, one output with an empty script), the rest witness:
 * 60 * 3 + 399,820 = 400,000. */
static void test_largest_standard_transaction(void **state)
{
    (void)state;
    struct txbuild b;
    txbuild_init(&b, 2);
    txbuild_add_input(&b, prev, 0, 0);
    txbuild_add_output(&b, 1000, NULL, 0);
    /* 399,820 = 60 + marker/flag 2 + stack count 1 + item length 5 + item */
    size_t item = 399820 - 60 - 2 - 1 - 5;
    uint8_t *data = calloc(item + 1, 1);
    assert_non_null(data);
    txbuild_push_witness(&b, 0, data, item);
    char *hex = txbuild_hex(&b);
    assert_int_equal(strlen(hex), 799640);
    struct sendraw_result res;
    assert_int_equal(run_hex(hex, strlen(hex), &res), 0);
    assert_int_equal(res.weight, 400000);
    assert_int_equal(res.raw_len, 399820);
    sendraw_result_free(&res);
    free(hex);
    /* one byte more of witness is one weight unit too many */
    free(b.in[0].witness[0].data);
    b.in[0].n_witness = 0;
    txbuild_push_witness(&b, 0, data, item + 1);
    assert_int_equal(run(&b, "tx-size"), -26);
    free(data);
    txbuild_free(&b);
}

static void test_bitcoind_order_of_errors(void **state)
{
    (void)state;
    struct sendraw_result res;
    struct sendraw_request req = {.hex = "zz", .hex_len = 2};
    /* 1. maxburnamount before the hex */
    req.maxburnamount.kind = AMOUNT_ARG_OTHER;
    assert_int_equal(sendraw_check(&req, &res), -3);
    assert_string_equal(res.message, "Amount is not a number or string");
    assert_string_equal(res.amount_param, "maxburnamount");
    req.maxburnamount = (struct amount_arg){.kind = AMOUNT_ARG_STRING, .text = "-1", .text_len = 2};
    assert_int_equal(sendraw_check(&req, &res), -3);
    assert_string_equal(res.message, "Amount out of range");
    /* 2. the hex before maxfeerate */
    req.maxburnamount.kind = AMOUNT_ARG_ABSENT;
    req.maxfeerate = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = 5};
    assert_int_equal(sendraw_check(&req, &res), -22);

    /* 3. the burn check before maxfeerate and before the -26 rules */
    struct txbuild b;
    spend(&b);
    txbuild_add_output(&b, 1, (const uint8_t *)"\x6a\x01\x00", 3);
    txbuild_add_output(&b, -1, &op_true, 1);
    char *hex = txbuild_hex(&b);
    req.hex = hex;
    req.hex_len = strlen(hex);
    assert_int_equal(sendraw_check(&req, &res), -25);
    assert_string_equal(res.message,
                        "Unspendable output exceeds maximum configured by user (maxburnamount)");
    /* 4. maxfeerate before the -26 rules */
    req.maxburnamount = (struct amount_arg){.kind = AMOUNT_ARG_REAL, .real = 0.00000001};
    assert_int_equal(sendraw_check(&req, &res), -8);
    assert_string_equal(res.amount_param, "maxfeerate");
    assert_int_equal(res.max_burn_amount, 1);
    req.maxfeerate = (struct amount_arg){.kind = AMOUNT_ARG_STRING, .text = "x", .text_len = 1};
    assert_int_equal(sendraw_check(&req, &res), -3);
    assert_string_equal(res.message, "Invalid amount");
    /* 5. then the rules */
    req.maxfeerate = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = 0};
    assert_int_equal(sendraw_check(&req, &res), -26);
    assert_string_equal(res.message, "bad-txns-vout-negative");
    assert_int_equal(res.max_fee_rate, 0);
    free(hex);
    /* without the negative output the 1-satoshi burn is within 0.00000001 */
    b.n_out = 2;
    free(b.out[2].script);
    hex = txbuild_hex(&b);
    req.hex = hex;
    req.hex_len = strlen(hex);
    assert_int_equal(sendraw_check(&req, &res), 0);
    sendraw_result_free(&res);
    req.maxburnamount.kind = AMOUNT_ARG_ABSENT;
    assert_int_equal(sendraw_check(&req, &res), -25);
    free(hex);
    txbuild_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_p2wsh_op_true_spend),
        cmocka_unit_test(test_hex_and_decode_failures),
        cmocka_unit_test(test_each_rule_with_its_reason),
        cmocka_unit_test(test_largest_standard_transaction),
        cmocka_unit_test(test_bitcoind_order_of_errors),
    };
    return test_run_group(tests);
}
