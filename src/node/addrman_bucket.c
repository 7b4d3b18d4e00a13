/* The address manager's placement: keyed hashes of an address's network
 * group (and its source's) pick its bucket, a keyed hash of the address its
 * slot. The key is the table's secret, so a peer cannot aim at a bucket. */
#include "addrman_internal.h"

#include <btcpeerd/netaddr.h>
#include <btcpeerd/sha256.h>

#include <string.h>

/* ---- keyed hashing ---- */
/* First 8 bytes of SHA-256d(key ‖ parts...), as Core's GetCheapHash. */
static uint64_t keyed_hash(const struct addrman *am, const void *const *parts, const size_t *lens,
                           size_t n)
{
    const void *all[6];
    size_t all_lens[6];
    all[0] = am->key;
    all_lens[0] = 32;
    for (size_t i = 0; i < n && i < 5; i++) {
        all[i + 1] = parts[i];
        all_lens[i + 1] = lens[i];
    }
    uint8_t h[32];
    sha256d_parts(all, all_lens, n + 1, h);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | h[i];
    return v;
}

uint64_t addrman_group_key(const struct addrman *am, const uint8_t *group, size_t len)
{
    const void *p[] = {"evict", group};
    size_t l[] = {5, len};
    return keyed_hash(am, p, l, 2);
}

static bool same_host(const struct wire_netaddr *a, const struct wire_netaddr *b)
{
    return a->net == b->net && memcmp(a->addr, b->addr, wire_net_addr_len(a->net)) == 0;
}

static size_t group_of(const struct addrman *am, const struct wire_netaddr *a, uint8_t g[NETADDR_GROUP_MAX])
{
    if (am->source_group_len && same_host(a, &am->source_cached)) {
        memcpy(g, am->source_group, am->source_group_len);
        return am->source_group_len;
    }
    return netaddr_group(a, am->allow_unroutable, am->asmap, g);
}

void addrman_cache_source_group(struct addrman *am, const struct wire_netaddr *source)
{
    if (am->source_group_len && same_host(source, &am->source_cached)) return;
    am->source_group_len = 0; /* so that group_of computes it */
    am->source_group_len = group_of(am, source, am->source_group);
    am->source_cached = *source;
}

uint32_t addrman_tried_bucket(const struct addrman *am, const struct wire_netaddr *addr)
{
    uint8_t k[35], g[NETADDR_GROUP_MAX];
    size_t kl = netaddr_key(addr, k), gl = group_of(am, addr, g);
    const void *p1[] = {k};
    size_t l1[] = {kl};
    uint8_t h1 = (uint8_t)(keyed_hash(am, p1, l1, 1) % TRIED_BUCKETS_PER_GROUP);
    const void *p2[] = {g, &h1};
    size_t l2[] = {gl, 1};
    return (uint32_t)(keyed_hash(am, p2, l2, 2) % ADDRMAN_TRIED_BUCKETS);
}

uint32_t addrman_new_bucket(const struct addrman *am, const struct wire_netaddr *addr,
                            const struct wire_netaddr *source)
{
    uint8_t ga[NETADDR_GROUP_MAX], gs[NETADDR_GROUP_MAX];
    size_t la = group_of(am, addr, ga), ls = group_of(am, source, gs);
    const void *p1[] = {ga, gs};
    size_t l1[] = {la, ls};
    uint8_t h1 = (uint8_t)(keyed_hash(am, p1, l1, 2) % NEW_BUCKETS_PER_SOURCE_GROUP);
    const void *p2[] = {gs, &h1};
    size_t l2[] = {ls, 1};
    return (uint32_t)(keyed_hash(am, p2, l2, 2) % ADDRMAN_NEW_BUCKETS);
}

uint32_t addrman_bucket_position(const struct addrman *am, bool is_new, uint32_t bucket,
                                const struct wire_netaddr *addr)
{
    uint8_t k[35], tag = is_new ? 'N' : 'K', b[4];
    size_t kl = netaddr_key(addr, k);
    le32_write(b, bucket);
    const void *p[] = {&tag, b, k};
    size_t l[] = {1, 4, kl};
    return (uint32_t)(keyed_hash(am, p, l, 3) % ADDRMAN_BUCKET_SIZE);
}

