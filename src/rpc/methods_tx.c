/* Transactions from the operator: sendrawtransaction (bitcoind's name,
 * parameters, errors and result), checked without a UTXO set
 * (sendraw_check), then handed to the node to broadcast. */
#include "rpc_internal.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/sendraw.h>

#include "node/view.h"

#include <string.h>

/* An amount parameter as sendraw_check reads it. */
static void amount_arg_from_json(json_t *v, struct amount_arg *out)
{
    memset(out, 0, sizeof *out);
    if (!v || json_is_null(v)) {
        out->kind = AMOUNT_ARG_ABSENT;
    } else if (json_is_string(v)) {
        out->kind = AMOUNT_ARG_STRING;
        out->text = json_string_value(v);
        out->text_len = json_string_length(v);
    } else if (json_is_integer(v)) {
        out->kind = AMOUNT_ARG_INTEGER;
        out->integer = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        out->kind = AMOUNT_ARG_REAL;
        out->real = json_real_value(v);
    } else {
        out->kind = AMOUNT_ARG_OTHER;
    }
}

static const char *json_type_name(const json_t *v)
{
    if (!v || json_is_null(v)) return "null";
    if (json_is_boolean(v)) return "bool";
    if (json_is_number(v)) return "number";
    if (json_is_string(v)) return "string";
    if (json_is_array(v)) return "array";
    return "object";
}

static enum rpc_status m_sendrawtransaction(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    json_t *hex = json_array_get(params, 0);
    if (!hex) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Missing required argument 1");
        return RPC_DONE;
    }
    if (!json_is_string(hex)) {
        /* RPCHelpMan's check of the declared types, in its words */
        rpc_call_error(c, RPC_TYPE_ERROR,
                       "Wrong type passed:\n{\n    \"Position 1 (hexstring)\": \"JSON value of type "
                       "%s is not of expected type string\"\n}",
                       json_type_name(hex));
        return RPC_DONE;
    }
    struct sendraw_request req = {.hex = json_string_value(hex), .hex_len = json_string_length(hex)};
    amount_arg_from_json(rpc_param(params, 1), &req.maxfeerate);
    amount_arg_from_json(rpc_param(params, 2), &req.maxburnamount);
    struct sendraw_result res;
    if (sendraw_check(&req, &res) != 0) {
        log_info(LOG_CAT_RPC, "sendrawtransaction refused: code=%d reason=%s", res.rpc_code,
                 res.message);
        rpc_call_error(c, res.rpc_code, "%s", res.message);
        sendraw_result_free(&res);
        return RPC_DONE;
    }
    char txid[65];
    hex_encode_rev(res.txid, 32, txid);
    uint8_t *raw = res.raw;
    res.raw = NULL; /* the node takes the bytes */
    enum node_err err = node_broadcast_submit(s->node, raw, res.raw_len, res.txid, res.wtxid);
    sendraw_result_free(&res);
    switch (err) {
    case NODE_OK: rpc_call_result(c, json_string(txid)); break;
    case NODE_ERR_NOMEM: rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory"); break;
    case NODE_ERR_FULL:
        rpc_call_error(c, RPC_MISC_ERROR, "Too many transactions being broadcast already");
        break;
    default: rpc_call_error(c, RPC_MISC_ERROR, "Cannot broadcast: %s", node_err_str(err)); break;
    }
    return RPC_DONE;
}

static const char *const args_sendraw[] = {"hexstring", "maxfeerate", "maxburnamount", NULL};

const struct rpc_method rpc_methods_tx[] = {
    {"sendrawtransaction", "Rawtransactions", m_sendrawtransaction, args_sendraw,
     "Broadcast a raw transaction (hex) and return its txid. Without a UTXO set only what the "
     "transaction alone shows is checked (decoding, sizes, output values, duplicate and null "
     "inputs, maxburnamount); maxfeerate is parsed but cannot be enforced, the fee needing the "
     "values of the coins spent."},
};
const size_t rpc_methods_tx_count = sizeof rpc_methods_tx / sizeof rpc_methods_tx[0];
