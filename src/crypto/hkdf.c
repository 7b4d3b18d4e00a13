/* The BIP324 key schedule: HKDF-SHA256 (RFC 5869) through OpenSSL's
 * EVP_KDF, salted with "bitcoin_v2_shared_secret" and the network magic so
 * that the same ECDH secret gives unrelated keys on different networks.
 *
 * The pseudorandom key is extracted once and each label expanded from it:
 * the same bytes as six full HKDF calls, with one extraction instead of
 * six. */
#include <btcpeerd/bip324_crypto.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>

static const char SALT_PREFIX[] = "bitcoin_v2_shared_secret";

static EVP_KDF_CTX *hkdf_ctx(void)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf) return NULL;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf); /* the context holds its own reference */
    return kctx;
}

/* One EVP_KDF_derive in the given mode; salt or info may be NULL when the
 * mode does not use them. */
static bool hkdf_run(EVP_KDF_CTX *kctx, int mode, const uint8_t *key, size_t key_len,
                     const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len,
                     uint8_t *out, size_t out_len)
{
    OSSL_PARAM params[6];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (salt)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                        salt_len);
    if (info)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                        info_len);
    params[n] = OSSL_PARAM_construct_end();
    return EVP_KDF_derive(kctx, out, out_len, params) == 1;
}

bip324_err hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    /* OpenSSL rejects an absent key; RFC 5869 allows empty inputs. */
    static const uint8_t empty[1] = {0};
    EVP_KDF_CTX *kctx = hkdf_ctx();
    if (!kctx) return BIP324_ERR_LIBRARY;
    bool ok = hkdf_run(kctx, EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm ? ikm : empty, ikm_len,
                       salt ? salt : empty, salt_len, info ? info : empty, info_len, out,
                       out_len);
    EVP_KDF_CTX_free(kctx);
    return ok ? BIP324_OK : BIP324_ERR_LIBRARY;
}

bip324_err bip324_derive_keys(const uint8_t secret32[32], const uint8_t magic[4],
                              struct bip324_keys *keys)
{
    static const struct {
        const char *label;
        size_t offset;
    } outputs[] = {
        {"initiator_L", offsetof(struct bip324_keys, initiator_l)},
        {"initiator_P", offsetof(struct bip324_keys, initiator_p)},
        {"responder_L", offsetof(struct bip324_keys, responder_l)},
        {"responder_P", offsetof(struct bip324_keys, responder_p)},
        /* One 32-byte output split in two: the initiator's then the
         * responder's terminator, adjacent in the struct. */
        {"garbage_terminators", offsetof(struct bip324_keys, initiator_garbage_terminator)},
        {"session_id", offsetof(struct bip324_keys, session_id)},
    };
    _Static_assert(offsetof(struct bip324_keys, responder_garbage_terminator) ==
                       offsetof(struct bip324_keys, initiator_garbage_terminator) +
                           BIP324_GARBAGE_TERMINATOR_LEN,
                   "garbage terminators must be adjacent");
    uint8_t salt[sizeof SALT_PREFIX - 1 + 4];
    uint8_t prk[32];
    bip324_err err = BIP324_ERR_LIBRARY;
    EVP_KDF_CTX *kctx = hkdf_ctx();
    if (!kctx) goto out;
    memcpy(salt, SALT_PREFIX, sizeof SALT_PREFIX - 1);
    memcpy(salt + sizeof SALT_PREFIX - 1, magic, 4);
    if (!hkdf_run(kctx, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, secret32, 32, salt, sizeof salt, NULL, 0,
                  prk, sizeof prk))
        goto out;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        if (!hkdf_run(kctx, EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, sizeof prk, NULL, 0,
                      (const uint8_t *)outputs[i].label, strlen(outputs[i].label),
                      (uint8_t *)keys + outputs[i].offset, 32))
            goto out;
    }
    err = BIP324_OK;
out:
    EVP_KDF_CTX_free(kctx);
    OPENSSL_cleanse(prk, sizeof prk);
    if (err != BIP324_OK) bip324_keys_wipe(keys);
    return err;
}

void bip324_keys_wipe(struct bip324_keys *keys)
{
    OPENSSL_cleanse(keys, sizeof *keys);
}
