/* The peer struct and the functions the peer's files share. Only src/peer/
 * includes this; everyone else goes through peer.h and peer ids. */
#ifndef BTCPEERD_PEER_INTERNAL_H
#define BTCPEERD_PEER_INTERNAL_H

#include "peer.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/idmap.h>
#include <btcpeerd/transport_v2.h>

#include <netinet/in.h>

struct bufferevent;
struct event;

struct peer {
    uint64_t id;
    struct peer_table *table;
    struct bufferevent *bev;
    struct event *timer; /* one timer: handshake, idle ping or ping timeout */
    struct transport_v1 transport;
    struct transport_v2 *v2;  /* set when the peer speaks BIP324 */
    bool want_v2;             /* outbound: try v2 first */
    bool v2_keys;             /* v2 keys derived: messages may be sent */
    bool v1_reply;            /* outbound v2: the answer was v1 */
    bool detecting;           /* inbound: first bytes not yet classified */
    uint8_t detect[16];
    uint8_t detect_have;
    enum peer_state state;
    enum peer_reason reason; /* once dead */
    bool inbound, manual;
    bool connecting;         /* outbound TCP connect in progress */
    bool reading_paused;     /* output over the soft limit */

    struct sockaddr_storage addr;
    char addr_str[64];

    uint64_t connected_us;   /* monotonic: TCP established / accepted */
    uint64_t handshake_deadline_us;
    uint64_t last_recv_us;
    uint64_t last_send_us;   /* 0 = never */
    uint64_t last_msg_in_us; /* a whole message received; 0 = never */
    uint64_t rx_frame_bytes; /* bytes read since the last whole frame */

    uint64_t local_nonce;    /* in our version; registered while outbound and pre-CONNECTED */
    uint64_t ping_nonce;
    uint64_t ping_sent_us;
    bool ping_outstanding;

    /* What the remote told us. */
    int32_t their_version;
    uint64_t their_services;
    int32_t their_start_height;
    bool their_relay;
    int64_t time_offset;     /* their clock minus ours, seconds */
    uint8_t user_agent[WIRE_MAX_USER_AGENT];
    size_t user_agent_len;
    bool wants_addrv2, wtxidrelay, wants_headers_announce, sent_getaddr_to_node;
    bool sent_sendheaders;
    int64_t feefilter;
    bool cmpct_announce;
    uint64_t cmpct_version;

    /* Answers we asked for: they do not count against the rate limit. */
    uint32_t pending_headers;
    uint32_t pending_getdata;
    bool pending_addr;

    struct peer_stats stats;
    size_t n_sent_per_msg, n_recv_per_msg;
    struct peer_msg_bytes sent_per_msg[PEER_MSG_KINDS], recv_per_msg[PEER_MSG_KINDS];
    struct peer *next_dead;
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
    uint64_t total_in, total_out; /* bytes, every peer since start */
    struct peer *dead;         /* freed by the reaper, outside peer callbacks */
    struct event *reaper;
    struct buf_writer payload; /* scratch for encoding, reused */
    struct buf_writer frame;
};

/* peer.c */
void peer_disconnect(struct peer *p, enum peer_reason reason);
/* Encode and queue one message; false if the peer died doing so. */
bool peer_send(struct peer *p, const struct wire_msg *msg);
bool peer_send_empty(struct peer *p, enum wire_type type);
void peer_post(struct peer *p, struct peer_event *ev);
void peer_add_misbehavior(struct peer *p, unsigned score, const char *offence);
struct peer *peer_lookup(const struct peer_table *t, uint64_t id);

/* ptransport.c: v1 or v2, chosen per peer */
bool peer_transport_start_outbound(struct peer *p);
int peer_transport_read(struct peer *p, const uint8_t *in, size_t len, size_t *consumed,
                        struct transport_frame *frame);
int peer_transport_feed(struct peer *p, const uint8_t *in, size_t len, size_t *consumed,
                        struct transport_frame *frame);
int peer_transport_write(struct peer *p, const char *command, const uint8_t *payload, size_t len,
                         struct buf_writer *out);
void peer_transport_free(struct peer *p);
const char *peer_transport_name(const struct peer *p);
void peer_transport_session_hex(const struct peer *p, char out[65]);

/* handshake.c */
bool peer_send_version(struct peer *p);
/* Messages before CONNECTED; the message is consumed (freed or moved). */
void peer_handshake_message(struct peer *p, struct wire_msg *msg);

/* handlers.c: messages in CONNECTED. */
void peer_connected_message(struct peer *p, struct wire_msg *msg);
/* Does this message answer one of our requests (and so not count toward
 * the rate limit)? Updates what is still pending. */
bool peer_is_solicited(struct peer *p, const struct wire_msg *msg);

/* timers.c */
bool peer_timer_init(struct peer *p);
void peer_timer_schedule(struct peer *p);
/* Send a ping with a fresh nonce and arm the ping timeout. */
void peer_ping_now(struct peer *p);
/* Rate check after a counted message; false if it disconnected. */
bool peer_rate_check(struct peer *p);

#endif
