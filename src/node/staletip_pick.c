/* The pure rules of stale-tip handling: when the tip is stale, which extra
 * outbound peer goes, and when it may (Bitcoin Core v29's TipMayBeStale and
 * EvictExtraOutboundPeers, net_processing.cpp). No clock, no node: the
 * caller passes the times and the candidates. */
#include "staletip.h"

#include <math.h>

bool staletip_is_stale(uint64_t now_ms, uint64_t last_tip_ms, uint64_t stale_ms, bool in_flight)
{
    if (in_flight) return false;
    return now_ms > last_tip_ms && now_ms - last_tip_ms > stale_ms;
}

bool staletip_pick_full(const struct staletip_candidate *c, size_t n, size_t *out)
{
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (c[i].protect || c[i].only_on_net) continue;
        if (found) {
            const struct staletip_candidate *best = &c[*out];
            if (c[i].last_ms > best->last_ms) continue;
            if (c[i].last_ms == best->last_ms && c[i].id < best->id) continue;
        }
        *out = i;
        found = true;
    }
    return found;
}

bool staletip_pick_block_relay(const struct staletip_candidate *c, size_t n, size_t *out)
{
    size_t youngest = n, next = n;
    for (size_t i = 0; i < n; i++) {
        if (youngest == n || c[i].id > c[youngest].id) {
            next = youngest;
            youngest = i;
        } else if (next == n || c[i].id > c[next].id) {
            next = i;
        }
    }
    if (youngest == n) return false;
    /* The newcomer found us a block its elder did not: keep the newcomer. */
    *out = next != n && c[youngest].last_ms > c[next].last_ms ? next : youngest;
    return true;
}

bool staletip_may_evict(const struct staletip_candidate *c, uint64_t now_ms,
                        uint64_t min_connect_ms, bool strict)
{
    if (c->in_flight) return false;
    uint64_t age = now_ms > c->connected_ms ? now_ms - c->connected_ms : 0;
    return strict ? age > min_connect_ms : age >= min_connect_ms;
}

uint64_t staletip_exp_delay(uint64_t mean_ms, uint64_t draw)
{
    /* 53 uniform bits in [0, 1): -ln(1 - u) is exponential with mean 1,
     * and at most 53 ln 2 (under 37) */
    double u = (double)(draw >> 11) * (1.0 / 9007199254740992.0);
    return (uint64_t)(-log1p(-u) * (double)mean_ms);
}
