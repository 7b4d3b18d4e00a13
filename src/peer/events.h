/* The interface between peers and the node, both ways: what peers tell
 * the node (peer_event, through the node queue) and what the node asks of
 * a peer (node_request, through peer_request by id). Peers push events;
 * the node drains them from one event on the same base, a bounded batch
 * per turn (queue.c). Events carry the peer's id, never a pointer: a peer
 * may be gone by the time its events are read. */
#ifndef BTCPEERD_PEER_EVENTS_H
#define BTCPEERD_PEER_EVENTS_H

#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum peer_event_type {
    PEER_EV_READY = 0,    /* handshake complete: info holds the peer's version */
    PEER_EV_DISCONNECTED, /* disconnected: reason token, address */
    PEER_EV_HEADERS,      /* msg: headers */
    PEER_EV_BLOCK,        /* msg: block */
    PEER_EV_NEW_BLOCK,    /* msg: inv with only the block entries */
    PEER_EV_ADDR,         /* msg: addr or addrv2 */
    PEER_EV_GETADDR,      /* no payload */
    PEER_EV_GETHEADERS,   /* msg: getheaders */
    PEER_EV_NOT_FOUND,    /* msg: notfound */
    PEER_EV_TX,           /* msg: tx */
    PEER_EV_CF_ANSWER,    /* msg: cfilter, cfheaders or cfcheckpt (BIP157) */
    PEER_EV_TX_SEEN,      /* msg: inv with only the entries naming a watched transaction */
};

const char *peer_event_type_str(enum peer_event_type type);

/* A peer's address as logged: "[ipv6]:port", or a host name (up to 255
 * bytes, an onion name among them) and its port. */
#define PEER_ADDR_MAX 272

/* What the node learns of a peer at READY (a snapshot: the node keeps its
 * own copy, the peer may die at any time after). */
struct peer_ready_info {
    bool inbound;
    bool manual;
    int32_t version;
    uint64_t services;
    int32_t start_height;
    bool relay;
    int64_t time_offset;      /* their clock minus ours, s (bounded: peer_time_offset) */
    char addr[PEER_ADDR_MAX]; /* "ip:port", "[ipv6]:port", "name:port" */
    struct wire_netaddr netaddr;
    char user_agent[WIRE_MAX_USER_AGENT + 1]; /* sanitized */
    const char *transport;    /* "v1" or "v2" (static) */
};

struct peer_disconnected_info {
    const char *reason;   /* static token */
    struct wire_netaddr netaddr;
    bool inbound;
    bool was_connected;   /* the handshake had completed */
    bool v2_no_answer;    /* outbound v2: closed before sending a byte (try v1) */
    bool broadcast_taken; /* private broadcast: the peer asked for the tx and it was sent */
};

struct peer_event {
    struct peer_event *next;
    enum peer_event_type type;
    uint64_t peer_id;
    size_t cost;          /* bytes it holds, set when queued (node_queue_bytes) */
    union {
        struct wire_msg msg;              /* owned by the event */
        struct peer_ready_info ready;
        struct peer_disconnected_info disconnected;
    } u;
};

/* What the node may ask of a connected peer. */
enum node_request_type {
    NODE_REQ_GET_HEADERS = 0, /* locator */
    NODE_REQ_GET_BLOCK,       /* hash */
    NODE_REQ_GET_ADDR,
    NODE_REQ_SEND_ADDR,       /* addrs (sent as addrv2 if the peer asked for it) */
    NODE_REQ_SEND_HEADERS,    /* headers */
    NODE_REQ_PING,
    NODE_REQ_SHUTDOWN,        /* disconnect, reason "requested" */
    NODE_REQ_ANNOUNCE,        /* headers: new tip; sent as headers (after sendheaders) or inv */
    NODE_REQ_GET_CF,          /* cf: getcfilters, getcfheaders or getcfcheckpt (BIP157) */
    NODE_REQ_GET_TX,          /* hash: a wtxid, asked for with getdata MSG_WTX */
};

/* A BIP157 request: msg is WIRE_GETCFILTERS (answers: one cfilter per
 * block of the range), WIRE_GETCFHEADERS or WIRE_GETCFCHECKPT (one
 * answer). answers: how many messages answer it, counted by the peer as
 * solicited; the node, which knows the heights, says. */
struct node_cf_request {
    struct wire_msg msg;
    uint32_t answers;
};

struct node_request {
    enum node_request_type type;
    union {
        const struct wire_locator *locator;
        uint8_t hash[32];
        const struct wire_addr *addrs;
        const struct wire_headers *headers;
        const struct node_cf_request *cf;
    } u;
};

/* A FIFO with a wake-up: pushing makes the drain event active. */
struct node_queue;

typedef void (*node_queue_drain_fn)(struct peer_event *ev, void *arg);

/* batch: at most this many events per loop turn, so peers keep being read
 * while the node has a backlog. */
struct node_queue *node_queue_new(struct event_base *base, size_t batch,
                                  node_queue_drain_fn fn, void *arg);
/* Free the queue and every event still in it. */
void node_queue_free(struct node_queue *q);
/* Takes ownership of ev (allocated with peer_event_new). */
void node_queue_push(struct node_queue *q, struct peer_event *ev);
size_t node_queue_len(const struct node_queue *q);
/* The bytes the queued events hold (the event and its message's arrays). */
size_t node_queue_bytes(const struct node_queue *q);
/* Called with each event's peer id and cost as the node takes it off the
 * queue, before the node sees it: the peer layer's count of what each peer
 * has waiting (its caps pause a peer's reading, never drop an event). */
typedef void (*node_queue_pop_fn)(uint64_t peer_id, size_t cost, void *arg);
void node_queue_set_pop_hook(struct node_queue *q, node_queue_pop_fn fn, void *arg);

struct peer_event *peer_event_new(enum peer_event_type type, uint64_t peer_id);
/* Frees the payload too (the node calls it after handling, unless it took
 * the message's arrays, in which case it zeroes msg first). */
void peer_event_free(struct peer_event *ev);

#endif
