/* What the operator's side (rpc/: JSON-RPC and metrics) may see of the node
 * and ask of it, and nothing else: read-only views as copies in the
 * node's own types (never a peer-layer type, never a pointer into the
 * peer table), the header chain read-only, and a few commands. Peers are
 * named by id. rpc/ includes this header only; node.h (for main) builds on
 * it. Implemented in rpcview.c. */
#ifndef BTCPEERD_NODE_VIEW_H
#define BTCPEERD_NODE_VIEW_H

#include <btcpeerd/histogram.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct node;
struct chain;
struct chain_entry;

enum node_err {
    NODE_OK = 0,
    NODE_ERR_NOMEM,
    NODE_ERR_BAD_ADDRESS,
    NODE_ERR_STORE,
    NODE_ERR_NOT_FOUND,     /* no such peer, ban or added node */
    NODE_ERR_EXISTS,        /* already added */
    NODE_ERR_FULL,          /* no room for another */
    NODE_ERR_SHUTTING_DOWN,
    NODE_ERR_NO_PROXY,      /* --privatebroadcast=tor without --proxy or --onion */
};
const char *node_err_str(enum node_err err);

/* A peer's address as logged and shown: "[ipv6]:port", or a host name (up
 * to 255 bytes, an onion name among them) and its port. */
#define NODE_ADDR_MAX 272

/* ---- peers ---- */

/* Bytes (framing included) sent or received per message command, for
 * getpeerinfo's bytessent_per_msg; unknown commands count as "*other*". */
#define NODE_MSG_KINDS 40
struct node_msg_bytes {
    char command[13];
    uint64_t bytes;
};

#define NODE_INFLIGHT_MAX 16
/* One peer as getpeerinfo shows it. Times are unix seconds (0 = never). */
struct node_peer_view {
    uint64_t id;
    bool connected;                  /* the peer's handshake is complete */
    bool ready;                      /* ... and the node has taken it in */
    const char *connection_type;     /* Core's names: inbound, manual, outbound-full-relay, block-relay-only, feeler, addr-fetch; ours: private-broadcast */
    bool inbound, manual;
    char addr[NODE_ADDR_MAX], addrbind[64];
    const char *transport;           /* "v1" or "v2" */
    char session_id[65];             /* BIP324 session id in hex, "" for v1 */
    int32_t version;                 /* 0 before their version */
    uint64_t services;
    bool relay;
    char subver[WIRE_MAX_USER_AGENT + 1]; /* sanitized */
    int32_t start_height;
    int64_t time_offset;
    int64_t conn_time, last_send, last_recv;
    uint64_t bytes_sent, bytes_recv;
    uint64_t ping_rtt_us, min_ping_us; /* 0 = none measured yet */
    uint64_t ping_wait_us;           /* a ping outstanding for this long, 0 = none */
    size_t n_sent_per_msg, n_recv_per_msg;
    struct node_msg_bytes sent_per_msg[NODE_MSG_KINDS], recv_per_msg[NODE_MSG_KINDS];
    /* Core's sync and relay state of the peer. */
    int32_t synced_headers;          /* the best header of ours it has, -1 = none known */
    int32_t presynced_headers;       /* height of its low-work presync, -1 = none running */
    bool noban;                      /* --whitelist: never discouraged, served below min work */
    int64_t last_block;              /* it gave us a block we stored (unix s), 0 = never */
    bool addr_relay;                 /* we take and relay addresses with it */
    uint64_t addr_processed, addr_rate_limited;
    int64_t feefilter;               /* its feefilter in sat/kvB, 0 = none */
    bool bip152_hb_from;             /* it chose us as a high-bandwidth compact-block peer */
    uint32_t mapped_as;              /* its AS by --asmap; 0 = no map, or not in it */
    size_t n_inflight;               /* blocks asked of it and not delivered yet */
    int32_t inflight[NODE_INFLIGHT_MAX];
};
/* Every peer, ordered by id; *out is allocated (the caller frees it). */
enum node_err node_peer_infos(struct node *n, struct node_peer_view **out, size_t *count);
/* Connected peers, in and out. */
void node_connection_counts(const struct node *n, size_t *in, size_t *out);
/* Bytes received and sent since start. */
void node_net_totals(const struct node *n, uint64_t *recv, uint64_t *sent);

/* Ask every connected peer for a pong (RPC ping). */
void node_ping_all(struct node *n);
/* Disconnect by address ("ip:port" as getpeerinfo's addr) or, when addr is
 * NULL, by id. NODE_ERR_NOT_FOUND if no such peer. */
enum node_err node_disconnect(struct node *n, const char *addr, uint64_t id);

enum node_addnode_cmd { NODE_ADDNODE_ADD = 0, NODE_ADDNODE_REMOVE, NODE_ADDNODE_ONETRY };
/* v2: offer BIP324 first (addnode's v2transport; ignored for remove). */
enum node_err node_addnode(struct node *n, const char *spec, enum node_addnode_cmd cmd, bool v2);
/* The kept manual peers (--connect, --addnode, RPC addnode); returns how
 * many there are (may exceed cap). */
struct node_added {
    char node[264];     /* host:port as given */
    bool connected;     /* handshake complete */
    char address[NODE_ADDR_MAX]; /* the connection's address when connected */
};
size_t node_added_nodes(const struct node *n, struct node_added *out, size_t cap);

/* ---- our side of the network ---- */

/* What getnetworkinfo shows of our own configuration. */
struct node_network_view {
    char user_agent[WIRE_MAX_USER_AGENT + 1];
    uint64_t services;
    struct node_proxy_view {
        bool set;
        char str[64];   /* "127.0.0.1:9050" */
    } proxy, onion_proxy;
    bool proxy_randomize;
    bool v2_enabled;    /* --v2transport: BIP324 offered and accepted */
    char asmap[65];     /* --asmap's checksum as the log shows it, "" = none */
};
void node_network_info(const struct node *n, struct node_network_view *out);

/* getnetworkinfo's timeoffset and clock warning (Core v27+): the median
 * of the last 50 outbound peers' clock offsets, 0 below 5 of them; never
 * inbound peers'. */
struct node_clock_view {
    int64_t median;       /* seconds, their clocks minus ours */
    size_t samples;
    bool out_of_sync;     /* |median| > 10 min: the warning is in force */
    uint64_t warnings;    /* warning lines logged since start */
};
void node_clock_info(const struct node *n, struct node_clock_view *out);

/* ---- bans: the operator's (setban); misbehaving peers are discouraged, not banned ---- */

struct node_ban {
    struct netaddr_subnet subnet;
    int64_t created, until; /* unix seconds */
};
/* node_ban disconnects the connected peers it covers. `now` is the
 * caller's reading of the clock (unix s), the one `until` was computed
 * from: two readings could straddle a second and make a 3600 s ban list
 * as 3599. */
enum node_err node_ban(struct node *n, const struct netaddr_subnet *sn, int64_t until, int64_t now);
enum node_err node_unban(struct node *n, const struct netaddr_subnet *sn);
/* A ban in force on exactly this subnet? (No copy of the list: setban asks
 * this for every call, and the list may hold BANMAN_MAX entries.) */
bool node_has_ban(const struct node *n, const struct netaddr_subnet *sn);
void node_clear_bans(struct node *n);
/* Live bans; *out is allocated (the caller frees it). */
enum node_err node_list_bans(struct node *n, struct node_ban **out, size_t *count);
/* --bantime: how long a ban without an end given lasts. */
int64_t node_default_bantime_s(const struct node *n);

/* ---- address manager ---- */

/* Counts per network (index enum wire_net, 0..7), and up to max (0 = all)
 * random addresses that are not terrible. */
void node_addrman_info(const struct node *n, size_t new_by_net[8], size_t tried_by_net[8]);
size_t node_addresses(struct node *n, size_t max, struct wire_netaddr *out);
size_t node_addrman_size(const struct node *n);

/* ---- the header chain and blocks ---- */

/* The header chain, read-only; the node owns it. */
const struct chain *node_chain_view(const struct node *n);
/* The whole header of a chain entry. */
bool node_header(const struct node *n, const struct chain_entry *e, struct wire_header *out);
/* Bytes the chain takes on disk: headers.dat and the fetched blocks
 * (getblockchaininfo's size_on_disk); 0 without a data directory. */
uint64_t node_size_on_disk(const struct node *n);
/* Still in the initial header sync. */
bool node_in_initial_sync(const struct node *n);

/* Called after a fetched block was checked and written (see
 * node_fetch_block). */
typedef void (*node_block_fn)(void *ctx, const uint8_t hash[32]);
/* Fetch a block by hash from a peer that should have it; it is checked and
 * written to <datadir>/blocks/<hash>.blk. */
void node_fetch_block(struct node *n, const uint8_t hash[32]);
/* Where a fetched block is stored (false without a data directory), and
 * one listener told of each block written. */
bool node_block_path(const struct node *n, const uint8_t hash[32], char *out, size_t cap);
void node_set_block_listener(struct node *n, node_block_fn fn, void *ctx);

/* ---- compact block filters (getblockfilter, scanblocks) ---- */

#include "view_filters.h"

/* ---- transactions to broadcast (sendrawtransaction) ---- */

enum node_broadcast_state {
    NODE_BROADCAST_PENDING = 0, /* not yet seen back from the network */
    NODE_BROADCAST_PROPAGATED,  /* an ordinary peer announced or served it */
    NODE_BROADCAST_ABANDONED,   /* given up (timeout) or abandonbroadcast */
};
const char *node_broadcast_state_str(enum node_broadcast_state st);
/* A transaction that passed sendraw_check, to be broadcast. Takes raw (a
 * malloc'd buffer of raw_len bytes), freed on failure too. A transaction
 * already pending or propagated is not added twice (NODE_OK). */
enum node_err node_broadcast_submit(struct node *n, uint8_t *raw, size_t raw_len,
                                    const uint8_t txid[32], const uint8_t wtxid[32]);

/* One private-broadcast connection made for a transaction. */
struct node_broadcast_attempt_view {
    int64_t time;                 /* unix seconds */
    char addr[96];                /* "1.2.3.4:8333" */
    const char *network;          /* "ipv4", "ipv6", "onion" */
    uint32_t round;               /* 1, 2, ... */
    bool done;                    /* the connection is over */
    bool taken;                   /* the peer asked for it (getdata) and got it */
};
#define NODE_BROADCAST_ATTEMPTS_SHOWN 32
/* A broadcast as getbroadcastinfo shows it. */
struct node_broadcast_view {
    uint8_t txid[32], wtxid[32];
    enum node_broadcast_state state;
    int64_t submitted, finished;  /* unix seconds; finished 0 while pending */
    uint64_t total_attempts;
    size_t n_attempts;            /* the latest ones, oldest first */
    struct node_broadcast_attempt_view attempts[NODE_BROADCAST_ATTEMPTS_SHOWN];
    bool seen;                    /* propagated: seen back from an ordinary peer */
    char seen_by[NODE_ADDR_MAX];
    int64_t seen_at;
    const char *seen_how;         /* "announced" (inv) or "served" (tx after our getdata) */
};
/* Every broadcast, newest first, or the one of txid (NODE_ERR_NOT_FOUND);
 * *out is allocated (the caller frees it). */
enum node_err node_broadcast_infos(struct node *n, const uint8_t *txid,
                                   struct node_broadcast_view **out, size_t *count);
/* Stop broadcasting it: NODE_ERR_NOT_FOUND if unknown, NODE_ERR_EXISTS if
 * it is no longer pending (*state says what it is). Its live
 * private-broadcast connections are closed. */
enum node_err node_broadcast_abandon(struct node *n, const uint8_t txid[32],
                                     enum node_broadcast_state *state);

/* addpeeraddress: an address (numeric IPv4 or IPv6) put in the address
 * manager as if it had announced itself, and moved to tried if asked.
 * *error: NULL on success, else Core's token ("failed-adding-to-new",
 * "failed-adding-to-tried"); NODE_ERR_BAD_ADDRESS (no error token) when
 * address is not one. */
enum node_err node_add_peer_address(struct node *n, const char *address, uint16_t port, bool tried,
                                    const char **error);

/* ---- for metrics, read at the moment of asking ---- */

/* Gauges. */
struct node_stats {
    int32_t header_height;           /* the best header chain's tip */
    size_t addrman_new, addrman_tried;
    size_t bans;                     /* bans in force (expired entries not counted) */
    uint64_t discouraged;            /* addresses discouraged for misbehaviour since start */
    uint64_t misbehaving_local;      /* misbehaving local peers: disconnected, not discouraged */
    uint64_t redial_held;            /* outbound selections held back by the redial back-off */
    /* Broadcasts (sendrawtransaction): counters since start, and pending now. */
    uint64_t broadcast_submitted, broadcast_attempts, broadcast_taken;
    uint64_t broadcast_propagated, broadcast_abandoned;
    size_t broadcast_pending;
    /* Stale tips and the extra outbound peers (staletip.c), since start. */
    uint64_t stale_tips;             /* stale tips detected (an extra full-relay peer allowed) */
    uint64_t extra_evicted_full;     /* full-relay peers evicted for the extra one */
    uint64_t extra_evicted_block_relay; /* extra block-relay-only peers rotated out */
};
void node_get_stats(const struct node *n, struct node_stats *out);

/* Disconnect reasons, counted by index (their tokens: node_reason_str). */
#define NODE_REASONS 34
const char *node_reason_str(size_t reason);

/* Every peer's traffic and fate since start, a copy of the peer layer's
 * counters. Message counters are indexed by enum wire_type, WIRE_UNKNOWN
 * taking every command we do not know. */
struct node_traffic {
    uint64_t msgs_in[WIRE_TYPE_COUNT], msgs_out[WIRE_TYPE_COUNT];
    uint64_t bytes_in[WIRE_TYPE_COUNT], bytes_out[WIRE_TYPE_COUNT]; /* framed size */
    uint64_t net_bytes_in, net_bytes_out; /* every byte on the sockets, handshakes included */
    uint64_t disconnects[NODE_REASONS];
    struct histogram handshake_seconds; /* TCP established/accepted → handshake complete */
    struct histogram ping_seconds;      /* ping sent → matching pong */
};
void node_traffic(const struct node *n, struct node_traffic *out);

/* Live peers by direction (0 outbound, 1 inbound), handshake state (slots
 * labelled by node_census_state) and transport (0 v1, 1 v2). */
enum { NODE_CENSUS_STATES = 5, NODE_CENSUS_TRANSPORTS = 2 };
struct node_census {
    size_t n[2][NODE_CENSUS_STATES][NODE_CENSUS_TRANSPORTS];
};
void node_census(const struct node *n, struct node_census *out);
/* "none", "sent_version", "sent_verack", "connected", "proxy". */
const char *node_census_state(size_t slot);

/* Connections the node holds (handshakes under way included, as Core's
 * getnetworkinfo counts them) by kind; node_conn_type names each slot as
 * getpeerinfo's connection_type does. */
#define NODE_CONN_TYPES 7
struct node_conn_census {
    size_t n[NODE_CONN_TYPES];
};
void node_conn_census(const struct node *n, struct node_conn_census *out);
const char *node_conn_type(size_t slot);

#endif
