/* libFuzzer target for what a wallet types into scanblocks: the input (up
 * to its first NUL) as a descriptor, an address on every network, a
 * Bech32 string and a Base58 string. Whatever decodes must encode back to
 * the same text (Bech32 in lowercase); a script comes out only with OK;
 * nothing may crash or read out of bounds. */
#include <btcpeerd/address.h>
#include <btcpeerd/base58.h>
#include <btcpeerd/bech32.h>
#include <btcpeerd/descriptor.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512) return 0;
    char s[513];
    memcpy(s, data, size);
    s[size] = '\0';

    for (int net = 0; net < NET_COUNT; net++) {
        uint8_t script[DESCRIPTOR_MAX_SCRIPT];
        size_t len = SIZE_MAX;
        enum address_err aerr;
        enum descriptor_err derr =
            descriptor_parse(s, (enum net_id)net, script, sizeof script, &len, &aerr);
        if ((derr == DESCRIPTOR_OK) != (len != SIZE_MAX)) abort();
        if (derr != DESCRIPTOR_ERR_BAD_ADDRESS && aerr != ADDRESS_OK) abort();
        struct address a;
        if (address_decode(s, (enum net_id)net, &a) == ADDRESS_OK) {
            uint8_t out[ADDRESS_MAX_SCRIPT];
            size_t n = address_script(&a, out);
            if (n < 4 || n > ADDRESS_MAX_SCRIPT) abort();
        }
    }

    char hrp[BECH32_MAX_HRP + 1], again[BECH32_MAX_LEN + 1];
    uint8_t values[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    if (bech32_decode(s, hrp, values, &n, &enc) == BECH32_OK) {
        if (!bech32_encode(hrp, values, n, enc, again, sizeof again)) abort();
        for (size_t i = 0; s[i]; i++) {
            char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
            if (again[i] != c) abort();
        }
        if (strlen(again) != strlen(s)) abort();
    }

    uint8_t bytes[BASE58_MAX_STRING];
    char text[BASE58_MAX_STRING * 2];
    if (base58_decode(s, bytes, sizeof bytes, &n) == BASE58_OK) {
        if (!base58_encode(bytes, n, text, sizeof text) || strcmp(text, s) != 0) abort();
    }
    return 0;
}
