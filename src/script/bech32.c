/* Bech32 and Bech32m, written from BIP173 and BIP350: the BCH checksum
 * over the expanded HRP and the data values, differing only in the final
 * constant (1 for Bech32, 0x2bc830a3 for Bech32m). */
#include <btcpeerd/bech32.h>

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

#define BECH32_CONST 1u
#define BECH32M_CONST 0x2bc830a3u

const char *bech32_err_str(enum bech32_err err)
{
    switch (err) {
    case BECH32_OK: return "ok";
    case BECH32_ERR_TOO_LONG: return "too-long";
    case BECH32_ERR_MIXED_CASE: return "mixed-case";
    case BECH32_ERR_HRP_CHAR: return "bad-hrp-character";
    case BECH32_ERR_NO_SEPARATOR: return "no-separator";
    case BECH32_ERR_EMPTY_HRP: return "empty-hrp";
    case BECH32_ERR_DATA_CHAR: return "bad-data-character";
    case BECH32_ERR_SHORT_CHECKSUM: return "short-checksum";
    case BECH32_ERR_CHECKSUM: return "bad-checksum";
    }
    return "unknown";
}

static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu,
                                    0x2a1462b3u};
    uint32_t top = chk >> 25;
    chk = (chk & 0x1ffffffu) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if (top >> i & 1) chk ^= gen[i];
    return chk;
}

/* The checksum state after the expanded HRP: high bits, a zero, low bits. */
static uint32_t polymod_hrp(const char *hrp, size_t n)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)((unsigned char)hrp[i] >> 5));
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < n; i++) chk = polymod_step(chk, (uint8_t)(hrp[i] & 31));
    return chk;
}

static int charset_value(char c)
{
    const char *p = c ? strchr(charset, c) : NULL;
    return p ? (int)(p - charset) : -1;
}

enum bech32_err bech32_decode(const char *s, char hrp[BECH32_MAX_HRP + 1],
                              uint8_t data[BECH32_MAX_DATA], size_t *data_len,
                              enum bech32_encoding *enc)
{
    size_t len = strnlen(s, BECH32_MAX_LEN + 1);
    if (len > BECH32_MAX_LEN) return BECH32_ERR_TOO_LONG;
    bool lower = false, upper = false;
    size_t sep = SIZE_MAX;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z') lower = true;
        if (c >= 'A' && c <= 'Z') upper = true;
        if (c == '1') sep = i;
    }
    if (sep == SIZE_MAX) return BECH32_ERR_NO_SEPARATOR;
    for (size_t i = 0; i < sep; i++)
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return BECH32_ERR_HRP_CHAR;
    if (lower && upper) return BECH32_ERR_MIXED_CASE;
    if (sep == 0) return BECH32_ERR_EMPTY_HRP;
    /* The HRP cannot pass 83 here: 90 characters hold the separator and at
     * least 6 of checksum, or the string fails as too short below. */
    for (size_t i = 0; i < sep && i < BECH32_MAX_HRP; i++) {
        char c = s[i];
        hrp[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    hrp[sep < BECH32_MAX_HRP ? sep : BECH32_MAX_HRP] = '\0';
    size_t n_data = len - sep - 1;
    for (size_t i = sep + 1; i < len; i++) {
        char c = s[i];
        if (charset_value(c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) < 0)
            return BECH32_ERR_DATA_CHAR;
    }
    if (n_data < 6) return BECH32_ERR_SHORT_CHECKSUM;
    uint32_t chk = polymod_hrp(hrp, sep);
    for (size_t i = 0; i < n_data; i++) {
        char c = s[sep + 1 + i];
        uint8_t v = (uint8_t)charset_value(c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
        chk = polymod_step(chk, v);
        if (i < n_data - 6) data[i] = v;
    }
    if (chk == BECH32_CONST)
        *enc = BECH32_ENC_BECH32;
    else if (chk == BECH32M_CONST)
        *enc = BECH32_ENC_BECH32M;
    else
        return BECH32_ERR_CHECKSUM;
    *data_len = n_data - 6;
    return BECH32_OK;
}

bool bech32_encode(const char *hrp, const uint8_t *data, size_t len, enum bech32_encoding enc,
                   char *out, size_t cap)
{
    size_t n = strnlen(hrp, BECH32_MAX_HRP + 1);
    if (n == 0 || n > BECH32_MAX_HRP || n + 1 + len + 6 > BECH32_MAX_LEN || n + 1 + len + 6 >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (hrp[i] < 33 || hrp[i] > 126 || (hrp[i] >= 'A' && hrp[i] <= 'Z')) return false;
    uint32_t chk = polymod_hrp(hrp, n);
    size_t o = 0;
    memcpy(out, hrp, n);
    o = n;
    out[o++] = '1';
    for (size_t i = 0; i < len; i++) {
        if (data[i] > 31) return false;
        chk = polymod_step(chk, data[i]);
        out[o++] = charset[data[i]];
    }
    for (int i = 0; i < 6; i++) chk = polymod_step(chk, 0);
    chk ^= enc == BECH32_ENC_BECH32M ? BECH32M_CONST : BECH32_CONST;
    for (int i = 0; i < 6; i++) out[o++] = charset[chk >> (5 * (5 - i)) & 31];
    out[o] = '\0';
    return true;
}
