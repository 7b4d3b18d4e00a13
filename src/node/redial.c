/* The dial book (see redial.h): an idmap from a keyed hash of the host to
 * its entry; the entry keeps the host itself, so a hash collision only
 * replaces an entry, never answers for another host. */
#include "redial.h"

#include <btcpeerd/idmap.h>
#include <btcpeerd/random.h>

#include <stdlib.h>
#include <string.h>

struct redial_entry {
    uint8_t net;
    uint8_t addr[32];
    uint64_t tried_ms;  /* the last dial */
    uint64_t failed_ms; /* the last failure; 0 = none since the last success */
};

struct redial {
    uint32_t backoff_ms;
    uint64_t salt;     /* so no one can aim hosts at one idmap slot */
    struct idmap book; /* host hash → struct redial_entry * */
};

const char *redial_verdict_str(enum redial_verdict v)
{
    switch (v) {
    case REDIAL_OK: return "ok";
    case REDIAL_RECENT: return "recently-tried";
    case REDIAL_BACKOFF: return "backoff";
    }
    return "unknown";
}

struct redial *redial_new(uint32_t backoff_ms)
{
    struct redial *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->backoff_ms = backoff_ms;
    r->salt = random_u64();
    idmap_init(&r->book);
    return r;
}

void redial_free(struct redial *r)
{
    if (!r) return;
    size_t pos = 0;
    void *value;
    while (idmap_next(&r->book, &pos, NULL, &value))
        free(value);
    idmap_free(&r->book);
    free(r);
}

/* FNV-1a from a random start (idmap keys must not be 0). */
static uint64_t host_hash(const struct redial *r, const struct wire_netaddr *a)
{
    uint64_t h = 1469598103934665603ull ^ r->salt;
    size_t n = wire_net_addr_len(a->net);
    h = (h ^ a->net) * 1099511628211ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a->addr[i]) * 1099511628211ull;
    return h ? h : 1;
}

static bool same_host(const struct redial_entry *e, const struct wire_netaddr *a)
{
    return e->net == a->net && memcmp(e->addr, a->addr, wire_net_addr_len(a->net)) == 0;
}

static struct redial_entry *lookup(const struct redial *r, const struct wire_netaddr *a)
{
    struct redial_entry *e = idmap_get(&r->book, host_hash(r, a));
    return e && same_host(e, a) ? e : NULL;
}

void redial_dialled(struct redial *r, const struct wire_netaddr *a, uint64_t now_ms)
{
    uint64_t key = host_hash(r, a);
    struct redial_entry *e = idmap_get(&r->book, key);
    if (!e || !same_host(e, a)) {
        struct redial_entry *fresh = calloc(1, sizeof *fresh);
        if (!fresh) return; /* out of memory: this dial goes unrecorded */
        if (e) free(idmap_del(&r->book, key));
        if (!idmap_put(&r->book, key, fresh)) {
            free(fresh);
            return;
        }
        e = fresh;
        e->net = a->net;
        memcpy(e->addr, a->addr, wire_net_addr_len(a->net));
    }
    e->tried_ms = now_ms;
}

void redial_failed(struct redial *r, const struct wire_netaddr *a, uint64_t now_ms)
{
    struct redial_entry *e = lookup(r, a);
    if (e) e->failed_ms = now_ms ? now_ms : 1;
}

void redial_succeeded(struct redial *r, const struct wire_netaddr *a)
{
    struct redial_entry *e = lookup(r, a);
    if (e) e->failed_ms = 0;
}

enum redial_verdict redial_check(const struct redial *r, const struct wire_netaddr *a,
                                 uint64_t now_ms, unsigned selections)
{
    const struct redial_entry *e = lookup(r, a);
    if (!e) return REDIAL_OK;
    if (e->failed_ms && now_ms - e->failed_ms < r->backoff_ms) return REDIAL_BACKOFF;
    if (now_ms - e->tried_ms < REDIAL_RECENT_MS && selections < REDIAL_RECENT_SELECTIONS)
        return REDIAL_RECENT;
    return REDIAL_OK;
}

static bool expired(const struct redial *r, const struct redial_entry *e, uint64_t now_ms)
{
    uint64_t keep = r->backoff_ms > REDIAL_RECENT_MS ? r->backoff_ms : REDIAL_RECENT_MS;
    uint64_t last = e->failed_ms > e->tried_ms ? e->failed_ms : e->tried_ms;
    return now_ms - last >= keep;
}

void redial_prune(struct redial *r, uint64_t now_ms)
{
    /* The keys first: the map may not change while it is walked. */
    size_t n = 0, pos = 0;
    uint64_t key;
    void *value;
    while (idmap_next(&r->book, &pos, &key, &value))
        n += expired(r, value, now_ms);
    if (!n) return;
    uint64_t *gone = malloc(n * sizeof *gone);
    if (!gone) return; /* next time */
    size_t k = 0;
    pos = 0;
    while (idmap_next(&r->book, &pos, &key, &value) && k < n)
        if (expired(r, value, now_ms)) gone[k++] = key;
    for (size_t i = 0; i < k; i++)
        free(idmap_del(&r->book, gone[i]));
    free(gone);
}

size_t redial_size(const struct redial *r)
{
    return idmap_len(&r->book);
}
