/* SipHash-2-4 with a 64-bit output, through OpenSSL's EVP_MAC "SIPHASH".
 *
 * A keyed context is made once (a BIP158 filter's key is its block hash)
 * and then hashes any number of messages: each hash restarts from the
 * keyed state OpenSSL keeps, without a new allocation. */
#ifndef BTCPEERD_SIPHASH_H
#define BTCPEERD_SIPHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16u

struct siphash; /* opaque: an OpenSSL MAC context holding the key */

/* The key as SipHash reads it: k0 is key[0..8) and k1 key[8..16), each
 * little-endian. NULL if OpenSSL cannot provide SipHash (no provider, no
 * memory). */
struct siphash *siphash_new(const uint8_t key[SIPHASH_KEY_LEN]);
void siphash_free(struct siphash *h);
/* SipHash-2-4 of data; the 8-byte tag read little-endian, as the reference
 * implementation returns it. False only if OpenSSL fails. */
bool siphash24(struct siphash *h, const void *data, size_t len, uint64_t *out);

#endif
