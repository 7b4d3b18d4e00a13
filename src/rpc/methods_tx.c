/* Transactions from the operator: sendrawtransaction (bitcoind's name,
 * parameters, errors and result), checked without a UTXO set
 * (sendraw_check), then handed to the node to broadcast. */
#include "rpc_internal.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/sendraw.h>

#include "node/view.h"

#include <stdlib.h>
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
    case NODE_ERR_NO_PROXY:
        rpc_call_error(c, RPC_MISC_ERROR,
                       "Private broadcast is set to go through Tor only (-privatebroadcast=tor), "
                       "and no proxy is set (-proxy or -onion): nothing was sent");
        break;
    case NODE_ERR_FULL:
        rpc_call_error(c, RPC_MISC_ERROR, "Too many transactions being broadcast already");
        break;
    default: rpc_call_error(c, RPC_MISC_ERROR, "Cannot broadcast: %s", node_err_str(err)); break;
    }
    return RPC_DONE;
}

static json_t *hash_json(const uint8_t h[32])
{
    char hex[65];
    hex_encode_rev(h, 32, hex);
    return json_string(hex);
}

static json_t *broadcast_json(const struct node_broadcast_view *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "txid", hash_json(v->txid));
    json_object_set_new(o, "wtxid", hash_json(v->wtxid));
    json_object_set_new(o, "state", json_string(node_broadcast_state_str(v->state)));
    json_object_set_new(o, "submitted", json_integer(v->submitted));
    if (v->finished) json_object_set_new(o, "finished", json_integer(v->finished));
    json_object_set_new(o, "total_attempts", json_integer((json_int_t)v->total_attempts));
    json_t *arr = json_array();
    for (size_t i = 0; i < v->n_attempts; i++) {
        const struct node_broadcast_attempt_view *a = &v->attempts[i];
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:b, s:b}", "time",
                                             (json_int_t)a->time, "address", a->addr, "network",
                                             a->network, "round", (json_int_t)a->round, "done",
                                             a->done, "taken", a->taken));
    }
    json_object_set_new(o, "attempts", arr);
    if (v->seen)
        json_object_set_new(o, "seen_back", json_pack("{s:s, s:I, s:s}", "address", v->seen_by,
                                                      "time", (json_int_t)v->seen_at, "how",
                                                      v->seen_how));
    return o;
}

static enum rpc_status m_getbroadcastinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    uint8_t txid[32];
    bool one;
    if (!rpc_get_hash(c, params, 0, false, "txid", txid, &one)) return RPC_DONE;
    struct node_broadcast_view *v;
    size_t count;
    enum node_err err = node_broadcast_infos(s->node, one ? txid : NULL, &v, &count);
    if (err == NODE_ERR_NOT_FOUND) {
        rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "No broadcast of this transaction");
        return RPC_DONE;
    }
    if (err != NODE_OK) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    if (one) {
        rpc_call_result(c, broadcast_json(&v[0]));
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < count; i++) json_array_append_new(arr, broadcast_json(&v[i]));
        rpc_call_result(c, arr);
    }
    free(v);
    return RPC_DONE;
}

static enum rpc_status m_abandonbroadcast(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    uint8_t txid[32];
    bool given;
    if (!rpc_get_hash(c, params, 0, true, "txid", txid, &given)) return RPC_DONE;
    enum node_broadcast_state st;
    enum node_err err = node_broadcast_abandon(s->node, txid, &st);
    switch (err) {
    case NODE_OK: rpc_call_result(c, json_null()); break;
    case NODE_ERR_NOT_FOUND:
        rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "No broadcast of this transaction");
        break;
    case NODE_ERR_EXISTS:
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Broadcast already %s", node_broadcast_state_str(st));
        break;
    default: rpc_call_error(c, RPC_MISC_ERROR, "Cannot abandon: %s", node_err_str(err)); break;
    }
    return RPC_DONE;
}

static const char *const args_sendraw[] = {"hexstring", "maxfeerate", "maxburnamount", NULL};
static const char *const args_txid[] = {"txid", NULL};

const struct rpc_method rpc_methods_tx[] = {
    {"sendrawtransaction", "Rawtransactions", m_sendrawtransaction, args_sendraw,
     "Broadcast a raw transaction (hex) and return its txid. Without a UTXO set only what the "
     "transaction alone shows is checked (decoding, sizes, output values, duplicate and null "
     "inputs, maxburnamount); maxfeerate is parsed but cannot be enforced, the fee needing the "
     "values of the coins spent."},
    {"getbroadcastinfo", "Rawtransactions", m_getbroadcastinfo, args_txid,
     "The transactions given to sendrawtransaction (or one of them): state (pending, "
     "propagated, abandoned), each private-broadcast attempt (time, address, network, round, "
     "whether the peer took it) and who announced or served it back, and when."},
    {"abandonbroadcast", "Rawtransactions", m_abandonbroadcast, args_txid,
     "Stop broadcasting a pending transaction; its open private-broadcast connections close."},
};
const size_t rpc_methods_tx_count = sizeof rpc_methods_tx / sizeof rpc_methods_tx[0];
