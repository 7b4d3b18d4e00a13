/* Headers presync's state machine (headerssync.h): commitments taken in
 * PRESYNC, checked in REDOWNLOAD, headers released from a ring once enough
 * commitments above them have matched. Written from Bitcoin Core v29's
 * rules (headerssync.cpp), not its code. */
#include "node/headerssync.h"

#include <btcpeerd/sha256.h>

#include <stdlib.h>
#include <string.h>

struct hsync {
    const struct netparams *np;
    struct hsync_start start;
    struct u256 min_work;
    int32_t interval;
    enum hsync_state state;
    enum hsync_end end;
    enum hsync_err err;
    struct siphash *salt;
    uint32_t commit_offset;
    uint64_t max_commitments;

    /* PRESYNC: the last header received. */
    uint8_t last_hash[32];
    uint32_t last_bits, last_time;
    int32_t height;
    struct u256 work;

    /* One bit per commitment, appended in PRESYNC, read in REDOWNLOAD. */
    uint8_t *bits;
    size_t bits_cap;   /* bytes */
    uint64_t n_bits, read_bits;

    /* REDOWNLOAD: compressed headers waiting, a ring of HSYNC_RING_LEN. */
    uint8_t *ring;
    size_t ring_head, ring_len;
    uint8_t rd_first_prev[32]; /* parent of the ring's first header */
    uint8_t rd_last_hash[32];
    uint32_t rd_last_bits;
    int32_t rd_height;
    struct u256 rd_work;
    bool process_all;

    /* Consecutive headers nearly always share nBits: their proof once. */
    uint32_t proof_bits;
    struct u256 proof;
};

const char *hsync_state_str(enum hsync_state s)
{
    switch (s) {
    case HSYNC_PRESYNC: return "presync";
    case HSYNC_REDOWNLOAD: return "redownload";
    case HSYNC_FINAL: return "final";
    }
    return "unknown";
}

const char *hsync_err_str(enum hsync_err err)
{
    switch (err) {
    case HSYNC_OK: return "ok";
    case HSYNC_ERR_BAD_POW: return "high-hash";
    case HSYNC_ERR_UNCHAINED: return "headers-not-chained";
    case HSYNC_ERR_NON_CONTINUOUS: return "non-continuous-headers";
    case HSYNC_ERR_BAD_DIFFICULTY: return "invalid-difficulty-transition";
    case HSYNC_ERR_TOO_MANY_COMMITMENTS: return "exceeded-max-commitments";
    case HSYNC_ERR_COMMITMENT_OVERRUN: return "commitment-overrun";
    case HSYNC_ERR_COMMITMENT_MISMATCH: return "commitment-mismatch";
    case HSYNC_ERR_TOO_MANY_HEADERS: return "too-many-headers";
    case HSYNC_ERR_FINISHED: return "finished";
    case HSYNC_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

const char *hsync_end_str(enum hsync_end end)
{
    switch (end) {
    case HSYNC_RUNNING: return "running";
    case HSYNC_END_LOW_WORK: return "low-work";
    case HSYNC_END_COMPLETE: return "complete";
    case HSYNC_END_DECLINED: return "declined";
    case HSYNC_END_FAILED: return "failed";
    }
    return "unknown";
}

uint64_t hsync_max_commitments(uint32_t start_mtp, int64_t now)
{
    /* now is our clock, start_mtp a header's: either may be odd, so clamp
     * the span instead of trusting it (a day short of 2^62 s is plenty). */
    int64_t span = now - (int64_t)start_mtp;
    if (span < 0) span = 0;
    if (span > ((int64_t)1 << 60)) span = (int64_t)1 << 60;
    return 6u * (uint64_t)(span + 7200) / HSYNC_COMMITMENT_PERIOD;
}

struct hsync *hsync_new(const struct netparams *np, const struct hsync_start *start,
                        const struct u256 *min_work, int64_t now,
                        const uint8_t salt[SIPHASH_KEY_LEN], uint32_t commit_offset)
{
    struct hsync *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->salt = siphash_new(salt);
    if (!h->salt) {
        free(h);
        return NULL;
    }
    h->np = np;
    h->start = *start;
    h->min_work = *min_work;
    h->interval = netparams_retarget_interval(np);
    h->commit_offset = commit_offset % HSYNC_COMMITMENT_PERIOD;
    h->max_commitments = hsync_max_commitments(start->mtp, now);
    memcpy(h->last_hash, start->hash, 32);
    h->last_bits = start->bits;
    h->height = start->height;
    h->work = start->work;
    return h;
}

void hsync_free(struct hsync *h)
{
    if (!h) return;
    siphash_free(h->salt);
    free(h->bits);
    free(h->ring);
    free(h);
}

static void finish(struct hsync *h, enum hsync_end end, enum hsync_err err)
{
    h->state = HSYNC_FINAL;
    h->end = end;
    h->err = err;
}

static enum hsync_err fail(struct hsync *h, enum hsync_err err)
{
    finish(h, HSYNC_END_FAILED, err);
    return err;
}

/* Core's PermittedDifficultyTransition: without the minimum-difficulty
 * exception, nBits is unchanged inside a period and moves at most 4x
 * either way (after compact rounding, capped at the pow limit) at a
 * retarget. */
static bool permitted_transition(const struct hsync *h, int32_t height, uint32_t old_bits,
                                 uint32_t new_bits)
{
    const struct netparams *np = h->np;
    if (np->pow_allow_min_difficulty) return true;
    if (height % h->interval != 0) return old_bits == new_bits;
    const int64_t span = np->pow_target_timespan;
    struct u256 largest, smallest, observed;
    pow_set_compact(&largest, pow_retarget(np, old_bits, 0, span * 4), NULL, NULL);
    pow_set_compact(&smallest, pow_retarget(np, old_bits, 0, span / 4), NULL, NULL);
    pow_set_compact(&observed, new_bits, NULL, NULL);
    return u256_cmp(&observed, &largest) <= 0 && u256_cmp(&observed, &smallest) >= 0;
}

/* The header's hash and its proof; false if its own nBits do not hold
 * (Core's CheckHeadersPoW, which runs before presync sees a header). */
static bool hash_and_check(struct hsync *h, const struct wire_header *hdr, uint8_t raw[80],
                           uint8_t hash[32], struct u256 *proof)
{
    wire_header_serialize(hdr, raw);
    sha256d(raw, 80, hash);
    struct u256 target;
    if (pow_target_from_bits(h->np, hdr->bits, &target) != POW_OK) return false;
    if (!pow_hash_meets_target(hash, &target)) return false;
    if (hdr->bits != h->proof_bits || u256_is_zero(&h->proof)) {
        pow_block_proof(&target, &h->proof);
        h->proof_bits = hdr->bits;
    }
    *proof = h->proof;
    return true;
}

static bool commitment_bit(struct hsync *h, const uint8_t hash[32], bool *bit)
{
    uint64_t v;
    if (!siphash24(h->salt, hash, 32, &v)) return false;
    *bit = (v & 1) != 0;
    return true;
}

static enum hsync_err add_commitment(struct hsync *h, bool bit)
{
    if (h->n_bits + 1 > h->max_commitments) return HSYNC_ERR_TOO_MANY_COMMITMENTS;
    size_t byte = (size_t)(h->n_bits / 8);
    if (byte >= h->bits_cap) {
        /* Double up to the bound: a short low-work chain costs bytes, not
         * the bound's 600 KiB up front. */
        size_t limit = (size_t)((h->max_commitments + 7) / 8);
        size_t ncap = h->bits_cap ? h->bits_cap * 2 : 256;
        if (ncap > limit) ncap = limit;
        if (ncap <= byte) ncap = byte + 1;
        uint8_t *nb = realloc(h->bits, ncap);
        if (!nb) return HSYNC_ERR_NOMEM;
        memset(nb + h->bits_cap, 0, ncap - h->bits_cap);
        h->bits = nb;
        h->bits_cap = ncap;
    }
    if (bit) h->bits[byte] |= (uint8_t)(1u << (h->n_bits % 8));
    h->n_bits++;
    return HSYNC_OK;
}

static enum hsync_err feed_presync(struct hsync *h, const struct wire_header *hdrs, size_t count,
                                   bool full, bool *request_more)
{
    if (memcmp(hdrs[0].prev_hash, h->last_hash, 32) != 0) return fail(h, HSYNC_ERR_NON_CONTINUOUS);
    for (size_t i = 0; i < count; i++) {
        uint8_t raw[80], hash[32];
        struct u256 proof;
        if (i > 0 && memcmp(hdrs[i].prev_hash, h->last_hash, 32) != 0)
            return fail(h, HSYNC_ERR_UNCHAINED);
        if (!hash_and_check(h, &hdrs[i], raw, hash, &proof)) return fail(h, HSYNC_ERR_BAD_POW);
        if (h->height == INT32_MAX) return fail(h, HSYNC_ERR_TOO_MANY_COMMITMENTS);
        const int32_t next = h->height + 1;
        if (!permitted_transition(h, next, h->last_bits, hdrs[i].bits))
            return fail(h, HSYNC_ERR_BAD_DIFFICULTY);
        if ((uint32_t)next % HSYNC_COMMITMENT_PERIOD == h->commit_offset) {
            bool bit;
            if (!commitment_bit(h, hash, &bit)) return fail(h, HSYNC_ERR_NOMEM);
            enum hsync_err err = add_commitment(h, bit);
            if (err != HSYNC_OK) return fail(h, err);
        }
        u256_add(&h->work, &h->work, &proof);
        memcpy(h->last_hash, hash, 32);
        h->last_bits = hdrs[i].bits;
        h->last_time = hdrs[i].time;
        h->height = next;
    }
    if (u256_cmp(&h->work, &h->min_work) >= 0) {
        h->ring = malloc((size_t)HSYNC_RING_LEN * HSYNC_COMPRESSED_SIZE);
        if (!h->ring) return fail(h, HSYNC_ERR_NOMEM);
        h->ring_head = h->ring_len = 0;
        memcpy(h->rd_first_prev, h->start.hash, 32);
        memcpy(h->rd_last_hash, h->start.hash, 32);
        h->rd_last_bits = h->start.bits;
        h->rd_height = h->start.height;
        h->rd_work = h->start.work;
        h->state = HSYNC_REDOWNLOAD;
        *request_more = true;
        return HSYNC_OK;
    }
    if (full) {
        *request_more = true;
    } else {
        finish(h, HSYNC_END_LOW_WORK, HSYNC_OK);
    }
    return HSYNC_OK;
}

static enum hsync_err feed_redownload(struct hsync *h, const struct wire_header *hdrs, size_t count,
                                      bool full, bool *request_more)
{
    if (h->ring_len + count > HSYNC_RING_LEN) return fail(h, HSYNC_ERR_NOMEM); /* not popped */
    if (memcmp(hdrs[0].prev_hash, h->rd_last_hash, 32) != 0) return fail(h, HSYNC_ERR_NON_CONTINUOUS);
    for (size_t i = 0; i < count; i++) {
        uint8_t raw[80], hash[32];
        struct u256 proof;
        if (i > 0 && memcmp(hdrs[i].prev_hash, h->rd_last_hash, 32) != 0)
            return fail(h, HSYNC_ERR_UNCHAINED);
        if (!hash_and_check(h, &hdrs[i], raw, hash, &proof)) return fail(h, HSYNC_ERR_BAD_POW);
        if (h->rd_height == INT32_MAX) return fail(h, HSYNC_ERR_COMMITMENT_OVERRUN);
        const int32_t next = h->rd_height + 1;
        if (!permitted_transition(h, next, h->rd_last_bits, hdrs[i].bits))
            return fail(h, HSYNC_ERR_BAD_DIFFICULTY);
        u256_add(&h->rd_work, &h->rd_work, &proof);
        if (u256_cmp(&h->rd_work, &h->min_work) >= 0) h->process_all = true;
        /* Past the minimum the peer may have grown its chain since PRESYNC:
         * no commitments are checked there. */
        if (!h->process_all && (uint32_t)next % HSYNC_COMMITMENT_PERIOD == h->commit_offset) {
            if (h->read_bits >= h->n_bits) return fail(h, HSYNC_ERR_COMMITMENT_OVERRUN);
            bool bit, want = ((unsigned)h->bits[h->read_bits / 8] >> (h->read_bits % 8) & 1u) != 0;
            if (!commitment_bit(h, hash, &bit)) return fail(h, HSYNC_ERR_NOMEM);
            h->read_bits++;
            if (bit != want) return fail(h, HSYNC_ERR_COMMITMENT_MISMATCH);
        }
        uint8_t *slot = h->ring + ((h->ring_head + h->ring_len) % HSYNC_RING_LEN) * HSYNC_COMPRESSED_SIZE;
        memcpy(slot, raw, 4);
        memcpy(slot + 4, raw + 36, HSYNC_COMPRESSED_SIZE - 4);
        h->ring_len++;
        memcpy(h->rd_last_hash, hash, 32);
        h->rd_last_bits = hdrs[i].bits;
        h->rd_height = next;
    }
    if (h->process_all) {
        finish(h, HSYNC_END_COMPLETE, HSYNC_OK); /* the ring is popped whole */
    } else if (full) {
        *request_more = true;
    } else {
        finish(h, HSYNC_END_DECLINED, HSYNC_OK);
    }
    return HSYNC_OK;
}

enum hsync_err hsync_feed(struct hsync *h, const struct wire_header *hdrs, size_t count, bool full,
                          bool *request_more)
{
    *request_more = false;
    if (h->state == HSYNC_FINAL) return HSYNC_ERR_FINISHED;
    if (count == 0) return HSYNC_OK;
    if (count > WIRE_MAX_HEADERS) return fail(h, HSYNC_ERR_TOO_MANY_HEADERS);
    if (h->state == HSYNC_PRESYNC) return feed_presync(h, hdrs, count, full, request_more);
    return feed_redownload(h, hdrs, count, full, request_more);
}

size_t hsync_pop(struct hsync *h, struct wire_header *out, size_t max)
{
    if (!h->ring || h->end == HSYNC_END_FAILED) return 0;
    size_t n = 0;
    while (n < max && (h->ring_len > HSYNC_REDOWNLOAD_BUFFER || (h->process_all && h->ring_len > 0))) {
        const uint8_t *slot = h->ring + h->ring_head * HSYNC_COMPRESSED_SIZE;
        uint8_t raw[80];
        memcpy(raw, slot, 4);
        memcpy(raw + 4, h->rd_first_prev, 32);
        memcpy(raw + 36, slot + 4, HSYNC_COMPRESSED_SIZE - 4);
        wire_header_parse(raw, &out[n++]);
        sha256d(raw, 80, h->rd_first_prev);
        h->ring_head = (h->ring_head + 1) % HSYNC_RING_LEN;
        h->ring_len--;
    }
    return n;
}

const uint8_t *hsync_locator_head(const struct hsync *h)
{
    return h->state == HSYNC_REDOWNLOAD ? h->rd_last_hash : h->last_hash;
}

enum hsync_state hsync_state(const struct hsync *h)
{
    return h->state;
}

enum hsync_end hsync_end(const struct hsync *h)
{
    return h->end;
}

enum hsync_err hsync_error(const struct hsync *h)
{
    return h->err;
}

const struct hsync_start *hsync_start_of(const struct hsync *h)
{
    return &h->start;
}

int32_t hsync_presync_height(const struct hsync *h)
{
    return h->height;
}

const struct u256 *hsync_presync_work(const struct hsync *h)
{
    return &h->work;
}

uint32_t hsync_presync_time(const struct hsync *h)
{
    return h->last_time;
}

int32_t hsync_redownload_height(const struct hsync *h)
{
    return h->ring ? h->rd_height : h->start.height;
}

size_t hsync_commitments(const struct hsync *h)
{
    return (size_t)(h->n_bits - h->read_bits);
}

uint64_t hsync_commitment_limit(const struct hsync *h)
{
    return h->max_commitments;
}

size_t hsync_memory(const struct hsync *h)
{
    return h->bits_cap + (h->ring ? (size_t)HSYNC_RING_LEN * HSYNC_COMPRESSED_SIZE : 0);
}
