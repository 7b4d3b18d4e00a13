/* ElligatorSwift for BIP324: XSwiftEC (64 bytes to an x coordinate), its
 * inverse, and encoding a public key as 64 bytes that look uniformly
 * random on the wire.
 *
 * libsecp256k1 0.2.0 (Debian 12) has no ellswift module, so the field
 * arithmetic runs on OpenSSL BIGNUMs. That is variable-time, which is
 * acceptable here: decoding handles public data, and encoding only touches
 * the public key's x (the private key stays inside libsecp256k1). Square
 * roots are computed as a^((p+1)/4), the root the BIP's reference picks,
 * because the inverse vectors pin which of the two roots is returned. */
#include <btcpeerd/bip324_crypto.h>
#include <btcpeerd/random.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <secp256k1.h>
#include <string.h>

const char *bip324_err_str(bip324_err err)
{
    switch (err) {
    case BIP324_OK: return "ok";
    case BIP324_ERR_NO_RESULT: return "no result";
    case BIP324_ERR_BAD_INPUT: return "bad input";
    case BIP324_ERR_AUTH: return "authentication failed";
    case BIP324_ERR_TOO_LONG: return "too long";
    case BIP324_ERR_LIBRARY: return "library failure";
    }
    return "unknown";
}

static const uint8_t FIELD_P[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xfc, 0x2f,
};

/* Field context. Every operation is a no-op once `failed` is set, so a
 * formula reads as a formula and is checked once at the end instead of
 * after every BN_ call. */
struct fe {
    BN_CTX *bn;
    BIGNUM *p;
    BIGNUM *sqrt_exp;  /* (p + 1) / 4 */
    BIGNUM *c;         /* sqrt(-3) */
    bool failed;
};

static BIGNUM *fe_new(struct fe *f)
{
    if (f->failed) return NULL;
    BIGNUM *r = BN_CTX_get(f->bn);
    if (!r) f->failed = true;
    return r;
}

static void fe_check(struct fe *f, int ok)
{
    if (!ok) f->failed = true;
}

static void fe_set_word(struct fe *f, BIGNUM *r, unsigned long w)
{
    if (!f->failed) fe_check(f, BN_set_word(r, w));
}

static void fe_copy(struct fe *f, BIGNUM *r, const BIGNUM *a)
{
    if (!f->failed) fe_check(f, BN_copy(r, a) != NULL);
}

static void fe_add(struct fe *f, BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    if (!f->failed) fe_check(f, BN_mod_add(r, a, b, f->p, f->bn));
}

static void fe_sub(struct fe *f, BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    if (!f->failed) fe_check(f, BN_mod_sub(r, a, b, f->p, f->bn));
}

static void fe_mul(struct fe *f, BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    if (!f->failed) fe_check(f, BN_mod_mul(r, a, b, f->p, f->bn));
}

static void fe_sqr(struct fe *f, BIGNUM *r, const BIGNUM *a)
{
    if (!f->failed) fe_check(f, BN_mod_sqr(r, a, f->p, f->bn));
}

static void fe_neg(struct fe *f, BIGNUM *r, const BIGNUM *a)
{
    if (f->failed) return;
    if (BN_is_zero(a)) {
        BN_zero(r);
        return;
    }
    fe_check(f, BN_sub(r, f->p, a));
}

/* r = a / b; b must be nonzero (callers prove or check it). */
static void fe_div(struct fe *f, BIGNUM *r, const BIGNUM *a, const BIGNUM *b)
{
    if (f->failed) return;
    BN_CTX_start(f->bn);
    BIGNUM *inv = BN_CTX_get(f->bn);
    if (!inv || BN_is_zero(b) || !BN_mod_inverse(inv, b, f->p, f->bn) ||
        !BN_mod_mul(r, a, inv, f->p, f->bn))
        f->failed = true;
    BN_CTX_end(f->bn);
}

/* r = a / 2: (a + p) / 2 when a is odd keeps it exact and below p. */
static void fe_half(struct fe *f, BIGNUM *r, const BIGNUM *a)
{
    if (f->failed) return;
    if (BN_is_odd(a)) {
        fe_check(f, BN_add(r, a, f->p));
        if (!f->failed) fe_check(f, BN_rshift1(r, r));
    } else {
        fe_check(f, BN_rshift1(r, a));
    }
}

/* r = a^((p+1)/4); true if that squares back to a. r is written either way. */
static bool fe_sqrt(struct fe *f, BIGNUM *r, const BIGNUM *a)
{
    if (f->failed) return false;
    bool ok = false;
    BN_CTX_start(f->bn);
    BIGNUM *check = BN_CTX_get(f->bn);
    if (!check || !BN_mod_exp(r, a, f->sqrt_exp, f->p, f->bn) ||
        !BN_mod_sqr(check, r, f->p, f->bn)) {
        f->failed = true;
    } else {
        ok = BN_cmp(check, a) == 0;
    }
    BN_CTX_end(f->bn);
    return ok;
}

/* Whether x^3 + 7 is a square, i.e. x is the x of a curve point. */
static bool fe_valid_x(struct fe *f, const BIGNUM *x)
{
    if (f->failed) return false;
    bool ok = false;
    BN_CTX_start(f->bn);
    BIGNUM *g = BN_CTX_get(f->bn);
    if (!g || !BN_mod_sqr(g, x, f->p, f->bn) || !BN_mod_mul(g, g, x, f->p, f->bn) ||
        !BN_add_word(g, 7) || !BN_nnmod(g, g, f->p, f->bn)) {
        f->failed = true;
    } else {
        int k = BN_kronecker(g, f->p, f->bn);
        if (k == -2) f->failed = true;
        ok = k >= 0;
    }
    BN_CTX_end(f->bn);
    return ok;
}

/* 32 big-endian bytes to a field element, reduced mod p. */
static void fe_from_bytes(struct fe *f, BIGNUM *r, const uint8_t b[32])
{
    if (f->failed) return;
    fe_check(f, BN_bin2bn(b, 32, r) != NULL);
    if (!f->failed) fe_check(f, BN_nnmod(r, r, f->p, f->bn));
}

static void fe_to_bytes(struct fe *f, const BIGNUM *a, uint8_t b[32])
{
    if (!f->failed) fe_check(f, BN_bn2binpad(a, b, 32) == 32);
}

static bool fe_below_p(const uint8_t b[32])
{
    return memcmp(b, FIELD_P, 32) < 0;
}

static void fe_free(struct fe *f)
{
    if (f->bn) {
        BN_CTX_end(f->bn);
        BN_CTX_free(f->bn);
    }
    f->bn = NULL;
}

static bool fe_init(struct fe *f)
{
    memset(f, 0, sizeof *f);
    f->bn = BN_CTX_new();
    if (!f->bn) return false;
    BN_CTX_start(f->bn);
    f->p = fe_new(f);
    f->sqrt_exp = fe_new(f);
    f->c = fe_new(f);
    if (f->failed) return false;
    fe_check(f, BN_bin2bn(FIELD_P, 32, f->p) != NULL);
    if (f->failed) return false;
    fe_check(f, BN_copy(f->sqrt_exp, f->p) && BN_add_word(f->sqrt_exp, 1) &&
                    BN_rshift(f->sqrt_exp, f->sqrt_exp, 2));
    BIGNUM *m3 = fe_new(f);
    fe_set_word(f, m3, 3);
    fe_neg(f, m3, m3);
    /* -3 is a square mod p (p = 1 mod 3); the BIP fixes this root of it. */
    if (!fe_sqrt(f, f->c, m3)) f->failed = true;
    return !f->failed;
}

static bip324_err decode(struct fe *f, const uint8_t ell64[64], uint8_t x32[32])
{
    BIGNUM *u = fe_new(f), *t = fe_new(f), *g = fe_new(f), *t2 = fe_new(f);
    BIGNUM *X = fe_new(f), *Y = fe_new(f), *a = fe_new(f), *x = fe_new(f);
    fe_from_bytes(f, u, ell64);
    fe_from_bytes(f, t, ell64 + 32);
    if (f->failed) return BIP324_ERR_LIBRARY;
    /* Zero would divide by zero below; the BIP maps it to one. */
    if (BN_is_zero(u)) fe_set_word(f, u, 1);
    if (BN_is_zero(t)) fe_set_word(f, t, 1);

    /* g = u^3 + 7 */
    fe_sqr(f, g, u);
    fe_mul(f, g, g, u);
    fe_set_word(f, a, 7);
    fe_add(f, g, g, a);
    /* Doubling t keeps X + t nonzero, so Y is invertible below. */
    fe_sqr(f, t2, t);
    fe_add(f, a, g, t2);
    if (!f->failed && BN_is_zero(a)) {
        fe_add(f, t, t, t);
        fe_sqr(f, t2, t);
    }
    /* X = (u^3 + 7 - t^2) / (2t); Y = (X + t) / (sqrt(-3) u) */
    fe_sub(f, a, g, t2);
    fe_add(f, Y, t, t);
    fe_div(f, X, a, Y);
    fe_add(f, a, X, t);
    fe_mul(f, Y, f->c, u);
    fe_div(f, Y, a, Y);

    /* x1 = u + 4 Y^2 */
    fe_sqr(f, x, Y);
    fe_add(f, x, x, x);
    fe_add(f, x, x, x);
    fe_add(f, x, x, u);
    if (fe_valid_x(f, x)) goto found;
    /* x2 = (-X/Y - u) / 2 */
    fe_div(f, a, X, Y);
    fe_neg(f, x, a);
    fe_sub(f, x, x, u);
    fe_half(f, x, x);
    if (fe_valid_x(f, x)) goto found;
    /* x3 = (X/Y - u) / 2 */
    fe_sub(f, x, a, u);
    fe_half(f, x, x);
    if (fe_valid_x(f, x)) goto found;
    /* Unreachable in exact arithmetic: one of the three is always on the
     * curve. Only a library failure lands here. */
    return BIP324_ERR_LIBRARY;
found:
    fe_to_bytes(f, x, x32);
    return f->failed ? BIP324_ERR_LIBRARY : BIP324_OK;
}

bip324_err ellswift_decode(const uint8_t ell64[BIP324_ELLSWIFT_LEN], uint8_t x32[32])
{
    struct fe f;
    bip324_err err = BIP324_ERR_LIBRARY;
    if (!fe_init(&f)) goto out;
    err = decode(&f, ell64, x32);
out:
    fe_free(&f);
    return err;
}

static bip324_err inverse(struct fe *f, const BIGNUM *u, const BIGNUM *x, unsigned c, uint8_t t32[32])
{
    BIGNUM *g = fe_new(f), *s = fe_new(f), *v = fe_new(f), *a = fe_new(f), *b = fe_new(f);
    BIGNUM *r = fe_new(f), *w = fe_new(f);
    if (f->failed) return BIP324_ERR_LIBRARY;

    /* g = u^3 + 7 */
    fe_sqr(f, g, u);
    fe_mul(f, g, g, u);
    fe_set_word(f, a, 7);
    fe_add(f, g, g, a);

    if ((c & 2) == 0) {
        /* Under x1/x2. If -x-u is on the curve, decoding would pick x3
         * first, so this t would not come back as x. */
        fe_add(f, a, x, u);
        fe_neg(f, a, a);
        if (fe_valid_x(f, a)) return BIP324_ERR_NO_RESULT;
        if (c & 1)
            fe_copy(f, v, a);
        else
            fe_copy(f, v, x);
        /* s = -(u^3 + 7) / (u^2 + u v + v^2). The denominator vanishes only
         * when -x-u has the same x^3 as x, which the check above excluded
         * for an x on the curve; test it anyway, x is the caller's. */
        fe_add(f, b, u, v);
        fe_mul(f, b, b, u);
        fe_sqr(f, a, v);
        fe_add(f, b, b, a);
        if (!f->failed && BN_is_zero(b)) return BIP324_ERR_NO_RESULT;
        fe_neg(f, a, g);
        fe_div(f, s, a, b);
    } else {
        /* Under x3. */
        fe_sub(f, s, x, u);
        if (!f->failed && BN_is_zero(s)) return BIP324_ERR_NO_RESULT;
        /* r = sqrt(-s (4 (u^3 + 7) + 3 s u^2)) */
        fe_sqr(f, a, u);
        fe_mul(f, a, a, s);
        fe_add(f, b, a, a);
        fe_add(f, a, a, b);
        fe_add(f, b, g, g);
        fe_add(f, b, b, b);
        fe_add(f, a, a, b);
        fe_mul(f, a, a, s);
        fe_neg(f, a, a);
        if (!fe_sqrt(f, r, a)) return f->failed ? BIP324_ERR_LIBRARY : BIP324_ERR_NO_RESULT;
        if (c & 1) {
            /* r = 0 gives the same t as case & 1 == 0: skip the duplicate. */
            if (BN_is_zero(r)) return BIP324_ERR_NO_RESULT;
            fe_neg(f, r, r);
        }
        /* v = (r/s - u) / 2 */
        fe_div(f, v, r, s);
        fe_sub(f, v, v, u);
        fe_half(f, v, v);
    }
    if (!fe_sqrt(f, w, s)) return f->failed ? BIP324_ERR_LIBRARY : BIP324_ERR_NO_RESULT;
    if (c & 4) fe_neg(f, w, w);
    /* t = w (u (sqrt(-3) - 1) / 2 - v) */
    fe_set_word(f, a, 1);
    fe_sub(f, a, f->c, a);
    fe_half(f, a, a);
    fe_mul(f, a, a, u);
    fe_sub(f, a, a, v);
    fe_mul(f, a, a, w);
    fe_to_bytes(f, a, t32);
    return f->failed ? BIP324_ERR_LIBRARY : BIP324_OK;
}

static bip324_err inverse_bytes(struct fe *f, const uint8_t u32[32], const uint8_t x32[32],
                                unsigned c, uint8_t t32[32])
{
    if (c > 7 || !fe_below_p(u32) || !fe_below_p(x32)) return BIP324_ERR_BAD_INPUT;
    BIGNUM *u = fe_new(f), *x = fe_new(f);
    fe_from_bytes(f, u, u32);
    fe_from_bytes(f, x, x32);
    if (f->failed) return BIP324_ERR_LIBRARY;
    /* u = 0 decodes as u = 1, so no t could round-trip with it. */
    if (BN_is_zero(u)) return BIP324_ERR_BAD_INPUT;
    bool on_curve = fe_valid_x(f, x);
    if (f->failed) return BIP324_ERR_LIBRARY;
    if (!on_curve) return BIP324_ERR_BAD_INPUT;
    return inverse(f, u, x, c, t32);
}

bip324_err xswiftec_inv(const uint8_t u32[32], const uint8_t x32[32], unsigned c, uint8_t t32[32])
{
    struct fe f;
    bip324_err err = BIP324_ERR_LIBRARY;
    if (!fe_init(&f)) goto out;
    BN_CTX_start(f.bn);
    err = inverse_bytes(&f, u32, x32, c, t32);
    BN_CTX_end(f.bn);
out:
    fe_free(&f);
    return err;
}

/* x of priv32's public key, through libsecp256k1. */
static bip324_err pubkey_x(const uint8_t priv32[32], uint8_t x32[32])
{
    bip324_err err = BIP324_ERR_LIBRARY;
    uint8_t seed[32], ser[33];
    secp256k1_pubkey pub;
    size_t ser_len = sizeof ser;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) goto out;
    /* Blinding against side channels on the private key. */
    random_bytes(seed, sizeof seed);
    if (!secp256k1_context_randomize(ctx, seed)) goto out;
    if (!secp256k1_ec_pubkey_create(ctx, &pub, priv32)) {
        err = BIP324_ERR_BAD_INPUT;
        goto out;
    }
    if (!secp256k1_ec_pubkey_serialize(ctx, ser, &ser_len, &pub, SECP256K1_EC_COMPRESSED))
        goto out;
    memcpy(x32, ser + 1, 32);
    err = BIP324_OK;
out:
    if (ctx) secp256k1_context_destroy(ctx);
    OPENSSL_cleanse(seed, sizeof seed);
    return err;
}

bip324_err ellswift_create(const uint8_t priv32[32], uint8_t ell64[BIP324_ELLSWIFT_LEN])
{
    struct fe f;
    uint8_t x32[32], u32[32], t32[32], back[32];
    bip324_err err = pubkey_x(priv32, x32);
    if (err != BIP324_OK) return err;
    err = BIP324_ERR_LIBRARY;
    if (!fe_init(&f)) goto out;
    /* Roughly one random (u, case) in four has a t, so a streak of 1000
     * failures means the CSPRNG or the arithmetic is broken, not bad luck. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        random_bytes(u32, sizeof u32);
        unsigned c = (unsigned)random_range(8);
        BN_CTX_start(f.bn);
        bip324_err e = inverse_bytes(&f, u32, x32, c, t32);
        BN_CTX_end(f.bn);
        if (e == BIP324_ERR_NO_RESULT || e == BIP324_ERR_BAD_INPUT) continue; /* u >= p or 0 */
        if (e != BIP324_OK) goto out;
        memcpy(ell64, u32, 32);
        memcpy(ell64 + 32, t32, 32);
        /* t = 0 would decode as t = 1: keep only encodings that
         * demonstrably decode to our key. */
        BN_CTX_start(f.bn);
        e = decode(&f, ell64, back);
        BN_CTX_end(f.bn);
        if (e != BIP324_OK) goto out;
        if (memcmp(back, x32, 32) == 0) {
            err = BIP324_OK;
            goto out;
        }
    }
out:
    fe_free(&f);
    if (err != BIP324_OK) memset(ell64, 0, BIP324_ELLSWIFT_LEN);
    return err;
}

bip324_err ellswift_keygen(uint8_t priv32[32], uint8_t ell64[BIP324_ELLSWIFT_LEN])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) return BIP324_ERR_LIBRARY;
    /* Out-of-range scalars have probability ~2^-128; retry rather than bias. */
    do {
        random_bytes(priv32, 32);
    } while (!secp256k1_ec_seckey_verify(ctx, priv32));
    secp256k1_context_destroy(ctx);
    bip324_err err = ellswift_create(priv32, ell64);
    if (err != BIP324_OK) OPENSSL_cleanse(priv32, 32);
    return err;
}
