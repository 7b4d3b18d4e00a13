/* The header index: entries in fixed chunks (so pointers stay valid as the
 * index grows, and growth never copies 900,000 entries), an open-addressing
 * table from block hash to entry, and the active chain as an array of entry
 * pointers by height.
 *
 * Memory per header: a 96-byte entry, an 8-byte table slot at a load
 * factor between 3/8 and 3/4, and an 8-byte active-chain pointer: about
 * 124 bytes at mainnet's size. The slot keeps a 32-bit key beside the entry
 * index so a probe almost never touches an entry that is not the one sought.
 *
 * Speed: sync adds headers one after another on the tip, so that path skips
 * the duplicate lookup, reuses the last nBits' target and proof, and starts
 * loading the new hash's table slot while the checks run. */
#include <btcpeerd/chain.h>

#include <btcpeerd/random.h>
#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Entries live in 2 MiB chunks, aligned so the kernel can back each with
 * one huge page: a page fault per 21,845 headers instead of one per 42,
 * which was a tenth of validation time (measured with bench_chain). */
#define CHUNK_BYTES ((size_t)2 << 20)
#define CHUNK_LEN ((uint32_t)(CHUNK_BYTES / sizeof(struct chain_entry))) /* entries per chunk */
#define TABLE_MIN 1024u

/* Ask for huge pages where the range holds whole ones; only a hint (and a
 * no-op where MADV_HUGEPAGE does not exist or THP is off). */
static void hint_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)CHUNK_BYTES;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + len) & ~(huge - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)len;
#endif
}

struct slot {
    uint32_t idx1; /* entry index + 1; 0 = empty */
    uint32_t key;  /* the hash's mixed 32-bit key: its top bits are the home slot */
};

struct chain {
    const struct netparams *np;
    struct u256 limit;
    int32_t interval; /* retarget interval, in headers */

    struct chain_entry **chunks;
    size_t n_chunks, chunks_cap;
    size_t count;

    struct slot *slots;
    size_t cap; /* power of two */
    unsigned shift; /* 32 - log2(cap) */
    uint64_t seed;  /* so positions cannot be ground by crafting hashes offline */

    const struct chain_entry **active;
    size_t active_cap;
    int32_t height;

    struct pow_walk_cache walk;
    /* Consecutive headers nearly always share nBits: keep the last good
     * encoding's target and proof. 0 never encodes a valid target. */
    uint32_t last_bits;
    struct u256 last_target, last_proof;

    /* The times of the tip and its ten parents, sorted: the median time
     * past a child of the tip must beat, kept as a sliding window so sync
     * (one child of the tip after another) never sorts. Valid when
     * mtp_tip is the tip; any other tip change drops it. */
    const struct chain_entry *mtp_tip;
    uint32_t mtp_sorted[CHAIN_MTP_SPAN];
};

const char *chain_err_str(enum chain_err err)
{
    switch (err) {
    case CHAIN_OK: return "ok";
    case CHAIN_DUPLICATE: return "duplicate";
    case CHAIN_ERR_UNKNOWN_PARENT: return "unknown-parent";
    case CHAIN_ERR_BAD_BITS_ENCODING: return "bad-bits-encoding";
    case CHAIN_ERR_BAD_POW: return "high-hash";
    case CHAIN_ERR_BAD_BITS: return "bad-diffbits";
    case CHAIN_ERR_TIME_TOO_OLD: return "time-too-old";
    case CHAIN_ERR_TIMEWARP: return "time-timewarp-attack";
    case CHAIN_ERR_TIME_TOO_NEW: return "time-too-new";
    case CHAIN_ERR_BAD_VERSION: return "bad-version";
    case CHAIN_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

/* ---- the hash table ---- */

/* Slots keep the whole key, and the home slot is its top bits, so growing
 * the table moves slots without reading a single entry (a cache miss each,
 * a million times over), in nearly sequential order. The key mixes one
 * 32-bit word of the hash: a block hash is uniform already, and a load the
 * width of SHA-256's own output stores is forwarded from them, where an
 * 8-byte load across two stalled a tenth of validation (bench_chain). */
static inline uint32_t hash_key(const struct chain *c, const uint8_t hash[32])
{
    return (uint32_t)((((uint64_t)le32_read(hash) << 32 ^ c->seed) * 0x9e3779b97f4a7c15ull) >> 32);
}

static inline size_t key_pos(const struct chain *c, uint32_t key)
{
    return c->shift >= 32 ? 0 : (size_t)(key >> c->shift);
}

static inline struct chain_entry *entry_at(const struct chain *c, uint32_t idx)
{
    return &c->chunks[idx / CHUNK_LEN][idx % CHUNK_LEN];
}

static inline void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p, 1);
#else
    (void)p;
#endif
}

static struct chain_entry *table_find(const struct chain *c, const uint8_t hash[32])
{
    const size_t mask = c->cap - 1;
    const uint32_t key = hash_key(c, hash);
    for (size_t pos = key_pos(c, key);; pos = (pos + 1) & mask) {
        const struct slot *s = &c->slots[pos];
        if (s->idx1 == 0) return NULL;
        if (s->key == key) {
            struct chain_entry *e = entry_at(c, s->idx1 - 1);
            if (memcmp(e->hash, hash, 32) == 0) return e;
        }
    }
}

/* The entry is known to be absent and a free slot to exist. */
static void table_place(struct chain *c, uint32_t idx1, uint32_t key)
{
    const size_t mask = c->cap - 1;
    size_t pos = key_pos(c, key);
    while (c->slots[pos].idx1) pos = (pos + 1) & mask;
    c->slots[pos].idx1 = idx1;
    c->slots[pos].key = key;
}

static unsigned log2_size(size_t v)
{
    unsigned n = 0;
    while (((size_t)1 << n) < v) n++;
    return n;
}

/* Room for `more` keys beyond count at a load factor of at most 3/4. */
static bool table_reserve_n(struct chain *c, size_t more)
{
    if ((c->count + more) * 4 <= c->cap * 3) return true;
    size_t ncap = c->cap ? c->cap * 2 : TABLE_MIN;
    while ((c->count + more) * 4 > ncap * 3) ncap *= 2;
    if (ncap > ((size_t)1 << 31)) return false; /* keys have 32 bits to place with */
    struct slot *ns = calloc(ncap, sizeof *ns);
    if (!ns) return false;
    struct slot *old = c->slots;
    size_t ocap = c->cap;
    c->slots = ns;
    c->cap = ncap;
    c->shift = 32u - log2_size(ncap);
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].idx1) table_place(c, old[i].idx1, old[i].key);
    }
    free(old);
    return true;
}

static bool table_reserve(struct chain *c)
{
    return table_reserve_n(c, 1);
}

/* ---- entries and the active chain ---- */

/* A new chunk for entries; false when memory runs out. Out of line: once
 * per 21,845 headers. */
static __attribute__((noinline)) bool chunk_add(struct chain *c)
{
    if (c->n_chunks == c->chunks_cap) {
        size_t ncap = c->chunks_cap ? c->chunks_cap * 2 : 16;
        struct chain_entry **nc = realloc(c->chunks, ncap * sizeof *nc);
        if (!nc) return false;
        c->chunks = nc;
        c->chunks_cap = ncap;
    }
    void *block = NULL;
    if (posix_memalign(&block, CHUNK_BYTES, CHUNK_BYTES) != 0) return false;
    hint_huge(block, CHUNK_BYTES);
    c->chunks[c->n_chunks++] = block;
    return true;
}

/* The next free entry (not yet counted); NULL when memory runs out. */
static inline struct chain_entry *entry_reserve(struct chain *c)
{
    if (c->count >= UINT32_MAX - 1) return NULL; /* slots hold 32-bit indices */
    if (c->count / CHUNK_LEN == c->n_chunks && !chunk_add(c)) return NULL;
    return entry_at(c, (uint32_t)c->count);
}

static bool active_reserve(struct chain *c, int32_t height)
{
    size_t need = (size_t)height + 1;
    if (need <= c->active_cap) return true;
    size_t ncap = c->active_cap ? c->active_cap : 1024;
    while (ncap < need) ncap *= 2;
    const struct chain_entry **na = realloc(c->active, ncap * sizeof *na);
    if (!na) return false;
    c->active = na;
    c->active_cap = ncap;
    return true;
}

static inline bool on_active(const struct chain *c, const struct chain_entry *e)
{
    return e->height <= c->height && c->active[e->height] == e;
}

/* Make e (already reserved room for in the active array) the tip: rewrite
 * heights from the fork point up, whatever the reorg's depth. */
static void set_tip(struct chain *c, const struct chain_entry *e)
{
    for (const struct chain_entry *x = e; x && !on_active(c, x); x = x->parent)
        c->active[x->height] = x;
    c->height = e->height;
}

/* Walk parents from `from` to height h, jumping to the active array as soon
 * as the walk reaches the active chain. */
static const struct chain_entry *ancestor_walk(const struct chain *c, const struct chain_entry *from,
                                               int32_t h)
{
    const struct chain_entry *e = from;
    while (e->height > h) {
        if (on_active(c, e)) return c->active[h];
        e = e->parent;
    }
    return e;
}

struct ancestor_ctx {
    const struct chain *c;
    const struct chain_entry *from;
    const struct chain_entry *cursor; /* last answer: the walk-back asks for descending heights */
};

static bool ancestor_cb(void *ctx, int32_t height, struct pow_block *out)
{
    struct ancestor_ctx *a = ctx;
    if (height < 0 || height > a->from->height) return false;
    const struct chain_entry *start = a->cursor && a->cursor->height >= height ? a->cursor : a->from;
    const struct chain_entry *e = ancestor_walk(a->c, start, height);
    a->cursor = e;
    out->height = e->height;
    out->time = e->time;
    out->bits = e->bits;
    out->id = e;
    return true;
}

/* ---- the public API ---- */

struct chain *chain_new(const struct netparams *np)
{
    struct chain *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->np = np;
    pow_limit(np, &c->limit);
    c->interval = netparams_retarget_interval(np);
    c->seed = random_u64();
    c->height = -1;

    struct wire_header g;
    wire_header_parse(np->genesis_header, &g);
    struct chain_entry *e;
    if (!table_reserve(c) || !active_reserve(c, 0) || !(e = entry_reserve(c))) {
        chain_free(c);
        return NULL;
    }
    memcpy(e->hash, np->genesis_hash, 32);
    struct u256 target;
    pow_set_compact(&target, g.bits, NULL, NULL);
    pow_block_proof(&target, &e->work);
    e->parent = NULL;
    e->height = 0;
    e->version = g.version;
    e->time = g.time;
    e->bits = g.bits;
    table_place(c, 1, hash_key(c, e->hash));
    c->count = 1;
    set_tip(c, e);
    return c;
}

void chain_free(struct chain *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_chunks; i++) free(c->chunks[i]);
    free(c->chunks);
    free(c->slots);
    free(c->active);
    free(c);
}

/* Median of n times (n <= 11), given newest first. Insertion sort,
 * descending: times mostly fall going back, so each value usually lands at
 * the end without moving any. */
static uint32_t median_of(const uint32_t *times, size_t n)
{
    uint32_t t[CHAIN_MTP_SPAN];
    for (size_t k = 0; k < n; k++) {
        size_t i = k;
        while (i > 0 && t[i - 1] < times[k]) {
            t[i] = t[i - 1];
            i--;
        }
        t[i] = times[k];
    }
    return t[n / 2];
}

uint32_t chain_median_time_past(const struct chain_entry *e)
{
    uint32_t times[CHAIN_MTP_SPAN];
    size_t n = 0;
    for (; e && n < CHAIN_MTP_SPAN; e = e->parent) times[n++] = e->time;
    return median_of(times, n);
}

/* The same, for the header being validated: on the active chain the eleven
 * entries come from the array in parallel loads instead of a chain of
 * dependent parent pointers. */
static uint32_t parent_mtp(const struct chain *c, const struct chain_entry *parent)
{
    if (parent == c->mtp_tip) return c->mtp_sorted[CHAIN_MTP_SPAN / 2];
    if (parent->height < CHAIN_MTP_SPAN - 1 || !on_active(c, parent))
        return chain_median_time_past(parent);
    uint32_t times[CHAIN_MTP_SPAN];
    const struct chain_entry *const *a = c->active + parent->height;
    for (int i = 0; i < CHAIN_MTP_SPAN; i++) times[i] = a[-i]->time;
    return median_of(times, CHAIN_MTP_SPAN);
}

/* The window of the new tip e, a child of the old tip: its eleventh
 * ancestor's time leaves, its own time comes in. Before height 11 the
 * window is not full; it starts at height 10. */
static void mtp_slide(struct chain *c, const struct chain_entry *e)
{
    uint32_t *w = c->mtp_sorted;
    if (c->mtp_tip && c->mtp_tip == e->parent) {
        const uint32_t out = c->active[e->height - CHAIN_MTP_SPAN]->time, in = e->time;
        /* Out goes, in comes. Usually the oldest time leaves the bottom and
         * the newest lands on top: one fixed 40-byte move. */
        if (w[0] == out && in >= w[CHAIN_MTP_SPAN - 1]) {
            memmove(&w[0], &w[1], (CHAIN_MTP_SPAN - 1) * sizeof *w);
            w[CHAIN_MTP_SPAN - 1] = in;
        } else {
            size_t i = 0;
            while (i + 1 < CHAIN_MTP_SPAN && w[i] != out) i++; /* it is there */
            for (; i + 1 < CHAIN_MTP_SPAN; i++) w[i] = w[i + 1];
            size_t j = CHAIN_MTP_SPAN - 1;
            for (; j > 0 && w[j - 1] > in; j--) w[j] = w[j - 1];
            w[j] = in;
        }
    } else if (e->height >= CHAIN_MTP_SPAN - 1) {
        const struct chain_entry *x = e;
        for (size_t k = 0; k < CHAIN_MTP_SPAN; k++, x = x->parent) {
            size_t i = k;
            for (; i > 0 && w[i - 1] > x->time; i--) w[i] = w[i - 1];
            w[i] = x->time;
        }
    } else {
        c->mtp_tip = NULL;
        return;
    }
    c->mtp_tip = e;
}

/* What validation reads of a header: its parent hash stays in the wire
 * bytes (the merkle root and nonce are not read at all). */
struct header_view {
    const uint8_t *prev_hash;
    int32_t version;
    uint32_t time, bits;
};

/* chain_add_header, its hash already computed. */
static enum chain_err add_hashed(struct chain *c, const struct header_view *h, const uint8_t hash[32],
                                 int64_t now, const struct chain_entry **entry)
{
    const struct netparams *np = c->np;
    if (entry) *entry = NULL;

    /* A child of the tip cannot be known already: it would have more work
     * than the tip and so be the tip. Sequential sync skips the lookup, and
     * one cache miss in a table of a million slots. */
    const struct chain_entry *tip = c->active[c->height];
    const bool extends_tip = memcmp(tip->hash, h->prev_hash, 32) == 0;
    if (!extends_tip) {
        const struct chain_entry *known = table_find(c, hash);
        if (known) {
            if (entry) *entry = known;
            return CHAIN_DUPLICATE;
        }
    }
    /* The insert will land near here: start the load while the checks run. */
    const uint32_t key = hash_key(c, hash);
    prefetch(&c->slots[key_pos(c, key)]);

    /* Context-free checks first, as Core does: they cost nothing but the
     * hash already computed, and fail the same whatever the parent. */
    struct u256 target;
    if (h->bits == c->last_bits) {
        target = c->last_target;
    } else {
        bool neg, ovf;
        pow_set_compact(&target, h->bits, &neg, &ovf);
        if (neg || ovf || u256_is_zero(&target) || u256_cmp(&target, &c->limit) > 0)
            return CHAIN_ERR_BAD_BITS_ENCODING;
    }
    if (!pow_hash_meets_target(hash, &target)) return CHAIN_ERR_BAD_POW;

    const struct chain_entry *parent = extends_tip ? tip : table_find(c, h->prev_hash);
    if (!parent) return CHAIN_ERR_UNKNOWN_PARENT;
    const int32_t height = parent->height + 1;

    /* Mid-period on a network without minimum-difficulty exceptions the
     * answer is the parent's nBits: pow_next_bits' first rule, without the
     * call for 2,015 headers in 2,016. */
    if (height % c->interval != 0 && !np->pow_allow_min_difficulty) {
        if (h->bits != parent->bits) return CHAIN_ERR_BAD_BITS;
    } else {
        struct pow_block last = {parent->height, parent->time, parent->bits, parent};
        struct ancestor_ctx actx = {c, parent, NULL};
        uint32_t required;
        if (!pow_next_bits(np, &last, h->time, ancestor_cb, &actx, &c->walk, &required) ||
            h->bits != required)
            return CHAIN_ERR_BAD_BITS;
    }

    if (h->time <= parent_mtp(c, parent)) return CHAIN_ERR_TIME_TOO_OLD;
    if (np->enforce_bip94 && height % c->interval == 0 &&
        (int64_t)h->time < (int64_t)parent->time - CHAIN_MAX_TIMEWARP)
        return CHAIN_ERR_TIMEWARP;
    if ((int64_t)h->time > now + CHAIN_MAX_FUTURE_TIME) return CHAIN_ERR_TIME_TOO_NEW;
    if ((h->version < 2 && height >= np->bip34_height) ||
        (h->version < 3 && height >= np->bip66_height) ||
        (h->version < 4 && height >= np->bip65_height))
        return CHAIN_ERR_BAD_VERSION;

    if (h->bits != c->last_bits) {
        c->last_bits = h->bits;
        c->last_target = target;
        pow_block_proof(&target, &c->last_proof);
    }
    struct u256 work;
    u256_add(&work, &parent->work, &c->last_proof);
    const bool better = u256_cmp(&work, &tip->work) > 0;

    /* Reserve everything before changing anything, so running out of
     * memory leaves the index as it was. */
    if (!table_reserve(c) || (better && !active_reserve(c, height))) return CHAIN_ERR_NOMEM;
    struct chain_entry *e = entry_reserve(c);
    if (!e) return CHAIN_ERR_NOMEM;
    memcpy(e->hash, hash, 32);
    e->work = work;
    e->parent = parent;
    e->height = height;
    e->version = h->version;
    e->time = h->time;
    e->bits = h->bits;
    table_place(c, (uint32_t)c->count + 1, key);
    c->count++;
    if (better) {
        if (extends_tip) {
            c->active[height] = e;
            c->height = height;
        } else {
            set_tip(c, e);
        }
        mtp_slide(c, e);
    }
    if (entry) *entry = e;
    return CHAIN_OK;
}

enum chain_err chain_add_raw(struct chain *c, const uint8_t raw[80], int64_t now,
                             const struct chain_entry **entry)
{
    const struct header_view h = {raw + 4, (int32_t)le32_read(raw), le32_read(raw + 68),
                                  le32_read(raw + 72)};
    uint8_t hash[32];
    sha256d(raw, 80, hash);
    return add_hashed(c, &h, hash, now, entry);
}

enum chain_err chain_add_header(struct chain *c, const struct wire_header *h, int64_t now,
                                const struct chain_entry **entry)
{
    uint8_t raw[80];
    wire_header_serialize(h, raw);
    return chain_add_raw(c, raw, now, entry);
}

bool chain_reserve(struct chain *c, size_t headers)
{
    if (headers > CHAIN_RESERVE_MAX) headers = CHAIN_RESERVE_MAX;
    if (headers <= c->count) return true;
    return table_reserve_n(c, headers - c->count) &&
           active_reserve(c, (int32_t)(headers > INT32_MAX ? INT32_MAX : headers));
}

const struct netparams *chain_params(const struct chain *c)
{
    return c->np;
}

const struct chain_entry *chain_tip(const struct chain *c)
{
    return c->active[c->height];
}

int32_t chain_height(const struct chain *c)
{
    return c->height;
}

const struct chain_entry *chain_at_height(const struct chain *c, int32_t h)
{
    return h >= 0 && h <= c->height ? c->active[h] : NULL;
}

const struct chain_entry *chain_lookup(const struct chain *c, const uint8_t hash[32])
{
    return table_find(c, hash);
}

bool chain_contains(const struct chain *c, const struct chain_entry *e)
{
    return e && e->height >= 0 && on_active(c, e);
}

const struct chain_entry *chain_ancestor(const struct chain *c, const struct chain_entry *e,
                                         int32_t h)
{
    if (!e || h < 0 || h > e->height) return NULL;
    return ancestor_walk(c, e, h);
}

size_t chain_count(const struct chain *c)
{
    return c->count;
}

size_t chain_memory(const struct chain *c)
{
    return sizeof *c + c->n_chunks * CHUNK_BYTES +
           c->chunks_cap * sizeof *c->chunks + c->cap * sizeof *c->slots +
           c->active_cap * sizeof *c->active;
}

size_t chain_locator_from(const struct chain *c, const struct chain_entry *e, uint8_t (*out)[32],
                          size_t cap)
{
    /* Core's LocatorEntries: twelve consecutive hashes (the step doubles
     * only once more than ten are in), then doubling steps, then genesis. */
    size_t n = 0;
    int32_t step = 1;
    const struct chain_entry *last = NULL;
    while (e && n < cap) {
        memcpy(out[n++], e->hash, 32);
        last = e;
        if (e->height == 0) break;
        int32_t h = e->height - step;
        if (h < 0) h = 0;
        e = ancestor_walk(c, e, h);
        if (n > 10 && step <= INT32_MAX / 2) step *= 2;
    }
    /* A short cap still ends in genesis: a peer on another branch can
     * always find the fork from there. */
    if (last && last->height != 0) memcpy(out[n - 1], c->active[0]->hash, 32);
    return n;
}

size_t chain_locator(const struct chain *c, uint8_t (*out)[32], size_t cap)
{
    return chain_locator_from(c, chain_tip(c), out, cap);
}

const struct chain_entry *chain_entry_by_seq(const struct chain *c, size_t seq)
{
    return seq < c->count ? entry_at(c, (uint32_t)seq) : NULL;
}

/* Entries live in fixed-size chunks in acceptance order, so the order is
 * the chunk number and the offset in it: no field in every entry for it. */
uint32_t chain_entry_seq(const struct chain *c, const struct chain_entry *e)
{
    for (size_t i = 0; i < c->n_chunks; i++) {
        const struct chain_entry *base = c->chunks[i];
        if (e >= base && e < base + CHUNK_LEN) return (uint32_t)(i * CHUNK_LEN + (size_t)(e - base));
    }
    return UINT32_MAX;
}
