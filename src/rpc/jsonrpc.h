/* JSON-RPC over one HTTP body, as bitcoind speaks it: requests in 1.0
 * (legacy: result and error both present, errors give HTTP 500/404/400) and
 * 2.0 (one of result or error, HTTP 200, notifications without id get no
 * reply), and batches (arrays of either, HTTP 200). A body that is not JSON
 * is answered with -32700, never a crash.
 *
 * No sockets here: jsonrpc_handle takes the body and a method table and
 * gives the reply (status and body) to a callback, right away or, when a
 * method answers later (RPC_PENDING), once its last call is finished. */
#ifndef BTCPEERD_JSONRPC_H
#define BTCPEERD_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* bitcoind's error codes (src/rpc/protocol.h). */
enum rpc_code {
    RPC_MISC_ERROR = -1,
    RPC_TYPE_ERROR = -3,
    RPC_INVALID_ADDRESS_OR_KEY = -5,
    RPC_OUT_OF_MEMORY = -7,
    RPC_INVALID_PARAMETER = -8,
    RPC_DATABASE_ERROR = -20,
    RPC_CLIENT_NODE_ALREADY_ADDED = -23,
    RPC_CLIENT_NODE_NOT_ADDED = -24,
    RPC_IN_WARMUP = -28,
    RPC_CLIENT_NODE_NOT_CONNECTED = -29,
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
    RPC_CLIENT_NODE_CAPACITY_REACHED = -34,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_PARSE_ERROR = -32700,
};

enum rpc_status { RPC_DONE = 0, RPC_PENDING };

struct rpc_call;
struct rpc_batch;

/* A method sets a result or an error on the call and returns RPC_DONE, or
 * keeps the call and returns RPC_PENDING, to set it and call
 * rpc_call_finish later. params is always an array (named parameters are
 * put in the order of arg_names). */
typedef enum rpc_status (*rpc_method_fn)(struct rpc_call *call, json_t *params, void *ctx);

/* bitcoind's "hidden" category: a method in it has its help, but `help`
 * without a command leaves it out of the list, as bitcoind's does. */
#define RPC_CATEGORY_HIDDEN "Hidden"

struct rpc_method {
    const char *name;
    const char *category;           /* help groups methods by it (RPC_CATEGORY_HIDDEN) */
    rpc_method_fn fn;
    const char *const *arg_names;   /* NULL-terminated, or NULL for none */
    const char *help;               /* one line: what it does */
};

/* Result (stolen reference) or error, each at most once per call. */
void rpc_call_result(struct rpc_call *c, json_t *result);
void rpc_call_error(struct rpc_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a message of any length, taken as it is (help texts). */
void rpc_call_error_text(struct rpc_call *c, int code, const char *msg);
/* A pending call is answered (its result or error is set). */
void rpc_call_finish(struct rpc_call *c);
/* The method's name (for pending-call bookkeeping), and its table row. */
const char *rpc_call_method(const struct rpc_call *c);
const struct rpc_method *rpc_call_method_def(const struct rpc_call *c);

/* Parameter i of the array, NULL if absent or null. */
json_t *rpc_param(json_t *params, size_t i);

/* status: an HTTP status; body: NUL-terminated JSON, or NULL (204). */
typedef void (*rpc_reply_fn)(void *arg, int status, const char *body);

/* Run the body's calls. Returns the batch if calls are still pending (the
 * reply comes later), NULL if the reply was already given. */
struct rpc_batch *jsonrpc_handle(const char *body, size_t len, const struct rpc_method *methods,
                                 size_t n_methods, void *ctx, rpc_reply_fn reply, void *arg);
/* The client went away: no reply will be sent; the batch frees itself when
 * its last pending call finishes. */
void jsonrpc_abandon(struct rpc_batch *b);

/* A method's help text in bitcoind's layout (help.c; the caller frees it;
 * NULL only when memory runs out): its entry in the help tables, or for a
 * method without one, its usage line and one-line help. bitcoind answers a
 * wrong number of arguments with it, as error -1. */
char *rpc_help_text(const struct rpc_method *m);

/* "name arg1 arg2": a method's usage line into out. */
void jsonrpc_usage(const struct rpc_method *m, char *out, size_t cap);

#endif
