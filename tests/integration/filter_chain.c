/* Regtest blocks with BIP158 filters, and a scripted peer serving them
 * (see filter_chain.h). */
#include "filter_chain.h"

#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

/* The genesis coinbase (the same on every network). */
static const char genesis_coinbase_hex[] =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000";

void filter_chain_own_script(size_t i, uint8_t out[22])
{
    out[0] = 0x00;
    out[1] = 0x14;
    memset(out + 2, 0xab, 20);
    for (int k = 0; k < 4; k++) out[2 + k] = (uint8_t)(i >> (8 * k));
}

static uint8_t *coinbase(const struct filter_chain *c, size_t i, size_t *len, uint8_t txid[32])
{
    struct txbuild b;
    txbuild_init(&b, 1);
    b.form = TXBUILD_LEGACY;
    uint8_t zero[32] = {0}, sig[5] = {0x04};
    for (int k = 0; k < 4; k++) sig[1 + k] = (uint8_t)(i >> (8 * k));
    size_t in = txbuild_add_input(&b, zero, 0xffffffffu, 0xffffffffu);
    txbuild_set_script_sig(&b, in, sig, sizeof sig);
    uint8_t script[22];
    filter_chain_own_script(i, script);
    txbuild_add_output(&b, 5000000000, script, sizeof script);
    if (c->watched[i]) txbuild_add_output(&b, 1000, c->watched_script, FILTER_CHAIN_WATCHED_LEN);
    uint8_t *tx = txbuild_bytes(&b, len);
    txbuild_txid(&b, txid);
    txbuild_free(&b);
    return tx;
}

static void build_filter(struct filter_chain *c, size_t i)
{
    struct wire_block blk;
    assert_int_equal(wire_block_decode(c->blocks[i], c->block_len[i], &blk), WIRE_OK);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(blockfilter_build_basic(&blk, NULL, 0, &w, NULL), BLOCKFILTER_OK);
    c->filters[i] = w.data;
    c->filter_len[i] = w.len;
    wire_block_free(&blk);
}

static void alloc_arrays(struct filter_chain *c, size_t count)
{
    c->count = count;
    c->blocks = calloc(count, sizeof *c->blocks);
    c->block_len = calloc(count, sizeof *c->block_len);
    c->filters = calloc(count, sizeof *c->filters);
    c->filter_len = calloc(count, sizeof *c->filter_len);
    c->fheaders = calloc(count, 32);
    c->fhashes = calloc(count, 32);
    c->watched = calloc(count, sizeof *c->watched);
    assert_non_null(c->blocks);
    assert_non_null(c->fheaders);
}

static void chain_filter_headers(struct filter_chain *c)
{
    static const uint8_t zero[32];
    for (size_t i = 0; i < c->count; i++) {
        blockfilter_hash(c->filters[i], c->filter_len[i], c->fhashes[i]);
        blockfilter_header(c->fhashes[i], i ? c->fheaders[i - 1] : zero, c->fheaders[i]);
    }
}

void filter_chain_make(struct filter_chain *c, size_t n, size_t every)
{
    memset(c, 0, sizeof *c);
    alloc_arrays(c, n + 1);
    memset(c->watched_script, 0x77, sizeof c->watched_script);
    c->watched_script[0] = 0x00;
    c->watched_script[1] = 0x14;
    c->hc.count = n + 1;
    c->hc.headers = calloc(n + 1, sizeof *c->hc.headers);
    c->hc.hashes = calloc(n + 1, 32);
    const struct netparams *np = netparams_get(NET_REGTEST);
    wire_header_parse(np->genesis_header, &c->hc.headers[0]);
    memcpy(c->hc.hashes[0], np->genesis_hash, 32);
    size_t cb_len;
    uint8_t *cb = test_unhex(genesis_coinbase_hex, &cb_len);
    c->block_len[0] = 81 + cb_len;
    c->blocks[0] = malloc(c->block_len[0]);
    memcpy(c->blocks[0], np->genesis_header, 80);
    c->blocks[0][80] = 1;
    memcpy(c->blocks[0] + 81, cb, cb_len);
    free(cb);
    build_filter(c, 0);
    for (size_t i = 1; i <= n; i++) {
        c->watched[i] = every && i % every == 0;
        uint8_t txid[32];
        size_t tl;
        uint8_t *tx = coinbase(c, i, &tl, txid);
        struct wire_header *h = &c->hc.headers[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, c->hc.hashes[i - 1], 32);
        memcpy(h->merkle_root, txid, 32);
        h->time = c->hc.headers[0].time + (uint32_t)(i * 600);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, c->hc.hashes[i]);
            if (c->hc.hashes[i][31] < 0x7f) break;
        }
        c->block_len[i] = 81 + tl;
        c->blocks[i] = malloc(c->block_len[i]);
        wire_header_serialize(h, c->blocks[i]);
        c->blocks[i][80] = 1;
        memcpy(c->blocks[i] + 81, tx, tl);
        free(tx);
        build_filter(c, i);
    }
    chain_filter_headers(c);
}

void filter_chain_make_liar(struct filter_chain *liar, const struct filter_chain *honest, size_t at)
{
    memset(liar, 0, sizeof *liar);
    alloc_arrays(liar, honest->count);
    liar->hc = honest->hc; /* shared, not owned: see filter_chain_free */
    liar->hc.headers = NULL;
    memcpy(liar->watched_script, honest->watched_script, sizeof liar->watched_script);
    for (size_t i = 0; i < honest->count; i++) {
        liar->blocks[i] = honest->blocks[i];
        liar->block_len[i] = honest->block_len[i];
        liar->watched[i] = honest->watched[i];
        if (i < at) {
            liar->filter_len[i] = honest->filter_len[i];
            liar->filters[i] = malloc(honest->filter_len[i]);
            memcpy(liar->filters[i], honest->filters[i], honest->filter_len[i]);
        } else {
            liar->filters[i] = calloc(1, 1); /* the empty set: leaves the block's outputs out */
            liar->filter_len[i] = 1;
        }
    }
    liar->hc.headers = honest->hc.headers;
    chain_filter_headers(liar);
    liar->blocks[0] = NULL; /* marks the blocks as borrowed */
}

void filter_chain_free(struct filter_chain *c)
{
    bool borrowed = c->blocks && !c->blocks[0];
    for (size_t i = 0; i < c->count; i++) {
        if (!borrowed) free(c->blocks[i]);
        free(c->filters[i]);
    }
    if (!borrowed) header_chain_free(&c->hc);
    free(c->blocks);
    free(c->block_len);
    free(c->filters);
    free(c->filter_len);
    free(c->fheaders);
    free(c->fhashes);
    free(c->watched);
    memset(c, 0, sizeof *c);
}

/* ---- serving ---- */

static long height_of(const struct filter_chain *c, const uint8_t hash[32])
{
    for (size_t i = c->count; i > 0; i--)
        if (memcmp(c->hc.hashes[i - 1], hash, 32) == 0) return (long)i - 1;
    return -1;
}

static const uint8_t *block_of(const struct filter_peer *p, size_t i)
{
    /* A liar's blocks are borrowed; block 0 is never asked for. */
    return p->c->blocks[i];
}

static void serve_cf(struct filter_peer *p, const struct wire_msg *m)
{
    const struct filter_chain *c = p->c;
    struct wire_msg reply;
    memset(&reply, 0, sizeof reply);
    if (m->type == WIRE_GETCFCHECKPT) {
        long h = height_of(c, m->u.getcfcheckpt.stop_hash);
        if (h < 0) return;
        size_t n = (size_t)h / 1000;
        uint8_t(*hdrs)[32] = calloc(n ? n : 1, 32);
        for (size_t k = 0; k < n; k++) memcpy(hdrs[k], c->fheaders[(k + 1) * 1000], 32);
        reply.type = WIRE_CFCHECKPT;
        reply.u.cfcheckpt.filter_type = WIRE_FILTER_BASIC;
        memcpy(reply.u.cfcheckpt.stop_hash, m->u.getcfcheckpt.stop_hash, 32);
        reply.u.cfcheckpt.count = n;
        reply.u.cfcheckpt.headers = hdrs;
        sp_send(&p->sp, &reply);
        free(hdrs);
        return;
    }
    long stop = height_of(c, m->u.cfrange.stop_hash);
    size_t start = m->u.cfrange.start_height;
    if (stop < 0 || start > (size_t)stop) return;
    if (m->type == WIRE_GETCFHEADERS) {
        static const uint8_t zero[32];
        reply.type = WIRE_CFHEADERS;
        reply.u.cfheaders.filter_type = WIRE_FILTER_BASIC;
        memcpy(reply.u.cfheaders.stop_hash, m->u.cfrange.stop_hash, 32);
        memcpy(reply.u.cfheaders.prev_header, start ? c->fheaders[start - 1] : zero, 32);
        reply.u.cfheaders.count = (size_t)stop - start + 1;
        reply.u.cfheaders.filter_hashes = c->fhashes + start;
        sp_send(&p->sp, &reply);
        return;
    }
    const struct filter_chain *fc = p->filters_from ? p->filters_from : c;
    for (size_t h = start; h <= (size_t)stop; h++) {
        reply.type = WIRE_CFILTER;
        reply.u.cfilter.filter_type = WIRE_FILTER_BASIC;
        memcpy(reply.u.cfilter.block_hash, c->hc.hashes[h], 32);
        reply.u.cfilter.filter = fc->filters[h];
        reply.u.cfilter.filter_len = fc->filter_len[h];
        if (!sp_send(&p->sp, &reply)) return;
    }
}

static size_t fork_point(const struct filter_chain *c, const struct wire_locator *loc)
{
    for (size_t i = 0; i < loc->count; i++) {
        long h = height_of(c, loc->hashes[i]);
        if (h >= 0) return (size_t)h;
    }
    return 0;
}

static void serve_one(struct filter_peer *p, struct wire_msg *m)
{
    const struct filter_chain *c = p->c;
    switch (m->type) {
    case WIRE_PING: {
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m->u.ping};
        sp_send(&p->sp, &pong);
        break;
    }
    case WIRE_GETHEADERS: {
        size_t from = fork_point(c, &m->u.locator) + 1;
        size_t n = from < c->count ? c->count - from : 0;
        if (n > WIRE_MAX_HEADERS) n = WIRE_MAX_HEADERS;
        struct wire_msg reply = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = c->hc.headers + from}};
        sp_send(&p->sp, &reply);
        break;
    }
    case WIRE_GETDATA:
        if (p->no_blocks) break;
        for (size_t k = 0; k < m->u.inv.count; k++) {
            long h = height_of(c, m->u.inv.entries[k].hash);
            if (h <= 0) continue;
            sp_send_frame(&p->sp, "block", block_of(p, (size_t)h), c->block_len[h]);
            p->blocks_served++;
        }
        break;
    case WIRE_GETCFCHECKPT:
    case WIRE_GETCFHEADERS:
    case WIRE_GETCFILTERS:
        p->cf_requests++;
        if (p->mode == FILTER_PEER_SILENT) break;
        if (p->mode == FILTER_PEER_NO_FILTERS && m->type == WIRE_GETCFILTERS) break;
        if (p->mode == FILTER_PEER_HOLD) {
            if (p->n_held < 16) {
                p->held[p->n_held++] = *m;
                memset(m, 0, sizeof *m);
                m->type = WIRE_UNKNOWN;
            }
            break;
        }
        serve_cf(p, m);
        break;
    default: break;
    }
}

void filter_peers_pump(struct filter_peer *peers, size_t n, unsigned ms)
{
    uint64_t deadline = clock_mono_ms() + ms;
    while (clock_mono_ms() < deadline) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            struct filter_peer *p = &peers[i];
            if (!p->open) continue;
            any = true;
            struct wire_msg m;
            enum sp_result r = sp_recv(&p->sp, &m, 5);
            if (r == SP_TIMEOUT) continue;
            if (r != SP_FRAME) {
                p->open = false;
                continue;
            }
            serve_one(p, &m);
            wire_msg_free(&m);
        }
        if (!any) break;
    }
}

void filter_peer_release(struct filter_peer *p)
{
    p->mode = FILTER_PEER_HONEST;
    for (size_t i = 0; i < p->n_held; i++) {
        serve_cf(p, &p->held[i]);
        wire_msg_free(&p->held[i]);
    }
    p->n_held = 0;
}
