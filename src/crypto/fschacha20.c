/* BIP324's forward-secure ciphers on OpenSSL EVP: FSChaCha20 encrypts the
 * 3-byte length fields as one continuous ChaCha20 keystream, and
 * FSChaCha20Poly1305 is RFC 8439 AEAD with a counter nonce. Both replace
 * their key every BIP324_REKEY_INTERVAL chunks/packets, so a key stolen
 * later does not decrypt traffic from before the last rekey.
 *
 * The states are plain structs holding the key, not EVP contexts: a packet
 * costs one context setup either way (the nonce changes per packet), and a
 * struct needs no free and copies safely. */
#include <btcpeerd/bip324_crypto.h>

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* OpenSSL's "ChaCha20" takes a 16-byte IV: the 32-bit block counter (LE)
 * followed by the RFC 8439 96-bit nonce. */
static void chacha_iv(uint8_t iv[16], uint32_t block, uint32_t nonce_lo, uint64_t nonce_hi)
{
    put_le32(iv, block);
    put_le32(iv + 4, nonce_lo);
    put_le64(iv + 8, nonce_hi);
}

/* len bytes of raw ChaCha20 keystream starting at the IV's block. */
static bool chacha20_keystream(const uint8_t key[32], const uint8_t iv[16], uint8_t *out,
                               size_t len)
{
    static const uint8_t zeros[64] = {0};
    bool ok = false;
    int outl = 0;
    if (len > sizeof zeros) return false;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) goto out;
    if (EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv) != 1) goto out;
    if (EVP_EncryptUpdate(ctx, out, &outl, zeros, (int)len) != 1 || outl != (int)len) goto out;
    ok = true;
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

void fschacha20_init(struct fschacha20 *c, const uint8_t key[BIP324_KEY_LEN])
{
    memset(c, 0, sizeof *c);
    memcpy(c->key, key, BIP324_KEY_LEN);
    c->block_used = sizeof c->block;
}

/* The next len keystream bytes, generating blocks as the buffer runs dry. */
static bip324_err fschacha20_take(struct fschacha20 *c, uint8_t *ks, size_t len)
{
    uint8_t iv[16];
    while (len > 0) {
        if (c->block_used == sizeof c->block) {
            /* Past 2^32 blocks in one epoch the counter would wrap and
             * repeat keystream. */
            if (c->block_counter > UINT32_MAX) return BIP324_ERR_TOO_LONG;
            chacha_iv(iv, (uint32_t)c->block_counter, 0, c->rekey_counter);
            if (!chacha20_keystream(c->key, iv, c->block, sizeof c->block))
                return BIP324_ERR_LIBRARY;
            c->block_counter++;
            c->block_used = 0;
        }
        size_t n = sizeof c->block - c->block_used;
        if (n > len) n = len;
        memcpy(ks, c->block + c->block_used, n);
        c->block_used = (uint8_t)(c->block_used + n);
        ks += n;
        len -= n;
    }
    return BIP324_OK;
}

bip324_err fschacha20_crypt(struct fschacha20 *c, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t ks[64];
    bip324_err err = BIP324_OK;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof ks ? len - done : sizeof ks;
        err = fschacha20_take(c, ks, n);
        if (err != BIP324_OK) goto out;
        for (size_t i = 0; i < n; i++) out[done + i] = (uint8_t)(in[done + i] ^ ks[i]);
        done += n;
    }
    if (++c->chunk_counter == BIP324_REKEY_INTERVAL) {
        /* The new key is the keystream right after this chunk. What is
         * left of the current block is dropped, as Bitcoin Core does; with
         * 3-byte chunks nothing is left (224 * 3 + 32 = 11 blocks), so this
         * matches the BIP's reference too. */
        uint8_t next[BIP324_KEY_LEN];
        err = fschacha20_take(c, next, sizeof next);
        if (err == BIP324_OK) memcpy(c->key, next, sizeof next);
        OPENSSL_cleanse(next, sizeof next);
        if (err != BIP324_OK) goto out;
        c->rekey_counter++;
        c->chunk_counter = 0;
        c->block_counter = 0;
        c->block_used = sizeof c->block;
    }
out:
    OPENSSL_cleanse(ks, sizeof ks);
    return err;
}

void fschacha20_wipe(struct fschacha20 *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}

void fschacha20poly1305_init(struct fschacha20poly1305 *c, const uint8_t key[BIP324_KEY_LEN])
{
    memset(c, 0, sizeof *c);
    memcpy(c->key, key, BIP324_KEY_LEN);
}

/* Counts the packet just processed and, at the end of an epoch, replaces
 * the key by the first 32 bytes of block 1 under the nonce with an all-ones
 * low word, which no packet of the epoch uses. */
static bip324_err aead_advance(struct fschacha20poly1305 *c)
{
    if (++c->packet_counter < BIP324_REKEY_INTERVAL) return BIP324_OK;
    uint8_t iv[16], next[64];
    chacha_iv(iv, 1, 0xffffffffu, c->rekey_counter);
    bool ok = chacha20_keystream(c->key, iv, next, BIP324_KEY_LEN);
    if (ok) memcpy(c->key, next, BIP324_KEY_LEN);
    OPENSSL_cleanse(next, sizeof next);
    if (!ok) return BIP324_ERR_LIBRARY;
    c->rekey_counter++;
    c->packet_counter = 0;
    return BIP324_OK;
}

/* One RFC 8439 operation under the current packet's nonce. For decryption
 * `tag` is read, for encryption written. */
static bip324_err aead_crypt(const struct fschacha20poly1305 *c, bool encrypt, const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                             uint8_t tag[BIP324_TAG_LEN])
{
    uint8_t nonce[12], fin[64];
    int outl = 0, finl = 0;
    bip324_err err = BIP324_ERR_LIBRARY;
    if (len > INT_MAX || aad_len > INT_MAX) return BIP324_ERR_TOO_LONG;
    put_le32(nonce, c->packet_counter);
    put_le64(nonce + 4, c->rekey_counter);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) goto out;
    if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, c->key, nonce, encrypt ? 1 : 0) != 1)
        goto out;
    if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1) goto out;
    if (len > 0 && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1) goto out;
    if (!encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, BIP324_TAG_LEN, tag) != 1)
        goto out;
    /* A stream cipher has nothing left for final; fin only keeps OpenSSL
     * from seeing a NULL out when the packet is empty. */
    if (EVP_CipherFinal_ex(ctx, fin, &finl) != 1 || finl != 0) {
        /* For decryption a failed final is the tag check: the plaintext
         * already written must not be used. */
        if (!encrypt) err = BIP324_ERR_AUTH;
        goto out;
    }
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, BIP324_TAG_LEN, tag) != 1)
        goto out;
    err = BIP324_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (err != BIP324_OK && len > 0) OPENSSL_cleanse(out, len);
    return err;
}

bip324_err fschacha20poly1305_encrypt(struct fschacha20poly1305 *c, const uint8_t *aad,
                                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    bip324_err err = aead_crypt(c, true, aad, aad_len, in, len, out, out + len);
    if (err != BIP324_OK) return err;
    return aead_advance(c);
}

bip324_err fschacha20poly1305_decrypt(struct fschacha20poly1305 *c, const uint8_t *aad,
                                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    if (len < BIP324_TAG_LEN) return BIP324_ERR_BAD_INPUT;
    size_t plain_len = len - BIP324_TAG_LEN;
    uint8_t tag[BIP324_TAG_LEN];
    memcpy(tag, in + plain_len, BIP324_TAG_LEN);
    bip324_err err = aead_crypt(c, false, aad, aad_len, in, plain_len, out, tag);
    if (err != BIP324_OK && err != BIP324_ERR_AUTH) return err;
    bip324_err adv = aead_advance(c);
    return err != BIP324_OK ? err : adv;
}

void fschacha20poly1305_wipe(struct fschacha20poly1305 *c)
{
    OPENSSL_cleanse(c, sizeof *c);
}
