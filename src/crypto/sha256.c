/* SHA-256 through OpenSSL EVP. One digest context is kept and re-initialised
 * for one-shot hashes: allocating one per call costs as much as hashing an
 * 80-byte header. The daemon is single-threaded; the context is per thread
 * anyway so tests and tools with threads stay correct.
 *
 * EVP calls on a SHA-256 context fail only if OpenSSL cannot allocate its
 * first context; then no hash in the process can be trusted, so we abort
 * rather than return a wrong digest. Peer input never reaches that path. */
#include <btcpeerd/sha256.h>

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local EVP_MD_CTX *oneshot_ctx;
static _Thread_local EVP_MD *sha256_md;

/* The digest is fetched once: OpenSSL 3's implicit fetch inside every
 * EVP_DigestInit_ex(EVP_sha256()) costs more than hashing a header. */
static EVP_MD_CTX *oneshot(void)
{
    if (!oneshot_ctx) {
        oneshot_ctx = EVP_MD_CTX_new();
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (!oneshot_ctx || !sha256_md) abort();
    }
    return oneshot_ctx;
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
    EVP_MD_CTX *ctx = oneshot();
    if (EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, out, NULL) != 1)
        abort();
}

void sha256d(const void *data, size_t len, uint8_t out[32])
{
    uint8_t first[32];
    sha256(data, len, first);
    sha256(first, sizeof first, out);
}

void sha256d_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *ctx = oneshot();
    uint8_t first[32];
    if (EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1) abort();
    for (size_t i = 0; i < n; i++)
        if (EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1) abort();
    if (EVP_DigestFinal_ex(ctx, first, NULL) != 1) abort();
    sha256(first, sizeof first, out);
}

void sha256d_checksum(const void *data, size_t len, uint8_t out[4])
{
    uint8_t h[32];
    sha256d(data, len, h);
    memcpy(out, h, 4);
}
