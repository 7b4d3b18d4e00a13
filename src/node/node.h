/* The node: drains the peer queue and decides. It owns the peer table, the
 * address manager and the ban list (both persisted in the data directory),
 * the manual connections (--connect, --addnode), the automatic outbound
 * connections and feelers, and answers what peers ask of it.
 *
 * This header is main's: configuration and life cycle. What rpc/ sees is
 * view.h, which this one includes. The node reaches the network layer only
 * through hooks that main installs (the DNS seed look-up) and the sockets
 * the listener hands it (node_accept, registered by main). */
#ifndef BTCPEERD_NODE_H
#define BTCPEERD_NODE_H

#include "peer/peer.h"
#include "view.h"

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
    unsigned max_block_relay;   /* --max-blockrelay (2; 0 with --connect), once the full-relay slots are full */
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
    bool discourage_loopback;   /* --test-discourage-loopback: 127/8 not local for discouragement */
    bool allow_unroutable;      /* regtest: keep private and loopback addresses */
    uint32_t open_interval_ms;  /* how often empty outbound slots are filled (500 ms) */
    uint32_t feeler_interval_ms;/* --feeler-interval (2 min) */
    /* staletip.c (Core v29's constants as defaults): */
    uint32_t stale_tip_ms;      /* --test-stale-tip-age: no new header for this long (3 spacings) */
    uint32_t stale_check_ms;    /* --test-stale-check-interval (10 min) */
    uint32_t extra_peer_check_ms; /* --test-extra-peer-check-interval (45 s) */
    uint32_t min_connect_ms;    /* --test-min-connect-time: never evict a younger extra (30 s) */
    uint32_t extra_block_relay_ms; /* --test-extra-blockrelay-interval: mean (5 min) */
    uint32_t redial_backoff_ms; /* --redial-backoff: a host we failed to reach rests (2 min; redial.h) */
    uint32_t fixed_seed_delay_ms; /* fixed seeds if DNS gave nothing (60 s) */
    uint32_t waiting_log_ms;    /* "no peers yet" while none is up (10 s) */
    uint32_t dns_interval_ms;   /* DNS seeds at most this often (1 h) */
    uint32_t save_interval_ms;  /* peers.dat and banlist.dat (15 min) */
    uint32_t sync_stall_ms;     /* --sync-stall-timeout: a sync peer without progress (2 min) */
    uint32_t sync_log_interval_ms; /* progress lines while syncing (5 s) */
    /* Core's headers download deadline (hdrdeadline.h): base + per header
     * missing; --test-headers-timeout-base / -per-header (15 min, 1 ms) */
    uint32_t headers_timeout_base_ms, headers_timeout_per_header_ms;
    uint32_t block_timeout_ms;  /* --block-timeout: wait for a requested block (60 s) */
    bool blockfilters;          /* --blockfilters: BIP157 filter headers, filter peers preferred */
    uint32_t filter_timeout_ms; /* --filter-timeout: a filter peer's answer (30 s) */
    uint32_t filter_peer_interval_ms; /* --test-filter-peer-interval (5 min; filterpeers.c) */
    uint32_t broadcast_retry_ms;/* pending broadcasts short of peers: look again (1 s) */
    bool broadcast_tor_only;    /* --privatebroadcast=tor: never without a proxy */
    uint32_t broadcast_round_ms;/* --private-broadcast-retry: first round not seen back → fresh peers (5 min) */
    uint32_t broadcast_getdata_ms; /* ask ordinary peers for it this long after it was taken, and again (130 s) */
    uint32_t broadcast_expiry_ms;/* --private-broadcast-expiry: give up (24 h) */
    size_t n_fetch_blocks;      /* --fetch-block: blocks to fetch at start */
    uint8_t fetch_blocks[8][32];
    uint8_t min_chain_work[32]; /* --minimumchainwork, big-endian (the network's: Core v29's) */
};

void node_config_default(struct node_config *cfg, const struct netparams *net);

/* What the node asks of the layers around it. */
struct node_hooks {
    /* Start a DNS seed query; its answer comes back via node_seed_answer. */
    bool (*dns_query)(void *ctx, const char *seed, uint16_t port);
    void *ctx;
};

struct node *node_new(struct event_base *base, struct evdns_base *dns,
                      const struct node_config *cfg, const struct node_hooks *hooks);
/* Load the address manager and ban list, start connecting. */
enum node_err node_start(struct node *n);
/* Group addresses by this ASMap (--asmap): the node takes it and frees it.
 * Before node_start, so that peers.dat is bucketed with it. */
void node_set_asmap(struct node *n, struct asmap *map);
/* Disconnect every peer (reason shutdown), stop connecting, save state. */
void node_shutdown(struct node *n);
void node_free(struct node *n);

/* A DNS seed answered (count may be 0); err: NULL, or a token naming why
 * it gave nothing ("nxdomain", "timeout", ...). */
void node_seed_answer(struct node *n, const char *seed, const struct wire_netaddr *addrs,
                      size_t count, const char *err);

/* For the listener: take an accepted socket, or refuse it (the socket is
 * closed) with a logged reason: "banned", "inbound-full" (full and no peer
 * to evict), "inbound-group-full" (too many from its network group). */
void node_accept(struct node *n, int fd, const struct sockaddr *sa, int salen);

#endif
