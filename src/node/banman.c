/* The ban list: an array, scanned to match an address against every
 * subnet (Core scans its ban map the same way), with an index from each
 * subnet to its slot so that setban and unban stay cheap when the operator
 * has banned thousands (up to BANMAN_MAX). */
#include "banman.h"

#include "store.h"

#include <btcpeerd/idmap.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAGIC "BTPB"
#define FILE_VERSION 1

struct banman {
    struct ban_entry *bans;
    size_t n, cap;
    struct idmap index; /* subnet hash → slot + 1 (one subnet per hash) */
    bool index_short;   /* an insert into the index ran out of memory: scan instead */
};

const char *banman_err_str(enum banman_err err)
{
    switch (err) {
    case BANMAN_OK: return "ok";
    case BANMAN_ERR_FORMAT: return "bad-format";
    case BANMAN_ERR_CHECKSUM: return "bad-checksum";
    case BANMAN_ERR_TRUNCATED: return "truncated";
    case BANMAN_ERR_NOMEM: return "out-of-memory";
    case BANMAN_ERR_FULL: return "ban-list-full";
    }
    return "unknown";
}

struct banman *banman_new(void)
{
    struct banman *bm = calloc(1, sizeof(struct banman));
    if (bm) idmap_init(&bm->index);
    return bm;
}

void banman_free(struct banman *bm)
{
    if (!bm) return;
    free(bm->bans);
    idmap_free(&bm->index);
    free(bm);
}

void banman_clear(struct banman *bm)
{
    bm->n = 0;
    idmap_free(&bm->index);
    idmap_init(&bm->index);
    bm->index_short = false;
}

/* FNV-1a of the subnet (the operator chooses subnets: no adversary aims
 * at this hash); never 0, which idmap reserves. */
static uint64_t subnet_hash(const struct netaddr_subnet *sn)
{
    uint64_t h = 1469598103934665603ull;
    h = (h ^ sn->net) * 1099511628211ull;
    h = (h ^ sn->prefix) * 1099511628211ull;
    size_t len = wire_net_addr_len(sn->net);
    for (size_t i = 0; i < len; i++) h = (h ^ sn->addr[i]) * 1099511628211ull;
    return h ? h : 1;
}

static void index_put(struct banman *bm, size_t slot)
{
    uint64_t h = subnet_hash(&bm->bans[slot].subnet);
    if (!idmap_get(&bm->index, h) && !idmap_put(&bm->index, h, (void *)(uintptr_t)(slot + 1)))
        bm->index_short = true;
}

static void index_rebuild(struct banman *bm)
{
    idmap_free(&bm->index);
    idmap_init(&bm->index);
    bm->index_short = false;
    for (size_t i = 0; i < bm->n; i++) index_put(bm, i);
}

/* Another subnet with hash h takes the index entry a removed one held. */
static void index_refill(struct banman *bm, uint64_t h)
{
    for (size_t i = 0; i < bm->n; i++)
        if (subnet_hash(&bm->bans[i].subnet) == h) {
            index_put(bm, i);
            return;
        }
}

static struct ban_entry *find(const struct banman *bm, const struct netaddr_subnet *sn)
{
    uintptr_t slot = (uintptr_t)idmap_get(&bm->index, subnet_hash(sn));
    if (slot && netaddr_subnet_equal(&bm->bans[slot - 1].subnet, sn)) return &bm->bans[slot - 1];
    if (!slot && !bm->index_short) return NULL;
    /* Two subnets with one hash, or an index short of an entry: look. */
    for (size_t i = 0; i < bm->n; i++)
        if (netaddr_subnet_equal(&bm->bans[i].subnet, sn)) return &bm->bans[i];
    return NULL;
}

const struct ban_entry *banman_find(const struct banman *bm, const struct netaddr_subnet *sn)
{
    return find(bm, sn);
}

enum banman_err banman_ban(struct banman *bm, const struct netaddr_subnet *sn, int64_t until,
                           int64_t now)
{
    struct ban_entry *e = find(bm, sn);
    if (e) {
        if (until > e->until) e->until = until;
        return BANMAN_OK;
    }
    if (bm->n >= BANMAN_MAX) return BANMAN_ERR_FULL;
    if (bm->n == bm->cap) {
        size_t cap = bm->cap ? bm->cap * 2 : 16;
        struct ban_entry *p = realloc(bm->bans, cap * sizeof *p);
        if (!p) return BANMAN_ERR_NOMEM;
        bm->bans = p;
        bm->cap = cap;
    }
    bm->bans[bm->n++] = (struct ban_entry){.subnet = *sn, .created = now, .until = until};
    index_put(bm, bm->n - 1);
    return BANMAN_OK;
}

bool banman_unban(struct banman *bm, const struct netaddr_subnet *sn)
{
    struct ban_entry *e = find(bm, sn);
    if (!e) return false;
    size_t slot = (size_t)(e - bm->bans), last = bm->n - 1;
    uint64_t h = subnet_hash(sn), hl = subnet_hash(&bm->bans[last].subnet);
    bool was_indexed = (uintptr_t)idmap_get(&bm->index, h) == slot + 1;
    if (was_indexed) idmap_del(&bm->index, h);
    *e = bm->bans[last];
    bm->n--;
    if (slot != last && (uintptr_t)idmap_get(&bm->index, hl) == last + 1)
        idmap_put(&bm->index, hl, (void *)(uintptr_t)(slot + 1)); /* replaces: no allocation */
    if (was_indexed) index_refill(bm, h);
    return true;
}

bool banman_is_banned(const struct banman *bm, const struct wire_netaddr *a, int64_t now)
{
    for (size_t i = 0; i < bm->n; i++)
        if (bm->bans[i].until > now && netaddr_subnet_match(&bm->bans[i].subnet, a)) return true;
    return false;
}

size_t banman_sweep(struct banman *bm, int64_t now)
{
    size_t kept = 0, before = bm->n;
    for (size_t i = 0; i < bm->n; i++)
        if (bm->bans[i].until > now) bm->bans[kept++] = bm->bans[i];
    bm->n = kept;
    if (kept != before) index_rebuild(bm);
    return before - kept;
}

size_t banman_count(const struct banman *bm) { return bm->n; }

const struct ban_entry *banman_get(const struct banman *bm, size_t i)
{
    return i < bm->n ? &bm->bans[i] : NULL;
}

enum banman_err banman_serialize(const struct banman *bm, struct buf_writer *out)
{
    size_t start = out->len;
    store_envelope_begin(out, FILE_MAGIC, FILE_VERSION);
    buf_write_u32le(out, (uint32_t)bm->n);
    for (size_t i = 0; i < bm->n; i++) {
        const struct ban_entry *e = &bm->bans[i];
        buf_write_u8(out, e->subnet.net);
        buf_write_bytes(out, e->subnet.addr, wire_net_addr_len(e->subnet.net));
        buf_write_u8(out, e->subnet.prefix);
        buf_write_i64le(out, e->created);
        buf_write_i64le(out, e->until);
    }
    return store_envelope_seal(out, start) ? BANMAN_OK : BANMAN_ERR_NOMEM;
}

enum banman_err banman_deserialize(struct banman *bm, const uint8_t *data, size_t len, int64_t now)
{
    banman_clear(bm);
    const uint8_t *body;
    size_t body_len;
    switch (store_envelope_open(data, len, FILE_MAGIC, FILE_VERSION, &body, &body_len)) {
    case STORE_ENVELOPE_OK: break;
    case STORE_ENVELOPE_TRUNCATED: return BANMAN_ERR_TRUNCATED;
    case STORE_ENVELOPE_FORMAT: return BANMAN_ERR_FORMAT;
    case STORE_ENVELOPE_CHECKSUM: return BANMAN_ERR_CHECKSUM;
    }
    struct buf_reader r;
    buf_reader_init(&r, body, body_len);
    uint32_t n = 0;
    buf_read_u32le(&r, &n);
    for (uint32_t i = 0; i < n && buf_ok(&r); i++) {
        struct ban_entry e;
        memset(&e, 0, sizeof e);
        size_t alen;
        if (!buf_read_u8(&r, &e.subnet.net) || !(alen = wire_net_addr_len(e.subnet.net))) {
            banman_clear(bm);
            return BANMAN_ERR_FORMAT;
        }
        buf_read_bytes(&r, e.subnet.addr, alen);
        buf_read_u8(&r, &e.subnet.prefix);
        buf_read_i64le(&r, &e.created);
        buf_read_i64le(&r, &e.until);
        if (!buf_ok(&r)) break;
        if (e.subnet.prefix > alen * 8) {
            banman_clear(bm);
            return BANMAN_ERR_FORMAT;
        }
        if (e.until > now && banman_ban(bm, &e.subnet, e.until, e.created) != BANMAN_OK) break;
    }
    if (!buf_ok(&r) || buf_remaining(&r)) {
        banman_clear(bm);
        return BANMAN_ERR_TRUNCATED;
    }
    return BANMAN_OK;
}
