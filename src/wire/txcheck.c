/* The rules a transaction from the operator must pass before broadcast,
 * the ones Bitcoin Core v29 applies without looking at coins, in Core's
 * order (consensus/tx_check.cpp, then MemPoolAccept::PreChecks up to the
 * first rule that needs the chain, then IsStandardTx's weight rule), and
 * their bitcoind RPC codes and messages. */
#include <btcpeerd/script.h>
#include <btcpeerd/txcheck.h>

#include <stdlib.h>
#include <string.h>

#define DECODE_FAILED_MSG "TX decode failed. Make sure the tx has at least one input."

const char *txcheck_err_str(enum txcheck_err err)
{
    switch (err) {
    case TXCHECK_OK: return "ok";
    case TXCHECK_ERR_NOT_HEX: return "not-hex";
    case TXCHECK_ERR_DECODE: return "tx-decode-failed";
    case TXCHECK_ERR_MAX_BURN: return "max-burn-exceeded";
    case TXCHECK_ERR_VIN_EMPTY: return "bad-txns-vin-empty";
    case TXCHECK_ERR_VOUT_EMPTY: return "bad-txns-vout-empty";
    case TXCHECK_ERR_OVERSIZE: return "bad-txns-oversize";
    case TXCHECK_ERR_VOUT_NEGATIVE: return "bad-txns-vout-negative";
    case TXCHECK_ERR_VOUT_TOOLARGE: return "bad-txns-vout-toolarge";
    case TXCHECK_ERR_TXOUTTOTAL_TOOLARGE: return "bad-txns-txouttotal-toolarge";
    case TXCHECK_ERR_INPUTS_DUPLICATE: return "bad-txns-inputs-duplicate";
    case TXCHECK_ERR_BAD_CB_LENGTH: return "bad-cb-length";
    case TXCHECK_ERR_PREVOUT_NULL: return "bad-txns-prevout-null";
    case TXCHECK_ERR_COINBASE: return "coinbase";
    case TXCHECK_ERR_TX_SIZE: return "tx-size";
    case TXCHECK_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

int txcheck_err_rpc_code(enum txcheck_err err)
{
    switch (err) {
    case TXCHECK_OK: return 0;
    case TXCHECK_ERR_NOT_HEX:
    case TXCHECK_ERR_DECODE: return -22;  /* RPC_DESERIALIZATION_ERROR */
    case TXCHECK_ERR_MAX_BURN: return -25; /* RPC_TRANSACTION_ERROR */
    case TXCHECK_ERR_NOMEM: return -7;     /* RPC_OUT_OF_MEMORY */
    default: return -26;                   /* RPC_TRANSACTION_REJECTED */
    }
}

const char *txcheck_err_message(enum txcheck_err err)
{
    switch (err) {
    case TXCHECK_OK: return "";
    case TXCHECK_ERR_NOT_HEX:
    case TXCHECK_ERR_DECODE: return DECODE_FAILED_MSG;
    case TXCHECK_ERR_MAX_BURN:
        return "Unspendable output exceeds maximum configured by user (maxburnamount)";
    case TXCHECK_ERR_NOMEM: return "Out of memory";
    default: return txcheck_err_str(err); /* Core's state.ToString(): the reason */
    }
}

static int outpoint_cmp(const void *a, const void *b)
{
    const struct tx_input *x = *(const struct tx_input *const *)a;
    const struct tx_input *y = *(const struct tx_input *const *)b;
    int c = memcmp(x->prev_hash, y->prev_hash, 32);
    if (c) return c;
    return (x->prev_index > y->prev_index) - (x->prev_index < y->prev_index);
}

static bool same_outpoint(const struct tx_input *x, const struct tx_input *y)
{
    return x->prev_index == y->prev_index && memcmp(x->prev_hash, y->prev_hash, 32) == 0;
}

/* Small input lists are compared pairwise without allocating; larger ones
 * are sorted by outpoint (Core's std::set, in O(n log n)). */
#define PAIRWISE_MAX 16u

static enum txcheck_err check_duplicates(const struct tx *tx)
{
    size_t n = tx->n_inputs;
    if (n <= PAIRWISE_MAX) {
        for (size_t i = 0; i < n; i++)
            for (size_t k = i + 1; k < n; k++)
                if (same_outpoint(&tx->inputs[i], &tx->inputs[k])) return TXCHECK_ERR_INPUTS_DUPLICATE;
        return TXCHECK_OK;
    }
    const struct tx_input **sorted = malloc(n * sizeof *sorted);
    if (!sorted) return TXCHECK_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) sorted[i] = &tx->inputs[i];
    qsort(sorted, n, sizeof *sorted, outpoint_cmp);
    enum txcheck_err err = TXCHECK_OK;
    for (size_t i = 1; i < n && err == TXCHECK_OK; i++)
        if (same_outpoint(sorted[i - 1], sorted[i])) err = TXCHECK_ERR_INPUTS_DUPLICATE;
    free(sorted);
    return err;
}

enum txcheck_err txcheck_consensus(const struct tx *tx)
{
    if (tx->n_inputs == 0) return TXCHECK_ERR_VIN_EMPTY;
    if (tx->n_outputs == 0) return TXCHECK_ERR_VOUT_EMPTY;
    /* The witness is left out: it is not yet known to be unmalleated. */
    if (tx->stripped_size > TX_MAX_BLOCK_WEIGHT / TX_WITNESS_SCALE_FACTOR) return TXCHECK_ERR_OVERSIZE;

    /* Each value is checked before it is added, so the running sum stays
     * within 2 * MAX_MONEY: no overflow (CVE-2010-5139). */
    int64_t total = 0;
    for (size_t i = 0; i < tx->n_outputs; i++) {
        int64_t v = tx->outputs[i].value;
        if (v < 0) return TXCHECK_ERR_VOUT_NEGATIVE;
        if (v > AMOUNT_MAX_MONEY) return TXCHECK_ERR_VOUT_TOOLARGE;
        total += v;
        if (!amount_in_money_range(total)) return TXCHECK_ERR_TXOUTTOTAL_TOOLARGE;
    }

    /* CVE-2018-17144. */
    enum txcheck_err err = check_duplicates(tx);
    if (err != TXCHECK_OK) return err;

    if (tx_is_coinbase(tx)) {
        size_t n = tx->inputs[0].script_sig_len;
        if (n < 2 || n > 100) return TXCHECK_ERR_BAD_CB_LENGTH;
    } else {
        for (size_t i = 0; i < tx->n_inputs; i++)
            if (tx_input_prevout_is_null(&tx->inputs[i])) return TXCHECK_ERR_PREVOUT_NULL;
    }
    return TXCHECK_OK;
}

enum txcheck_err txcheck_broadcast(const struct tx *tx)
{
    enum txcheck_err err = txcheck_consensus(tx);
    if (err != TXCHECK_OK) return err;
    if (tx_is_coinbase(tx)) return TXCHECK_ERR_COINBASE;
    /* Core checks the version ("version") first among the standardness
     * rules; we do not (docs/WIRE.md). */
    if (tx_weight(tx) > TX_MAX_STANDARD_WEIGHT) return TXCHECK_ERR_TX_SIZE;
    return TXCHECK_OK;
}

bool txcheck_output_is_burn(const struct tx_output *out)
{
    return script_is_unspendable(out->script, out->script_len) ||
           !script_has_valid_ops(out->script, out->script_len);
}

enum txcheck_err txcheck_max_burn(const struct tx *tx, int64_t max_burn)
{
    for (size_t i = 0; i < tx->n_outputs; i++)
        if (txcheck_output_is_burn(&tx->outputs[i]) && tx->outputs[i].value > max_burn)
            return TXCHECK_ERR_MAX_BURN;
    return TXCHECK_OK;
}
