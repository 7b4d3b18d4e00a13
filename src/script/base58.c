/* Base58 (Bitcoin's alphabet) by schoolbook base conversion: each input
 * digit multiplies the accumulated number and adds itself. Inputs are
 * bounded (BASE58_MAX_STRING), so the quadratic cost is a few thousand
 * operations at most. Leading zero bytes are leading '1's. */
#include <btcpeerd/base58.h>
#include <btcpeerd/sha256.h>

#include <string.h>

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

const char *base58_err_str(enum base58_err err)
{
    switch (err) {
    case BASE58_OK: return "ok";
    case BASE58_ERR_TOO_LONG: return "too-long";
    case BASE58_ERR_BAD_CHAR: return "bad-character";
    case BASE58_ERR_CHECKSUM: return "bad-checksum";
    }
    return "unknown";
}

static int digit_value(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

bool base58_encode(const uint8_t *data, size_t len, char *out, size_t cap)
{
    if (len > BASE58_MAX_STRING) return false;
    size_t zeros = 0;
    while (zeros < len && data[zeros] == 0) zeros++;
    /* digits, least significant first: log(256)/log(58) < 1.38 per byte */
    uint8_t digits[BASE58_MAX_STRING * 138 / 100 + 1];
    size_t n = 0;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = data[i];
        for (size_t k = 0; k < n; k++) {
            carry += (unsigned)digits[k] << 8;
            digits[k] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[n++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    if (zeros + n + 1 > cap) return false;
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++) out[o++] = '1';
    while (n) out[o++] = alphabet[digits[--n]];
    out[o] = '\0';
    return true;
}

enum base58_err base58_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len = strnlen(s, BASE58_MAX_STRING + 1);
    if (len > BASE58_MAX_STRING) return BASE58_ERR_TOO_LONG;
    size_t zeros = 0;
    while (zeros < len && s[zeros] == '1') zeros++;
    /* bytes, least significant first: log(58)/log(256) < 0.733 per digit */
    uint8_t bytes[BASE58_MAX_STRING * 733 / 1000 + 1];
    size_t n = 0;
    for (size_t i = zeros; i < len; i++) {
        int v = digit_value(s[i]);
        if (v < 0) return BASE58_ERR_BAD_CHAR;
        unsigned carry = (unsigned)v;
        for (size_t k = 0; k < n; k++) {
            carry += (unsigned)bytes[k] * 58;
            bytes[k] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            bytes[n++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + n > cap) return BASE58_ERR_TOO_LONG;
    memset(out, 0, zeros);
    for (size_t i = 0; i < n; i++) out[zeros + i] = bytes[n - 1 - i];
    *out_len = zeros + n;
    return BASE58_OK;
}

bool base58check_encode(const uint8_t *payload, size_t len, char *out, size_t cap)
{
    uint8_t buf[BASE58_MAX_STRING];
    if (len > sizeof buf - 4) return false;
    memcpy(buf, payload, len);
    sha256d_checksum(payload, len, buf + len);
    return base58_encode(buf, len + 4, out, cap);
}

enum base58_err base58check_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t buf[BASE58_MAX_STRING];
    size_t n;
    enum base58_err err = base58_decode(s, buf, sizeof buf, &n);
    if (err != BASE58_OK) return err;
    if (n < 4) return BASE58_ERR_CHECKSUM;
    uint8_t check[4];
    sha256d_checksum(buf, n - 4, check);
    if (memcmp(check, buf + n - 4, 4) != 0) return BASE58_ERR_CHECKSUM;
    if (n - 4 > cap) return BASE58_ERR_TOO_LONG;
    memcpy(out, buf, n - 4);
    *out_len = n - 4;
    return BASE58_OK;
}
