/* Bech32 (BIP173) and Bech32m (BIP350) strings: human-readable part,
 * separator, 5-bit data values, 6-character checksum. Decoding follows
 * the BIPs' rules: at most 90 characters, HRP characters 33..126, no
 * mixed case, the last '1' is the separator, the data part only from the
 * 32-character set and at least the checksum long. The checksum tells
 * which of the two encodings the string is. */
#ifndef BTCPEERD_BECH32_H
#define BTCPEERD_BECH32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BECH32_MAX_LEN 90u
#define BECH32_MAX_HRP 83u
#define BECH32_MAX_DATA (BECH32_MAX_LEN - 8u) /* HRP of 1, separator, checksum of 6 */

enum bech32_encoding { BECH32_ENC_BECH32 = 1, BECH32_ENC_BECH32M = 2 };

enum bech32_err {
    BECH32_OK = 0,
    BECH32_ERR_TOO_LONG,       /* over 90 characters */
    BECH32_ERR_MIXED_CASE,
    BECH32_ERR_HRP_CHAR,       /* a character outside 33..126 */
    BECH32_ERR_NO_SEPARATOR,
    BECH32_ERR_EMPTY_HRP,
    BECH32_ERR_DATA_CHAR,      /* a data or checksum character outside the set */
    BECH32_ERR_SHORT_CHECKSUM, /* fewer than 6 characters after the separator */
    BECH32_ERR_CHECKSUM,       /* neither Bech32's nor Bech32m's constant */
};

const char *bech32_err_str(enum bech32_err err);

/* Decode s: hrp gets the lowercase human-readable part (NUL-terminated),
 * data[0..*data_len) the 5-bit values before the checksum, *enc which
 * checksum matched. */
enum bech32_err bech32_decode(const char *s, char hrp[BECH32_MAX_HRP + 1],
                              uint8_t data[BECH32_MAX_DATA], size_t *data_len,
                              enum bech32_encoding *enc);
/* Encode (lowercase); false if hrp is empty, not lowercase printable ASCII,
 * a value is over 31, or the result would pass 90 characters or cap. */
bool bech32_encode(const char *hrp, const uint8_t *data, size_t len, enum bech32_encoding enc,
                   char *out, size_t cap);

#endif
