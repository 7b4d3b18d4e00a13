/* addpeeraddress "address" port (tried): Bitcoin Core's test RPC of the
 * same name and result ({"success": bool}, and "error" when an address
 * that parsed could not be added), so tests and operators can give the
 * address manager somewhere to go. */
#include "rpc_internal.h"

#include "node/view.h"

static enum rpc_status m_addpeeraddress(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *address;
    int64_t port;
    bool tried;
    if (!rpc_get_str(c, params, 0, true, &address)) return RPC_DONE;
    if (!rpc_param(params, 1)) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Missing required argument 2");
        return RPC_DONE;
    }
    if (!rpc_get_int(c, params, 1, 0, &port) || !rpc_get_bool(c, params, 2, false, &tried))
        return RPC_DONE;
    if (port < 0 || port > 65535) {
        /* UniValue's getInt<uint16_t>, an exception bitcoind answers so */
        rpc_call_error(c, RPC_PARSE_ERROR, "JSON integer out of range");
        return RPC_DONE;
    }
    const char *error = NULL;
    enum node_err err = node_add_peer_address(s->node, address, (uint16_t)port, tried, &error);
    if (err != NODE_OK && err != NODE_ERR_BAD_ADDRESS) {
        rpc_call_error(c, RPC_MISC_ERROR, "Cannot add the address: %s", node_err_str(err));
        return RPC_DONE;
    }
    json_t *o = json_object();
    if (error) json_object_set_new(o, "error", json_string(error));
    json_object_set_new(o, "success", json_boolean(err == NODE_OK && !error));
    rpc_call_result(c, o);
    return RPC_DONE;
}

static const char *const args_addpeeraddress[] = {"address", "port", "tried", NULL};

const struct rpc_method rpc_methods_peeraddr[] = {
    {"addpeeraddress", RPC_CATEGORY_HIDDEN, m_addpeeraddress, args_addpeeraddress,
     "Add the address of a potential peer (a numeric IP address) to the address manager's new "
     "table, or with tried=true to its tried table. For testing."},
};
const size_t rpc_methods_peeraddr_count = sizeof rpc_methods_peeraddr / sizeof rpc_methods_peeraddr[0];
