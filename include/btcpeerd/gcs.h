/* Golomb-coded sets (BIP158): build a filter from a set of byte strings,
 * read one, and test items against it, one or many at a time.
 *
 * A serialized filter is N as a CompactSize, then the Golomb-Rice coded
 * deltas of the N sorted hashed items. Every read is bounded by the bytes
 * present: gcs_open refuses an N that the bytes cannot hold (each element
 * takes at least P + 1 bits), so nothing is ever sized from a claimed N
 * beyond what the filter itself pays for in bytes, and no decode reads
 * past the end.
 *
 * Pure: no globals, no clock; SipHash comes from OpenSSL (siphash.h). */
#ifndef BTCPEERD_GCS_H
#define BTCPEERD_GCS_H

#include <btcpeerd/buf.h>
#include <btcpeerd/siphash.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The basic filter (type 0) parameters. */
#define GCS_BASIC_P 19u
#define GCS_BASIC_M 784931u
/* Longest serialized filter accepted: no wire message carries more than
 * 4,000,000 bytes; the cap also keeps every sum in 64 bits. */
#define GCS_MAX_FILTER_LEN 0x10000000u

enum gcs_err {
    GCS_OK = 0,
    GCS_ERR_TRUNCATED,    /* the bytes end inside an element, or N claims more than they hold */
    GCS_ERR_TRAILING,     /* whole bytes left after the Nth element (Core refuses these too) */
    GCS_ERR_NONCANONICAL, /* N not a canonical CompactSize */
    GCS_ERR_TOO_MANY,     /* N above Core's 0x02000000 bound (reading or building) */
    GCS_ERR_TOO_LONG,     /* a filter over GCS_MAX_FILTER_LEN bytes */
    GCS_ERR_BAD_PARAMS,   /* P not in 1..32, or M zero */
    GCS_ERR_HASH,         /* OpenSSL could not provide SipHash */
    GCS_ERR_NOMEM,
};

const char *gcs_err_str(enum gcs_err err);

struct gcs_params {
    uint8_t p;                        /* Golomb-Rice remainder bits */
    uint32_t m;                       /* inverse false-positive rate */
    uint8_t key[SIPHASH_KEY_LEN];     /* SipHash key */
};

/* P = 19, M = 784,931, key = the first 16 bytes of the block hash in its
 * internal (little-endian) byte order, as BIP158 says. */
void gcs_basic_params(const uint8_t block_hash[32], struct gcs_params *out);

/* An item to hash: a borrowed byte string (a script). */
struct gcs_item {
    const uint8_t *data;
    size_t len;
};

/* (hash * f) >> 64: the hash mapped onto [0, f) (BIP158's hash_to_range),
 * the full 128-bit product kept. */
uint64_t gcs_hash_to_range(uint64_t hash, uint64_t f);

/* Build the serialized filter (N, then the coded deltas) of the set of
 * items and append it to out. Equal byte strings count once: N is the
 * number of distinct items, as BIP158's set is. */
enum gcs_err gcs_build(const struct gcs_params *params, const struct gcs_item *items, size_t n,
                       struct buf_writer *out);

/* A view of a serialized filter; the bytes stay the caller's. */
struct gcs_filter {
    struct gcs_params params;
    uint64_t n;          /* elements claimed, at most what the bytes can hold */
    uint64_t f;          /* n * m: the hash range */
    const uint8_t *bits; /* the coded deltas, after the N prefix */
    size_t bits_len;
};

/* Read N and check it against the bytes (O(1), nothing decoded yet). */
enum gcs_err gcs_open(const uint8_t *filter, size_t len, const struct gcs_params *params,
                      struct gcs_filter *out);
/* Decode every element: exactly N of them, no whole byte left over (the
 * padding bits of the last byte are not read, as in Core). */
enum gcs_err gcs_check(const struct gcs_filter *f);
/* The N sorted hashed values into values[0..f->n) (the caller sizes it
 * from f->n, which gcs_open bounded by the bytes); checked as gcs_check. */
enum gcs_err gcs_decode(const struct gcs_filter *f, uint64_t *values);

/* The match functions decode only as far as they need: a match found
 * early leaves the rest unread (gcs_check reads it all). An error means
 * the part they read was malformed. */
enum gcs_err gcs_match(const struct gcs_filter *f, const uint8_t *item, size_t len, bool *match);
/* Does any of the items match? One merged pass: the items are hashed and
 * sorted, then walked beside the filter's sorted values (BIP158 appendix
 * B), so k items cost one decode, not k. */
enum gcs_err gcs_match_any(const struct gcs_filter *f, const struct gcs_item *items, size_t n,
                           bool *any);
/* The same pass, telling which items match: matched[i] for items[i];
 * *n_matched (may be NULL) counts them. */
enum gcs_err gcs_match_each(const struct gcs_filter *f, const struct gcs_item *items, size_t n,
                            bool *matched, size_t *n_matched);

#endif
