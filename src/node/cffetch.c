/* Filters on demand (--blockfilters): getblockfilter's single blocks and
 * one scanblocks scan at a time (view_filters.h).
 *
 * Filters are asked in windows (getcfilters, at most CF_WINDOW blocks)
 * from filter peers that are idle and trusted, several windows at once on
 * different peers. Each filter that arrives is checked against the filter
 * header chain (its hash chained from the previous header must give the
 * next): one that does not comes from a peer that contradicts the chain it
 * agreed to (its checkpoints) and is disconnected as bad-filters; above
 * its last checkpoint it is only no longer trusted. A window whose peer is
 * slow or gone is asked again elsewhere from where it stopped.
 *
 * Checked filters go to a cache (LRU, NODE_FILTER_CACHE_BYTES); those the
 * scan still has to match are pinned until it has. The scan matches in
 * height order on a zero-delay timer, a budget of script hashes per loop
 * turn, so a scan of many scripts never holds the loop. Memory: the cache
 * cap, plus the pinned filters of at most CF_LOOKAHEAD heights, plus the
 * scan's scripts and one byte per height scanned. */
#include "cfsync_internal.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/gcs.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#define CF_WINDOW 100         /* blocks per getcfilters (Core allows 1,000) */
#define CF_MAX_WINDOWS 4u     /* at most this many out, on different peers */
#define CF_LOOKAHEAD 1000     /* the scan asks at most this far past what it matched */
#define CF_MATCH_BUDGET 8192u /* script hashes per loop turn (~1.2 ms of SipHash) */

static const uint8_t zero_header[32];

struct cf_window {
    bool used;
    int32_t next, stop;   /* heights still due */
    uint64_t peer;        /* 0: not asked yet */
};

struct cf_entry {
    int32_t height;
    uint8_t block_hash[32];
    uint8_t *filter;
    size_t len;
    struct cf_entry *prev, *next; /* LRU: head is the most recent */
};

struct cf_get {
    int32_t height;
    uint8_t block_hash[32];
    node_filter_fn done;
    void *ctx;
    struct cf_get *next;
};

struct cf_fetch {
    struct cf_window win[CF_MAX_WINDOWS];
    struct idmap cache;          /* height → struct cf_entry */
    struct cf_entry *lru_head, *lru_tail;
    size_t cache_bytes;
    struct cf_get *gets;
    struct event *slice;
    struct {
        bool running;
        int32_t from, to, current, asked_to; /* asked_to: windows made up to here */
        struct gcs_item *items;
        uint8_t *data;
        size_t n_items;
        uint8_t *hit;            /* one per height: matched */
        size_t relevant;
        node_scan_fn done;
        void *ctx;
    } scan;
};

static struct cf_fetch *fetch_of(const struct node *n)
{
    return n->cf ? n->cf->fetch : NULL;
}

/* ---- the cache ---- */

/* idmap keys are never 0: heights are stored one up. */
static uint64_t cache_key(int32_t h)
{
    return (uint64_t)h + 1;
}

static void lru_unlink(struct cf_fetch *f, struct cf_entry *e)
{
    if (e->prev) e->prev->next = e->next;
    else f->lru_head = e->next;
    if (e->next) e->next->prev = e->prev;
    else f->lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(struct cf_fetch *f, struct cf_entry *e)
{
    e->next = f->lru_head;
    if (f->lru_head) f->lru_head->prev = e;
    f->lru_head = e;
    if (!f->lru_tail) f->lru_tail = e;
}

static void entry_drop(struct cf_fetch *f, struct cf_entry *e)
{
    lru_unlink(f, e);
    idmap_del(&f->cache, cache_key(e->height));
    f->cache_bytes -= e->len;
    free(e->filter);
    free(e);
}

static bool pinned(const struct cf_fetch *f, int32_t h)
{
    return f->scan.running && h >= f->scan.current && h <= f->scan.asked_to;
}

static void cache_trim(struct cf_fetch *f)
{
    struct cf_entry *e = f->lru_tail;
    while (e && f->cache_bytes > NODE_FILTER_CACHE_BYTES) {
        struct cf_entry *prev = e->prev;
        if (!pinned(f, e->height)) entry_drop(f, e);
        e = prev;
    }
}

/* The checked filter of the active chain's block at h, or NULL. */
static struct cf_entry *cache_get(const struct node *n, int32_t h)
{
    struct cf_fetch *f = fetch_of(n);
    struct cf_entry *e = f ? idmap_get(&f->cache, cache_key(h)) : NULL;
    const struct chain_entry *c = chain_at_height(n->chain, h);
    if (!e || !c || memcmp(c->hash, e->block_hash, 32) != 0) return NULL;
    return e;
}

static void cache_put(struct cf_fetch *f, int32_t h, const uint8_t hash[32], const uint8_t *filter, size_t len)
{
    struct cf_entry *old = idmap_get(&f->cache, cache_key(h));
    if (old) entry_drop(f, old);
    struct cf_entry *e = calloc(1, sizeof *e);
    if (!e) return;
    e->filter = malloc(len ? len : 1);
    if (!e->filter || !idmap_put(&f->cache, cache_key(h), e)) {
        free(e->filter);
        free(e);
        return;
    }
    memcpy(e->filter, filter, len);
    e->len = len;
    e->height = h;
    memcpy(e->block_hash, hash, 32);
    f->cache_bytes += len;
    lru_push(f, e);
    cache_trim(f);
}

/* ---- windows ---- */

static void arm_slice(struct cf_fetch *f)
{
    static const struct timeval now = {0, 0};
    event_add(f->slice, &now);
}

static bool peer_busy_in_windows(const struct cf_fetch *f, uint64_t id)
{
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++)
        if (f->win[i].used && f->win[i].peer == id) return true;
    return false;
}

static struct cf_peer *idle_peer(struct node *n, const struct cf_fetch *f)
{
    size_t pos = 0;
    void *value;
    struct cf_peer *best = NULL;
    while (idmap_next(&n->cf->peers, &pos, NULL, &value)) {
        struct cf_peer *p = value;
        if (p->convicted || p->disputed || p->ask != CF_ASK_NONE || peer_busy_in_windows(f, p->id)) continue;
        if (n->cf->dispute.active && (p->id == n->cf->dispute.a || p->id == n->cf->dispute.b)) continue;
        if (!best || p->strikes < best->strikes || (p->strikes == best->strikes && p->id < best->id)) best = p;
    }
    return best;
}

static void ask_windows(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++) {
        struct cf_window *w = &f->win[i];
        if (!w->used || w->peer) continue;
        struct cf_peer *p = idle_peer(n, f);
        if (!p) return;
        if (cf_request(n, p, WIRE_GETCFILTERS, w->next, w->stop)) {
            w->peer = p->id;
            LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)p->id, "asking filters %d to %d", w->next, w->stop);
        }
    }
}

static bool add_window(struct cf_fetch *f, int32_t from, int32_t to)
{
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++) {
        if (f->win[i].used) continue;
        f->win[i] = (struct cf_window){.used = true, .next = from, .stop = to};
        return true;
    }
    return false;
}

/* Heights someone waits for that no window covers: new windows. */
static void plan_windows(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    for (struct cf_get *g = f->gets; g; g = g->next) {
        bool covered = false;
        for (unsigned i = 0; i < CF_MAX_WINDOWS; i++)
            covered |= f->win[i].used && g->height >= f->win[i].next && g->height <= f->win[i].stop;
        if (!covered && !add_window(f, g->height, g->height)) break;
    }
    while (f->scan.running && f->scan.asked_to < f->scan.to &&
           f->scan.asked_to < f->scan.current + CF_LOOKAHEAD) {
        int32_t from = f->scan.asked_to + 1;
        while (from <= f->scan.to && cache_get(n, from)) from++; /* already here */
        if (from > f->scan.to) {
            f->scan.asked_to = f->scan.to;
            break;
        }
        int32_t to = from + CF_WINDOW - 1;
        if (to > f->scan.to) to = f->scan.to;
        if (!add_window(f, from, to)) break;
        f->scan.asked_to = to;
    }
    ask_windows(n);
}

void cf_fetch_poke(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    if (f && (f->scan.running || f->gets)) arm_slice(f);
}

/* A slow or gone peer's windows go back to be asked elsewhere. */
void cf_fetch_peer_lost(struct node *n, uint64_t id)
{
    struct cf_fetch *f = fetch_of(n);
    if (!f) return;
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++)
        if (f->win[i].used && f->win[i].peer == id) f->win[i].peer = 0;
    arm_slice(f);
}

/* ---- answers ---- */

static void answer_gets(struct node *n, int32_t h, const uint8_t *filter, size_t len)
{
    struct cf_fetch *f = fetch_of(n);
    struct cf_get **pp = &f->gets;
    while (*pp) {
        struct cf_get *g = *pp;
        if (g->height != h) {
            pp = &g->next;
            continue;
        }
        *pp = g->next;
        g->done(g->ctx, filter, len, cfstore_get(n->cf->store, h), NULL);
        free(g);
    }
}

void cf_fetch_filter(struct node *n, struct cf_peer *p, int32_t h, const struct wire_cfilter *m)
{
    struct cf_fetch *f = fetch_of(n);
    struct cf_window *w = NULL;
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++)
        if (f->win[i].used && f->win[i].peer == p->id && f->win[i].next == h) w = &f->win[i];
    if (!w) return; /* a dispute's, or a window we gave up on */
    const uint8_t *prev = h ? cfstore_get(n->cf->store, h - 1) : zero_header;
    const uint8_t *want = cfstore_get(n->cf->store, h);
    uint8_t hash[32], got[32];
    blockfilter_hash(m->filter, m->filter_len, hash);
    if (prev && want) blockfilter_header(hash, prev, got);
    if (!prev || !want || memcmp(got, want, 32) != 0) {
        w->peer = 0;
        bool committed = p->have_ckpt && !p->disputed &&
                         (size_t)h <= p->n_ckpt * WIRE_CFCHECKPT_INTERVAL && prev && want;
        if (committed) {
            cf_drop(n, p, PEER_REASON_BAD_FILTERS, "cfilter-contradicts-its-checkpoints");
        } else {
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)p->id,
                   "filter for height %d does not match the filter header chain: peer no longer trusted", h);
            p->disputed = true;
        }
        arm_slice(f);
        return;
    }
    cache_put(f, h, m->block_hash, m->filter, m->filter_len);
    answer_gets(n, h, m->filter, m->filter_len);
    if (++w->next > w->stop) w->used = false;
    arm_slice(f);
}

/* ---- the scan ---- */

/* Windows no one waits for any more (an ended scan, a cancelled or timed
 * out getblockfilter) are let go; their answers are dropped. */
static void release_windows(struct cf_fetch *f)
{
    for (unsigned i = 0; i < CF_MAX_WINDOWS; i++) {
        struct cf_window *w = &f->win[i];
        bool wanted = f->scan.running && w->stop >= f->scan.current && w->next <= f->scan.to;
        for (struct cf_get *g = f->gets; g; g = g->next) wanted |= g->height >= w->next && g->height <= w->stop;
        if (!wanted) w->used = false;
    }
}

static void scan_finish(struct node *n, bool completed)
{
    struct cf_fetch *f = fetch_of(n);
    size_t count = 0;
    uint8_t(*hashes)[32] = malloc((f->scan.relevant ? f->scan.relevant : 1) * 32);
    if (hashes) {
        for (int32_t h = f->scan.from; h < f->scan.current && count < f->scan.relevant; h++) {
            const struct chain_entry *e = chain_at_height(n->chain, h);
            if (f->scan.hit[h - f->scan.from] && e) memcpy(hashes[count++], e->hash, 32);
        }
    }
    node_scan_fn done = f->scan.done;
    void *ctx = f->scan.ctx;
    int32_t from = f->scan.from, to = completed ? f->scan.to : f->scan.current - 1;
    free(f->scan.items);
    free(f->scan.data);
    free(f->scan.hit);
    memset(&f->scan, 0, sizeof f->scan);
    release_windows(f);
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, -1, "scan %s: heights %d to %d, %zu relevant blocks",
           completed ? "completed" : "aborted", from, to, count);
    done(ctx, from, to, (const uint8_t(*)[32])hashes, count, completed);
    free(hashes);
}

/* Match, in height order, what has arrived, within the turn's budget. */
static void scan_slice(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    size_t spent = 0;
    while (f->scan.running && f->scan.current <= f->scan.to && spent < CF_MATCH_BUDGET) {
        struct cf_entry *e = cache_get(n, f->scan.current);
        if (!e) return;
        struct gcs_params params;
        struct gcs_filter gf;
        bool any = false;
        gcs_basic_params(e->block_hash, &params);
        /* A filter the header chain vouches for that does not open is
         * still that block's filter: it matches nothing we can read. */
        if (gcs_open(e->filter, e->len, &params, &gf) == GCS_OK &&
            gcs_match_any(&gf, f->scan.items, f->scan.n_items, &any) == GCS_OK && any) {
            f->scan.hit[f->scan.current - f->scan.from] = 1;
            f->scan.relevant++;
        }
        spent += f->scan.n_items ? f->scan.n_items : 1;
        f->scan.current++;
    }
    if (f->scan.running && f->scan.current > f->scan.to) scan_finish(n, true);
    else if (f->scan.running && spent >= CF_MATCH_BUDGET) arm_slice(f); /* more next turn */
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    struct cf_fetch *f = fetch_of(n);
    if (!f || n->shutting_down) return;
    for (struct cf_get *g = f->gets, *next; g; g = next) {
        next = g->next;
        struct cf_entry *e = cache_get(n, g->height);
        if (e) answer_gets(n, g->height, e->filter, e->len); /* may free g and others at that height */
        if (e) break; /* the list changed: the next slice goes on */
    }
    if (f->gets) arm_slice(f);
    scan_slice(n);
    if (fetch_of(n)->scan.running || fetch_of(n)->gets) plan_windows(n);
}

/* ---- the view ---- */

enum node_err node_get_filter(struct node *n, const uint8_t block_hash[32], node_filter_fn done, void *ctx)
{
    struct cf_fetch *f = fetch_of(n);
    const struct chain_entry *e = chain_lookup(n->chain, block_hash);
    if (!f || !e || !chain_contains(n->chain, e)) return NODE_ERR_NOT_FOUND;
    if (!cfstore_get(n->cf->store, e->height)) return NODE_ERR_FULL;
    /* Answered from the slice, even from the cache: never before the
     * caller has returned. */
    struct cf_get *g = calloc(1, sizeof *g);
    if (!g) return NODE_ERR_NOMEM;
    g->height = e->height;
    memcpy(g->block_hash, block_hash, 32);
    g->done = done;
    g->ctx = ctx;
    g->next = f->gets;
    f->gets = g;
    arm_slice(f);
    return NODE_OK;
}

void node_get_filter_cancel(struct node *n, void *ctx)
{
    struct cf_fetch *f = fetch_of(n);
    if (!f) return;
    for (struct cf_get **pp = &f->gets; *pp;) {
        struct cf_get *g = *pp;
        if (g->ctx != ctx) {
            pp = &g->next;
            continue;
        }
        *pp = g->next;
        free(g);
    }
    release_windows(f);
}

enum node_err node_scan_start(struct node *n, int32_t from, int32_t to,
                              const struct node_scan_script *scripts, size_t n_scripts,
                              node_scan_fn done, void *ctx)
{
    struct cf_fetch *f = fetch_of(n);
    if (!f) return NODE_ERR_NOT_FOUND;
    if (f->scan.running) return NODE_ERR_EXISTS;
    if (from < 0 || to < from || to > chain_height(n->chain) || n_scripts > NODE_SCAN_MAX_SCRIPTS)
        return NODE_ERR_BAD_ADDRESS;
    if (!cfstore_get(n->cf->store, to)) return NODE_ERR_FULL;
    size_t bytes = 0;
    for (size_t i = 0; i < n_scripts; i++) bytes += scripts[i].len;
    f->scan.items = calloc(n_scripts ? n_scripts : 1, sizeof *f->scan.items);
    f->scan.data = malloc(bytes ? bytes : 1);
    f->scan.hit = calloc((size_t)(to - from) + 1, 1);
    if (!f->scan.items || !f->scan.data || !f->scan.hit) {
        free(f->scan.items);
        free(f->scan.data);
        free(f->scan.hit);
        memset(&f->scan, 0, sizeof f->scan);
        return NODE_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t i = 0; i < n_scripts; i++) {
        if (scripts[i].len) memcpy(f->scan.data + at, scripts[i].data, scripts[i].len);
        f->scan.items[i] = (struct gcs_item){.data = f->scan.data + at, .len = scripts[i].len};
        at += scripts[i].len;
    }
    f->scan.n_items = n_scripts;
    f->scan.running = true;
    f->scan.from = from;
    f->scan.to = to;
    f->scan.current = from;
    f->scan.asked_to = from - 1;
    f->scan.done = done;
    f->scan.ctx = ctx;
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, -1, "scan started: heights %d to %d, %zu scripts", from, to, n_scripts);
    arm_slice(f);
    return NODE_OK;
}

void node_scan_status(const struct node *n, struct node_scan_view *out)
{
    memset(out, 0, sizeof *out);
    struct cf_fetch *f = fetch_of(n);
    if (!f || !f->scan.running) return;
    out->running = true;
    out->from = f->scan.from;
    out->to = f->scan.to;
    out->current = f->scan.current;
    out->relevant = f->scan.relevant;
    out->progress = 100.0 * (f->scan.current - f->scan.from) / ((double)(f->scan.to - f->scan.from) + 1);
}

bool node_scan_abort(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    if (!f || !f->scan.running) return false;
    scan_finish(n, false);
    return true;
}

void node_filter_info(const struct node *n, struct node_filter_view *out)
{
    memset(out, 0, sizeof *out);
    out->synced_height = -1;
    out->header_height = chain_height(n->chain);
    if (!n->cf) return;
    out->enabled = true;
    out->synced_height = (int32_t)cfstore_count(n->cf->store) - 1;
    out->durable = cfstore_durable(n->cf->store);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->cf->peers, &pos, NULL, &value)) out->filter_peers += !((struct cf_peer *)value)->convicted;
    out->cache_filters = idmap_len(&n->cf->fetch->cache);
    out->cache_bytes = n->cf->fetch->cache_bytes;
}

/* ---- life cycle ---- */

bool cf_fetch_new(struct node *n)
{
    struct cf_fetch *f = calloc(1, sizeof *f);
    if (!f) return false;
    idmap_init(&f->cache);
    f->slice = evtimer_new(n->base, on_slice, n);
    n->cf->fetch = f;
    return f->slice != NULL;
}

void cf_fetch_free(struct node *n)
{
    struct cf_fetch *f = fetch_of(n);
    if (!f) return;
    if (f->scan.running) scan_finish(n, false);
    while (f->gets) {
        struct cf_get *g = f->gets;
        f->gets = g->next;
        g->done(g->ctx, NULL, 0, NULL, "shutting down");
        free(g);
    }
    while (f->lru_head) entry_drop(f, f->lru_head);
    idmap_free(&f->cache);
    if (f->slice) event_free(f->slice);
    free(f);
    n->cf->fetch = NULL;
}
