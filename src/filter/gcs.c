/* Golomb-coded sets, written from BIP158: hashing to [0, N*M) with
 * SipHash-2-4, Golomb-Rice coding of the sorted deltas, and the one-pass
 * match of a sorted query set against the sorted filter.
 *
 * Reading trusts nothing: N is bounded by the bytes before anything is
 * sized from it, every bit read is bounded by the bytes present, and the
 * running sum cannot overflow (a filter of at most GCS_MAX_FILTER_LEN
 * bytes codes quotients summing to under 2^31, times 2^32 at most). */
#include <btcpeerd/gcs.h>

#include "bitstream.h"
#include "sort.h"

#include <stdlib.h>
#include <string.h>

const char *gcs_err_str(enum gcs_err err)
{
    switch (err) {
    case GCS_OK: return "ok";
    case GCS_ERR_TRUNCATED: return "truncated";
    case GCS_ERR_TRAILING: return "trailing-bytes";
    case GCS_ERR_NONCANONICAL: return "non-canonical-compact-size";
    case GCS_ERR_TOO_MANY: return "too-many-elements";
    case GCS_ERR_TOO_LONG: return "filter-too-long";
    case GCS_ERR_BAD_PARAMS: return "bad-parameters";
    case GCS_ERR_HASH: return "siphash-unavailable";
    case GCS_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

void gcs_basic_params(const uint8_t block_hash[32], struct gcs_params *out)
{
    out->p = GCS_BASIC_P;
    out->m = GCS_BASIC_M;
    memcpy(out->key, block_hash, SIPHASH_KEY_LEN);
}

uint64_t gcs_hash_to_range(uint64_t hash, uint64_t f)
{
#ifdef __SIZEOF_INT128__
    return (uint64_t)(((unsigned __int128)hash * f) >> 64);
#else
    /* The high half of a 64x64 product from four 32x32 ones. */
    uint64_t a_lo = hash & 0xffffffffu, a_hi = hash >> 32;
    uint64_t b_lo = f & 0xffffffffu, b_hi = f >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    uint64_t mid = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + (lo_hi & 0xffffffffu);
    return hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (mid >> 32);
#endif
}

static bool params_ok(const struct gcs_params *p)
{
    return p->p >= 1 && p->p <= 32 && p->m >= 1;
}

/* Hash each item onto [0, f); pairs[i] = {value, i}. */
static enum gcs_err hash_items(const struct gcs_params *params, uint64_t f,
                               const struct gcs_item *items, size_t n, struct gcs_pair *pairs)
{
    struct siphash *h = siphash_new(params->key);
    if (!h) return GCS_ERR_HASH;
    enum gcs_err err = GCS_OK;
    for (size_t i = 0; i < n && err == GCS_OK; i++) {
        uint64_t v = 0;
        if (!siphash24(h, items[i].data, items[i].len, &v)) err = GCS_ERR_HASH;
        pairs[i].value = gcs_hash_to_range(v, f);
        pairs[i].index = i;
    }
    siphash_free(h);
    return err;
}

/* ---- building ---- */

static int item_cmp(const void *a, const void *b)
{
    const struct gcs_item *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* The distinct items, in a new array the caller frees. */
static struct gcs_item *distinct_items(const struct gcs_item *items, size_t n, size_t *n_out)
{
    struct gcs_item *d = malloc(n ? n * sizeof *d : 1);
    if (!d) return NULL;
    if (n) memcpy(d, items, n * sizeof *d);
    qsort(d, n, sizeof *d, item_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || item_cmp(&d[k - 1], &d[i]) != 0) d[k++] = d[i];
    *n_out = k;
    return d;
}

enum gcs_err gcs_build(const struct gcs_params *params, const struct gcs_item *items, size_t n,
                       struct buf_writer *out)
{
    if (!params_ok(params)) return GCS_ERR_BAD_PARAMS;
    size_t k;
    struct gcs_item *set = distinct_items(items, n, &k);
    if (!set) return GCS_ERR_NOMEM;
    struct gcs_pair *pairs = malloc(k ? k * sizeof *pairs : 1);
    enum gcs_err err = pairs ? GCS_OK : GCS_ERR_NOMEM;
    if (err == GCS_OK && k > COMPACT_SIZE_MAX) err = GCS_ERR_TOO_MANY;
    uint64_t f = (uint64_t)k * params->m; /* k < 2^26, m < 2^32 */
    if (err == GCS_OK) err = hash_items(params, f, set, k, pairs);
    if (err == GCS_OK) {
        gcs_sort_pairs(pairs, k);
        /* Each element takes q + 1 + P bits, q averaging about M / 2^P. */
        buf_reserve(out, 9 + k * ((size_t)params->p + 3) / 8);
        buf_write_compact(out, k);
        struct bit_writer w;
        bit_writer_init(&w, out);
        uint64_t last = 0;
        for (size_t i = 0; i < k; i++) {
            uint64_t delta = pairs[i].value - last;
            bit_write_unary(&w, delta >> params->p);
            bit_write(&w, delta, params->p);
            last = pairs[i].value;
        }
        bit_writer_flush(&w);
        if (!buf_writer_ok(out)) err = GCS_ERR_NOMEM;
    }
    free(pairs);
    free(set);
    return err;
}

/* ---- reading ---- */

enum gcs_err gcs_open(const uint8_t *filter, size_t len, const struct gcs_params *params,
                      struct gcs_filter *out)
{
    memset(out, 0, sizeof *out);
    if (!params_ok(params)) return GCS_ERR_BAD_PARAMS;
    if (len > GCS_MAX_FILTER_LEN) return GCS_ERR_TOO_LONG;
    struct buf_reader r;
    buf_reader_init(&r, filter, len);
    uint64_t n;
    if (!buf_read_compact(&r, &n)) {
        switch (r.status) {
        case BUF_NONCANONICAL: return GCS_ERR_NONCANONICAL;
        case BUF_TOO_LARGE: return GCS_ERR_TOO_MANY;
        default: return GCS_ERR_TRUNCATED;
        }
    }
    /* Every element costs at least P + 1 bits: a larger N is a lie the
     * bytes give away, whatever the rest says. */
    uint64_t bits = (uint64_t)buf_remaining(&r) * 8;
    if (n > bits / ((uint64_t)params->p + 1)) return GCS_ERR_TRUNCATED;
    out->params = *params;
    out->n = n;
    out->f = n * params->m;
    out->bits = r.p;
    out->bits_len = buf_remaining(&r);
    return GCS_OK;
}

/* The next element: the running sum advanced by one coded delta. */
static inline bool next_value(struct bit_reader *r, unsigned p, uint64_t *value)
{
    uint64_t q, rem;
    if (!bit_read_unary(r, &q) || !bit_read_bits(r, p, &rem)) return false;
    *value += q << p | rem;
    return true;
}

static enum gcs_err finish(const struct bit_reader *r)
{
    return bit_reader_untouched_bytes(r) ? GCS_ERR_TRAILING : GCS_OK;
}

enum gcs_err gcs_decode(const struct gcs_filter *f, uint64_t *values)
{
    struct bit_reader r;
    bit_reader_init(&r, f->bits, f->bits_len);
    uint64_t v = 0;
    for (uint64_t i = 0; i < f->n; i++) {
        if (!next_value(&r, f->params.p, &v)) return GCS_ERR_TRUNCATED;
        if (values) values[i] = v;
    }
    return finish(&r);
}

enum gcs_err gcs_check(const struct gcs_filter *f)
{
    return gcs_decode(f, NULL);
}

/* The merged walk: sorted query values beside the filter's values. Stops
 * at the first match when `first_only`, else when the queries run out. */
static enum gcs_err merged_pass(const struct gcs_filter *f, const struct gcs_pair *q, size_t nq,
                                bool first_only, bool *matched, size_t *n_matched)
{
    struct bit_reader r;
    bit_reader_init(&r, f->bits, f->bits_len);
    const unsigned p = f->params.p;
    const uint64_t n = f->n;
    uint64_t v = 0, i = 0;
    size_t qi = 0, found = 0;
    *n_matched = 0;
    while (qi < nq) {
        /* The hot loop: decode up to the next watched value, one compare
         * per element. Queries are sorted, so a value below it matches
         * nothing. */
        const uint64_t target = q[qi].value;
        do {
            if (i == n) {
                *n_matched = found;
                return GCS_OK;
            }
            if (!next_value(&r, p, &v)) return GCS_ERR_TRUNCATED;
            i++;
        } while (v < target);
        while (qi < nq && q[qi].value < v) qi++;
        for (; qi < nq && q[qi].value == v; qi++) {
            if (matched) matched[q[qi].index] = true;
            found++;
            if (first_only) {
                *n_matched = found;
                return GCS_OK;
            }
        }
    }
    *n_matched = found;
    return GCS_OK;
}

static enum gcs_err match_items(const struct gcs_filter *f, const struct gcs_item *items,
                                size_t n, bool first_only, bool *matched, size_t *n_matched)
{
    *n_matched = 0;
    if (matched && n) memset(matched, 0, n * sizeof *matched);
    if (n == 0 || f->n == 0) return GCS_OK;
    if (n > SIZE_MAX / sizeof(struct gcs_pair)) return GCS_ERR_NOMEM;
    struct gcs_pair one, *q = n == 1 ? &one : malloc(n * sizeof *q);
    if (!q) return GCS_ERR_NOMEM;
    enum gcs_err err = hash_items(&f->params, f->f, items, n, q);
    if (err == GCS_OK) {
        gcs_sort_pairs(q, n);
        err = merged_pass(f, q, n, first_only, matched, n_matched);
    }
    if (q != &one) free(q);
    return err;
}

enum gcs_err gcs_match(const struct gcs_filter *f, const uint8_t *item, size_t len, bool *match)
{
    struct gcs_item one = {item, len};
    size_t found;
    enum gcs_err err = match_items(f, &one, 1, true, NULL, &found);
    *match = err == GCS_OK && found > 0;
    return err;
}

enum gcs_err gcs_match_any(const struct gcs_filter *f, const struct gcs_item *items, size_t n,
                           bool *any)
{
    size_t found;
    enum gcs_err err = match_items(f, items, n, true, NULL, &found);
    *any = err == GCS_OK && found > 0;
    return err;
}

enum gcs_err gcs_match_each(const struct gcs_filter *f, const struct gcs_item *items, size_t n,
                            bool *matched, size_t *n_matched)
{
    size_t found;
    enum gcs_err err = match_items(f, items, n, false, matched, &found);
    if (n_matched) *n_matched = err == GCS_OK ? found : 0;
    return err;
}
