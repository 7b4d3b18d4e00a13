/* Header sync and serving. One sync peer at a time (outbound or manual, the
 * highest announced start height): getheaders with a locator from our best
 * header, batches of up to 2,000 validated and stored, the next request
 * from the batch's last header until a short batch says we caught up.
 * Announcements (headers after sendheaders, or a block inv) trigger a
 * getheaders to the announcer.
 *
 * Two rules replace a sync peer, and Core's bounds ours rather than
 * replacing it. Ours is a stall timer: a sync peer that makes no progress
 * for --sync-stall-timeout is replaced and gets a strike; three strikes
 * disconnect it: a silent peer costs two minutes, not Core's half hour.
 * Core's is a deadline set when the sync starts (hdrdeadline.h): a peer
 * that trickles just enough headers never stalls, yet one still syncing
 * at the deadline while our best header is over 24 h old is disconnected
 * (headers-sync-timeout; a noban peer is kept and the sync moved) when
 * another peer can take over; once the best header is within 24 h the
 * deadline is lifted for that sync.
 * While syncing, a progress line every few seconds, as bitcoind's
 * UpdateTip does. */
#include "node_internal.h"

#include "cfsync.h"
#include "hdrdeadline.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNC_MAX_STRIKES 3
#define ANNOUNCE_MAX_HEADERS 8

static void set_timer(struct event *ev, uint32_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(ev, &tv);
}

void node_send_getheaders(struct node *n, uint64_t peer, const struct chain_entry *from)
{
    uint8_t hashes[WIRE_MAX_LOCATOR][32];
    struct wire_locator loc = {.version = PROTOCOL_VERSION, .hashes = hashes};
    loc.count = chain_locator_from(n->chain, from ? from : chain_tip(n->chain), hashes, WIRE_MAX_LOCATOR);
    struct node_request req = {.type = NODE_REQ_GET_HEADERS, .u.locator = &loc};
    if (peer_request(n->peers, peer, &req) == PEER_OK && peer == n->sync.peer)
        n->sync.request_ms = clock_mono_ms();
}

/* Best candidate: a ready outbound or manual peer, the highest start
 * height, not struck out, not the one we are leaving. */
static uint64_t pick_sync_peer(const struct node *n, uint64_t avoid)
{
    uint64_t best = 0;
    int32_t best_height = -1;
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (!np->ready || np->id == avoid || (np->kind != CONN_OUTBOUND && np->kind != CONN_MANUAL && np->kind != CONN_BLOCK_RELAY))
            continue;
        if (np->start_height > best_height) {
            best = np->id;
            best_height = np->start_height;
        }
    }
    return best;
}

static void sync_start(struct node *n, uint64_t avoid)
{
    uint64_t id = pick_sync_peer(n, avoid);
    n->sync.peer = id;
    if (!id) return;
    struct node_peer *np = node_peer_get(n, id);
    n->sync.peer_height = np ? np->start_height : 0;
    if (n->sync.peer_height > 0) (void)chain_reserve(n->chain, (size_t)n->sync.peer_height + 1);
    n->sync.progress_ms = clock_mono_ms();
    n->sync.started_ms = n->sync.progress_ms;
    n->sync.start_height = chain_height(n->chain);
    n->sync.done = false;
    /* Core's deadline: the headers we expect to be missing, from the best
     * header's time (a peer's word, hence the saturating arithmetic). */
    uint32_t best_time = chain_tip(n->chain)->time;
    uint64_t missing = hdrdeadline_missing(node_now(), best_time, n->cfg->peer.net->pow_target_spacing);
    n->sync.deadline_ms = hdrdeadline_at(n->sync.progress_ms, n->cfg->headers_timeout_base_ms,
                                         n->cfg->headers_timeout_per_header_ms, missing);
    n->sync.deadline_kept = false;
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "header sync from height %d (peer announced %d)",
           chain_height(n->chain), n->sync.peer_height);
    node_send_getheaders(n, id, NULL);
}

void node_sync_peer_ready(struct node *n, struct node_peer *np, int32_t start_height)
{
    np->start_height = start_height;
    if (!n->sync.peer && (np->kind == CONN_OUTBOUND || np->kind == CONN_MANUAL || np->kind == CONN_BLOCK_RELAY))
        sync_start(n, 0);
}

void node_sync_peer_gone(struct node *n, uint64_t id)
{
    node_presync_drop(n, id, "disconnected");
    if (n->sync.peer == id) sync_start(n, id);
}

static void log_progress(struct node *n)
{
    uint64_t now = clock_mono_ms();
    int32_t height = chain_height(n->chain);
    int32_t target = n->sync.peer_height > height ? n->sync.peer_height : height;
    double secs = (double)(now - n->sync.started_ms) / 1000.0;
    double rate = secs > 0 ? (double)(height - n->sync.start_height) / secs : 0;
    double pct = target > 0 ? 100.0 * height / target : 100.0;
    double eta = rate > 0 ? (double)(target - height) / rate : 0;
    char tip[65];
    hex_encode_rev(chain_tip(n->chain)->hash, 32, tip);
    struct log_field f[] = {LOG_INT("height", height), LOG_INT("peer_height", target),
                            LOG_STR("best", tip)};
    char msg[160];
    snprintf(msg, sizeof msg, "header sync progress=%.2f%% headers_per_s=%.0f eta_s=%.0f", pct, rate, eta);
    log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)n->sync.peer, msg, f, 3);
    n->sync.last_log_ms = now;
}

/* Core's headers download deadline (the file's comment says how it bounds
 * the stall timer). */
static void check_deadline(struct node *n, uint64_t now)
{
    uint64_t id = n->sync.peer;
    if (!id || !n->sync.deadline_ms) return;
    if (hdrdeadline_caught_up(node_now(), chain_tip(n->chain)->time)) {
        n->sync.deadline_ms = 0; /* for good, with this peer */
        LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)id,
               "header sync deadline lifted: best header within 24 h");
        return;
    }
    if (now <= n->sync.deadline_ms) return;
    if (!pick_sync_peer(n, id)) {
        /* Core: only with another preferred peer to turn to; without one,
         * a slow sync beats none. */
        if (!n->sync.deadline_kept)
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id,
                   "header sync deadline passed; peer kept: no other outbound peer to sync from");
        n->sync.deadline_kept = true;
        return;
    }
    const struct node_peer *np = node_peer_get(n, id);
    if (np && node_is_whitelisted(n, &np->addr)) {
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id,
               "timeout downloading headers from noban peer, not disconnecting: sync moves on");
        sync_start(n, id);
        return;
    }
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "timeout downloading headers, disconnecting");
    sync_start(n, id);
    peer_disconnect_id(n->peers, id, PEER_REASON_HEADERS_SYNC_TIMEOUT);
}

static uint32_t sync_tick_ms(const struct node *n)
{
    uint32_t ms = 1000;
    if (n->cfg->sync_stall_ms / 2 + 1 < ms) ms = n->cfg->sync_stall_ms / 2 + 1;
    if (n->cfg->headers_timeout_base_ms / 2 + 1 < ms) ms = n->cfg->headers_timeout_base_ms / 2 + 1;
    return ms;
}

static void on_sync_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    if (n->shutting_down) return;
    node_blocks_tick(n);
    check_deadline(n, clock_mono_ms());
    /* read after check_deadline: a sync it moved started later than any
     * earlier reading, and the stall test below subtracts unsigned */
    uint64_t now = clock_mono_ms();
    if (n->sync.peer && !n->sync.done) {
        /* While presyncing, the chain does not move: presync.c reports. */
        if (now - n->sync.last_log_ms >= n->cfg->sync_log_interval_ms &&
            !idmap_get(&n->presyncs, n->sync.peer))
            log_progress(n);
        if (now - n->sync.progress_ms >= n->cfg->sync_stall_ms) {
            uint64_t stalled = n->sync.peer;
            struct node_peer *np = node_peer_get(n, stalled);
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)stalled, "header sync stalled: switching peer");
            sync_start(n, stalled);
            if (np && ++np->sync_strikes >= SYNC_MAX_STRIKES)
                peer_disconnect_id(n->peers, stalled, PEER_REASON_SYNC_STALLED);
        }
    }
    set_timer(n->sync_timer, sync_tick_ms(n));
}

/* Tell the other peers about our new tip: headers to those that asked for
 * them (sendheaders), an inv to the rest (the peer layer chooses). */
static void announce(struct node *n, uint64_t source, const struct chain_entry *old_tip)
{
    const struct chain_entry *tip = chain_tip(n->chain);
    if (tip == old_tip) return;
    struct wire_header hdrs[ANNOUNCE_MAX_HEADERS];
    size_t count = 0;
    /* the new headers of the active chain, oldest first, if they are few */
    int32_t from = old_tip && chain_contains(n->chain, old_tip) ? old_tip->height + 1 : tip->height;
    if (tip->height - from + 1 > ANNOUNCE_MAX_HEADERS) from = tip->height;
    for (int32_t h = from; h <= tip->height; h++)
        if (node_header_at(n, chain_at_height(n->chain, h), &hdrs[count])) count++;
    if (!count) return;
    struct wire_headers msg = {.count = count, .headers = hdrs};
    struct node_request req = {.type = NODE_REQ_ANNOUNCE, .u.headers = &msg};
    size_t pos = 0;
    uint64_t id;
    void *value;
    while (idmap_next(&n->node_peers, &pos, &id, &value)) {
        const struct node_peer *np = value;
        if (id != source && np->ready && np->kind != CONN_FEELER && np->kind != CONN_ADDR_FETCH)
            peer_request(n->peers, id, &req);
    }
}

size_t node_headers_store(struct node *n, uint64_t id, const struct wire_header *hdrs, size_t count,
                          const struct chain_entry **last, bool *invalid)
{
    int64_t now = node_now();
    size_t added = 0;
    *invalid = false;
    /* The batch back to wire bytes in one pass, then hashed and validated
     * from them (see chain_add_raw). */
    uint8_t *raw = malloc(count * 80);
    if (!raw) return 0;
    for (size_t i = 0; i < count; i++) wire_header_serialize(&hdrs[i], raw + i * 80);
    for (size_t i = 0; i < count; i++) {
        const struct chain_entry *e = NULL;
        enum chain_err err = chain_add_raw(n->chain, raw + i * 80, now, &e);
        if (err == CHAIN_OK) {
            added++;
            if (n->headers && headerstore_append(n->headers, &hdrs[i], e) != HEADERSTORE_OK &&
                !n->headers_append_failed) {
                n->headers_append_failed = true;
                log_error(LOG_CAT_CHAIN, "headers.dat: out of memory at height %d; headers from here "
                          "on are not kept (nor served to peers) until a restart re-syncs them",
                          e->height);
            }
        } else if (err != CHAIN_DUPLICATE) {
            char hash[65];
            uint8_t h[32];
            wire_header_hash(&hdrs[i], h);
            hex_encode_rev(h, 32, hash);
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "invalid header %s: %s", hash, chain_err_str(err));
            char offence[64];
            snprintf(offence, sizeof offence, "invalid-header-%s", chain_err_str(err));
            /* A header too far in the future may become valid (Core does
             * not punish it); the rest never do. */
            if (err != CHAIN_ERR_TIME_TOO_NEW) peer_misbehaving(n->peers, id, offence);
            *invalid = true;
            break;
        }
        *last = e;
    }
    free(raw);
    return added;
}

void node_headers_stored(struct node *n, uint64_t id, size_t added, const struct chain_entry *last,
                         const struct chain_entry *old_tip)
{
    struct node_peer *np = node_peer_get(n, id);
    /* Known or new, each header it sent is one it has (Core's
     * pindexBestKnownBlock); presync's releases come here too. */
    if (np && last && last->height > np->synced_headers) np->synced_headers = last->height;
    node_staletip_headers(n, np, added, last, old_tip);
    if (!added) return;
    node_cf_chain_changed(n); /* a reorg truncates cfheaders.dat */
    node_state_headers_flush(n);
    peer_table_set_best_height(n->peers, chain_height(n->chain));
    if (id == n->sync.peer) n->sync.progress_ms = clock_mono_ms();
    if (np && last && np->start_height < last->height) np->start_height = last->height;
    if ((n->sync.done || id != n->sync.peer) && chain_tip(n->chain) != old_tip) {
        /* The tip moved outside the initial sync: one line, like UpdateTip. */
        char tip[65];
        hex_encode_rev(chain_tip(n->chain)->hash, 32, tip);
        struct log_field f[] = {LOG_INT("height", chain_height(n->chain)), LOG_STR("best", tip)};
        log_event(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "new best header", f, 2);
    }
}

void node_sync_caught_up(struct node *n, uint64_t id)
{
    if (id != n->sync.peer || n->sync.done) return;
    n->sync.done = true;
    log_progress(n);
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "header sync caught up at height %d",
           chain_height(n->chain));
}

void node_headers_received(struct node *n, uint64_t id, const struct wire_headers *hdrs)
{
    struct node_peer *np = node_peer_get(n, id);
    if (!np) return;
    if (hdrs->count == 0) {
        /* Nothing more to give: whatever presync it was feeding is over. */
        node_presync_drop(n, id, "empty headers message");
        node_sync_caught_up(n, id);
        return;
    }
    if (node_presync_continue(n, np, hdrs)) return;
    const struct chain_entry *start = chain_lookup(n->chain, hdrs->headers[0].prev_hash);
    if (!start) {
        /* Not connecting: an announcement ahead of what we know. Ask for
         * the gap; as Core v28+, never a penalty. */
        node_send_getheaders(n, id, NULL);
        return;
    }
    /* Below the anti-DoS work threshold: presynced, or ignored. */
    if (node_presync_screen(n, np, hdrs, start)) return;
    const struct chain_entry *old_tip = chain_tip(n->chain), *last = NULL;
    bool invalid;
    size_t added = node_headers_store(n, id, hdrs->headers, hdrs->count, &last, &invalid);
    node_headers_stored(n, id, added, last, old_tip);
    if (last && hdrs->count == WIRE_MAX_HEADERS) {
        node_send_getheaders(n, id, last); /* more where that came from */
    } else {
        node_sync_caught_up(n, id);
    }
    if (hdrs->count < WIRE_MAX_HEADERS) announce(n, id, old_tip);
}

void node_block_announced(struct node *n, uint64_t id, const struct wire_inv *inv)
{
    /* Unknown block hashes: ask the announcer for headers up to them. */
    for (size_t i = 0; i < inv->count; i++) {
        if (!chain_lookup(n->chain, inv->entries[i].hash)) {
            node_send_getheaders(n, id, NULL);
            return;
        }
    }
}

static void reply_headers(struct node *n, uint64_t id, const struct wire_header *hdrs, size_t count)
{
    struct wire_headers msg = {.count = count, .headers = (struct wire_header *)hdrs};
    struct node_request req = {.type = NODE_REQ_SEND_HEADERS, .u.headers = &msg};
    peer_request(n->peers, id, &req);
}

/* getheaders from a peer, answered as Bitcoin Core v29 does. While our tip
 * has less than the minimum chain work, an empty headers message (unless
 * the peer is whitelisted: Core's Download permission). An empty locator
 * asks for hash_stop's header alone: sent if it is on our best chain,
 * nothing at all otherwise. Else the first locator hash on our best chain
 * is the fork point (genesis when none is) and up to 2,000 headers follow
 * it, stopping at hash_stop. */
void node_getheaders_received(struct node *n, uint64_t id, const struct wire_locator *loc)
{
    const struct node_peer *np = node_peer_get(n, id);
    if (node_tip_below_min_work(n) && !(np && node_is_whitelisted(n, &np->addr))) {
        LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)id,
               "Ignoring getheaders because active chain has too little work; sending empty "
               "response");
        reply_headers(n, id, NULL, 0);
        return;
    }
    if (loc->count == 0) {
        const struct chain_entry *stop = chain_lookup(n->chain, loc->hash_stop);
        struct wire_header one;
        if (stop && chain_contains(n->chain, stop) && node_header_at(n, stop, &one))
            reply_headers(n, id, &one, 1);
        return;
    }
    const struct chain_entry *fork = NULL;
    for (size_t i = 0; i < loc->count && !fork; i++) {
        const struct chain_entry *e = chain_lookup(n->chain, loc->hashes[i]);
        if (e && chain_contains(n->chain, e)) fork = e;
    }
    int32_t start = fork ? fork->height + 1 : 1; /* no common point: after genesis, as Core */
    struct wire_header *out = malloc(WIRE_MAX_HEADERS * sizeof *out);
    if (!out) return;
    size_t count = 0;
    for (int32_t h = start; h <= chain_height(n->chain) && count < WIRE_MAX_HEADERS; h++) {
        const struct chain_entry *e = chain_at_height(n->chain, h);
        if (!node_header_at(n, e, &out[count])) break;
        count++;
        if (memcmp(e->hash, loc->hash_stop, 32) == 0) break;
    }
    reply_headers(n, id, out, count);
    free(out);
}

bool node_header_at(const struct node *n, const struct chain_entry *e, struct wire_header *out)
{
    if (!e) return false;
    uint8_t raw[80];
    uint32_t seq = chain_entry_seq(n->chain, e);
    if (seq == 0) {
        memcpy(raw, n->cfg->peer.net->genesis_header, 80);
    } else if (seq == UINT32_MAX || !n->headers ||
               headerstore_read(n->headers, seq - 1, raw) != HEADERSTORE_OK) {
        return false;
    }
    wire_header_parse(raw, out);
    return true;
}

enum node_err node_sync_start(struct node *n)
{
    n->sync_timer = evtimer_new(n->base, on_sync_timer, n);
    if (!n->sync_timer) return NODE_ERR_NOMEM;
    set_timer(n->sync_timer, 1000);
    return NODE_OK;
}

void node_sync_stop(struct node *n)
{
    if (n->sync_timer) event_free(n->sync_timer);
    n->sync_timer = NULL;
    node_presync_free_all(n);
}
