/* The peer struct and the functions the peer's files share. Only src/peer/
 * includes this; everyone else goes through peer.h and peer ids. */
#ifndef BTCPEERD_PEER_INTERNAL_H
#define BTCPEERD_PEER_INTERNAL_H

#include "pbroadcast.h"
#include "peer.h"
#include "peer_metrics.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/idmap.h>
#include <btcpeerd/transport.h>

#include <netinet/in.h>

struct bufferevent;
struct evbuffer;
struct event;
struct net_connect;

/* ---- memory caps: what one peer, and all of them, may make us hold ----
 * Every cap is a named constant with its reason; a test pushes each one
 * (tests/unit/test_peer_table.c, tests/integration/test_hostile.c). The
 * per-peer send limits are peer_config fields (send_soft_limit 5 MB pauses
 * reading, send_hard_limit 16 MB disconnects) since tests lower them. */

/* libevent reads at most this much from a socket into a peer's input
 * buffer before our read callback runs; the callback hands every byte to
 * the transport, so the input buffer never holds more than this. */
#define PEER_RECV_HIGH_WATER (256u * 1024)

/* Bytes held in all peers' transports for messages not yet complete. One
 * peer may hold up to a 4,000,000-byte payload (WIRE_MAX_PAYLOAD); 125
 * peers doing so slowly would be 500 MB. Eight maximum-size messages in
 * flight at once is more than an honest network sends us; past this the
 * peer holding the most partial bytes is dropped (recv-buffer-full). */
#define PEER_RECV_GLOBAL_LIMIT (32u * 1000 * 1000)

/* Bytes queued for sending to all peers. Each peer pauses its own reading
 * at send_soft_limit (5 MB); 125 peers could still owe 625 MB. Past this
 * total, a peer that adds output stops being read until it has taken all
 * we owe it, so a crowd of non-readers costs at most this much. */
#define PEER_SEND_GLOBAL_LIMIT (64u * 1000 * 1000)

/* Events one peer may have waiting in the node queue (and their payload
 * bytes). The node drains 64 events a loop turn while one read of 16 KB can
 * post 250 small messages, so a flooder would grow the queue without bound;
 * at either cap we stop reading that peer until the node has caught up with
 * it (the events are processed, none dropped). 8 MB is two maximum-size
 * messages. */
#define PEER_QUEUE_MAX_EVENTS 1024u
#define PEER_QUEUE_MAX_BYTES (8u * 1000 * 1000)
/* The whole node queue: past either, any peer that posts is paused the same
 * way, so the queue holds at most this plus one event per peer. */
#define NODE_QUEUE_MAX_EVENTS 16384u
#define NODE_QUEUE_MAX_BYTES (64u * 1000 * 1000)

/* Requests in flight to one peer. getheaders: one at a time, as Bitcoin
 * Core (a peer that sends headers that do not connect would otherwise make
 * us ask again for each, and every answer would pass as solicited, outside
 * the rate limit). getdata: Core's MAX_BLOCKS_IN_TRANSIT_PER_PEER. */
#define PEER_MAX_PENDING_HEADERS 1u
#define PEER_MAX_PENDING_GETDATA 16u
/* BIP157 answers owed: a few requests' worth (1,000 cfilters each). */
#define PEER_MAX_PENDING_CF 4000u
/* A getheaders unanswered this long is forgotten (Core: 2 minutes). */
#define PEER_HEADERS_RESPONSE_US (120u * 1000 * 1000)

/* The rate limit's average is taken over at least this many seconds. The
 * seed's rule had no average in a peer's first second, and on loopback
 * 500,000 messages fit in that second unjudged; over a 10-second window an
 * honest peer's opening burst (Core sends about eight messages after
 * verack) passes and a flood is cut after 10 × the limit messages. */
#define PEER_RATE_MIN_WINDOW_S 10u

/* What the remote told us: its version message and the feature messages
 * that follow it. */
struct peer_remote {
    int32_t version;
    uint64_t services;
    int32_t start_height;
    bool relay;
    int64_t time_offset;     /* their clock minus ours, seconds */
    uint8_t user_agent[WIRE_MAX_USER_AGENT];
    size_t user_agent_len;
    bool wants_addrv2, wtxidrelay, wants_headers_announce;
    int64_t feefilter;
    bool cmpct_announce;
    uint64_t cmpct_version;
};

/* Answers we asked for: they do not count against the rate limit. */
struct peer_pending {
    uint32_t headers;
    uint64_t headers_asked_us; /* monotonic: the last getheaders we sent */
    uint32_t getdata;
    bool addr;
    uint32_t cf; /* BIP157 answers owed (cfilter per block, one cfheaders or cfcheckpt) */
};

/* The caps that pause reading (recv.c, send.c). */
struct peer_flow {
    bool reading_paused;     /* output over the soft (or the global) limit */
    bool queue_paused;       /* too many of its events wait in the node queue */
    size_t queued_events;    /* its events in the node queue */
    size_t queued_bytes;     /* their payload bytes */
    size_t recv_held;        /* bytes its transport holds for a partial message */
};

struct peer_ping {
    uint64_t nonce;
    uint64_t sent_us;
    bool outstanding;
};

struct peer {
    uint64_t id;
    struct peer_table *table;
    struct bufferevent *bev;
    struct event *timer; /* one timer: handshake, idle ping or ping timeout; then the drain */
    struct transport *transport; /* NULL until the connection is open (outbound) */
    bool want_v2;             /* outbound: offer BIP324 first */
    enum peer_state state;
    enum peer_reason reason; /* once dead */
    bool inbound, manual;
    bool block_relay;        /* outbound block-relay-only: relay=0, no addresses either way */
    bool noban;              /* --whitelist: misbehaviour is logged, never punished */
    bool forgiven_once;      /* a noban or manual peer's first offence was logged as a warning */

    /* The connection (conn.c; net/connect.c makes it). */
    bool connecting;         /* outbound TCP connect in progress */
    const struct net_proxy *proxy; /* the SOCKS5 proxy this goes through, NULL if direct */
    struct net_connect *conn; /* the outbound connect (and proxy negotiation) under way */
    enum socks5_err proxy_err; /* how the proxy refused, SOCKS5_OK if it did not */
    bool has_target;         /* outbound to a binary address (an onion too): target is it */
    struct wire_netaddr target;
    struct sockaddr_storage addr;
    char addr_str[PEER_ADDR_MAX];

    struct peer_flow flow;

    uint64_t connected_us;   /* monotonic: TCP established / accepted */
    uint64_t handshake_deadline_us;
    uint64_t last_recv_us;
    uint64_t last_send_us;   /* 0 = never */
    uint64_t last_msg_in_us; /* a whole message received; 0 = never */
    uint64_t rx_frame_bytes; /* bytes read since the last whole frame */

    uint64_t local_nonce;    /* in our version; registered while outbound and pre-CONNECTED */
    struct peer_ping ping;
    struct peer_remote remote;
    bool sent_getaddr_to_node, sent_sendheaders;
    struct peer_pending pending;

    struct peer_stats stats;
    /* Bytes on the wire by message type (WIRE_UNKNOWN: any other command),
     * for getpeerinfo: indexed, not named, so each peer carries 2 x 8 bytes
     * a type and a count costs no string compare. */
    uint64_t sent_bytes[WIRE_TYPE_COUNT], recv_bytes[WIRE_TYPE_COUNT];
    struct peer_pb *pb;      /* a private-broadcast connection's state, else NULL */
    struct peer *next_dead;
    bool drained;            /* its last output is out (or given up on): free it */
};

struct peer_table {
    struct event_base *base;
    struct evdns_base *dns;
    const struct peer_config *cfg;
    struct node_queue *queue;
    struct idmap peers;        /* id → struct peer * */
    struct idmap local_nonces; /* nonce → peer id, outbound peers before CONNECTED */
    uint64_t next_id;
    int32_t best_height;
    size_t n_inbound;
    struct peer *dead;         /* freed by the reaper, outside peer callbacks */
    struct event *reaper;
    struct idmap draining;     /* id → dead peer still sending what it owed */
    bool closing;              /* peer_table_free: no drains, no loop turns left */
    size_t recv_total;         /* sum of recv_held */
    size_t send_total;         /* bytes in every peer's output buffer */
    struct buf_writer payload; /* scratch for encoding, reused */
    struct peer_metrics metrics; /* read through peer_table_metrics */
    struct idmap watched_tx;   /* txwatch.c: first 8 bytes of a hash → the 32-byte hash */
};

/* table.c: the table, the one way out, the reaper */
struct peer *peer_lookup(const struct peer_table *t, uint64_t id);
void peer_disconnect(struct peer *p, enum peer_reason reason);
void peer_misbehaved(struct peer *p, const char *offence);
/* send.c's drain is over: free the peer on the reaper's next turn. */
void peer_drained(struct peer *p);

/* recv.c: reading, framing, and the caps that pause reading */
void peer_on_read(struct bufferevent *bev, void *arg);
/* Read from the socket unless a cap says not to (output owed, node queue). */
void peer_update_reading(struct peer *p);
/* Post an event to the node, counted against the peer's share of the queue. */
void peer_post(struct peer *p, struct peer_event *ev);
/* The node queue's pop hook: the node took one of peer id's events. */
void peer_queue_popped(uint64_t id, size_t cost, void *arg);

/* send.c: sending, backpressure, the last drain */
/* What became of a message given to peer_send. */
enum peer_send_result {
    PEER_SENT = 0,        /* queued on the connection */
    PEER_SEND_DROPPED,    /* could not be encoded or framed (our bug or our memory, logged):
                           * this one message is lost, the peer is fine */
    PEER_SEND_PEER_GONE,  /* the peer is dead: it died sending (backpressure, a socket error),
                           * or was already */
};
/* Encode and queue one message. */
enum peer_send_result peer_send(struct peer *p, const struct wire_msg *msg);
enum peer_send_result peer_send_empty(struct peer *p, enum wire_type type);
void peer_on_write(struct bufferevent *bev, void *arg);
/* Count the bytes owed to the peer in the table's total while its
 * bufferevent lives. */
void peer_output_attach(struct peer *p);
void peer_output_detach(struct peer *p);
/* A dead peer that still owes output: drain it (peer_drained when done)
 * and return true; false if it is to be freed at once. */
bool peer_drain_begin(struct peer *p);

/* ptransport.c */
/* Give the peer its transport (BIP324 offered or not) and send what it has
 * ready; false if that failed (the caller disconnects). */
bool peer_transport_start(struct peer *p, bool offer_v2);
/* Move the bytes the transport has ready into the bufferevent (counted as
 * sent); false if the bufferevent refused them. */
bool peer_transport_flush(struct peer *p);
/* Outbound: send our version once the transport can carry it. */
void peer_transport_maybe_send_version(struct peer *p);
void peer_transport_free(struct peer *p);
const char *peer_transport_name(const struct peer *p);
void peer_transport_session_hex(const struct peer *p, char out[65]);
/* Would a v1 connection to this peer's address be worth a try, given why
 * it was dropped (Core's ShouldReconnectV1)? */
bool peer_transport_v1_retry_worth(const struct peer *p, enum peer_reason reason);

/* peer_metrics.c: counting where things happen (no allocation). */
void peer_metrics_msg_in(struct peer *p, enum wire_type type, size_t framed_len);
void peer_metrics_msg_out(struct peer *p, enum wire_type type, size_t framed_len);
void peer_metrics_disconnect(struct peer *p, enum peer_reason reason);
void peer_metrics_handshake_done(struct peer *p);
void peer_metrics_ping(struct peer *p, uint64_t rtt_us);

/* info.c: the netaddr of a peer for the node: the target, else the socket's. */
void peer_netaddr(const struct peer *p, struct wire_netaddr *out);

/* handshake.c */
enum peer_send_result peer_send_version(struct peer *p);
/* Their clock minus ours, from the version's timestamp: the timestamp
 * clamped to [0, 2^32 - 1] first (time_bounded), so any value off the wire
 * gives a defined, bounded offset. Pure (tests/unit/test_time_offsets.c). */
int64_t peer_time_offset(int64_t their_time, int64_t now);
/* Messages before CONNECTED; the message is consumed (freed or moved). */
void peer_handshake_message(struct peer *p, struct wire_msg *msg);

/* handlers.c: messages in CONNECTED. */
void peer_connected_message(struct peer *p, struct wire_msg *msg);
/* Does this message answer one of our requests (and so not count toward
 * the rate limit)? Updates what is still pending. */
bool peer_is_solicited(struct peer *p, const struct wire_msg *msg);

/* conn.c: peer_connect_addr with fresh proxy credentials when isolate. */
enum peer_err peer_connect_addr_isolated(struct peer_table *t, const struct wire_netaddr *addr,
                                         bool offer_v2, bool isolate, uint64_t *id);

/* txwatch.c */
bool peer_tx_watched(const struct peer_table *t, const uint8_t hash[32]);
void peer_txwatch_free(struct peer_table *t);

/* timers.c */
bool peer_timer_init(struct peer *p);
void peer_timer_schedule(struct peer *p);
/* Send a ping with a fresh nonce and arm the ping timeout. */
void peer_ping_now(struct peer *p);
/* Rate check after a counted message; false if it disconnected. */
bool peer_rate_check(struct peer *p);

#endif
