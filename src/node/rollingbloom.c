/* The rolling Bloom filter (see rollingbloom.h). Cells are packed 32 to a
 * 64-bit word so a generation is wiped a word at a time. */
#include "rollingbloom.h"

#include <btcpeerd/random.h>
#include <btcpeerd/siphash.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_PER_WORD 32u
#define LOW_BITS 0x5555555555555555ull /* the low bit of every 2-bit cell */
#define MAX_HASH_FUNCS 50u

struct rolling_bloom {
    struct siphash *h1, *h2;
    unsigned k;              /* hash functions */
    uint64_t positions;      /* cells */
    uint32_t per_generation; /* items before the next generation starts */
    uint32_t in_generation;  /* items in the current one */
    uint64_t generation;     /* 1..3 */
    size_t n_words;
    uint64_t *cells;
};

struct rolling_bloom *rolling_bloom_new(uint32_t n_elements, double fp_rate,
                                        const uint8_t key[ROLLING_BLOOM_KEY_LEN])
{
    if (n_elements == 0 || !(fp_rate > 0.0 && fp_rate < 1.0)) return NULL;
    struct rolling_bloom *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    /* The optimum for a plain Bloom filter: k = log2(1/fp), and positions
     * for the most items ever held (three generations of half n each). */
    double log_fp = log(fp_rate);
    double k = round(log_fp / log(0.5));
    f->k = k < 1.0 ? 1u : k > MAX_HASH_FUNCS ? MAX_HASH_FUNCS : (unsigned)k;
    f->per_generation = (uint32_t)(((uint64_t)n_elements + 1) / 2);
    double max_items = 3.0 * f->per_generation;
    f->positions = (uint64_t)ceil(-1.0 * f->k * max_items / log(1.0 - exp(log_fp / f->k)));
    f->n_words = (size_t)((f->positions + CELLS_PER_WORD - 1) / CELLS_PER_WORD);
    f->cells = calloc(f->n_words, sizeof *f->cells);
    uint8_t random_key[ROLLING_BLOOM_KEY_LEN];
    if (!key) {
        random_bytes(random_key, sizeof random_key);
        key = random_key;
    }
    f->h1 = siphash_new(key);
    f->h2 = siphash_new(key + SIPHASH_KEY_LEN);
    memset(random_key, 0, sizeof random_key);
    f->generation = 1;
    if (!f->cells || !f->h1 || !f->h2) {
        rolling_bloom_free(f);
        return NULL;
    }
    return f;
}

void rolling_bloom_free(struct rolling_bloom *f)
{
    if (!f) return;
    siphash_free(f->h1);
    siphash_free(f->h2);
    free(f->cells);
    free(f);
}

void rolling_bloom_reset(struct rolling_bloom *f)
{
    memset(f->cells, 0, f->n_words * sizeof *f->cells);
    f->generation = 1;
    f->in_generation = 0;
}

/* Kirsch–Mitzenmacher: k positions from two independent 64-bit hashes.
 * An odd step never cycles short when positions is odd, and is no worse
 * otherwise. */
static bool hashes(const struct rolling_bloom *f, const void *data, size_t len, uint64_t *a,
                   uint64_t *b)
{
    if (!siphash24(f->h1, data, len, a) || !siphash24(f->h2, data, len, b)) return false;
    *b |= 1;
    return true;
}

static uint64_t position(const struct rolling_bloom *f, uint64_t a, uint64_t b, unsigned i)
{
    return (a + (uint64_t)i * b) % f->positions; /* unsigned: wraps, defined */
}

static uint64_t cell(const struct rolling_bloom *f, uint64_t pos)
{
    return (f->cells[pos / CELLS_PER_WORD] >> (2 * (pos % CELLS_PER_WORD))) & 3u;
}

/* Empty every cell that holds generation g. */
static void wipe_generation(struct rolling_bloom *f, uint64_t g)
{
    for (size_t i = 0; i < f->n_words; i++) {
        uint64_t w = f->cells[i], lo = w & LOW_BITS, hi = (w >> 1) & LOW_BITS;
        uint64_t match = g == 1 ? lo & ~hi : g == 2 ? hi & ~lo : lo & hi;
        f->cells[i] = w & ~(match | match << 1);
    }
}

bool rolling_bloom_insert(struct rolling_bloom *f, const void *data, size_t len)
{
    uint64_t a, b;
    if (!hashes(f, data, len, &a, &b)) return false;
    if (f->in_generation == f->per_generation) {
        f->in_generation = 0;
        f->generation = f->generation % 3 + 1;
        wipe_generation(f, f->generation); /* the oldest: two generations ago */
    }
    f->in_generation++;
    for (unsigned i = 0; i < f->k; i++) {
        uint64_t pos = position(f, a, b, i);
        unsigned shift = 2 * (unsigned)(pos % CELLS_PER_WORD);
        uint64_t *w = &f->cells[pos / CELLS_PER_WORD];
        *w = (*w & ~(3ull << shift)) | f->generation << shift;
    }
    return true;
}

bool rolling_bloom_contains(const struct rolling_bloom *f, const void *data, size_t len)
{
    uint64_t a, b;
    if (!hashes(f, data, len, &a, &b)) return false;
    for (unsigned i = 0; i < f->k; i++)
        if (!cell(f, position(f, a, b, i))) return false;
    return true;
}

unsigned rolling_bloom_hash_funcs(const struct rolling_bloom *f)
{
    return f->k;
}
size_t rolling_bloom_positions(const struct rolling_bloom *f)
{
    return (size_t)f->positions;
}

size_t rolling_bloom_memory(const struct rolling_bloom *f)
{
    return sizeof *f + f->n_words * sizeof *f->cells;
}
