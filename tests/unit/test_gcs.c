/* Golomb-coded sets (BIP158) and the SipHash under them: the BIP's
 * Golomb-Rice table, SipHash's published vectors, build/decode/match
 * agreement, the multi-item pass against single matches, and hostile
 * filters (lying N, truncations, trailing bytes, endless unary runs).
 * The official block vectors are in test_blockfilter.c. */
#include "testutil.h"

#include "filter/bitstream.h"

#include <btcpeerd/gcs.h>
#include <btcpeerd/siphash.h>

#include <stdlib.h>
#include <string.h>

/* SipHash-2-4 with key 00..0f over messages 00, 00 01, ... (the SipHash
 * paper's appendix and its reference vectors_sip64[0..2] and [15]). */
static void test_siphash_reference_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[16];
    for (int i = 0; i < 16; i++) key[i] = msg[i] = (uint8_t)i;
    struct siphash *h = siphash_new(key);
    assert_non_null(h);
    const struct { size_t len; uint64_t want; } v[] = {
        {0, 0x726fdb47dd0e0e31ull}, {1, 0x74f839c593dc67fdull},
        {2, 0x0d6c8009d9a94f5aull}, {15, 0xa129ca6149be45e5ull},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint64_t got;
        assert_true(siphash24(h, msg, v[i].len, &got));
        assert_true(got == v[i].want);
    }
    /* the keyed state is restored for every message: same input, same tag */
    uint64_t a, b;
    assert_true(siphash24(h, msg, 15, &a));
    assert_true(siphash24(h, msg, 15, &b));
    assert_true(a == b && a == 0xa129ca6149be45e5ull);
    siphash_free(h);
}

static void test_hash_to_range_keeps_the_high_half(void **state)
{
    (void)state;
    uint64_t f = 20000ull * GCS_BASIC_M;
    assert_true(gcs_hash_to_range(0, f) == 0);
    assert_true(gcs_hash_to_range(UINT64_MAX, f) == f - 1);
    assert_true(gcs_hash_to_range(1ull << 63, f) == f / 2);
    assert_true(gcs_hash_to_range(UINT64_MAX, UINT64_MAX) == UINT64_MAX - 1);
    /* a product whose low half alone would be wrong */
    assert_true(gcs_hash_to_range(0x8000000000000001ull, 3) == 1);
}

/* BIP158's table of Golomb-Rice codes for P = 2, values 0..9. */
static void test_golomb_rice_table_p2(void **state)
{
    (void)state;
    const char *codes[] = {"000", "001", "010", "011", "1000",
                           "1001", "1010", "1011", "11000", "11001"};
    char want_bits[128] = "";
    for (int i = 0; i < 10; i++) strcat(want_bits, codes[i]);
    struct buf_writer out;
    buf_writer_init(&out);
    struct bit_writer w;
    bit_writer_init(&w, &out);
    for (uint64_t x = 0; x < 10; x++) {
        bit_write_unary(&w, x >> 2);
        bit_write(&w, x, 2);
    }
    bit_writer_flush(&w);
    size_t nbits = strlen(want_bits);
    assert_int_equal(out.len, (nbits + 7) / 8);
    for (size_t i = 0; i < out.len * 8; i++) {
        int bit = out.data[i / 8] >> (7 - i % 8) & 1;
        assert_int_equal(bit, i < nbits ? want_bits[i] - '0' : 0); /* zero padding */
    }
    struct bit_reader r;
    bit_reader_init(&r, out.data, out.len);
    for (uint64_t x = 0; x < 10; x++) {
        uint64_t q = 0, rem = 0;
        assert_true(bit_read_unary(&r, &q));
        assert_true(bit_read_bits(&r, 2, &rem));
        assert_true((q << 2 | rem) == x);
    }
    buf_writer_free(&out);
}

/* Long unary runs cross the reader's window and its 8-byte refills. */
static void test_bitstream_long_quotients(void **state)
{
    (void)state;
    const uint64_t q[] = {0, 63, 64, 65, 200, 1, 127, 0, 1000};
    struct buf_writer out;
    buf_writer_init(&out);
    struct bit_writer w;
    bit_writer_init(&w, &out);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        bit_write_unary(&w, q[i]);
        bit_write(&w, 0x5a5a5u + i, 19);
    }
    bit_writer_flush(&w);
    struct bit_reader r;
    bit_reader_init(&r, out.data, out.len);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        uint64_t got = 0, rem = 0;
        assert_true(bit_read_unary(&r, &got));
        assert_true(got == q[i]);
        assert_true(bit_read_bits(&r, 19, &rem));
        assert_true(rem == ((0x5a5a5u + i) & 0x7ffff));
    }
    assert_int_equal(bit_reader_untouched_bytes(&r), 0);
    uint64_t more = 0;
    assert_false(bit_read_bits(&r, 19, &more)); /* only padding is left */
    buf_writer_free(&out);
}

struct item_set {
    uint8_t (*bytes)[34];
    struct gcs_item *items;
    size_t n;
};

/* n pseudo-random scripts of 22 to 34 bytes. */
static void make_items(struct item_set *s, size_t n, uint64_t seed)
{
    s->bytes = malloc(n * sizeof *s->bytes);
    s->items = malloc(n * sizeof *s->items);
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        test_random_bytes(&seed, s->bytes[i], 34);
        s->items[i] = (struct gcs_item){s->bytes[i], 22 + s->bytes[i][0] % 13};
    }
}

static void free_items(struct item_set *s)
{
    free(s->bytes);
    free(s->items);
}

static void test_params(struct gcs_params *p, uint8_t fill)
{
    uint8_t hash[32];
    memset(hash, fill, sizeof hash);
    gcs_basic_params(hash, p);
}

static void test_build_decode_and_match_members(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 0x42);
    struct item_set s;
    make_items(&s, 1000, 7);
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(gcs_build(&p, s.items, s.n, &out), GCS_OK);
    struct gcs_filter f;
    assert_int_equal(gcs_open(out.data, out.len, &p, &f), GCS_OK);
    assert_true(f.n == 1000 && f.f == 1000ull * GCS_BASIC_M);
    assert_int_equal(gcs_check(&f), GCS_OK);
    uint64_t *values = malloc(f.n * sizeof *values);
    assert_int_equal(gcs_decode(&f, values), GCS_OK);
    for (size_t i = 1; i < f.n; i++) assert_true(values[i - 1] <= values[i]);
    assert_true(values[f.n - 1] < f.f);
    /* each member hashes to a decoded value and matches */
    struct siphash *h = siphash_new(p.key);
    for (size_t i = 0; i < s.n; i++) {
        uint64_t v = 0;
        assert_true(siphash24(h, s.items[i].data, s.items[i].len, &v));
        v = gcs_hash_to_range(v, f.f);
        size_t lo = 0, hi = f.n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (values[mid] < v) lo = mid + 1; else hi = mid;
        }
        assert_true(lo < f.n && values[lo] == v);
        bool m = false;
        assert_int_equal(gcs_match(&f, s.items[i].data, s.items[i].len, &m), GCS_OK);
        assert_true(m);
    }
    siphash_free(h);
    /* about 8 bytes per 3 elements at P = 19: (19 + 2) bits each, roughly */
    assert_true(out.len > 1000 * 20 / 8 && out.len < 1000 * 23 / 8);
    free(values);
    buf_writer_free(&out);
    free_items(&s);
}

/* A small M makes false positives common enough to count: with M = 16
 * about one non-member in 16 matches. Deterministic seeds; the bounds are
 * ±5 standard deviations. */
static void test_false_positive_rate_follows_m(void **state)
{
    (void)state;
    struct gcs_params p = {.p = 4, .m = 16};
    memset(p.key, 9, sizeof p.key);
    struct item_set s, q;
    make_items(&s, 1000, 11);
    make_items(&q, 20000, 12);
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(gcs_build(&p, s.items, s.n, &out), GCS_OK);
    struct gcs_filter f;
    assert_int_equal(gcs_open(out.data, out.len, &p, &f), GCS_OK);
    bool *matched = malloc(q.n * sizeof *matched);
    size_t hits = 0;
    assert_int_equal(gcs_match_each(&f, q.items, q.n, matched, &hits), GCS_OK);
    assert_true(hits > 1250 - 170 && hits < 1250 + 170);
    free(matched);
    buf_writer_free(&out);
    free_items(&s);
    free_items(&q);
}

/* The merged pass agrees with one gcs_match per item, for members,
 * non-members, duplicates in the query and an empty query. */
static void test_match_each_agrees_with_single_matches(void **state)
{
    (void)state;
    struct gcs_params p = {.p = 6, .m = 64};
    memset(p.key, 3, sizeof p.key);
    struct item_set s, q;
    make_items(&s, 500, 21);
    make_items(&q, 3000, 22);
    for (size_t i = 0; i < 3000; i += 7) q.items[i] = s.items[(i * 13) % 500]; /* members */
    q.items[1] = q.items[2];                                                  /* a duplicate */
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(gcs_build(&p, s.items, s.n, &out), GCS_OK);
    struct gcs_filter f;
    assert_int_equal(gcs_open(out.data, out.len, &p, &f), GCS_OK);
    bool *matched = malloc(q.n * sizeof *matched);
    size_t hits = 0, singles = 0;
    assert_int_equal(gcs_match_each(&f, q.items, q.n, matched, &hits), GCS_OK);
    for (size_t i = 0; i < q.n; i++) {
        bool m = false;
        assert_int_equal(gcs_match(&f, q.items[i].data, q.items[i].len, &m), GCS_OK);
        assert_int_equal(m, matched[i]);
        singles += m;
        if (i % 7 == 0) assert_true(matched[i]);
    }
    assert_int_equal(hits, singles);
    assert_true(hits >= 3000 / 7);
    bool any = true;
    assert_int_equal(gcs_match_any(&f, q.items, 0, &any), GCS_OK);
    assert_false(any);
    assert_int_equal(gcs_match_any(&f, q.items, q.n, &any), GCS_OK);
    assert_true(any);
    /* non-members only, with a real M: no match expected for 100 of them */
    struct gcs_params bp;
    test_params(&bp, 0x77);
    buf_writer_reset(&out);
    assert_int_equal(gcs_build(&bp, s.items, s.n, &out), GCS_OK);
    assert_int_equal(gcs_open(out.data, out.len, &bp, &f), GCS_OK);
    assert_int_equal(gcs_match_any(&f, q.items + 1, 6, &any), GCS_OK);
    assert_false(any);
    assert_int_equal(gcs_match_any(&f, q.items + 1, 7, &any), GCS_OK); /* q[7] is a member */
    assert_true(any);
    free(matched);
    buf_writer_free(&out);
    free_items(&s);
    free_items(&q);
}

static void test_duplicates_count_once_and_empty_set(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 1);
    struct item_set s;
    make_items(&s, 50, 31);
    struct gcs_item twice[100];
    for (size_t i = 0; i < 100; i++) twice[i] = s.items[(i * 37) % 50];
    struct buf_writer a, b;
    buf_writer_init(&a);
    buf_writer_init(&b);
    assert_int_equal(gcs_build(&p, s.items, s.n, &a), GCS_OK);
    assert_int_equal(gcs_build(&p, twice, 100, &b), GCS_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(a.data[0], 50);
    /* the empty set is one zero byte; it matches nothing */
    buf_writer_reset(&a);
    assert_int_equal(gcs_build(&p, NULL, 0, &a), GCS_OK);
    assert_int_equal(a.len, 1);
    assert_int_equal(a.data[0], 0);
    struct gcs_filter f;
    assert_int_equal(gcs_open(a.data, a.len, &p, &f), GCS_OK);
    assert_int_equal(gcs_check(&f), GCS_OK);
    bool m = true;
    assert_int_equal(gcs_match(&f, s.bytes[0], 22, &m), GCS_OK);
    assert_false(m);
    buf_writer_free(&a);
    buf_writer_free(&b);
    free_items(&s);
}

/* N is read off the filter: it must be bounded before anything trusts it. */
static void test_lying_n_is_refused_before_decoding(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 2);
    struct gcs_filter f;
    /* 100,000,000 elements claimed in 13 bytes: above Core's MAX_SIZE */
    const uint8_t huge[] = {0xfe, 0x00, 0xe1, 0xf5, 0x05, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(gcs_open(huge, sizeof huge, &p, &f), GCS_ERR_TOO_MANY);
    /* 30,000,000 claimed (under MAX_SIZE) in 8 bytes of deltas */
    const uint8_t many[] = {0xfe, 0x80, 0xc3, 0xc9, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(gcs_open(many, sizeof many, &p, &f), GCS_ERR_TRUNCATED);
    /* exactly the most elements 5 bytes can hold at P + 1 = 20 bits: 2 */
    const uint8_t two[] = {2, 0, 0, 0, 0, 0};
    assert_int_equal(gcs_open(two, sizeof two, &p, &f), GCS_OK);
    assert_int_equal(gcs_check(&f), GCS_OK); /* deltas 0 and 0 */
    const uint8_t three[] = {3, 0, 0, 0, 0, 0};
    assert_int_equal(gcs_open(three, sizeof three, &p, &f), GCS_ERR_TRUNCATED);
    const uint8_t noncanon[] = {0xfd, 0x01, 0x00, 0};
    assert_int_equal(gcs_open(noncanon, sizeof noncanon, &p, &f), GCS_ERR_NONCANONICAL);
    assert_int_equal(gcs_open(NULL, 0, &p, &f), GCS_ERR_TRUNCATED);
    assert_int_equal(gcs_open(huge, GCS_MAX_FILTER_LEN + 1ull, &p, &f), GCS_ERR_TOO_LONG);
    struct gcs_params bad = p;
    bad.p = 0;
    assert_int_equal(gcs_open(two, sizeof two, &bad, &f), GCS_ERR_BAD_PARAMS);
    bad.p = 19;
    bad.m = 0;
    assert_int_equal(gcs_build(&bad, NULL, 0, NULL), GCS_ERR_BAD_PARAMS);
}

static void test_endless_unary_and_trailing_bytes(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 3);
    struct gcs_filter f;
    uint8_t ones[41];
    memset(ones, 0xff, sizeof ones);
    ones[0] = 1; /* N = 1, then 320 one bits: the quotient never ends */
    assert_int_equal(gcs_open(ones, sizeof ones, &p, &f), GCS_OK);
    assert_int_equal(gcs_check(&f), GCS_ERR_TRUNCATED);
    bool m = false;
    assert_int_equal(gcs_match(&f, ones, 5, &m), GCS_ERR_TRUNCATED);
    assert_false(m);
    const uint8_t zero_extra[] = {0, 0};
    assert_int_equal(gcs_open(zero_extra, 2, &p, &f), GCS_OK);
    assert_int_equal(gcs_check(&f), GCS_ERR_TRAILING);

    struct item_set s;
    make_items(&s, 300, 41);
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(gcs_build(&p, s.items, s.n, &out), GCS_OK);
    /* a whole extra byte after the last element is refused; padding is not read */
    uint8_t *longer = malloc(out.len + 1);
    memcpy(longer, out.data, out.len);
    longer[out.len] = 0;
    assert_int_equal(gcs_open(longer, out.len + 1, &p, &f), GCS_OK);
    assert_int_equal(gcs_check(&f), GCS_ERR_TRAILING);
    free(longer);
    /* every proper prefix fails cleanly, each in a buffer of exactly its size */
    for (size_t cut = 0; cut < out.len; cut++) {
        uint8_t *pre = malloc(cut ? cut : 1);
        memcpy(pre, out.data, cut);
        enum gcs_err e = gcs_open(pre, cut, &p, &f);
        if (e == GCS_OK) e = gcs_check(&f);
        assert_int_equal(e, GCS_ERR_TRUNCATED);
        free(pre);
    }
    buf_writer_free(&out);
    free_items(&s);
}

/* Random bytes as filters: any answer, no crash, no overread (ASan). */
static void test_random_filters_never_overread(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 4);
    uint64_t seed = 99;
    struct item_set q;
    make_items(&q, 40, 5);
    for (int round = 0; round < 3000; round++) {
        uint8_t lb[2];
        test_random_bytes(&seed, lb, 2);
        size_t len = (size_t)(lb[0] | lb[1] << 8) % 600;
        uint8_t *buf = malloc(len ? len : 1);
        test_random_bytes(&seed, buf, len);
        if (len && round % 2) buf[0] = (uint8_t)(buf[0] % 64); /* plausible N */
        struct gcs_filter f;
        if (gcs_open(buf, len, &p, &f) == GCS_OK) {
            assert_true(f.n * (p.p + 1) <= f.bits_len * 8);
            bool any, matched[40];
            enum gcs_err e = gcs_check(&f);
            assert_true(e == GCS_OK || e == GCS_ERR_TRUNCATED || e == GCS_ERR_TRAILING);
            e = gcs_match_any(&f, q.items, q.n, &any);
            assert_true(e == GCS_OK || e == GCS_ERR_TRUNCATED);
            e = gcs_match_each(&f, q.items, q.n, matched, NULL);
            assert_true(e == GCS_OK || e == GCS_ERR_TRUNCATED);
        }
        free(buf);
    }
    free_items(&q);
}

/* A filter of realistic size (20,000 elements) keeps every member. */
static void test_large_filter_keeps_every_member(void **state)
{
    (void)state;
    struct gcs_params p;
    test_params(&p, 5);
    struct item_set s;
    make_items(&s, 20000, 51);
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(gcs_build(&p, s.items, s.n, &out), GCS_OK);
    struct gcs_filter f;
    assert_int_equal(gcs_open(out.data, out.len, &p, &f), GCS_OK);
    assert_true(f.n == 20000);
    assert_int_equal(gcs_check(&f), GCS_OK);
    bool *matched = malloc(s.n * sizeof *matched);
    size_t hits;
    assert_int_equal(gcs_match_each(&f, s.items, s.n, matched, &hits), GCS_OK);
    assert_int_equal(hits, s.n);
    free(matched);
    buf_writer_free(&out);
    free_items(&s);
}

static void test_error_names_are_distinct_tokens(void **state)
{
    (void)state;
    for (int a = GCS_OK; a <= GCS_ERR_NOMEM; a++) {
        const char *sa = gcs_err_str((enum gcs_err)a);
        assert_null(strchr(sa, ' '));
        assert_string_not_equal(sa, "unknown");
        for (int b = a + 1; b <= GCS_ERR_NOMEM; b++)
            assert_string_not_equal(sa, gcs_err_str((enum gcs_err)b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_reference_vectors),
        cmocka_unit_test(test_hash_to_range_keeps_the_high_half),
        cmocka_unit_test(test_golomb_rice_table_p2),
        cmocka_unit_test(test_bitstream_long_quotients),
        cmocka_unit_test(test_build_decode_and_match_members),
        cmocka_unit_test(test_false_positive_rate_follows_m),
        cmocka_unit_test(test_match_each_agrees_with_single_matches),
        cmocka_unit_test(test_duplicates_count_once_and_empty_set),
        cmocka_unit_test(test_lying_n_is_refused_before_decoding),
        cmocka_unit_test(test_endless_unary_and_trailing_bytes),
        cmocka_unit_test(test_random_filters_never_overread),
        cmocka_unit_test(test_large_filter_keeps_every_member),
        cmocka_unit_test(test_error_names_are_distinct_tokens),
    };
    return test_run_group(tests);
}
