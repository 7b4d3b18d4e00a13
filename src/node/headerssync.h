/* Headers presync (Bitcoin Core's HeadersSyncState, our own code): a
 * peer's chain that does not yet show enough work is downloaded twice
 * without being stored. PRESYNC checks each header's proof of work,
 * continuity and difficulty transition, adds up its work and keeps one
 * salted bit per HSYNC_COMMITMENT_PERIOD headers; once the work reaches
 * the minimum, REDOWNLOAD asks for the same chain again from the start,
 * checks every header against those bits, and releases headers to the
 * chain only once HSYNC_REDOWNLOAD_BUFFER headers above them have passed
 * (or the whole chain's work is proven).
 *
 * Pure: no network, no clock (the caller passes `now`), no globals. The
 * caller (presync.c) decides when to start one and what to do with the
 * headers released.
 *
 * Memory, per object: the struct and its SipHash key context (constant, a
 * few hundred bytes), one bit per commitment period up to
 * hsync_max_commitments (6 headers a second since the start's median time
 * past, Core's bound), and in REDOWNLOAD a ring of
 * HSYNC_REDOWNLOAD_BUFFER + WIRE_MAX_HEADERS headers of 48 bytes
 * (807,696 bytes). docs/WIRE.md ("Headers") works the figures out:
 * 1,487,571 bytes at most per peer on mainnet in December 2026. */
#ifndef BTCPEERD_HEADERSSYNC_H
#define BTCPEERD_HEADERSSYNC_H

#include <btcpeerd/netparams.h>
#include <btcpeerd/pow.h>
#include <btcpeerd/siphash.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core v29's constants (headerssync.cpp), the same on every network. */
#define HSYNC_COMMITMENT_PERIOD 624u
#define HSYNC_REDOWNLOAD_BUFFER 14827u
/* A header without its parent hash: version, merkle root, time, bits, nonce. */
#define HSYNC_COMPRESSED_SIZE 48u
/* The ring's entries: the buffer plus one full message on top of it. */
#define HSYNC_RING_LEN (HSYNC_REDOWNLOAD_BUFFER + WIRE_MAX_HEADERS)

enum hsync_state { HSYNC_PRESYNC = 0, HSYNC_REDOWNLOAD, HSYNC_FINAL };
const char *hsync_state_str(enum hsync_state s);

enum hsync_err {
    HSYNC_OK = 0,
    HSYNC_ERR_BAD_POW,            /* a hash above its own nBits' target (or bad nBits) */
    HSYNC_ERR_UNCHAINED,          /* a header in the message not built on the one before */
    HSYNC_ERR_NON_CONTINUOUS,     /* does not build on the last header received */
    HSYNC_ERR_BAD_DIFFICULTY,     /* a difficulty transition the network forbids */
    HSYNC_ERR_TOO_MANY_COMMITMENTS, /* longer than any chain could be by now */
    HSYNC_ERR_COMMITMENT_OVERRUN, /* redownloaded chain longer than the presynced one */
    HSYNC_ERR_COMMITMENT_MISMATCH,/* redownloaded chain is not the presynced one */
    HSYNC_ERR_TOO_MANY_HEADERS,   /* more than WIRE_MAX_HEADERS in one message */
    HSYNC_ERR_FINISHED,           /* fed after it ended */
    HSYNC_ERR_NOMEM,
};
const char *hsync_err_str(enum hsync_err err);

/* How a sync ended (HSYNC_FINAL), or HSYNC_RUNNING. */
enum hsync_end {
    HSYNC_RUNNING = 0,
    HSYNC_END_LOW_WORK,  /* PRESYNC met a short message: the chain ends below the minimum */
    HSYNC_END_COMPLETE,  /* REDOWNLOAD reached the minimum: everything released */
    HSYNC_END_DECLINED,  /* REDOWNLOAD met a short message below the minimum */
    HSYNC_END_FAILED,    /* an error (hsync_err says which) */
};
const char *hsync_end_str(enum hsync_end end);

/* The known header the peer's chain forks from. */
struct hsync_start {
    uint8_t hash[32];
    int32_t height;
    struct u256 work; /* cumulative, through this header */
    uint32_t bits;
    uint32_t mtp;     /* its median time past */
};

struct hsync;

/* Commitments one object may keep: 6 headers a second (the most the
 * median-time-past rule allows) from the start's median time past to now
 * plus two hours, one per period. Core's m_max_commitments. */
uint64_t hsync_max_commitments(uint32_t start_mtp, int64_t now);

/* A sync from start needing min_work. salt keys the commitment hash;
 * commit_offset (< HSYNC_COMMITMENT_PERIOD) picks which height of each
 * period is committed to. Both random in the daemon, chosen in tests.
 * NULL when memory or SipHash is missing. */
struct hsync *hsync_new(const struct netparams *np, const struct hsync_start *start,
                        const struct u256 *min_work, int64_t now,
                        const uint8_t salt[SIPHASH_KEY_LEN], uint32_t commit_offset);
void hsync_free(struct hsync *h);

/* The next message of headers (count <= WIRE_MAX_HEADERS, at least one);
 * full: it held WIRE_MAX_HEADERS, so the peer may have more. On return
 * *request_more says to ask for more (with hsync_locator_head first in
 * the locator). Afterwards pop what is ready with hsync_pop before the
 * next feed. An error ends the sync (HSYNC_END_FAILED). */
enum hsync_err hsync_feed(struct hsync *h, const struct wire_header *hdrs, size_t count, bool full,
                          bool *request_more);

/* Headers ready for the chain, oldest first, at most max; 0 when none.
 * Only in REDOWNLOAD (or right after it completed), never after a failure. */
size_t hsync_pop(struct hsync *h, struct wire_header *out, size_t max);

/* The hash a getheaders locator starts with: the last header received in
 * PRESYNC, the last one buffered in REDOWNLOAD. The start's own locator
 * follows it. */
const uint8_t *hsync_locator_head(const struct hsync *h);

enum hsync_state hsync_state(const struct hsync *h);
enum hsync_end hsync_end(const struct hsync *h);
enum hsync_err hsync_error(const struct hsync *h);
const struct hsync_start *hsync_start_of(const struct hsync *h);
/* PRESYNC: height and work reached, and the last header's time. */
int32_t hsync_presync_height(const struct hsync *h);
const struct u256 *hsync_presync_work(const struct hsync *h);
uint32_t hsync_presync_time(const struct hsync *h);
/* REDOWNLOAD: the height buffered so far. */
int32_t hsync_redownload_height(const struct hsync *h);
size_t hsync_commitments(const struct hsync *h);
uint64_t hsync_commitment_limit(const struct hsync *h);
/* Heap bytes held now (commitments and ring), without the struct. */
size_t hsync_memory(const struct hsync *h);

#endif
