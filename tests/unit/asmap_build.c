/* The test encoder of asmap_build.h. The trie is walked recursively: a
 * node with both sides used is a JUMP (the 1 side after the 0 side, the
 * jump skipping the 0 side's code), a chain of one-sided nodes is MATCHes
 * of at most 8 bits (the check allows one shorter MATCH per run), a leaf
 * is RETURN asn. A failed MATCH returns 0: unmapped. */
#include "asmap_build.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct bitvec {
    uint8_t *b; /* one byte per bit */
    size_t n, cap;
    bool oom;
};

static void put(struct bitvec *v, unsigned bit)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        uint8_t *p = realloc(v->b, cap);
        if (!p) {
            v->oom = true;
            return;
        }
        v->b = p;
        v->cap = cap;
    }
    v->b[v->n++] = (uint8_t)bit;
}

static void append(struct bitvec *v, const struct bitvec *w)
{
    for (size_t i = 0; i < w->n; i++) put(v, w->b[i]);
    if (w->oom) v->oom = true;
}

/* The inverse of the reader's decode: continue bits pick the class, then
 * the value bits, most significant first. */
static void encode(struct bitvec *v, uint64_t val, uint32_t minval, const uint8_t *sizes, size_t n)
{
    val -= minval;
    for (size_t k = 0; k < n; k++) {
        bool last = k + 1 == n;
        if (!last) {
            if (val >= (1ull << sizes[k])) {
                put(v, 1);
                val -= 1ull << sizes[k];
                continue;
            }
            put(v, 0);
        }
        for (unsigned i = 0; i < sizes[k]; i++) put(v, (unsigned)(val >> (sizes[k] - 1 - i)) & 1u);
        return;
    }
}

static const uint8_t OPS[] = {0, 0, 1};
static const uint8_t ASNS[] = {15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
static const uint8_t MATCHES[] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t JUMPS[] = {5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                                18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

static unsigned bit_of(const uint8_t ip[16], unsigned i) { return (unsigned)(ip[i / 8] >> (7 - i % 8)) & 1u; }

/* Code for the entries sel[0..n) below depth bits, all agreeing on the
 * first depth bits. */
static bool subtree(struct bitvec *out, const struct asmap_entry *e, const size_t *sel, size_t n,
                    unsigned depth)
{
    if (n == 1 && e[sel[0]].bits == depth) {
        encode(out, 0, 0, OPS, 3); /* RETURN */
        encode(out, e[sel[0]].asn, 1, ASNS, 10);
        return true;
    }
    size_t *zero = malloc(n * sizeof *zero), *one = malloc(n * sizeof *one), nz = 0, no = 0;
    bool ok = zero && one;
    for (size_t i = 0; ok && i < n; i++) {
        if (e[sel[i]].bits <= depth) ok = false; /* a prefix of another entry */
        else if (bit_of(e[sel[i]].ip, depth)) one[no++] = sel[i];
        else zero[nz++] = sel[i];
    }
    if (ok && nz && no) {
        struct bitvec left = {0};
        ok = subtree(&left, e, zero, nz, depth + 1);
        encode(out, 1, 0, OPS, 3); /* JUMP over the 0 side */
        encode(out, left.n, 17, JUMPS, 26);
        append(out, &left);
        free(left.b);
        ok = ok && subtree(out, e, one, no, depth + 1);
    } else if (ok) {
        /* one side only: MATCH the bits all entries share, up to 8 */
        const uint8_t *ip = e[sel[0]].ip;
        unsigned len = 0;
        uint32_t pattern = 1;
        for (; len < 8; len++) {
            unsigned d = depth + len, b = bit_of(ip, d);
            bool shared = true;
            for (size_t i = 0; i < n; i++)
                if (e[sel[i]].bits <= d || bit_of(e[sel[i]].ip, d) != b) shared = false;
            if (!shared) break;
            pattern = pattern << 1 | b;
        }
        encode(out, 2, 0, OPS, 3); /* MATCH */
        encode(out, pattern, 2, MATCHES, 8);
        ok = subtree(out, e, sel, n, depth + len);
    }
    free(zero);
    free(one);
    return ok && !out->oom;
}

struct asmap_entry asmap_entry_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, unsigned bits,
                                  uint32_t asn)
{
    struct asmap_entry e = {.bits = 96 + bits, .asn = asn};
    e.ip[10] = e.ip[11] = 0xff;
    e.ip[12] = a;
    e.ip[13] = b;
    e.ip[14] = c;
    e.ip[15] = d;
    return e;
}

uint8_t *asmap_build(const struct asmap_entry *e, size_t n, size_t *len)
{
    struct bitvec v = {0};
    size_t *sel = malloc((n ? n : 1) * sizeof *sel);
    uint8_t *out = NULL;
    if (!sel || n == 0) goto done;
    for (size_t i = 0; i < n; i++) sel[i] = i;
    if (!subtree(&v, e, sel, n, 0)) goto done;
    *len = (v.n + 7) / 8;
    out = calloc(*len, 1);
    for (size_t i = 0; out && i < v.n; i++) out[i / 8] |= (uint8_t)(v.b[i] << (i % 8));
done:
    free(sel);
    free(v.b);
    return out;
}
