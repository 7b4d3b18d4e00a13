/* libFuzzer: any HTTP body through JSON-RPC parse and dispatch, with a
 * method table that echoes, fails and answers later, so every envelope,
 * batch and reply path runs. A reply must come exactly once and be JSON
 * (or nothing, for 204). */
#include "rpc/jsonrpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rpc_call *held[64];
static size_t n_held;

static enum rpc_status m_echo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)ctx;
    rpc_call_result(c, json_incref(params));
    return RPC_DONE;
}

static enum rpc_status m_fail(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    (void)ctx;
    rpc_call_error(c, RPC_MISC_ERROR, "%s", "no");
    return RPC_DONE;
}

static enum rpc_status m_later(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    (void)ctx;
    if (n_held == sizeof held / sizeof held[0]) {
        rpc_call_result(c, json_null());
        return RPC_DONE;
    }
    held[n_held++] = c;
    return RPC_PENDING;
}

static const char *const args[] = {"a", "b", NULL};
static const struct rpc_method methods[] = {
    {"echo", "F", m_echo, args, ""},
    {"fail", "F", m_fail, NULL, ""},
    {"later", "F", m_later, NULL, ""},
};

static int replies;

static void on_reply(void *arg, int status, const char *body)
{
    (void)arg;
    replies++;
    if (status == 204) {
        if (body) abort();
        return;
    }
    json_error_t err;
    json_t *j = body ? json_loads(body, 0, &err) : NULL;
    if (!j) abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    replies = 0;
    n_held = 0;
    struct rpc_batch *b = jsonrpc_handle((const char *)data, size, methods, 3, NULL, on_reply, NULL);
    if ((b == NULL) != (replies == 1)) abort();
    if (b && size % 2) jsonrpc_abandon(b); /* half the time the client has gone */
    for (size_t i = 0; i < n_held; i++) {
        rpc_call_result(held[i], json_string("late"));
        rpc_call_finish(held[i]);
    }
    if (replies > 1 || (b && size % 2 == 0 && replies != 1)) abort();
    return 0;
}
