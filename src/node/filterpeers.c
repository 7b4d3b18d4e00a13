/* --blockfilters: keep at least NODE_FILTER_PEERS_WANTED automatic outbound
 * peers that offer compact filters (NODE_COMPACT_FILTERS), as issue 17
 * asks; Bitcoin Core has no such rule for filters. Two parts:
 *  - while short of them, the filter-offering addresses the address
 *    manager holds are dialled before the round's random selections (which
 *    may miss them: a few draws from a table of thousands), found by a
 *    search of the whole table at most every --test-filter-peer-interval;
 *  - when every slot is already held and too few offer filters, but the
 *    address manager holds one we could dial, one non-filter peer is
 *    evicted to make room, at most once an interval, so a table that only
 *    learns of filter peers late still gets them, without churning. */
#include "node_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <inttypes.h>
#include <stdlib.h>

size_t node_filter_outbound_count(const struct node *n)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        uint64_t services = np->ready ? np->services : np->addr.services;
        count += np->kind == CONN_OUTBOUND && (services & NODE_COMPACT_FILTERS);
    }
    return count;
}

/* Refresh the book from the whole address manager if it is older than the
 * interval: one pass over the table (its non-terrible entries), so a busy
 * table costs this once an interval, not every round. */
static void search(struct node *n, uint64_t now_ms)
{
    if (n->filter_book.searched_ms &&
        now_ms - n->filter_book.searched_ms < n->cfg->filter_peer_interval_ms)
        return;
    n->filter_book.searched_ms = now_ms ? now_ms : 1;
    n->filter_book.n = 0;
    size_t total = addrman_size(n->addrman);
    if (total == 0) return;
    struct wire_netaddr *all = malloc(total * sizeof *all);
    if (!all) return;
    size_t got = addrman_get_addr(n->addrman, 0, 100, node_now(), all);
    for (size_t i = 0; i < got && n->filter_book.n < NODE_FILTER_BOOK_MAX; i++)
        if (all[i].services & NODE_COMPACT_FILTERS)
            n->filter_book.addrs[n->filter_book.n++] = all[i];
    free(all);
    log_debug(LOG_CAT_NODE, "filter peers: %zu filter-offering addresses among %zu known",
              n->filter_book.n, got);
}

static size_t missing(size_t filter_have)
{
    return filter_have < NODE_FILTER_PEERS_WANTED ? NODE_FILTER_PEERS_WANTED - filter_have : 0;
}

void node_filter_peers_fill(struct node *n, size_t *have, size_t *filter_have)
{
    if (*have >= n->cfg->max_outbound || !missing(*filter_have)) return;
    search(n, clock_mono_ms());
    bool held_logged = false;
    for (size_t i = 0; i < n->filter_book.n; i++) {
        if (*have >= n->cfg->max_outbound || !missing(*filter_have)) return;
        const struct wire_netaddr *a = &n->filter_book.addrs[i];
        if (!node_outbound_dialable(n, a, 0, &held_logged) ||
            !node_outbound_dial(n, a, CONN_OUTBOUND))
            continue;
        (*have)++;
        (*filter_have)++;
        char s[NETADDR_STR_MAX];
        netaddr_str(a, s);
        log_debug(LOG_CAT_NODE,
                  "outbound: %s offers filters: dialled first (%zu of %u filter peers)", s,
                  *filter_have, NODE_FILTER_PEERS_WANTED);
    }
}

/* Is there a filter-offering address we could dial once a slot is free? */
static bool filter_candidate(struct node *n, char s[NETADDR_STR_MAX])
{
    bool held_logged = false;
    for (size_t i = 0; i < n->filter_book.n; i++)
        if (node_outbound_dialable(n, &n->filter_book.addrs[i], 0, &held_logged)) {
            netaddr_str(&n->filter_book.addrs[i], s);
            return true;
        }
    return false;
}

/* The newest ready non-filter outbound peer (ties: the later dialled).
 * Newest, because the peers
 * that have stayed longest are the ones an attacker cannot cheaply replace
 * (Core protects its longest-connected peers for that reason, and breaks
 * ties in its own extra-outbound eviction towards the youngest); we keep
 * no per-peer time of the last block announcement to judge them by. The
 * header sync peer is not spared: it is rarely the newest, and sync.c
 * moves on to another peer when it goes. */
static const struct node_peer *victim(const struct node *n)
{
    const struct node_peer *best = NULL;
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->kind != CONN_OUTBOUND || !np->ready || (np->services & NODE_COMPACT_FILTERS))
            continue;
        if (!best || np->connected_ms > best->connected_ms ||
            (np->connected_ms == best->connected_ms && np->id > best->id))
            best = np;
    }
    return best;
}

void node_filter_peers_make_room(struct node *n)
{
    if (n->shutting_down || node_outbound_count(n, CONN_OUTBOUND) < n->cfg->max_outbound) return;
    size_t filter_have = node_filter_outbound_count(n);
    if (!missing(filter_have)) return;
    /* One at a time: not again until the last one has gone and its slot
     * had its chance. */
    if (n->filter_book.evicted_peer && node_peer_get(n, n->filter_book.evicted_peer)) return;
    uint64_t now_ms = clock_mono_ms();
    if (n->filter_book.evicted_ms &&
        now_ms - n->filter_book.evicted_ms < n->cfg->filter_peer_interval_ms)
        return;
    search(n, now_ms);
    char want[NETADDR_STR_MAX];
    if (!filter_candidate(n, want)) return;
    const struct node_peer *np = victim(n);
    if (!np) return;
    char s[NETADDR_STR_MAX];
    netaddr_str(&np->addr, s);
    log_info(LOG_CAT_NODE,
             "outbound: evicting peer=%" PRIu64 " addr=%s to make room for a filter peer "
             "(%zu of %u outbound peers offer filters; %s does)",
             np->id, s, filter_have, NODE_FILTER_PEERS_WANTED, want);
    n->filter_book.evicted_ms = now_ms;
    n->filter_book.evicted_peer = np->id;
    peer_disconnect_id(n->peers, np->id, PEER_REASON_EVICTED);
}
