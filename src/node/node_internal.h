/* The node's state, shared by its files: node.c (queue drain, dispatch),
 * statefiles.c (the files in the data directory), manual.c (manual peers),
 * outbound.c (automatic outbound connections, feelers, DNS and fixed
 * seeds), staletip.c (stale tips, the extra outbound peers), addrrelay.c
 * (addr, getaddr), misbehave.c (discouragement). */
#ifndef BTCPEERD_NODE_INTERNAL_H
#define BTCPEERD_NODE_INTERNAL_H

#include "node.h"

#include "addrman.h"
#include "broadcast.h"
#include "banman.h"
#include "discourage.h"
#include "redial.h"
#include "headerstore.h"
#include "timeoffsets.h"

#include <btcpeerd/chain.h>

#include <btcpeerd/idmap.h>

struct event;

/* anchors.dat: block-relay-only peers kept across a restart (Core's 2). */
#define NODE_ANCHORS_MAX 2u

/* --blockfilters: outbound peers offering NODE_COMPACT_FILTERS to keep. */
#define NODE_FILTER_PEERS_WANTED 2u
/* Filter-offering addresses remembered from a search of the address
 * manager (filterpeers.c). */
#define NODE_FILTER_BOOK_MAX 16u

/* One --connect or --addnode target. */
struct manual_peer {
    struct node *node;
    char host[256];
    uint16_t port;
    uint64_t peer_id;      /* current connection, 0 if none */
    bool v1_only;          /* it closed on our BIP324 key once: v1 from now on */
    uint32_t backoff_ms;   /* next retry delay */
    bool active;           /* false once removed (RPC addnode remove) */
    bool from_connect;     /* --connect: kept, but not an "added node" (getaddednodeinfo) */
    struct event *retry;
};

/* CONN_ADDR_FETCH: under --proxy, a DNS seed's name reached through the
 * proxy (no DNS of ours): asked for addresses, dropped once they come. */
/* CONN_PRIVATE_BROADCAST: short-lived, carries one of our transactions
 * (broadcast_send.c), outside the connection limits; never READY. */
/* CONN_BLOCK_RELAY: automatic outbound, blocks only (Core's
 * block-relay-only): version relay=0, no getaddr, no addresses either way,
 * no transactions; its own slots (--max-blockrelay). */
enum node_conn_kind { CONN_INBOUND = 0, CONN_MANUAL, CONN_OUTBOUND, CONN_FEELER, CONN_ADDR_FETCH,
                      CONN_PRIVATE_BROADCAST, CONN_BLOCK_RELAY };

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
    double addr_tokens;     /* addresses we will still accept from it */
    uint64_t tokens_at_ms;  /* when addr_tokens was last topped up */
    /* For getpeerinfo, as Core counts them: */
    int32_t synced_headers; /* our best header it has shown it has, -1 = none yet */
    int64_t last_block;     /* unix s: it delivered a block we stored, 0 = never */
    uint64_t addr_processed, addr_rate_limited; /* addresses taken and dropped (token bucket) */
    uint8_t broadcast_txid[32]; /* CONN_PRIVATE_BROADCAST: the transaction it carries */
    /* staletip.c (monotonic ms, 0 = never): */
    uint64_t announce_ms;   /* Core's m_last_block_announcement: a headers message with a
                             * new header of more work than our tip */
    uint64_t new_block_ms;  /* Core's m_last_block_time: that, or a block we asked for */
    bool protect;           /* one of the first 4 full-relay peers with our tip's work */
    bool evicted;           /* disconnected for an extra peer, DISCONNECTED not yet seen */
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
    struct asmap *asmap;        /* --asmap, owned; NULL = /16 groups (netaddr_group) */
    struct banman *banman;      /* the operator's bans (setban): misbehaviour never lands here */
    struct discourage *discouraged; /* misbehaving peers' addresses, in memory only */
    uint64_t n_discouraged;     /* addresses discouraged since start */
    uint64_t n_misbehaving_local; /* misbehaving local peers: disconnected, not discouraged */
    struct redial *redial;      /* when a host may be dialled again (outbound.c) */
    uint64_t n_redial_held;     /* selections passed over for the redial back-off */
    struct manual_peer *manual;
    size_t n_manual;
    struct wire_netaddr anchors[NODE_ANCHORS_MAX]; /* anchors.c: still to dial */
    size_t n_anchors;
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
        uint64_t deadline_ms;   /* monotonic: Core's headers download deadline, 0 = none (sync.c) */
        bool deadline_kept;     /* it passed with no other peer to move to: logged once */
    } sync;
    struct event *sync_timer;
    struct idmap presyncs;      /* peer id → struct hsync * (presync.c) */
    uint64_t presync_log_ms;    /* monotonic: the last "Pre-synchronizing" line */
    struct block_fetch *fetches;
    node_block_fn block_listener;
    void *block_listener_ctx;
    struct time_offsets time_offsets; /* outbound peers' clocks (Core's TimeOffsets) */
    uint64_t clock_warnings;    /* "clock out of sync" lines logged */
    struct cfsync *cf;          /* --blockfilters: cfsync.c; NULL without */
    struct {                    /* --blockfilters: filterpeers.c */
        struct wire_netaddr addrs[NODE_FILTER_BOOK_MAX]; /* filter-offering, from the last search */
        size_t n;
        uint64_t searched_ms;  /* monotonic: the last search, 0 = never */
        uint64_t evicted_ms;   /* monotonic: the last eviction for a filter peer, 0 = never */
        uint64_t evicted_peer; /* its id, 0 = none */
    } filter_book;
    struct broadcast_set broadcasts; /* broadcast.c */
    struct event *broadcast_timer;   /* broadcast_send.c */
    struct event *broadcast_save_ev; /* broadcast_store.c: a save due this loop turn */
    struct {
        uint64_t submitted, attempts, taken, propagated, abandoned;
    } broadcast_counts;              /* since start, for metrics */
    struct {                         /* staletip.c; times monotonic ms */
        struct event *timer;         /* every extra-peer check interval */
        uint64_t last_tip_ms;        /* the header tip last moved (start counts) */
        uint64_t check_due_ms;       /* the next stale-tip check */
        uint64_t next_extra_block_relay_ms;
        bool try_extra;              /* Core's m_try_another_outbound_peer */
        bool extra_block_relay;      /* Core's m_start_extra_block_relay_peers */
        uint64_t n_stale, n_evicted_full, n_evicted_block_relay; /* since start */
    } stale;
};

/* node.c */
struct node_peer *node_peer_get(const struct node *n, uint64_t id);
struct node_peer *node_peer_add(struct node *n, uint64_t id, enum node_conn_kind kind,
                                const struct wire_netaddr *addr);
bool node_is_whitelisted(const struct node *n, const struct wire_netaddr *a);
int64_t node_now(void);

/* Inbound slots: the connections not reserved for outbound and manual peers. */
unsigned node_inbound_limit(const struct node *n);

/* misbehave.c: discouragement */
/* After a peer's DISCONNECTED: if it went for misbehaving, discourage its
 * address (not a local one, nor an addr-fetch peer's: that is the
 * proxy's) and disconnect every other peer on the same IP, as Core. */
void node_misbehaving_gone(struct node *n, uint64_t id, enum node_conn_kind kind,
                           const struct peer_disconnected_info *info);
bool node_is_discouraged(const struct node *n, const struct wire_netaddr *a);
/* --whitelist peers are noban: tell the peer layer. */
void node_mark_noban(struct node *n, uint64_t id, const struct wire_netaddr *a);

/* A hash of an address and port, for sets of addresses. */
uint64_t node_addr_hash(const struct wire_netaddr *a);

/* statefiles.c: peers.dat, banlist.dat, headers.dat */
struct node_state *node_state_new(struct node *n);
/* Load peers.dat and banlist.dat, open headers.dat, start saving. */
enum node_err node_state_open(struct node *n);
/* After an accepted batch: headers.dat flushed, off the loop thread. */
void node_state_headers_flush(struct node *n);
/* The disk writer (NULL without a data directory), for other files' jobs. */
struct diskwriter *node_state_writer(struct node *n);
/* A file encoded by its owner (broadcast.dat), written atomically by the
 * disk writer; takes w, sealed with the envelope's checksum there. */
void node_state_write(struct node *n, const char *name, const char *what, size_t count,
                      struct buf_writer *w);
/* The last save, waited for. */
void node_state_shutdown(struct node *n);
/* Waits for whatever is still being written. */
void node_state_free(struct node_state *st);

/* anchors.c: anchors.dat */
/* At start: read the file, delete it, keep the anchors to dial. */
void node_anchors_load(struct node *n);
/* The next anchor to dial (each is tried once). */
bool node_anchors_next(struct node *n, struct wire_netaddr *out);
/* At a clean shutdown, before the peers go: the block-relay-only peers'
 * addresses, to the disk writer (node_state_shutdown waits for it). */
void node_anchors_save(struct node *n);

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
/* May this address be dialled now as an automatic outbound peer (reachable,
 * not connected, not in a group we have outbound, not banned, discouraged
 * or held back)? tries: the selections its round has made. */
bool node_outbound_dialable(struct node *n, const struct wire_netaddr *a, int tries,
                            bool *held_logged);
/* Dial it as kind; true if the connection is under way. */
bool node_outbound_dial(struct node *n, const struct wire_netaddr *a, enum node_conn_kind kind);
size_t node_outbound_count(const struct node *n, enum node_conn_kind kind);

/* One dial from the address manager as kind; true if one is under way. */
bool node_outbound_open_one(struct node *n, enum node_conn_kind kind);

/* staletip.c: stale-tip detection, the extra outbound peers, their eviction */
enum node_err node_staletip_start(struct node *n);
void node_staletip_stop(struct node *n);
/* From the open timer, after the slots were filled: the extra full-relay
 * peer a stale tip allows, or the periodic extra block-relay-only one. */
void node_staletip_open_extra(struct node *n);
/* After a headers message was processed (added may be 0): announcement
 * times, protection, the tip's age. */
void node_staletip_headers(struct node *n, struct node_peer *np, size_t added,
                           const struct chain_entry *last, const struct chain_entry *old_tip);
/* A block we asked for came from np. */
void node_staletip_block(struct node *n, struct node_peer *np);

/* filterpeers.c: --blockfilters keeps NODE_FILTER_PEERS_WANTED outbound
 * peers that offer compact filters */
/* Outbound peers that offer them (by their version once ready, by their
 * address while connecting). */
size_t node_filter_outbound_count(const struct node *n);
/* Before a selection round: while the last slots wait for filter peers,
 * dial the filter-offering addresses the address manager holds. have and
 * filter_have are the round's counts, raised for each dial. */
void node_filter_peers_fill(struct node *n, size_t *have, size_t *filter_have);
/* After a round that left every slot full: short of filter peers while
 * the address manager holds one we could dial, evict a non-filter
 * outbound peer (at most once every --test-filter-peer-interval). */
void node_filter_peers_make_room(struct node *n);

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
/* getheaders to a peer with a locator from `from` (NULL: our tip). */
void node_send_getheaders(struct node *n, uint64_t peer, const struct chain_entry *from);
/* Validate and store headers whose work is proven (or not needed): into
 * the chain and headers.dat. The count added; *last is the last header
 * accepted or known; *invalid if one failed (the peer is punished). */
size_t node_headers_store(struct node *n, uint64_t id, const struct wire_header *hdrs, size_t count,
                          const struct chain_entry **last, bool *invalid);
/* After node_headers_store: flush, best height, sync progress, the log. */
void node_headers_stored(struct node *n, uint64_t id, size_t added, const struct chain_entry *last,
                         const struct chain_entry *old_tip);
/* The sync peer has nothing more: "caught up" (once). */
void node_sync_caught_up(struct node *n, uint64_t id);

/* presync.c: Core's anti-DoS header checks (headerssync.h does the work) */
/* Headers from a peer with a presync running go to it: true if they were
 * taken (fed, released headers stored, or the peer dropped). */
bool node_presync_continue(struct node *n, struct node_peer *np, const struct wire_headers *hdrs);
/* Headers that connect at start: true if their chain's work is below the
 * anti-DoS threshold, so they are presynced (a full message) or ignored
 * (a short one), never stored. */
bool node_presync_screen(struct node *n, struct node_peer *np, const struct wire_headers *hdrs,
                         const struct chain_entry *start);
/* Forget a peer's presync (empty headers message, disconnect). */
void node_presync_drop(struct node *n, uint64_t id, const char *why);
/* How far a peer's presync has come (getpeerinfo), -1 when none runs. */
int32_t node_presync_height(const struct node *n, uint64_t id);
void node_presync_free_all(struct node *n);
/* Our tip's work is below the minimum chain work (Core's getheaders rule). */
bool node_tip_below_min_work(const struct node *n);

/* blocks.c */
void node_blocks_tick(struct node *n);
void node_blocks_peer_gone(struct node *n, uint64_t id);
void node_notfound_received(struct node *n, uint64_t id, const struct wire_inv *inv);
/* Takes b's bytes when it keeps the block (they go to disk). */
void node_block_received(struct node *n, uint64_t id, struct wire_block *b);
void node_blocks_free(struct node *n);
/* Heights of the blocks asked of peer id and not delivered yet (up to cap). */
size_t node_blocks_inflight(const struct node *n, uint64_t id, int32_t *heights, size_t cap);
/* Blocks asked of peer id (0: of any peer) and not delivered yet. */
size_t node_blocks_asked_of(const struct node *n, uint64_t id);

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
/* getaddr to an outbound, manual or addr-fetch peer (once, after READY);
 * its answer of up to 1,000 addresses passes the token bucket. */
void node_ask_for_addresses(struct node *n, struct node_peer *np);

#endif
