/* ASMap: Bitcoin Core's compact map from IP prefixes to autonomous system
 * numbers (the --asmap file, built by Core's contrib/asmap). The file is a
 * small program of bits (read least significant bit first from each byte)
 * that, run over the 128 bits of an IPv6 address, returns an ASN, 0 meaning
 * "unmapped". Grouping peers by AS instead of by /16 means an attacker who
 * owns one AS (one network operator) cannot fill many of our buckets or
 * outbound slots by owning many prefixes (Erebus).
 *
 * Pure: bytes in, numbers out. A map is checked once when it is made
 * (Core's SanityCheckASMap rules), so looking up any address in it is
 * bounded and never fails; the lookup still bounds every read. */
#ifndef BTCPEERD_ASMAP_H
#define BTCPEERD_ASMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest file we read: Core's full maps are 1-2 MB. */
#define ASMAP_MAX_BYTES (64u * 1024 * 1024)
#define ASMAP_CHECKSUM_HEX_LEN 64u

enum asmap_err {
    ASMAP_OK = 0,
    ASMAP_ERR_EMPTY,   /* no bytes */
    ASMAP_ERR_TOO_BIG, /* more than ASMAP_MAX_BYTES */
    ASMAP_ERR_INSANE,  /* fails the sanity check: not a map Core would load */
    ASMAP_ERR_NOMEM,
};
const char *asmap_err_str(enum asmap_err err);

struct asmap;

/* Check the bytes of a map file as Core's SanityCheckASMap does (128 input
 * bits): every path ends in a RETURN, no jump lands inside an instruction
 * or past the end, at most 7 zero bits of padding. Any bytes are safe. */
bool asmap_bytes_sane(const uint8_t *data, size_t len);

/* A map from the bytes of a file (copied): checked, checksum computed. On
 * error *out is NULL. */
enum asmap_err asmap_new(const uint8_t *data, size_t len, struct asmap **out);
void asmap_free(struct asmap *m);

/* The ASN of a 128-bit address (an IPv4 one as ::ffff:a.b.c.d), 0 if the
 * map does not cover it. */
uint32_t asmap_lookup(const struct asmap *m, const uint8_t ip[16]);

size_t asmap_size(const struct asmap *m); /* bytes of the file */
/* Core's "asmap version": SHA-256d of the bits serialised as a vector<bool>
 * (a compact size of the bit count, then one byte 0/1 per bit), in hash
 * byte order (what peers.dat stores). */
void asmap_checksum(const struct asmap *m, uint8_t out[32]);
/* The same as Core prints it (uint256::ToString: bytes reversed), hex. */
void asmap_checksum_hex(const struct asmap *m, char out[ASMAP_CHECKSUM_HEX_LEN + 1]);

#endif
