/* Hex encoding for logs, tests and RPC. Bitcoin shows hashes byte-reversed
 * (the uint256 convention); the _rev variants do that. */
#ifndef BTCPEERD_HEX_H
#define BTCPEERD_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* out must hold 2*len+1 bytes; it is NUL-terminated. */
void hex_encode(const uint8_t *data, size_t len, char *out);
void hex_encode_rev(const uint8_t *data, size_t len, char *out);
/* Decode exactly strlen(hex)/2 bytes; false on odd length, a non-hex digit or
 * more than cap bytes. Upper and lower case accepted. */
bool hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len);
/* The same over exactly len characters (a JSON string may hold NULs, which
 * are not hex digits). */
bool hex_decode_n(const char *hex, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Bitcoin Core's IsHex: non-empty, even length, hex digits only. */
bool hex_is_valid(const char *hex, size_t len);
/* A 64-digit displayed hash into its 32 internal bytes. */
bool hex_decode_hash(const char *hex, uint8_t out[32]);
/* A 256-bit number as Bitcoin Core's -minimumchainwork takes it
 * (uint256::FromUserHex): an optional "0x", then up to 64 hex digits of
 * either case, left-padded with zeros; "" is 0. Big-endian into out_be;
 * false on anything else. */
bool hex_decode_uint256_user(const char *hex, uint8_t out_be[32]);

#endif
