/* What the node does about a misbehaving peer, after Bitcoin Core v28+'s
 * MaybeDiscourageAndDisconnect: the peer layer has already disconnected it
 * (or forgiven it: manual and --whitelist peers); here its address is
 * discouraged in memory (discourage.h), never banned: setban and
 * banlist.dat are the operator's alone. */
#include "node_internal.h"

#include <btcpeerd/log.h>

#include <string.h>

static bool same_ip(const struct wire_netaddr *a, const struct wire_netaddr *b)
{
    return a->net == b->net && memcmp(a->addr, b->addr, wire_net_addr_len(a->net)) == 0;
}

bool node_is_discouraged(const struct node *n, const struct wire_netaddr *a)
{
    return n->discouraged && discourage_has(n->discouraged, a);
}

void node_mark_noban(struct node *n, uint64_t id, const struct wire_netaddr *a)
{
    if (node_is_whitelisted(n, a)) peer_set_noban(n->peers, id);
}

/* Core disconnects every connection from a discouraged address (all of
 * them sent from that host). */
static void disconnect_same_ip(struct node *n, uint64_t id, const struct wire_netaddr *a)
{
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->id != id && np->group_len && same_ip(&np->addr, a))
            peer_disconnect_id(n->peers, np->id, PEER_REASON_DISCOURAGED);
    }
}

/* Local, so disconnected but not discouraged (Core's IsLocal)? Under
 * --test-discourage-loopback 127.0.0.0/8 is not: loopback is the only
 * network tests may use, and without it they could never see the
 * discouragement wiring (accept, eviction, dialling) at work. */
static bool spared_as_local(const struct node *n, const struct wire_netaddr *a)
{
    if (!discourage_is_local(a)) return false;
    return !(n->cfg->discourage_loopback && a->net == WIRE_NET_IPV4 && a->addr[0] == 127);
}

void node_misbehaving_gone(struct node *n, uint64_t id, enum node_conn_kind kind,
                           const struct peer_disconnected_info *info)
{
    /* A filter peer a block proved a liar (cfjudge.c) is discouraged too:
     * the proof is as good as any protocol violation. */
    if (strcmp(info->reason, peer_reason_str(PEER_REASON_MISBEHAVING)) != 0 &&
        strcmp(info->reason, peer_reason_str(PEER_REASON_BAD_FILTERS)) != 0)
        return;
    char addr[NETADDR_STR_MAX];
    netaddr_str(&info->netaddr, addr);
    /* The peer layer already spares manual and noban peers a misbehaving
     * disconnect; a bad-filters one comes from the node, so they are
     * spared here. */
    const char *spared = kind == CONN_ADDR_FETCH ? "addr-fetch" /* the address is the proxy's */
                         : kind == CONN_MANUAL ? "manual"
                         : node_is_whitelisted(n, &info->netaddr) ? "noban"
                         : spared_as_local(n, &info->netaddr) ? "local"
                                                              : NULL;
    if (spared) {
        if (!strcmp(spared, "local")) n->n_misbehaving_local++;
        struct log_field f[] = {LOG_STR("addr", addr), LOG_STR("why", spared)};
        log_event(LOG_INFO, LOG_CAT_NODE, (int64_t)id,
                  "misbehaving peer disconnected, not discouraged", f, 2);
        return;
    }
    if (!discourage_add(n->discouraged, &info->netaddr)) {
        log_error(LOG_CAT_NODE, "cannot discourage %s: hashing failed", addr);
        return;
    }
    n->n_discouraged++;
    struct log_field f[] = {LOG_STR("addr", addr)};
    log_event(LOG_INFO, LOG_CAT_NODE, (int64_t)id, "disconnected and discouraged", f, 1);
    disconnect_same_ip(n, id, &info->netaddr);
}
