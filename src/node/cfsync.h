/* BIP157 on the node's side (--blockfilters): the filter peers, the filter
 * header chain synced behind the header chain and checked across peers
 * (cfsync.c), the settling of a disagreement by a block (cfjudge.c), and
 * filters fetched on demand (cffetch.c). The peer layer only carries the
 * messages; every rule about them is here. */
#ifndef BTCPEERD_CFSYNC_H
#define BTCPEERD_CFSYNC_H

#include "node_internal.h"

#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stdint.h>

/* Life cycle (no-ops without --blockfilters). */
enum node_err node_cf_start(struct node *n);
/* Hand what is not yet in cfheaders.dat to the disk writer (shutdown). */
void node_cf_flush(struct node *n);
/* After the disk writer is drained. */
void node_cf_free(struct node *n);

/* Events. */
void node_cf_peer_ready(struct node *n, struct node_peer *np);
void node_cf_peer_gone(struct node *n, uint64_t id);
void node_cf_answer(struct node *n, uint64_t id, const struct wire_msg *msg);
/* The header chain changed (a batch, a new tip, a reorg). */
void node_cf_chain_changed(struct node *n);
/* A block arrived: true if the filter code asked for it (and took it). */
bool node_cf_block(struct node *n, uint64_t id, const uint8_t hash[32], const struct wire_block *b);

#endif
