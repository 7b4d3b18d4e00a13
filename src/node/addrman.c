/* The address manager (see addrman.h for the design): the table. Entries
 * live in one array indexed by id; a hash of each address's key finds its
 * id; the two tables hold ids (-1 = empty slot). Placement hashes are in
 * addrman_bucket.c, peers.dat in addrman_file.c. */
#include "addrman_internal.h"

#include <btcpeerd/netaddr.h>
#include <btcpeerd/random.h>

#include <stdlib.h>
#include <string.h>

const char *addrman_err_str(enum addrman_err err)
{
    switch (err) {
    case ADDRMAN_OK: return "ok";
    case ADDRMAN_ERR_FORMAT: return "bad-format";
    case ADDRMAN_ERR_CHECKSUM: return "bad-checksum";
    case ADDRMAN_ERR_TRUNCATED: return "truncated";
    case ADDRMAN_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

static uint64_t default_rand(uint64_t n, void *arg)
{
    (void)arg;
    return random_range(n);
}

static uint64_t rnd(struct addrman *am, uint64_t n)
{
    return n ? am->rand(n, am->rand_arg) : 0;
}

/* ---- entries ---- */
static uint64_t addr_hash(const struct wire_netaddr *a)
{
    /* FNV-1a over the key: fast and good enough for a private index (the
     * placement hashes are keyed; this one only finds entries). */
    uint8_t k[35];
    size_t n = netaddr_key(a, k);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return h ? h : 1;
}

int32_t addrman_find(const struct addrman *am, const struct wire_netaddr *a)
{
    uintptr_t v = (uintptr_t)idmap_get(&am->by_hash, addr_hash(a));
    if (!v) return -1;
    int32_t id = (int32_t)(v - 1);
    return netaddr_equal(&am->info[id].addr, a) ? id : -1;
}

int32_t addrman_create(struct addrman *am, const struct wire_netaddr *addr,
                      const struct wire_netaddr *source)
{
    uint64_t h = addr_hash(addr);
    if (idmap_get(&am->by_hash, h)) return -1; /* a 64-bit hash clash: skip this address */
    int32_t id;
    if (am->n_free) {
        id = am->free_ids[--am->n_free];
    } else {
        if (am->n_info == am->cap_info) {
            size_t cap = am->cap_info ? am->cap_info * 2 : 1024;
            struct addr_info *p = realloc(am->info, cap * sizeof *p);
            int32_t *r = p ? realloc(am->random, cap * sizeof *r) : NULL;
            int32_t *f = r ? realloc(am->free_ids, cap * sizeof *f) : NULL;
            if (p) am->info = p;
            if (r) am->random = r;
            if (f) am->free_ids = f;
            if (!p || !r || !f) return -1;
            am->cap_info = cap;
        }
        id = (int32_t)am->n_info++;
    }
    if (!idmap_put(&am->by_hash, h, (void *)(uintptr_t)(id + 1))) {
        am->free_ids[am->n_free++] = id;
        return -1;
    }
    struct addr_info *info = &am->info[id];
    memset(info, 0, sizeof *info);
    info->addr = *addr;
    info->source = *source;
    info->used = true;
    info->random_pos = am->n_random;
    am->random[am->n_random++] = id;
    return id;
}

void addrman_delete_entry(struct addrman *am, int32_t id)
{
    struct addr_info *info = &am->info[id];
    /* swap-remove from random[] */
    size_t pos = info->random_pos;
    int32_t last = am->random[--am->n_random];
    am->random[pos] = last;
    am->info[last].random_pos = pos;
    idmap_del(&am->by_hash, addr_hash(&info->addr));
    info->used = false;
    am->free_ids[am->n_free++] = id;
    am->n_new--;
}

/* Empty a "new" slot; the entry goes when no bucket holds it any more. */
static void clear_new_slot(struct addrman *am, uint32_t bucket, uint32_t pos)
{
    int32_t id = am->new_table[bucket][pos];
    if (id < 0) return;
    am->new_table[bucket][pos] = -1;
    struct addr_info *info = &am->info[id];
    if (--info->ref_count == 0) addrman_delete_entry(am, id);
}

static bool is_terrible(const struct addr_info *info, int64_t now)
{
    if (info->last_try && info->last_try >= now - 60) return false; /* just tried: give it a chance */
    if ((int64_t)info->addr.time > now + 10 * 60) return true;        /* from the future */
    if (now - (int64_t)info->addr.time > HORIZON_DAYS * 86400) return true;
    if (info->last_success == 0 && info->attempts >= RETRIES) return true;
    if (now - info->last_success > MIN_FAIL_DAYS * 86400 && info->attempts >= MAX_FAILURES) return true;
    return false;
}

static double chance_of(const struct addr_info *info, int64_t now)
{
    double chance = 1.0;
    if (now - info->last_try < 10 * 60) chance *= 0.01;
    for (int i = 0; i < info->attempts && i < 8; i++) chance *= 0.66;
    return chance;
}

/* ---- public ---- */
struct addrman *addrman_new(const uint8_t key[32], bool allow_unroutable)
{
    struct addrman *am = calloc(1, sizeof *am);
    if (!am) return NULL;
    if (key)
        memcpy(am->key, key, 32);
    else
        random_bytes(am->key, 32);
    am->allow_unroutable = allow_unroutable;
    am->rand = default_rand;
    idmap_init(&am->by_hash);
    memset(am->new_table, 0xff, sizeof am->new_table);
    memset(am->tried_table, 0xff, sizeof am->tried_table);
    return am;
}

void addrman_free(struct addrman *am)
{
    if (!am) return;
    free(am->info);
    free(am->random);
    free(am->free_ids);
    idmap_free(&am->by_hash);
    free(am);
}

void addrman_set_asmap(struct addrman *am, const struct asmap *map)
{
    am->asmap = map;
    am->source_group_len = 0; /* groups change with the map */
}

void addrman_asmap_checksum(const struct addrman *am, uint8_t out[32])
{
    if (am->asmap)
        asmap_checksum(am->asmap, out);
    else
        memset(out, 0, 32);
}

void addrman_set_rand(struct addrman *am, addrman_rand_fn fn, void *arg)
{
    am->rand = fn ? fn : default_rand;
    am->rand_arg = arg;
}

size_t addrman_size(const struct addrman *am) { return am->n_random; }
size_t addrman_size_new(const struct addrman *am) { return am->n_new; }
size_t addrman_size_tried(const struct addrman *am) { return am->n_tried; }

void addrman_count_net(const struct addrman *am, uint8_t net, size_t *n_new, size_t *n_tried)
{
    *n_new = *n_tried = 0;
    for (size_t i = 0; i < am->n_random; i++) {
        const struct addr_info *info = &am->info[am->random[i]];
        if (info->addr.net == net) (*(info->in_tried ? n_tried : n_new))++;
    }
}

size_t addrman_net_entries(const struct addrman *am, uint8_t net, int64_t now, struct wire_netaddr *out,
                           size_t max)
{
    size_t got = 0;
    for (size_t i = 0; i < am->n_random && got < max; i++) {
        const struct addr_info *info = &am->info[am->random[i]];
        if (info->addr.net == net && !is_terrible(info, now)) out[got++] = info->addr;
    }
    return got;
}

bool addrman_contains(const struct addrman *am, const struct wire_netaddr *addr, bool *in_tried)
{
    int32_t id = addrman_find(am, addr);
    if (id < 0) return false;
    if (in_tried) *in_tried = am->info[id].in_tried;
    return true;
}

bool addrman_at_home(const struct addrman *am, const struct wire_netaddr *addr)
{
    int32_t id = addrman_find(am, addr);
    if (id < 0) return false;
    const struct addr_info *info = &am->info[id];
    if (info->in_tried) {
        uint32_t b = addrman_tried_bucket(am, &info->addr);
        return am->tried_table[b][addrman_bucket_position(am, false, b, &info->addr)] == id;
    }
    uint32_t b = addrman_new_bucket(am, &info->addr, &info->source);
    return am->new_table[b][addrman_bucket_position(am, true, b, &info->addr)] == id;
}

bool addrman_is_terrible(const struct addrman *am, const struct wire_netaddr *addr, int64_t now)
{
    int32_t id = addrman_find(am, addr);
    return id >= 0 && is_terrible(&am->info[id], now);
}

/* Put id into its new bucket for this source; true if it is there now. */
bool addrman_place_new(struct addrman *am, int32_t id, const struct wire_netaddr *source, int64_t now)
{
    struct addr_info *info = &am->info[id];
    uint32_t b = addrman_new_bucket(am, &info->addr, source);
    uint32_t p = addrman_bucket_position(am, true, b, &info->addr);
    int32_t other = am->new_table[b][p];
    if (other == id) return true;
    if (other >= 0) {
        /* Overwrite only what is worth less: a terrible entry, or one that
         * is also held elsewhere while ours would be held nowhere. */
        const struct addr_info *o = &am->info[other];
        if (!(is_terrible(o, now) || (o->ref_count > 1 && info->ref_count == 0))) return false;
        clear_new_slot(am, b, p);
    }
    am->new_table[b][p] = id;
    info->ref_count++;
    return true;
}

bool addrman_add(struct addrman *am, const struct wire_netaddr *addr,
                 const struct wire_netaddr *source, int64_t time_penalty, int64_t now)
{
    if (!wire_net_addr_len(addr->net)) return false;
    if (!am->allow_unroutable && !netaddr_is_routable(addr)) return false;
    if (wire_net_addr_len(source->net)) addrman_cache_source_group(am, source);
    struct wire_netaddr a = *addr;
    /* Core's sanitising: a timestamp from far away in time means "unknown". */
    if (a.time <= 100000000u || (int64_t)a.time > now + 10 * 60) a.time = (uint32_t)(now - 5 * 86400);
    if (netaddr_equal(addr, source)) time_penalty = 0;

    int32_t id = addrman_find(am, &a);
    if (id >= 0) {
        struct addr_info *info = &am->info[id];
        /* Refresh the time more eagerly for addresses seen as online. */
        int64_t update_interval = now - (int64_t)a.time < 86400 ? 3600 : 86400;
        if (a.time && (!info->addr.time || (int64_t)info->addr.time < (int64_t)a.time - update_interval - time_penalty))
            info->addr.time = (uint32_t)((int64_t)a.time - time_penalty > 0 ? (int64_t)a.time - time_penalty : 0);
        info->addr.services |= a.services;
        if (info->in_tried || info->ref_count >= NEW_BUCKETS_PER_ADDRESS) return false;
        /* Each further reference half as likely: popular ones do not crowd the table. */
        if (rnd(am, 1ull << info->ref_count) != 0) return false;
        addrman_place_new(am, id, source, now);
        return false;
    }
    a.time = (uint32_t)((int64_t)a.time - time_penalty > 0 ? (int64_t)a.time - time_penalty : 0);
    id = addrman_create(am, &a, source);
    if (id < 0) return false;
    am->n_new++;
    if (!addrman_place_new(am, id, source, now)) {
        addrman_delete_entry(am, id);
        return false;
    }
    return true;
}

static void remove_from_new(struct addrman *am, int32_t id)
{
    struct addr_info *info = &am->info[id];
    for (uint32_t b = 0; b < ADDRMAN_NEW_BUCKETS && info->ref_count > 0; b++) {
        uint32_t p = addrman_bucket_position(am, true, b, &info->addr);
        if (am->new_table[b][p] == id) {
            am->new_table[b][p] = -1;
            info->ref_count--;
        }
    }
}

/* Move id to its tried slot, pushing an occupant back to "new". */
static void make_tried(struct addrman *am, int32_t id, int64_t now)
{
    struct addr_info *info = &am->info[id];
    remove_from_new(am, id);
    am->n_new--;
    uint32_t b = addrman_tried_bucket(am, &info->addr);
    uint32_t p = addrman_bucket_position(am, false, b, &info->addr);
    int32_t old = am->tried_table[b][p];
    if (old >= 0) {
        struct addr_info *o = &am->info[old];
        am->tried_table[b][p] = -1;
        o->in_tried = false;
        am->n_tried--;
        am->n_new++;
        /* Back to "new", in the bucket its own address would choose. */
        uint32_t nb = addrman_new_bucket(am, &o->addr, &o->source);
        uint32_t np = addrman_bucket_position(am, true, nb, &o->addr);
        clear_new_slot(am, nb, np);
        am->new_table[nb][np] = old;
        o->ref_count = 1;
    }
    am->tried_table[b][p] = id;
    info->in_tried = true;
    am->n_tried++;
    (void)now;
}

static void add_collision(struct addrman *am, int32_t id)
{
    for (size_t i = 0; i < am->n_collisions; i++)
        if (am->collisions[i] == id) return;
    if (am->n_collisions < MAX_COLLISIONS) am->collisions[am->n_collisions++] = id;
}

void addrman_good(struct addrman *am, const struct wire_netaddr *addr, int64_t now)
{
    int32_t id = addrman_find(am, addr);
    am->last_good = now;
    if (id < 0) return;
    struct addr_info *info = &am->info[id];
    info->last_success = now;
    info->last_try = now;
    info->attempts = 0;
    if (info->in_tried) return;
    uint32_t b = addrman_tried_bucket(am, &info->addr);
    uint32_t p = addrman_bucket_position(am, false, b, &info->addr);
    if (am->tried_table[b][p] >= 0) {
        add_collision(am, id); /* test the occupant before evicting it */
        return;
    }
    make_tried(am, id, now);
}

void addrman_attempt(struct addrman *am, const struct wire_netaddr *addr, bool count_failure,
                     int64_t now)
{
    int32_t id = addrman_find(am, addr);
    if (id < 0) return;
    struct addr_info *info = &am->info[id];
    info->last_try = now;
    /* Count a failure only once per "we were online since": when our own
     * link is down, every address would fail. */
    if (count_failure && info->last_count_attempt <= am->last_good) {
        info->last_count_attempt = now;
        info->attempts++;
    }
}

void addrman_connected(struct addrman *am, const struct wire_netaddr *addr, int64_t now)
{
    int32_t id = addrman_find(am, addr);
    if (id < 0) return;
    if (now - (int64_t)am->info[id].addr.time > 20 * 60) am->info[id].addr.time = (uint32_t)now;
}

/* A random entry of one table: Core's walk (a random bucket, the first
 * entry from a random position in it) while most buckets hold something;
 * in a sparse table that walk draws hundreds of empty buckets per entry
 * (two random numbers each), so there an entry is drawn from random[]
 * directly: with at most one entry a bucket, the two draw alike. */
static int32_t random_entry(struct addrman *am, bool from_new)
{
    uint32_t n_buckets = from_new ? ADDRMAN_NEW_BUCKETS : ADDRMAN_TRIED_BUCKETS;
    size_t in_table = from_new ? am->n_new : am->n_tried;
    if (in_table < n_buckets) {
        /* in_table > 0 (the callers check), so this ends long before the
         * bound; the bound is against a count gone wrong. */
        for (size_t tries = 0; tries < 64 * am->n_random; tries++) {
            int32_t id = am->random[rnd(am, am->n_random)];
            if (am->info[id].in_tried != from_new) return id;
        }
        return -1;
    }
    uint32_t b = (uint32_t)rnd(am, n_buckets);
    uint32_t start = (uint32_t)rnd(am, ADDRMAN_BUCKET_SIZE);
    int32_t id = -1;
    for (uint32_t i = 0; i < ADDRMAN_BUCKET_SIZE && id < 0; i++) {
        uint32_t p = (start + i) % ADDRMAN_BUCKET_SIZE;
        id = from_new ? am->new_table[b][p] : am->tried_table[b][p];
    }
    return id;
}

static bool select_from(struct addrman *am, bool from_new, int64_t now, struct wire_netaddr *out)
{
    double factor = 1.0;
    for (unsigned round = 0; round < 100000; round++) {
        int32_t id = random_entry(am, from_new);
        if (id < 0) continue;
        const struct addr_info *info = &am->info[id];
        if ((double)rnd(am, 1u << 30) < factor * chance_of(info, now) * (double)(1u << 30)) {
            *out = info->addr;
            return true;
        }
        factor *= 1.2;
    }
    return false;
}

bool addrman_select(struct addrman *am, bool new_only, int64_t now, struct wire_netaddr *out)
{
    if (am->n_random == 0) return false;
    if (new_only && am->n_new == 0) return false;
    bool use_tried = !new_only && am->n_tried > 0 && (am->n_new == 0 || rnd(am, 2) == 0);
    return select_from(am, !use_tried, now, out);
}

size_t addrman_get_addr(struct addrman *am, size_t max_count, unsigned max_pct, int64_t now,
                        struct wire_netaddr *out)
{
    size_t n = am->n_random * max_pct / 100;
    if (max_count && n > max_count) n = max_count;
    size_t got = 0;
    /* A partial Fisher-Yates over random[]: the order there does not
     * matter, so shuffling it in place costs nothing. */
    for (size_t i = 0; i < am->n_random && got < n; i++) {
        size_t j = i + (size_t)rnd(am, am->n_random - i);
        int32_t a = am->random[i], b = am->random[j];
        am->random[i] = b;
        am->random[j] = a;
        am->info[b].random_pos = i;
        am->info[a].random_pos = j;
        if (!is_terrible(&am->info[b], now)) out[got++] = am->info[b].addr;
    }
    return got;
}

bool addrman_tried_collision(struct addrman *am, struct wire_netaddr *old_out)
{
    if (am->n_collisions == 0) return false;
    int32_t id = am->collisions[rnd(am, am->n_collisions)];
    const struct addr_info *info = &am->info[id];
    uint32_t b = addrman_tried_bucket(am, &info->addr);
    int32_t old = am->tried_table[b][addrman_bucket_position(am, false, b, &info->addr)];
    if (old < 0) return false;
    *old_out = am->info[old].addr;
    return true;
}

void addrman_resolve_collisions(struct addrman *am, int64_t now)
{
    size_t keep = 0;
    for (size_t i = 0; i < am->n_collisions; i++) {
        int32_t id = am->collisions[i];
        struct addr_info *info = &am->info[id];
        if (!info->used || info->in_tried) continue;
        uint32_t b = addrman_tried_bucket(am, &info->addr);
        uint32_t p = addrman_bucket_position(am, false, b, &info->addr);
        int32_t old = am->tried_table[b][p];
        if (old < 0) {
            make_tried(am, id, now);
            continue;
        }
        const struct addr_info *o = &am->info[old];
        if (now - o->last_success < REPLACEMENT_SECONDS) continue; /* the occupant answered: it stays */
        if (now - o->last_try < REPLACEMENT_SECONDS) {
            /* Tested recently and no success since: replace it, but give a
             * test in progress a minute. */
            if (now - o->last_try > 60) make_tried(am, id, now);
            else am->collisions[keep++] = id;
        } else if (now - info->last_success > TEST_WINDOW_SECONDS) {
            make_tried(am, id, now); /* nobody tested the occupant in time */
        } else {
            am->collisions[keep++] = id;
        }
    }
    am->n_collisions = keep;
}

