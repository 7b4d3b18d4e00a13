/* The filter header chain, synced behind the header chain (--blockfilters).
 *
 * Every filter peer (one that offers NODE_COMPACT_FILTERS) is asked for
 * its checkpoints (cfcheckpt: the filter header at every 1,000th block up
 * to our tip). One peer at a time is the source of cfheaders batches, each
 * ending at a checkpoint height when the chain is long enough, so every
 * batch is checked against the checkpoints of every filter peer before it
 * joins the chain. A batch that contradicts the source's own checkpoint,
 * or a shape we did not ask for, is a broken rule (protocol-violation); a
 * disagreement between two peers is a dispute that a block settles
 * (cfjudge.c). A peer that does not answer in time is replaced for that
 * request; three misses disconnect it as stalled, never as a liar. */
#include "cfsync_internal.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 250u

static const uint8_t zero_header[32];

struct cf_peer *cf_peer_get(const struct node *n, uint64_t id)
{
    return n->cf ? idmap_get(&n->cf->peers, id) : NULL;
}

void cf_drop(struct node *n, struct cf_peer *p, enum peer_reason reason, const char *what)
{
    if (p->convicted) return;
    p->convicted = true;
    struct log_field f[] = {LOG_STR("offence", what), LOG_STR("reason", peer_reason_str(reason))};
    log_event(LOG_WARN, LOG_CAT_CHAIN, (int64_t)p->id,
              reason == PEER_REASON_BAD_FILTERS ? "filter peer proven wrong" : "filter peer broke the protocol",
              f, 2);
    if (n->cf->source == p->id) n->cf->source = 0;
    peer_disconnect_id(n->peers, p->id, reason);
}

bool cf_request(struct node *n, struct cf_peer *p, enum wire_type type, int32_t start, int32_t stop)
{
    const struct chain_entry *e = chain_at_height(n->chain, stop);
    if (!e || start < 0 || start > stop) return false;
    struct node_cf_request req = {.msg.type = type, .answers = 1};
    if (type == WIRE_GETCFCHECKPT) {
        req.msg.u.getcfcheckpt.filter_type = WIRE_FILTER_BASIC;
        memcpy(req.msg.u.getcfcheckpt.stop_hash, e->hash, 32);
    } else {
        req.msg.u.cfrange.filter_type = WIRE_FILTER_BASIC;
        req.msg.u.cfrange.start_height = (uint32_t)start;
        memcpy(req.msg.u.cfrange.stop_hash, e->hash, 32);
        if (type == WIRE_GETCFILTERS) req.answers = (uint32_t)(stop - start + 1);
    }
    struct node_request r = {.type = NODE_REQ_GET_CF, .u.cf = &req};
    if (peer_request(n->peers, p->id, &r) != PEER_OK) return false;
    p->ask = type == WIRE_GETCFCHECKPT ? CF_ASK_CKPT : type == WIRE_GETCFHEADERS ? CF_ASK_HEADERS : CF_ASK_FILTERS;
    p->abandoned = false;
    p->ask_start = start;
    p->ask_stop = stop;
    memcpy(p->ask_stop_hash, e->hash, 32);
    p->deadline_ms = clock_mono_ms() + n->cfg->filter_timeout_ms;
    return true;
}

/* ---- checkpoints ---- */

static void ask_checkpoints(struct node *n, struct cf_peer *p)
{
    int32_t tip = chain_height(n->chain);
    if (tip < (int32_t)WIRE_CFCHECKPT_INTERVAL) {
        /* Nothing to compare yet; asked again once the chain is longer. */
        p->have_ckpt = true;
        return;
    }
    cf_request(n, p, WIRE_GETCFCHECKPT, 0, tip);
}

/* Its checkpoint at height h, or NULL. */
static const uint8_t *ckpt_at(const struct cf_peer *p, int32_t h)
{
    if (p->disputed || p->convicted || !p->have_ckpt || h < (int32_t)WIRE_CFCHECKPT_INTERVAL ||
        h % (int32_t)WIRE_CFCHECKPT_INTERVAL)
        return NULL;
    size_t i = (size_t)(h / (int32_t)WIRE_CFCHECKPT_INTERVAL) - 1;
    return i < p->n_ckpt ? p->ckpt[i] : NULL;
}

/* Headers we hold that a peer's checkpoint contradicts (loaded from
 * cfheaders.dat, or synced before it came) are forgotten back to the
 * checkpoint before: they are synced again, and disputed if it comes to
 * that. */
static void check_stored(struct node *n, const struct cf_peer *p)
{
    struct cfstore *s = n->cf->store;
    for (size_t i = 0; i < p->n_ckpt; i++) {
        int32_t h = (int32_t)((i + 1) * WIRE_CFCHECKPT_INTERVAL);
        const uint8_t *ours = cfstore_get(s, h);
        if (!ours) break;
        if (memcmp(ours, p->ckpt[i], 32) != 0) {
            size_t keep = (size_t)h - WIRE_CFCHECKPT_INTERVAL + 1;
            if (h == (int32_t)WIRE_CFCHECKPT_INTERVAL) keep = 0;
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)p->id,
                   "filter header at %d disagrees with the peer's checkpoint: syncing again from %zu",
                   h, keep);
            cfstore_truncate(s, keep);
            return;
        }
    }
}

static void on_checkpoints(struct node *n, struct cf_peer *p, const struct wire_cfcheckpt *m)
{
    if (m->filter_type != WIRE_FILTER_BASIC || memcmp(m->stop_hash, p->ask_stop_hash, 32) != 0) {
        cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, "cfcheckpt-not-asked");
        return;
    }
    if (m->count != (size_t)p->ask_stop / WIRE_CFCHECKPT_INTERVAL) {
        cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, "cfcheckpt-count-mismatch");
        return;
    }
    void *copy = malloc(m->count * 32);
    if (!copy) return;
    memcpy(copy, m->headers, m->count * 32);
    free(p->ckpt);
    p->ckpt = copy;
    p->n_ckpt = m->count;
    p->have_ckpt = true;
    LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)p->id, "filter checkpoints: %zu up to height %d",
           m->count, p->ask_stop);
    check_stored(n, p);
}

/* ---- cfheaders ---- */

const char *cf_headers_shape(const struct node *n, const struct cf_peer *p,
                             const struct wire_cfheaders *m)
{
    (void)n;
    if (m->filter_type != WIRE_FILTER_BASIC) return "cfheaders-wrong-filter-type";
    if (memcmp(m->stop_hash, p->ask_stop_hash, 32) != 0) return "cfheaders-wrong-stop-hash";
    if (m->count != (size_t)(p->ask_stop - p->ask_start + 1)) return "cfheaders-count-mismatch";
    /* BIP157 fixes the header before genesis. */
    if (p->ask_start == 0 && memcmp(m->prev_header, zero_header, 32) != 0)
        return "cfheaders-wrong-prev-header";
    return NULL;
}

static void accept_headers(struct node *n, const uint8_t (*hdrs)[32], size_t count)
{
    struct cfstore *s = n->cf->store;
    if (cfstore_append(s, hdrs, count) != CFSTORE_OK) {
        log_error(LOG_CAT_CHAIN, "out of memory for filter headers");
        return;
    }
    const struct chain_entry *e = chain_at_height(n->chain, (int32_t)cfstore_count(s) - 1);
    if (e) memcpy(n->cf->tip_hash, e->hash, 32);
    cfstore_flush(s, node_state_writer(n));
}

static void on_batch(struct node *n, struct cf_peer *p, const struct wire_cfheaders *m)
{
    struct cfsync *cf = n->cf;
    int32_t start = p->ask_start;
    const char *bad = cf_headers_shape(n, p, m);
    if (bad) {
        cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, bad);
        return;
    }
    if ((size_t)start != cfstore_count(cf->store)) return; /* our chain moved meanwhile: ask again */
    const uint8_t *prev = start ? cfstore_get(cf->store, start - 1) : zero_header;
    if (memcmp(m->prev_header, prev, 32) != 0) {
        const uint8_t *own = ckpt_at(p, start - 1);
        if (own && memcmp(own, prev, 32) == 0) {
            cf_drop(n, p, PEER_REASON_BAD_FILTERS, "cfheaders-prev-contradicts-own-cfcheckpt");
            return;
        }
        /* Our tail past the last checkpoint is not agreed: take it back
         * to the checkpoint before and sync it again. */
        size_t keep = (size_t)(start - 1) / WIRE_CFCHECKPT_INTERVAL * WIRE_CFCHECKPT_INTERVAL;
        cfstore_truncate(cf->store, keep ? keep + 1 : 0);
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)p->id,
               "filter headers disagree past height %d: syncing again from %zu", start - 1,
               cfstore_count(cf->store));
        return;
    }
    uint8_t(*hdrs)[32] = malloc(m->count * 32);
    if (!hdrs) return;
    blockfilter_header_chain(prev, (const uint8_t(*)[32])m->filter_hashes, m->count, hdrs);
    /* Checkpoint heights in the batch, lowest first: the source's own
     * must agree (else it contradicts itself); another peer's that does
     * not is a dispute, and only what precedes it is taken. */
    int32_t first = ((start + (int32_t)WIRE_CFCHECKPT_INTERVAL - 1) / (int32_t)WIRE_CFCHECKPT_INTERVAL) *
                    (int32_t)WIRE_CFCHECKPT_INTERVAL;
    if (first == 0) first = (int32_t)WIRE_CFCHECKPT_INTERVAL;
    for (int32_t h = first; h <= p->ask_stop; h += (int32_t)WIRE_CFCHECKPT_INTERVAL) {
        const uint8_t *got = hdrs[h - start];
        const uint8_t *own = ckpt_at(p, h);
        if (own && memcmp(own, got, 32) != 0) {
            cf_drop(n, p, PEER_REASON_BAD_FILTERS, "cfheaders-contradict-own-cfcheckpt");
            free(hdrs);
            return;
        }
        size_t pos = 0;
        void *value;
        while (idmap_next(&cf->peers, &pos, NULL, &value)) {
            struct cf_peer *o = value;
            const uint8_t *theirs = o == p ? NULL : ckpt_at(o, h);
            if (!theirs || memcmp(theirs, got, 32) == 0) continue;
            int32_t base = h - (int32_t)WIRE_CFCHECKPT_INTERVAL;
            if (base >= start) accept_headers(n, (const uint8_t(*)[32])hdrs, (size_t)(base - start + 1));
            free(hdrs);
            cf_dispute_start(n, p, o, h == (int32_t)WIRE_CFCHECKPT_INTERVAL ? -1 : base, h);
            return;
        }
    }
    accept_headers(n, (const uint8_t(*)[32])hdrs, m->count);
    free(hdrs);
}

/* ---- choosing whom to ask ---- */

static bool usable(const struct cf_peer *p)
{
    return !p->convicted && !p->disputed && p->have_ckpt && p->ask == CF_ASK_NONE;
}

/* The source: the current one while it serves, else the usable peer with
 * the fewest strikes (lowest id on a tie, for a stable order). */
static struct cf_peer *pick_source(struct node *n)
{
    struct cf_peer *cur = cf_peer_get(n, n->cf->source);
    if (cur && !cur->convicted && !cur->disputed) return cur;
    struct cf_peer *best = NULL;
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->cf->peers, &pos, NULL, &value)) {
        struct cf_peer *p = value;
        if (!usable(p)) continue;
        if (!best || p->strikes < best->strikes || (p->strikes == best->strikes && p->id < best->id))
            best = p;
    }
    n->cf->source = best ? best->id : 0;
    return best;
}

static void log_caught_up(struct node *n)
{
    struct cfsync *cf = n->cf;
    if (cf->caught_up_logged) return;
    cf->caught_up_logged = true;
    double secs = (double)(clock_mono_ms() - cf->started_ms) / 1000.0;
    struct log_field f[] = {LOG_INT("height", (int64_t)cfstore_count(cf->store) - 1),
                            LOG_INT("from", cf->start_height)};
    char msg[96];
    snprintf(msg, sizeof msg, "filter headers caught up in %.3f s", secs);
    log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)cf->source, msg, f, 2);
}

void cf_advance(struct node *n)
{
    struct cfsync *cf = n->cf;
    if (!cf || n->shutting_down) return;
    int32_t tip = chain_height(n->chain);
    size_t pos = 0;
    void *value;
    while (idmap_next(&cf->peers, &pos, NULL, &value)) {
        struct cf_peer *p = value;
        /* Checkpoints again once the chain has grown a checkpoint past them. */
        if (!p->convicted && p->ask == CF_ASK_NONE && tip >= 0 &&
            (size_t)tip / WIRE_CFCHECKPT_INTERVAL > p->n_ckpt)
            ask_checkpoints(n, p);
    }
    if (cf->dispute.active) {
        cf_dispute_poke(n);
        return;
    }
    int32_t have = (int32_t)cfstore_count(cf->store);
    if (have > tip) {
        log_caught_up(n);
        return;
    }
    /* Wait for every filter peer's checkpoints that is still coming:
     * a batch is only judged once all are in. */
    pos = 0;
    while (idmap_next(&cf->peers, &pos, NULL, &value)) {
        const struct cf_peer *p = value;
        if (p->ask == CF_ASK_CKPT && !p->abandoned) return;
    }
    struct cf_peer *src = pick_source(n);
    if (!src || src->ask != CF_ASK_NONE) return;
    cf->caught_up_logged = false;
    int32_t stop = (have + (int32_t)WIRE_MAX_CFHEADERS - 1) / (int32_t)WIRE_CFCHECKPT_INTERVAL *
                   (int32_t)WIRE_CFCHECKPT_INTERVAL;
    if (stop > tip) stop = tip;
    if (stop < have) stop = have;
    cf_request(n, src, WIRE_GETCFHEADERS, have, stop);
}

/* ---- events ---- */

void node_cf_peer_ready(struct node *n, struct node_peer *np)
{
    if (!n->cf || !(np->services & NODE_COMPACT_FILTERS)) return;
    if (np->kind == CONN_FEELER || np->kind == CONN_ADDR_FETCH) return;
    struct cf_peer *p = calloc(1, sizeof *p);
    if (!p) return;
    p->id = np->id;
    if (!idmap_put(&n->cf->peers, p->id, p)) {
        free(p);
        return;
    }
    ask_checkpoints(n, p);
    cf_advance(n);
}

void node_cf_peer_gone(struct node *n, uint64_t id)
{
    if (!n->cf) return;
    struct cf_peer *p = idmap_del(&n->cf->peers, id);
    if (!p) return;
    cf_dispute_drop_party(n, id);
    cf_fetch_peer_lost(n, id);
    if (n->cf->source == id) n->cf->source = 0;
    free(p->ckpt);
    free(p);
    cf_advance(n);
}

void node_cf_answer(struct node *n, uint64_t id, const struct wire_msg *msg)
{
    struct cf_peer *p = cf_peer_get(n, id);
    if (p && p->convicted) return;
    enum cf_ask want = msg->type == WIRE_CFCHECKPT ? CF_ASK_CKPT
                       : msg->type == WIRE_CFHEADERS ? CF_ASK_HEADERS : CF_ASK_FILTERS;
    if (!p || p->ask != want) {
        const char *what = "unsolicited-cf-answer";
        if (msg->type == WIRE_CFILTER && !chain_lookup(n->chain, msg->u.cfilter.block_hash))
            what = "cfilter-for-unknown-block";
        struct log_field f[] = {LOG_STR("offence", what), LOG_STR("command", wire_msg_command(msg))};
        log_event(LOG_WARN, LOG_CAT_CHAIN, (int64_t)id, "filter message we did not ask for", f, 2);
        if (p) cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, what);
        else peer_disconnect_id(n->peers, id, PEER_REASON_PROTOCOL_VIOLATION);
        return;
    }
    if (p->abandoned) {
        /* Late, after we asked someone else: the answer is dropped, the
         * peer is usable again (its strike stays). */
        if (want != CF_ASK_FILTERS || p->ask_start >= p->ask_stop) p->ask = CF_ASK_NONE;
        else p->ask_start++;
        cf_advance(n);
        cf_fetch_poke(n);
        return;
    }
    switch (msg->type) {
    case WIRE_CFCHECKPT:
        p->ask = CF_ASK_NONE;
        on_checkpoints(n, p, &msg->u.cfcheckpt);
        break;
    case WIRE_CFHEADERS:
        p->ask = CF_ASK_NONE;
        if (n->cf->dispute.active && (id == n->cf->dispute.a || id == n->cf->dispute.b))
            cf_dispute_headers(n, p, &msg->u.cfheaders);
        else
            on_batch(n, p, &msg->u.cfheaders);
        break;
    case WIRE_CFILTER: {
        const struct chain_entry *e = chain_at_height(n->chain, p->ask_start);
        int32_t h = p->ask_start;
        if (p->ask_start >= p->ask_stop) p->ask = CF_ASK_NONE;
        else p->ask_start++;
        if (msg->u.cfilter.filter_type != WIRE_FILTER_BASIC) {
            cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, "cfilter-wrong-filter-type");
            return;
        }
        if (!chain_lookup(n->chain, msg->u.cfilter.block_hash)) {
            cf_drop(n, p, PEER_REASON_PROTOCOL_VIOLATION, "cfilter-for-unknown-block");
            return;
        }
        if (!e || memcmp(e->hash, msg->u.cfilter.block_hash, 32) != 0) {
            /* A block we know, not the one due: out of order, or our chain
             * reorganised since we asked. Not used, not punished. */
            LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)id, "cfilter for height %d: not the block due", h);
            break;
        }
        cf_dispute_filter(n, p, &msg->u.cfilter);
        if (!p->convicted) cf_fetch_filter(n, p, h, &msg->u.cfilter);
        break;
    }
    default: break;
    }
    cf_advance(n);
    cf_fetch_poke(n);
}

void node_cf_chain_changed(struct node *n)
{
    struct cfsync *cf = n->cf;
    if (!cf) return;
    size_t count = cfstore_count(cf->store);
    if (count) {
        const struct chain_entry *e = chain_at_height(n->chain, (int32_t)count - 1);
        if (!e || memcmp(e->hash, cf->tip_hash, 32) != 0) {
            /* A reorg under our filter headers: back to the fork. */
            const struct chain_entry *old = chain_lookup(n->chain, cf->tip_hash);
            while (old && !chain_contains(n->chain, old)) old = old->parent;
            size_t keep = old ? (size_t)old->height + 1 : 0;
            if (keep > count) keep = count;
            cfstore_truncate(cf->store, keep);
            const struct chain_entry *t = keep ? chain_at_height(n->chain, (int32_t)keep - 1) : NULL;
            if (t) memcpy(cf->tip_hash, t->hash, 32);
            log_info(LOG_CAT_CHAIN, "reorg: filter headers back to height %zd", (ssize_t)keep - 1);
            cfstore_flush(cf->store, node_state_writer(n));
            if (cf->dispute.active) cf_dispute_end(n);
            size_t pos = 0;
            void *value;
            while (idmap_next(&cf->peers, &pos, NULL, &value)) {
                struct cf_peer *p = value;
                p->n_ckpt = 0; /* asked again, for the new chain */
            }
        }
    }
    cf_advance(n);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    uint64_t now = clock_mono_ms();
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->cf->peers, &pos, NULL, &value)) {
        struct cf_peer *p = value;
        if (p->ask == CF_ASK_NONE || p->convicted || now < p->deadline_ms) continue;
        /* Still nothing a whole timeout later: another strike, so a peer
         * that never answers is let go after three. */
        p->deadline_ms = now + n->cfg->filter_timeout_ms;
        p->strikes++;
        if (p->abandoned) {
            struct log_field fs[] = {LOG_UINT("strikes", p->strikes)};
            log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)p->id, "filter peer still silent", fs, 1);
            if (p->strikes >= CF_MAX_STRIKES) peer_disconnect_id(n->peers, p->id, PEER_REASON_SYNC_STALLED);
            continue;
        }
        p->abandoned = true;
        struct log_field f[] = {LOG_UINT("strikes", p->strikes)};
        log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)p->id, "filter peer too slow: asking another", f, 1);
        if (p->ask == CF_ASK_CKPT) p->have_ckpt = p->n_ckpt > 0;
        if (n->cf->source == p->id) n->cf->source = 0;
        cf_dispute_drop_party(n, p->id);
        cf_fetch_peer_lost(n, p->id);
        if (p->strikes >= CF_MAX_STRIKES) peer_disconnect_id(n->peers, p->id, PEER_REASON_SYNC_STALLED);
    }
    cf_dispute_tick(n, now);
    cf_advance(n);
    struct timeval tv = {0, TICK_MS * 1000};
    event_add(n->cf->timer, &tv);
}

/* ---- life cycle ---- */

enum node_err node_cf_start(struct node *n)
{
    if (!n->cfg->blockfilters) return NODE_OK;
    struct cfsync *cf = calloc(1, sizeof *cf);
    if (!cf) return NODE_ERR_NOMEM;
    n->cf = cf;
    idmap_init(&cf->peers);
    char path[PATH_MAX + 16];
    if (n->cfg->datadir[0]) snprintf(path, sizeof path, "%s/cfheaders.dat", n->cfg->datadir);
    size_t loaded, cut;
    enum cfstore_err err =
        cfstore_open(n->cfg->datadir[0] ? path : NULL, chain_height(n->chain), &cf->store, &loaded, &cut);
    if (err != CFSTORE_OK) {
        log_error(LOG_CAT_CHAIN, "cannot open cfheaders.dat: %s", cfstore_err_str(err));
        return NODE_ERR_STORE;
    }
    if (loaded || cut)
        log_info(LOG_CAT_CHAIN, "loaded %zu filter headers from cfheaders.dat (%zu past the last checkpoint cut)",
                 loaded, cut);
    if (loaded) memcpy(cf->tip_hash, chain_at_height(n->chain, (int32_t)loaded - 1)->hash, 32);
    cf->started_ms = clock_mono_ms();
    cf->start_height = (int32_t)loaded - 1;
    cf->timer = evtimer_new(n->base, on_tick, n);
    if (!cf->timer || !cf_fetch_new(n)) return NODE_ERR_NOMEM;
    struct timeval tv = {0, TICK_MS * 1000};
    event_add(cf->timer, &tv);
    return NODE_OK;
}

void node_cf_flush(struct node *n)
{
    if (n->cf) cfstore_flush(n->cf->store, node_state_writer(n));
}

void node_cf_free(struct node *n)
{
    struct cfsync *cf = n->cf;
    if (!cf) return;
    cf_fetch_free(n);
    cf_dispute_end(n);
    if (cf->timer) event_free(cf->timer);
    size_t pos = 0;
    void *value;
    while (idmap_next(&cf->peers, &pos, NULL, &value)) {
        struct cf_peer *p = value;
        free(p->ckpt);
        free(p);
    }
    idmap_free(&cf->peers);
    cfstore_close(cf->store);
    free(cf);
    n->cf = NULL;
}
