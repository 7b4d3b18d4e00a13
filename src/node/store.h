/* State files written so that a crash at any moment leaves either the old
 * file or the new one, never a mix: temp file, fsync, rename, fsync of the
 * directory. */
#ifndef BTCPEERD_STORE_H
#define BTCPEERD_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_err { STORE_OK = 0, STORE_ERR_NOT_FOUND, STORE_ERR_IO, STORE_ERR_NOMEM, STORE_ERR_TOO_BIG };
const char *store_err_str(enum store_err err);

enum store_err store_write_atomic(const char *path, const void *data, size_t len);
/* The whole file (at most max_len bytes) into a new buffer the caller frees. */
enum store_err store_read(const char *path, size_t max_len, uint8_t **data, size_t *len);
/* Keep a bad file for inspection: path → path.bad (replacing an older one). */
enum store_err store_move_aside(const char *path);

#endif
