/* BIP158 basic block filters and BIP157 filter headers.
 *
 * The basic filter (type 0) of a block is the GCS (P = 19, M = 784,931,
 * keyed by the block hash) of the set of: every output script of the
 * block except empty ones and those starting with OP_RETURN (0x6a), and
 * every script the block's non-coinbase inputs spend, except empty ones.
 * The spent scripts come from the caller: btcpeerd keeps no UTXO set.
 *
 * The other direction needs no spent scripts: every kept output script of
 * a block must match its filter, so a filter that misses one (or claims
 * fewer elements than the block has distinct output scripts) is provably
 * wrong, whoever served it.
 *
 * Filter header = SHA256d(SHA256d(filter) || previous filter header), the
 * hashes in internal byte order (shown reversed, like block hashes); the
 * genesis block's previous header is 32 zero bytes. Pure. */
#ifndef BTCPEERD_BLOCKFILTER_H
#define BTCPEERD_BLOCKFILTER_H

#include <btcpeerd/buf.h>
#include <btcpeerd/gcs.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCKFILTER_BASIC 0u /* the filter type byte of BIP157 messages */
#define BLOCKFILTER_OP_RETURN 0x6au

enum blockfilter_err {
    BLOCKFILTER_OK = 0,
    BLOCKFILTER_ERR_PREVOUT_COUNT,  /* spent scripts given != the block's non-coinbase inputs */
    BLOCKFILTER_ERR_BAD_BLOCK,      /* a transaction's outputs could not be walked */
    BLOCKFILTER_ERR_MALFORMED,      /* the filter does not decode (detail: gcs) */
    BLOCKFILTER_ERR_MISSING_OUTPUT, /* an output script the filter does not match */
    BLOCKFILTER_ERR_TOO_FEW,        /* N below the block's distinct output scripts */
    BLOCKFILTER_ERR_GCS,            /* building or hashing failed on our side (detail: gcs) */
};

const char *blockfilter_err_str(enum blockfilter_err err);
/* Errors that prove the filter wrong for the block (not our own failure). */
bool blockfilter_err_proves_wrong(enum blockfilter_err err);

/* Where blockfilter_check found its proof, or why it failed. */
struct blockfilter_detail {
    enum gcs_err gcs; /* for MALFORMED and GCS */
    size_t tx;        /* MISSING_OUTPUT: transaction index in the block */
    size_t output;    /* MISSING_OUTPUT: output index in that transaction */
    uint64_t n;       /* TOO_FEW: the filter's N */
    size_t distinct;  /* TOO_FEW: distinct kept output scripts of the block */
};

/* The hash of the block (SHA-256d of its 80-byte header), the filter key. */
void blockfilter_block_hash(const struct wire_block *b, uint8_t out[32]);

/* Build the basic filter of b and append its serialization to out.
 * spent[] holds the script each non-coinbase input spends, one per input
 * (any order); their number must match. detail may be NULL. */
enum blockfilter_err blockfilter_build_basic(const struct wire_block *b,
                                             const struct gcs_item *spent, size_t n_spent,
                                             struct buf_writer *out,
                                             struct blockfilter_detail *detail);

/* Is filter (a serialized basic filter) consistent with what b proves?
 * Every kept output script must match, in one merged pass, and the
 * whole filter must decode. detail may be NULL. */
enum blockfilter_err blockfilter_check(const struct wire_block *b, const uint8_t *filter,
                                       size_t len, struct blockfilter_detail *detail);

/* ---- filter headers (BIP157) ---- */

/* SHA-256d of the serialized filter (N prefix included). */
void blockfilter_hash(const uint8_t *filter, size_t len, uint8_t out[32]);
/* SHA-256d(filter_hash || prev_header). */
void blockfilter_header(const uint8_t filter_hash[32], const uint8_t prev_header[32],
                        uint8_t out[32]);
/* The headers of n consecutive blocks from their filter hashes (what
 * `cfheaders` carries): headers[i] chains from headers[i-1], the first
 * from prev_header. */
void blockfilter_header_chain(const uint8_t prev_header[32], const uint8_t (*filter_hashes)[32],
                              size_t n, uint8_t (*headers)[32]);

/* ---- two peers disagree (BIP157's client rule; src/filter/judge.c) ---- */

/* The first i where a[i] and b[i] differ (two peers' filter hashes for
 * the same blocks); n if they agree on all. */
size_t blockfilter_first_difference(const uint8_t (*a)[32], const uint8_t (*b)[32], size_t n);

enum blockfilter_verdict {
    BLOCKFILTER_VERDICT_PASSES = 0,   /* nothing the block shows contradicts it */
    BLOCKFILTER_VERDICT_NOT_ITS_HASH, /* it does not hash to what its own peer's cfheaders said */
    BLOCKFILTER_VERDICT_PROVEN_WRONG, /* the block proves it wrong (*why says how) */
    BLOCKFILTER_VERDICT_CANNOT_TELL,  /* our own failure (memory, SipHash): no verdict */
};
const char *blockfilter_verdict_str(enum blockfilter_verdict v);
/* One peer's filter for block b, which the same peer's cfheaders said
 * hashes to claimed_hash. A filter that passes may still be wrong about
 * the scripts the inputs spend: passing acquits no one, failing convicts.
 * why and detail may be NULL. */
enum blockfilter_verdict blockfilter_judge(const struct wire_block *b, const uint8_t *filter,
                                           size_t len, const uint8_t claimed_hash[32],
                                           enum blockfilter_err *why,
                                           struct blockfilter_detail *detail);

#endif
