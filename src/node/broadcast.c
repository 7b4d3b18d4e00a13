/* The set of broadcasts (broadcast.h) and the node's commands on it that
 * the RPC side calls (view.h: node_broadcast_submit). */
#include "broadcast.h"

#include "node_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *node_broadcast_state_str(enum node_broadcast_state st)
{
    switch (st) {
    case NODE_BROADCAST_PENDING: return "pending";
    case NODE_BROADCAST_PROPAGATED: return "propagated";
    case NODE_BROADCAST_ABANDONED: return "abandoned";
    }
    return "unknown";
}

void broadcast_set_init(struct broadcast_set *s)
{
    memset(s, 0, sizeof *s);
}

static void broadcast_free(struct broadcast *b)
{
    free(b->raw);
    free(b);
}

void broadcast_set_free(struct broadcast_set *s)
{
    while (s->head) {
        struct broadcast *b = s->head;
        s->head = b->next;
        broadcast_free(b);
    }
    s->count = 0;
}

struct broadcast *broadcast_find_txid(const struct broadcast_set *s, const uint8_t txid[32])
{
    for (struct broadcast *b = s->head; b; b = b->next)
        if (memcmp(b->txid, txid, 32) == 0) return b;
    return NULL;
}

struct broadcast *broadcast_find_wtxid(const struct broadcast_set *s, const uint8_t wtxid[32])
{
    for (struct broadcast *b = s->head; b; b = b->next)
        if (memcmp(b->wtxid, wtxid, 32) == 0) return b;
    return NULL;
}

/* The oldest finished broadcast goes to make room; false if all pend. */
static bool drop_oldest_finished(struct broadcast_set *s)
{
    struct broadcast **victim = NULL;
    for (struct broadcast **pp = &s->head; *pp; pp = &(*pp)->next)
        if ((*pp)->state != NODE_BROADCAST_PENDING) victim = pp;
    if (!victim) return false;
    struct broadcast *b = *victim;
    *victim = b->next;
    broadcast_free(b);
    s->count--;
    return true;
}

enum node_err broadcast_add(struct broadcast_set *s, uint8_t *raw, size_t raw_len,
                            const uint8_t txid[32], const uint8_t wtxid[32], int64_t now,
                            struct broadcast **out)
{
    if (s->count >= BROADCAST_MAX && !drop_oldest_finished(s)) {
        free(raw);
        return NODE_ERR_FULL;
    }
    struct broadcast *b = calloc(1, sizeof *b);
    if (!b) {
        free(raw);
        return NODE_ERR_NOMEM;
    }
    memcpy(b->txid, txid, 32);
    memcpy(b->wtxid, wtxid, 32);
    b->raw = raw;
    b->raw_len = raw_len;
    b->state = NODE_BROADCAST_PENDING;
    b->submitted = now;
    b->next = s->head;
    s->head = b;
    s->count++;
    if (out) *out = b;
    return NODE_OK;
}

size_t broadcast_inflight(const struct broadcast *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_attempts; i++) n += !b->attempts[i].done;
    return n;
}

size_t broadcast_taken(const struct broadcast *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_attempts; i++) n += b->attempts[i].taken && b->attempts[i].round == b->round;
    return n;
}

struct broadcast_attempt *broadcast_new_attempt(struct broadcast *b)
{
    struct broadcast_attempt *a = NULL;
    if (b->n_attempts < BROADCAST_MAX_ATTEMPTS) {
        a = &b->attempts[b->n_attempts++];
    } else {
        size_t i = 0;
        while (i < b->n_attempts && (!b->attempts[i].done || b->attempts[i].taken)) i++;
        if (i == b->n_attempts) return NULL;
        /* keep the list in time order: the rest moves up */
        memmove(&b->attempts[i], &b->attempts[i + 1], (b->n_attempts - i - 1) * sizeof *a);
        a = &b->attempts[b->n_attempts - 1];
    }
    memset(a, 0, sizeof *a);
    b->total_attempts++;
    return a;
}

struct broadcast_attempt *broadcast_attempt_by_peer(struct broadcast *b, uint64_t peer_id)
{
    for (size_t i = 0; i < b->n_attempts; i++)
        if (b->attempts[i].peer_id == peer_id) return &b->attempts[i];
    return NULL;
}

void node_broadcast_finish(struct node *n, struct broadcast *b, enum node_broadcast_state st,
                           const char *why)
{
    if (b->state != NODE_BROADCAST_PENDING) return;
    b->state = st;
    b->finished = node_now();
    /* its bytes are no longer needed (a live connection has its own copy):
     * broadcast.dat, rewritten whole after each change, then holds only
     * the pending transactions' bytes */
    free(b->raw);
    b->raw = NULL;
    b->raw_len = 0;
    node_broadcast_dirty(n);
    peer_table_unwatch_tx(n->peers, b->txid);
    peer_table_unwatch_tx(n->peers, b->wtxid);
    char hex[65];
    hex_encode_rev(b->txid, 32, hex);
    if (st == NODE_BROADCAST_PROPAGATED) {
        n->broadcast_counts.propagated++;
        LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)b->seen_peer,
               "broadcast txid=%s seen back: %s by %s after %llu attempts", hex, b->seen_how,
               b->seen_by, (unsigned long long)b->total_attempts);
    } else {
        n->broadcast_counts.abandoned++;
        log_info(LOG_CAT_NODE, "broadcast txid=%s abandoned: %s, after %llu attempts", hex, why,
                 (unsigned long long)b->total_attempts);
    }
}

/* ---- the node's commands ---- */

enum node_err node_broadcast_submit(struct node *n, uint8_t *raw, size_t raw_len,
                                    const uint8_t txid[32], const uint8_t wtxid[32])
{
    if (n->shutting_down) {
        free(raw);
        return NODE_ERR_SHUTTING_DOWN;
    }
    if (n->cfg->broadcast_tor_only && !n->cfg->peer.proxy.set && !n->cfg->peer.onion_proxy.set) {
        free(raw);
        return NODE_ERR_NO_PROXY;
    }
    char hex[65];
    hex_encode_rev(txid, 32, hex);
    struct broadcast *b = broadcast_find_txid(&n->broadcasts, txid);
    if (b && b->state != NODE_BROADCAST_ABANDONED) {
        /* bitcoind answers a transaction it already has with its txid */
        free(raw);
        log_info(LOG_CAT_NODE, "broadcast txid=%s submitted again, state=%s", hex,
                 node_broadcast_state_str(b->state));
        return NODE_OK;
    }
    if (b) { /* abandoned, now wanted again: start afresh */
        free(b->raw);
        b->raw = raw;
        b->raw_len = raw_len;
        memcpy(b->wtxid, wtxid, 32);
        b->state = NODE_BROADCAST_PENDING;
        b->submitted = node_now();
        b->finished = 0;
        b->n_attempts = 0;
        b->round = 0;
        b->round_ends_ms = 0;
        b->seen_by[0] = '\0';
        b->seen_how = NULL;
    } else {
        enum node_err err = broadcast_add(&n->broadcasts, raw, raw_len, txid, wtxid, node_now(), &b);
        if (err != NODE_OK) {
            log_warn(LOG_CAT_NODE, "broadcast txid=%s refused: %s", hex, node_err_str(err));
            return err;
        }
    }
    b->submitted_ms = clock_mono_ms();
    n->broadcast_counts.submitted++;
    b->round_len_ms = n->cfg->broadcast_round_ms;
    if (!peer_table_watch_tx(n->peers, b->txid) || !peer_table_watch_tx(n->peers, b->wtxid))
        log_warn(LOG_CAT_NODE, "broadcast txid=%s: out of memory watching for it", hex);
    log_info(LOG_CAT_NODE, "broadcast txid=%s submitted (%zu bytes)", hex, raw_len);
    node_broadcast_dirty(n);
    node_broadcast_tick(n);
    return NODE_OK;
}

static const char *attempt_net(uint8_t net)
{
    switch (net) {
    case WIRE_NET_IPV4: return "ipv4";
    case WIRE_NET_IPV6: return "ipv6";
    case WIRE_NET_TORV3: return "onion";
    default: return "other";
    }
}

static void view_of(const struct broadcast *b, struct node_broadcast_view *v)
{
    memset(v, 0, sizeof *v);
    memcpy(v->txid, b->txid, 32);
    memcpy(v->wtxid, b->wtxid, 32);
    v->state = b->state;
    v->submitted = b->submitted;
    v->finished = b->finished;
    v->total_attempts = b->total_attempts;
    _Static_assert(NODE_BROADCAST_ATTEMPTS_SHOWN >= BROADCAST_MAX_ATTEMPTS, "every kept attempt shown");
    v->n_attempts = b->n_attempts;
    for (size_t i = 0; i < b->n_attempts; i++) {
        const struct broadcast_attempt *a = &b->attempts[i];
        struct node_broadcast_attempt_view *av = &v->attempts[i];
        av->time = a->time;
        _Static_assert(sizeof av->addr >= NETADDR_STR_MAX, "room for an address");
        netaddr_str(&a->addr, av->addr);
        av->network = attempt_net(a->addr.net);
        av->round = a->round + 1;
        av->done = a->done;
        av->taken = a->taken;
    }
    v->seen = b->seen_how != NULL;
    if (v->seen) {
        snprintf(v->seen_by, sizeof v->seen_by, "%s", b->seen_by);
        v->seen_at = b->seen_at;
        v->seen_how = b->seen_how;
    }
}

enum node_err node_broadcast_infos(struct node *n, const uint8_t *txid,
                                   struct node_broadcast_view **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (txid) {
        const struct broadcast *b = broadcast_find_txid(&n->broadcasts, txid);
        if (!b) return NODE_ERR_NOT_FOUND;
        *out = malloc(sizeof **out);
        if (!*out) return NODE_ERR_NOMEM;
        view_of(b, *out);
        *count = 1;
        return NODE_OK;
    }
    if (!n->broadcasts.count) return NODE_OK;
    *out = calloc(n->broadcasts.count, sizeof **out);
    if (!*out) return NODE_ERR_NOMEM;
    for (const struct broadcast *b = n->broadcasts.head; b; b = b->next) view_of(b, &(*out)[(*count)++]);
    return NODE_OK;
}

enum node_err node_broadcast_abandon(struct node *n, const uint8_t txid[32],
                                     enum node_broadcast_state *state)
{
    struct broadcast *b = broadcast_find_txid(&n->broadcasts, txid);
    if (!b) return NODE_ERR_NOT_FOUND;
    *state = b->state;
    if (b->state != NODE_BROADCAST_PENDING) return NODE_ERR_EXISTS;
    for (size_t i = 0; i < b->n_attempts; i++)
        if (!b->attempts[i].done) peer_disconnect_id(n->peers, b->attempts[i].peer_id, PEER_REASON_REQUESTED);
    node_broadcast_finish(n, b, NODE_BROADCAST_ABANDONED, "abandonbroadcast");
    *state = b->state;
    return NODE_OK;
}
