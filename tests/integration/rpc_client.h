/* A minimal JSON-RPC client for integration tests: one POST with the
 * daemon's cookie over 127.0.0.1, the reply body returned. For tests that
 * need a call or two (setban, listbanned) beside their peers; the tests of
 * the server itself (test_rpc*.c) use rpc_testlib's raw HTTP. */
#ifndef BTCPEERD_RPC_CLIENT_H
#define BTCPEERD_RPC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

struct daemon_proc;

/* The RPC port from the daemon's "RPC server bound to 127.0.0.1:PORT"
 * line (waits up to timeout_ms); 0 if none. */
uint16_t rpc_client_port(struct daemon_proc *d, unsigned timeout_ms);
/* POST body (a JSON-RPC request or batch) with the cookie read from
 * cookie_path; the HTTP status in *status and the body (caller frees), or
 * NULL if the exchange failed. */
char *rpc_client_post(uint16_t port, const char *cookie_path, const char *body, int *status,
                      unsigned timeout_ms);

#endif
