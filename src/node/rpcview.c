/* What the RPC layer may see of the node and ask of it: copies of peer,
 * ban and address-manager state (never pointers into the node's tables,
 * except the header chain, which is read-only and outlives every call), and
 * a few commands (disconnect, ban). Peers are still named by id. */
#include "node_internal.h"

#include <btcpeerd/log.h>

#include <stdlib.h>
#include <string.h>

const struct node_config *node_get_config(const struct node *n)
{
    return n->cfg;
}

static const char *conn_type(enum node_conn_kind kind)
{
    switch (kind) {
    case CONN_INBOUND: return "inbound";
    case CONN_MANUAL: return "manual";
    case CONN_OUTBOUND: return "outbound-full-relay";
    case CONN_FEELER: return "feeler";
    case CONN_ADDR_FETCH: return "addr-fetch";
    }
    return "inbound";
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const struct node_peer_view *)a)->info.id;
    uint64_t y = ((const struct node_peer_view *)b)->info.id;
    return x < y ? -1 : x > y;
}

enum node_err node_peer_infos(struct node *n, struct node_peer_view **out, size_t *count)
{
    size_t cap = idmap_len(&n->node_peers), got = 0, pos = 0;
    struct node_peer_view *v = calloc(cap ? cap : 1, sizeof *v);
    if (!v) return NODE_ERR_NOMEM;
    void *value;
    while (got < cap && idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (peer_get_info(n->peers, np->id, &v[got].info) != PEER_OK) continue;
        if (v[got].info.state == PEER_DEAD) continue;
        v[got].connection_type = conn_type(np->kind);
        v[got].ready = np->ready;
        got++;
    }
    qsort(v, got, sizeof *v, by_id);
    *out = v;
    *count = got;
    return NODE_OK;
}

void node_connection_counts(const struct node *n, size_t *in, size_t *out)
{
    *in = peer_table_count_dir(n->peers, true);
    *out = peer_table_count_dir(n->peers, false);
}

void node_net_totals(const struct node *n, uint64_t *recv, uint64_t *sent)
{
    peer_table_totals(n->peers, recv, sent);
}

void node_ping_all(struct node *n)
{
    struct node_request req = {.type = NODE_REQ_PING};
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->ready) peer_request(n->peers, np->id, &req);
    }
}

enum node_err node_disconnect(struct node *n, const char *addr, uint64_t id)
{
    if (addr) {
        id = 0;
        size_t pos = 0;
        void *value;
        struct peer_info info;
        while (!id && idmap_next(&n->node_peers, &pos, NULL, &value)) {
            const struct node_peer *np = value;
            if (peer_get_info(n->peers, np->id, &info) == PEER_OK && info.state != PEER_DEAD &&
                strcmp(info.addr, addr) == 0)
                id = np->id;
        }
    }
    if (!id) return NODE_ERR_NOT_FOUND;
    return peer_disconnect_id(n->peers, id, PEER_REASON_REQUESTED) == PEER_OK ? NODE_OK
                                                                              : NODE_ERR_NOT_FOUND;
}

enum node_err node_ban(struct node *n, const struct netaddr_subnet *sn, int64_t until)
{
    int64_t now = node_now();
    enum banman_err err = banman_ban(n->banman, sn, until, now);
    if (err != BANMAN_OK) return err == BANMAN_ERR_FULL ? NODE_ERR_FULL : NODE_ERR_NOMEM;
    char s[NETADDR_STR_MAX];
    netaddr_subnet_str(sn, s);
    log_info(LOG_CAT_NODE, "banned %s until %lld (rpc)", s, (long long)until);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->addr.net && netaddr_subnet_match(sn, &np->addr))
            peer_disconnect_id(n->peers, np->id, PEER_REASON_REQUESTED);
    }
    return NODE_OK;
}

enum node_err node_unban(struct node *n, const struct netaddr_subnet *sn)
{
    if (!banman_unban(n->banman, sn)) return NODE_ERR_NOT_FOUND;
    char s[NETADDR_STR_MAX];
    netaddr_subnet_str(sn, s);
    log_info(LOG_CAT_NODE, "unbanned %s (rpc)", s);
    return NODE_OK;
}

void node_clear_bans(struct node *n)
{
    banman_clear(n->banman);
    log_info(LOG_CAT_NODE, "ban list cleared (rpc)");
}

enum node_err node_list_bans(struct node *n, struct node_ban **out, size_t *count)
{
    banman_sweep(n->banman, node_now());
    size_t total = banman_count(n->banman);
    struct node_ban *b = calloc(total ? total : 1, sizeof *b);
    if (!b) return NODE_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        const struct ban_entry *e = banman_get(n->banman, i);
        b[i] = (struct node_ban){.subnet = e->subnet, .created = e->created, .until = e->until};
    }
    *out = b;
    *count = total;
    return NODE_OK;
}

void node_addrman_info(const struct node *n, size_t new_by_net[8], size_t tried_by_net[8])
{
    for (uint8_t net = 0; net < 8; net++)
        addrman_count_net(n->addrman, net, &new_by_net[net], &tried_by_net[net]);
}

size_t node_addresses(struct node *n, size_t max, struct wire_netaddr *out)
{
    return addrman_get_addr(n->addrman, max, 100, node_now(), out);
}

size_t node_addrman_size(const struct node *n)
{
    return addrman_size(n->addrman);
}

const struct chain *node_chain_view(const struct node *n)
{
    return n->chain;
}

bool node_header(const struct node *n, const struct chain_entry *e, struct wire_header *out)
{
    return node_header_at(n, e, out);
}

bool node_in_initial_sync(const struct node *n)
{
    return !n->sync.done;
}
