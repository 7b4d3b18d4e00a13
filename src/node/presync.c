/* Header storage no peer can grow for free (Bitcoin Core v29's anti-DoS
 * header rules, our own code). A headers message that connects but whose
 * chain's claimed work stays below the threshold (the minimum chain work,
 * or our tip's work less 144 of its blocks if that is more) is never
 * stored: a full message starts a presync for that peer (headerssync.c),
 * a short one is ignored. A presync that proves the work releases its
 * headers here, in batches, to the chain and headers.dat; one that fails
 * drops the peer without punishment (bad proof of work is still punished,
 * as Core's CheckHeadersPoW does). One presync per peer, state bounded as
 * headerssync.h says; whitelisted peers skip the check (Core's NoBan). */
#include "node_internal.h"

#include "node/headerssync.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include <stdlib.h>
#include <string.h>

/* Core's ReportHeadersPresync: at most four progress lines a second. */
#define PRESYNC_LOG_INTERVAL_MS 250
/* Core's GetAntiDoSWorkThreshold: forks within this many of our tip's
 * blocks are not presynced. */
#define ANTIDOS_TIP_BLOCKS 144

static void min_work(const struct node *n, struct u256 *out)
{
    u256_from_be(out, n->cfg->min_chain_work);
}

/* Core's GetBlockProof of an nBits: 0 for an encoding no header can meet. */
static void bits_proof(uint32_t bits, struct u256 *proof)
{
    struct u256 target;
    bool neg, ovf;
    pow_set_compact(&target, bits, &neg, &ovf);
    if (neg || ovf || u256_is_zero(&target)) {
        memset(proof, 0, sizeof *proof);
        return;
    }
    pow_block_proof(&target, proof);
}

static void antidos_threshold(const struct node *n, struct u256 *out)
{
    const struct chain_entry *tip = chain_tip(n->chain);
    struct u256 proof, buffer = {{0}}, near;
    bits_proof(tip->bits, &proof);
    for (int i = 0; i < ANTIDOS_TIP_BLOCKS; i++) u256_add(&buffer, &buffer, &proof);
    if (u256_cmp(&buffer, &tip->work) > 0) buffer = tip->work;
    u256_sub(&near, &tip->work, &buffer);
    min_work(n, out);
    if (u256_cmp(&near, out) > 0) *out = near;
}

bool node_tip_below_min_work(const struct node *n)
{
    struct u256 min;
    min_work(n, &min);
    return u256_cmp(&chain_tip(n->chain)->work, &min) < 0;
}

static void work_hex(const struct u256 *w, char out[65])
{
    u256_to_hex(w, out);
}

static void drop(struct node *n, uint64_t id)
{
    hsync_free(idmap_del(&n->presyncs, id));
}

void node_presync_drop(struct node *n, uint64_t id, const char *why)
{
    struct hsync *h = idmap_get(&n->presyncs, id);
    if (!h) return;
    LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)id, "headers presync dropped at height %d (%s): %s",
           hsync_presync_height(h), hsync_state_str(hsync_state(h)), why);
    drop(n, id);
}

int32_t node_presync_height(const struct node *n, uint64_t id)
{
    const struct hsync *h = idmap_get(&n->presyncs, id);
    return h && hsync_state(h) == HSYNC_PRESYNC ? hsync_presync_height(h) : -1;
}

void node_presync_free_all(struct node *n)
{
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->presyncs, &pos, NULL, &value)) hsync_free(value);
    idmap_free(&n->presyncs);
}

/* Core's "Pre-synchronizing blockheaders" line: the height reached and a
 * guess at the share of the chain, from the last header's age. */
static void report_progress(struct node *n, uint64_t id, const struct hsync *h)
{
    uint64_t now_ms = clock_mono_ms();
    if (hsync_state(h) != HSYNC_PRESYNC || !node_tip_below_min_work(n)) return;
    if (n->presync_log_ms && now_ms - n->presync_log_ms < PRESYNC_LOG_INTERVAL_MS) return;
    n->presync_log_ms = now_ms;
    int32_t height = hsync_presync_height(h);
    int64_t behind_s = node_now() - (int64_t)hsync_presync_time(h);
    double behind = behind_s > 0 ? (double)behind_s / (double)n->cfg->peer.net->pow_target_spacing : 0;
    double pct = height > 0 ? 100.0 * height / (height + behind) : 0;
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id,
           "Pre-synchronizing blockheaders, height: %d (~%.2f%%) commitments=%zu memory=%zu",
           height, pct, hsync_commitments(h), hsync_memory(h));
}

/* getheaders continuing the presync: its head, then the start's locator. */
static void request_more(struct node *n, uint64_t id, const struct hsync *h)
{
    uint8_t hashes[WIRE_MAX_LOCATOR][32];
    const struct chain_entry *start = chain_lookup(n->chain, hsync_start_of(h)->hash);
    memcpy(hashes[0], hsync_locator_head(h), 32);
    size_t count = 1;
    if (start) count += chain_locator_from(n->chain, start, hashes + 1, WIRE_MAX_LOCATOR - 1);
    struct wire_locator loc = {.version = PROTOCOL_VERSION, .count = count, .hashes = hashes};
    struct node_request req = {.type = NODE_REQ_GET_HEADERS, .u.locator = &loc};
    if (peer_request(n->peers, id, &req) == PEER_OK && id == n->sync.peer)
        n->sync.request_ms = clock_mono_ms();
}

/* Hand what the redownload released to the chain, a message's worth at a
 * time. False if a header failed validation (the peer was punished). */
static bool release(struct node *n, uint64_t id, struct hsync *h, const struct chain_entry **last)
{
    struct wire_header *batch = NULL;
    size_t k;
    bool ok = true;
    const struct chain_entry *old_tip = chain_tip(n->chain);
    size_t added = 0;
    while (ok) {
        if (!batch && !(batch = malloc(WIRE_MAX_HEADERS * sizeof *batch))) break;
        if (!(k = hsync_pop(h, batch, WIRE_MAX_HEADERS))) break;
        bool invalid;
        added += node_headers_store(n, id, batch, k, last, &invalid);
        ok = !invalid;
    }
    free(batch);
    node_headers_stored(n, id, added, *last, old_tip);
    return ok;
}

static void failed(struct node *n, uint64_t id, struct hsync *h, enum hsync_state phase,
                   enum hsync_err err)
{
    LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "headers presync failed at height %d (%s): %s",
           phase == HSYNC_REDOWNLOAD ? hsync_redownload_height(h) : hsync_presync_height(h),
           hsync_state_str(phase), hsync_err_str(err));
    drop(n, id);
    /* A header that is not what it claims is an offence, as in Core; a
     * chain that changed between the two downloads is not. */
    if (err == HSYNC_ERR_BAD_POW || err == HSYNC_ERR_UNCHAINED) {
        char offence[64];
        snprintf(offence, sizeof offence, "invalid-header-%s", hsync_err_str(err));
        peer_misbehaving(n->peers, id, offence);
    } else {
        peer_disconnect_id(n->peers, id, PEER_REASON_PRESYNC_FAILED);
    }
}

static void feed(struct node *n, struct node_peer *np, struct hsync *h, const struct wire_headers *hdrs)
{
    const uint64_t id = np->id;
    const bool full = hdrs->count == WIRE_MAX_HEADERS;
    const enum hsync_state before = hsync_state(h);
    bool more;
    enum hsync_err err = hsync_feed(h, hdrs->headers, hdrs->count, full, &more);
    if (err != HSYNC_OK) {
        failed(n, id, h, before, err);
        return;
    }
    if (id == n->sync.peer) n->sync.progress_ms = clock_mono_ms();
    if (before == HSYNC_PRESYNC && hsync_state(h) == HSYNC_REDOWNLOAD)
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id,
               "headers presync reached the minimum chain work at height %d: redownloading "
               "from height %d", hsync_presync_height(h), hsync_start_of(h)->height);
    report_progress(n, id, h);
    const struct chain_entry *last = NULL;
    if (!release(n, id, h, &last)) {
        drop(n, id);
        return;
    }
    if (more) {
        request_more(n, id, h);
        return;
    }
    enum hsync_end end = hsync_end(h);
    if (end == HSYNC_END_COMPLETE) {
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "headers presync complete at height %d",
               chain_height(n->chain));
    } else {
        /* Declined in REDOWNLOAD, the headers already released (proven by
         * 14,827 more on top) stay; the rest of the ring goes. */
        LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id,
               "headers presync ended (%s) at height %d below the minimum chain work%s",
               hsync_end_str(end),
               end == HSYNC_END_DECLINED ? hsync_redownload_height(h) : hsync_presync_height(h),
               end == HSYNC_END_LOW_WORK ? ": nothing stored" : "");
    }
    drop(n, id);
    if (end != HSYNC_END_COMPLETE) return;
    /* The peer may have more than the work we asked for: go on as a normal
     * sync would after a full message. */
    if (full && last) {
        node_send_getheaders(n, id, last);
    } else {
        node_sync_caught_up(n, id);
    }
}

bool node_presync_continue(struct node *n, struct node_peer *np, const struct wire_headers *hdrs)
{
    struct hsync *h = idmap_get(&n->presyncs, np->id);
    if (!h) return false;
    if (memcmp(hdrs->headers[0].prev_hash, hsync_locator_head(h), 32) != 0) {
        /* Not the next part of the chain we asked for. A short message is
         * most likely a new block announced (we sent sendheaders): the
         * sync will bring it, so it is dropped. A full one answers a
         * locator of ours from another chain: the peer's chain changed,
         * so, as Core, the presync ends (benign: no punishment, no
         * disconnect) and the headers are judged afresh. */
        if (hdrs->count < WIRE_MAX_HEADERS) {
            LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)np->id,
                   "%zu headers not continuing its presync: ignored", hdrs->count);
            return true;
        }
        node_presync_drop(n, np->id, "non-continuous headers");
        return false;
    }
    feed(n, np, h, hdrs);
    return true;
}

/* Core's CheckHeadersPoW, for the headers nothing else will check (a short
 * low-work message is dropped unvalidated): each meets its own nBits and
 * builds on the one before, or the peer misbehaves. The headers that are
 * stored or presynced get the same checks there, without hashing twice. */
static bool headers_pow_ok(struct node *n, uint64_t id, const struct wire_headers *hdrs)
{
    uint8_t hash[32];
    for (size_t i = 0; i < hdrs->count; i++) {
        const struct wire_header *h = &hdrs->headers[i];
        const char *offence = NULL;
        if (i > 0 && memcmp(h->prev_hash, hash, 32) != 0) {
            offence = "invalid-header-headers-not-chained";
        } else {
            wire_header_hash(h, hash);
            enum pow_err err = pow_check(n->cfg->peer.net, hash, h->bits);
            if (err == POW_ERR_HIGH_HASH) offence = "invalid-header-high-hash";
            else if (err != POW_OK) offence = "invalid-header-bad-bits-encoding";
        }
        if (offence) {
            LOG_AT(LOG_INFO, LOG_CAT_CHAIN, (int64_t)id, "invalid low-work header at %zu: %s", i,
                   offence);
            peer_misbehaving(n->peers, id, offence);
            return false;
        }
    }
    return true;
}

bool node_presync_screen(struct node *n, struct node_peer *np, const struct wire_headers *hdrs,
                         const struct chain_entry *start)
{
    /* Already ours and on the best chain: taking them again costs nothing. */
    uint8_t last_hash[32];
    wire_header_hash(&hdrs->headers[hdrs->count - 1], last_hash);
    const struct chain_entry *known = chain_lookup(n->chain, last_hash);
    if (known && chain_contains(n->chain, known)) return false;
    if (node_is_whitelisted(n, &np->addr)) return false;

    /* The work the headers claim (their own nBits; the proof of work and
     * the rules are checked later, by presync or by the chain). */
    struct u256 total = start->work, proof = {{0}}, threshold;
    uint32_t proof_bits = 0;
    for (size_t i = 0; i < hdrs->count; i++) {
        if (i == 0 || hdrs->headers[i].bits != proof_bits) {
            proof_bits = hdrs->headers[i].bits;
            bits_proof(proof_bits, &proof);
        }
        u256_add(&total, &total, &proof);
    }
    antidos_threshold(n, &threshold);
    if (u256_cmp(&total, &threshold) >= 0) return false;

    const int32_t end_height = start->height + (int32_t)hdrs->count;
    if (hdrs->count < WIRE_MAX_HEADERS) {
        /* Its chain ends here: nothing more would come to make it worth it. */
        if (!headers_pow_ok(n, np->id, hdrs)) return true;
        LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)np->id, "Ignoring low-work chain (height=%d)",
               end_height);
        return true;
    }
    struct hsync_start hs = {.height = start->height, .work = start->work, .bits = start->bits,
                             .mtp = chain_median_time_past(start)};
    memcpy(hs.hash, start->hash, 32);
    uint8_t salt[SIPHASH_KEY_LEN];
    random_bytes(salt, sizeof salt);
    struct hsync *h = hsync_new(n->cfg->peer.net, &hs, &threshold, node_now(), salt,
                                (uint32_t)random_range(HSYNC_COMMITMENT_PERIOD));
    if (!h || !idmap_put(&n->presyncs, np->id, h)) {
        hsync_free(h);
        log_error(LOG_CAT_CHAIN, "headers presync: out of memory; low-work headers ignored");
        return true;
    }
    char work[65];
    work_hex(&threshold, work);
    LOG_AT(LOG_DEBUG, LOG_CAT_CHAIN, (int64_t)np->id,
           "headers presync started: height=%d max_commitments=%llu min_work=%s", start->height,
           (unsigned long long)hsync_commitment_limit(h), work);
    feed(n, np, h, hdrs);
    return true;
}
