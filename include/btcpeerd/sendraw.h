/* sendrawtransaction's arguments checked as bitcoind v29 checks them, in
 * its order, without a UTXO set:
 *
 *   1. maxburnamount (AmountFromValue)            -3
 *   2. the hex string, decoded either way          -22
 *   3. burned outputs against maxburnamount        -25
 *   4. maxfeerate (ParseFeeRate)                   -3 or -8
 *   5. CheckTransaction, "coinbase", "tx-size"     -26
 *
 * so the first error is the one bitcoind would return. The RPC layer does
 * what comes before (the JSON type of hexstring: -3, "Wrong type passed")
 * and after (the broadcast). maxfeerate is parsed and range-checked but
 * cannot be enforced: the fee needs the inputs' values, which we do not
 * have. Pure: no JSON, no node. */
#ifndef BTCPEERD_SENDRAW_H
#define BTCPEERD_SENDRAW_H

#include <btcpeerd/amount.h>
#include <btcpeerd/txcheck.h>

#include <stddef.h>
#include <stdint.h>

struct sendraw_request {
    const char *hex; /* hex_len characters, not necessarily NUL-terminated */
    size_t hex_len;
    struct amount_arg maxfeerate;    /* BTC/kvB; absent: 0.10 */
    struct amount_arg maxburnamount; /* BTC; absent: 0 */
};

struct sendraw_result {
    int rpc_code;        /* 0 when the transaction passed */
    const char *message; /* bitcoind's message (static); "" when it passed */
    enum txcheck_err tx_err;
    enum amount_err amount_err;
    const char *amount_param; /* "maxburnamount" or "maxfeerate" when amount_err */
    int64_t max_fee_rate;     /* sat per 1,000 vbytes, once parsed */
    int64_t max_burn_amount;  /* satoshis, once parsed */
    /* When the transaction passed: */
    uint8_t txid[32], wtxid[32]; /* internal byte order */
    uint64_t weight;
    uint8_t *raw; /* the transaction's bytes, owned: sendraw_result_free */
    size_t raw_len;
};

/* Fills *res (rpc_code is also returned). */
int sendraw_check(const struct sendraw_request *req, struct sendraw_result *res);
void sendraw_result_free(struct sendraw_result *res);

#endif
