/* Compact block filters (BIP157/158), the pure parts a wallet scan and a
 * filter-header sync spend their time in:
 *   building a basic-parameter filter of 20,000 scripts;
 *   decoding such filters (N values out of the Golomb-Rice stream);
 *   matching 1, 100 and 10,000 watched scripts against them, none of
 *   which is in the filters (the common case of a scan: every element is
 *   decoded), with the SipHash and the sort of the watched set on their
 *   own;
 *   filter headers from filter hashes (what cfheaders sync does) beside
 *   SHA-256d of 64 bytes, and a filter's hash beside SHA-256d of its
 *   bytes.
 * Figures are this thread's CPU time (the machine is shared).
 *
 *   bench_filters [--quick]     (run from the build directory) */
#include "benchutil.h"

#include "filter/sort.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/gcs.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/siphash.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FILTERS 32u
#define FILTER_ELEMENTS 20000u
#define MAX_WATCHED 10000u

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Scripts shaped like today's outputs: P2WPKH (22 bytes), P2TR and P2WSH
 * (34), P2PKH (25), P2SH (23), with random hashes. */
static void random_script(uint8_t *s, size_t *len)
{
    static const size_t lens[] = {22, 34, 34, 25, 23};
    *len = lens[next_u64() % 5];
    for (size_t i = 0; i < *len; i += 8) {
        uint64_t v = next_u64();
        memcpy(s + i, &v, *len - i < 8 ? *len - i : 8);
    }
}

struct scripts {
    uint8_t (*bytes)[34];
    struct gcs_item *items;
    size_t n;
};

static void make_scripts(struct scripts *s, size_t n)
{
    s->bytes = malloc(n * sizeof *s->bytes);
    s->items = malloc(n * sizeof *s->items);
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        random_script(s->bytes[i], &len);
        s->items[i] = (struct gcs_item){s->bytes[i], len};
    }
}

struct filters {
    struct gcs_params params[N_FILTERS];
    uint8_t *data[N_FILTERS];
    size_t len[N_FILTERS];
    size_t total_len;
};

struct ctx {
    struct filters *f;
    struct scripts *elements, *watched;
    size_t n_watched;
    unsigned next;
    uint64_t *values;
    uint8_t (*hashes)[32], (*headers)[32];
    struct gcs_pair *pairs, *unsorted;
};

static volatile uint64_t sink;

static void run_build(void *arg)
{
    struct ctx *c = arg;
    struct buf_writer w;
    buf_writer_init(&w);
    if (gcs_build(&c->f->params[0], c->elements->items, FILTER_ELEMENTS, &w) != GCS_OK) abort();
    sink ^= w.len;
    buf_writer_free(&w);
}

static void run_decode(void *arg)
{
    struct ctx *c = arg;
    unsigned i = c->next++ % N_FILTERS;
    struct gcs_filter f;
    if (gcs_open(c->f->data[i], c->f->len[i], &c->f->params[i], &f) != GCS_OK ||
        gcs_decode(&f, c->values) != GCS_OK)
        abort();
    sink ^= c->values[f.n - 1];
}

static void run_match(void *arg)
{
    struct ctx *c = arg;
    unsigned i = c->next++ % N_FILTERS;
    struct gcs_filter f;
    bool any;
    if (gcs_open(c->f->data[i], c->f->len[i], &c->f->params[i], &f) != GCS_OK ||
        gcs_match_any(&f, c->watched->items, c->n_watched, &any) != GCS_OK)
        abort();
    sink ^= any;
}

/* The watched set's SipHash alone: what a per-block key costs a scan. */
static void run_hash_watched(void *arg)
{
    struct ctx *c = arg;
    unsigned i = c->next++ % N_FILTERS;
    struct siphash *h = siphash_new(c->f->params[i].key);
    uint64_t v = 0, acc = 0;
    for (size_t k = 0; k < c->n_watched; k++) {
        siphash24(h, c->watched->items[k].data, c->watched->items[k].len, &v);
        acc ^= v;
    }
    siphash_free(h);
    sink ^= acc;
}

/* Sorting the hashed watched set (values as the match sees them). */
static void run_sort_watched(void *arg)
{
    struct ctx *c = arg;
    for (size_t k = 0; k < c->n_watched; k++) c->pairs[k] = c->unsorted[k];
    gcs_sort_pairs(c->pairs, c->n_watched);
    sink ^= c->pairs[0].value;
}

static void run_header_chain(void *arg)
{
    struct ctx *c = arg;
    uint8_t prev[32] = {0};
    blockfilter_header_chain(prev, (const uint8_t(*)[32])c->hashes, 2000, c->headers);
    sink ^= c->headers[1999][0];
}

static void run_sha256d_64(void *arg)
{
    struct ctx *c = arg;
    uint8_t out[32];
    for (size_t i = 0; i < 2000; i++) {
        sha256d(c->hashes[i], 64, out); /* hashes has 2,001 entries */
        sink ^= out[0];
    }
}

static void run_filter_hash(void *arg)
{
    struct ctx *c = arg;
    uint8_t out[32];
    blockfilter_hash(c->f->data[0], c->f->len[0], out);
    sink ^= out[0];
}

static void run_sha256d_filter(void *arg)
{
    struct ctx *c = arg;
    uint8_t out[32];
    sha256d(c->f->data[0], c->f->len[0], out);
    sink ^= out[0];
}

int main(int argc, char **argv)
{
    unsigned ms = (argc > 1 && strcmp(argv[1], "--quick") == 0) ? 300 : 2000;
    struct filters filters;
    struct scripts elements, watched;
    make_scripts(&watched, MAX_WATCHED);
    filters.total_len = 0;
    for (unsigned i = 0; i < N_FILTERS; i++) {
        uint8_t block_hash[32];
        for (int k = 0; k < 32; k += 8) {
            uint64_t v = next_u64();
            memcpy(block_hash + k, &v, 8);
        }
        gcs_basic_params(block_hash, &filters.params[i]);
        make_scripts(&elements, FILTER_ELEMENTS);
        struct buf_writer w;
        buf_writer_init(&w);
        if (gcs_build(&filters.params[i], elements.items, elements.n, &w) != GCS_OK) abort();
        filters.data[i] = buf_writer_steal(&w, &filters.len[i]);
        filters.total_len += filters.len[i];
        if (i + 1 < N_FILTERS) {
            free(elements.bytes);
            free(elements.items);
        }
    }
    struct ctx c = {.f = &filters, .elements = &elements, .watched = &watched};
    c.values = malloc(FILTER_ELEMENTS * sizeof *c.values);
    c.hashes = malloc(2001 * 32);
    c.headers = malloc(2000 * 32);
    c.pairs = malloc(MAX_WATCHED * sizeof *c.pairs);
    c.unsorted = malloc(MAX_WATCHED * sizeof *c.unsorted);
    for (size_t k = 0; k < MAX_WATCHED; k++)
        c.unsorted[k] = (struct gcs_pair){gcs_hash_to_range(next_u64(), FILTER_ELEMENTS * (uint64_t)GCS_BASIC_M), k};
    for (size_t i = 0; i < 2001 * 32; i++) ((uint8_t *)c.hashes)[i] = (uint8_t)next_u64();
    size_t avg_len = filters.total_len / N_FILTERS;
    printf("%u filters of %u elements (basic parameters), %zu bytes each on average\n\n",
           N_FILTERS, FILTER_ELEMENTS, avg_len);

    double t = bench_run_cpu(run_build, &c, ms);
    printf("%-44s %10.2f ms/filter  (%.0f elements/s)\n", "build (hash, sort, code)", t * 1e3,
           FILTER_ELEMENTS / t);
    t = bench_run_cpu(run_decode, &c, ms);
    printf("%-44s %10.1f us/filter  (%.1f M elements/s, %.0f MB/s, %.0f filters/s)\n",
           "decode (gcs_open + gcs_decode)", t * 1e6, FILTER_ELEMENTS / t / 1e6,
           (double)avg_len / t / 1e6, 1 / t);
    const size_t sets[] = {1, 100, MAX_WATCHED};
    for (int k = 0; k < 3; k++) {
        c.n_watched = sets[k];
        char label[64];
        snprintf(label, sizeof label, "match_any, %zu watched (no match)", sets[k]);
        t = bench_run_cpu(run_match, &c, ms);
        double th = bench_run_cpu(run_hash_watched, &c, ms);
        double tsort = bench_run_cpu(run_sort_watched, &c, ms);
        printf("%-44s %10.0f filters/s  (%.1f us/filter; of which SipHash of the set %.1f us, "
               "sort %.1f us)\n",
               label, 1 / t, t * 1e6, th * 1e6, tsort * 1e6);
    }
    t = bench_run_cpu(run_header_chain, &c, ms);
    double ts = bench_run_cpu(run_sha256d_64, &c, ms);
    printf("%-44s %10.0f headers/s (SHA-256d of 64 bytes: %.0f/s, %.0f %%)\n",
           "filter headers from hashes (chain of 2,000)", 2000 / t, 2000 / ts, 100 * ts / t);
    t = bench_run_cpu(run_filter_hash, &c, ms);
    ts = bench_run_cpu(run_sha256d_filter, &c, ms);
    printf("%-44s %10.0f MB/s      (SHA-256d of the bytes: %.0f MB/s)\n", "filter hash",
           (double)filters.len[0] / t / 1e6, (double)filters.len[0] / ts / 1e6);

    for (unsigned i = 0; i < N_FILTERS; i++) free(filters.data[i]);
    free(elements.bytes);
    free(elements.items);
    free(watched.bytes);
    free(watched.items);
    free(c.values);
    free(c.hashes);
    free(c.headers);
    free(c.pairs);
    free(c.unsorted);
    return 0;
}
