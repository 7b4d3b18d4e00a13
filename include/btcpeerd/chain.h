/* The validated header chain, in memory: every header ever accepted (a
 * tree rooted at genesis), the most-work branch as an array by height, and
 * the checks a header must pass to join (Core's CheckBlockHeader and
 * ContextualCheckBlockHeader, without checkpoints or minimum chain work).
 *
 * Pure: no disk, no network, no clock (the caller passes `now`). Entries
 * never move or go away while the chain lives, so pointers to them stay
 * valid until chain_free. Not thread-safe. */
#ifndef BTCPEERD_CHAIN_H
#define BTCPEERD_CHAIN_H

#include <btcpeerd/netparams.h>
#include <btcpeerd/pow.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's MAX_FUTURE_BLOCK_TIME and BIP94's MAX_TIMEWARP, in seconds. */
#define CHAIN_MAX_FUTURE_TIME 7200
#define CHAIN_MAX_TIMEWARP 600
/* Headers whose times make the median time past. */
#define CHAIN_MTP_SPAN 11

struct chain_entry {
    uint8_t hash[32];                 /* internal byte order */
    struct u256 work;                 /* cumulative: genesis through this header */
    const struct chain_entry *parent; /* NULL for genesis */
    int32_t height;
    int32_t version;
    uint32_t time;
    uint32_t bits;
};

enum chain_err {
    CHAIN_OK = 0,               /* accepted: a new entry */
    CHAIN_DUPLICATE,            /* already known; not an error, nothing changed */
    CHAIN_ERR_UNKNOWN_PARENT,   /* prev hash is not a known header: does not connect */
    CHAIN_ERR_BAD_BITS_ENCODING,/* nBits negative, overflowing, zero or above the pow limit */
    CHAIN_ERR_BAD_POW,          /* hash above the nBits target */
    CHAIN_ERR_BAD_BITS,         /* nBits is not what the network requires here */
    CHAIN_ERR_TIME_TOO_OLD,     /* time <= median of the previous 11 */
    CHAIN_ERR_TIMEWARP,         /* BIP94: a period's first header > 600 s before its parent */
    CHAIN_ERR_TIME_TOO_NEW,     /* time > now + 2 h; may become valid later */
    CHAIN_ERR_BAD_VERSION,      /* version below 2/3/4 past the BIP34/66/65 height */
    CHAIN_ERR_NOMEM,
};
const char *chain_err_str(enum chain_err err);

struct chain;

/* A chain holding only np's genesis; NULL when memory runs out. np must
 * outlive the chain (tests may pass a modified copy). */
struct chain *chain_new(const struct netparams *np);
void chain_free(struct chain *c);

/* Validate h against its parent and add it. On CHAIN_OK and CHAIN_DUPLICATE
 * *entry (if entry is not NULL) is the header's entry; otherwise NULL. A
 * header with more work than the tip becomes the tip (a reorg of any depth
 * if it is on another branch); at equal work the first seen stays. */
enum chain_err chain_add_header(struct chain *c, const struct wire_header *h, int64_t now,
                                const struct chain_entry **entry);
/* The same from the header's 80 wire bytes, hashed as they are. Prefer it
 * where the bytes exist (headers.dat, a batch serialized in one pass): a
 * header serialized just before hashing stalls the hash's loads on the
 * stores still in flight, a fifth of validation time (bench_chain). */
enum chain_err chain_add_raw(struct chain *c, const uint8_t raw[80], int64_t now,
                             const struct chain_entry **entry);

/* A hint that about `headers` headers are coming (a headers.dat's size, a
 * sync peer's start height): the index is sized once instead of doubling
 * its way there, rehashing as it goes. Capped at CHAIN_RESERVE_MAX (above
 * mainnet's height for years, and what mainnet's table needs anyway), so a
 * peer claiming a huge height costs no more than mainnet would; false if
 * memory ran out (the chain is unchanged and still works). */
#define CHAIN_RESERVE_MAX ((size_t)1500000)
bool chain_reserve(struct chain *c, size_t headers);

const struct netparams *chain_params(const struct chain *c);
const struct chain_entry *chain_tip(const struct chain *c);
int32_t chain_height(const struct chain *c);
/* The active chain's entry at height h; NULL past the tip or below 0. */
const struct chain_entry *chain_at_height(const struct chain *c, int32_t h);
/* Any known header, on the active chain or not; NULL if unknown. */
const struct chain_entry *chain_lookup(const struct chain *c, const uint8_t hash[32]);
/* Whether e is on the active chain. */
bool chain_contains(const struct chain *c, const struct chain_entry *e);
/* e's ancestor at height h (e itself at its own height); NULL if h is out of
 * [0, e->height]. */
const struct chain_entry *chain_ancestor(const struct chain *c, const struct chain_entry *e,
                                         int32_t h);
/* Median time of e and up to ten of its ancestors. */
uint32_t chain_median_time_past(const struct chain_entry *e);
/* The order in which e was accepted: genesis 0, then 1, 2, ... (headers.dat
 * keeps headers in this order). */
uint32_t chain_entry_seq(const struct chain *c, const struct chain_entry *e);
/* Headers known, all branches. */
size_t chain_count(const struct chain *c);
/* The entry accepted seq-th (0 = genesis), NULL past chain_count: every
 * branch, for getchaintips. */
const struct chain_entry *chain_entry_by_seq(const struct chain *c, size_t seq);
/* Bytes of heap the index holds (entries, hash table, active array). */
size_t chain_memory(const struct chain *c);

/* A block locator from e (Core's LocatorEntries): e and its eleven
 * parents, then steps back that double each time, genesis always last. Writes at most cap hashes
 * (WIRE_MAX_LOCATOR is always enough) and returns how many. */
size_t chain_locator_from(const struct chain *c, const struct chain_entry *e, uint8_t (*out)[32],
                          size_t cap);
/* The locator of the active tip. */
size_t chain_locator(const struct chain *c, uint8_t (*out)[32], size_t cap);

#endif
