/* Discouraged addresses (see discourage.h): the filter keyed by the
 * address alone, and the rules that need no node. */
#include "discourage.h"

#include "rollingbloom.h"

#include <stdlib.h>
#include <string.h>

struct discourage {
    struct rolling_bloom *filter;
};

struct discourage *discourage_new(const uint8_t *key)
{
    struct discourage *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->filter = rolling_bloom_new(DISCOURAGE_ENTRIES, DISCOURAGE_FP_RATE, key);
    if (!d->filter) {
        free(d);
        return NULL;
    }
    return d;
}

void discourage_free(struct discourage *d)
{
    if (!d) return;
    rolling_bloom_free(d->filter);
    free(d);
}

/* The network and the address bytes: the port plays no part (a peer on
 * another port of the same host is the same peer), and every address of
 * a /64 is its own entry, as in Core (the filter's size is fixed, so many
 * addresses cost no more memory; they only push older entries out). */
static size_t key_of(const struct wire_netaddr *a, uint8_t out[1 + 32])
{
    size_t n = wire_net_addr_len(a->net);
    out[0] = a->net;
    memcpy(out + 1, a->addr, n);
    return 1 + n;
}

bool discourage_add(struct discourage *d, const struct wire_netaddr *a)
{
    uint8_t k[1 + 32];
    return rolling_bloom_insert(d->filter, k, key_of(a, k));
}

bool discourage_has(const struct discourage *d, const struct wire_netaddr *a)
{
    uint8_t k[1 + 32];
    return rolling_bloom_contains(d->filter, k, key_of(a, k));
}

size_t discourage_memory(const struct discourage *d)
{
    return sizeof *d + rolling_bloom_memory(d->filter);
}

bool discourage_is_local(const struct wire_netaddr *a)
{
    static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (a->net == WIRE_NET_IPV4) return a->addr[0] == 127 || a->addr[0] == 0;
    if (a->net == WIRE_NET_IPV6) return memcmp(a->addr, loop6, 16) == 0;
    return false;
}

bool discourage_inbound_admit(size_t inbound, size_t max_inbound)
{
    return inbound + 1 < max_inbound;
}
