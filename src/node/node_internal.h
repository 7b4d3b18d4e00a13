/* The node's state, shared by its files: node.c (queue drain, dispatch),
 * statefiles.c (the files in the data directory), manual.c (manual peers),
 * outbound.c (automatic outbound connections, feelers, DNS and fixed
 * seeds), addrrelay.c (addr, getaddr). */
#ifndef BTCPEERD_NODE_INTERNAL_H
#define BTCPEERD_NODE_INTERNAL_H

#include "node.h"

#include "addrman.h"
#include "broadcast.h"
#include "banman.h"
#include "headerstore.h"

#include <btcpeerd/chain.h>

#include <btcpeerd/idmap.h>

struct event;

/* One --connect or --addnode target. */
struct manual_peer {
    struct node *node;
    char host[256];
    uint16_t port;
    uint64_t peer_id;      /* current connection, 0 if none */
    bool v1_only;          /* it closed on our BIP324 key once: v1 from now on */
    uint32_t backoff_ms;   /* next retry delay */
    bool active;           /* false once removed (RPC addnode remove) */
    struct event *retry;
};

/* CONN_ADDR_FETCH: under --proxy, a DNS seed's name reached through the
 * proxy (no DNS of ours): asked for addresses, dropped once they come. */
/* CONN_PRIVATE_BROADCAST: short-lived, carries one of our transactions
 * (broadcast_send.c), outside the connection limits; never READY. */
enum node_conn_kind { CONN_INBOUND = 0, CONN_MANUAL, CONN_OUTBOUND, CONN_FEELER, CONN_ADDR_FETCH,
                      CONN_PRIVATE_BROADCAST };

/* What the node knows of each peer, by id. */
struct node_peer {
    uint64_t id;
    enum node_conn_kind kind;
    struct wire_netaddr addr;
    uint8_t group[NETADDR_GROUP_MAX];
    size_t group_len;
    bool ready;
    bool getaddr_answered;
    uint64_t connected_ms;  /* monotonic */
    uint64_t services;
    int32_t start_height;   /* announced, raised as it sends us headers */
    unsigned sync_strikes;
    unsigned unconnecting;  /* headers in a row that did not connect */
    double addr_tokens;     /* addresses we will still accept from it */
    uint64_t tokens_at_ms;  /* when addr_tokens was last topped up */
    uint8_t broadcast_txid[32]; /* CONN_PRIVATE_BROADCAST: the transaction it carries */
};

struct node {
    struct event_base *base;
    struct evdns_base *dns;
    const struct node_config *cfg;
    struct node_hooks hooks;
    struct node_queue *queue;
    struct peer_table *peers;
    struct idmap node_peers;    /* id → struct node_peer * */
    struct idmap v1_only;       /* address hashes that refused BIP324: dial them with v1 */
    struct addrman *addrman;
    struct banman *banman;
    struct manual_peer *manual;
    size_t n_manual;
    struct event *open_timer, *feeler_timer, *fixed_seed_timer;
    struct node_state *state;   /* statefiles.c */
    int64_t last_dns_ms;        /* monotonic, 0 = never */
    size_t dns_answers;         /* addresses DNS gave since start */
    size_t dns_pending;         /* seed queries not answered yet */
    uint64_t fixed_seed_due_ms; /* monotonic: when the fixed seeds come, 0 = not pending */
    struct event *waiting_timer;/* "no peers yet" lines until an outbound peer is up */
    bool shutting_down;
    struct chain *chain;
    struct headerstore *headers;
    bool headers_append_failed; /* logged once: headers.dat keeps no more */
    struct {
        uint64_t peer;          /* 0 = none */
        int32_t peer_height, start_height;
        uint64_t progress_ms, started_ms, request_ms, last_log_ms;
        bool done;
    } sync;
    struct event *sync_timer;
    struct block_fetch *fetches;
    node_block_fn block_listener;
    void *block_listener_ctx;
    struct broadcast_set broadcasts; /* broadcast.c */
    struct event *broadcast_timer;   /* broadcast_send.c */
    struct event *broadcast_save_ev; /* broadcast_store.c: a save due this loop turn */
    struct {
        uint64_t submitted, attempts, taken, propagated, abandoned;
    } broadcast_counts;              /* since start, for metrics */
};

/* node.c */
struct node_peer *node_peer_get(const struct node *n, uint64_t id);
struct node_peer *node_peer_add(struct node *n, uint64_t id, enum node_conn_kind kind,
                                const struct wire_netaddr *addr);
bool node_is_whitelisted(const struct node *n, const struct wire_netaddr *a);
int64_t node_now(void);

/* A hash of an address and port, for sets of addresses. */
uint64_t node_addr_hash(const struct wire_netaddr *a);

/* statefiles.c: peers.dat, banlist.dat, headers.dat */
struct node_state *node_state_new(struct node *n);
/* Load peers.dat and banlist.dat, open headers.dat, start saving. */
enum node_err node_state_open(struct node *n);
/* After an accepted batch: headers.dat flushed, off the loop thread. */
void node_state_headers_flush(struct node *n);
/* A file encoded by its owner (broadcast.dat), written atomically by the
 * disk writer; takes w, sealed with the envelope's checksum there. */
void node_state_write(struct node *n, const char *name, const char *what, size_t count,
                      struct buf_writer *w);
/* The last save, waited for. */
void node_state_shutdown(struct node *n);
/* Waits for whatever is still being written. */
void node_state_free(struct node_state *st);

/* manual.c */
enum node_err node_manual_start(struct node *n);
void node_manual_stop(struct node *n);
void node_manual_ready(struct node *n, uint64_t peer_id);
void node_manual_disconnected(struct node *n, uint64_t peer_id, bool v2_no_answer);

/* outbound.c */
enum node_err node_outbound_start(struct node *n);
void node_outbound_stop(struct node *n);
/* After READY of an automatic outbound or feeler peer. */
void node_outbound_ready(struct node *n, struct node_peer *np, const struct peer_ready_info *info);
/* After READY of an addr-fetch peer: ask it for addresses. */
void node_addr_fetch_ready(struct node *n, struct node_peer *np);
/* After an automatic outbound or feeler peer went away. */
void node_outbound_gone(struct node *n, struct node_peer *np, const struct peer_disconnected_info *info);

/* sync.c */
enum node_err node_sync_start(struct node *n);
void node_sync_stop(struct node *n);
void node_sync_peer_ready(struct node *n, struct node_peer *np, int32_t start_height);
void node_sync_peer_gone(struct node *n, uint64_t id);
void node_headers_received(struct node *n, uint64_t id, const struct wire_headers *hdrs);
void node_block_announced(struct node *n, uint64_t id, const struct wire_inv *inv);
void node_getheaders_received(struct node *n, uint64_t id, const struct wire_locator *loc);
/* The whole header of a chain entry (from headers.dat, or genesis). */
bool node_header_at(const struct node *n, const struct chain_entry *e, struct wire_header *out);

/* blocks.c */
void node_blocks_tick(struct node *n);
void node_blocks_peer_gone(struct node *n, uint64_t id);
void node_notfound_received(struct node *n, uint64_t id, const struct wire_inv *inv);
void node_block_received(struct node *n, uint64_t id, const struct wire_block *b);
void node_blocks_free(struct node *n);

/* broadcast.c: a pending broadcast is over (propagated or abandoned): it
 * is no longer watched for, and that is logged and counted. */
void node_broadcast_finish(struct node *n, struct broadcast *b, enum node_broadcast_state st,
                           const char *why);

/* broadcast_store.c: broadcast.dat. parse returns NULL, or why the file is
 * bad (it is then moved aside); save encodes the set now (call it after
 * each change; writes coalesce per loop turn through node_broadcast_dirty). */
const char *node_broadcast_parse(struct node *n, const uint8_t *data, size_t len);
void node_broadcast_dirty(struct node *n);
void node_broadcast_save_now(struct node *n);

/* broadcast_send.c: private-broadcast connections for pending broadcasts */
enum node_err node_broadcast_start(struct node *n);
void node_broadcast_stop(struct node *n);
/* Open what connections the pending broadcasts still need. */
void node_broadcast_tick(struct node *n);
/* An ordinary peer announced (inv) or served (tx, after our getdata) a
 * transaction: one of ours seen back? */
void node_broadcast_announced(struct node *n, uint64_t peer_id, const struct wire_inv *inv);
void node_broadcast_tx_received(struct node *n, uint64_t peer_id, const struct wire_tx *tx);
/* A private-broadcast connection ended. */
void node_broadcast_peer_gone(struct node *n, struct node_peer *np,
                              const struct peer_disconnected_info *info);

/* addrrelay.c */
void node_addr_received(struct node *n, uint64_t peer_id, const struct wire_addr *addrs);
void node_getaddr_received(struct node *n, uint64_t peer_id);

#endif
