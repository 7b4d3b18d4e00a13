/* A rolling Bloom filter: remembers roughly the last n_elements items
 * inserted (at least n_elements, at most 1.5 × n_elements), with a
 * false-positive rate near fp_rate, in memory fixed at creation. Bitcoin
 * Core keeps discouraged addresses in one of these (50,000 entries at
 * one in a million): a peer cannot grow it, and it forgets by itself.
 *
 * Three generations of n_elements / 2 items each. Every position holds a
 * 2-bit cell naming the generation (1..3) that set it last, 0 = empty;
 * when the current generation is full the oldest one's cells are wiped and
 * reused. An item is present when all its cells are non-zero. Positions
 * come from SipHash-2-4 under a random 256-bit key (two SipHash keys,
 * combined by double hashing), so a remote peer cannot aim for collisions.
 *
 * Memory: 2 bits per position, positions = ceil(-k × 1.5n / ln(1 -
 * fp^(1/k))), k = round(log2(1/fp)) hash functions (1..50). For 50,000 at
 * 1e-6: k = 20, 2,156,628 positions, 539,160 bytes. Pure: no clock, no
 * I/O; randomness only for a NULL key. */
#ifndef BTCPEERD_ROLLINGBLOOM_H
#define BTCPEERD_ROLLINGBLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROLLING_BLOOM_KEY_LEN 32u

struct rolling_bloom;

/* n_elements >= 1, 0 < fp_rate < 1; key: 32 bytes or NULL for a random
 * one. NULL on bad parameters, no memory, or no SipHash from OpenSSL. */
struct rolling_bloom *rolling_bloom_new(uint32_t n_elements, double fp_rate,
                                        const uint8_t key[ROLLING_BLOOM_KEY_LEN]);
void rolling_bloom_free(struct rolling_bloom *f);
/* False only if hashing failed (OpenSSL); the item is then not kept. */
bool rolling_bloom_insert(struct rolling_bloom *f, const void *data, size_t len);
/* True if inserted recently (or a false positive); false if hashing failed. */
bool rolling_bloom_contains(const struct rolling_bloom *f, const void *data, size_t len);
/* Forget everything (the key stays). */
void rolling_bloom_reset(struct rolling_bloom *f);

unsigned rolling_bloom_hash_funcs(const struct rolling_bloom *f);
size_t rolling_bloom_positions(const struct rolling_bloom *f);
/* Bytes held, the struct included. */
size_t rolling_bloom_memory(const struct rolling_bloom *f);

#endif
