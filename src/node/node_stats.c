/* Read-only views of the node's state for the operator (metrics, RPC):
 * what the chain, the address manager and the ban list hold right now. */
#include "node_internal.h"

#include <string.h>

void node_get_stats(const struct node *n, struct node_stats *out)
{
    memset(out, 0, sizeof *out);
    out->header_height = chain_height(n->chain);
    out->addrman_new = addrman_size_new(n->addrman);
    out->addrman_tried = addrman_size_tried(n->addrman);
    /* Expired bans wait for the next sweep; they no longer refuse anyone. */
    int64_t now = node_now();
    for (size_t i = 0; i < banman_count(n->banman); i++)
        if (banman_get(n->banman, i)->until > now) out->bans++;
}

const struct peer_table *node_peers_const(const struct node *n)
{
    return n->peers;
}
