/* One connection to a remote node: its bufferevent, transport, timers and
 * handshake state, and the peer table that owns every peer by id.
 *
 * The node never holds a struct peer *: it names peers by id and reaches
 * them through peer_request. A peer that fails is marked dead, posts
 * DISCONNECTED, and is freed later by the table's reaper (never inside one of
 * its own callbacks). */
#ifndef BTCPEERD_PEER_H
#define BTCPEERD_PEER_H

#include "events.h"

#include "net/connect.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct evdns_base;

/* PEER_PROXY: outbound through a SOCKS5 proxy, the tunnel not yet open
 * (the transport starts in PEER_NONE once it is). */
enum peer_state { PEER_NONE = 0, PEER_SENT_VERSION, PEER_SENT_VERACK, PEER_CONNECTED, PEER_DEAD,
                  PEER_PROXY };
const char *peer_state_str(enum peer_state state);

/* Every timeout and limit, with the seed's values as defaults
 * (peer_config_default), so tests run the same code in milliseconds. */
struct peer_config {
    const struct netparams *net;
    uint32_t handshake_timeout_ms; /* 10 s */
    uint32_t ping_interval_ms;     /* 60 s of silence → ping */
    uint32_t ping_timeout_ms;      /* 30 s for the pong */
    uint32_t connect_timeout_ms;   /* 5 s for TCP connect */
    uint32_t drain_timeout_ms;     /* a dead peer's last output: at most this long (2 s; 0 = none) */
    uint32_t max_msg_rate;         /* messages/s averaged since connect; 0 = off */
    size_t send_soft_limit;        /* stop reading past this much output (5 MB) */
    size_t send_hard_limit;        /* disconnect past this (16 MB) */
    size_t send_global_limit;      /* owed to all peers before adders pause (PEER_SEND_GLOBAL_LIMIT) */
    uint64_t services;             /* ours, as advertised */
    bool v2_enabled;               /* BIP324: accept v2 inbound, offer it outbound */
    struct net_proxy proxy;        /* --proxy: every outbound connection, names resolved by it */
    struct net_proxy onion_proxy;  /* --onion: Tor v3 addresses (main sets it to proxy by default) */
    bool proxy_randomize;          /* fresh random credentials per connection: Tor stream isolation */
    uint32_t private_broadcast_timeout_ms; /* a private-broadcast connection's whole life (60 s) */
    char user_agent[WIRE_MAX_USER_AGENT + 1];
};

void peer_config_default(struct peer_config *cfg, const struct netparams *net);

enum peer_err {
    PEER_OK = 0,
    PEER_ERR_UNKNOWN_ID,
    PEER_ERR_NOT_CONNECTED,
    PEER_ERR_BAD_REQUEST,
    PEER_ERR_NOMEM,
    PEER_ERR_SOCKET,
    PEER_ERR_BUSY, /* a request of that kind is already in flight (caps in peer_internal.h) */
    PEER_ERR_UNREACHABLE, /* a network we have no route to (onion without a proxy) */
};
const char *peer_err_str(enum peer_err err);

/* Why a peer was disconnected: the token in every disconnect log line. */
enum peer_reason {
    PEER_REASON_EOF = 0,
    PEER_REASON_IO_ERROR,
    PEER_REASON_HANDSHAKE_TIMEOUT,
    PEER_REASON_PING_TIMEOUT,
    PEER_REASON_RATE_LIMIT,
    PEER_REASON_BAD_MAGIC,
    PEER_REASON_OVERSIZE,
    PEER_REASON_PROTOCOL_VIOLATION,
    PEER_REASON_MISBEHAVING,
    PEER_REASON_SELF_CONNECTION,
    PEER_REASON_INBOUND_FULL,
    PEER_REASON_SEND_BUFFER_FULL,
    PEER_REASON_SHUTDOWN,
    PEER_REASON_REQUESTED,
    PEER_REASON_CONNECT_FAILED,
    PEER_REASON_CONNECT_TIMEOUT,
    PEER_REASON_MISSING_SERVICES, /* an outbound peer that serves no blocks or no witness */
    PEER_REASON_FEELER_DONE,      /* a feeler connection did its job */
    PEER_REASON_EVICTED,          /* made room for a new inbound peer */
    PEER_REASON_SYNC_STALLED,     /* a header sync peer that stopped making progress */
    PEER_REASON_V2_HANDSHAKE,     /* BIP324: no garbage terminator in time, or key exchange failed */
    PEER_REASON_V2_DECRYPT,       /* BIP324: a packet that did not authenticate */
    PEER_REASON_RECV_BUFFER_FULL, /* held the most partial-message bytes when all peers' passed the cap */
    PEER_REASON_PROXY_ERROR,      /* the SOCKS5 proxy refused or failed (proxy_error= says how) */
    PEER_REASON_ADDR_FETCH_DONE,  /* a seed reached through the proxy gave its addresses */
    PEER_REASON_PRESYNC_FAILED,   /* its low-work header chain failed presync (not punished) */
    PEER_REASON_DISCOURAGED,      /* another peer on its IP misbehaved: the address is discouraged */
    PEER_REASON_BAD_FILTERS,      /* BIP157: a filter or filter header a block proved wrong */
    PEER_REASON_BROADCAST_DONE,   /* private broadcast: the tx sent and the pong after it came */
    PEER_REASON_BROADCAST_TIMEOUT,/* private broadcast: the connection's deadline passed */
    PEER_REASON_STALE_TIP,        /* our tip went stale: the full-relay peer with the oldest block announcement */
    PEER_REASON_EXTRA_BLOCK_RELAY,/* the periodic extra block-relay-only peer's rotation */
    PEER_REASON_BLOCK_RELAY_TX,   /* a tx, or a tx inv, on a block-relay-only link (not punished) */
    PEER_REASON_HEADERS_SYNC_TIMEOUT, /* the header sync peer missed Core's download deadline */
    PEER_REASON_COUNT             /* not a reason: the number of them (metrics) */
};
const char *peer_reason_str(enum peer_reason reason);

struct peer_table;

/* Counters, for logs and later for RPC/metrics. */
struct peer_stats {
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
    uint64_t rate_counted; /* messages that count against the rate limit */
    uint64_t ping_rtt_us;  /* last measured, 0 = none yet */
    uint64_t min_ping_us;  /* smallest measured, 0 = none yet */
};

/* Bytes (framing included) sent or received per message command, for
 * getpeerinfo's bytessent_per_msg; unknown commands count as "*other*". */
#define PEER_MSG_KINDS 40
struct peer_msg_bytes {
    char command[13];
    uint64_t bytes;
};

/* Everything the peer knows about itself, for RPC views (peer_get_info).
 * Times are unix seconds (0 = never). */
struct peer_info {
    uint64_t id;
    enum peer_state state;
    bool inbound, manual;
    char addr[PEER_ADDR_MAX], addrbind[64];
    const char *transport;          /* "v1" or "v2" */
    char session_id[65];            /* BIP324 session id in hex, "" for v1 */
    int32_t version;                /* 0 before their version */
    uint64_t services;
    bool relay;
    char subver[WIRE_MAX_USER_AGENT + 1]; /* sanitized */
    int32_t start_height;
    int64_t time_offset;
    int64_t feefilter;              /* its feefilter, sat/kvB (0 = none sent) */
    bool cmpct_hb_from;             /* it asked us for high-bandwidth compact blocks (BIP152 v2) */
    int64_t conn_time, last_send, last_recv;
    uint64_t ping_wait_us;          /* a ping outstanding for this long, 0 = none */
    struct peer_stats stats;
    size_t n_sent_per_msg, n_recv_per_msg;
    struct peer_msg_bytes sent_per_msg[PEER_MSG_KINDS], recv_per_msg[PEER_MSG_KINDS];
};

struct peer_table *peer_table_new(struct event_base *base, struct evdns_base *dns,
                                  const struct peer_config *cfg, struct node_queue *queue);
/* Disconnects (reason shutdown) and frees every peer. */
void peer_table_free(struct peer_table *t);
size_t peer_table_count_dir(const struct peer_table *t, bool inbound);
/* The height we announce in our version (the node updates it). */
void peer_table_set_best_height(struct peer_table *t, int32_t height);
/* Disconnect everyone with the given reason (e.g. shutdown). */
void peer_table_disconnect_all(struct peer_table *t, enum peer_reason reason);

/* Start an outbound connection to host:port (host numeric or a name,
 * looked up with evdns; with a proxy configured, every connection goes
 * through it and a name is sent to the proxy, never looked up here;
 * "*.onion" needs the onion proxy). offer_v2: BIP324 first, if enabled.
 * Returns the new peer's id in *id; a connect that fails is reported like
 * any other disconnection. */
enum peer_err peer_connect_host(struct peer_table *t, const char *host, uint16_t port, bool manual,
                                bool offer_v2, uint64_t *id);
/* The same for an address the node already has in binary form (IPv4, IPv6,
 * or Tor v3 through the onion proxy). */
enum peer_err peer_connect_addr(struct peer_table *t, const struct wire_netaddr *addr, bool offer_v2,
                                uint64_t *id);
/* Adopt a connection already open as a bufferevent (the fuzz target's
 * in-memory pair; peer_accept's socket): the peer owns bev from here,
 * whatever is returned but PEER_ERR_NOMEM. Inbound waits for their version;
 * outbound (manual or not) speaks v1 and sends ours at once. sa is the
 * remote's address as the peer will report it. */
struct bufferevent;
enum peer_err peer_adopt(struct peer_table *t, struct bufferevent *bev, bool inbound, bool manual,
                         const struct sockaddr *sa, int salen, uint64_t *id);
/* A private-broadcast connection (pbroadcast.c) to addr, carrying one
 * transaction (copied): outside every connection limit, a version that
 * links to nothing, the transaction announced, served and the connection
 * closed. The node hears only its DISCONNECTED (broadcast_taken). */
struct peer_pb_tx {
    const uint8_t *raw;
    size_t raw_len;
    uint8_t txid[32], wtxid[32];
};
enum peer_err peer_connect_private_broadcast(struct peer_table *t, const struct wire_netaddr *addr,
                                             bool offer_v2, const struct peer_pb_tx *tx,
                                             uint64_t *id);
/* Transactions the node wants to hear of (its own broadcasts, by txid and
 * wtxid): an ordinary peer's inv entry naming one goes to the node as
 * PEER_EV_TX_SEEN; every other transaction announcement is dropped where
 * it is read, with no allocation. */
bool peer_table_watch_tx(struct peer_table *t, const uint8_t hash[32]);
void peer_table_unwatch_tx(struct peer_table *t, const uint8_t hash[32]);
/* Adopt an accepted socket. */
enum peer_err peer_accept(struct peer_table *t, int fd, const struct sockaddr *sa, int salen,
                          uint64_t *id);

/* What the node asks of a connected peer (PEER_ERR_UNKNOWN_ID, or
 * PEER_ERR_NOT_CONNECTED before the handshake is complete). */
enum peer_err peer_request(struct peer_table *t, uint64_t id, const struct node_request *req);
/* Disconnect with a reason of the node's choosing. */
enum peer_err peer_disconnect_id(struct peer_table *t, uint64_t id, enum peer_reason reason);
/* The peer broke a protocol rule (offence: a token for the log). As in
 * Bitcoin Core v28+ there is no score: it is disconnected at once (reason
 * misbehaving; the node then discourages its address), unless it is a
 * manual or a noban peer, which are only logged ("not punishing"). */
enum peer_err peer_misbehaving(struct peer_table *t, uint64_t id, const char *offence);
/* An outbound connection just opened (before its version) becomes
 * block-relay-only: our version says relay=0, addr/addrv2 from it are
 * dropped here, getaddr, addresses or a getdata for a transaction to it
 * are refused, and a tx or a tx inv from it disconnects it (reason
 * block-relay-tx, not punished: Core's RejectIncomingTxs). */
enum peer_err peer_set_block_relay(struct peer_table *t, uint64_t id);
/* --whitelist: the peer is never disconnected for misbehaviour (Core's
 * NoBan permission). */
enum peer_err peer_set_noban(struct peer_table *t, uint64_t id);
enum peer_err peer_get_stats(const struct peer_table *t, uint64_t id, struct peer_stats *out,
                             enum peer_state *state);
enum peer_err peer_get_info(const struct peer_table *t, uint64_t id, struct peer_info *out);
/* Bytes received and sent by every peer since the table was made. */
void peer_table_totals(const struct peer_table *t, uint64_t *in, uint64_t *out);

#endif
