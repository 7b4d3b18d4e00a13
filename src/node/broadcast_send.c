/* Sending our transactions and seeing them back. For each pending
 * broadcast, private-broadcast connections (peer/pbroadcast.c) to
 * addresses from the address manager until BROADCAST_PEERS of them, each
 * in its own network group, have taken it; with Tor, onion addresses
 * before any other while there is one left. Never to an address we hold
 * any other connection to, and never through a v1 retry of a v2 attempt:
 * a failed attempt is replaced by a fresh peer. These connections are
 * outside the connection limits.
 *
 * It has propagated when an ordinary peer announces it back (inv) or
 * serves it when asked (getdata, sent to ordinary peers once it is old
 * enough for Core to serve it to anyone). Until then, a new round with
 * fresh peers each time a round ends unseen (rounds double in length),
 * and it is given up after --private-broadcast-expiry. */
#include "node_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>
#include <btcpeerd/sha256.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Draws from the address manager per missing connection. */
#define PICK_TRIES 200
/* Onion addresses read from the address manager per pick, at most. */
#define ONION_CANDIDATES 1024

static const char *net_name(uint8_t net)
{
    switch (net) {
    case WIRE_NET_IPV4: return "ipv4";
    case WIRE_NET_IPV6: return "ipv6";
    case WIRE_NET_TORV3: return "onion";
    default: return "other";
    }
}

/* With a proxy, only what goes through it: IPv4 and IPv6 need --proxy
 * (with only --onion they would go direct), onion needs the onion proxy.
 * Without one (auto only), IPv4 and IPv6 direct. */
static bool reachable(const struct node *n, const struct wire_netaddr *a)
{
    const struct peer_config *pc = &n->cfg->peer;
    if (a->net == WIRE_NET_TORV3) return pc->onion_proxy.set;
    if (a->net != WIRE_NET_IPV4 && a->net != WIRE_NET_IPV6) return false;
    return pc->proxy.set || !pc->onion_proxy.set;
}

/* Connected to this address in any way (an ordinary peer, or another
 * private-broadcast connection)? A manual peer is known by the name it
 * was given until its handshake: its connection's address is asked of
 * the peer table. */
static bool connected_to(const struct node *n, const struct wire_netaddr *a)
{
    char want[NETADDR_STR_MAX];
    netaddr_str(a, want);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->group_len) {
            if (netaddr_equal(&np->addr, a)) return true;
            continue;
        }
        struct peer_info info;
        if (peer_get_info(n->peers, np->id, &info) == PEER_OK && strcmp(info.addr, want) == 0)
            return true;
    }
    return false;
}

/* The network group for the distinct-groups rule. Onion addresses all
 * share one group for outbound diversity, which would leave Tor-only
 * broadcasting one peer a round; behind Tor the group of an address says
 * nothing of who runs it, so each onion address counts as its own. */
static size_t pb_group(const struct node *n, const struct wire_netaddr *a, uint8_t g[NETADDR_GROUP_MAX])
{
    if (a->net != WIRE_NET_TORV3) return netaddr_group(a, n->cfg->local_groups, n->asmap, g);
    g[0] = 0xfe;
    memcpy(g + 1, a->addr, NETADDR_GROUP_MAX - 1);
    return NETADDR_GROUP_MAX;
}

/* Does this round have a live or successful attempt in the group? */
static bool group_used(const struct broadcast *b, const uint8_t *g, size_t gl)
{
    for (size_t i = 0; i < b->n_attempts; i++) {
        const struct broadcast_attempt *a = &b->attempts[i];
        if (a->round != b->round || (a->done && !a->taken) || a->group_len != gl) continue;
        if (memcmp(a->group, g, gl) == 0) return true;
    }
    return false;
}

/* A peer that took it in an earlier round has it: a fresh one instead. */
static bool took_it_before(const struct broadcast *b, const struct wire_netaddr *a)
{
    for (size_t i = 0; i < b->n_attempts; i++)
        if (b->attempts[i].taken && netaddr_equal(&b->attempts[i].addr, a)) return true;
    return false;
}

/* May this broadcast use the address now? */
/* tries: the selection's number in its round, for Core's 10-minute rule. */
static bool usable(struct node *n, const struct broadcast *b, const struct wire_netaddr *a, int tries)
{
    if (!reachable(n, a) || connected_to(n, a) || took_it_before(b, a)) return false;
    /* the rules of every automatic dial (outbound.c's may_dial): never a
     * banned or discouraged address, nor one the redial back-off holds (a
     * dead gossiped address would otherwise be dialled at every tick while
     * the table is thin) */
    if (banman_is_banned(n->banman, a, node_now()) || node_is_discouraged(n, a) ||
        redial_check(n->redial, a, clock_mono_ms(), (unsigned)tries) != REDIAL_OK)
        return false;
    uint8_t g[NETADDR_GROUP_MAX];
    size_t gl = pb_group(n, a, g);
    return !group_used(b, g, gl);
}

/* With Tor, onion peers before any other: the onion addresses we hold (up
 * to ONION_CANDIDATES of them), in random order, the first that fits.
 * Draws from the whole table would seldom meet a few onions among
 * thousands of IP addresses and take an IP peer while an onion one
 * waited. One pass over the table (ending early when onions abound), and
 * random draws only until one fits (a lazy Fisher-Yates). */
static bool pick_onion(struct node *n, const struct broadcast *b, struct wire_netaddr *out)
{
    struct wire_netaddr *onions = malloc(ONION_CANDIDATES * sizeof *onions);
    if (!onions) return false;
    size_t got = addrman_net_entries(n->addrman, WIRE_NET_TORV3, node_now(), onions, ONION_CANDIDATES);
    bool found = false;
    for (size_t i = 0; i < got && !found; i++) {
        size_t j = i + (size_t)random_range(got - i);
        struct wire_netaddr t = onions[j];
        onions[j] = onions[i];
        onions[i] = t;
        if (usable(n, b, &t, (int)i)) {
            *out = t;
            found = true;
        }
    }
    free(onions);
    return found;
}

static bool pick(struct node *n, const struct broadcast *b, struct wire_netaddr *out)
{
    if (n->cfg->peer.onion_proxy.set && pick_onion(n, b, out)) return true;
    int64_t now = node_now();
    for (int tries = 0; tries < PICK_TRIES; tries++) {
        if (!addrman_select(n->addrman, false, now, out)) return false;
        if (usable(n, b, out, tries)) return true;
    }
    return false;
}

static bool open_one(struct node *n, struct broadcast *b)
{
    struct wire_netaddr a;
    if (!pick(n, b, &a)) return false;
    struct broadcast_attempt *at = broadcast_new_attempt(b);
    if (!at) return false;
    /* v2 when the address says it speaks it; a v2 failure is never
     * retried as v1: the next attempt goes to a fresh peer */
    bool v2 = (a.services & NODE_P2P_V2) != 0;
    struct peer_pb_tx tx = {.raw = b->raw, .raw_len = b->raw_len};
    memcpy(tx.txid, b->txid, 32);
    memcpy(tx.wtxid, b->wtxid, 32);
    uint64_t id;
    if (peer_connect_private_broadcast(n->peers, &a, v2, &tx, &id) != PEER_OK) {
        b->n_attempts--; /* nothing was tried */
        b->total_attempts--;
        return false;
    }
    struct node_peer *np = node_peer_add(n, id, CONN_PRIVATE_BROADCAST, &a);
    if (!np) {
        b->n_attempts--;
        b->total_attempts--;
        peer_disconnect_id(n->peers, id, PEER_REASON_SHUTDOWN);
        return false;
    }
    memcpy(np->broadcast_txid, b->txid, 32);
    redial_dialled(n->redial, &a, clock_mono_ms());
    at->peer_id = id;
    at->round = b->round;
    at->time = node_now();
    n->broadcast_counts.attempts++;
    at->addr = a;
    at->group_len = pb_group(n, &a, at->group);
    char txid[65], addr[NETADDR_STR_MAX];
    hex_encode_rev(b->txid, 32, txid);
    netaddr_str(&a, addr);
    LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)id,
           "broadcast txid=%s attempt %llu: private-broadcast connection to %s network=%s transport=%s",
           txid, (unsigned long long)b->total_attempts, addr, net_name(a.net), v2 ? "v2" : "v1");
    node_broadcast_dirty(n);
    return true;
}

/* Ordinary peers that relay transactions to us: asked for it. */
static void ask_ordinary_peers(struct node *n, struct broadcast *b)
{
    struct node_request req = {.type = NODE_REQ_GET_TX};
    memcpy(req.u.hash, b->wtxid, 32);
    size_t pos = 0, asked = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (!np->ready || np->kind == CONN_FEELER || np->kind == CONN_ADDR_FETCH ||
            np->kind == CONN_PRIVATE_BROADCAST || np->kind == CONN_BLOCK_RELAY)
            continue;
        asked += peer_request(n->peers, np->id, &req) == PEER_OK;
    }
    char txid[65];
    hex_encode_rev(b->txid, 32, txid);
    log_debug(LOG_CAT_NODE, "broadcast txid=%s: asked %zu ordinary peers for it", txid, asked);
}

static void tick_one(struct node *n, struct broadcast *b)
{
    uint64_t now = clock_mono_ms();
    char txid[65];
    hex_encode_rev(b->txid, 32, txid);
    if (now - b->submitted_ms >= n->cfg->broadcast_expiry_ms) {
        node_broadcast_finish(n, b, NODE_BROADCAST_ABANDONED, "not seen back before the expiry");
        return;
    }
    if (b->round_ends_ms) { /* this round's peers took it */
        if (now - b->last_getdata_ms >= n->cfg->broadcast_getdata_ms &&
            now - (b->round_ends_ms - b->round_len_ms) >= n->cfg->broadcast_getdata_ms) {
            b->last_getdata_ms = now;
            ask_ordinary_peers(n, b);
        }
        if (now < b->round_ends_ms) return;
        /* not seen back: fresh peers, and a round twice as long */
        b->round++;
        b->round_ends_ms = 0;
        b->round_len_ms = b->round_len_ms * 2 > UINT32_MAX ? UINT32_MAX : b->round_len_ms * 2;
        log_info(LOG_CAT_NODE, "broadcast txid=%s not seen back: round %u with fresh peers", txid,
                 b->round + 1);
        node_broadcast_dirty(n);
    }
    size_t have = broadcast_taken(b) + broadcast_inflight(b);
    while (have < BROADCAST_PEERS && open_one(n, b)) have++;
    if (have < BROADCAST_PEERS && !b->no_peers_logged) {
        log_info(LOG_CAT_NODE,
                 "broadcast txid=%s: %zu of %u peers; no other address in a new network group now",
                 txid, have, BROADCAST_PEERS);
        b->no_peers_logged = true;
    }
    if (have >= BROADCAST_PEERS) b->no_peers_logged = false;
}

void node_broadcast_tick(struct node *n)
{
    if (n->shutting_down) return;
    for (struct broadcast *b = n->broadcasts.head; b; b = b->next)
        if (b->state == NODE_BROADCAST_PENDING) tick_one(n, b);
}

void node_broadcast_peer_gone(struct node *n, struct node_peer *np,
                              const struct peer_disconnected_info *info)
{
    struct broadcast *b = broadcast_find_txid(&n->broadcasts, np->broadcast_txid);
    struct broadcast_attempt *a = b ? broadcast_attempt_by_peer(b, np->id) : NULL;
    if (!a) return; /* abandoned since, or its slot given away */
    a->done = true;
    a->taken = info->broadcast_taken;
    /* a dial that failed counts against the address, as for outbound */
    if (!info->was_connected && strcmp(info->reason, peer_reason_str(PEER_REASON_SHUTDOWN)) != 0) {
        addrman_attempt(n->addrman, &np->addr, true, node_now());
        redial_failed(n->redial, &np->addr, clock_mono_ms());
    }
    char txid[65];
    hex_encode_rev(b->txid, 32, txid);
    LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)np->id, "broadcast txid=%s peer %s it (%s); %zu of %u",
           txid, a->taken ? "took" : "did not take", info->reason, broadcast_taken(b),
           BROADCAST_PEERS);
    if (a->taken) n->broadcast_counts.taken++;
    node_broadcast_dirty(n);
    if (a->taken && a->round == b->round && broadcast_taken(b) >= BROADCAST_PEERS && !b->round_ends_ms) {
        uint64_t now = clock_mono_ms();
        b->round_ends_ms = now + b->round_len_ms;
        b->last_getdata_ms = now;
        log_info(LOG_CAT_NODE, "broadcast txid=%s sent to %u peers; waiting to see it back", txid,
                 BROADCAST_PEERS);
    }
    /* the replacement, if one is due, waits for the timer: this runs in
     * the middle of the node's handling of the disconnect */
}

/* An ordinary peer told us of it, or gave it to us: it propagated. */
static void seen_back(struct node *n, struct broadcast *b, uint64_t peer_id, const char *how)
{
    const struct node_peer *np = node_peer_get(n, peer_id);
    if (!np || np->kind == CONN_PRIVATE_BROADCAST || b->state != NODE_BROADCAST_PENDING) return;
    struct peer_info info;
    if (peer_get_info(n->peers, peer_id, &info) == PEER_OK)
        snprintf(b->seen_by, sizeof b->seen_by, "%s", info.addr);
    else
        netaddr_str(&np->addr, b->seen_by);
    b->seen_peer = peer_id;
    b->seen_at = node_now();
    b->seen_how = how;
    node_broadcast_finish(n, b, NODE_BROADCAST_PROPAGATED, how);
}

void node_broadcast_announced(struct node *n, uint64_t peer_id, const struct wire_inv *inv)
{
    for (size_t i = 0; i < inv->count; i++) {
        const uint8_t *h = inv->entries[i].hash;
        bool wtx = (inv->entries[i].type & ~WIRE_INV_WITNESS_FLAG) == WIRE_INV_WTX;
        for (struct broadcast *b = n->broadcasts.head; b; b = b->next)
            if (memcmp(wtx ? b->wtxid : b->txid, h, 32) == 0) seen_back(n, b, peer_id, "announced");
    }
}

void node_broadcast_tx_received(struct node *n, uint64_t peer_id, const struct wire_tx *tx)
{
    if (!n->broadcasts.count) return;
    uint8_t wtxid[32];
    sha256d(tx->raw, tx->raw_len, wtxid); /* all its bytes, witness included */
    struct broadcast *b = broadcast_find_wtxid(&n->broadcasts, wtxid);
    if (b) seen_back(n, b, peer_id, "served");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    node_broadcast_tick(n);
    uint32_t ms = n->cfg->broadcast_retry_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (!n->shutting_down) event_add(n->broadcast_timer, &tv);
}

enum node_err node_broadcast_start(struct node *n)
{
    const struct peer_config *pc = &n->cfg->peer;
    if (pc->proxy.set)
        log_info(LOG_CAT_NODE, "private broadcast: through the proxy %s, fresh credentials per connection",
                 pc->proxy.str);
    else if (pc->onion_proxy.set)
        log_info(LOG_CAT_NODE, "private broadcast: to onion peers only, through %s", pc->onion_proxy.str);
    else if (n->cfg->broadcast_tor_only)
        log_warn(LOG_CAT_NODE, "private broadcast: --privatebroadcast=tor and no proxy: "
                               "sendrawtransaction will refuse to send");
    else
        log_info(LOG_CAT_NODE, "private broadcast: no proxy, direct connections (v2 where offered): "
                               "the peers that take a transaction see this machine's address as "
                               "its origin; set --proxy or --onion to hide it");
    n->broadcast_timer = evtimer_new(n->base, on_timer, n);
    if (!n->broadcast_timer) return NODE_ERR_NOMEM;
    on_timer(-1, 0, n);
    return NODE_OK;
}

void node_broadcast_stop(struct node *n)
{
    if (n->broadcast_save_ev) { /* a save due: now, before the disk writer's last drain */
        if (event_pending(n->broadcast_save_ev, EV_TIMEOUT, NULL)) node_broadcast_save_now(n);
        event_free(n->broadcast_save_ev);
        n->broadcast_save_ev = NULL;
    }
    if (!n->broadcast_timer) return;
    event_free(n->broadcast_timer);
    n->broadcast_timer = NULL;
}
