/* SHA-256 and SHA-256d through OpenSSL's EVP interface. */
#ifndef BTCPEERD_SHA256_H
#define BTCPEERD_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);
void sha256d(const void *data, size_t len, uint8_t out[32]);
/* The v1 message checksum: the first four bytes of SHA-256d. */
void sha256d_checksum(const void *data, size_t len, uint8_t out[4]);

/* SHA-256d of the concatenation of n pieces, without copying them (a
 * segwit txid skips the witness in the middle of the bytes). */
void sha256d_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32]);

#endif
