/* The output descriptors a scan can watch (BIP380 syntax): exactly
 * `addr(ADDRESS)` (BIP385) and `raw(HEX)` (BIP385), each with an optional
 * `#checksum` (BIP380), which is checked when present. Anything else,
 * such as wpkh() or tr(), is refused by name: those need key derivation
 * btcpeerd does not do. Pure. */
#ifndef BTCPEERD_DESCRIPTOR_H
#define BTCPEERD_DESCRIPTOR_H

#include <btcpeerd/address.h>
#include <btcpeerd/netparams.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DESCRIPTOR_CHECKSUM_LEN 8u
/* Core's MAX_SCRIPT_SIZE: a raw() script longer than this could never be
 * spent, but it can still be an output; callers pass their own cap. */
#define DESCRIPTOR_MAX_SCRIPT 10000u

enum descriptor_err {
    DESCRIPTOR_OK = 0,
    DESCRIPTOR_ERR_EMPTY,
    DESCRIPTOR_ERR_BAD_CHAR,         /* a character outside BIP380's input set */
    DESCRIPTOR_ERR_CHECKSUM_LENGTH,  /* '#' not followed by exactly 8 characters */
    DESCRIPTOR_ERR_BAD_CHECKSUM,     /* not the checksum of what precedes it */
    DESCRIPTOR_ERR_SYNTAX,           /* not NAME(ARGUMENT) as a whole */
    DESCRIPTOR_ERR_UNSUPPORTED,      /* a function other than addr and raw */
    DESCRIPTOR_ERR_BAD_HEX,          /* raw(): empty, odd length or not hex */
    DESCRIPTOR_ERR_SCRIPT_TOO_LONG,  /* raw(): more bytes than the caller's room */
    DESCRIPTOR_ERR_BAD_ADDRESS,      /* addr(): the address error says why */
};

const char *descriptor_err_str(enum descriptor_err err);

/* BIP380's checksum of desc[0..len) (no '#' part): 8 characters and a NUL
 * into out. False if a character is outside the input set. */
bool descriptor_checksum(const char *desc, size_t len, char out[DESCRIPTOR_CHECKSUM_LEN + 1]);

/* Parse desc for network net; the script goes to script[0..cap), its
 * length to *len. For DESCRIPTOR_ERR_BAD_ADDRESS, *addr_err (may be NULL)
 * says what was wrong with the address. */
enum descriptor_err descriptor_parse(const char *desc, enum net_id net, uint8_t *script,
                                     size_t cap, size_t *len, enum address_err *addr_err);

#endif
