/* Stale-tip detection and the extra outbound peers (Bitcoin Core v29's
 * CheckForStaleTipAndEvictPeers and EvictExtraOutboundPeers): the pure
 * rules here (staletip_pick.c, unit-tested), the node's wiring in
 * staletip.c. Times are monotonic milliseconds. */
#ifndef BTCPEERD_STALETIP_H
#define BTCPEERD_STALETIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT. */
#define STALETIP_PROTECT_MAX 4u
/* Core's CanDirectFetch: a tip this many block spacings old is recent. */
#define STALETIP_RECENT_SPACINGS 20

/* One ready peer of the kind being thinned out. */
struct staletip_candidate {
    uint64_t id;           /* higher = connected later */
    uint64_t connected_ms;
    uint64_t last_ms;      /* full-relay: last block announcement; block-relay-only:
                            * last new block (header) it gave us; 0 = never */
    bool protect;          /* full-relay: one of the first 4 with our tip's work */
    bool only_on_net;      /* full-relay: the only manual or full-relay peer on its network */
    size_t in_flight;      /* blocks asked of it and not delivered */
};

/* Core's TipMayBeStale: no tip update for stale_ms, and no block download
 * in flight. */
bool staletip_is_stale(uint64_t now_ms, uint64_t last_tip_ms, uint64_t stale_ms, bool in_flight);

/* The extra full-relay peer to evict: the oldest last block announcement
 * (never = oldest), on a tie the newest connection; protected peers and
 * the only one on a network are passed over. false if none qualifies. */
bool staletip_pick_full(const struct staletip_candidate *c, size_t n, size_t *out);

/* The extra block-relay-only peer to evict: the youngest (highest id),
 * unless it gave us a new block more recently than the next youngest, then
 * that one. false with fewer than one candidate. */
bool staletip_pick_block_relay(const struct staletip_candidate *c, size_t n, size_t *out);

/* May the chosen one go now? Connected at least min_connect_ms (strictly
 * longer for full-relay, as Core) and nothing in flight from it. */
bool staletip_may_evict(const struct staletip_candidate *c, uint64_t now_ms,
                        uint64_t min_connect_ms, bool strict);

/* An exponentially distributed delay of this mean (Core's
 * MakeExponentiallyDistributed), from a uniform 64-bit draw; never more
 * than 37 means (53 bits of the draw are used). */
uint64_t staletip_exp_delay(uint64_t mean_ms, uint64_t draw);

#endif
