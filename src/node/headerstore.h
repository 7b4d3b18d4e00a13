/* headers.dat: every accepted header, 80 bytes each, appended in the order
 * they were accepted (so a parent always comes before its children). At
 * start the file is replayed through the chain's full validation: a record
 * that does not link or validate ends the replay, and the file is cut there
 * (a torn last record after a crash is cut the same way). No separate
 * checksums: each header commits to its parent's hash, and re-hashing is
 * what validation does anyway. */
#ifndef BTCPEERD_HEADERSTORE_H
#define BTCPEERD_HEADERSTORE_H

#include <btcpeerd/chain.h>

#include <stddef.h>
#include <stdint.h>

enum headerstore_err { HEADERSTORE_OK = 0, HEADERSTORE_ERR_IO, HEADERSTORE_ERR_NOMEM };
const char *headerstore_err_str(enum headerstore_err err);

struct headerstore;

/* Open (creating) path, replay it into c, and cut what did not replay.
 * *loaded: headers added; *cut_bytes: bytes removed from the end. */
enum headerstore_err headerstore_open(const char *path, struct chain *c, int64_t now,
                                      struct headerstore **out, size_t *loaded, size_t *cut_bytes);
/* Append one header (buffered; written by headerstore_flush). */
enum headerstore_err headerstore_append(struct headerstore *hs, const struct wire_header *h);
/* Write what is buffered and fsync. */
enum headerstore_err headerstore_flush(struct headerstore *hs);
/* Record i (0-based: the i-th header accepted after genesis). */
enum headerstore_err headerstore_read(const struct headerstore *hs, uint32_t i, uint8_t out[80]);
void headerstore_close(struct headerstore *hs);

#endif
