/* A disagreement between two filter peers, settled by a block (BIP157's
 * "client operation"): both agree on the filter header at base and
 * disagree at top. Each is asked for the filter hashes from base+1 to top;
 * the first height where they differ is where one of them lies. The block
 * at that height (checked against the header chain and its merkle root)
 * and each peer's filter for it are fetched, and each filter is checked:
 * it must hash to what its own peer's cfheaders said, and it must match
 * every output script of the block that BIP158 puts in it
 * (blockfilter_check). A peer whose filter fails is proven wrong and
 * disconnected (bad-filters). When both pass (they can only differ in the
 * scripts the inputs spend, which we cannot see without a UTXO set), no one
 * is punished: the peer whose checkpoint disagreed is no longer trusted
 * for checkpoints or as a source. A party that is slow or leaves ends the
 * dispute the same way for it. */
#include "cfsync_internal.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <stdlib.h>
#include <string.h>

static const uint8_t zero_header[32];

static void unsettled(struct node *n, const char *why);

static int side_of(const struct cf_dispute *d, uint64_t id)
{
    return id == d->a ? 0 : id == d->b ? 1 : -1;
}

void cf_dispute_end(struct node *n)
{
    struct cf_dispute *d = &n->cf->dispute;
    for (int i = 0; i < 2; i++) {
        free(d->hashes[i]);
        free(d->filter[i]);
    }
    if (d->have_block) wire_block_free(&d->block);
    memset(d, 0, sizeof *d);
}

void cf_dispute_start(struct node *n, struct cf_peer *a, struct cf_peer *b, int32_t base, int32_t top)
{
    struct cf_dispute *d = &n->cf->dispute;
    cf_dispute_end(n);
    d->active = true;
    d->a = a->id;
    d->b = b->id;
    d->base = base;
    d->top = top;
    d->at = -1;
    struct log_field f[] = {LOG_UINT("other", b->id), LOG_INT("agreed", base), LOG_INT("height", top)};
    log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)a->id, "filter headers disputed", f, 3);
    cf_dispute_poke(n);
}

/* Ask both for their filter hashes once neither owes anything else (b
 * may still owe a late answer: asking over it would make that answer
 * look unsolicited). */
void cf_dispute_poke(struct node *n)
{
    struct cf_dispute *d = &n->cf->dispute;
    if (!d->active || d->asked) return;
    struct cf_peer *a = cf_peer_get(n, d->a), *b = cf_peer_get(n, d->b);
    if (!a || !b) {
        cf_dispute_end(n);
        return;
    }
    if (b->ask != CF_ASK_NONE && b->abandoned) {
        cf_dispute_drop_party(n, b->id); /* it owes an answer it never gave */
        return;
    }
    if (a->ask != CF_ASK_NONE && a->abandoned) {
        cf_dispute_drop_party(n, a->id);
        return;
    }
    if (a->ask != CF_ASK_NONE || b->ask != CF_ASK_NONE) return;
    d->asked = true;
    if (!cf_request(n, a, WIRE_GETCFHEADERS, d->base + 1, d->top) ||
        !cf_request(n, b, WIRE_GETCFHEADERS, d->base + 1, d->top))
        unsettled(n, "cannot-ask-both");
}

/* No one proven wrong: b's word is no longer taken. */
static void unsettled(struct node *n, const char *why)
{
    struct cf_dispute *d = &n->cf->dispute;
    struct cf_peer *b = cf_peer_get(n, d->b);
    struct log_field f[] = {LOG_STR("why", why), LOG_UINT("other", d->a)};
    log_event(LOG_WARN, LOG_CAT_CHAIN, (int64_t)d->b, "filter dispute not settled: peer no longer trusted", f, 2);
    if (b) b->disputed = true;
    cf_dispute_end(n);
}

void cf_dispute_drop_party(struct node *n, uint64_t id)
{
    struct cf_dispute *d = &n->cf->dispute;
    if (!d->active || side_of(d, id) < 0) return;
    struct cf_peer *p = cf_peer_get(n, id);
    if (p) p->disputed = true; /* slow in a dispute: not trusted until it reconnects */
    if (id == d->b) {
        unsettled(n, "peer-slow-or-gone");
        return;
    }
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "filter dispute: the source is slow or gone");
    cf_dispute_end(n);
}

static void convict(struct node *n, int side, const char *what)
{
    struct cf_dispute *d = &n->cf->dispute;
    struct cf_peer *p = cf_peer_get(n, side ? d->b : d->a);
    if (p) cf_drop(n, p, PEER_REASON_BAD_FILTERS, what);
}

/* Both filters and the block are in: judge (src/filter/judge.c). */
static void judge(struct node *n)
{
    struct cf_dispute *d = &n->cf->dispute;
    bool wrong[2] = {false, false};
    size_t i = (size_t)(d->at - d->base - 1);
    for (int s = 0; s < 2; s++) {
        struct blockfilter_detail det;
        memset(&det, 0, sizeof det);
        enum blockfilter_err why;
        enum blockfilter_verdict v =
            blockfilter_judge(&d->block, d->filter[s], d->filter_len[s], d->hashes[s][i], &why, &det);
        if (v == BLOCKFILTER_VERDICT_CANNOT_TELL) {
            log_error(LOG_CAT_CHAIN, "filter dispute: cannot check: %s", blockfilter_err_str(why));
            cf_dispute_end(n);
            return;
        }
        if (v == BLOCKFILTER_VERDICT_PASSES) continue;
        wrong[s] = true;
        struct log_field f[] = {LOG_INT("height", d->at),
                                LOG_STR("proof", v == BLOCKFILTER_VERDICT_PROVEN_WRONG ? blockfilter_err_str(why)
                                                                                      : blockfilter_verdict_str(v)),
                                LOG_UINT("tx", det.tx), LOG_UINT("output", det.output)};
        log_event(LOG_WARN, LOG_CAT_CHAIN, (int64_t)(s ? d->b : d->a), "filter proven wrong by the block", f, 4);
    }
    for (int s = 0; s < 2; s++)
        if (wrong[s]) convict(n, s, "filter-proven-wrong-by-block");
    if (!wrong[0] && !wrong[1]) {
        unsettled(n, "both-filters-match-the-block-outputs");
        return;
    }
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, -1, "filter dispute settled at height %d", d->at);
    cf_dispute_end(n);
}

static void maybe_judge(struct node *n)
{
    struct cf_dispute *d = &n->cf->dispute;
    if (d->have_block && d->have_filter[0] && d->have_filter[1]) judge(n);
}

static bool ask_block(struct node *n, uint64_t from)
{
    struct cf_dispute *d = &n->cf->dispute;
    const struct chain_entry *e = chain_at_height(n->chain, d->at);
    struct node_request req = {.type = NODE_REQ_GET_BLOCK};
    if (!e) return false;
    memcpy(req.u.hash, e->hash, 32);
    if (peer_request(n->peers, from, &req) != PEER_OK) return false;
    d->block_from = from;
    d->block_deadline_ms = clock_mono_ms() + n->cfg->block_timeout_ms;
    return true;
}

void cf_dispute_tick(struct node *n, uint64_t now_ms)
{
    struct cf_dispute *d = &n->cf->dispute;
    if (!d->active || !d->block_asked || d->have_block || now_ms < d->block_deadline_ms) return;
    uint64_t other = d->block_from == d->a ? d->b : d->a;
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)d->block_from, "filter dispute: block not delivered in time");
    if (!d->block_retried && ask_block(n, other)) {
        d->block_retried = true;
        return;
    }
    unsettled(n, "block-not-delivered");
}

/* The two answers are in: where do they part? */
static void find_fork(struct node *n)
{
    struct cf_dispute *d = &n->cf->dispute;
    size_t count = (size_t)(d->top - d->base);
    size_t i = blockfilter_first_difference((const uint8_t(*)[32])d->hashes[0], (const uint8_t(*)[32])d->hashes[1], count);
    if (i == count) {
        unsettled(n, "same-filter-hashes");
        return;
    }
    d->at = d->base + 1 + (int32_t)i;
    const struct chain_entry *e = chain_at_height(n->chain, d->at);
    struct cf_peer *a = cf_peer_get(n, d->a), *b = cf_peer_get(n, d->b);
    if (!e || !a || !b || !cf_request(n, a, WIRE_GETCFILTERS, d->at, d->at) ||
        !cf_request(n, b, WIRE_GETCFILTERS, d->at, d->at)) {
        unsettled(n, "cannot-ask-filters");
        return;
    }
    /* The block from either of them (both claim to have it). */
    d->block_asked = ask_block(n, d->b) || ask_block(n, d->a);
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, -1, "filter dispute: peers %llu and %llu part at height %d",
           (unsigned long long)d->a, (unsigned long long)d->b, d->at);
    if (!d->block_asked) unsettled(n, "cannot-ask-block");
}

void cf_dispute_headers(struct node *n, struct cf_peer *p, const struct wire_cfheaders *m)
{
    struct cf_dispute *d = &n->cf->dispute;
    int s = side_of(d, p->id);
    if (s < 0 || d->hashes[s]) return;
    const char *bad = cf_headers_shape(n, p, m);
    const uint8_t *base = d->base < 0 ? zero_header : cfstore_get(n->cf->store, d->base);
    if (!bad && (!base || memcmp(m->prev_header, base, 32) != 0)) bad = "cfheaders-prev-contradicts-agreed";
    if (bad) {
        cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, bad);
        cf_dispute_drop_party(n, p->id);
        return;
    }
    d->hashes[s] = malloc(m->count * 32);
    if (!d->hashes[s]) {
        cf_dispute_end(n);
        return;
    }
    memcpy(d->hashes[s], m->filter_hashes, m->count * 32);
    if (d->hashes[0] && d->hashes[1]) find_fork(n);
}

void cf_dispute_filter(struct node *n, struct cf_peer *p, const struct wire_cfilter *m)
{
    struct cf_dispute *d = &n->cf->dispute;
    int s = side_of(d, p->id);
    if (!d->active || s < 0 || d->at < 0 || d->have_filter[s]) return;
    d->filter[s] = malloc(m->filter_len ? m->filter_len : 1);
    if (!d->filter[s]) {
        cf_dispute_end(n);
        return;
    }
    memcpy(d->filter[s], m->filter, m->filter_len);
    d->filter_len[s] = m->filter_len;
    d->have_filter[s] = true;
    maybe_judge(n);
}

void cf_dispute_block(struct node *n, const struct wire_block *b)
{
    struct cf_dispute *d = &n->cf->dispute;
    if (wire_block_decode(b->raw, b->raw_len, &d->block) != WIRE_OK) {
        unsettled(n, "block-copy-failed");
        return;
    }
    d->have_block = true;
    maybe_judge(n);
}

bool node_cf_block(struct node *n, uint64_t id, const uint8_t hash[32], const struct wire_block *b)
{
    if (!n->cf || !n->cf->dispute.active || !n->cf->dispute.block_asked || n->cf->dispute.have_block)
        return false;
    struct cf_dispute *d = &n->cf->dispute;
    const struct chain_entry *e = chain_at_height(n->chain, d->at);
    if (!e || memcmp(e->hash, hash, 32) != 0) return false;
    uint8_t root[32];
    bool mutated = false;
    if (wire_block_merkle_root(b, root, &mutated) != WIRE_OK || mutated ||
        memcmp(root, b->header.merkle_root, 32) != 0) {
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "filter dispute: block does not match its header");
        peer_misbehaving(n->peers, id, "bad-block");
        unsettled(n, "bad-block");
        return true;
    }
    cf_dispute_block(n, b);
    return true;
}
