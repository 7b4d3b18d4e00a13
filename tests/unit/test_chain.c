/* The header index: real mainnet and signet headers validate from genesis;
 * each way a header can be wrong is rejected with its own reason; the
 * testnet3, testnet4 (BIP94) and signet difficulty rules on synthetic
 * chains; reorgs both ways; the locator's shape.
 *
 * Synthetic chains use a copy of a network's rules with an easy pow limit
 * (as Core's tests use regtest-like limits) and a freshly mined genesis, so
 * every header mines in a handful of hashes. */
#include "testutil.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/pow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000u
#define FAR_FUTURE ((int64_t)T0 + 100000000)
#define LIMIT_BITS 0x207fffffu /* compact of the easy limit below */

/* ---- helpers ---- */

static void mine(const struct netparams *np, struct wire_header *h)
{
    for (;; h->nonce++) {
        uint8_t hash[32];
        wire_header_hash(h, hash);
        if (pow_check(np, hash, h->bits) == POW_OK) return;
    }
}

/* base's rules, pow limit 7fffff00…00, a new genesis at T0 with genesis_bits. */
static void easy_params(struct netparams *np, enum net_id base, uint32_t genesis_bits)
{
    *np = *netparams_get(base);
    memset(np->pow_limit, 0, sizeof np->pow_limit);
    np->pow_limit[0] = 0x7f;
    np->pow_limit[1] = 0xff;
    np->pow_limit[2] = 0xff;
    struct wire_header g = {.version = 1, .time = T0, .bits = genesis_bits};
    memset(g.merkle_root, 0x42, 32);
    mine(np, &g);
    wire_header_serialize(&g, np->genesis_header);
    wire_header_hash(&g, np->genesis_hash);
}

struct anc {
    const struct chain *c;
    const struct chain_entry *from;
};

static bool anc_cb(void *ctx, int32_t height, struct pow_block *out)
{
    struct anc *a = ctx;
    const struct chain_entry *e = chain_ancestor(a->c, a->from, height);
    if (!e) return false;
    *out = (struct pow_block){e->height, e->time, e->bits, e};
    return true;
}

static uint32_t required_bits(const struct chain *c, const struct chain_entry *parent, uint32_t time)
{
    struct pow_block last = {parent->height, parent->time, parent->bits, parent};
    struct anc a = {c, parent};
    uint32_t bits = 0;
    assert_true(pow_next_bits(chain_params(c), &last, time, anc_cb, &a, NULL, &bits));
    return bits;
}

/* A header on parent with the given fields, mined; bits 0 = the required. */
static struct wire_header make_header(const struct chain *c, const struct chain_entry *parent,
                                      uint32_t time, uint32_t bits, int32_t version)
{
    static uint32_t serial; /* keeps sibling headers distinct */
    struct wire_header h = {.version = version, .time = time};
    memcpy(h.prev_hash, parent->hash, 32);
    serial++;
    memcpy(h.merkle_root, &serial, sizeof serial);
    h.bits = bits ? bits : required_bits(c, parent, time);
    mine(chain_params(c), &h);
    return h;
}

static const struct chain_entry *add_ok(struct chain *c, const struct wire_header *h)
{
    const struct chain_entry *e = NULL;
    enum chain_err err = chain_add_header(c, h, FAR_FUTURE, &e);
    if (err != CHAIN_OK) fail_msg("add: %s", chain_err_str(err));
    assert_non_null(e);
    return e;
}

static void expect(struct chain *c, const struct wire_header *h, int64_t now, enum chain_err want)
{
    const struct chain_entry *e = (const struct chain_entry *)1;
    enum chain_err got = chain_add_header(c, h, now, &e);
    if (got != want) fail_msg("want %s, got %s", chain_err_str(want), chain_err_str(got));
    if (want != CHAIN_OK && want != CHAIN_DUPLICATE) assert_null(e);
}

/* n headers on parent, each `spacing` after the last, required bits. */
static const struct chain_entry *extend(struct chain *c, const struct chain_entry *parent, int n,
                                        uint32_t spacing, int32_t version)
{
    for (int i = 0; i < n; i++) {
        struct wire_header h = make_header(c, parent, parent->time + spacing, 0, version);
        parent = add_ok(c, &h);
    }
    return parent;
}

static void hash_hex(const uint8_t hash[32], char out[65])
{
    hex_encode_rev(hash, 32, out);
}

/* ---- real headers ---- */

static struct chain *load_real(const struct netparams *np, const char *file, size_t *count,
                               struct wire_header *last)
{
    size_t len;
    uint8_t *data = test_read_file(test_vector_path(file), &len);
    assert_int_equal(len % 80, 0);
    size_t n = len / 80;
    struct wire_header h;
    wire_header_parse(data + (n - 1) * 80, &h);
    const int64_t now = (int64_t)h.time + 86400;
    struct chain *c = chain_new(np);
    assert_non_null(c);
    for (size_t i = 1; i < n; i++) {
        wire_header_parse(data + i * 80, &h);
        enum chain_err err = chain_add_header(c, &h, now, NULL);
        if (err != CHAIN_OK) fail_msg("%s height %zu: %s", file, i, chain_err_str(err));
    }
    free(data);
    *count = n;
    *last = h;
    return c;
}

static void test_mainnet_headers_validate_from_genesis(void **state)
{
    (void)state;
    size_t n;
    struct wire_header last;
    struct chain *c = load_real(netparams_get(NET_MAIN), "headers/mainnet-0-10236.bin", &n, &last);
    assert_int_equal(n, 10237);
    assert_int_equal(chain_height(c), 10236);
    assert_int_equal(chain_count(c), 10237);
    char hex[65];
    hash_hex(chain_tip(c)->hash, hex);
    assert_string_equal(hex, "000000004f74d42205b9d7ae1cb5c1591e723894a71358fce73b7e0919628161");
    hash_hex(chain_at_height(c, 0)->hash, hex);
    assert_string_equal(hex, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    /* Every block at 0x1d00ffff: work is 10,237 × 0x100010001. */
    const struct u256 *w = &chain_tip(c)->work;
    uint64_t want = 10237ull * 0x100010001ull;
    assert_int_equal(w->w[0], (uint32_t)want);
    assert_int_equal(w->w[1], (uint32_t)(want >> 32));
    for (int i = 2; i < 8; i++) assert_int_equal(w->w[i], 0);
    for (int32_t h = 0; h <= 10236; h += 1000) {
        const struct chain_entry *e = chain_at_height(c, h);
        assert_int_equal(e->height, h);
        assert_ptr_equal(chain_lookup(c, e->hash), e);
        assert_true(chain_contains(c, e));
    }
    assert_null(chain_at_height(c, 10237));
    assert_null(chain_at_height(c, -1));

    /* Known again: a distinct code, the same entry. */
    const struct chain_entry *e = NULL;
    assert_int_equal(chain_add_header(c, &last, FAR_FUTURE, &e), CHAIN_DUPLICATE);
    assert_ptr_equal(e, chain_tip(c));

    /* Mutations of the last real header (context-free checks come first,
     * so these are the ones a real header can show without re-mining). */
    struct wire_header m = last;
    m.nonce++;
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_POW);
    m = last;
    m.bits = 0x1d80ffff; /* negative */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);
    m.bits = 0x1e00ffff; /* above the pow limit */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);
    m.bits = 0xff123456; /* overflow */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);
    m.bits = 0x1d000000; /* zero */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);
    assert_int_equal(chain_count(c), 10237);

    chain_free(c);
}

static void test_signet_headers_validate_from_genesis(void **state)
{
    (void)state;
    size_t n;
    struct wire_header last;
    struct chain *c = load_real(netparams_get(NET_SIGNET), "headers/signet-0-2015.bin", &n, &last);
    assert_int_equal(n, 2016);
    assert_int_equal(chain_height(c), 2015);
    char hex[65];
    hash_hex(chain_tip(c)->hash, hex);
    assert_string_equal(hex, "000000c0a3841a6ae64c45864ae25314b40fd522bfb299a4b6bd5ef288cae74d");
    assert_int_equal(chain_tip(c)->bits, 0x1e0377ae);
    chain_free(c);
}

static void test_time_too_new_depends_on_now(void **state)
{
    (void)state;
    /* The real mainnet header 1 is two hours past a `now` just before it. */
    size_t len;
    uint8_t *data = test_read_file(test_vector_path("headers/mainnet-0-10236.bin"), &len);
    struct wire_header h1;
    wire_header_parse(data + 80, &h1);
    free(data);
    struct chain *c = chain_new(netparams_get(NET_MAIN));
    assert_non_null(c);
    expect(c, &h1, (int64_t)h1.time - CHAIN_MAX_FUTURE_TIME - 1, CHAIN_ERR_TIME_TOO_NEW);
    expect(c, &h1, (int64_t)h1.time - CHAIN_MAX_FUTURE_TIME, CHAIN_OK);
    chain_free(c);
}

static void test_index_memory_per_header(void **state)
{
    (void)state;
    /* 100,000 regtest headers (limit nBits throughout, so no rule lookups
     * in the loop): the index must stay within 150 bytes a header. */
    const struct netparams *np = netparams_get(NET_REGTEST);
    struct chain *c = chain_new(np);
    assert_non_null(c);
    const struct chain_entry *p = chain_tip(c);
    for (int i = 0; i < 100000; i++) {
        struct wire_header h = {.version = 4, .time = p->time + 600, .bits = LIMIT_BITS};
        memcpy(h.prev_hash, p->hash, 32);
        mine(np, &h);
        p = add_ok(c, &h);
    }
    assert_int_equal(chain_height(c), 100000);
    size_t mem = chain_memory(c);
    printf("index memory: %zu bytes for %zu headers (%.1f bytes/header)\n", mem, chain_count(c),
           (double)mem / (double)chain_count(c));
    assert_true(mem / chain_count(c) <= 150);
    chain_free(c);
}

/* ---- each rejection, on a synthetic mainnet-rules chain ---- */

static void test_each_mutation_has_its_own_reason(void **state)
{
    (void)state;
    struct netparams np;
    easy_params(&np, NET_MAIN, LIMIT_BITS);
    np.bip34_height = 16;
    np.bip66_height = 18;
    np.bip65_height = 20;
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    /* Version 1 is fine below the BIP34 height. */
    const struct chain_entry *p = extend(c, chain_tip(c), 15, 600, 1);
    assert_int_equal(p->height, 15);

    struct wire_header good = make_header(c, p, p->time + 600, 0, 2);

    struct wire_header m = good;
    m.prev_hash[0] ^= 1;
    mine(&np, &m);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_UNKNOWN_PARENT);

    m = good;
    m.bits = 0x2003ffff; /* a valid target, not the required one */
    mine(&np, &m);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);

    m = good;
    m.bits = 0x20ffffff; /* negative */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);
    m.bits = 0x2100ffff; /* above the pow limit */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS_ENCODING);

    const uint32_t mtp = chain_median_time_past(p);
    assert_int_equal(mtp, p->time - 5 * 600); /* evenly spaced: the sixth back */
    m = make_header(c, p, mtp, 0, 2);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_TIME_TOO_OLD);
    m = make_header(c, p, mtp - 1, 0, 2);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_TIME_TOO_OLD);
    m = make_header(c, p, mtp + 1, 0, 2);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);

    const int64_t now = (int64_t)p->time;
    m = make_header(c, p, (uint32_t)(now + CHAIN_MAX_FUTURE_TIME + 1), 0, 2);
    expect(c, &m, now, CHAIN_ERR_TIME_TOO_NEW);
    m = make_header(c, p, (uint32_t)(now + CHAIN_MAX_FUTURE_TIME), 0, 2);
    expect(c, &m, now, CHAIN_OK);

    m = good;
    uint8_t hash[32];
    do {
        m.nonce++;
        wire_header_hash(&m, hash);
    } while (pow_check(&np, hash, m.bits) == POW_OK);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_POW);

    m = make_header(c, p, p->time + 600, 0, 1); /* height 16 = BIP34 */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_VERSION);

    expect(c, &good, FAR_FUTURE, CHAIN_OK);
    expect(c, &good, FAR_FUTURE, CHAIN_DUPLICATE);
    assert_int_equal(chain_height(c), 16);

    /* BIP66 at 18 wants 3, BIP65 at 20 wants 4. */
    p = extend(c, chain_tip(c), 1, 600, 2); /* 17 */
    m = make_header(c, p, p->time + 600, 0, 2);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_VERSION);
    p = extend(c, p, 2, 600, 3); /* 18, 19 */
    m = make_header(c, p, p->time + 600, 0, 3);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_VERSION);
    m = make_header(c, p, p->time + 600, 0, -1); /* negative: below 4 too */
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_VERSION);
    p = extend(c, p, 1, 600, 4);
    assert_int_equal(chain_height(c), 20);

    /* Every code has its own name. */
    for (int a = CHAIN_OK; a <= CHAIN_ERR_NOMEM; a++)
        for (int b = a + 1; b <= CHAIN_ERR_NOMEM; b++)
            assert_string_not_equal(chain_err_str((enum chain_err)a), chain_err_str((enum chain_err)b));
    chain_free(c);
}

/* ---- testnet3 ---- */

static void test_testnet3_min_difficulty_after_20_minutes(void **state)
{
    (void)state;
    const uint32_t B = 0x2007ffff;
    struct netparams np;
    easy_params(&np, NET_TESTNET3, B);
    np.bip34_height = np.bip66_height = np.bip65_height = 1;
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    const struct chain_entry *g = chain_tip(c);

    /* On time: the real difficulty, the limit is refused. */
    struct wire_header m = make_header(c, g, g->time + 600, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    const struct chain_entry *h1 = add_ok(c, (struct wire_header[]){make_header(c, g, g->time + 600, B, 4)});

    /* Exactly 20 minutes is not late enough; one second more is, and then
     * the limit is the only nBits accepted. */
    m = make_header(c, h1, h1->time + 1200, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    m = make_header(c, h1, h1->time + 1201, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    const struct chain_entry *h2 = add_ok(c, (struct wire_header[]){make_header(c, h1, h1->time + 1201, LIMIT_BITS, 4)});
    const struct chain_entry *h3 = add_ok(c, (struct wire_header[]){make_header(c, h2, h2->time + 1201, LIMIT_BITS, 4)});

    /* Back on time: walk back over both exceptions to h1's nBits. */
    m = make_header(c, h3, h3->time + 600, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    m = make_header(c, h3, h3->time + 600, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);
    chain_free(c);
}

/* One period: heights 1..2014 on time at B, height 2015 a min-difficulty
 * exception 1,201 s late. Returns the entry at 2015. */
static const struct chain_entry *storm_period(struct chain *c, uint32_t B)
{
    const struct chain_entry *p = extend(c, chain_tip(c), 2014, 600, 4);
    assert_int_equal(p->bits, B);
    p = add_ok(c, (struct wire_header[]){make_header(c, p, p->time + 1201, LIMIT_BITS, 4)});
    assert_int_equal(p->height, 2015);
    return p;
}

static void test_testnet3_walk_back_stops_at_retarget_boundary(void **state)
{
    (void)state;
    const uint32_t B = 0x2007ffff;
    struct netparams np;
    easy_params(&np, NET_TESTNET3, B);
    np.bip34_height = np.bip66_height = np.bip65_height = 1;
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    const struct chain_entry *p = storm_period(c, B);

    /* testnet3 retargets from the period's last nBits, the exception's:
     * the limit (the block storm). */
    assert_int_equal(required_bits(c, p, p->time + 600), LIMIT_BITS);
    struct wire_header m = make_header(c, p, p->time + 600, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    /* No timewarp rule on testnet3: 601 s before the parent is fine. */
    m = make_header(c, p, p->time - 601, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);
    p = add_ok(c, (struct wire_header[]){make_header(c, p, p->time + 600, LIMIT_BITS, 4)});
    assert_int_equal(p->height, 2016);

    /* The walk-back stops at the boundary block even though it is at the
     * limit, so the limit stays required on time. */
    assert_int_equal(required_bits(c, p, p->time + 600), LIMIT_BITS);
    m = make_header(c, p, p->time + 600, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    m = make_header(c, p, p->time + 600, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);
    chain_free(c);
}

/* ---- testnet4 (BIP94) ---- */

static void test_testnet4_retarget_base_and_timewarp(void **state)
{
    (void)state;
    const uint32_t B = 0x2007ffff;
    struct netparams np;
    easy_params(&np, NET_TESTNET4, B);
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    const struct chain_entry *p = storm_period(c, B);

    /* BIP94 scales the period's first nBits (B), not the exception's. The
     * period took 1,209,601 s: one second over, too little to move B. */
    assert_int_equal(required_bits(c, p, p->time + 600), B);
    struct wire_header m = make_header(c, p, p->time + 600, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);

    /* Timewarp: the period's first block may be at most 600 s before its
     * parent. */
    m = make_header(c, p, p->time - 601, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_TIMEWARP);
    const struct chain_entry *b = add_ok(c, (struct wire_header[]){make_header(c, p, p->time - 600, B, 4)});
    assert_int_equal(b->height, 2016);
    /* Mid-period, a header may be earlier than that (above the median). */
    uint32_t t = chain_median_time_past(b) + 1;
    assert_true((int64_t)t < (int64_t)b->time - CHAIN_MAX_TIMEWARP);
    m = make_header(c, b, t, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);

    /* The min-difficulty exception still exists on testnet4. */
    m = make_header(c, b, b->time + 1201, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);
    chain_free(c);
}

/* ---- signet ---- */

static void test_signet_rules(void **state)
{
    (void)state;
    const uint32_t B = 0x2007ffff;
    struct netparams np;
    easy_params(&np, NET_SIGNET, B);
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    const struct chain_entry *g = chain_tip(c);
    /* No min-difficulty exception: an hour late still needs B. */
    struct wire_header m = make_header(c, g, g->time + 3600, LIMIT_BITS, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    const struct chain_entry *p = extend(c, g, 2015, 150, 4);
    /* Four times too fast: the ÷4 clamp, 0x07ffff/4 rounded down. */
    assert_int_equal(required_bits(c, p, p->time + 150), 0x2001ffff);
    m = make_header(c, p, p->time + 150, B, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_ERR_BAD_BITS);
    m = make_header(c, p, p->time + 150, 0x2001ffff, 4);
    expect(c, &m, FAR_FUTURE, CHAIN_OK);
    assert_int_equal(chain_height(c), 2016);
    chain_free(c);
}

/* ---- best chain ---- */

static void test_reorg_to_fewer_headers_with_more_work(void **state)
{
    (void)state;
    const uint32_t B = 0x2003ffff; /* ~64 hashes of work against ~2 at the limit */
    struct netparams np;
    easy_params(&np, NET_TESTNET3, B);
    np.bip34_height = np.bip66_height = np.bip65_height = 1;
    struct chain *c = chain_new(&np);
    assert_non_null(c);
    const struct chain_entry *g = chain_tip(c);

    /* Branch A: 40 min-difficulty headers. */
    const struct chain_entry *a[41];
    a[0] = g;
    for (int i = 1; i <= 40; i++)
        a[i] = add_ok(c, (struct wire_header[]){make_header(c, a[i - 1], a[i - 1]->time + 1201, LIMIT_BITS, 4)});
    assert_ptr_equal(chain_tip(c), a[40]);

    /* Branch B from genesis at B: one header is less work, two are more. */
    const struct chain_entry *b1 = extend(c, g, 1, 600, 4);
    assert_ptr_equal(chain_tip(c), a[40]);
    assert_false(chain_contains(c, b1));
    const struct chain_entry *b2 = extend(c, b1, 1, 600, 4);
    assert_ptr_equal(chain_tip(c), b2);
    assert_int_equal(chain_height(c), 2);
    assert_ptr_equal(chain_at_height(c, 1), b1);
    assert_null(chain_at_height(c, 3));
    assert_false(chain_contains(c, a[1]));
    assert_ptr_equal(chain_lookup(c, a[40]->hash), a[40]); /* still known */
    assert_int_equal(chain_count(c), 43);
    assert_ptr_equal(chain_ancestor(c, a[40], 7), a[7]);
    assert_ptr_equal(chain_ancestor(c, a[40], 0), g);
    assert_null(chain_ancestor(c, a[40], 41));

    /* A outgrows B again: back to A, the whole array rebuilt from genesis. */
    const struct chain_entry *t = a[40];
    for (int i = 0; i < 25 && chain_tip(c) != t; i++)
        t = add_ok(c, (struct wire_header[]){make_header(c, t, t->time + 1201, LIMIT_BITS, 4)});
    assert_ptr_equal(chain_tip(c), t);
    assert_true(t->height > 40);
    for (int i = 0; i <= 40; i++) assert_ptr_equal(chain_at_height(c, i), a[i]);
    assert_false(chain_contains(c, b2));
    assert_true(u256_cmp(&t->work, &b2->work) > 0);
    chain_free(c);
}

static void test_equal_work_keeps_first_seen(void **state)
{
    (void)state;
    struct chain *c = chain_new(netparams_get(NET_REGTEST));
    assert_non_null(c);
    const struct chain_entry *g = chain_tip(c);
    const struct chain_entry *x = extend(c, g, 1, 600, 4);
    const struct chain_entry *y = extend(c, g, 1, 600, 4);
    assert_int_equal(u256_cmp(&x->work, &y->work), 0);
    assert_ptr_equal(chain_tip(c), x);
    /* One more on y wins. */
    const struct chain_entry *y2 = extend(c, y, 1, 600, 4);
    assert_ptr_equal(chain_tip(c), y2);
    assert_ptr_equal(chain_at_height(c, 1), y);
    chain_free(c);
}

static void test_locator_shape(void **state)
{
    (void)state;
    struct chain *c = chain_new(netparams_get(NET_REGTEST));
    assert_non_null(c);
    uint8_t loc[WIRE_MAX_LOCATOR][32];

    assert_int_equal(chain_locator(c, loc, WIRE_MAX_LOCATOR), 1);
    assert_memory_equal(loc[0], netparams_get(NET_REGTEST)->genesis_hash, 32);

    const struct chain_entry *tip = extend(c, chain_tip(c), 100, 600, 4);
    /* Core's LocatorEntries: twelve in a row, then doubling, then genesis. */
    static const int32_t want[] = {100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89,
                                   87, 83, 75, 59, 27, 0};
    const size_t nwant = sizeof want / sizeof want[0];
    size_t n = chain_locator(c, loc, WIRE_MAX_LOCATOR);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) assert_memory_equal(loc[i], chain_at_height(c, want[i])->hash, 32);

    /* A short cap still ends in genesis. */
    n = chain_locator(c, loc, 5);
    assert_int_equal(n, 5);
    assert_memory_equal(loc[0], tip->hash, 32);
    assert_memory_equal(loc[3], chain_at_height(c, 97)->hash, 32);
    assert_memory_equal(loc[4], chain_at_height(c, 0)->hash, 32);

    /* From a side branch: its own hashes until the fork, then the active chain's. */
    const struct chain_entry *side = extend(c, chain_at_height(c, 90), 3, 601, 4);
    n = chain_locator_from(c, side, loc, WIRE_MAX_LOCATOR);
    assert_int_equal(n, 18); /* 93..82, 80, 76, 68, 52, 20, 0 */
    assert_memory_equal(loc[0], side->hash, 32);
    assert_memory_equal(loc[3], chain_at_height(c, 90)->hash, 32);
    assert_memory_equal(loc[n - 1], chain_at_height(c, 0)->hash, 32);
    chain_free(c);
}

/* The tip's median time past is kept as a sliding window: with times that
 * jump back and forth, through a reorg and back, it must agree with the
 * median computed from scratch, at exactly the boundary. */
static void test_median_time_past_window(void **state)
{
    (void)state;
    struct netparams np;
    easy_params(&np, NET_REGTEST, LIMIT_BITS);
    struct chain *c = chain_new(&np);
    assert_true(chain_reserve(c, 300));
    uint64_t rng = 7;
    const struct chain_entry *tip = chain_tip(c);
    for (int i = 0; i < 200; i++) {
        uint8_t r;
        test_random_bytes(&rng, &r, 1);
        uint32_t mtp = chain_median_time_past(tip);
        /* at the median: too old; one past it: fine (times wander). */
        struct wire_header bad = make_header(c, tip, mtp, 0, 4);
        expect(c, &bad, FAR_FUTURE, CHAIN_ERR_TIME_TOO_OLD);
        struct wire_header good = make_header(c, tip, mtp + 1 + (uint32_t)(r % 2000u), 0, 4);
        tip = add_ok(c, &good);
        if (i == 120) {
            /* a branch from 30 back that overtakes the tip */
            const struct chain_entry *fork = chain_at_height(c, tip->height - 30);
            const struct chain_entry *b = extend(c, fork, 35, 7, 4);
            assert_ptr_equal(chain_tip(c), b);
            tip = b;
        }
    }
    assert_int_equal(chain_count(c), 1 + 200 + 35);
    chain_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mainnet_headers_validate_from_genesis),
        cmocka_unit_test(test_signet_headers_validate_from_genesis),
        cmocka_unit_test(test_time_too_new_depends_on_now),
        cmocka_unit_test(test_index_memory_per_header),
        cmocka_unit_test(test_each_mutation_has_its_own_reason),
        cmocka_unit_test(test_testnet3_min_difficulty_after_20_minutes),
        cmocka_unit_test(test_testnet3_walk_back_stops_at_retarget_boundary),
        cmocka_unit_test(test_testnet4_retarget_base_and_timewarp),
        cmocka_unit_test(test_signet_rules),
        cmocka_unit_test(test_reorg_to_fewer_headers_with_more_work),
        cmocka_unit_test(test_equal_work_keeps_first_seen),
        cmocka_unit_test(test_locator_shape),
        cmocka_unit_test(test_median_time_past_window),
    };
    return test_run_group(tests);
}
