/* sendrawtransaction and addpeeraddress over a real daemon's JSON-RPC:
 * every sanity rule refused with bitcoind's code and message, the largest
 * standard transaction accepted, a hex string over the body cap refused
 * by the cap (HTTP 413) without being parsed, the same through
 * btcpeerd-cli (arguments and -stdin), and addpeeraddress's results. */
#include "cli_runner.h"
#include "harness.h"
#include "rpc_daemon.h"
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/amount.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/tx.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000

static const uint8_t prev[32] = {1, 2, 3};
static const uint8_t op_true = 0x51;
static const char DECODE_FAILED[] = "TX decode failed. Make sure the tx has at least one input.";

/* sendrawtransaction of b's hex with extra params (a JSON array text of
 * the parameters after the hex, or NULL). */
static json_t *send_tx(const struct rpc_daemon *r, const struct txbuild *b, const char *more)
{
    char *hex = txbuild_hex(b);
    json_t *params = more ? json_loads(more, 0, NULL) : json_array();
    assert_non_null(params);
    json_array_insert_new(params, 0, json_string(hex));
    free(hex);
    return rpc_call(r, "sendrawtransaction", params);
}

/* Refused with code and message. */
static void expect_error(json_t *reply, int64_t code, const char *message)
{
    const char *msg;
    int64_t got = rpc_error_code(reply, &msg);
    if (got != code || strcmp(msg, message) != 0)
        fail_msg("want %lld '%s', got %lld '%s'", (long long)code, message, (long long)got, msg);
    json_decref(reply);
}

static void expect_tx_error(const struct rpc_daemon *r, const struct txbuild *b, const char *more,
                            int64_t code, const char *message)
{
    expect_error(send_tx(r, b, more), code, message);
}

/* Accepted: the result is the txid, as bitcoind shows it. */
static void expect_accepted(const struct rpc_daemon *r, const struct txbuild *b, const char *more)
{
    json_t *reply = send_tx(r, b, more);
    uint8_t txid[32];
    char want[65];
    txbuild_txid(b, txid);
    hex_encode_rev(txid, 32, want);
    assert_string_equal(json_string_value(rpc_result(reply)), want);
    json_decref(reply);
}

static void spend(struct txbuild *b)
{
    txbuild_spend_p2wsh_op_true(b, prev, 0, 4999000000, NULL, 0);
}

static void test_every_rule_with_bitcoinds_code(void **state)
{
    (void)state;
    struct rpc_daemon r;
    rpc_daemon_start(&r, NULL);
    struct txbuild b;

    /* the hex string's JSON type (RPCHelpMan), missing */
    expect_error(rpc_call(&r, "sendrawtransaction", json_pack("[i]", 12)), -3,
                 "Wrong type passed:\n{\n    \"Position 1 (hexstring)\": \"JSON value of type number "
                 "is not of expected type string\"\n}");
    expect_error(rpc_call(&r, "sendrawtransaction", json_array()), -8, "Missing required argument 1");

    /* -22: not hex, odd length, trailing bytes */
    expect_error(rpc_call(&r, "sendrawtransaction", json_pack("[s]", "zz")), -22, DECODE_FAILED);
    expect_error(rpc_call(&r, "sendrawtransaction", json_pack("[s]", "0")), -22, DECODE_FAILED);
    spend(&b);
    char *hex = txbuild_hex(&b);
    char *longer = malloc(strlen(hex) + 3);
    assert_non_null(longer);
    sprintf(longer, "%s00", hex);
    expect_error(rpc_call(&r, "sendrawtransaction", json_pack("[s]", longer)), -22, DECODE_FAILED);
    free(longer);
    free(hex);

    /* -3 amounts (maxburnamount first, then maxfeerate), -8 fee rate */
    expect_tx_error(&r, &b, "[null, true]", -3, "Amount is not a number or string");
    expect_tx_error(&r, &b, "[null, -1]", -3, "Amount out of range");
    expect_tx_error(&r, &b, "[null, \"0.000000001\"]", -3, "Invalid amount");
    expect_tx_error(&r, &b, "[\"x\"]", -3, "Invalid amount");
    expect_tx_error(&r, &b, "[1]", -8, "Fee rates larger than or equal to 1BTC/kvB are not accepted");
    txbuild_free(&b);

    /* -25: a burn above maxburnamount */
    spend(&b);
    static const uint8_t op_return[] = {0x6a, 0x01, 0x00};
    txbuild_add_output(&b, 1000, op_return, sizeof op_return);
    expect_tx_error(&r, &b, NULL, -25,
                    "Unspendable output exceeds maximum configured by user (maxburnamount)");
    expect_accepted(&r, &b, "[null, 0.00001]");
    txbuild_free(&b);

    /* -26: CheckTransaction's rules, coinbase, tx-size */
    txbuild_init(&b, 2);
    txbuild_add_output(&b, 1, &op_true, 1);
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-vin-empty");
    txbuild_free(&b);
    txbuild_init(&b, 2);
    txbuild_add_input(&b, prev, 0, 0);
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-vout-empty");
    txbuild_add_output(&b, -1, &op_true, 1);
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-vout-negative");
    b.out[0].value = AMOUNT_MAX_MONEY + 1;
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-vout-toolarge");
    b.out[0].value = AMOUNT_MAX_MONEY;
    txbuild_add_output(&b, 1, &op_true, 1);
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-txouttotal-toolarge");
    b.out[0].value = 1000;
    txbuild_add_input(&b, prev, 0, 0);
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-inputs-duplicate");
    memset(b.in[1].prev_hash, 0, 32);
    b.in[1].prev_index = TX_NULL_INDEX;
    expect_tx_error(&r, &b, NULL, -26, "bad-txns-prevout-null");
    txbuild_free(&b);
    txbuild_init(&b, 1);
    static const uint8_t zero[32];
    txbuild_add_input(&b, zero, TX_NULL_INDEX, 0);
    txbuild_add_output(&b, 50, &op_true, 1);
    txbuild_set_script_sig(&b, 0, (const uint8_t *)"\x51", 1);
    expect_tx_error(&r, &b, NULL, -26, "bad-cb-length");
    txbuild_set_script_sig(&b, 0, (const uint8_t *)"\x51\x51", 2);
    expect_tx_error(&r, &b, NULL, -26, "coinbase");
    txbuild_free(&b);
    /* bad-txns-oversize needs over 1,000,000 bytes without witness: 2 MB
     * of hex, which the body cap refuses first (test_hex_over_the_cap) */

    /* nothing refused was handed to the node */
    daemon_pump(&r.d, 200);
    assert_int_equal(daemon_log_count(&r.d, " submitted ("), 1);
    assert_int_equal(daemon_log_count(&r.d, "sendrawtransaction refused"), 18);
    rpc_daemon_stop(&r);
}

/* 60 bytes without witness and 399,760 of witness: weight 400,000. */
static void largest_standard(struct txbuild *b, size_t extra)
{
    txbuild_init(b, 2);
    txbuild_add_input(b, prev, 0, 0);
    txbuild_add_output(b, 1000, NULL, 0);
    size_t item = 399820 - 60 - 2 - 1 - 5 + extra;
    uint8_t *data = calloc(item, 1);
    assert_non_null(data);
    txbuild_push_witness(b, 0, data, item);
    free(data);
}

static void test_largest_standard_transaction_accepted(void **state)
{
    (void)state;
    struct rpc_daemon r;
    rpc_daemon_start(&r, NULL);
    struct txbuild b;
    largest_standard(&b, 0);
    expect_accepted(&r, &b, NULL);
    /* again: bitcoind answers a transaction it has with its txid */
    expect_accepted(&r, &b, NULL);
    txbuild_free(&b);
    largest_standard(&b, 1);
    expect_tx_error(&r, &b, NULL, -26, "tx-size");
    txbuild_free(&b);
    assert_true(daemon_wait_log(&r.d, "submitted (399820 bytes)", WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "submitted again, state=pending", WAIT_MS));
    rpc_daemon_stop(&r);
}

/* A hex string longer than the cap: 413 before anything reads it. */
static void test_hex_over_the_cap_refused_unparsed(void **state)
{
    (void)state;
    struct rpc_daemon r;
    rpc_daemon_start(&r, NULL);
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendrawtransaction\",\"params\":[\"";
    size_t hex_len = 1024 * 1024; /* the hex alone is the cap */
    size_t len = strlen(head) + hex_len + 3;
    char *body = malloc(len + 1);
    assert_non_null(body);
    memcpy(body, head, strlen(head));
    memset(body + strlen(head), 'z', hex_len); /* never hex: parsing would say -22 */
    memcpy(body + strlen(head) + hex_len, "\"]}", 4);
    char *reply;
    assert_int_equal(rpc_post(&r, body, len, &reply), 413);
    free(reply);
    free(body);
    daemon_pump(&r.d, 100);
    assert_int_equal(daemon_log_count(&r.d, "sendrawtransaction refused"), 0);
    /* the server is fine afterwards */
    json_t *ok = rpc_call(&r, "getblockcount", NULL);
    assert_int_equal(json_integer_value(rpc_result(ok)), 0);
    json_decref(ok);
    rpc_daemon_stop(&r);
}

static void test_cli_sendrawtransaction(void **state)
{
    (void)state;
    struct rpc_daemon r;
    rpc_daemon_start(&r, NULL);
    char datadir[192], port[32];
    snprintf(datadir, sizeof datadir, "-datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "-rpcport=%u", r.rpc_port);
    struct txbuild b;
    spend(&b);
    char *hex = txbuild_hex(&b);
    uint8_t txid[32];
    char want[66];
    txbuild_txid(&b, txid);
    hex_encode_rev(txid, 32, want);
    strcat(want, "\n");
    struct cli_run c;
    const char *args[] = {"-regtest", datadir, port, "sendrawtransaction", hex, NULL};
    assert_true(cli_run(NULL, args, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, want);
    cli_run_free(&c);
    free(hex);
    txbuild_free(&b);

    /* bitcoin-cli's exit status for an RPC error is its code's magnitude */
    const char *bad[] = {"-regtest", datadir, port, "sendrawtransaction", "00", NULL};
    assert_true(cli_run(NULL, bad, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 22);
    assert_non_null(strstr(c.err, "error code: -22"));
    assert_non_null(strstr(c.err, DECODE_FAILED));
    cli_run_free(&c);

    /* the largest transaction is more than one argument may hold (Linux:
     * 128 KiB): -stdin, as with bitcoin-cli */
    largest_standard(&b, 0);
    hex = txbuild_hex(&b);
    char *in = malloc(strlen(hex) + 2);
    assert_non_null(in);
    sprintf(in, "%s\n", hex);
    txbuild_txid(&b, txid);
    hex_encode_rev(txid, 32, want);
    strcat(want, "\n");
    const char *viastdin[] = {"-regtest", datadir, port, "-stdin", "sendrawtransaction", NULL};
    assert_true(cli_run(NULL, viastdin, in, WAIT_MS, &c));
    if (c.status != 0) fail_msg("cli: %d %s", c.status, c.err);
    assert_string_equal(c.out, want);
    cli_run_free(&c);
    free(in);
    free(hex);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

static void expect_addpeeraddress(const struct rpc_daemon *r, json_t *params, bool success,
                                  const char *error)
{
    json_t *reply = rpc_call(r, "addpeeraddress", params);
    json_t *res = rpc_result(reply);
    assert_int_equal(json_is_true(json_object_get(res, "success")), success);
    json_t *e = json_object_get(res, "error");
    if (error)
        assert_string_equal(json_string_value(e), error);
    else
        assert_null(e);
    assert_int_equal(json_object_size(res), error ? 2 : 1);
    json_decref(reply);
}

static void test_addpeeraddress(void **state)
{
    (void)state;
    struct rpc_daemon r;
    rpc_daemon_start(&r, NULL);
    expect_addpeeraddress(&r, json_pack("[s,i]", "127.0.0.2", 18444), true, NULL);
    expect_addpeeraddress(&r, json_pack("[s,i]", "127.0.0.2", 18444), false, "failed-adding-to-new");
    expect_addpeeraddress(&r, json_pack("[s,i,b]", "127.0.0.3", 18444, 1), true, NULL);
    expect_addpeeraddress(&r, json_pack("[s,i]", "[::1]", 18444), true, NULL);
    expect_addpeeraddress(&r, json_pack("[s,i]", "not.an.address", 18444), false, NULL);
    expect_error(rpc_call(&r, "addpeeraddress", json_pack("[s,i]", "127.0.0.4", 65536)), -32700,
                 "JSON integer out of range");
    expect_error(rpc_call(&r, "addpeeraddress", json_pack("[s]", "127.0.0.4")), -8,
                 "Missing required argument 2");
    json_t *reply = rpc_call(&r, "getaddrmaninfo", NULL);
    json_t *all = json_object_get(rpc_result(reply), "all_networks");
    assert_int_equal(json_integer_value(json_object_get(all, "new")), 2);
    assert_int_equal(json_integer_value(json_object_get(all, "tried")), 1);
    json_decref(reply);
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_rule_with_bitcoinds_code),
        cmocka_unit_test(test_largest_standard_transaction_accepted),
        cmocka_unit_test(test_hex_over_the_cap_refused_unparsed),
        cmocka_unit_test(test_cli_sendrawtransaction),
        cmocka_unit_test(test_addpeeraddress),
    };
    return test_run_group(tests);
}
