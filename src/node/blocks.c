/* Blocks on request: the node asks one peer that should have the block
 * (its announced height reaches the block's), waits for it with a timeout,
 * tries another peer after a timeout or a notfound, and accepts the block
 * only if it hashes to what was asked and its merkle root (without the
 * CVE-2012-2459 duplication) matches the header. Accepted blocks are
 * written atomically to <datadir>/blocks/<hash>.blk. */
#include "node_internal.h"

#include "cfsync.h"

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
    struct block_fetch *next;
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

static bool save_block(struct node *n, const uint8_t hash[32], const struct wire_block *b)
{
    char dir[PATH_MAX + 8], path[PATH_MAX + 96];
    snprintf(dir, sizeof dir, "%s/blocks", n->cfg->datadir);
    if (mkdir(dir, 0700) == 0) {
        /* A new directory is durable once its parent's entry is. */
        if (store_sync_dir_of(dir) != STORE_OK) return false;
    } else if (errno != EEXIST) {
        return false;
    }
    if (!node_block_path(n, hash, path, sizeof path)) return false;
    return store_write_atomic(path, b->raw, b->raw_len) == STORE_OK;
}

void node_block_received(struct node *n, uint64_t id, const struct wire_block *b)
{
    uint8_t hash[32];
    wire_header_hash(&b->header, hash);
    if (node_cf_block(n, id, hash, b)) return; /* a filter dispute's */
    struct block_fetch **pp = &n->fetches;
    while (*pp && memcmp((*pp)->hash, hash, 32) != 0) pp = &(*pp)->next;
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    if (!*pp) {
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
    if (!save_block(n, hash, b)) {
        /* Our fault (a full disk, say), not the peer's: it may be asked
         * again, after the block timeout. */
        log_error(LOG_CAT_NODE, "cannot write block %s: %s; asking again in %.1f s", hex,
                  strerror(errno), (double)n->cfg->block_timeout_ms / 1000.0);
        for (size_t i = 0; i < f->n_tried; i++)
            if (f->tried[i] == id) f->tried[i] = f->tried[--f->n_tried];
        f->peer = id;
        f->deadline_ms = clock_mono_ms() + n->cfg->block_timeout_ms;
        return;
    }
    struct log_field fl[] = {LOG_STR("hash", hex), LOG_UINT("bytes", b->raw_len),
                             LOG_UINT("txs", b->tx_count)};
    log_event(LOG_INFO, LOG_CAT_NODE, (int64_t)id, "block fetched", fl, 3);
    struct node_peer *np = node_peer_get(n, id);
    if (np) {
        np->last_block = node_now();
        node_staletip_block(n, np);
    }
    *pp = f->next;
    free(f);
    if (n->block_listener) n->block_listener(n->block_listener_ctx, hash);
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
