/* ASMap decoding, sanity check and lookup (see include/btcpeerd/asmap.h),
 * written from the format's description: a program of variable-length
 * fields, each a run of "continue" bits picking a size class and then that
 * many value bits, most significant first. Every read is checked against
 * the end of the bits, so even a map that was never checked cannot make us
 * read past it. */
#include <btcpeerd/asmap.h>

#include <btcpeerd/buf.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/sha256.h>

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define INVALID 0xFFFFFFFFu

enum op { OP_RETURN = 0, OP_JUMP = 1, OP_MATCH = 2, OP_DEFAULT = 3 };

/* Size classes of each field (Core's TYPE/ASN/MATCH/JUMP_BIT_SIZES). */
static const uint8_t OP_SIZES[] = {0, 0, 1};
static const uint8_t ASN_SIZES[] = {15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
static const uint8_t MATCH_SIZES[] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t JUMP_SIZES[] = {5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                                     18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

struct asmap {
    uint8_t *bytes;
    size_t len;
    uint64_t nbits;
    uint8_t checksum[32];
};

/* A cursor over the bits of a file. */
struct bits {
    const uint8_t *data;
    uint64_t pos, end;
};

const char *asmap_err_str(enum asmap_err err)
{
    switch (err) {
    case ASMAP_OK: return "ok";
    case ASMAP_ERR_EMPTY: return "empty";
    case ASMAP_ERR_TOO_BIG: return "too-big";
    case ASMAP_ERR_INSANE: return "not-a-valid-asmap";
    case ASMAP_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

static unsigned bit_at(const uint8_t *data, uint64_t i)
{
    return (unsigned)(data[i >> 3] >> (i & 7)) & 1u; /* least significant bit first */
}

static bool next_bit(struct bits *b, unsigned *out)
{
    if (b->pos >= b->end) return false;
    *out = bit_at(b->data, b->pos++);
    return true;
}

/* One field: INVALID if it runs past the end or past its last class. The
 * largest value (a jump) stays below 2^31 + 2^30, so 64 bits never wrap. */
static uint32_t decode(struct bits *b, uint32_t minval, const uint8_t *sizes, size_t n_sizes)
{
    uint64_t val = minval;
    for (size_t k = 0; k < n_sizes; k++) {
        unsigned more = 0;
        if (k + 1 < n_sizes && !next_bit(b, &more)) return INVALID;
        if (more) {
            val += 1ull << sizes[k];
            continue;
        }
        for (unsigned i = 0; i < sizes[k]; i++) {
            unsigned bit;
            if (!next_bit(b, &bit)) return INVALID;
            val += (uint64_t)bit << (sizes[k] - 1 - i);
        }
        return val < INVALID ? (uint32_t)val : INVALID;
    }
    return INVALID;
}

static uint32_t decode_op(struct bits *b) { return decode(b, 0, OP_SIZES, sizeof OP_SIZES); }
static uint32_t decode_asn(struct bits *b) { return decode(b, 1, ASN_SIZES, sizeof ASN_SIZES); }
static uint32_t decode_match(struct bits *b) { return decode(b, 2, MATCH_SIZES, sizeof MATCH_SIZES); }
static uint32_t decode_jump(struct bits *b) { return decode(b, 17, JUMP_SIZES, sizeof JUMP_SIZES); }

/* A MATCH value is a 1 followed by the pattern: the pattern length is the
 * position of that leading 1. */
static unsigned match_len(uint32_t v)
{
    unsigned w = 0;
    while (v >> w) w++;
    return w - 1;
}

static unsigned ip_bit(const uint8_t ip[16], unsigned i)
{
    return (unsigned)(ip[i >> 3] >> (7 - (i & 7))) & 1u; /* most significant bit first */
}

/* Run the program over ip. A checked map always ends in a RETURN or a
 * failed MATCH; anything else (only an unchecked map can get there) is
 * "unmapped". */
static uint32_t interpret(const uint8_t *data, uint64_t nbits, const uint8_t ip[16])
{
    struct bits b = {.data = data, .pos = 0, .end = nbits};
    unsigned left = 128;
    uint32_t default_asn = 0;
    while (b.pos < b.end) {
        uint32_t op = decode_op(&b), v;
        switch (op) {
        case OP_RETURN:
            v = decode_asn(&b);
            return v == INVALID ? 0 : v;
        case OP_JUMP:
            v = decode_jump(&b);
            if (v == INVALID || left == 0 || v >= b.end - b.pos) return 0;
            if (ip_bit(ip, 128 - left)) b.pos += v;
            left--;
            break;
        case OP_MATCH: {
            v = decode_match(&b);
            if (v == INVALID) return 0;
            unsigned len = match_len(v);
            if (left < len) return 0;
            for (unsigned i = 0; i < len; i++) {
                if (ip_bit(ip, 128 - left) != ((v >> (len - 1 - i)) & 1u)) return default_asn;
                left--;
            }
            break;
        }
        case OP_DEFAULT:
            v = decode_asn(&b);
            if (v == INVALID) return 0;
            default_asn = v;
            break;
        default: return 0;
        }
    }
    return 0;
}

/* Pending jump targets of the check: at most one per input bit. */
struct target {
    uint64_t pos;
    unsigned left;
};

static bool sane(const uint8_t *data, uint64_t nbits)
{
    struct bits b = {.data = data, .pos = 0, .end = nbits};
    struct target jumps[128];
    size_t n_jumps = 0;
    unsigned left = 128;
    uint32_t prev = OP_JUMP;
    bool incomplete_match = false;
    while (b.pos != b.end) {
        /* an earlier jump landed inside the instruction before this one */
        if (n_jumps && b.pos >= jumps[n_jumps - 1].pos) return false;
        uint32_t op = decode_op(&b), v;
        switch (op) {
        case OP_RETURN:
            if (prev == OP_DEFAULT) return false; /* the DEFAULT could never be used */
            if (decode_asn(&b) == INVALID) return false;
            if (n_jumps == 0) {
                /* the end: only the zero padding of the last byte may follow */
                if (b.end - b.pos > 7) return false;
                for (unsigned bit; next_bit(&b, &bit);)
                    if (bit) return false;
                return true;
            }
            if (b.pos != jumps[n_jumps - 1].pos) return false; /* code no path reaches */
            left = jumps[--n_jumps].left;
            prev = OP_JUMP;
            break;
        case OP_JUMP:
            v = decode_jump(&b);
            if (v == INVALID || v > b.end - b.pos || left == 0) return false;
            left--;
            if (n_jumps && b.pos + v >= jumps[n_jumps - 1].pos) return false; /* jumps cross */
            if (n_jumps == sizeof jumps / sizeof jumps[0]) return false; /* cannot happen: left bounds it */
            jumps[n_jumps++] = (struct target){.pos = b.pos + v, .left = left};
            prev = OP_JUMP;
            break;
        case OP_MATCH: {
            v = decode_match(&b);
            if (v == INVALID) return false;
            unsigned len = match_len(v);
            if (prev != OP_MATCH) incomplete_match = false;
            /* two short MATCHes in a row should have been one */
            if (len < 8 && incomplete_match) return false;
            incomplete_match = len < 8;
            if (left < len) return false;
            left -= len;
            prev = OP_MATCH;
            break;
        }
        case OP_DEFAULT:
            if (prev == OP_DEFAULT) return false;
            if (decode_asn(&b) == INVALID) return false;
            prev = OP_DEFAULT;
            break;
        default: return false; /* the opcode runs past the end */
        }
    }
    return false; /* the end without a RETURN */
}

bool asmap_bytes_sane(const uint8_t *data, size_t len)
{
    if (len == 0 || len > ASMAP_MAX_BYTES) return false;
    return sane(data, (uint64_t)len * 8);
}

/* SHA-256d of CompactSize(nbits) and one byte per bit, a block at a time
 * (the bytes-per-bit form is 8 times the file). */
static bool checksum(const uint8_t *data, size_t len, uint8_t out[32])
{
    uint8_t first[32], head[9], expanded[8 * 256];
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    size_t hl = compact_size_encode((uint64_t)len * 8, head);
    ok = ok && EVP_DigestUpdate(ctx, head, hl) == 1;
    for (size_t at = 0; ok && at < len; at += 256) {
        size_t chunk = len - at < 256 ? len - at : 256;
        for (size_t i = 0; i < chunk * 8; i++) expanded[i] = (uint8_t)bit_at(data + at, i);
        ok = EVP_DigestUpdate(ctx, expanded, chunk * 8) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, first, &n) == 1 && n == 32;
    EVP_MD_CTX_free(ctx);
    if (ok) sha256(first, 32, out);
    return ok;
}

enum asmap_err asmap_new(const uint8_t *data, size_t len, struct asmap **out)
{
    *out = NULL;
    if (len == 0) return ASMAP_ERR_EMPTY;
    if (len > ASMAP_MAX_BYTES) return ASMAP_ERR_TOO_BIG;
    if (!asmap_bytes_sane(data, len)) return ASMAP_ERR_INSANE;
    struct asmap *m = calloc(1, sizeof *m);
    if (m) m->bytes = malloc(len);
    if (!m || !m->bytes || !checksum(data, len, m->checksum)) {
        asmap_free(m);
        return ASMAP_ERR_NOMEM;
    }
    memcpy(m->bytes, data, len);
    m->len = len;
    m->nbits = (uint64_t)len * 8;
    *out = m;
    return ASMAP_OK;
}

void asmap_free(struct asmap *m)
{
    if (!m) return;
    free(m->bytes);
    free(m);
}

uint32_t asmap_lookup(const struct asmap *m, const uint8_t ip[16])
{
    return interpret(m->bytes, m->nbits, ip);
}

size_t asmap_size(const struct asmap *m) { return m->len; }

void asmap_checksum(const struct asmap *m, uint8_t out[32]) { memcpy(out, m->checksum, 32); }

void asmap_checksum_hex(const struct asmap *m, char out[ASMAP_CHECKSUM_HEX_LEN + 1])
{
    hex_encode_rev(m->checksum, 32, out);
}
