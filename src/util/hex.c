/* Hex for logs, tests and RPC. */
#include <btcpeerd/hex.h>

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void hex_encode(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[data[i] >> 4];
        out[2 * i + 1] = hex_digits[data[i] & 0xf];
    }
    out[2 * len] = '\0';
}

void hex_encode_rev(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[len - 1 - i];
        out[2 * i] = hex_digits[b >> 4];
        out[2 * i + 1] = hex_digits[b & 0xf];
    }
    out[2 * len] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len)
{
    return hex_decode_n(hex, strlen(hex), out, cap, out_len);
}

bool hex_decode_n(const char *hex, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 2 || n / 2 > cap) return false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = n / 2;
    return true;
}

bool hex_is_valid(const char *hex, size_t len)
{
    if (len == 0 || len % 2) return false;
    for (size_t i = 0; i < len; i++)
        if (hex_value(hex[i]) < 0) return false;
    return true;
}

bool hex_decode_hash(const char *hex, uint8_t out[32])
{
    uint8_t tmp[32];
    size_t n;
    if (strlen(hex) != 64 || !hex_decode(hex, tmp, sizeof tmp, &n)) return false;
    for (size_t i = 0; i < 32; i++) out[i] = tmp[31 - i];
    return true;
}

bool hex_decode_uint256_user(const char *hex, uint8_t out_be[32])
{
    if (strncmp(hex, "0x", 2) == 0) hex += 2; /* lowercase only, as Core's FromUserHex */
    size_t n = strlen(hex);
    if (n > 64) return false;
    memset(out_be, 0, 32);
    /* Right-aligned: digit k from the end is nibble k of the number. */
    for (size_t k = 0; k < n; k++) {
        int v = hex_value(hex[n - 1 - k]);
        if (v < 0) return false;
        out_be[31 - k / 2] |= (uint8_t)(k % 2 ? v << 4 : v);
    }
    return true;
}
