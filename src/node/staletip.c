/* Stale-tip detection and the extra outbound peers, as Bitcoin Core v29
 * does them (net_processing.cpp CheckForStaleTipAndEvictPeers and
 * EvictExtraOutboundPeers; net.cpp ThreadOpenConnections). An eclipsed
 * node sees no new blocks: when our header tip has not moved for 3 block
 * spacings (and no block download is in flight), one extra full-relay
 * outbound peer is allowed, and at the next check the full-relay peer
 * whose last block announcement is oldest makes room for it. Once the tip
 * is recent, an extra block-relay-only peer comes every few minutes
 * (exponential, 5 min mean) and the youngest of those that brought us
 * nothing new goes again: a cheap look at more of the network.
 *
 * Our tip is the validated header chain's, not a connected block's as in
 * Core: btcpeerd validates headers and fetches blocks only on request, so
 * a new header with more work is what "a new block" means here (see
 * docs/RELIABILITY.md). */
#include "node_internal.h"

#include "staletip.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>

static void set_timer(struct event *ev, uint32_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(ev, &tv);
}

/* Core's m_use_addrman_outgoing: automatic outbound connections, which
 * --connect switches off. */
static bool automatic_outbound(const struct node *n)
{
    return n->cfg->n_connect == 0 && n->cfg->max_outbound > 0;
}

static size_t count_ready(const struct node *n, enum node_conn_kind kind)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        count += np->ready && !np->evicted && np->kind == kind;
    }
    return count;
}

static size_t count_protected(const struct node *n)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value))
        count += ((const struct node_peer *)value)->protect;
    return count;
}

/* Core's MultipleManualOrFullOutboundConns: the last manual or full-relay
 * peer on a network is never the one to go. */
static size_t manual_or_full_on_net(const struct node *n, uint8_t net)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        count += (np->kind == CONN_OUTBOUND || np->kind == CONN_MANUAL) && np->addr.net == net;
    }
    return count;
}

void node_staletip_headers(struct node *n, struct node_peer *np, size_t added,
                           const struct chain_entry *last, const struct chain_entry *old_tip)
{
    const struct chain_entry *tip = chain_tip(n->chain);
    uint64_t now = clock_mono_ms();
    if (tip != old_tip) n->stale.last_tip_ms = now;
    if (!np || !last) return;
    if (added && old_tip && u256_cmp(&last->work, &old_tip->work) > 0) {
        np->announce_ms = now;
        np->new_block_ms = now;
        LOG_AT(LOG_DEBUG, LOG_CAT_NODE, (int64_t)np->id, "block announcement height=%d",
               (int)last->height);
    }
    /* Core protects the first four full-relay peers seen with our tip's
     * work from this eviction (and from its chain-sync one). */
    if (np->kind == CONN_OUTBOUND && np->ready && !np->protect &&
        u256_cmp(&last->work, &tip->work) >= 0 && count_protected(n) < STALETIP_PROTECT_MAX) {
        np->protect = true;
        LOG_AT(LOG_DEBUG, LOG_CAT_NODE, (int64_t)np->id,
               "protected from extra-peer eviction: it has our tip's work");
    }
}

void node_staletip_block(struct node *n, struct node_peer *np)
{
    (void)n;
    np->new_block_ms = clock_mono_ms();
}

/* ---- opening the extra peers (from the open timer) ---- */

void node_staletip_open_extra(struct node *n)
{
    size_t full = node_outbound_count(n, CONN_OUTBOUND);
    size_t block_relay = node_outbound_count(n, CONN_BLOCK_RELAY);
    size_t max_full = n->cfg->max_outbound, max_block_relay = n->cfg->max_block_relay;
    /* Only once every slot is full, and one extra at a time (Core gives
     * it the feeler's place among its outbound permits). */
    if (full < max_full || block_relay < max_block_relay) return;
    if (full + block_relay >= max_full + max_block_relay + 1) return;
    uint64_t now = clock_mono_ms();
    if (n->stale.try_extra) {
        if (node_outbound_open_one(n, CONN_OUTBOUND))
            log_info(LOG_CAT_NODE, "stale tip: extra full-relay outbound peer added (beyond "
                     "--max-outbound=%zu)", max_full);
    } else if (n->stale.extra_block_relay && max_block_relay > 0 &&
               now > n->stale.next_extra_block_relay_ms) {
        n->stale.next_extra_block_relay_ms =
            now + staletip_exp_delay(n->cfg->extra_block_relay_ms, random_u64());
        if (node_outbound_open_one(n, CONN_BLOCK_RELAY))
            log_info(LOG_CAT_NODE, "extra block-relay-only peer added (periodic rotation, beyond "
                     "--max-blockrelay=%zu)", max_block_relay);
    }
}

/* ---- the checks ---- */

static void check_stale(struct node *n, uint64_t now)
{
    uint64_t age = now > n->stale.last_tip_ms ? now - n->stale.last_tip_ms : 0;
    bool stale = staletip_is_stale(now, n->stale.last_tip_ms, n->cfg->stale_tip_ms,
                                   node_blocks_asked_of(n, 0) > 0);
    if (stale && automatic_outbound(n)) {
        n->stale.n_stale++;
        n->stale.try_extra = true;
        log_info(LOG_CAT_NODE, "potential stale tip detected: trying an extra outbound peer "
                 "(last tip update %" PRIu64 " s ago)", age / 1000);
        return;
    }
    if (stale)
        log_debug(LOG_CAT_NODE, "stale tip check: no tip update for %" PRIu64 " ms, but no "
                  "automatic outbound connections (--connect): no extra peer", age);
    else
        log_debug(LOG_CAT_NODE, "stale tip check: tip updated %" PRIu64 " ms ago", age);
    if (n->stale.try_extra) log_debug(LOG_CAT_NODE, "stale tip: no extra peer any more");
    n->stale.try_extra = false;
}

/* Core's CanDirectFetch, the first time it holds: the tip is at most 20
 * spacings old by its own timestamp. */
static void check_recent_tip(struct node *n)
{
    if (n->stale.extra_block_relay || !automatic_outbound(n) || n->cfg->max_block_relay == 0)
        return;
    int64_t recent = node_now() - STALETIP_RECENT_SPACINGS * n->cfg->peer.net->pow_target_spacing;
    if ((int64_t)chain_tip(n->chain)->time <= recent) return;
    n->stale.extra_block_relay = true;
    log_info(LOG_CAT_NODE, "tip is recent: extra block-relay-only peers enabled (one every %.1f s "
             "on average)", (double)n->cfg->extra_block_relay_ms / 1000.0);
}

static void fill_candidate(const struct node *n, const struct node_peer *np,
                           struct staletip_candidate *c)
{
    c->id = np->id;
    c->connected_ms = np->connected_ms;
    c->last_ms = np->kind == CONN_BLOCK_RELAY ? np->new_block_ms : np->announce_ms;
    c->protect = np->protect;
    c->only_on_net = np->kind == CONN_OUTBOUND && manual_or_full_on_net(n, np->addr.net) <= 1;
    c->in_flight = node_blocks_asked_of(n, np->id);
}

static void evict_extra(struct node *n, enum node_conn_kind kind, uint64_t now)
{
    bool block_relay = kind == CONN_BLOCK_RELAY;
    size_t max = block_relay ? n->cfg->max_block_relay : n->cfg->max_outbound;
    size_t ready = count_ready(n, kind);
    if (ready <= max) return;
    struct staletip_candidate *c = calloc(ready, sizeof *c);
    if (!c) return;
    size_t count = 0, pos = 0, pick;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value) && count < ready) {
        const struct node_peer *np = value;
        if (np->ready && !np->evicted && np->kind == kind) fill_candidate(n, np, &c[count++]);
    }
    bool found = block_relay ? staletip_pick_block_relay(c, count, &pick)
                             : staletip_pick_full(c, count, &pick);
    uint64_t youngest = 0;
    for (size_t i = 0; i < count; i++)
        if (c[i].id > youngest) youngest = c[i].id;
    struct staletip_candidate v = {0};
    if (found) v = c[pick];
    free(c);
    if (!found) return;
    const char *what = block_relay ? "block-relay-only" : "full-relay";
    if (!staletip_may_evict(&v, now, n->cfg->min_connect_ms, !block_relay)) {
        LOG_AT(LOG_DEBUG, LOG_CAT_NODE, (int64_t)v.id,
               "keeping extra %s peer chosen for eviction (connected %" PRIu64 " ms ago, %zu "
               "blocks in flight)", what, now - v.connected_ms, v.in_flight);
        return;
    }
    char when[48];
    if (v.last_ms)
        snprintf(when, sizeof when, "%" PRIu64 " ms ago", now - v.last_ms);
    else
        snprintf(when, sizeof when, "never");
    enum peer_reason reason = block_relay ? PEER_REASON_EXTRA_BLOCK_RELAY : PEER_REASON_STALE_TIP;
    /* block-relay-only: the youngest, or the next youngest when the
     * youngest brought a newer block; full-relay: the oldest announcement */
    const char *which = !block_relay ? "oldest-block-announcement"
                        : v.id == youngest ? "youngest" : "next-youngest";
    struct log_field f[] = {LOG_STR("chosen", which),
                            LOG_STR(block_relay ? "last_block" : "last_announcement", when),
                            LOG_STR("reason", peer_reason_str(reason))};
    log_event(LOG_INFO, LOG_CAT_NODE, (int64_t)v.id,
              block_relay ? "evicting an extra block-relay-only peer"
                          : "evicting an extra full-relay peer (stale tip)",
              f, 3);
    /* counted out of the next check even if its DISCONNECTED is late (Core's fDisconnect) */
    struct node_peer *gone = node_peer_get(n, v.id);
    if (gone) gone->evicted = true;
    peer_disconnect_id(n->peers, v.id, reason);
    if (block_relay) {
        n->stale.n_evicted_block_relay++;
    } else {
        n->stale.n_evicted_full++;
        n->stale.try_extra = false; /* Core: no more until the next stale tip */
    }
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    if (n->shutting_down) return;
    uint64_t now = clock_mono_ms();
    /* Core's order: evict first, then look at the tip. */
    evict_extra(n, CONN_BLOCK_RELAY, now);
    evict_extra(n, CONN_OUTBOUND, now);
    if (now >= n->stale.check_due_ms) {
        check_stale(n, now);
        n->stale.check_due_ms = now + n->cfg->stale_check_ms;
    }
    check_recent_tip(n);
    set_timer(n->stale.timer, n->cfg->extra_peer_check_ms);
}

enum node_err node_staletip_start(struct node *n)
{
    uint64_t now = clock_mono_ms();
    n->stale.last_tip_ms = now;
    n->stale.check_due_ms = now + n->cfg->stale_check_ms;
    n->stale.next_extra_block_relay_ms =
        now + staletip_exp_delay(n->cfg->extra_block_relay_ms, random_u64());
    n->stale.timer = evtimer_new(n->base, on_check, n);
    if (!n->stale.timer) return NODE_ERR_NOMEM;
    set_timer(n->stale.timer, n->cfg->extra_peer_check_ms);
    return NODE_OK;
}

void node_staletip_stop(struct node *n)
{
    if (n->stale.timer) event_free(n->stale.timer);
    n->stale.timer = NULL;
}
