/* The BIP158 basic filter of a block: its contents gathered from the
 * block's outputs and the spent scripts the caller supplies, and the check
 * that convicts a wrong filter from the block alone. */
#include <btcpeerd/blockfilter.h>

#include <stdlib.h>
#include <string.h>

const char *blockfilter_err_str(enum blockfilter_err err)
{
    switch (err) {
    case BLOCKFILTER_OK: return "ok";
    case BLOCKFILTER_ERR_PREVOUT_COUNT: return "spent-script-count-mismatch";
    case BLOCKFILTER_ERR_BAD_BLOCK: return "bad-block";
    case BLOCKFILTER_ERR_MALFORMED: return "malformed-filter";
    case BLOCKFILTER_ERR_MISSING_OUTPUT: return "filter-misses-output";
    case BLOCKFILTER_ERR_TOO_FEW: return "filter-too-few-elements";
    case BLOCKFILTER_ERR_GCS: return "gcs-failure";
    }
    return "unknown";
}

bool blockfilter_err_proves_wrong(enum blockfilter_err err)
{
    return err == BLOCKFILTER_ERR_MALFORMED || err == BLOCKFILTER_ERR_MISSING_OUTPUT ||
           err == BLOCKFILTER_ERR_TOO_FEW;
}

void blockfilter_block_hash(const struct wire_block *b, uint8_t out[32])
{
    wire_header_hash(&b->header, out);
}

/* A growing array of items, with where each output came from. */
struct script_list {
    struct gcs_item *items;
    size_t *tx, *out; /* origin of each output item; NULL when not tracked */
    size_t n, cap;
};

static bool list_push(struct script_list *l, const uint8_t *s, size_t len, size_t tx, size_t out)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct gcs_item *items = realloc(l->items, cap * sizeof *items);
        if (!items) return false;
        l->items = items;
        size_t *t = realloc(l->tx, cap * sizeof *t);
        if (!t) return false;
        l->tx = t;
        size_t *o = realloc(l->out, cap * sizeof *o);
        if (!o) return false;
        l->out = o;
        l->cap = cap;
    }
    l->items[l->n] = (struct gcs_item){s, len};
    l->tx[l->n] = tx;
    l->out[l->n] = out;
    l->n++;
    return true;
}

static void list_free(struct script_list *l)
{
    free(l->items);
    free(l->tx);
    free(l->out);
    memset(l, 0, sizeof *l);
}

/* Every kept output script of the block (neither empty nor OP_RETURN);
 * *n_inputs counts the inputs of the non-coinbase transactions. */
static enum blockfilter_err collect_outputs(const struct wire_block *b, struct script_list *l,
                                            size_t *n_inputs)
{
    *n_inputs = 0;
    for (size_t t = 0; t < b->tx_count; t++) {
        struct wire_txout_iter it;
        struct wire_txout o;
        size_t n_in;
        if (wire_txouts_begin(b->raw, &b->txs[t], &it, &n_in) != WIRE_OK)
            return BLOCKFILTER_ERR_BAD_BLOCK;
        if (t > 0) *n_inputs += n_in;
        for (size_t i = 0; wire_txouts_next(&it, &o); i++) {
            if (o.script_len == 0 || o.script[0] == BLOCKFILTER_OP_RETURN) continue;
            if (!list_push(l, o.script, o.script_len, t, i)) return BLOCKFILTER_ERR_GCS;
        }
        if (it.left != 0 || buf_remaining(&it.r) != 0) return BLOCKFILTER_ERR_BAD_BLOCK;
    }
    return BLOCKFILTER_OK;
}

static enum blockfilter_err fail(struct blockfilter_detail *d, enum blockfilter_err err,
                                 enum gcs_err gerr)
{
    if (d) d->gcs = gerr;
    return err;
}

enum blockfilter_err blockfilter_build_basic(const struct wire_block *b,
                                             const struct gcs_item *spent, size_t n_spent,
                                             struct buf_writer *out,
                                             struct blockfilter_detail *detail)
{
    if (detail) memset(detail, 0, sizeof *detail);
    struct script_list l = {0};
    size_t n_inputs;
    enum blockfilter_err err = collect_outputs(b, &l, &n_inputs);
    if (err == BLOCKFILTER_ERR_GCS) err = fail(detail, err, GCS_ERR_NOMEM);
    if (err == BLOCKFILTER_OK && n_inputs != n_spent) err = BLOCKFILTER_ERR_PREVOUT_COUNT;
    for (size_t i = 0; i < n_spent && err == BLOCKFILTER_OK; i++) {
        if (spent[i].len == 0) continue; /* "nil" items are left out */
        if (!list_push(&l, spent[i].data, spent[i].len, SIZE_MAX, SIZE_MAX))
            err = fail(detail, BLOCKFILTER_ERR_GCS, GCS_ERR_NOMEM);
    }
    if (err == BLOCKFILTER_OK) {
        uint8_t hash[32];
        struct gcs_params params;
        blockfilter_block_hash(b, hash);
        gcs_basic_params(hash, &params);
        enum gcs_err gerr = gcs_build(&params, l.items, l.n, out);
        if (gerr != GCS_OK) err = fail(detail, BLOCKFILTER_ERR_GCS, gerr);
    }
    list_free(&l);
    return err;
}

/* Distinct byte strings among the items (sorted in place). */
static int item_cmp(const void *a, const void *b)
{
    const struct gcs_item *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static enum blockfilter_err count_distinct(const struct gcs_item *items, size_t n, size_t *out)
{
    struct gcs_item *copy = malloc(n ? n * sizeof *copy : 1);
    if (!copy) return BLOCKFILTER_ERR_GCS;
    if (n) memcpy(copy, items, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, item_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || item_cmp(&copy[i - 1], &copy[i]) != 0) k++;
    free(copy);
    *out = k;
    return BLOCKFILTER_OK;
}

enum blockfilter_err blockfilter_check(const struct wire_block *b, const uint8_t *filter,
                                       size_t len, struct blockfilter_detail *detail)
{
    if (detail) memset(detail, 0, sizeof *detail);
    uint8_t hash[32];
    struct gcs_params params;
    blockfilter_block_hash(b, hash);
    gcs_basic_params(hash, &params);
    struct gcs_filter f;
    enum gcs_err gerr = gcs_open(filter, len, &params, &f);
    if (gerr == GCS_OK) gerr = gcs_check(&f);
    if (gerr != GCS_OK) return fail(detail, BLOCKFILTER_ERR_MALFORMED, gerr);

    struct script_list l = {0};
    size_t n_inputs, distinct = 0;
    enum blockfilter_err err = collect_outputs(b, &l, &n_inputs);
    if (err == BLOCKFILTER_ERR_GCS) err = fail(detail, err, GCS_ERR_NOMEM);
    if (err == BLOCKFILTER_OK && count_distinct(l.items, l.n, &distinct) != BLOCKFILTER_OK)
        err = fail(detail, BLOCKFILTER_ERR_GCS, GCS_ERR_NOMEM);
    if (err == BLOCKFILTER_OK && f.n < distinct) {
        err = BLOCKFILTER_ERR_TOO_FEW;
        if (detail) {
            detail->n = f.n;
            detail->distinct = distinct;
        }
    }
    bool *matched = NULL;
    if (err == BLOCKFILTER_OK && l.n) {
        matched = malloc(l.n * sizeof *matched);
        gerr = matched ? gcs_match_each(&f, l.items, l.n, matched, NULL) : GCS_ERR_NOMEM;
        if (gerr != GCS_OK) err = fail(detail, BLOCKFILTER_ERR_GCS, gerr);
    }
    for (size_t i = 0; i < l.n && err == BLOCKFILTER_OK; i++) {
        if (matched[i]) continue;
        err = BLOCKFILTER_ERR_MISSING_OUTPUT;
        if (detail) {
            detail->tx = l.tx[i];
            detail->output = l.out[i];
        }
    }
    free(matched);
    list_free(&l);
    return err;
}
