/* addr() and raw() descriptors, and the BIP380 checksum, written from
 * BIP380: characters map to symbols by their place in an input set of 96
 * in three groups of 32; every three characters add a symbol for their
 * groups; a BCH code over GF(32) with a 40-bit state gives 8 characters. */
#include <btcpeerd/descriptor.h>
#include <btcpeerd/hex.h>

#include <string.h>

static const char input_set[] = "0123456789()[],'/*abcdefgh@:$%{}"
                                "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                                "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
static const char checksum_set[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

const char *descriptor_err_str(enum descriptor_err err)
{
    switch (err) {
    case DESCRIPTOR_OK: return "ok";
    case DESCRIPTOR_ERR_EMPTY: return "empty";
    case DESCRIPTOR_ERR_BAD_CHAR: return "bad-character";
    case DESCRIPTOR_ERR_CHECKSUM_LENGTH: return "bad-checksum-length";
    case DESCRIPTOR_ERR_BAD_CHECKSUM: return "bad-checksum";
    case DESCRIPTOR_ERR_SYNTAX: return "syntax";
    case DESCRIPTOR_ERR_UNSUPPORTED: return "unsupported-descriptor";
    case DESCRIPTOR_ERR_BAD_HEX: return "bad-hex";
    case DESCRIPTOR_ERR_SCRIPT_TOO_LONG: return "script-too-long";
    case DESCRIPTOR_ERR_BAD_ADDRESS: return "bad-address";
    }
    return "unknown";
}

static uint64_t polymod_step(uint64_t c, unsigned v)
{
    static const uint64_t gen[5] = {0xf5dee51989ull, 0xa9fdca3312ull, 0x1bab10e32dull,
                                    0x3706b1677aull, 0x644d626ffdull};
    uint64_t top = c >> 35;
    c = (c & 0x7ffffffffull) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if (top >> i & 1) c ^= gen[i];
    return c;
}

bool descriptor_checksum(const char *desc, size_t len, char out[DESCRIPTOR_CHECKSUM_LEN + 1])
{
    uint64_t c = 1;
    unsigned groups[3], n_groups = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = desc[i] ? strchr(input_set, desc[i]) : NULL;
        if (!p) return false;
        unsigned v = (unsigned)(p - input_set);
        c = polymod_step(c, v & 31);
        groups[n_groups++] = v >> 5;
        if (n_groups == 3) {
            c = polymod_step(c, groups[0] * 9 + groups[1] * 3 + groups[2]);
            n_groups = 0;
        }
    }
    if (n_groups == 1) c = polymod_step(c, groups[0]);
    if (n_groups == 2) c = polymod_step(c, groups[0] * 3 + groups[1]);
    for (unsigned i = 0; i < DESCRIPTOR_CHECKSUM_LEN; i++) c = polymod_step(c, 0);
    c ^= 1;
    for (unsigned i = 0; i < DESCRIPTOR_CHECKSUM_LEN; i++)
        out[i] = checksum_set[c >> (5 * (7 - i)) & 31];
    out[DESCRIPTOR_CHECKSUM_LEN] = '\0';
    return true;
}

/* The part before '#', checked against the checksum after it if any. */
static enum descriptor_err check_checksum(const char *desc, size_t *body_len)
{
    const char *hash = strchr(desc, '#');
    size_t len = hash ? (size_t)(hash - desc) : strlen(desc);
    char want[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (!descriptor_checksum(desc, len, want)) return DESCRIPTOR_ERR_BAD_CHAR;
    if (hash) {
        if (strlen(hash + 1) != DESCRIPTOR_CHECKSUM_LEN) return DESCRIPTOR_ERR_CHECKSUM_LENGTH;
        if (memcmp(hash + 1, want, DESCRIPTOR_CHECKSUM_LEN) != 0) return DESCRIPTOR_ERR_BAD_CHECKSUM;
    }
    *body_len = len;
    return DESCRIPTOR_OK;
}

static enum descriptor_err parse_raw(const char *arg, size_t n, uint8_t *script, size_t cap,
                                     size_t *len)
{
    if (n == 0 || n % 2) return DESCRIPTOR_ERR_BAD_HEX;
    if (n / 2 > cap) return DESCRIPTOR_ERR_SCRIPT_TOO_LONG;
    char pair[3] = {0};
    for (size_t i = 0; i < n / 2; i++) {
        pair[0] = arg[2 * i];
        pair[1] = arg[2 * i + 1];
        if (!hex_decode(pair, script + i, 1, NULL)) return DESCRIPTOR_ERR_BAD_HEX;
    }
    *len = n / 2;
    return DESCRIPTOR_OK;
}

enum descriptor_err descriptor_parse(const char *desc, enum net_id net, uint8_t *script,
                                     size_t cap, size_t *len, enum address_err *addr_err)
{
    if (addr_err) *addr_err = ADDRESS_OK;
    if (!desc[0]) return DESCRIPTOR_ERR_EMPTY;
    size_t body;
    enum descriptor_err err = check_checksum(desc, &body);
    if (err != DESCRIPTOR_OK) return err;
    const char *open = memchr(desc, '(', body);
    if (!open || body < 2 || desc[body - 1] != ')') return DESCRIPTOR_ERR_SYNTAX;
    size_t name_len = (size_t)(open - desc);
    const char *arg = open + 1;
    size_t arg_len = body - name_len - 2;
    bool is_raw = name_len == 3 && memcmp(desc, "raw", 3) == 0;
    bool is_addr = name_len == 4 && memcmp(desc, "addr", 4) == 0;
    if (!is_raw && !is_addr) return name_len ? DESCRIPTOR_ERR_UNSUPPORTED : DESCRIPTOR_ERR_SYNTAX;
    /* one expression: no nested or further parentheses inside */
    if (memchr(arg, '(', arg_len) || memchr(arg, ')', arg_len)) return DESCRIPTOR_ERR_SYNTAX;
    if (is_raw) return parse_raw(arg, arg_len, script, cap, len);

    char addr[ADDRESS_MAX_LEN + 1];
    if (arg_len > ADDRESS_MAX_LEN) {
        if (addr_err) *addr_err = ADDRESS_ERR_TOO_LONG;
        return DESCRIPTOR_ERR_BAD_ADDRESS;
    }
    memcpy(addr, arg, arg_len);
    addr[arg_len] = '\0';
    uint8_t s[ADDRESS_MAX_SCRIPT];
    size_t n;
    enum address_err aerr = address_to_script(addr, net, s, &n);
    if (addr_err) *addr_err = aerr;
    if (aerr != ADDRESS_OK) return DESCRIPTOR_ERR_BAD_ADDRESS;
    if (n > cap) return DESCRIPTOR_ERR_SCRIPT_TOO_LONG;
    memcpy(script, s, n);
    *len = n;
    return DESCRIPTOR_OK;
}
