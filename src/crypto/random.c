/* CSPRNG wrapper. RAND_bytes only fails when the system has no entropy
 * source at all; then nothing secure can run, so we stop. */
#include <btcpeerd/random.h>

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

void random_bytes(void *out, size_t n)
{
    if (n > (size_t)INT32_MAX || RAND_bytes(out, (int)n) != 1) {
        fprintf(stderr, "btcpeerd: the system random generator failed\n");
        abort();
    }
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
