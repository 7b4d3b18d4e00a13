/* Bitcoin addresses to the output scripts they stand for: Base58Check
 * P2PKH and P2SH with each network's version bytes, and segwit addresses
 * in Bech32 (witness v0, BIP173) or Bech32m (v1 to v16, BIP350) with the
 * network's human-readable part. Every rule of the BIPs is checked; a
 * refusal has a name. Pure. */
#ifndef BTCPEERD_ADDRESS_H
#define BTCPEERD_ADDRESS_H

#include <btcpeerd/netparams.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest script an address stands for: OP_n, a push of 40 bytes. */
#define ADDRESS_MAX_SCRIPT 42u
#define ADDRESS_MAX_LEN 100u /* longer strings are refused unread (Core's bound) */

enum address_err {
    ADDRESS_OK = 0,
    ADDRESS_ERR_EMPTY,
    ADDRESS_ERR_TOO_LONG,
    ADDRESS_ERR_BASE58_CHAR,      /* neither Base58 nor a segwit address of a known HRP */
    ADDRESS_ERR_BASE58_CHECKSUM,
    ADDRESS_ERR_BASE58_LENGTH,    /* a payload other than version + 20 bytes */
    ADDRESS_ERR_BASE58_VERSION,   /* a version byte no network uses for addresses */
    ADDRESS_ERR_WRONG_NETWORK,    /* a valid address of another network */
    ADDRESS_ERR_UNKNOWN_HRP,      /* a valid Bech32(m) string of no network */
    ADDRESS_ERR_BECH32,           /* malformed Bech32 (see bech32_decode for which rule) */
    ADDRESS_ERR_MIXED_CASE,
    ADDRESS_ERR_BECH32_CHECKSUM,
    ADDRESS_ERR_WRONG_ENCODING,   /* v0 in Bech32m, or v1+ in Bech32 */
    ADDRESS_ERR_NO_DATA,          /* no witness version */
    ADDRESS_ERR_WITNESS_VERSION,  /* above 16 */
    ADDRESS_ERR_PADDING,          /* more than 4 bits, or non-zero bits, left over */
    ADDRESS_ERR_PROGRAM_LENGTH,   /* outside 2..40 bytes */
    ADDRESS_ERR_V0_PROGRAM_LENGTH,/* v0 neither 20 nor 32 bytes (BIP141) */
};

const char *address_err_str(enum address_err err);

enum address_type { ADDRESS_P2PKH = 1, ADDRESS_P2SH, ADDRESS_SEGWIT };

struct address {
    enum address_type type;
    uint8_t witness_version; /* ADDRESS_SEGWIT */
    uint8_t program[40];     /* the hash (20 bytes) or the witness program */
    size_t program_len;
};

/* Decode s as an address of network net. */
enum address_err address_decode(const char *s, enum net_id net, struct address *out);
/* The output script an address pays to; returns its length. */
size_t address_script(const struct address *a, uint8_t out[ADDRESS_MAX_SCRIPT]);
/* Both at once. */
enum address_err address_to_script(const char *s, enum net_id net,
                                   uint8_t script[ADDRESS_MAX_SCRIPT], size_t *len);

#endif
