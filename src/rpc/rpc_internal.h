/* The server's state shared with the method files. */
#ifndef BTCPEERD_RPC_INTERNAL_H
#define BTCPEERD_RPC_INTERNAL_H

#include "jsonrpc.h"
#include "rpc.h"

#include <stdbool.h>
#include <stdint.h>

/* getnetworkinfo's version: the bitcoind release whose RPC shapes we
 * follow (Core's CLIENT_VERSION encoding, 29.0.0). */
#define RPC_COMPAT_VERSION 290000
/* Core v29's DEFAULT_MIN_RELAY_TX_FEE and DEFAULT_INCREMENTAL_RELAY_FEE. */
#define RPC_MIN_RELAY_FEE_SAT_KVB 1000
#define RPC_INCREMENTAL_FEE_SAT_KVB 1000

struct evhttp;
struct sockaddr;
struct event;
struct rpc_http_req;
struct getblock_wait;
struct filter_wait;

struct rpc_server {
    struct event_base *base;
    struct node *node;
    struct rpc_config cfg;
    struct evhttp *http;
    char cookie[128];                /* "__cookie__:<64 hex>" */
    bool cookie_written;
    int64_t started;                 /* unix seconds */
    struct rpc_method *methods;      /* every method, in help order */
    size_t n_methods;
    struct rpc_http_req *requests;   /* replies still to send */
    struct getblock_wait *waits;     /* getblock calls waiting for a block */
    struct filter_wait *filter_waits;/* getblockfilter calls waiting for a filter */
    struct rpc_call *scan_call;      /* the scanblocks "start" waiting for its scan */
    struct auth_delay *delays;       /* 401s held back (RPC_AUTH_FAIL_DELAY_MS) */
    bool stop_requested;
    bool closing;                    /* rpc_server_close: new requests get 503 */
    unsigned replies_sent;           /* counts replies (close reports if any went) */
    struct event *stop_ev;
};

/* access.c: may this client in (loopback always, else --rpcallowip)? Does
 * this Authorization header carry the cookie or user:password? */
bool rpc_client_allowed(const struct rpc_config *cfg, const struct sockaddr *sa);
bool rpc_auth_ok(const char *authorization, const char *cookie, const char *user,
                 const char *password);

/* server.c: shut down within 2 s, whatever else the stop's batch waits for
 * (the reply, once out, shuts down at once). */
void rpc_server_arm_stop(struct rpc_server *s);

/* Method tables, one per file. */
extern const struct rpc_method rpc_methods_net[];
extern const size_t rpc_methods_net_count;
extern const struct rpc_method rpc_methods_chain[];
extern const size_t rpc_methods_chain_count;
extern const struct rpc_method rpc_methods_control[];
extern const size_t rpc_methods_control_count;
extern const struct rpc_method rpc_methods_chaintips[];
extern const size_t rpc_methods_chaintips_count;
extern const struct rpc_method rpc_methods_filters[];
extern const size_t rpc_methods_filters_count;
/* methods_filters.c: answer waiting getblockfilter and scanblocks calls. */
void rpc_filters_close(struct rpc_server *s);
extern const struct rpc_method rpc_methods_tx[];
extern const size_t rpc_methods_tx_count;
extern const struct rpc_method rpc_methods_peeraddr[];
extern const size_t rpc_methods_peeraddr_count;

/* methods_chain.c: Core's GetDifficulty of a compact target. */
double rpc_difficulty(uint32_t bits);
/* methods_chain.c: the block listener and cleanup of waiting getblocks. */
void rpc_chain_block_arrived(void *ctx, const uint8_t hash[32]);
void rpc_chain_fail_waits(struct rpc_server *s, const char *why);
/* getrpcinfo: each getblock still waiting, {method, duration in µs}. */
void rpc_chain_active_calls(struct rpc_server *s, json_t *arr);

/* params.c: parameter helpers; false with the call's error set (bitcoind's
 * wording where it has one). */
bool rpc_get_int(struct rpc_call *c, json_t *params, size_t i, int64_t def, int64_t *out);
bool rpc_get_bool(struct rpc_call *c, json_t *params, size_t i, bool def, bool *out);
/* *out is NULL when absent; a required one missing is bitcoind's wrong
 * argument count: rpc_call_help_error. */
bool rpc_get_str(struct rpc_call *c, json_t *params, size_t i, bool required, const char **out);
/* A block hash or txid as shown (64 hex digits, Core's ParseHashV and its
 * messages, `name` as Core names the parameter) into internal byte order.
 * *given (may be NULL) says whether an optional one was there. */
bool rpc_get_hash(struct rpc_call *c, json_t *params, size_t i, bool required, const char *name,
                  uint8_t out[32], bool *given);

/* Error -1 with the method's help text, as bitcoind answers a missing
 * argument or an invalid command. */
void rpc_call_help_error(struct rpc_call *c);

#endif
