/* Blocks on request: the node asks one peer that should have the block
 * (its announced height reaches the block's), waits for it with a timeout,
 * tries another peer after a timeout or a notfound, and accepts the block
 * only if it hashes to what was asked and its merkle root (without the
 * CVE-2012-2459 duplication) matches the header. Accepted blocks are
 * written atomically to <datadir>/blocks/<hash>.blk by the disk writer
 * (a 4 MB write and its fsync would hold the loop for tens of
 * milliseconds); the block counts as fetched, and its waiters hear of it,
 * only once it is on disk. */
#include "node_internal.h"

#include "cfsync.h"
#include "diskwriter.h"

#include "store.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FETCH_MAX_TRIED 8

struct block_fetch {
    uint8_t hash[32];
    uint64_t peer;                 /* asked, 0 = waiting for a peer */
    uint64_t deadline_ms;
    uint64_t tried[FETCH_MAX_TRIED];
    size_t n_tried;
    bool saving;                   /* handed to the disk writer: no peer is asked */
    struct block_fetch *next;
};

/* One accepted block on its way to disk: the job takes the message's
 * bytes (a 4 MB copy would cost the loop a millisecond). */
struct block_save {
    struct diskwriter_job job; /* first: the writer hands this back */
    struct node *n;
    uint8_t hash[32];
    uint64_t peer;
    uint32_t txs;
    uint8_t *raw;
    size_t len;
    char dir[PATH_MAX + 8];
    char path[PATH_MAX + 96];
    bool ok;
    int err_no;
};

static bool was_tried(const struct block_fetch *f, uint64_t id)
{
    for (size_t i = 0; i < f->n_tried; i++)
        if (f->tried[i] == id) return true;
    return false;
}

/* A ready full peer that has not failed this fetch, whose announced height
 * covers the block (if we know the block's height). */
static uint64_t pick_peer(const struct node *n, const struct block_fetch *f)
{
    const struct chain_entry *e = chain_lookup(n->chain, f->hash);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (!np->ready || np->kind == CONN_FEELER || np->kind == CONN_ADDR_FETCH || was_tried(f, np->id)) continue;
        if (!(np->services & (NODE_NETWORK | NODE_NETWORK_LIMITED))) continue;
        if (e && np->start_height < e->height) continue;
        return np->id;
    }
    return 0;
}

static void ask(struct node *n, struct block_fetch *f)
{
    f->peer = pick_peer(n, f);
    if (!f->peer) return; /* retried when a peer becomes ready */
    struct node_request req = {.type = NODE_REQ_GET_BLOCK};
    memcpy(req.u.hash, f->hash, 32);
    if (peer_request(n->peers, f->peer, &req) != PEER_OK) {
        f->peer = 0;
        return;
    }
    if (f->n_tried < FETCH_MAX_TRIED) f->tried[f->n_tried++] = f->peer;
    f->deadline_ms = clock_mono_ms() + n->cfg->block_timeout_ms;
    char hex[65];
    hex_encode_rev(f->hash, 32, hex);
    LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)f->peer, "requesting block %s", hex);
}

void node_fetch_block(struct node *n, const uint8_t hash[32])
{
    for (struct block_fetch *f = n->fetches; f; f = f->next)
        if (memcmp(f->hash, hash, 32) == 0) return; /* already on its way */
    struct block_fetch *f = calloc(1, sizeof *f);
    if (!f) return;
    memcpy(f->hash, hash, 32);
    f->next = n->fetches;
    n->fetches = f;
    ask(n, f);
}

static void retry_elsewhere(struct node *n, struct block_fetch *f, const char *why)
{
    char hex[65];
    hex_encode_rev(f->hash, 32, hex);
    LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)f->peer, "block %s: %s, trying another peer", hex, why);
    if (f->n_tried >= FETCH_MAX_TRIED) f->n_tried = 0; /* start over with everyone */
    ask(n, f);
}

void node_blocks_tick(struct node *n)
{
    uint64_t now = clock_mono_ms();
    for (struct block_fetch *f = n->fetches; f; f = f->next) {
        if (f->saving) continue;
        if (!f->peer)
            ask(n, f);
        else if (now >= f->deadline_ms)
            retry_elsewhere(n, f, "timed out");
    }
}

void node_blocks_peer_gone(struct node *n, uint64_t id)
{
    for (struct block_fetch *f = n->fetches; f; f = f->next)
        if (f->peer == id) retry_elsewhere(n, f, "peer gone");
}

void node_notfound_received(struct node *n, uint64_t id, const struct wire_inv *inv)
{
    for (size_t i = 0; i < inv->count; i++)
        for (struct block_fetch *f = n->fetches; f; f = f->next)
            if (f->peer == id && memcmp(f->hash, inv->entries[i].hash, 32) == 0)
                retry_elsewhere(n, f, "not found");
}

bool node_block_path(const struct node *n, const uint8_t hash[32], char *out, size_t cap)
{
    if (!n->cfg->datadir[0]) return false;
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    return snprintf(out, cap, "%s/blocks/%s.blk", n->cfg->datadir, hex) < (int)cap;
}

void node_set_block_listener(struct node *n, node_block_fn fn, void *ctx)
{
    n->block_listener = fn;
    n->block_listener_ctx = ctx;
}

/* On the writer thread. */
static void save_run(struct diskwriter_job *job)
{
    struct block_save *bs = (struct block_save *)job;
    bs->ok = false;
    if (mkdir(bs->dir, 0700) == 0) {
        /* A new directory is durable once its parent's entry is. */
        if (store_sync_dir_of(bs->dir) != STORE_OK) {
            bs->err_no = errno;
            return;
        }
    } else if (errno != EEXIST) {
        bs->err_no = errno;
        return;
    }
    bs->ok = store_write_atomic(bs->path, bs->raw, bs->len) == STORE_OK;
    bs->err_no = bs->ok ? 0 : errno;
}

static struct block_fetch **find_fetch(struct node *n, const uint8_t hash[32])
{
    struct block_fetch **pp = &n->fetches;
    while (*pp && memcmp((*pp)->hash, hash, 32) != 0) pp = &(*pp)->next;
    return pp;
}

/* Our fault (a full disk, say), not the peer's: the same peer may be
 * asked again, after the block timeout. */
static void write_failed(struct node *n, struct block_fetch *f, uint64_t id, int err_no)
{
    char hex[65];
    hex_encode_rev(f->hash, 32, hex);
    log_error(LOG_CAT_NODE, "cannot write block %s: %s; asking again in %.1f s", hex,
              strerror(err_no), (double)n->cfg->block_timeout_ms / 1000.0);
    for (size_t i = 0; i < f->n_tried; i++)
        if (f->tried[i] == id) f->tried[i] = f->tried[--f->n_tried];
    f->peer = id;
    f->deadline_ms = clock_mono_ms() + n->cfg->block_timeout_ms;
}

/* Back on the loop: the block is on disk (fetched: its waiters are told),
 * or it is not. A fetch already freed (the node is going) only frees the
 * job. */
static void save_done(struct diskwriter_job *job)
{
    struct block_save *bs = (struct block_save *)job;
    struct node *n = bs->n;
    struct block_fetch **pp = find_fetch(n, bs->hash);
    struct block_fetch *f = *pp;
    if (f) f->saving = false;
    if (f && !bs->ok) {
        write_failed(n, f, bs->peer, bs->err_no);
    } else if (f) {
        char hex[65];
        hex_encode_rev(bs->hash, 32, hex);
        struct log_field fl[] = {LOG_STR("hash", hex), LOG_UINT("bytes", bs->len),
                                 LOG_UINT("txs", bs->txs)};
        log_event(LOG_INFO, LOG_CAT_NODE, (int64_t)bs->peer, "block fetched", fl, 3);
        *pp = f->next;
        free(f);
        if (n->block_listener) n->block_listener(n->block_listener_ctx, bs->hash);
    }
    free(bs->raw);
    free(bs);
}

/* Hand the block, and its bytes, to the disk writer: 0, or the errno of
 * why it cannot be (the bytes then stay with the message). */
static int save_block(struct node *n, struct block_fetch *f, uint64_t id, struct wire_block *b)
{
    struct diskwriter *w = node_state_writer(n);
    if (!w) return ENOENT; /* no data directory */
    struct block_save *bs = calloc(1, sizeof *bs);
    if (!bs) return ENOMEM;
    if (!node_block_path(n, f->hash, bs->path, sizeof bs->path) ||
        snprintf(bs->dir, sizeof bs->dir, "%s/blocks", n->cfg->datadir) >= (int)sizeof bs->dir) {
        free(bs);
        return ENAMETOOLONG;
    }
    bs->raw = b->raw;
    bs->len = b->raw_len;
    b->raw = NULL;
    b->raw_len = 0;
    bs->txs = (uint32_t)b->tx_count;
    bs->n = n;
    bs->peer = id;
    memcpy(bs->hash, f->hash, 32);
    bs->job.run = save_run;
    bs->job.done = save_done;
    f->saving = true;
    f->peer = 0;
    diskwriter_submit(w, &bs->job);
    return 0;
}

void node_block_received(struct node *n, uint64_t id, struct wire_block *b)
{
    uint8_t hash[32];
    wire_header_hash(&b->header, hash);
    if (node_cf_block(n, id, hash, b)) return; /* a filter dispute's */
    struct block_fetch **pp = find_fetch(n, hash);
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    if (!*pp || (*pp)->saving) {
        LOG_AT(LOG_DEBUG, LOG_CAT_NODE, (int64_t)id, "unrequested block %s ignored", hex);
        return;
    }
    struct block_fetch *f = *pp;
    uint8_t root[32];
    bool mutated = false;
    if (wire_block_merkle_root(b, root, &mutated) != WIRE_OK) return;
    if (mutated || memcmp(root, b->header.merkle_root, 32) != 0) {
        LOG_AT(LOG_INFO, LOG_CAT_NODE, (int64_t)id, "block %s: %s", hex,
               mutated ? "mutated (duplicate transactions)" : "merkle root does not match");
        peer_misbehaving(n->peers, id, "bad-block");
        retry_elsewhere(n, f, "bad block");
        return;
    }
    /* The peer delivered: what the disk does next is not its doing. */
    struct node_peer *np = node_peer_get(n, id);
    if (np) {
        np->last_block = node_now();
        node_staletip_block(n, np);
    }
    int err_no = save_block(n, f, id, b);
    if (err_no) write_failed(n, f, id, err_no);
}

size_t node_blocks_inflight(const struct node *n, uint64_t id, int32_t *heights, size_t cap)
{
    size_t count = 0;
    for (const struct block_fetch *f = n->fetches; f && count < cap; f = f->next) {
        if (f->peer != id) continue;
        const struct chain_entry *e = chain_lookup(n->chain, f->hash);
        if (e) heights[count++] = e->height;
    }
    return count;
}

size_t node_blocks_asked_of(const struct node *n, uint64_t id)
{
    size_t count = 0;
    for (const struct block_fetch *f = n->fetches; f; f = f->next)
        count += f->peer != 0 && (id == 0 || f->peer == id);
    return count;
}

void node_blocks_free(struct node *n)
{
    while (n->fetches) {
        struct block_fetch *f = n->fetches;
        n->fetches = f->next;
        free(f);
    }
}
