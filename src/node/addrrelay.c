/* Address gossip, as bitcoind does it. Incoming addresses pass a per-peer
 * token bucket (0.1 per second, at most 1,000 banked, plus 1,000 after our
 * own getaddr); the excess is dropped without a word. Fresh addresses from
 * small unsolicited messages are forwarded to two random other peers. One
 * getaddr per inbound connection is answered with up to 1,000 addresses
 * (23 % of the table). */
#include "node_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include <stdlib.h>
#include <string.h>

#define TOKENS_PER_SECOND 0.1
#define TOKENS_MAX 1000.0
#define RELAY_MAX_ADDRS 10u
#define RELAY_MAX_AGE 600
#define RELAY_FANOUT 2
#define RELAYED_TIME_PENALTY (2 * 60 * 60)

static void top_up(struct node_peer *np)
{
    uint64_t now = clock_mono_ms();
    double add = (double)(now - np->tokens_at_ms) / 1000.0 * TOKENS_PER_SECOND;
    np->tokens_at_ms = now;
    /* The bucket may hold more than TOKENS_MAX right after our getaddr;
     * time alone never fills it past that. */
    if (np->addr_tokens < TOKENS_MAX) {
        np->addr_tokens += add;
        if (np->addr_tokens > TOKENS_MAX) np->addr_tokens = TOKENS_MAX;
    }
}

/* Two random ready peers other than the source, by id. */
static size_t pick_relay_targets(const struct node *n, uint64_t source, uint64_t out[RELAY_FANOUT])
{
    size_t seen = 0, pos = 0;
    uint64_t id;
    void *value;
    /* Reservoir sampling over the ready peers. */
    while (idmap_next(&n->node_peers, &pos, &id, &value)) {
        const struct node_peer *np = value;
        if (id == source || !np->ready || np->kind == CONN_FEELER || np->kind == CONN_ADDR_FETCH ||
            np->kind == CONN_BLOCK_RELAY)
            continue;
        if (seen < RELAY_FANOUT) {
            out[seen] = id;
        } else {
            uint64_t j = random_range(seen + 1);
            if (j < RELAY_FANOUT) out[j] = id;
        }
        seen++;
    }
    return seen < RELAY_FANOUT ? seen : RELAY_FANOUT;
}

static void relay(struct node *n, uint64_t source, const struct wire_netaddr *fresh, size_t count)
{
    uint64_t targets[RELAY_FANOUT];
    size_t nt = pick_relay_targets(n, source, targets);
    struct wire_addr msg = {.count = count, .addrs = (struct wire_netaddr *)fresh};
    struct node_request req = {.type = NODE_REQ_SEND_ADDR, .u.addrs = &msg};
    for (size_t i = 0; i < nt; i++) peer_request(n->peers, targets[i], &req);
}

void node_addr_received(struct node *n, uint64_t peer_id, const struct wire_addr *addrs)
{
    struct node_peer *np = node_peer_get(n, peer_id);
    if (!np) return;
    /* Core: ignored, not punished; an address from it would tell an
     * attacker which of his nodes we reach this way. */
    if (np->kind == CONN_BLOCK_RELAY) {
        LOG_AT(LOG_DEBUG, LOG_CAT_ADDRMAN, (int64_t)peer_id, "addr: ignoring %zu addresses from a block-relay-only peer",
               addrs->count);
        return;
    }
    top_up(np);
    int64_t now = node_now();
    size_t accepted = 0, dropped = 0, n_fresh = 0;
    struct wire_netaddr fresh[RELAY_MAX_ADDRS];
    bool may_relay = addrs->count <= RELAY_MAX_ADDRS;
    struct wire_netaddr source = np->addr;
    for (size_t i = 0; i < addrs->count; i++) {
        if (np->addr_tokens < 1.0) {
            dropped++;
            continue;
        }
        np->addr_tokens -= 1.0;
        accepted++;
        const struct wire_netaddr *a = &addrs->addrs[i];
        /* Core: a banned or discouraged address is neither kept nor relayed. */
        if (banman_is_banned(n->banman, a, now) || node_is_discouraged(n, a)) continue;
        addrman_add(n->addrman, a, &source, RELAYED_TIME_PENALTY, now);
        if (may_relay && (int64_t)a->time > now - RELAY_MAX_AGE && (int64_t)a->time <= now + 600)
            fresh[n_fresh++] = *a;
    }
    np->addr_processed += accepted;
    np->addr_rate_limited += dropped;
    LOG_AT(LOG_DEBUG, LOG_CAT_ADDRMAN, (int64_t)peer_id, "addr: %zu accepted, %zu dropped (token bucket)",
           accepted, dropped);
    if (n_fresh) relay(n, peer_id, fresh, n_fresh);
    /* A seed reached through the proxy has done its job with a real answer
     * (Core waits for more than one address too: one may be its own). */
    if (np->kind == CONN_ADDR_FETCH && addrs->count > 1) {
        log_info(LOG_CAT_ADDRMAN, "addr-fetch peer=%llu: %zu addresses", (unsigned long long)peer_id, accepted);
        peer_disconnect_id(n->peers, peer_id, PEER_REASON_ADDR_FETCH_DONE);
    }
}

/* Core asks every outbound connection but block-relay-only ones, manual
 * (--connect, --addnode) included: without the question, a manual peer's
 * answer would meet a bucket holding one token and be dropped as gossip. */
void node_ask_for_addresses(struct node *n, struct node_peer *np)
{
    if (np->kind == CONN_BLOCK_RELAY) return;
    struct node_request req = {.type = NODE_REQ_GET_ADDR};
    if (peer_request(n->peers, np->id, &req) == PEER_OK) np->addr_tokens += ADDRMAN_GETADDR_MAX;
}

void node_getaddr_received(struct node *n, uint64_t peer_id)
{
    struct node_peer *np = node_peer_get(n, peer_id);
    if (!np || np->kind != CONN_INBOUND || np->getaddr_answered) return;
    np->getaddr_answered = true;
    struct wire_netaddr *out = malloc(ADDRMAN_GETADDR_MAX * sizeof *out);
    if (!out) return;
    size_t count = addrman_get_addr(n->addrman, ADDRMAN_GETADDR_MAX, ADDRMAN_GETADDR_PCT, node_now(), out);
    if (count) {
        struct wire_addr msg = {.count = count, .addrs = out};
        struct node_request req = {.type = NODE_REQ_SEND_ADDR, .u.addrs = &msg};
        peer_request(n->peers, peer_id, &req);
    }
    LOG_AT(LOG_DEBUG, LOG_CAT_ADDRMAN, (int64_t)peer_id, "getaddr: answered with %zu addresses", count);
    free(out);
}
