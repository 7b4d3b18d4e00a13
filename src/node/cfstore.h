/* The filter header chain (BIP157, basic filters): one 32-byte header per
 * height of the active header chain, from genesis, in memory and in
 * <datadir>/cfheaders.dat (record h at offset 32·h, nothing else).
 *
 * Crash safety as headers.dat: the file only grows by appends written and
 * fsynced off the loop (the node's disk writer), and shrinks by a
 * truncation on the same thread, in order; a torn tail (a length not a
 * multiple of 32) is cut at open. A filter header cannot be checked alone
 * (it hashes a filter we do not keep), so open keeps only the records up to
 * the last multiple of WIRE_CFCHECKPT_INTERVAL (and up to the header
 * chain's height): every header kept is then compared with the peers'
 * checkpoints before the chain grows from it, and the tail after it, at
 * most 999 headers, is synced again. */
#ifndef BTCPEERD_CFSTORE_H
#define BTCPEERD_CFSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diskwriter;
struct cfstore;

enum cfstore_err { CFSTORE_OK = 0, CFSTORE_ERR_IO, CFSTORE_ERR_NOMEM };
const char *cfstore_err_str(enum cfstore_err err);

/* path NULL: memory only. max_height: the header chain's height (records
 * above it are dropped). *cut: records dropped at open (tail, torn bytes
 * counted as one). */
enum cfstore_err cfstore_open(const char *path, int32_t max_height, struct cfstore **out,
                              size_t *loaded, size_t *cut);
/* Headers known: heights 0 .. count-1. */
size_t cfstore_count(const struct cfstore *s);
const uint8_t *cfstore_get(const struct cfstore *s, int32_t height); /* NULL past the end */
/* Append headers for heights count .. count+n-1. */
enum cfstore_err cfstore_append(struct cfstore *s, const uint8_t (*hdrs)[32], size_t n);
/* Forget heights >= count (a reorg, a checkpoint that disagrees). */
void cfstore_truncate(struct cfstore *s, size_t count);
/* Make the file match memory, off the loop through w (none: nothing). At
 * most one job is out; a flush asked meanwhile follows it. */
void cfstore_flush(struct cfstore *s, struct diskwriter *w);
/* Records durable in the file (the last job that came back). */
size_t cfstore_durable(const struct cfstore *s);
/* Bytes of heap held. */
size_t cfstore_memory(const struct cfstore *s);
/* The caller has drained the writer (no job is out). */
void cfstore_close(struct cfstore *s);

#endif
