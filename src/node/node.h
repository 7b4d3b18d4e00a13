/* The node: drains the peer queue and decides. It owns the peer table, the
 * address manager and the ban list (both persisted in the data directory),
 * the manual connections (--connect, --addnode), the automatic outbound
 * connections and feelers, and answers what peers ask of it.
 *
 * It reaches the network layer only through hooks that main installs (the
 * DNS seed look-up), so node never depends on net. */
#ifndef BTCPEERD_NODE_H
#define BTCPEERD_NODE_H

#include "peer/peer.h"

#include <btcpeerd/netaddr.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;

#define NODE_MAX_MANUAL 64
#define NODE_MAX_SEEDS 16
#define NODE_MAX_WHITELIST 32

struct node_config {
    struct peer_config peer;
    char datadir[PATH_MAX];     /* peers.dat, banlist.dat; "" = keep nothing */
    unsigned max_connections;   /* --maxconnections (125) */
    unsigned max_outbound;      /* --max-outbound (8; 0 with --connect) */
    unsigned max_inbound_per_group; /* inbound peers from one network group (16; loopback exempt) */
    uint32_t reconnect_min_ms;  /* manual peers: first retry (1 s) */
    uint32_t reconnect_max_ms;  /* ... doubling up to (5 min) */
    size_t n_connect, n_addnode;
    char connect[NODE_MAX_MANUAL][256];
    char addnode[NODE_MAX_MANUAL][256];
    bool dnsseed;               /* --dnsseed (on unless --connect) */
    size_t n_seed_names;        /* --dnsseed-name replaces the network's list */
    char seed_names[NODE_MAX_SEEDS][256];
    int64_t bantime_s;          /* --bantime (86400) */
    size_t n_whitelist;
    struct netaddr_subnet whitelist[NODE_MAX_WHITELIST];
    bool local_groups;          /* --test-local-groups: 127/8 grouped as routable */
    bool allow_unroutable;      /* regtest: keep private and loopback addresses */
    uint32_t open_interval_ms;  /* how often empty outbound slots are filled (500 ms) */
    uint32_t feeler_interval_ms;/* --feeler-interval (2 min) */
    uint32_t fixed_seed_delay_ms; /* fixed seeds if DNS gave nothing (60 s) */
    uint32_t waiting_log_ms;    /* "no peers yet" while none is up (10 s) */
    uint32_t dns_interval_ms;   /* DNS seeds at most this often (1 h) */
    uint32_t save_interval_ms;  /* peers.dat and banlist.dat (15 min) */
    uint32_t sync_stall_ms;     /* --sync-stall-timeout: a sync peer without progress (2 min) */
    uint32_t sync_log_interval_ms; /* progress lines while syncing (5 s) */
    uint32_t block_timeout_ms;  /* --block-timeout: wait for a requested block (60 s) */
    size_t n_fetch_blocks;      /* --fetch-block: blocks to fetch at start */
    uint8_t fetch_blocks[8][32];
};

void node_config_default(struct node_config *cfg, const struct netparams *net);

enum node_err {
    NODE_OK = 0,
    NODE_ERR_NOMEM,
    NODE_ERR_BAD_ADDRESS,
    NODE_ERR_STORE,
    NODE_ERR_NOT_FOUND,     /* no such peer, ban or added node */
    NODE_ERR_EXISTS,        /* already added */
    NODE_ERR_FULL,          /* no room for another */
    NODE_ERR_SHUTTING_DOWN,
};
const char *node_err_str(enum node_err err);

/* What the node asks of the layers around it. */
struct node_hooks {
    /* Start a DNS seed query; its answer comes back via node_seed_answer. */
    bool (*dns_query)(void *ctx, const char *seed, uint16_t port);
    void *ctx;
};

struct node;
struct chain;
struct chain_entry;

/* Called after a fetched block was checked and written (see
 * node_fetch_block). */
typedef void (*node_block_fn)(void *ctx, const uint8_t hash[32]);

struct node *node_new(struct event_base *base, struct evdns_base *dns,
                      const struct node_config *cfg, const struct node_hooks *hooks);
/* Load the address manager and ban list, start connecting. */
enum node_err node_start(struct node *n);
/* Disconnect every peer (reason shutdown), stop connecting, save state. */
void node_shutdown(struct node *n);
void node_free(struct node *n);

/* Fetch a block by hash from a peer that should have it; it is checked and
 * written to <datadir>/blocks/<hash>.blk. */
void node_fetch_block(struct node *n, const uint8_t hash[32]);
int32_t node_chain_height(const struct node *n);

/* A DNS seed answered (count may be 0); err: NULL, or a token naming why
 * it gave nothing ("nxdomain", "timeout", ...). */
void node_seed_answer(struct node *n, const char *seed, const struct wire_netaddr *addrs,
                      size_t count, const char *err);

/* For the listener: take an accepted socket, or refuse it (the socket is
 * closed) with a logged reason: "banned", "inbound-full" (full and no peer
 * to evict), "inbound-group-full" (too many from its network group). */
void node_accept(struct node *n, int fd, const struct sockaddr *sa, int salen);
struct peer_table *node_peers(struct node *n);

/* Gauges for metrics and RPC, read at the moment of asking (node_stats.c). */
struct node_stats {
    int32_t header_height;           /* the best header chain's tip */
    size_t addrman_new, addrman_tried;
    size_t bans;                     /* bans in force (expired entries not counted) */
};
void node_get_stats(const struct node *n, struct node_stats *out);
const struct peer_table *node_peers_const(const struct node *n);

/* ---- Read-only views and commands for the RPC layer (rpcview.c) ---- */

const struct node_config *node_get_config(const struct node *n);

/* One peer as getpeerinfo shows it. */
struct node_peer_view {
    struct peer_info info;
    const char *connection_type; /* Core's names: inbound, manual, outbound-full-relay, feeler */
    bool ready;                  /* handshake complete as far as the node knows */
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
enum node_err node_addnode(struct node *n, const char *spec, enum node_addnode_cmd cmd);
/* The kept manual peers (--connect, --addnode, RPC addnode); returns how
 * many there are (may exceed cap). */
struct node_added {
    char node[264];     /* host:port as given */
    bool connected;     /* handshake complete */
    char address[PEER_ADDR_MAX]; /* the connection's address when connected */
};
size_t node_added_nodes(const struct node *n, struct node_added *out, size_t cap);

/* Bans (the same list misbehaving peers land on). node_ban disconnects the
 * connected peers it covers. */
struct node_ban {
    struct netaddr_subnet subnet;
    int64_t created, until; /* unix seconds */
};
enum node_err node_ban(struct node *n, const struct netaddr_subnet *sn, int64_t until);
enum node_err node_unban(struct node *n, const struct netaddr_subnet *sn);
void node_clear_bans(struct node *n);
/* Live bans; *out is allocated (the caller frees it). */
enum node_err node_list_bans(struct node *n, struct node_ban **out, size_t *count);

/* Address manager: counts per network (index enum wire_net, 0..7), and up
 * to max (0 = all) random addresses that are not terrible. */
void node_addrman_info(const struct node *n, size_t new_by_net[8], size_t tried_by_net[8]);
size_t node_addresses(struct node *n, size_t max, struct wire_netaddr *out);
size_t node_addrman_size(const struct node *n);

/* The header chain, read-only; the node owns it. */
const struct chain *node_chain_view(const struct node *n);
/* The whole header of a chain entry. */
bool node_header(const struct node *n, const struct chain_entry *e, struct wire_header *out);
/* Still in the initial header sync. */
bool node_in_initial_sync(const struct node *n);

/* Blocks: where a fetched block is stored (false without a data
 * directory), and one listener told of each block written. */
bool node_block_path(const struct node *n, const uint8_t hash[32], char *out, size_t cap);
void node_set_block_listener(struct node *n, node_block_fn fn, void *ctx);

#endif
