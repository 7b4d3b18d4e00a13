/* Manual peers (--connect, --addnode): kept connected, retried after a
 * failure with exponential backoff (1 s doubling to 5 min), the backoff
 * reset once a handshake completes. */
#include "node_internal.h"

#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

static void manual_connect(struct manual_peer *m)
{
    struct node *n = m->node;
    if (n->shutting_down) return;
    uint64_t id = 0;
    enum peer_err err = peer_connect_host(n->peers, m->host, m->port, true, !m->v1_only, &id);
    if (err != PEER_OK) {
        log_warn(LOG_CAT_NODE, "cannot connect to %s:%u: %s", m->host, m->port, peer_err_str(err));
        return;
    }
    m->peer_id = id;
    node_peer_add(n, id, CONN_MANUAL, NULL);
}

static void manual_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    manual_connect(arg);
}

static enum node_err add_target(struct node *n, const char *spec)
{
    struct manual_peer *m = &n->manual[n->n_manual];
    memset(m, 0, sizeof *m);
    m->node = n;
    if (!hostport_parse(spec, m->host, sizeof m->host, &m->port, n->cfg->peer.net->default_port))
        return NODE_ERR_BAD_ADDRESS;
    m->backoff_ms = n->cfg->reconnect_min_ms;
    m->retry = evtimer_new(n->base, manual_retry, m);
    if (!m->retry) return NODE_ERR_NOMEM;
    m->active = true;
    n->n_manual++;
    return NODE_OK;
}

enum node_err node_manual_start(struct node *n)
{
    size_t total = n->cfg->n_connect + n->cfg->n_addnode;
    /* Room for the RPC's addnode too; the slots never move (their timers
     * point at them). */
    n->manual = calloc(NODE_MAX_MANUAL * 2, sizeof *n->manual);
    if (!n->manual) return NODE_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        const char *spec = i < n->cfg->n_connect ? n->cfg->connect[i]
                                                 : n->cfg->addnode[i - n->cfg->n_connect];
        enum node_err err = add_target(n, spec);
        if (err != NODE_OK) {
            log_error(LOG_CAT_NODE, "manual peer '%s': %s", spec, node_err_str(err));
            return err;
        }
        n->manual[n->n_manual - 1].from_connect = i < n->cfg->n_connect;
    }
    for (size_t i = 0; i < n->n_manual; i++) manual_connect(&n->manual[i]);
    return NODE_OK;
}

void node_manual_stop(struct node *n)
{
    for (size_t i = 0; i < n->n_manual; i++)
        if (n->manual[i].retry) event_free(n->manual[i].retry);
    free(n->manual);
    n->manual = NULL;
    n->n_manual = 0;
}

static struct manual_peer *find_by_peer(struct node *n, uint64_t peer_id)
{
    for (size_t i = 0; i < n->n_manual; i++)
        if (n->manual[i].active && n->manual[i].peer_id == peer_id) return &n->manual[i];
    return NULL;
}

static struct manual_peer *find_by_target(struct node *n, const char *host, uint16_t port)
{
    for (size_t i = 0; i < n->n_manual; i++) {
        struct manual_peer *m = &n->manual[i];
        if (m->active && !m->from_connect && m->port == port && strcmp(m->host, host) == 0) return m;
    }
    return NULL;
}

/* The RPC's addnode: add (kept connected like --addnode), remove (no more
 * retries; a live connection stays, as in Core), onetry (one connection,
 * not retried). */
enum node_err node_addnode(struct node *n, const char *spec, enum node_addnode_cmd cmd, bool v2)
{
    if (!n->manual || n->shutting_down) return NODE_ERR_SHUTTING_DOWN;
    char host[256];
    uint16_t port;
    if (!hostport_parse(spec, host, sizeof host, &port, n->cfg->peer.net->default_port))
        return NODE_ERR_BAD_ADDRESS;
    struct manual_peer *m = find_by_target(n, host, port);
    switch (cmd) {
    case NODE_ADDNODE_ADD: {
        if (m) return NODE_ERR_EXISTS;
        /* A removed slot is taken again (its timer, which points at the
         * slot, with it); only then a new one. */
        struct manual_peer *slot = NULL;
        for (size_t i = 0; i < n->n_manual && !slot; i++)
            if (!n->manual[i].active) slot = &n->manual[i];
        if (slot) {
            struct event *retry = slot->retry;
            memset(slot, 0, sizeof *slot);
            slot->node = n;
            snprintf(slot->host, sizeof slot->host, "%s", host);
            slot->port = port;
            slot->backoff_ms = n->cfg->reconnect_min_ms;
            slot->retry = retry;
            slot->active = true;
            slot->v1_only = !v2;
        } else {
            if (n->n_manual >= NODE_MAX_MANUAL * 2) return NODE_ERR_FULL;
            enum node_err err = add_target(n, spec);
            if (err != NODE_OK) return err;
            slot = &n->manual[n->n_manual - 1];
            slot->v1_only = !v2;
        }
        log_info(LOG_CAT_NODE, "addnode %s:%u", host, port);
        manual_connect(slot);
        return NODE_OK;
    }
    case NODE_ADDNODE_REMOVE:
        if (!m) return NODE_ERR_NOT_FOUND;
        evtimer_del(m->retry);
        m->active = false;
        log_info(LOG_CAT_NODE, "addnode remove %s:%u", host, port);
        return NODE_OK;
    case NODE_ADDNODE_ONETRY: {
        uint64_t id = 0;
        enum peer_err perr = peer_connect_host(n->peers, host, port, true, v2 && n->cfg->peer.v2_enabled, &id);
        if (perr != PEER_OK) return NODE_ERR_BAD_ADDRESS;
        node_peer_add(n, id, CONN_MANUAL, NULL);
        log_info(LOG_CAT_NODE, "addnode onetry %s:%u peer=%llu", host, port, (unsigned long long)id);
        return NODE_OK;
    }
    }
    return NODE_ERR_BAD_ADDRESS;
}

size_t node_added_nodes(const struct node *n, struct node_added *out, size_t cap)
{
    size_t count = 0;
    for (size_t i = 0; i < n->n_manual; i++) {
        const struct manual_peer *m = &n->manual[i];
        if (!m->active || m->from_connect) continue; /* Core lists -addnode and addnode only */
        if (count < cap) {
            struct node_added *a = &out[count];
            memset(a, 0, sizeof *a);
            snprintf(a->node, sizeof a->node, "%s:%u", m->host, m->port);
            struct peer_info info;
            if (m->peer_id && peer_get_info(n->peers, m->peer_id, &info) == PEER_OK &&
                info.state == PEER_CONNECTED) {
                a->connected = true;
                snprintf(a->address, sizeof a->address, "%s", info.addr);
            }
        }
        count++;
    }
    return count;
}

void node_manual_ready(struct node *n, uint64_t peer_id)
{
    struct manual_peer *m = find_by_peer(n, peer_id);
    if (m) m->backoff_ms = n->cfg->reconnect_min_ms;
    /* onetry peers too: every manual connection is asked, as in Core */
    struct node_peer *np = node_peer_get(n, peer_id);
    if (np) node_ask_for_addresses(n, np);
}

void node_manual_disconnected(struct node *n, uint64_t peer_id, bool v2_no_answer)
{
    struct manual_peer *m = find_by_peer(n, peer_id);
    if (!m || n->shutting_down) return;
    m->peer_id = 0;
    if (v2_no_answer && !m->v1_only) {
        /* It closed on our BIP324 key: a v1-only node. Straight back in v1. */
        m->v1_only = true;
        log_info(LOG_CAT_NODE, "%s:%u does not speak BIP324: reconnecting with v1", m->host, m->port);
        manual_connect(m);
        return;
    }
    struct timeval tv = {.tv_sec = m->backoff_ms / 1000, .tv_usec = (suseconds_t)(m->backoff_ms % 1000) * 1000};
    log_info(LOG_CAT_NODE, "reconnecting to %s:%u in %u ms", m->host, m->port, m->backoff_ms);
    evtimer_add(m->retry, &tv);
    m->backoff_ms = m->backoff_ms >= n->cfg->reconnect_max_ms / 2 ? n->cfg->reconnect_max_ms
                                                                   : m->backoff_ms * 2;
}
