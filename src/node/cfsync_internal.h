/* State shared by cfsync.c (peers, checkpoints, the filter header chain)
 * and cfjudge.c (a disagreement settled by a block). One request at a time
 * per filter peer, each with a deadline: a peer that misses it is
 * abandoned for that request (its late answer is dropped, not punished)
 * and gets a strike; three strikes disconnect it as a stalled peer. */
#ifndef BTCPEERD_CFSYNC_INTERNAL_H
#define BTCPEERD_CFSYNC_INTERNAL_H

#include "cfstore.h"
#include "cfsync.h"

#include <btcpeerd/idmap.h>

#define CF_MAX_STRIKES 3u

enum cf_ask { CF_ASK_NONE = 0, CF_ASK_CKPT, CF_ASK_HEADERS, CF_ASK_FILTERS };

struct cf_peer {
    uint64_t id;
    uint8_t (*ckpt)[32]; /* its filter headers at heights 1000, 2000, ... */
    size_t n_ckpt;
    bool have_ckpt;
    enum cf_ask ask;     /* what it owes us */
    bool abandoned;      /* the request timed out: its answer is dropped */
    int32_t ask_start, ask_stop; /* heights asked (filters: the next one due) */
    uint8_t ask_stop_hash[32];
    uint64_t deadline_ms;
    unsigned strikes;
    bool disputed;       /* a disagreement with it could not be settled: not trusted */
    bool convicted;      /* proven a liar: disconnected, its answers ignored */
};

/* Two peers disagree about the filter header at height top and agree on
 * the one at base (-1: the zero header before genesis). */
struct cf_dispute {
    bool active;
    uint64_t a, b;              /* a: the sync source; b: whose checkpoint disagrees */
    int32_t base, top;
    uint8_t (*hashes[2])[32];   /* filter hashes base+1 .. top, from a and b */
    int32_t at;                 /* first height they differ at; -1 until known */
    uint8_t *filter[2];
    size_t filter_len[2];
    bool have_filter[2];
    struct wire_block block;    /* owned copy, once have_block */
    bool have_block, block_asked;
    bool asked;                 /* the two cfheaders requests are out */
    uint64_t block_from;        /* whom the block was asked of */
    uint64_t block_deadline_ms; /* then the other is asked; then no one */
    bool block_retried;
};

struct cfsync {
    struct cfstore *store;
    struct idmap peers;         /* id → struct cf_peer */
    uint64_t source;            /* the peer the next batch comes from */
    uint8_t tip_hash[32];       /* block at height count-1 when last checked */
    struct event *timer;
    struct cf_dispute dispute;
    struct cf_fetch *fetch;     /* cffetch.c */
    uint64_t started_ms;
    int32_t start_height;
    bool caught_up_logged;
};

/* cfsync.c */
struct cf_peer *cf_peer_get(const struct node *n, uint64_t id);
/* Ask p for something; false if the peer layer refused. */
bool cf_request(struct node *n, struct cf_peer *p, enum wire_type type, int32_t start,
                int32_t stop);
/* Disconnect for a broken rule (protocol-violation) or a proven lie
 * (bad-filters); logged with what it did. */
void cf_drop(struct node *n, struct cf_peer *p, enum peer_reason reason, const char *what);
/* Check a cfheaders answer's shape against what p was asked; NULL or why
 * it is wrong. */
const char *cf_headers_shape(const struct node *n, const struct cf_peer *p,
                             const struct wire_cfheaders *m);
void cf_advance(struct node *n);

/* cfjudge.c */
void cf_dispute_start(struct node *n, struct cf_peer *a, struct cf_peer *b, int32_t base, int32_t top);
void cf_dispute_poke(struct node *n);
/* A block not delivered in time is asked of the other party, then given up. */
void cf_dispute_tick(struct node *n, uint64_t now_ms);
void cf_dispute_headers(struct node *n, struct cf_peer *p, const struct wire_cfheaders *m);
void cf_dispute_filter(struct node *n, struct cf_peer *p, const struct wire_cfilter *m);
/* The dispute's block arrived (checked against the chain). */
void cf_dispute_block(struct node *n, const struct wire_block *b);
/* A party is gone, slow or convicted: end the dispute without it. */
void cf_dispute_drop_party(struct node *n, uint64_t id);
void cf_dispute_end(struct node *n);

/* cffetch.c */
bool cf_fetch_new(struct node *n);
void cf_fetch_free(struct node *n);
/* A filter for height h from p, who was asked for it (block hash checked). */
void cf_fetch_filter(struct node *n, struct cf_peer *p, int32_t h, const struct wire_cfilter *m);
/* p is slow, gone or no longer trusted: its windows go elsewhere. */
void cf_fetch_peer_lost(struct node *n, uint64_t id);
/* A peer may have become idle: windows waiting for one are asked. */
void cf_fetch_poke(struct node *n);

#endif
