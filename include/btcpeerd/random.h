/* Unpredictable numbers from OpenSSL's CSPRNG: nonces, address-manager keys,
 * cookie secrets. */
#ifndef BTCPEERD_RANDOM_H
#define BTCPEERD_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void random_bytes(void *out, size_t n);
uint64_t random_u64(void);
/* Uniform in [0, n); n > 0. */
uint64_t random_range(uint64_t n);

#endif
