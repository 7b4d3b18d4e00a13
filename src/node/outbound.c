/* Automatic outbound connections, the way bitcoind keeps them: fill up to
 * --max-outbound full-relay peers from the address manager, then
 * --max-blockrelay block-relay-only ones, at most one per network group; keep only peers that serve blocks and witnesses; every
 * feeler interval (when the slots are full) test an address from "new" (or
 * a tried-table occupant under threat) and move it to "tried". Addresses
 * come from DNS seeds at start (when the table is thin), at most hourly
 * afterwards, and from the compiled-in fixed seeds if DNS gives nothing. */
#include "node_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/seeds.h>

#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Below this many known addresses the DNS seeds are asked at start. */
#define DNS_WANTED_ADDRESSES 1000u
#define SELECT_TRIES 100

/* Selections to try in one round. A selection from a sparse table scans
 * random buckets until it meets an entry (about 65,536 / n slots), and with
 * a handful of addresses 100 of them every 500 ms cost a fifth of a core
 * while finding nothing new: past a few draws per address, more draws only
 * return the same ones. But at least one more than Core's 30 selections
 * after which a recently tried address may be taken (redial.h): without
 * them a small table would wait out the whole 10 minutes. */
static int select_tries(const struct node *n)
{
    size_t cap = 4 * addrman_size(n->addrman) + 4;
    if (cap < REDIAL_RECENT_SELECTIONS + 1) cap = REDIAL_RECENT_SELECTIONS + 1;
    return cap < SELECT_TRIES ? (int)cap : SELECT_TRIES;
}

static void set_timer(struct event *ev, uint32_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(ev, &tv);
}

static bool reachable(const struct node *n, const struct wire_netaddr *a)
{
    /* Tor v3 through the onion proxy (--onion, or --proxy); I2P and CJDNS
     * need a router we do not have. */
    if (a->net == WIRE_NET_TORV3) return n->cfg->peer.onion_proxy.set;
    return a->net == WIRE_NET_IPV4 || a->net == WIRE_NET_IPV6;
}

size_t node_outbound_count(const struct node *n, enum node_conn_kind kind)
{
    size_t count = 0, pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value))
        count += ((const struct node_peer *)value)->kind == kind;
    return count;
}

/* Already connected (in any way) to this address, or to its group with an
 * automatic outbound peer? */
static bool conflicts(const struct node *n, const struct wire_netaddr *a)
{
    uint8_t g[NETADDR_GROUP_MAX];
    size_t gl = netaddr_group(a, n->cfg->local_groups, n->asmap, g);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->group_len && netaddr_equal(&np->addr, a)) return true;
        bool automatic = np->kind == CONN_OUTBOUND || np->kind == CONN_BLOCK_RELAY;
        if (automatic && np->group_len == gl && memcmp(np->group, g, gl) == 0)
            return true;
    }
    return false;
}

/* May the loop dial this address now, at this selection of its round?
 * Never a banned or discouraged one (Core's OpenNetworkConnection), nor
 * one redial.h holds back. held_logged: one debug line a round. */
static bool may_dial(struct node *n, const struct wire_netaddr *a, int tries, bool *held_logged)
{
    if (banman_is_banned(n->banman, a, node_now()) || node_is_discouraged(n, a)) return false;
    enum redial_verdict v = redial_check(n->redial, a, clock_mono_ms(), (unsigned)tries);
    if (v == REDIAL_BACKOFF) {
        n->n_redial_held++;
        if (!*held_logged) {
            char s[NETADDR_STR_MAX];
            netaddr_str(a, s);
            log_debug(LOG_CAT_NODE, "outbound: %s held back: redial-backoff (failed less than %u ms ago)",
                      s, n->cfg->redial_backoff_ms);
            *held_logged = true;
        }
    }
    return v == REDIAL_OK;
}

/* BIP324 to peers that say they speak it, unless one already closed on
 * our key (then v1, as Core remembers). */
bool node_outbound_dial(struct node *n, const struct wire_netaddr *a, enum node_conn_kind kind)
{
    uint64_t id;
    bool v2 = (a->services & NODE_P2P_V2) && !idmap_get(&n->v1_only, node_addr_hash(a));
    if (peer_connect_addr(n->peers, a, v2, &id) != PEER_OK) return false;
    addrman_attempt(n->addrman, a, false, node_now());
    if (!node_peer_add(n, id, kind, a) ||
        (kind == CONN_BLOCK_RELAY && peer_set_block_relay(n->peers, id) != PEER_OK)) {
        peer_disconnect_id(n->peers, id, PEER_REASON_SHUTDOWN);
        return false;
    }
    node_mark_noban(n, id, a);
    redial_dialled(n->redial, a, clock_mono_ms());
    return true;
}

bool node_outbound_dialable(struct node *n, const struct wire_netaddr *a, int tries,
                            bool *held_logged)
{
    return reachable(n, a) && !conflicts(n, a) && may_dial(n, a, tries, held_logged);
}

/* One dial from the address manager as kind (not a feeler); true if one
 * is under way. */
bool node_outbound_open_one(struct node *n, enum node_conn_kind kind)
{
    int64_t now = node_now();
    const int max_tries = select_tries(n);
    bool held_logged = false;
    for (int tries = 0; tries < max_tries; tries++) {
        struct wire_netaddr a;
        if (!addrman_select(n->addrman, false, now, &a)) break;
        if (!node_outbound_dialable(n, &a, tries, &held_logged)) continue;
        if (a.port != n->cfg->peer.net->default_port && tries < max_tries / 2) continue;
        if (node_outbound_dial(n, &a, kind)) {
            char s[NETADDR_STR_MAX];
            netaddr_str(&a, s);
            log_info(LOG_CAT_NODE, "%s connection to %s",
                     kind == CONN_BLOCK_RELAY ? "block-relay-only" : "outbound full-relay", s);
            return true;
        }
    }
    return false;
}

/* Core's order: the full-relay slots first, and only once they are full
 * the block-relay-only ones, so a node short of peers gets the ones that
 * also bring addresses. One dial a round for them; the round is 500 ms. */
static void open_block_relay(struct node *n)
{
    if (node_outbound_count(n, CONN_OUTBOUND) < n->cfg->max_outbound) return;
    if (node_outbound_count(n, CONN_BLOCK_RELAY) >= n->cfg->max_block_relay) return;
    (void)node_outbound_open_one(n, CONN_BLOCK_RELAY);
}

/* Anchors first (Core): each tried once, as block-relay-only, while
 * those slots are not full; a failed one is not retried. */
static void open_anchors(struct node *n)
{
    struct wire_netaddr a;
    while (node_outbound_count(n, CONN_BLOCK_RELAY) < n->cfg->max_block_relay && node_anchors_next(n, &a)) {
        if (!reachable(n, &a) || conflicts(n, &a) || banman_is_banned(n->banman, &a, node_now()) ||
            node_is_discouraged(n, &a))
            continue;
        char s[NETADDR_STR_MAX];
        netaddr_str(&a, s);
        log_info(LOG_CAT_NODE, "anchor: dialling %s (block-relay-only)", s);
        node_outbound_dial(n, &a, CONN_BLOCK_RELAY);
    }
}

static void open_connections(struct node *n)
{
    size_t have = node_outbound_count(n, CONN_OUTBOUND);
    size_t filter_have =
        n->cfg->blockfilters ? node_filter_outbound_count(n) : NODE_FILTER_PEERS_WANTED;
    int64_t now = node_now();
    const int max_tries = select_tries(n);
    bool held_logged = false;
    redial_prune(n->redial, clock_mono_ms());
    if (n->cfg->blockfilters) node_filter_peers_fill(n, &have, &filter_have);
    for (int tries = 0; have < n->cfg->max_outbound && tries < max_tries; tries++) {
        struct wire_netaddr a;
        if (!addrman_select(n->addrman, false, now, &a)) break;
        if (!reachable(n, &a) || conflicts(n, &a)) continue;
        /* --blockfilters: the filter-offering addresses the address
         * manager is known to hold were dialled first (filterpeers.c); the
         * last slots still wait for ones these draws find, for most of a
         * round; the rest of the round takes anyone, so a network without
         * them still fills up. */
        bool offers = a.services & NODE_COMPACT_FILTERS;
        size_t missing = filter_have < NODE_FILTER_PEERS_WANTED ? NODE_FILTER_PEERS_WANTED - filter_have : 0;
        if (!offers && missing && have + missing >= n->cfg->max_outbound && tries < max_tries * 3 / 4)
            continue;
        if (!may_dial(n, &a, tries, &held_logged)) continue;
        /* Prefer the network's port, as bitcoind does, until choices run out. */
        if (a.port != n->cfg->peer.net->default_port && tries < max_tries / 2) continue;
        if (node_outbound_dial(n, &a, CONN_OUTBOUND)) {
            have++;
            filter_have += offers;
        }
    }
    if (have < n->cfg->max_outbound)
        log_debug(LOG_CAT_NODE, "outbound %zu of %u: no more candidates now", have, n->cfg->max_outbound);
}

static void on_open_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    if (n->shutting_down) return;
    addrman_resolve_collisions(n->addrman, node_now());
    size_t before = node_outbound_count(n, CONN_OUTBOUND) + node_outbound_count(n, CONN_BLOCK_RELAY);
    open_anchors(n);
    open_connections(n);
    if (n->cfg->blockfilters) node_filter_peers_make_room(n);
    open_block_relay(n);
    /* An extra peer only in a round that filled no slot: Core's loop opens
     * one connection a turn, the extra ones after the slots were full. */
    if (node_outbound_count(n, CONN_OUTBOUND) + node_outbound_count(n, CONN_BLOCK_RELAY) == before)
        node_staletip_open_extra(n);
    set_timer(n->open_timer, n->cfg->open_interval_ms);
}

static void on_feeler_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    if (n->shutting_down) return;
    /* Feelers only once the real slots are full: they are for learning,
     * not for getting connected. */
    if (node_outbound_count(n, CONN_OUTBOUND) >= n->cfg->max_outbound &&
        node_outbound_count(n, CONN_FEELER) == 0) {
        struct wire_netaddr a;
        bool found = addrman_tried_collision(n->addrman, &a), held_logged = false;
        const int max_tries = select_tries(n);
        for (int tries = 0; !found && tries < max_tries; tries++)
            found = addrman_select(n->addrman, true, node_now(), &a) && reachable(n, &a) &&
                    !conflicts(n, &a) && may_dial(n, &a, tries, &held_logged);
        if (found && node_outbound_dial(n, &a, CONN_FEELER)) {
            char s[NETADDR_STR_MAX];
            netaddr_str(&a, s);
            log_debug(LOG_CAT_NODE, "feeler to %s", s);
        }
    }
    set_timer(n->feeler_timer, n->cfg->feeler_interval_ms);
}

/* ---- seeds ---- */

/* Under --proxy no DNS query of ours may leave the machine: the seed's
 * name goes to the proxy as a peer to connect to (the proxy resolves it to
 * one of the nodes the seed lists), which is asked for addresses and
 * dropped once they come, as bitcoind does with -proxy. */
static void addr_fetch(struct node *n, const char *seed, uint16_t port)
{
    uint64_t id;
    /* v1: the node behind a seed name is anyone; no fallback dance for a
     * one-shot connection. */
    if (peer_connect_host(n->peers, seed, port, false, false, &id) != PEER_OK) return;
    if (!node_peer_add(n, id, CONN_ADDR_FETCH, NULL)) {
        peer_disconnect_id(n->peers, id, PEER_REASON_SHUTDOWN);
        return;
    }
    log_info(LOG_CAT_ADDRMAN, "DNS seed %s: asking a node behind it through the proxy", seed);
}

static void seed_query(struct node *n, const char *seed, uint16_t port)
{
    if (n->cfg->peer.proxy.set) {
        addr_fetch(n, seed, port);
    } else if (n->hooks.dns_query && n->hooks.dns_query(n->hooks.ctx, seed, port)) {
        n->dns_pending++;
        log_info(LOG_CAT_ADDRMAN, "DNS seed %s: asking", seed);
    } else {
        log_info(LOG_CAT_ADDRMAN, "DNS seed %s: cannot start the query", seed);
    }
}

static void query_dns_seeds(struct node *n)
{
    n->last_dns_ms = (int64_t)clock_mono_ms();
    uint16_t port = n->cfg->peer.net->default_port;
    if (n->cfg->n_seed_names) {
        for (size_t i = 0; i < n->cfg->n_seed_names; i++) seed_query(n, n->cfg->seed_names[i], port);
        return;
    }
    for (const char *const *s = seeds_dns(n->cfg->peer.net->id); *s; s++) seed_query(n, *s, port);
}

/* ---- the first minute: say what we are waiting for ---- */

static bool outbound_peer_up(const struct node *n)
{
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->ready && (np->kind == CONN_OUTBOUND || np->kind == CONN_MANUAL)) return true;
    }
    return false;
}

/* Until the first outbound peer is up, a line every waiting_log_ms (and
 * one as soon as the last seed has answered) says what happens next, so a
 * newcomer's first minute on mainnet is not silence. */
static void log_waiting(struct node *n)
{
    if (n->shutting_down || outbound_peer_up(n)) {
        if (n->waiting_timer) event_del(n->waiting_timer);
        return;
    }
    uint64_t now = clock_mono_ms();
    if (n->dns_pending)
        log_info(LOG_CAT_NODE, "no peers yet: waiting for %zu DNS seed answer%s", n->dns_pending,
                 n->dns_pending == 1 ? "" : "s");
    else if (n->fixed_seed_due_ms && addrman_size(n->addrman) == 0)
        log_info(LOG_CAT_NODE, "no peers yet: fixed seeds in %" PRIu64 " s",
                 n->fixed_seed_due_ms > now ? (n->fixed_seed_due_ms - now + 999) / 1000 : 0);
    else
        log_info(LOG_CAT_NODE, "no peers yet: trying %zu known address%s", addrman_size(n->addrman),
                 addrman_size(n->addrman) == 1 ? "" : "es");
}

static void on_waiting_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    log_waiting(arg);
}

void node_addr_fetch_ready(struct node *n, struct node_peer *np)
{
    node_ask_for_addresses(n, np);
}

void node_seed_answer(struct node *n, const char *seed, const struct wire_netaddr *addrs,
                      size_t count, const char *err)
{
    if (n->dns_pending) n->dns_pending--;
    if (err) {
        log_info(LOG_CAT_ADDRMAN, "DNS seed %s: failed error=%s", seed, err);
        if (!n->dns_pending) log_waiting(n);
        return;
    }
    int64_t now = node_now();
    size_t added = 0;
    for (size_t i = 0; i < count; i++) {
        struct wire_netaddr a = addrs[i];
        a.time = (uint32_t)now;
        a.services = NODE_NETWORK | NODE_WITNESS;
        added += addrman_add(n->addrman, &a, &a, 0, now);
    }
    n->dns_answers += count;
    log_info(LOG_CAT_ADDRMAN, "DNS seed %s: %zu addresses, %zu new", seed, count, added);
    if (added && !n->shutting_down && n->open_timer) set_timer(n->open_timer, 0);
    if (!n->dns_pending) log_waiting(n);
}

static void on_fixed_seed_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    n->fixed_seed_due_ms = 0;
    if (n->shutting_down || n->dns_answers || addrman_size(n->addrman) > 0) return;
    size_t count;
    const struct fixed_seed *seeds = seeds_fixed(n->cfg->peer.net->id, &count);
    int64_t now = node_now();
    size_t added = 0;
    for (size_t i = 0; i < count; i++) {
        struct wire_netaddr a = {.net = seeds[i].net, .port = seeds[i].port,
                                 .services = NODE_NETWORK | NODE_WITNESS};
        memcpy(a.addr, seeds[i].addr, wire_net_addr_len(a.net));
        /* Fixed seeds are old news: a week old, so fresher gossip wins. */
        a.time = (uint32_t)(now - 7 * 86400);
        added += addrman_add(n->addrman, &a, &a, 0, now);
    }
    log_info(LOG_CAT_ADDRMAN, "DNS seeds gave nothing: added %zu fixed seed addresses", added);
    if (n->open_timer) set_timer(n->open_timer, 0);
}

/* ---- life cycle ---- */

enum node_err node_outbound_start(struct node *n)
{
    /* Seeds fill the address manager even without outbound slots: the
     * addresses are still worth relaying. */
    if (n->cfg->dnsseed) {
        n->fixed_seed_timer = evtimer_new(n->base, on_fixed_seed_timer, n);
        if (!n->fixed_seed_timer) return NODE_ERR_NOMEM;
        if (addrman_size(n->addrman) < DNS_WANTED_ADDRESSES) query_dns_seeds(n);
        set_timer(n->fixed_seed_timer, n->cfg->fixed_seed_delay_ms);
        n->fixed_seed_due_ms = clock_mono_ms() + n->cfg->fixed_seed_delay_ms;
        if (n->cfg->max_outbound) {
            n->waiting_timer = event_new(n->base, -1, EV_PERSIST, on_waiting_timer, n);
            if (!n->waiting_timer) return NODE_ERR_NOMEM;
            set_timer(n->waiting_timer, n->cfg->waiting_log_ms);
        }
    }
    if (n->cfg->max_outbound == 0) return NODE_OK; /* --connect: manual peers only */
    n->open_timer = evtimer_new(n->base, on_open_timer, n);
    n->feeler_timer = evtimer_new(n->base, on_feeler_timer, n);
    if (!n->open_timer || !n->feeler_timer) return NODE_ERR_NOMEM;
    set_timer(n->open_timer, 0);
    set_timer(n->feeler_timer, n->cfg->feeler_interval_ms);
    return NODE_OK;
}

void node_outbound_stop(struct node *n)
{
    if (n->open_timer) event_free(n->open_timer);
    if (n->feeler_timer) event_free(n->feeler_timer);
    if (n->fixed_seed_timer) event_free(n->fixed_seed_timer);
    if (n->waiting_timer) event_free(n->waiting_timer);
    n->open_timer = n->feeler_timer = n->fixed_seed_timer = n->waiting_timer = NULL;
}

void node_outbound_ready(struct node *n, struct node_peer *np, const struct peer_ready_info *info)
{
    int64_t now = node_now();
    bool serves_blocks = info->services & (NODE_NETWORK | NODE_NETWORK_LIMITED);
    if (!serves_blocks || !(info->services & NODE_WITNESS)) {
        peer_disconnect_id(n->peers, np->id, PEER_REASON_MISSING_SERVICES);
        return;
    }
    addrman_good(n->addrman, &np->addr, now);
    redial_succeeded(n->redial, &np->addr);
    if (np->kind == CONN_FEELER) {
        char s[NETADDR_STR_MAX];
        netaddr_str(&np->addr, s);
        log_debug(LOG_CAT_NODE, "feeler to %s answered: marked good", s);
        peer_disconnect_id(n->peers, np->id, PEER_REASON_FEELER_DONE);
        return;
    }
    if (np->kind != CONN_BLOCK_RELAY) node_ask_for_addresses(n, np);
    /* Hourly, if we are short of peers, the DNS seeds again. */
    if (n->cfg->dnsseed && n->last_dns_ms &&
        (int64_t)clock_mono_ms() - n->last_dns_ms > (int64_t)n->cfg->dns_interval_ms &&
        addrman_size(n->addrman) < DNS_WANTED_ADDRESSES)
        query_dns_seeds(n);
}

void node_outbound_gone(struct node *n, struct node_peer *np, const struct peer_disconnected_info *info)
{
    if (info->v2_no_answer && !n->shutting_down) {
        /* Closed on our BIP324 key without a word: a v1-only node. Again
         * at once, in v1, and remember. */
        idmap_put(&n->v1_only, node_addr_hash(&np->addr), (void *)1);
        struct wire_netaddr a = np->addr;
        a.services &= ~NODE_P2P_V2;
        node_outbound_dial(n, &a, np->kind);
        return;
    }
    /* A failure counts against the address only if we never got through;
     * and only then does the host rest for the redial back-off. */
    if (!info->was_connected && strcmp(info->reason, "shutdown") != 0) {
        addrman_attempt(n->addrman, &np->addr, true, node_now());
        redial_failed(n->redial, &np->addr, clock_mono_ms());
    } else {
        /* Core does not stamp a block-relay-only peer's address as seen
         * when it leaves: the time would leak the link through gossip. */
        if (np->kind != CONN_BLOCK_RELAY) addrman_connected(n->addrman, &np->addr, node_now());
        /* Useless to us (no blocks or no witnesses): as good as a failure. */
        if (!strcmp(info->reason, peer_reason_str(PEER_REASON_MISSING_SERVICES)))
            redial_failed(n->redial, &np->addr, clock_mono_ms());
    }
    /* The slot is refilled at the next tick, not at once: an address that
     * refuses instantly must not turn this into a busy loop. */
}
