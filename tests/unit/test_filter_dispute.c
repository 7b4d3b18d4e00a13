/* Checkpoint disagreement resolution, the pure part (src/filter/judge.c),
 * on a real block: BIP158's testnet-19 vector at height 49291 (several
 * transactions, spent scripts). Two peers' filter hashes part at the
 * first differing block; there a filter that is not its peer's own (its
 * hash is not what that peer's cfheaders said) or that the block proves
 * wrong convicts its peer; one that differs only in the scripts the
 * inputs spend passes, as the honest one does: no one can be convicted
 * then. */
#include "testutil.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/hex.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct vec {
    struct wire_block block;
    uint8_t *filter;
    size_t filter_len;
    uint8_t **spent;
    size_t *spent_len, n_spent;
};

static void load(long height, struct vec *v)
{
    memset(v, 0, sizeof *v);
    json_error_t jerr;
    json_t *root = json_load_file(test_vector_path("bip158/testnet-19.json"), 0, &jerr);
    if (!root) fail_msg("testnet-19.json: %s", jerr.text);
    for (size_t i = 1; i < json_array_size(root); i++) {
        json_t *a = json_array_get(root, i);
        if (json_integer_value(json_array_get(a, 0)) != height) continue;
        size_t len;
        uint8_t *raw = test_unhex(json_string_value(json_array_get(a, 2)), &len);
        assert_int_equal(wire_block_decode(raw, len, &v->block), WIRE_OK);
        free(raw);
        json_t *spent = json_array_get(a, 3);
        v->n_spent = json_array_size(spent);
        v->spent = calloc(v->n_spent + 1, sizeof *v->spent);
        v->spent_len = calloc(v->n_spent + 1, sizeof *v->spent_len);
        for (size_t k = 0; k < v->n_spent; k++)
            v->spent[k] = test_unhex(json_string_value(json_array_get(spent, k)), &v->spent_len[k]);
        v->filter = test_unhex(json_string_value(json_array_get(a, 5)), &v->filter_len);
        json_decref(root);
        return;
    }
    fail_msg("no row %ld", height);
}

static void vec_free(struct vec *v)
{
    wire_block_free(&v->block);
    for (size_t k = 0; k < v->n_spent; k++) free(v->spent[k]);
    free(v->spent);
    free(v->spent_len);
    free(v->filter);
}

/* BIP158's elements of the block, leaving out output `skip_out` (counted
 * over kept outputs) and spent script `skip_spent` (SIZE_MAX: none). */
static size_t elements(const struct vec *v, size_t skip_out, size_t skip_spent, struct gcs_item *out,
                       size_t cap)
{
    size_t n = 0, kept = 0;
    for (size_t t = 0; t < v->block.tx_count; t++) {
        struct wire_txout_iter it;
        struct wire_txout o;
        assert_int_equal(wire_txouts_begin(v->block.raw, &v->block.txs[t], &it, NULL), WIRE_OK);
        while (wire_txouts_next(&it, &o)) {
            if (!o.script_len || o.script[0] == 0x6a) continue;
            if (kept++ == skip_out) continue;
            assert_true(n < cap);
            out[n++] = (struct gcs_item){o.script, o.script_len};
        }
    }
    for (size_t k = 0; k < v->n_spent; k++) {
        if (k == skip_spent || !v->spent_len[k]) continue;
        assert_true(n < cap);
        out[n++] = (struct gcs_item){v->spent[k], v->spent_len[k]};
    }
    return n;
}

/* A filter of the block's elements (with the skips) into w. */
static void build(const struct vec *v, size_t skip_out, size_t skip_spent, struct buf_writer *w)
{
    uint8_t hash[32];
    struct gcs_params params;
    struct gcs_item items[512];
    blockfilter_block_hash(&v->block, hash);
    gcs_basic_params(hash, &params);
    size_t n = elements(v, skip_out, skip_spent, items, 512);
    buf_writer_reset(w);
    assert_int_equal(gcs_build(&params, items, n, w), GCS_OK);
}

static void test_first_difference(void **state)
{
    (void)state;
    uint8_t a[5][32], b[5][32];
    for (int i = 0; i < 5; i++) {
        memset(a[i], i, 32);
        memset(b[i], i, 32);
    }
    assert_int_equal(blockfilter_first_difference((const uint8_t(*)[32])a, (const uint8_t(*)[32])b, 5), 5);
    b[2][31] ^= 1;
    assert_int_equal(blockfilter_first_difference((const uint8_t(*)[32])a, (const uint8_t(*)[32])b, 5), 2);
    b[0][0] ^= 1;
    assert_int_equal(blockfilter_first_difference((const uint8_t(*)[32])a, (const uint8_t(*)[32])b, 5), 0);
    assert_int_equal(blockfilter_first_difference((const uint8_t(*)[32])a, (const uint8_t(*)[32])b, 0), 0);
}

/* The vector's filter is what our builder makes; it passes, as its own. */
static void test_honest_filter_passes(void **state)
{
    (void)state;
    struct vec v;
    load(49291, &v);
    struct buf_writer w;
    buf_writer_init(&w);
    build(&v, SIZE_MAX, SIZE_MAX, &w);
    assert_int_equal(w.len, v.filter_len);
    assert_memory_equal(w.data, v.filter, v.filter_len);
    uint8_t claimed[32];
    blockfilter_hash(v.filter, v.filter_len, claimed);
    enum blockfilter_err why;
    assert_int_equal(blockfilter_judge(&v.block, v.filter, v.filter_len, claimed, &why, NULL),
                     BLOCKFILTER_VERDICT_PASSES);
    assert_int_equal(why, BLOCKFILTER_OK);
    /* the same filter, against what another filter hashes to: not its own */
    claimed[0] ^= 1;
    assert_int_equal(blockfilter_judge(&v.block, v.filter, v.filter_len, claimed, NULL, NULL),
                     BLOCKFILTER_VERDICT_NOT_ITS_HASH);
    buf_writer_free(&w);
    vec_free(&v);
}

/* Two peers part at a block: one left an output script out (its filter
 * consistent with its own cfheaders, so only the block can tell). */
static void test_liar_missing_an_output_is_convicted(void **state)
{
    (void)state;
    struct vec v;
    load(49291, &v);
    struct buf_writer lie;
    buf_writer_init(&lie);
    build(&v, 1, SIZE_MAX, &lie);
    uint8_t hashes[2][3][32]; /* [peer][block]: the blocks before agree */
    memset(hashes, 0x11, sizeof hashes);
    blockfilter_hash(v.filter, v.filter_len, hashes[0][2]);
    blockfilter_hash(lie.data, lie.len, hashes[1][2]);
    size_t at = blockfilter_first_difference((const uint8_t(*)[32])hashes[0], (const uint8_t(*)[32])hashes[1], 3);
    assert_int_equal(at, 2);
    enum blockfilter_err why;
    struct blockfilter_detail d;
    assert_int_equal(blockfilter_judge(&v.block, v.filter, v.filter_len, hashes[0][at], &why, &d),
                     BLOCKFILTER_VERDICT_PASSES);
    assert_int_equal(blockfilter_judge(&v.block, lie.data, lie.len, hashes[1][at], &why, &d),
                     BLOCKFILTER_VERDICT_PROVEN_WRONG);
    assert_true(why == BLOCKFILTER_ERR_MISSING_OUTPUT || why == BLOCKFILTER_ERR_TOO_FEW);
    /* a liar that sends the honest filter while its cfheaders committed to
     * its lie contradicts itself */
    assert_int_equal(blockfilter_judge(&v.block, v.filter, v.filter_len, hashes[1][at], NULL, NULL),
                     BLOCKFILTER_VERDICT_NOT_ITS_HASH);
    buf_writer_free(&lie);
    vec_free(&v);
}

/* A filter that leaves out a spent script only: the block cannot show
 * it (no UTXO set), so both pass and no one is convicted. */
static void test_difference_in_spent_scripts_cannot_be_settled(void **state)
{
    (void)state;
    struct vec v;
    load(49291, &v);
    assert_true(v.n_spent > 0);
    struct buf_writer other;
    buf_writer_init(&other);
    size_t k = 0;
    while (k < v.n_spent && !v.spent_len[k]) k++;
    assert_true(k < v.n_spent);
    build(&v, SIZE_MAX, k, &other);
    assert_true(other.len != v.filter_len || memcmp(other.data, v.filter, v.filter_len) != 0);
    uint8_t h_honest[32], h_other[32];
    blockfilter_hash(v.filter, v.filter_len, h_honest);
    blockfilter_hash(other.data, other.len, h_other);
    assert_memory_not_equal(h_honest, h_other, 32);
    assert_int_equal(blockfilter_judge(&v.block, v.filter, v.filter_len, h_honest, NULL, NULL),
                     BLOCKFILTER_VERDICT_PASSES);
    assert_int_equal(blockfilter_judge(&v.block, other.data, other.len, h_other, NULL, NULL),
                     BLOCKFILTER_VERDICT_PASSES);
    buf_writer_free(&other);
    vec_free(&v);
}

static void test_verdict_names(void **state)
{
    (void)state;
    const char *names[4];
    for (int i = 0; i < 4; i++) {
        names[i] = blockfilter_verdict_str((enum blockfilter_verdict)i);
        assert_string_not_equal(names[i], "unknown");
        for (int j = 0; j < i; j++) assert_string_not_equal(names[i], names[j]);
    }
    assert_string_equal(blockfilter_verdict_str((enum blockfilter_verdict)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_difference),
        cmocka_unit_test(test_honest_filter_passes),
        cmocka_unit_test(test_liar_missing_an_output_is_convicted),
        cmocka_unit_test(test_difference_in_spent_scripts_cannot_be_settled),
        cmocka_unit_test(test_verdict_names),
    };
    return test_run_group(tests);
}
