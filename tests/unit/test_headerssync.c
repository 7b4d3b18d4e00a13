/* Headers presync's state machine (src/node/headerssync.c), fed synthetic
 * regtest chains: nothing released in PRESYNC, the switch to REDOWNLOAD at
 * the work threshold, release only behind the buffer (or all once the work
 * is proven) in the original order, a chain ending below the work, a
 * redownloaded chain that is not the presynced one (commitment mismatch),
 * bad proof of work, broken links, forbidden difficulty changes, and the
 * commitment bound (Core's figures). */
#include "testutil.h"

#include "node/headerssync.h"

#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

struct tchain {
    struct wire_header *h; /* [0] is genesis */
    uint8_t (*hash)[32];
    size_t count;          /* headers after genesis */
};

/* n regtest headers after genesis; seed varies the merkle roots so two
 * seeds give two different chains. */
static void tchain_make(struct tchain *c, size_t n, unsigned seed)
{
    const struct netparams *np = netparams_get(NET_REGTEST);
    c->count = n;
    c->h = calloc(n + 1, sizeof *c->h);
    c->hash = calloc(n + 1, 32);
    assert_non_null(c->h);
    assert_non_null(c->hash);
    wire_header_parse(np->genesis_header, &c->h[0]);
    memcpy(c->hash[0], np->genesis_hash, 32);
    for (size_t i = 1; i <= n; i++) {
        struct wire_header *h = &c->h[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, c->hash[i - 1], 32);
        memset(h->merkle_root, (int)((i + seed * 7) & 0xff), 32);
        h->merkle_root[0] = (uint8_t)seed;
        h->time = c->h[0].time + (uint32_t)(i * 600);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, c->hash[i]);
            if (c->hash[i][31] < 0x7f) break;
        }
    }
}

static void tchain_free(struct tchain *c)
{
    free(c->h);
    free(c->hash);
}

static void genesis_start(struct hsync_start *s, const struct tchain *c)
{
    memset(s, 0, sizeof *s);
    memcpy(s->hash, c->hash[0], 32);
    s->height = 0;
    s->work.w[0] = 2; /* regtest genesis: 0x207fffff is two hashes' work */
    s->bits = c->h[0].bits;
    s->mtp = c->h[0].time;
}

static const uint8_t SALT[SIPHASH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* Work of genesis plus n regtest headers. */
static struct u256 work_of(size_t n)
{
    struct u256 w = {{0}};
    w.w[0] = (uint32_t)(2 * (n + 1));
    return w;
}

static struct hsync *new_sync(const struct tchain *c, size_t work_headers, uint32_t offset)
{
    struct hsync_start s;
    genesis_start(&s, c);
    struct u256 min = work_of(work_headers);
    struct hsync *h = hsync_new(netparams_get(NET_REGTEST), &s, &min, (int64_t)s.mtp + 86400 * 365,
                                SALT, offset);
    assert_non_null(h);
    return h;
}

/* Serve c from height `from` (exclusive) in messages of up to 2,000, as a
 * peer answering getheaders would, until the sync stops asking or fails.
 * Released headers are checked against c in order; returns how many. */
static size_t serve(struct hsync *h, const struct tchain *c, size_t *next_release, bool *failed)
{
    static struct wire_header out[WIRE_MAX_HEADERS];
    size_t released = 0;
    *failed = false;
    /* Where the locator head points in c (the peer finds the fork). */
    for (;;) {
        const uint8_t *head = hsync_locator_head(h);
        size_t from = 0;
        while (from <= c->count && memcmp(c->hash[from], head, 32) != 0) from++;
        assert_true(from <= c->count);
        size_t n = c->count - from < WIRE_MAX_HEADERS ? c->count - from : WIRE_MAX_HEADERS;
        if (n == 0) return released;
        bool more;
        enum hsync_err err = hsync_feed(h, &c->h[from + 1], n, n == WIRE_MAX_HEADERS, &more);
        if (err != HSYNC_OK) {
            *failed = true;
            assert_int_equal(hsync_pop(h, out, WIRE_MAX_HEADERS), 0);
            return released;
        }
        size_t k;
        while ((k = hsync_pop(h, out, WIRE_MAX_HEADERS)) > 0) {
            for (size_t i = 0; i < k; i++) {
                uint8_t hash[32];
                wire_header_hash(&out[i], hash);
                assert_memory_equal(hash, c->hash[*next_release], 32);
                (*next_release)++;
            }
            released += k;
        }
        if (!more) return released;
    }
}

static void test_presync_then_redownload_releases_in_order(void **state)
{
    (void)state;
    /* Longer than the buffer plus a message, so headers leave the ring
     * before the work is proven, and the rest once it is. */
    struct tchain c;
    tchain_make(&c, 20000, 1);
    struct hsync *h = new_sync(&c, 19000, 5);
    assert_int_equal(hsync_state(h), HSYNC_PRESYNC);

    /* PRESYNC: one message, nothing released, the peer asked for more. */
    bool more;
    static struct wire_header out[WIRE_MAX_HEADERS];
    assert_int_equal(hsync_feed(h, &c.h[1], 2000, true, &more), HSYNC_OK);
    assert_true(more);
    assert_int_equal(hsync_pop(h, out, WIRE_MAX_HEADERS), 0);
    assert_int_equal(hsync_presync_height(h), 2000);
    assert_memory_equal(hsync_locator_head(h), c.hash[2000], 32);
    /* Commitments at heights 5, 629, 1253, 1877 */
    assert_int_equal(hsync_commitments(h), 4);

    size_t next = 2001, released = 0;
    bool failed;
    /* The rest of PRESYNC: 2001..20000 until the work is reached at 19000
     * (in the message 18001..20000), then REDOWNLOAD from genesis. */
    for (size_t from = 2000; hsync_state(h) == HSYNC_PRESYNC; from += 2000) {
        assert_int_equal(hsync_feed(h, &c.h[from + 1], 2000, true, &more), HSYNC_OK);
        assert_true(more);
        assert_int_equal(hsync_pop(h, out, WIRE_MAX_HEADERS), 0);
    }
    assert_int_equal(hsync_state(h), HSYNC_REDOWNLOAD);
    assert_int_equal(hsync_presync_height(h), 20000);
    assert_memory_equal(hsync_locator_head(h), c.hash[0], 32);
    size_t commitments = hsync_commitments(h);
    assert_true(commitments >= 32 && commitments <= 33);

    next = 1;
    released = serve(h, &c, &next, &failed);
    assert_false(failed);
    /* Everything through the message where the work was proven. */
    assert_int_equal(released, 20000);
    assert_int_equal(hsync_state(h), HSYNC_FINAL);
    assert_int_equal(hsync_end(h), HSYNC_END_COMPLETE);
    hsync_free(h);
    tchain_free(&c);
}

static void test_ring_releases_only_behind_the_buffer(void **state)
{
    (void)state;
    struct tchain c;
    tchain_make(&c, 20000, 2);
    struct hsync *h = new_sync(&c, 19999, 0);
    bool more;
    static struct wire_header out[WIRE_MAX_HEADERS];
    for (size_t from = 0; hsync_state(h) == HSYNC_PRESYNC; from += 2000)
        assert_int_equal(hsync_feed(h, &c.h[from + 1], 2000, true, &more), HSYNC_OK);
    assert_int_equal(hsync_state(h), HSYNC_REDOWNLOAD);
    /* 8 × 2,000 = 16,000 redownloaded: 1,173 are beyond the 14,827 buffer. */
    size_t released = 0;
    for (size_t from = 0; from < 16000; from += 2000) {
        assert_int_equal(hsync_feed(h, &c.h[from + 1], 2000, true, &more), HSYNC_OK);
        assert_true(more);
        size_t k;
        while ((k = hsync_pop(h, out, WIRE_MAX_HEADERS)) > 0) {
            uint8_t hash[32];
            wire_header_hash(&out[0], hash);
            assert_memory_equal(hash, c.hash[released + 1], 32);
            released += k;
        }
    }
    assert_int_equal(released, 16000 - HSYNC_REDOWNLOAD_BUFFER);
    assert_true(hsync_memory(h) <= (size_t)HSYNC_RING_LEN * HSYNC_COMPRESSED_SIZE + 256);
    hsync_free(h);
    tchain_free(&c);
}

static void test_chain_ending_below_the_work_stores_nothing(void **state)
{
    (void)state;
    struct tchain c;
    tchain_make(&c, 3000, 3);
    struct hsync *h = new_sync(&c, 3001, 7);
    bool more;
    static struct wire_header out[WIRE_MAX_HEADERS];
    assert_int_equal(hsync_feed(h, &c.h[1], 2000, true, &more), HSYNC_OK);
    assert_true(more);
    assert_int_equal(hsync_feed(h, &c.h[2001], 1000, false, &more), HSYNC_OK);
    assert_false(more);
    assert_int_equal(hsync_state(h), HSYNC_FINAL);
    assert_int_equal(hsync_end(h), HSYNC_END_LOW_WORK);
    assert_int_equal(hsync_pop(h, out, WIRE_MAX_HEADERS), 0);
    /* Nothing more is taken. */
    assert_int_equal(hsync_feed(h, &c.h[1], 1, false, &more), HSYNC_ERR_FINISHED);
    hsync_free(h);
    tchain_free(&c);
}

/* The commitment bit the sync would take of hash. */
static bool bit_of(const uint8_t hash[32])
{
    struct siphash *s = siphash_new(SALT);
    assert_non_null(s);
    uint64_t v;
    assert_true(siphash24(s, hash, 32, &v));
    siphash_free(s);
    return v & 1;
}

static void test_redownload_of_another_chain_fails(void **state)
{
    (void)state;
    /* Presync chain a, then redownload b: both from genesis, as long, as
     * much work. With the commitment at height 1 of each period, pick b so
     * the first commitment differs. */
    struct tchain a, b;
    tchain_make(&a, 2500, 10);
    unsigned seed = 11;
    for (;; seed++) {
        tchain_make(&b, 2, seed);
        bool differs = bit_of(b.hash[1]) != bit_of(a.hash[1]);
        tchain_free(&b);
        if (differs) break;
    }
    tchain_make(&b, 2500, seed);
    struct hsync *h = new_sync(&a, 2400, 1);
    bool more;
    assert_int_equal(hsync_feed(h, &a.h[1], 2000, true, &more), HSYNC_OK);
    assert_int_equal(hsync_feed(h, &a.h[2001], 500, false, &more), HSYNC_OK);
    assert_true(more);
    assert_int_equal(hsync_state(h), HSYNC_REDOWNLOAD);
    size_t next = 1;
    bool failed;
    assert_int_equal(serve(h, &b, &next, &failed), 0);
    assert_true(failed);
    assert_int_equal(hsync_end(h), HSYNC_END_FAILED);
    assert_int_equal(hsync_error(h), HSYNC_ERR_COMMITMENT_MISMATCH);
    hsync_free(h);

    /* The same chain twice is fine, whatever the offset. */
    h = new_sync(&a, 2400, 1);
    assert_int_equal(hsync_feed(h, &a.h[1], 2000, true, &more), HSYNC_OK);
    assert_int_equal(hsync_feed(h, &a.h[2001], 500, false, &more), HSYNC_OK);
    next = 1;
    assert_int_equal(serve(h, &a, &next, &failed), 2500);
    assert_false(failed);
    hsync_free(h);
    tchain_free(&a);
    tchain_free(&b);
}

static void test_redownload_that_stops_short_releases_nothing_held(void **state)
{
    (void)state;
    struct tchain c;
    tchain_make(&c, 4000, 4);
    struct hsync *h = new_sync(&c, 3500, 3);
    bool more;
    static struct wire_header out[WIRE_MAX_HEADERS];
    assert_int_equal(hsync_feed(h, &c.h[1], 2000, true, &more), HSYNC_OK);
    assert_int_equal(hsync_feed(h, &c.h[2001], 2000, true, &more), HSYNC_OK);
    assert_int_equal(hsync_state(h), HSYNC_REDOWNLOAD);
    /* The peer now serves only 1,000 of them: below the work, and all
     * still in the buffer. */
    assert_int_equal(hsync_feed(h, &c.h[1], 1000, false, &more), HSYNC_OK);
    assert_false(more);
    assert_int_equal(hsync_end(h), HSYNC_END_DECLINED);
    assert_int_equal(hsync_pop(h, out, WIRE_MAX_HEADERS), 0);
    hsync_free(h);
    tchain_free(&c);
}

static void test_bad_headers_fail(void **state)
{
    (void)state;
    struct tchain c;
    tchain_make(&c, 10, 5);
    bool more;

    /* Not on the last header received. */
    struct hsync *h = new_sync(&c, 100, 0);
    assert_int_equal(hsync_feed(h, &c.h[2], 3, false, &more), HSYNC_ERR_NON_CONTINUOUS);
    assert_int_equal(hsync_state(h), HSYNC_FINAL);
    hsync_free(h);

    /* A broken link inside the message. */
    h = new_sync(&c, 100, 0);
    struct wire_header bad[3] = {c.h[1], c.h[2], c.h[4]};
    assert_int_equal(hsync_feed(h, bad, 3, false, &more), HSYNC_ERR_UNCHAINED);
    hsync_free(h);

    /* A hash above its target. */
    h = new_sync(&c, 100, 0);
    struct wire_header high = c.h[1];
    uint8_t hash[32];
    for (high.nonce = 0;; high.nonce++) {
        wire_header_hash(&high, hash);
        if (hash[31] >= 0x80) break;
    }
    assert_int_equal(hsync_feed(h, &high, 1, false, &more), HSYNC_ERR_BAD_POW);
    hsync_free(h);

    /* nBits easier than the network allows. */
    h = new_sync(&c, 100, 0);
    struct wire_header easy = c.h[1];
    easy.bits = 0x2100ffff;
    assert_int_equal(hsync_feed(h, &easy, 1, false, &more), HSYNC_ERR_BAD_POW);
    hsync_free(h);

    /* More than a message's worth. */
    h = new_sync(&c, 100, 0);
    assert_int_equal(hsync_feed(h, c.h + 1, WIRE_MAX_HEADERS + 1, true, &more),
                     HSYNC_ERR_TOO_MANY_HEADERS);
    hsync_free(h);
    tchain_free(&c);
}

/* A network without the minimum-difficulty exception (mainnet's rules)
 * whose pow limit is regtest's, so headers are cheap to mine. */
static void test_difficulty_transitions(void **state)
{
    (void)state;
    struct netparams np = *netparams_get(NET_MAIN);
    memcpy(np.pow_limit, netparams_get(NET_REGTEST)->pow_limit, 32);
    struct tchain c;
    tchain_make(&c, 3, 6);
    struct hsync_start s;
    genesis_start(&s, &c);
    struct u256 min = work_of(100);
    bool more;

    /* Mid-period nBits must stay: 0x207fffff → 0x1f7fffff is refused even
     * though the header meets its (harder) target. */
    struct hsync *h = hsync_new(&np, &s, &min, (int64_t)s.mtp + 3600, SALT, 0);
    assert_non_null(h);
    assert_int_equal(hsync_feed(h, &c.h[1], 1, true, &more), HSYNC_OK);
    struct wire_header harder = c.h[2];
    harder.bits = 0x1f7fffff;
    uint8_t hash[32];
    for (harder.nonce = 0;; harder.nonce++) {
        wire_header_hash(&harder, hash);
        if (hash[31] == 0 && hash[30] < 0x7f) break;
    }
    assert_int_equal(hsync_feed(h, &harder, 1, true, &more), HSYNC_ERR_BAD_DIFFICULTY);
    hsync_free(h);

    /* Regtest allows any nBits: the same header passes there. */
    h = new_sync(&c, 100, 0);
    assert_int_equal(hsync_feed(h, &c.h[1], 1, true, &more), HSYNC_OK);
    assert_int_equal(hsync_feed(h, &harder, 1, true, &more), HSYNC_OK);
    hsync_free(h);
    tchain_free(&c);
}

static void test_commitment_bound(void **state)
{
    (void)state;
    /* Core's figures (core-facts-13 §3.3): mainnet from genesis at
     * 2025-06-01 00:00 UTC, 4,978,237 commitments. */
    assert_int_equal(hsync_max_commitments(1231006505u, 1748736000), 4978237);
    /* A start in the future (or a wrong clock): two hours' worth. */
    assert_int_equal(hsync_max_commitments(2000000000u, 1748736000), 6 * 7200 / 624);
    /* A wild clock cannot overflow the arithmetic. */
    assert_true(hsync_max_commitments(0, INT64_MAX) > 0);
}

static void test_strings(void **state)
{
    (void)state;
    for (int e = HSYNC_OK; e <= HSYNC_ERR_NOMEM; e++)
        assert_string_not_equal(hsync_err_str((enum hsync_err)e), "unknown");
    for (int e = HSYNC_RUNNING; e <= HSYNC_END_FAILED; e++)
        assert_string_not_equal(hsync_end_str((enum hsync_end)e), "unknown");
    assert_string_equal(hsync_state_str(HSYNC_REDOWNLOAD), "redownload");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presync_then_redownload_releases_in_order),
        cmocka_unit_test(test_ring_releases_only_behind_the_buffer),
        cmocka_unit_test(test_chain_ending_below_the_work_stores_nothing),
        cmocka_unit_test(test_redownload_of_another_chain_fails),
        cmocka_unit_test(test_redownload_that_stops_short_releases_nothing_held),
        cmocka_unit_test(test_bad_headers_fail),
        cmocka_unit_test(test_difficulty_transitions),
        cmocka_unit_test(test_commitment_bound),
        cmocka_unit_test(test_strings),
    };
    return test_run_group(tests);
}
