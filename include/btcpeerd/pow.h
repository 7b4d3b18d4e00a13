/* Proof of work, Bitcoin Core's rules: the compact nBits encoding, targets
 * and work as 256-bit integers, the hash-below-target check, and the nBits a
 * network requires of the next header (mainnet retargets, testnet3's
 * 20-minute rule, testnet4's BIP94, signet, regtest).
 *
 * Pure and allocation-free: the header sync calls these once per header, so
 * they run on fixed 8-word integers. The next-nBits rule reaches ancestors
 * through a callback, so it works on any header index (src/node/chain.c's,
 * or a test's array). */
#ifndef BTCPEERD_POW_H
#define BTCPEERD_POW_H

#include <btcpeerd/netparams.h>

#include <stdbool.h>
#include <stdint.h>

/* An unsigned 256-bit integer, w[0] the least significant word. A block
 * hash in internal byte order is this number in little-endian bytes. */
struct u256 {
    uint32_t w[8];
};

/* -1, 0, 1 as a <, =, > b. Inline, like u256_add: once per header. */
static inline int u256_cmp(const struct u256 *a, const struct u256 *b)
{
    for (int i = 6; i >= 0; i -= 2) { /* in 64-bit halves: half the branches */
        uint64_t x = (uint64_t)a->w[i] | (uint64_t)a->w[i + 1] << 32;
        uint64_t y = (uint64_t)b->w[i] | (uint64_t)b->w[i + 1] << 32;
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}
bool u256_is_zero(const struct u256 *a);
/* r = a + b modulo 2^256 (r may alias either). */
static inline void u256_add(struct u256 *r, const struct u256 *a, const struct u256 *b)
{
    /* In 64-bit halves: four dependent carries instead of eight. */
    unsigned carry = 0;
    for (int i = 0; i < 8; i += 2) {
        uint64_t x = (uint64_t)a->w[i] | (uint64_t)a->w[i + 1] << 32;
        uint64_t y = (uint64_t)b->w[i] | (uint64_t)b->w[i + 1] << 32;
        uint64_t s = x + y;
        unsigned c1 = s < x;
        s += carry;
        carry = c1 | (s < carry);
        r->w[i] = (uint32_t)s;
        r->w[i + 1] = (uint32_t)(s >> 32);
    }
}
/* r = a - b modulo 2^256 (r may alias either). */
void u256_sub(struct u256 *r, const struct u256 *a, const struct u256 *b);
/* From 32 little-endian bytes (a hash in internal order). */
void u256_from_le(struct u256 *r, const uint8_t le[32]);
/* From 32 big-endian bytes (a hash as humans write it, netparams.pow_limit). */
void u256_from_be(struct u256 *r, const uint8_t be[32]);
/* 64 lowercase hex digits, most significant first, NUL-terminated. */
void u256_to_hex(const struct u256 *a, char out[65]);

enum pow_err {
    POW_OK = 0,
    POW_ERR_NEGATIVE,    /* nBits has the sign bit set on a non-zero mantissa */
    POW_ERR_OVERFLOW,    /* nBits encodes a number wider than 256 bits */
    POW_ERR_ZERO,        /* nBits encodes a zero target: no hash can meet it */
    POW_ERR_ABOVE_LIMIT, /* target easier than the network's pow limit */
    POW_ERR_HIGH_HASH,   /* hash > target */
};
const char *pow_err_str(enum pow_err err);

/* Core's arith_uint256::SetCompact: the number, plus the negative and
 * overflow flags (either pointer may be NULL). Bits shifted past 2^256 are
 * dropped, as in Core. */
void pow_set_compact(struct u256 *out, uint32_t bits, bool *negative, bool *overflow);
/* Core's GetCompact: the shortest encoding, rounding the mantissa down. */
uint32_t pow_get_compact(const struct u256 *v, bool negative);

/* The target nBits stands for, checked as Core's CheckProofOfWork does
 * before it looks at the hash. */
enum pow_err pow_target_from_bits(const struct netparams *np, uint32_t bits, struct u256 *target);
/* hash (internal byte order) <= target. */
bool pow_hash_meets_target(const uint8_t hash[32], const struct u256 *target);
/* Both checks in one: POW_OK, a bits error, or POW_ERR_HIGH_HASH. */
enum pow_err pow_check(const struct netparams *np, const uint8_t hash[32], uint32_t bits);

/* The expected number of hashes to meet target: 2^256 / (target + 1),
 * computed as Core's GetBlockProof does. Zero for a zero target. */
void pow_block_proof(const struct u256 *target, struct u256 *work);

/* The pow limit and its compact form (the min-difficulty nBits). */
void pow_limit(const struct netparams *np, struct u256 *limit);
uint32_t pow_limit_bits(const struct netparams *np);

/* Core's CalculateNextWorkRequired past the choice of base: base_bits
 * scaled by (last_time - first_time) / timespan, that ratio clamped to
 * [1/4, 4], the result clamped to the pow limit. base_bits is the period's
 * last nBits, or its first under BIP94. With pow_no_retargeting, base_bits
 * unchanged.
 *
 * Core multiplies in 256 bits; this multiplies in 288, so a test network
 * with a pow limit near 2^256 clamps instead of wrapping. For every real
 * network (limit * 4 * timespan < 2^256, Core's chainparams sanity check)
 * the two agree. Needs 4 * pow_target_timespan < 2^32, true of all. */
uint32_t pow_retarget(const struct netparams *np, uint32_t base_bits, int64_t first_time,
                      int64_t last_time);

/* What the next-nBits rule needs of a header. id names the header within
 * its index (an entry pointer, say) for the walk-back cache; NULL if the
 * index has no stable names. */
struct pow_block {
    int32_t height;
    uint32_t time;
    uint32_t bits;
    const void *id;
};

/* The ancestor at `height` of the header being extended (0 <= height <=
 * its height); false if the index does not have it. The rule asks for
 * descending heights when it walks back, so an index may cache a cursor. */
typedef bool (*pow_ancestor_fn)(void *ctx, int32_t height, struct pow_block *out);

/* Where the last min-difficulty walk-back from header `id` ended. On
 * testnet3 and regtest every on-time header walks back over the exceptions
 * before it, up to 2,015 of them; remembering the parent's answer makes a
 * sequential sync walk each run once instead of once per header. Zero it to
 * start; use one per index (ids must stay valid and unique while it is
 * used). */
struct pow_walk_cache {
    const void *id;
    uint32_t bits;
};

/* The nBits required of a header with time new_time whose parent is last
 * (Core's GetNextWorkRequired). cache may be NULL. False only when an
 * ancestor is missing. */
bool pow_next_bits(const struct netparams *np, const struct pow_block *last, uint32_t new_time,
                   pow_ancestor_fn ancestor, void *ctx, struct pow_walk_cache *cache,
                   uint32_t *bits);

#endif
