/* The JSON-RPC server: HTTP on loopback (or --rpcbind), HTTP Basic auth with
 * the cookie or --rpcuser/--rpcpassword, an allow-list of client subnets,
 * a cap on the body. bitcoind's method names and shapes (methods_*.c). It
 * sees the node only through node/view.h: its views and commands. */
#ifndef BTCPEERD_RPC_H
#define BTCPEERD_RPC_H

#include <btcpeerd/netaddr.h>
#include <btcpeerd/netparams.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct node;

#define RPC_MAX_BIND 8
#define RPC_MAX_ALLOW 32
/* evhttp reads a whole body before our allow-list and password checks can
 * run, so this is what any client that reaches the port can make us hold
 * per connection. It admits sendrawtransaction with the largest standard
 * transaction (400,000 weight units: 399,820 bytes, 799,640 hex digits)
 * and its envelope; a longer hex string could never pass the checks, and
 * is refused here (413) without being parsed. bitcoind-sized batches of a
 * few thousand short calls fit too. */
#define RPC_DEFAULT_MAX_BODY (1024u * 1024u)
/* A wrong password is answered after a pause, as bitcoind does (it sleeps
 * 250 ms): guessing runs at four tries a second per connection, not at the
 * speed of the loop. The loop never waits: the reply is held on a timer,
 * like a getblock reply that comes later. */
#define RPC_AUTH_FAIL_DELAY_MS 250u

struct rpc_config {
    const struct netparams *net;
    size_t n_bind;                   /* 0 = 127.0.0.1 and ::1 */
    char bind[RPC_MAX_BIND][256];    /* ADDR[:PORT] */
    int port;                        /* -1 = net->rpc_port; 0 = any free port */
    size_t n_allow;                  /* beyond loopback, always allowed */
    struct netaddr_subnet allow[RPC_MAX_ALLOW];
    char user[128], password[256];   /* "" = cookie only */
    char cookie_file[PATH_MAX];
    char log_path[PATH_MAX];         /* getrpcinfo's logpath ("-": stderr) */
    uint32_t getblock_timeout_ms;    /* a getblock waiting for peers (120 s) */
    uint32_t idle_timeout_s;         /* an idle or slow HTTP connection (30 s,
                                        --rpcservertimeout) */
    size_t max_body;                 /* bigger bodies get 413 (1 MiB) */
    uint32_t auth_fail_delay_ms;     /* a wrong password's 401 waits this long (250 ms,
                                        bitcoind's pause; tests lengthen it) */
    /* "stop": called once the reply is sent; must shut the daemon down as
     * SIGTERM does (it may free the server). */
    void (*stop)(void *arg);
    void *stop_arg;
};

void rpc_config_default(struct rpc_config *cfg, const struct netparams *net);

enum rpc_err { RPC_OK = 0, RPC_ERR_NOMEM, RPC_ERR_BIND, RPC_ERR_COOKIE, RPC_ERR_ADDRESS };
const char *rpc_err_str(enum rpc_err err);

struct rpc_server;

/* Bind, then write the cookie, serve. On error *out is NULL and nothing is
 * left behind (a cookie already there is left alone). */
enum rpc_err rpc_server_start(struct event_base *base, struct node *node,
                              const struct rpc_config *cfg, struct rpc_server **out);
/* Shutting down: calls still waiting (getblock) get "Shutting down", held
 * 401s go out, new requests get 503. The server stays until
 * rpc_server_free so the loop can still send those replies; true if any
 * reply was sent (the caller gives the loop a moment). */
bool rpc_server_close(struct rpc_server *s);
/* Answer pending calls with an error, close every connection, remove the
 * cookie if it still is the one this server wrote. */
void rpc_server_free(struct rpc_server *s);

#endif
