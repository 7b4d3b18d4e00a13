/* sendrawtransaction's checks in bitcoind v29's order (rpc/mempool.cpp:
 * maxburnamount, DecodeHexTx, the burn check, ParseFeeRate, then mempool
 * acceptance), stopping at the first error, as bitcoind does. */
#include <btcpeerd/hex.h>
#include <btcpeerd/sendraw.h>

#include <stdlib.h>
#include <string.h>

static int fail_amount(struct sendraw_result *res, enum amount_err err, const char *param)
{
    res->amount_err = err;
    res->amount_param = param;
    res->rpc_code = amount_err_rpc_code(err);
    res->message = amount_err_message(err);
    return res->rpc_code;
}

static int fail_tx(struct sendraw_result *res, enum txcheck_err err)
{
    res->tx_err = err;
    res->rpc_code = txcheck_err_rpc_code(err);
    res->message = txcheck_err_message(err);
    return res->rpc_code;
}

/* Steps 2 to 5 on the decoded bytes. */
static int check_bytes(const struct sendraw_request *req, struct sendraw_result *res,
                       const uint8_t *raw, size_t raw_len)
{
    struct tx tx;
    enum wire_err werr = tx_decode_any(raw, raw_len, &tx);
    if (werr == WIRE_ERR_NOMEM) return fail_tx(res, TXCHECK_ERR_NOMEM);
    if (werr != WIRE_OK) return fail_tx(res, TXCHECK_ERR_DECODE);

    enum txcheck_err err = txcheck_max_burn(&tx, res->max_burn_amount);
    if (err == TXCHECK_OK) {
        enum amount_err aerr = amount_feerate_from_arg(&req->maxfeerate, AMOUNT_DEFAULT_MAX_FEE_RATE,
                                                       &res->max_fee_rate);
        if (aerr != AMOUNT_OK) {
            tx_free(&tx);
            return fail_amount(res, aerr, "maxfeerate");
        }
        err = txcheck_broadcast(&tx);
    }
    if (err == TXCHECK_OK) {
        tx_txid(&tx, res->txid);
        tx_wtxid(&tx, res->wtxid);
        res->weight = tx_weight(&tx);
    }
    tx_free(&tx);
    return err == TXCHECK_OK ? 0 : fail_tx(res, err);
}

int sendraw_check(const struct sendraw_request *req, struct sendraw_result *res)
{
    memset(res, 0, sizeof *res);
    res->message = "";
    enum amount_err aerr =
        amount_from_arg(&req->maxburnamount, AMOUNT_DEFAULT_MAX_BURN, &res->max_burn_amount);
    if (aerr != AMOUNT_OK) return fail_amount(res, aerr, "maxburnamount");

    if (!req->hex || !hex_is_valid(req->hex, req->hex_len)) return fail_tx(res, TXCHECK_ERR_NOT_HEX);
    size_t raw_len = req->hex_len / 2;
    uint8_t *raw = malloc(raw_len);
    if (!raw) return fail_tx(res, TXCHECK_ERR_NOMEM);
    hex_decode_n(req->hex, req->hex_len, raw, raw_len, NULL);

    if (check_bytes(req, res, raw, raw_len) != 0) {
        free(raw);
        return res->rpc_code;
    }
    res->raw = raw;
    res->raw_len = raw_len;
    return 0;
}

void sendraw_result_free(struct sendraw_result *res)
{
    free(res->raw);
    res->raw = NULL;
    res->raw_len = 0;
}
