/* State files written so that a crash at any moment leaves either the old
 * file or the new one, never a mix: temp file, fsync, rename, fsync of the
 * directory. */
#ifndef BTCPEERD_STORE_H
#define BTCPEERD_STORE_H

#include <btcpeerd/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_err { STORE_OK = 0, STORE_ERR_NOT_FOUND, STORE_ERR_IO, STORE_ERR_NOMEM, STORE_ERR_TOO_BIG };
const char *store_err_str(enum store_err err);

enum store_err store_write_atomic(const char *path, const void *data, size_t len);
/* The whole file (at most max_len bytes) into a new buffer the caller frees. */
enum store_err store_read(const char *path, size_t max_len, uint8_t **data, size_t *len);
/* fsync the directory holding path, so that a file created (or renamed)
 * there survives a power cut, not only its contents. */
enum store_err store_sync_dir_of(const char *path);
/* Keep a bad file for inspection: path → path.bad (replacing an older one). */
enum store_err store_move_aside(const char *path);

/* The envelope of peers.dat and banlist.dat: 4-byte magic, 1-byte version,
 * the body, SHA-256d of everything before it. */
enum store_envelope { STORE_ENVELOPE_OK = 0, STORE_ENVELOPE_TRUNCATED, STORE_ENVELOPE_FORMAT,
                      STORE_ENVELOPE_CHECKSUM };
/* Write magic and version; the body follows; then store_envelope_seal. */
void store_envelope_begin(struct buf_writer *w, const char magic[4], uint8_t version);
/* Append the checksum of everything since start (where begin wrote). */
bool store_envelope_seal(struct buf_writer *w, size_t start);
/* Check magic, version and checksum; *body is what lies between. */
enum store_envelope store_envelope_open(const uint8_t *data, size_t len, const char magic[4],
                                        uint8_t version, const uint8_t **body, size_t *body_len);

#endif
