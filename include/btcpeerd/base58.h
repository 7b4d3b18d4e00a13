/* Base58 and Base58Check with Bitcoin's alphabet: legacy addresses
 * (P2PKH, P2SH). Strict: no whitespace, no characters outside the
 * alphabet, lengths bounded so the quadratic conversion stays small. */
#ifndef BTCPEERD_BASE58_H
#define BTCPEERD_BASE58_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest string base58_decode accepts (Core's limit for addresses is
 * 100; keys and the tests need a little more). */
#define BASE58_MAX_STRING 256u

enum base58_err {
    BASE58_OK = 0,
    BASE58_ERR_TOO_LONG,  /* over BASE58_MAX_STRING characters, or over the output's room */
    BASE58_ERR_BAD_CHAR,  /* a character outside the alphabet */
    BASE58_ERR_CHECKSUM,  /* Base58Check: fewer than 4 bytes, or the checksum differs */
};

const char *base58_err_str(enum base58_err err);

/* Encode len bytes; out gets a NUL-terminated string. False if cap is too
 * small (len * 138 / 100 + 2 is always enough). */
bool base58_encode(const uint8_t *data, size_t len, char *out, size_t cap);
/* Decode into out (at most cap bytes); *out_len gets the length. */
enum base58_err base58_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len);
/* Base58Check: the payload followed by the first 4 bytes of its SHA-256d. */
bool base58check_encode(const uint8_t *payload, size_t len, char *out, size_t cap);
enum base58_err base58check_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len);

#endif
