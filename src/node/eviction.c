/* Inbound eviction (see eviction.h). Each protection step sorts the
 * candidates so the protected ones come last and shrinks the range. */
#include "eviction.h"

#include <stdlib.h>
#include <string.h>

#define PROTECT_BY_GROUP 4
#define PROTECT_BY_PING 8

static int by_group_key(const void *a, const void *b)
{
    const struct evict_candidate *x = a, *y = b;
    return x->group_key < y->group_key ? -1 : x->group_key > y->group_key;
}

/* Worst ping first (unknown counts as worst), so the best come last. */
static int by_ping_desc(const void *a, const void *b)
{
    const struct evict_candidate *x = a, *y = b;
    uint64_t px = x->ping_us ? x->ping_us : UINT64_MAX, py = y->ping_us ? y->ping_us : UINT64_MAX;
    return px > py ? -1 : px < py;
}

/* Youngest first, so the longest-connected come last. */
static int by_age(const void *a, const void *b)
{
    const struct evict_candidate *x = a, *y = b;
    return x->connected_ms > y->connected_ms ? -1 : x->connected_ms < y->connected_ms;
}

static bool same_group(const struct evict_candidate *a, const struct evict_candidate *b)
{
    return a->group_len == b->group_len && memcmp(a->group, b->group, a->group_len) == 0;
}

/* Protect the last k of c[0..*n) after sorting: drop them from the range. */
static void protect_last(struct evict_candidate *c, size_t *n, size_t k,
                         int (*cmp)(const void *, const void *))
{
    qsort(c, *n, sizeof *c, cmp);
    *n = *n > k ? *n - k : 0;
}

bool evict_select(struct evict_candidate *c, size_t n, uint64_t *victim)
{
    /* Local peers first out of the range: never candidates. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!c[i].local) {
            struct evict_candidate t = c[m];
            c[m++] = c[i];
            c[i] = t;
        }
    n = m;
    /* One peer from each of a few distinct groups, chosen by keyed hash
     * order (an attacker cannot aim for them): those move to the end. */
    qsort(c, n, sizeof *c, by_group_key);
    size_t kept = n, groups = 0;
    for (size_t i = n; i > 0 && groups < PROTECT_BY_GROUP; i--) {
        bool seen = false;
        for (size_t k = kept; k < n && !seen; k++) seen = same_group(&c[k], &c[i - 1]);
        if (seen) continue;
        /* swap c[i-1] into the protected tail */
        struct evict_candidate t = c[i - 1];
        c[i - 1] = c[kept - 1];
        c[kept - 1] = t;
        kept--;
        groups++;
    }
    n = kept;
    protect_last(c, &n, PROTECT_BY_PING, by_ping_desc);
    protect_last(c, &n, n / 2, by_age);
    if (n == 0) return false;
    /* Discouraged peers first, but only among the unprotected (Core). */
    size_t preferred = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].prefer_evict) {
            struct evict_candidate t = c[preferred];
            c[preferred++] = c[i];
            c[i] = t;
        }
    if (preferred) n = preferred;

    /* The group with the most remaining peers (ties: the one holding the
     * youngest peer); evict its youngest. */
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        for (size_t k = 0; k < n; k++) count += same_group(&c[i], &c[k]);
        if (count > best_count || (count == best_count && c[i].connected_ms > c[best].connected_ms)) {
            best = i;
            best_count = count;
        }
    }
    size_t youngest = best;
    for (size_t k = 0; k < n; k++)
        if (same_group(&c[k], &c[best]) && c[k].connected_ms > c[youngest].connected_ms) youngest = k;
    *victim = c[youngest].id;
    return true;
}
