/* The transactions the operator gave us to broadcast (sendrawtransaction),
 * kept until they are seen back on the network, given up or abandoned.
 * The set owns each transaction's bytes. Lookups by txid (RPC) and by
 * wtxid (an announcement from an ordinary peer) scan the list: it holds a
 * handful of entries, and at most BROADCAST_MAX of them. */
#ifndef BTCPEERD_BROADCAST_H
#define BTCPEERD_BROADCAST_H

#include "view.h"

#include <btcpeerd/netaddr.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pending or finished broadcasts kept at once; a submission beyond it is
 * refused (finished ones are dropped first, oldest first). */
#define BROADCAST_MAX 1000u

/* Private-broadcast peers that must take each transaction, in distinct
 * network groups (the "at least 3"). */
#define BROADCAST_PEERS 3u
/* Attempts remembered per transaction (the oldest failed ones give way). */
#define BROADCAST_MAX_ATTEMPTS 32u

/* One private-broadcast connection made for a transaction. */
struct broadcast_attempt {
    uint64_t peer_id;
    int64_t time;                /* unix seconds */
    struct wire_netaddr addr;
    uint8_t group[NETADDR_GROUP_MAX];
    size_t group_len;
    bool done;                   /* the connection is over */
    bool taken;                  /* the peer asked for the tx and got it */
    uint32_t round;              /* the round it belongs to (broadcast.round) */
};

struct broadcast {
    uint8_t txid[32], wtxid[32]; /* internal byte order */
    uint8_t *raw;                /* owned; NULL once finished (not needed any more) */
    size_t raw_len;
    enum node_broadcast_state state;
    int64_t submitted;           /* unix seconds */
    uint64_t submitted_ms;       /* monotonic, for the expiry */
    int64_t finished;            /* propagated or abandoned at, 0 while pending */
    struct broadcast_attempt attempts[BROADCAST_MAX_ATTEMPTS];
    size_t n_attempts;
    uint64_t total_attempts;     /* ever made, including those no longer listed */
    bool no_peers_logged;        /* "no address to send it to" said once per shortage */
    /* Rounds: BROADCAST_PEERS peers take it; if it is not seen back by the
     * round's end, a new round with fresh peers, each round twice as
     * long as the one before. */
    uint32_t round;
    uint64_t round_ends_ms;      /* monotonic; 0 until the round's peers took it */
    uint64_t round_len_ms;
    uint64_t last_getdata_ms;    /* monotonic: ordinary peers last asked for it */
    /* Seen back: who and when. */
    char seen_by[NODE_ADDR_MAX];
    uint64_t seen_peer;
    int64_t seen_at;
    const char *seen_how;        /* "announced" or "served" */
    struct broadcast *next;
};

struct broadcast_set {
    struct broadcast *head; /* newest first */
    size_t count;
};

void broadcast_set_init(struct broadcast_set *s);
void broadcast_set_free(struct broadcast_set *s);
struct broadcast *broadcast_find_txid(const struct broadcast_set *s, const uint8_t txid[32]);
struct broadcast *broadcast_find_wtxid(const struct broadcast_set *s, const uint8_t wtxid[32]);
/* Takes raw (freed on failure too). NODE_ERR_FULL when BROADCAST_MAX are
 * pending. */
/* Connections under way, and peers that took it in the current round. */
size_t broadcast_inflight(const struct broadcast *b);
size_t broadcast_taken(const struct broadcast *b);
/* A slot for a new attempt (an old finished, untaken one gives way);
 * NULL when every slot holds one that is live or took it. */
struct broadcast_attempt *broadcast_new_attempt(struct broadcast *b);
struct broadcast_attempt *broadcast_attempt_by_peer(struct broadcast *b, uint64_t peer_id);
enum node_err broadcast_add(struct broadcast_set *s, uint8_t *raw, size_t raw_len,
                            const uint8_t txid[32], const uint8_t wtxid[32], int64_t now,
                            struct broadcast **out);

#endif
