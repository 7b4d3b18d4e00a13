/* SHA-256 and SHA-256d from OpenSSL's libcrypto.
 *
 * The low-level SHA256_* calls are used, not EVP: they run the same
 * assembly (SHA extensions where the CPU has them) on a context that lives
 * on the stack, while every EVP digest init/final allocates, frees and
 * dispatches through a provider, which costs more than hashing an 80-byte
 * header (measured in bench/bench_chain: see docs/BENCHMARKS.md). OpenSSL 3
 * marks these calls deprecated, not removed; the warning is silenced here
 * only. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <btcpeerd/sha256.h>

#include <openssl/sha.h>
#include <string.h>

void sha256(const void *data, size_t len, uint8_t out[32])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(out, &ctx);
}

void sha256d(const void *data, size_t len, uint8_t out[32])
{
    uint8_t first[32];
    sha256(data, len, first);
    sha256(first, sizeof first, out);
}

void sha256d_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32])
{
    SHA256_CTX ctx;
    uint8_t first[32];
    SHA256_Init(&ctx);
    for (size_t i = 0; i < n; i++) SHA256_Update(&ctx, parts[i], lens[i]);
    SHA256_Final(first, &ctx);
    sha256(first, sizeof first, out);
}

void sha256d_checksum(const void *data, size_t len, uint8_t out[4])
{
    uint8_t h[32];
    sha256d(data, len, h);
    memcpy(out, h, 4);
}
