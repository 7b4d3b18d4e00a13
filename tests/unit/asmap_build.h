/* A small ASMap encoder for tests: prefixes and their ASNs in, the bytes of
 * a map file out, in the format Core's contrib/asmap writes (a binary trie
 * of JUMP, MATCH and RETURN; a prefix no entry covers is unmapped). Written
 * from the format's description, so tests can build the maps they need;
 * the maps it makes are checked by asmap_new like any file. */
#ifndef BTCPEERD_ASMAP_BUILD_H
#define BTCPEERD_ASMAP_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct asmap_entry {
    uint8_t ip[16];  /* IPv4 as ::ffff:a.b.c.d */
    unsigned bits;   /* prefix length, at most 128 */
    uint32_t asn;    /* 1 .. 2^25 - 2^15, what the format can hold */
};

/* An IPv4 prefix a.b.c.d/bits as an entry (bits counts IPv4 bits). */
struct asmap_entry asmap_entry_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, unsigned bits,
                                  uint32_t asn);

/* The file for these entries (no entry a prefix of another): malloc'd
 * bytes the caller frees, length in *len; NULL on a bad entry set. */
uint8_t *asmap_build(const struct asmap_entry *e, size_t n, size_t *len);

#endif
