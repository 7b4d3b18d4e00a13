/* Which inbound peer makes room for a new one when the inbound slots are
 * full, after Bitcoin Core's SelectNodeToEvict: protect some peers that an
 * attacker cannot easily imitate (distinct network groups, the lowest ping
 * times, the longest-connected half); of the rest, if any is discouraged
 * only those remain (Core's prefer_evict); then take the youngest peer of
 * the network group with the most connections. Pure: the caller gathers the
 * candidates. */
#ifndef BTCPEERD_EVICTION_H
#define BTCPEERD_EVICTION_H

#include <btcpeerd/netaddr.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evict_candidate {
    uint64_t id;
    uint64_t connected_ms;  /* monotonic time the connection began */
    uint64_t ping_us;       /* best known round trip; 0 = unknown (worst) */
    uint64_t group_key;     /* keyed hash of the network group: ties broken unpredictably */
    uint8_t group[NETADDR_GROUP_MAX];
    size_t group_len;
    bool local;             /* loopback: never evicted (operators' own tools) */
    bool prefer_evict;      /* discouraged: first out once the protections are taken */
};

/* Reorders c. False if every candidate is protected. */
bool evict_select(struct evict_candidate *c, size_t n, uint64_t *victim);

#endif
