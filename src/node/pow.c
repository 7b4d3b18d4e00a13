/* Proof of work on 8×32-bit integers: Core's compact encoding, block proof
 * and retarget rules, word for word where consensus depends on the exact
 * rounding (GetCompact truncates, the division is floor). Nothing here
 * allocates: it runs once per header during sync. */
#include <btcpeerd/pow.h>

#include <btcpeerd/buf.h>

#include <string.h>

#define W 8 /* words in a u256 */

bool u256_is_zero(const struct u256 *a)
{
    uint32_t acc = 0;
    for (int i = 0; i < W; i++) acc |= a->w[i];
    return acc == 0;
}

void u256_sub(struct u256 *r, const struct u256 *a, const struct u256 *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < W; i++) {
        uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
        r->w[i] = (uint32_t)d;
        borrow = (d >> 32) & 1u;
    }
}

void u256_from_le(struct u256 *r, const uint8_t le[32])
{
    for (int i = 0; i < W; i++) r->w[i] = le32_read(le + 4 * i);
}

void u256_from_be(struct u256 *r, const uint8_t be[32])
{
    for (int i = 0; i < W; i++) {
        const uint8_t *p = be + 28 - 4 * i;
        r->w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
}

void u256_to_hex(const struct u256 *a, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 64; i++) {
        unsigned nibble = (a->w[7 - i / 8] >> (28 - 4 * (i % 8))) & 0xfu;
        out[i] = digits[nibble];
    }
    out[64] = '\0';
}

/* Number of significant bits (0 for zero). Binary search on the top word:
 * the min-difficulty rule computes the limit's compact form per header. */
static unsigned u256_bits(const struct u256 *a)
{
    for (int i = W - 1; i >= 0; i--) {
        uint32_t v = a->w[i];
        if (!v) continue;
        unsigned n = 1;
        if (v >> 16) { n += 16; v >>= 16; }
        if (v >> 8) { n += 8; v >>= 8; }
        if (v >> 4) { n += 4; v >>= 4; }
        if (v >> 2) { n += 2; v >>= 2; }
        if (v >> 1) n += 1;
        return (unsigned)i * 32 + n;
    }
    return 0;
}

/* Shifts drop bits that leave the 256-bit range, as base_uint's do. */
static void u256_shl(struct u256 *r, const struct u256 *a, unsigned shift)
{
    struct u256 t = {{0}};
    unsigned words = shift / 32, bits = shift % 32;
    for (int i = W - 1; i >= 0; i--) {
        if ((unsigned)i < words) break;
        unsigned src = (unsigned)i - words;
        uint32_t v = a->w[src] << bits;
        if (bits && src > 0) v |= a->w[src - 1] >> (32 - bits);
        t.w[i] = v;
    }
    *r = t;
}

static void u256_shr(struct u256 *r, const struct u256 *a, unsigned shift)
{
    struct u256 t = {{0}};
    unsigned words = shift / 32, bits = shift % 32;
    for (unsigned i = 0; i + words < W; i++) {
        unsigned src = i + words;
        uint32_t v = a->w[src] >> bits;
        if (bits && src + 1 < W) v |= a->w[src + 1] << (32 - bits);
        t.w[i] = v;
    }
    *r = t;
}

/* Floor division by shift and subtract (base_uint::operator/=); div != 0. */
static void u256_div(struct u256 *q, const struct u256 *num_in, const struct u256 *div_in)
{
    struct u256 num = *num_in, div;
    struct u256 quot = {{0}};
    unsigned num_bits = u256_bits(&num), div_bits = u256_bits(div_in);
    if (div_bits == 0 || div_bits > num_bits) {
        *q = quot;
        return;
    }
    int shift = (int)(num_bits - div_bits);
    u256_shl(&div, div_in, (unsigned)shift);
    while (shift >= 0) {
        if (u256_cmp(&num, &div) >= 0) {
            u256_sub(&num, &num, &div);
            quot.w[shift / 32] |= 1u << (shift & 31);
        }
        u256_shr(&div, &div, 1);
        shift--;
    }
    *q = quot;
}

const char *pow_err_str(enum pow_err err)
{
    switch (err) {
    case POW_OK: return "ok";
    case POW_ERR_NEGATIVE: return "negative target";
    case POW_ERR_OVERFLOW: return "target overflows 256 bits";
    case POW_ERR_ZERO: return "zero target";
    case POW_ERR_ABOVE_LIMIT: return "target above pow limit";
    case POW_ERR_HIGH_HASH: return "hash above target";
    }
    return "unknown";
}

void pow_set_compact(struct u256 *out, uint32_t bits, bool *negative, bool *overflow)
{
    unsigned size = bits >> 24;
    uint32_t word = bits & 0x007fffffu;
    memset(out, 0, sizeof *out);
    if (size <= 3) {
        word >>= 8 * (3 - size);
        out->w[0] = word;
    } else {
        /* word << 8 * (size - 3), dropping what passes bit 255. */
        unsigned shift = 8 * (size - 3), idx = shift / 32, bit = shift % 32;
        if (idx < W) out->w[idx] = word << bit;
        if (bit && idx + 1 < W) out->w[idx + 1] = word >> (32 - bit);
    }
    if (negative) *negative = word != 0 && (bits & 0x00800000u) != 0;
    if (overflow)
        *overflow = word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
}

uint32_t pow_get_compact(const struct u256 *v, bool negative)
{
    unsigned size = (u256_bits(v) + 7) / 8;
    uint32_t compact;
    if (size <= 3) {
        compact = v->w[0] << 8 * (3 - size);
    } else {
        struct u256 t;
        u256_shr(&t, v, 8 * (size - 3));
        compact = t.w[0];
    }
    /* A set 0x00800000 bit would read as the sign: move to a longer form. */
    if (compact & 0x00800000u) {
        compact >>= 8;
        size++;
    }
    compact |= (uint32_t)size << 24;
    if (negative && (compact & 0x007fffffu)) compact |= 0x00800000u;
    return compact;
}

void pow_limit(const struct netparams *np, struct u256 *limit)
{
    u256_from_be(limit, np->pow_limit);
}

uint32_t pow_limit_bits(const struct netparams *np)
{
    struct u256 limit;
    pow_limit(np, &limit);
    return pow_get_compact(&limit, false);
}

enum pow_err pow_target_from_bits(const struct netparams *np, uint32_t bits, struct u256 *target)
{
    bool neg, ovf;
    pow_set_compact(target, bits, &neg, &ovf);
    if (neg) return POW_ERR_NEGATIVE;
    if (ovf) return POW_ERR_OVERFLOW;
    if (u256_is_zero(target)) return POW_ERR_ZERO;
    struct u256 limit;
    pow_limit(np, &limit);
    if (u256_cmp(target, &limit) > 0) return POW_ERR_ABOVE_LIMIT;
    return POW_OK;
}

bool pow_hash_meets_target(const uint8_t hash[32], const struct u256 *target)
{
    /* Most hashes are decided by the top word, so compare word by word
     * straight from the bytes instead of converting all eight first. */
    for (int i = W - 1; i >= 0; i--) {
        uint32_t h = le32_read(hash + 4 * i);
        if (h != target->w[i]) return h < target->w[i];
    }
    return true;
}

enum pow_err pow_check(const struct netparams *np, const uint8_t hash[32], uint32_t bits)
{
    struct u256 target;
    enum pow_err err = pow_target_from_bits(np, bits, &target);
    if (err != POW_OK) return err;
    return pow_hash_meets_target(hash, &target) ? POW_OK : POW_ERR_HIGH_HASH;
}

void pow_block_proof(const struct u256 *target, struct u256 *work)
{
    if (u256_is_zero(target)) {
        memset(work, 0, sizeof *work);
        return;
    }
    /* 2^256 does not fit, so Core computes ~target / (target + 1) + 1,
     * which equals 2^256 / (target + 1) for every target. */
    struct u256 inv, plus1, one = {{1}};
    for (int i = 0; i < W; i++) inv.w[i] = ~target->w[i];
    u256_add(&plus1, target, &one);
    if (u256_is_zero(&plus1)) { /* target = 2^256 - 1: exactly one hash */
        *work = one;
        return;
    }
    u256_div(work, &inv, &plus1);
    u256_add(work, work, &one);
}

uint32_t pow_retarget(const struct netparams *np, uint32_t base_bits, int64_t first_time,
                      int64_t last_time)
{
    if (np->pow_no_retargeting) return base_bits;
    int64_t span = last_time - first_time;
    const int64_t timespan = np->pow_target_timespan;
    if (span < timespan / 4) span = timespan / 4;
    if (span > timespan * 4) span = timespan * 4;

    struct u256 base;
    pow_set_compact(&base, base_bits, NULL, NULL);
    /* base * span in nine words, then floor-divide by the timespan from the
     * top word down. span and timespan are below 2^32 (4 × two weeks), so
     * each step fits 64 bits. */
    uint32_t prod[W + 1];
    uint64_t carry = 0;
    for (int i = 0; i < W; i++) {
        uint64_t t = (uint64_t)base.w[i] * (uint64_t)span + carry;
        prod[i] = (uint32_t)t;
        carry = t >> 32;
    }
    prod[W] = (uint32_t)carry;
    const uint64_t d = (uint64_t)timespan;
    uint64_t rem = 0;
    for (int i = W; i >= 0; i--) {
        uint64_t cur = rem << 32 | prod[i];
        prod[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    struct u256 limit, next;
    pow_limit(np, &limit);
    memcpy(next.w, prod, sizeof next.w);
    if (prod[W] || u256_cmp(&next, &limit) > 0) next = limit;
    return pow_get_compact(&next, false);
}

bool pow_next_bits(const struct netparams *np, const struct pow_block *last, uint32_t new_time,
                   pow_ancestor_fn ancestor, void *ctx, struct pow_walk_cache *cache,
                   uint32_t *bits)
{
    const int32_t interval = netparams_retarget_interval(np);

    if ((last->height + 1) % interval != 0) {
        if (!np->pow_allow_min_difficulty) {
            *bits = last->bits;
            return true;
        }
        const uint32_t limit_bits = pow_limit_bits(np);
        /* Testnet: a header more than two spacings after its parent may use
         * the easiest target. */
        if ((int64_t)new_time > (int64_t)last->time + np->pow_target_spacing * 2) {
            *bits = limit_bits;
            return true;
        }
        /* Otherwise the last nBits that was not such an exception: walk back
         * over min-difficulty headers, stopping at a period's first header
         * or at genesis (Core's walk, whose stop at the boundary is what let
         * testnet3's block storms carry the limit into the next period). */
        struct pow_block cur = *last;
        uint32_t found;
        for (;;) {
            if (cache && cur.id && cache->id == cur.id) {
                found = cache->bits;
                break;
            }
            if (cur.height <= 0 || cur.height % interval == 0 || cur.bits != limit_bits) {
                found = cur.bits;
                break;
            }
            if (!ancestor(ctx, cur.height - 1, &cur)) return false;
        }
        if (cache && last->id) {
            cache->id = last->id;
            cache->bits = found;
        }
        *bits = found;
        return true;
    }

    /* Core's off-by-one, kept for consensus: the period is measured from
     * height - 2015, so each retarget spans 2,015 intervals. */
    struct pow_block first;
    if (last->height - (interval - 1) < 0) return false;
    if (!ancestor(ctx, last->height - (interval - 1), &first)) return false;
    /* BIP94 scales the period's first nBits, which the min-difficulty
     * exception can never lower, instead of its last. */
    uint32_t base = np->enforce_bip94 ? first.bits : last->bits;
    *bits = pow_retarget(np, base, (int64_t)first.time, (int64_t)last->time);
    return true;
}
