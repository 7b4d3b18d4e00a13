/* BIP324 x-only ECDH: decode the peer's ElligatorSwift bytes to an x, lift
 * it to a point, multiply by our private key inside libsecp256k1, and bind
 * the result to both public encodings with a tagged hash.
 *
 * Which of the two points with that x is lifted does not matter: the x of
 * d*P and d*(-P) is the same. */
#include <btcpeerd/bip324_crypto.h>
#include <btcpeerd/random.h>

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <string.h>

static const char ECDH_TAG[] = "bip324_ellswift_xonly_ecdh";

/* libsecp256k1's default ECDH hashes the compressed point; BIP324 wants
 * the bare x, hashed later together with both encodings. */
static int ecdh_copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *y32,
                       void *data)
{
    (void)y32;
    (void)data;
    memcpy(output, x32, 32);
    return 1;
}

static secp256k1_context *new_context(void)
{
    uint8_t seed[32];
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) return NULL;
    random_bytes(seed, sizeof seed);
    if (!secp256k1_context_randomize(ctx, seed)) {
        secp256k1_context_destroy(ctx);
        ctx = NULL;
    }
    OPENSSL_cleanse(seed, sizeof seed);
    return ctx;
}

static bip324_err xdh(secp256k1_context *ctx, const uint8_t priv32[32],
                      const uint8_t their_ell64[BIP324_ELLSWIFT_LEN], uint8_t x32[32])
{
    uint8_t ser[33];
    secp256k1_pubkey pub;
    bip324_err err = ellswift_decode(their_ell64, ser + 1);
    if (err != BIP324_OK) return err;
    ser[0] = 0x02;
    /* Decoding always yields an x on the curve, so parsing fails only if
     * the arithmetic above is wrong. */
    if (!secp256k1_ec_pubkey_parse(ctx, &pub, ser, sizeof ser)) return BIP324_ERR_LIBRARY;
    if (!secp256k1_ecdh(ctx, x32, &pub, priv32, ecdh_copy_x, NULL)) return BIP324_ERR_BAD_INPUT;
    return BIP324_OK;
}

bip324_err ellswift_xdh(const uint8_t priv32[32], const uint8_t their_ell64[BIP324_ELLSWIFT_LEN],
                        uint8_t x32[32])
{
    secp256k1_context *ctx = new_context();
    if (!ctx) return BIP324_ERR_LIBRARY;
    bip324_err err = xdh(ctx, priv32, their_ell64, x32);
    secp256k1_context_destroy(ctx);
    return err;
}

bip324_err bip324_ecdh(const uint8_t priv32[32], const uint8_t our_ell64[BIP324_ELLSWIFT_LEN],
                       const uint8_t their_ell64[BIP324_ELLSWIFT_LEN], bool initiating,
                       uint8_t secret32[32])
{
    uint8_t msg[2 * BIP324_ELLSWIFT_LEN + 32];
    bip324_err err = BIP324_ERR_LIBRARY;
    secp256k1_context *ctx = new_context();
    if (!ctx) goto out;
    err = xdh(ctx, priv32, their_ell64, msg + 2 * BIP324_ELLSWIFT_LEN);
    if (err != BIP324_OK) goto out;
    /* Initiator's encoding first on both sides, so both hash the same
     * bytes. */
    memcpy(msg, initiating ? our_ell64 : their_ell64, BIP324_ELLSWIFT_LEN);
    memcpy(msg + BIP324_ELLSWIFT_LEN, initiating ? their_ell64 : our_ell64, BIP324_ELLSWIFT_LEN);
    if (!secp256k1_tagged_sha256(ctx, secret32, (const unsigned char *)ECDH_TAG,
                                 sizeof ECDH_TAG - 1, msg, sizeof msg)) {
        err = BIP324_ERR_LIBRARY;
        goto out;
    }
    err = BIP324_OK;
out:
    if (ctx) secp256k1_context_destroy(ctx);
    OPENSSL_cleanse(msg, sizeof msg);
    if (err != BIP324_OK) OPENSSL_cleanse(secret32, 32);
    return err;
}
