/* Address strings to output scripts. Which decoder applies is decided the
 * way Core does: a string that is valid Bech32(m), or that starts with a
 * known HRP and its separator, is a segwit address (so its errors are
 * Bech32's); anything else is Base58Check. */
#include <btcpeerd/address.h>
#include <btcpeerd/base58.h>
#include <btcpeerd/bech32.h>

#include <string.h>
#include <strings.h>

struct address_params {
    const char *hrp;
    uint8_t p2pkh, p2sh;
};

/* Core's chainparams: testnet3, testnet4 and signet share testnet's
 * prefixes; regtest shares the Base58 bytes but has its own HRP. */
static const struct address_params params[NET_COUNT] = {
    [NET_MAIN] = {"bc", 0x00, 0x05},
    [NET_TESTNET3] = {"tb", 0x6f, 0xc4},
    [NET_TESTNET4] = {"tb", 0x6f, 0xc4},
    [NET_SIGNET] = {"tb", 0x6f, 0xc4},
    [NET_REGTEST] = {"bcrt", 0x6f, 0xc4},
};

const char *address_err_str(enum address_err err)
{
    switch (err) {
    case ADDRESS_OK: return "ok";
    case ADDRESS_ERR_EMPTY: return "empty";
    case ADDRESS_ERR_TOO_LONG: return "too-long";
    case ADDRESS_ERR_BASE58_CHAR: return "bad-base58-character";
    case ADDRESS_ERR_BASE58_CHECKSUM: return "bad-base58-checksum";
    case ADDRESS_ERR_BASE58_LENGTH: return "bad-base58-length";
    case ADDRESS_ERR_BASE58_VERSION: return "unknown-base58-version";
    case ADDRESS_ERR_WRONG_NETWORK: return "wrong-network";
    case ADDRESS_ERR_UNKNOWN_HRP: return "unknown-hrp";
    case ADDRESS_ERR_BECH32: return "malformed-bech32";
    case ADDRESS_ERR_MIXED_CASE: return "mixed-case";
    case ADDRESS_ERR_BECH32_CHECKSUM: return "bad-bech32-checksum";
    case ADDRESS_ERR_WRONG_ENCODING: return "wrong-bech32-variant";
    case ADDRESS_ERR_NO_DATA: return "no-witness-version";
    case ADDRESS_ERR_WITNESS_VERSION: return "bad-witness-version";
    case ADDRESS_ERR_PADDING: return "bad-padding";
    case ADDRESS_ERR_PROGRAM_LENGTH: return "bad-program-length";
    case ADDRESS_ERR_V0_PROGRAM_LENGTH: return "bad-v0-program-length";
    }
    return "unknown";
}

/* A known HRP followed by the separator, in either case. */
static bool has_known_hrp(const char *s)
{
    for (int n = 0; n < NET_COUNT; n++) {
        size_t k = strlen(params[n].hrp);
        if (strncasecmp(s, params[n].hrp, k) == 0 && s[k] == '1') return true;
    }
    return false;
}

static enum address_err from_bech32(enum bech32_err err)
{
    switch (err) {
    case BECH32_OK: return ADDRESS_OK;
    case BECH32_ERR_MIXED_CASE: return ADDRESS_ERR_MIXED_CASE;
    case BECH32_ERR_CHECKSUM: return ADDRESS_ERR_BECH32_CHECKSUM;
    case BECH32_ERR_TOO_LONG: return ADDRESS_ERR_TOO_LONG;
    default: return ADDRESS_ERR_BECH32;
    }
}

/* 5-bit groups to bytes: at most 4 bits may be left over, all zero. */
static enum address_err regroup(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                                size_t *out_len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5 | in[i]) & 0xfffu;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap) return ADDRESS_ERR_PROGRAM_LENGTH;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits > 4 || (acc & ((1u << bits) - 1))) return ADDRESS_ERR_PADDING;
    *out_len = o;
    return ADDRESS_OK;
}

static enum address_err decode_segwit(const char *s, enum net_id net, struct address *out)
{
    char hrp[BECH32_MAX_HRP + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    enum address_err err = from_bech32(bech32_decode(s, hrp, data, &n, &enc));
    if (err != ADDRESS_OK) return err;
    if (strcmp(hrp, params[net].hrp) != 0) {
        for (int k = 0; k < NET_COUNT; k++)
            if (strcmp(hrp, params[k].hrp) == 0) return ADDRESS_ERR_WRONG_NETWORK;
        return ADDRESS_ERR_UNKNOWN_HRP;
    }
    if (n == 0) return ADDRESS_ERR_NO_DATA;
    if (data[0] > 16) return ADDRESS_ERR_WITNESS_VERSION;
    if ((data[0] == 0) != (enc == BECH32_ENC_BECH32)) return ADDRESS_ERR_WRONG_ENCODING;
    /* one byte of room past 40, so 41 bytes read as a length error */
    uint8_t program[41];
    size_t len = 0;
    err = regroup(data + 1, n - 1, program, sizeof program, &len);
    if (err != ADDRESS_OK) return err;
    if (len < 2 || len > 40) return ADDRESS_ERR_PROGRAM_LENGTH;
    if (data[0] == 0 && len != 20 && len != 32) return ADDRESS_ERR_V0_PROGRAM_LENGTH;
    out->type = ADDRESS_SEGWIT;
    out->witness_version = data[0];
    memcpy(out->program, program, len);
    out->program_len = len;
    return ADDRESS_OK;
}

static enum address_err decode_base58(const char *s, enum net_id net, struct address *out)
{
    uint8_t payload[ADDRESS_MAX_LEN];
    size_t n;
    switch (base58check_decode(s, payload, sizeof payload, &n)) {
    case BASE58_OK: break;
    case BASE58_ERR_BAD_CHAR: return ADDRESS_ERR_BASE58_CHAR;
    case BASE58_ERR_CHECKSUM: return ADDRESS_ERR_BASE58_CHECKSUM;
    case BASE58_ERR_TOO_LONG: return ADDRESS_ERR_TOO_LONG;
    }
    if (n != 21) return ADDRESS_ERR_BASE58_LENGTH;
    if (payload[0] == params[net].p2pkh)
        out->type = ADDRESS_P2PKH;
    else if (payload[0] == params[net].p2sh)
        out->type = ADDRESS_P2SH;
    else {
        for (int k = 0; k < NET_COUNT; k++)
            if (payload[0] == params[k].p2pkh || payload[0] == params[k].p2sh)
                return ADDRESS_ERR_WRONG_NETWORK;
        return ADDRESS_ERR_BASE58_VERSION;
    }
    memcpy(out->program, payload + 1, 20);
    out->program_len = 20;
    out->witness_version = 0;
    return ADDRESS_OK;
}

enum address_err address_decode(const char *s, enum net_id net, struct address *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)net >= NET_COUNT) return ADDRESS_ERR_WRONG_NETWORK;
    size_t len = strnlen(s, ADDRESS_MAX_LEN + 1);
    if (len == 0) return ADDRESS_ERR_EMPTY;
    if (len > ADDRESS_MAX_LEN) return ADDRESS_ERR_TOO_LONG;
    char hrp[BECH32_MAX_HRP + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    if (has_known_hrp(s) || bech32_decode(s, hrp, data, &n, &enc) == BECH32_OK)
        return decode_segwit(s, net, out);
    return decode_base58(s, net, out);
}

size_t address_script(const struct address *a, uint8_t out[ADDRESS_MAX_SCRIPT])
{
    switch (a->type) {
    case ADDRESS_P2PKH: /* OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG */
        out[0] = 0x76;
        out[1] = 0xa9;
        out[2] = 20;
        memcpy(out + 3, a->program, 20);
        out[23] = 0x88;
        out[24] = 0xac;
        return 25;
    case ADDRESS_P2SH: /* OP_HASH160 <20> OP_EQUAL */
        out[0] = 0xa9;
        out[1] = 20;
        memcpy(out + 2, a->program, 20);
        out[22] = 0x87;
        return 23;
    case ADDRESS_SEGWIT: /* OP_n <program>: OP_0 is 0x00, OP_1..OP_16 are 0x51..0x60 */
        out[0] = a->witness_version ? (uint8_t)(0x50 + a->witness_version) : 0;
        out[1] = (uint8_t)a->program_len;
        memcpy(out + 2, a->program, a->program_len);
        return 2 + a->program_len;
    }
    return 0;
}

enum address_err address_to_script(const char *s, enum net_id net,
                                   uint8_t script[ADDRESS_MAX_SCRIPT], size_t *len)
{
    struct address a;
    enum address_err err = address_decode(s, net, &a);
    if (err == ADDRESS_OK) *len = address_script(&a, script);
    return err;
}
