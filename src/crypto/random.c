/* CSPRNG wrapper over OpenSSL's RAND_bytes. Small requests (nonces) are
 * served from a buffer refilled 512 bytes at a time: RAND_bytes costs about
 * the same for 8 bytes as for 512, and a handshake needs one nonce.
 * RAND_bytes only fails when the system has no entropy source at all; then
 * nothing secure can run, so we stop. */
#include <btcpeerd/random.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_LEN 512u

static _Thread_local uint8_t pool[POOL_LEN];
static _Thread_local size_t pool_left;

static void fill(void *out, size_t n)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(out, (int)n) != 1) {
        fprintf(stderr, "btcpeerd: the system random generator failed\n");
        abort();
    }
}

void random_bytes(void *out, size_t n)
{
    if (n > POOL_LEN / 4) {
        fill(out, n);
        return;
    }
    if (pool_left < n) {
        fill(pool, POOL_LEN);
        pool_left = POOL_LEN;
    }
    /* Hand out from the end and wipe what was handed out. */
    memcpy(out, pool + pool_left - n, n);
    OPENSSL_cleanse(pool + pool_left - n, n);
    pool_left -= n;
}

uint64_t random_u64(void)
{
    uint64_t v;
    random_bytes(&v, sizeof v);
    return v;
}

uint64_t random_range(uint64_t n)
{
    /* Rejection sampling: no modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = random_u64();
    while (v >= limit);
    return v % n;
}
