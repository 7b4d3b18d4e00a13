/* A real daemon's JSON-RPC from a test: start a regtest daemon with an
 * ephemeral RPC port (read back from its log), read its cookie, and make
 * calls of any size over HTTP/1.1 on 127.0.0.1 (the body may be far larger
 * than a stack buffer: sendrawtransaction of the largest transaction). */
#ifndef BTCPEERD_RPC_DAEMON_H
#define BTCPEERD_RPC_DAEMON_H

#include "harness.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct rpc_daemon {
    struct daemon_proc d;
    uint16_t rpc_port;
    char cookie[160];
};

/* Regtest, --rpcport=0, --log-level=debug, plus extra (NULL-terminated, at
 * most 16). Fails the test if the RPC server does not come up. */
void rpc_daemon_start(struct rpc_daemon *r, const char *const *extra);
/* The same in a data directory of the caller's (kept across restarts). */
void rpc_daemon_start_in(struct rpc_daemon *r, const char *datadir, const char *const *extra);
void rpc_daemon_stop(struct rpc_daemon *r);

/* POST body with the cookie; the HTTP status, and the reply body
 * (malloc'd, NUL-terminated; "" when there is none). */
int rpc_post(const struct rpc_daemon *r, const char *body, size_t len, char **reply);
/* A JSON-RPC 2.0 call; params is a JSON array (stolen). The whole reply
 * object (caller decrefs); fails the test unless HTTP 200 and JSON. */
json_t *rpc_call(const struct rpc_daemon *r, const char *method, json_t *params);
/* The result of a reply that must hold one (borrowed from reply). */
json_t *rpc_result(json_t *reply);
/* The error code and message of a reply that must hold an error. */
int64_t rpc_error_code(json_t *reply, const char **message);

#endif
