/* BIP158 basic filters and BIP157 filter headers against the official
 * vectors (tests/vectors/bip158/testnet-19.json, every row): block →
 * filter bytes with the given spent scripts, filter header from the
 * previous one and the chain across consecutive rows, matching of every
 * element; then the check that convicts a wrong filter from the block. */
#include "testutil.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/hex.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct row {
    long height;
    uint8_t hash[32];
    struct wire_block block;
    uint8_t **spent;
    size_t *spent_len, n_spent;
    uint8_t prev_header[32];
    uint8_t *filter;
    size_t filter_len;
    uint8_t header[32];
    const char *note;
};

static json_t *load_vectors(void)
{
    json_error_t jerr;
    json_t *root = json_load_file(test_vector_path("bip158/testnet-19.json"), 0, &jerr);
    if (!root) fail_msg("testnet-19.json: %s (line %d)", jerr.text, jerr.line);
    assert_true(json_is_array(root));
    return root;
}

static void row_parse(json_t *a, struct row *r)
{
    memset(r, 0, sizeof *r);
    assert_true(json_is_array(a) && json_array_size(a) == 8);
    r->height = (long)json_integer_value(json_array_get(a, 0));
    assert_true(hex_decode_hash(json_string_value(json_array_get(a, 1)), r->hash));
    size_t len;
    uint8_t *raw = test_unhex(json_string_value(json_array_get(a, 2)), &len);
    assert_int_equal(wire_block_decode(raw, len, &r->block), WIRE_OK);
    free(raw);
    json_t *spent = json_array_get(a, 3);
    r->n_spent = json_array_size(spent);
    r->spent = calloc(r->n_spent + 1, sizeof *r->spent);
    r->spent_len = calloc(r->n_spent + 1, sizeof *r->spent_len);
    for (size_t i = 0; i < r->n_spent; i++)
        r->spent[i] = test_unhex(json_string_value(json_array_get(spent, i)), &r->spent_len[i]);
    assert_true(hex_decode_hash(json_string_value(json_array_get(a, 4)), r->prev_header));
    r->filter = test_unhex(json_string_value(json_array_get(a, 5)), &r->filter_len);
    assert_true(hex_decode_hash(json_string_value(json_array_get(a, 6)), r->header));
    r->note = json_string_value(json_array_get(a, 7));
}

static void row_free(struct row *r)
{
    wire_block_free(&r->block);
    for (size_t i = 0; i < r->n_spent; i++) free(r->spent[i]);
    free(r->spent);
    free(r->spent_len);
    free(r->filter);
}

static struct gcs_item *spent_items(const struct row *r)
{
    struct gcs_item *items = calloc(r->n_spent + 1, sizeof *items);
    for (size_t i = 0; i < r->n_spent; i++) items[i] = (struct gcs_item){r->spent[i], r->spent_len[i]};
    return items;
}

/* Every element the filter must hold, as gcs items (kept outputs and
 * non-empty spent scripts). */
static size_t filter_elements(const struct row *r, struct gcs_item *out, size_t cap)
{
    size_t n = 0;
    for (size_t t = 0; t < r->block.tx_count; t++) {
        struct wire_txout_iter it;
        struct wire_txout o;
        assert_int_equal(wire_txouts_begin(r->block.raw, &r->block.txs[t], &it, NULL), WIRE_OK);
        while (wire_txouts_next(&it, &o))
            if (o.script_len && o.script[0] != 0x6a && n < cap)
                out[n++] = (struct gcs_item){o.script, o.script_len};
    }
    for (size_t i = 0; i < r->n_spent; i++)
        if (r->spent_len[i] && n < cap) out[n++] = (struct gcs_item){r->spent[i], r->spent_len[i]};
    return n;
}

static void test_every_official_row(void **state)
{
    (void)state;
    json_t *root = load_vectors();
    size_t rows = json_array_size(root);
    assert_int_equal(rows, 11); /* a header line and ten blocks */
    long last_height = -2;
    uint8_t last_header[32] = {0};
    size_t checked = 0, chained = 0;
    for (size_t i = 1; i < rows; i++) {
        struct row r;
        row_parse(json_array_get(root, i), &r);
        uint8_t hash[32];
        blockfilter_block_hash(&r.block, hash);
        assert_memory_equal(hash, r.hash, 32);

        struct gcs_item *spent = spent_items(&r);
        struct buf_writer out;
        buf_writer_init(&out);
        struct blockfilter_detail d;
        assert_int_equal(blockfilter_build_basic(&r.block, spent, r.n_spent, &out, &d),
                         BLOCKFILTER_OK);
        if (out.len != r.filter_len || memcmp(out.data, r.filter, out.len) != 0)
            fail_msg("height %ld (%s): filter differs", r.height, r.note);

        uint8_t fh[32], header[32];
        blockfilter_hash(r.filter, r.filter_len, fh);
        blockfilter_header(fh, r.prev_header, header);
        assert_memory_equal(header, r.header, 32);
        if (r.height == 0) {
            uint8_t zero[32] = {0};
            assert_memory_equal(r.prev_header, zero, 32);
        }
        if (r.height == last_height + 1) {
            assert_memory_equal(r.prev_header, last_header, 32);
            chained++;
        }
        uint8_t chain[1][32];
        blockfilter_header_chain(r.prev_header, (const uint8_t(*)[32])fh, 1, chain);
        assert_memory_equal(chain[0], r.header, 32);

        /* the official filter passes the block's own check, and holds
         * every element (one merged pass and one by one) */
        assert_int_equal(blockfilter_check(&r.block, r.filter, r.filter_len, &d), BLOCKFILTER_OK);
        struct gcs_params params;
        gcs_basic_params(r.hash, &params);
        struct gcs_filter f;
        assert_int_equal(gcs_open(r.filter, r.filter_len, &params, &f), GCS_OK);
        assert_int_equal(gcs_check(&f), GCS_OK);
        struct gcs_item elems[256];
        size_t n = filter_elements(&r, elems, 256);
        assert_true(n < 256);
        bool matched[256];
        size_t hits;
        assert_int_equal(gcs_match_each(&f, elems, n, matched, &hits), GCS_OK);
        assert_int_equal(hits, n);
        for (size_t k = 0; k < n; k++) {
            bool m = false;
            assert_int_equal(gcs_match(&f, elems[k].data, elems[k].len, &m), GCS_OK);
            assert_true(m);
        }
        bool any = true;
        const uint8_t stranger[] = {0x00, 0x14, 0xde, 0xad, 0xbe, 0xef};
        struct gcs_item s = {stranger, sizeof stranger};
        assert_int_equal(gcs_match_any(&f, &s, 1, &any), GCS_OK);
        assert_false(any);

        memcpy(last_header, r.header, 32);
        last_height = r.height;
        checked++;
        free(spent);
        buf_writer_free(&out);
        row_free(&r);
    }
    assert_int_equal(checked, 10);
    assert_int_equal(chained, 1); /* heights 2 → 3 */
    json_decref(root);
}

/* Row `height` of the vectors, parsed. */
static void find_row(long height, struct row *r)
{
    json_t *root = load_vectors();
    for (size_t i = 1; i < json_array_size(root); i++) {
        json_t *a = json_array_get(root, i);
        if (json_integer_value(json_array_get(a, 0)) != height) continue;
        row_parse(a, r);
        /* the strings stay valid only while root lives; the note is not used later */
        r->note = NULL;
        json_decref(root);
        return;
    }
    fail_msg("no row for height %ld", height);
}

/* Filters that lie about block 49291 (several transactions, inputs):
 * one kept output swapped for another script is caught with its place,
 * one left out altogether is caught by N, a malformed one as such. */
static void test_wrong_filters_are_convicted_by_the_block(void **state)
{
    (void)state;
    struct row r;
    find_row(49291, &r);
    uint8_t hash[32];
    blockfilter_block_hash(&r.block, hash);
    struct gcs_params params;
    gcs_basic_params(hash, &params);
    struct gcs_item elems[256];
    size_t n = filter_elements(&r, elems, 256);
    assert_true(n > 3);

    /* element 1 is an output script: find its place in the block */
    size_t want_tx = SIZE_MAX, want_out = SIZE_MAX;
    for (size_t t = 0; t < r.block.tx_count && want_tx == SIZE_MAX; t++) {
        struct wire_txout_iter it;
        struct wire_txout o;
        wire_txouts_begin(r.block.raw, &r.block.txs[t], &it, NULL);
        for (size_t k = 0; wire_txouts_next(&it, &o); k++)
            if (o.script == elems[1].data) {
                want_tx = t;
                want_out = k;
            }
    }
    assert_true(want_tx != SIZE_MAX);
    /* drop every copy of that script, then add an unrelated one: same N */
    struct gcs_item lie[257];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (elems[i].len != elems[1].len || memcmp(elems[i].data, elems[1].data, elems[1].len))
            lie[m++] = elems[i];
    const uint8_t other[] = {0x51, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                             17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33};
    struct buf_writer w;
    buf_writer_init(&w);
    lie[m] = (struct gcs_item){other, sizeof other};
    assert_int_equal(gcs_build(&params, lie, m + 1, &w), GCS_OK);
    struct blockfilter_detail d;
    assert_int_equal(blockfilter_check(&r.block, w.data, w.len, &d), BLOCKFILTER_ERR_MISSING_OUTPUT);
    assert_true(blockfilter_err_proves_wrong(BLOCKFILTER_ERR_MISSING_OUTPUT));
    assert_int_equal(d.tx, want_tx);
    assert_int_equal(d.output, want_out);

    /* without a replacement the filter has fewer elements than outputs */
    buf_writer_reset(&w);
    struct gcs_item outs_only[256];
    size_t n_outs = 0;
    for (size_t i = 0; i < m; i++)
        if (lie[i].data < r.block.raw || lie[i].data >= r.block.raw + r.block.raw_len) continue;
        else outs_only[n_outs++] = lie[i];
    assert_int_equal(gcs_build(&params, outs_only, n_outs, &w), GCS_OK);
    assert_int_equal(blockfilter_check(&r.block, w.data, w.len, &d), BLOCKFILTER_ERR_TOO_FEW);
    assert_true(d.n + 1 == d.distinct);

    /* the empty filter, and one keyed with another block's hash */
    const uint8_t empty[] = {0};
    assert_int_equal(blockfilter_check(&r.block, empty, 1, &d), BLOCKFILTER_ERR_TOO_FEW);
    struct gcs_params wrong_key = params;
    wrong_key.key[0] ^= 1;
    buf_writer_reset(&w);
    assert_int_equal(gcs_build(&wrong_key, elems, n, &w), GCS_OK);
    assert_int_equal(blockfilter_check(&r.block, w.data, w.len, &d), BLOCKFILTER_ERR_MISSING_OUTPUT);

    /* malformed: cut, and with a byte too many */
    assert_int_equal(blockfilter_check(&r.block, r.filter, r.filter_len - 1, &d),
                     BLOCKFILTER_ERR_MALFORMED);
    assert_int_equal(d.gcs, GCS_ERR_TRUNCATED);
    uint8_t *longer = malloc(r.filter_len + 1);
    memcpy(longer, r.filter, r.filter_len);
    longer[r.filter_len] = 0;
    assert_int_equal(blockfilter_check(&r.block, longer, r.filter_len + 1, &d),
                     BLOCKFILTER_ERR_MALFORMED);
    assert_int_equal(d.gcs, GCS_ERR_TRAILING);
    free(longer);
    buf_writer_free(&w);
    row_free(&r);
}

/* The spent scripts must number the non-coinbase inputs: a caller that
 * lost one gets an error, not a wrong filter. */
static void test_spent_script_count_must_match(void **state)
{
    (void)state;
    struct row r;
    find_row(180480, &r); /* spends from an empty script */
    struct gcs_item *spent = spent_items(&r);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_true(r.n_spent > 1);
    assert_int_equal(blockfilter_build_basic(&r.block, spent, r.n_spent - 1, &w, NULL),
                     BLOCKFILTER_ERR_PREVOUT_COUNT);
    assert_int_equal(w.len, 0);
    /* order does not matter: the filter is of a set */
    struct gcs_item t = spent[0];
    spent[0] = spent[r.n_spent - 1];
    spent[r.n_spent - 1] = t;
    assert_int_equal(blockfilter_build_basic(&r.block, spent, r.n_spent, &w, NULL), BLOCKFILTER_OK);
    assert_int_equal(w.len, r.filter_len);
    assert_memory_equal(w.data, r.filter, w.len);
    free(spent);
    buf_writer_free(&w);
    row_free(&r);
}

static void test_header_chain_links_each_to_the_last(void **state)
{
    (void)state;
    uint8_t hashes[3][32], headers[3][32], prev[32] = {0}, one[32];
    for (int i = 0; i < 3; i++) memset(hashes[i], i + 1, 32);
    blockfilter_header_chain(prev, (const uint8_t(*)[32])hashes, 3, headers);
    blockfilter_header(hashes[0], prev, one);
    assert_memory_equal(one, headers[0], 32);
    for (int i = 1; i < 3; i++) {
        blockfilter_header(hashes[i], headers[i - 1], one);
        assert_memory_equal(one, headers[i], 32);
    }
    /* swapping the halves gives another header: the order is fixed */
    blockfilter_header(prev, hashes[0], one);
    assert_memory_not_equal(one, headers[0], 32);
}

static void test_error_names_are_distinct_tokens(void **state)
{
    (void)state;
    for (int a = BLOCKFILTER_OK; a <= BLOCKFILTER_ERR_GCS; a++) {
        const char *sa = blockfilter_err_str((enum blockfilter_err)a);
        assert_null(strchr(sa, ' '));
        assert_string_not_equal(sa, "unknown");
        for (int b = a + 1; b <= BLOCKFILTER_ERR_GCS; b++)
            assert_string_not_equal(sa, blockfilter_err_str((enum blockfilter_err)b));
    }
    assert_false(blockfilter_err_proves_wrong(BLOCKFILTER_ERR_GCS));
    assert_false(blockfilter_err_proves_wrong(BLOCKFILTER_ERR_PREVOUT_COUNT));
    assert_true(blockfilter_err_proves_wrong(BLOCKFILTER_ERR_MALFORMED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_official_row),
        cmocka_unit_test(test_wrong_filters_are_convicted_by_the_block),
        cmocka_unit_test(test_spent_script_count_must_match),
        cmocka_unit_test(test_header_chain_links_each_to_the_last),
        cmocka_unit_test(test_error_names_are_distinct_tokens),
    };
    return test_run_group(tests);
}
