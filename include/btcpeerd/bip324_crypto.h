/* The BIP324 cipher suite: ElligatorSwift public keys, x-only ECDH, the
 * HKDF key schedule, and the two rekeying ciphers (FSChaCha20 for the length
 * field, FSChaCha20Poly1305 for packet contents). Pure functions and plain
 * structs: the v2 transport state machine lives in the transport layer.
 *
 * Built on Debian 12's libsecp256k1 0.2.0, which predates its ellswift
 * module, so XSwiftEC runs here on OpenSSL BIGNUMs; private keys are only
 * ever handed to libsecp256k1. Everything that reads a peer's bytes returns
 * an error instead of aborting. */
#ifndef BTCPEERD_BIP324_CRYPTO_H
#define BTCPEERD_BIP324_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIP324_ELLSWIFT_LEN 64
#define BIP324_KEY_LEN 32
#define BIP324_GARBAGE_TERMINATOR_LEN 16
#define BIP324_SESSION_ID_LEN 32
#define BIP324_TAG_LEN 16
/* Both ciphers move to a new key after this many chunks / packets. */
#define BIP324_REKEY_INTERVAL 224

typedef enum {
    BIP324_OK = 0,
    BIP324_ERR_NO_RESULT,   /* XSwiftECInv: this (u, x, case) has no t */
    BIP324_ERR_BAD_INPUT,   /* a field element >= p, a bad private key, ... */
    BIP324_ERR_AUTH,        /* AEAD tag mismatch */
    BIP324_ERR_TOO_LONG,    /* more bytes than one EVP call takes */
    BIP324_ERR_LIBRARY,     /* OpenSSL or libsecp256k1 failed (allocation) */
} bip324_err;

const char *bip324_err_str(bip324_err err);

/* ---- ElligatorSwift (src/crypto/ellswift.c) ---- */

/* XSwiftEC: 64 bytes (u, t), each big-endian and reduced mod p, to the x
 * coordinate of a curve point. Every 64-byte string decodes; the only
 * failure is the library's. */
bip324_err ellswift_decode(const uint8_t ell64[BIP324_ELLSWIFT_LEN], uint8_t x32[32]);

/* XSwiftECInv: a t with XSwiftEC(u, t) = x for case 0..7, or
 * BIP324_ERR_NO_RESULT. u and x must be below p, u nonzero, x on the curve
 * (BIP324_ERR_BAD_INPUT otherwise). */
bip324_err xswiftec_inv(const uint8_t u32[32], const uint8_t x32[32], unsigned c, uint8_t t32[32]);

/* The 64-byte ElligatorSwift encoding of priv32's public key, with random u
 * and case: uniform over the encodings of that key. */
bip324_err ellswift_create(const uint8_t priv32[32], uint8_t ell64[BIP324_ELLSWIFT_LEN]);

/* A fresh random private key and its ElligatorSwift encoding. */
bip324_err ellswift_keygen(uint8_t priv32[32], uint8_t ell64[BIP324_ELLSWIFT_LEN]);

/* ---- x-only ECDH (src/crypto/bip324_ecdh.c) ---- */

/* x coordinate of priv * decode(their_ell64). */
bip324_err ellswift_xdh(const uint8_t priv32[32], const uint8_t their_ell64[BIP324_ELLSWIFT_LEN],
                        uint8_t x32[32]);

/* The BIP324 shared secret: tagged hash "bip324_ellswift_xonly_ecdh" of the
 * initiator's encoding, the responder's, and the shared x. */
bip324_err bip324_ecdh(const uint8_t priv32[32], const uint8_t our_ell64[BIP324_ELLSWIFT_LEN],
                       const uint8_t their_ell64[BIP324_ELLSWIFT_LEN], bool initiating,
                       uint8_t secret32[32]);

/* ---- key schedule (src/crypto/hkdf.c) ---- */

struct bip324_keys {
    uint8_t initiator_l[BIP324_KEY_LEN];
    uint8_t initiator_p[BIP324_KEY_LEN];
    uint8_t responder_l[BIP324_KEY_LEN];
    uint8_t responder_p[BIP324_KEY_LEN];
    uint8_t initiator_garbage_terminator[BIP324_GARBAGE_TERMINATOR_LEN];
    uint8_t responder_garbage_terminator[BIP324_GARBAGE_TERMINATOR_LEN];
    uint8_t session_id[BIP324_SESSION_ID_LEN];
};

/* RFC 5869 HKDF-SHA256 (extract then expand) in one call. */
bip324_err hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* Every key of a session from the ECDH secret and the network magic. */
bip324_err bip324_derive_keys(const uint8_t secret32[32], const uint8_t magic[4],
                              struct bip324_keys *keys);

/* Overwrite key material that is no longer needed. */
void bip324_keys_wipe(struct bip324_keys *keys);

/* ---- ciphers (src/crypto/fschacha20.c) ---- */

/* ChaCha20 keystream across chunks; the key is replaced by keystream after
 * every BIP324_REKEY_INTERVAL chunks. Plain data: no free needed. */
struct fschacha20 {
    uint8_t key[BIP324_KEY_LEN];
    uint64_t rekey_counter;
    uint32_t chunk_counter; /* chunks since the last rekey */
    uint64_t block_counter; /* next ChaCha20 block; its counter is 32 bits */
    uint8_t block[64];
    uint8_t block_used;     /* bytes of block already consumed; 64 = none left */
};

void fschacha20_init(struct fschacha20 *c, const uint8_t key[BIP324_KEY_LEN]);
/* Encrypts or decrypts one chunk (in and out may be the same buffer). */
bip324_err fschacha20_crypt(struct fschacha20 *c, const uint8_t *in, uint8_t *out, size_t len);
void fschacha20_wipe(struct fschacha20 *c);

/* RFC 8439 ChaCha20-Poly1305 with the nonce taken from a packet counter and
 * the key replaced after every BIP324_REKEY_INTERVAL packets. */
struct fschacha20poly1305 {
    uint8_t key[BIP324_KEY_LEN];
    uint64_t rekey_counter;
    uint32_t packet_counter; /* packets since the last rekey */
};

void fschacha20poly1305_init(struct fschacha20poly1305 *c, const uint8_t key[BIP324_KEY_LEN]);
/* out receives len + BIP324_TAG_LEN bytes. */
bip324_err fschacha20poly1305_encrypt(struct fschacha20poly1305 *c, const uint8_t *aad,
                                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
/* in holds len bytes, tag included; out receives len - BIP324_TAG_LEN bytes.
 * The counter advances even on BIP324_ERR_AUTH, as in the BIP: the
 * connection is dead by then anyway. */
bip324_err fschacha20poly1305_decrypt(struct fschacha20poly1305 *c, const uint8_t *aad,
                                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
void fschacha20poly1305_wipe(struct fschacha20poly1305 *c);

#endif
