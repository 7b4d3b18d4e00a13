/* What a transaction must pass before we broadcast it, checked without a
 * UTXO set: Bitcoin Core v29's context-free consensus rules
 * (CheckTransaction), the two mempool rules that need no coins ("coinbase",
 * "tx-size"), and sendrawtransaction's maxburnamount. Fees, scripts,
 * signatures, the inputs' existence and the rest of standardness are not
 * checked (docs/WIRE.md says which and why).
 *
 * Every error is one bitcoind gives for the same transaction, with its RPC
 * code and message: txcheck_err_rpc_code and txcheck_err_message. The
 * rules are applied in Core's order, so the first one broken is the one
 * bitcoind would name. */
#ifndef BTCPEERD_TXCHECK_H
#define BTCPEERD_TXCHECK_H

#include <btcpeerd/tx.h>

#include <stdint.h>

enum txcheck_err {
    TXCHECK_OK = 0,
    /* -22 RPC_DESERIALIZATION_ERROR, both with Core's message
     * "TX decode failed. Make sure the tx has at least one input." */
    TXCHECK_ERR_NOT_HEX, /* empty, odd length or a non-hex character */
    TXCHECK_ERR_DECODE,  /* no reading consumes exactly the bytes */
    /* -25 RPC_TRANSACTION_ERROR "Unspendable output exceeds maximum
     * configured by user (maxburnamount)" */
    TXCHECK_ERR_MAX_BURN,
    /* -26 RPC_TRANSACTION_REJECTED; the message is the reason itself. */
    TXCHECK_ERR_VIN_EMPTY,             /* "bad-txns-vin-empty" */
    TXCHECK_ERR_VOUT_EMPTY,            /* "bad-txns-vout-empty" */
    TXCHECK_ERR_OVERSIZE,              /* "bad-txns-oversize": stripped size * 4 > 4,000,000 */
    TXCHECK_ERR_VOUT_NEGATIVE,         /* "bad-txns-vout-negative" */
    TXCHECK_ERR_VOUT_TOOLARGE,         /* "bad-txns-vout-toolarge": one output > 21M BTC */
    TXCHECK_ERR_TXOUTTOTAL_TOOLARGE,   /* "bad-txns-txouttotal-toolarge": running sum > 21M BTC */
    TXCHECK_ERR_INPUTS_DUPLICATE,      /* "bad-txns-inputs-duplicate" */
    TXCHECK_ERR_BAD_CB_LENGTH,         /* "bad-cb-length": coinbase scriptSig not 2..100 bytes */
    TXCHECK_ERR_PREVOUT_NULL,          /* "bad-txns-prevout-null" (not a coinbase) */
    TXCHECK_ERR_COINBASE,              /* "coinbase": valid only in a block */
    TXCHECK_ERR_TX_SIZE,               /* "tx-size": weight > 400,000 */
    /* -7 RPC_OUT_OF_MEMORY "Out of memory" */
    TXCHECK_ERR_NOMEM,
};

/* A short name for logs: the reject reason for the -26 rules, else
 * "not-hex", "tx-decode-failed", "max-burn-exceeded", "out-of-memory". */
const char *txcheck_err_str(enum txcheck_err err);
int txcheck_err_rpc_code(enum txcheck_err err); /* 0 for TXCHECK_OK */
const char *txcheck_err_message(enum txcheck_err err);

/* CheckTransaction: inputs and outputs present, stripped size, output
 * values and their running sum in 0..21M BTC, no outpoint twice, a
 * coinbase's scriptSig length, no null prevout outside a coinbase. */
enum txcheck_err txcheck_consensus(const struct tx *tx);
/* What mempool acceptance would say first, as far as it can be known
 * without coins: txcheck_consensus, then "coinbase", then "tx-size". */
enum txcheck_err txcheck_broadcast(const struct tx *tx);

/* An output sendrawtransaction counts as burned: its script starts with
 * OP_RETURN, is over 10,000 bytes, or has an opcode that does not parse. */
bool txcheck_output_is_burn(const struct tx_output *out);
/* sendrawtransaction's maxburnamount: no burned output worth more than
 * max_burn satoshis. */
enum txcheck_err txcheck_max_burn(const struct tx *tx, int64_t max_burn);

#endif
