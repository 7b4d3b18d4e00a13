/* Byte buffers for the wire: a bounds-checked read cursor over a borrowed
 * (pointer, length) and a growing write buffer.
 *
 * Both keep a sticky status: after the first failure every later call fails
 * too, so a decoder can read a whole structure and check once. Reads never
 * touch memory past the end; a failed read leaves the output untouched. */
#ifndef BTCPEERD_BUF_H
#define BTCPEERD_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bitcoin Core's MAX_SIZE: no compact size read from the wire may exceed it. */
#define COMPACT_SIZE_MAX 0x02000000u

enum buf_status {
    BUF_OK = 0,
    BUF_TRUNCATED,    /* fewer bytes remain than the read needs */
    BUF_NONCANONICAL, /* a compact size not in its shortest form */
    BUF_TOO_LARGE,    /* a compact size above COMPACT_SIZE_MAX */
    BUF_NOMEM,        /* the write buffer could not grow */
};

const char *buf_status_str(enum buf_status status);

struct buf_reader {
    const uint8_t *p; /* next unread byte */
    size_t len;       /* bytes left */
    enum buf_status status;
};

void buf_reader_init(struct buf_reader *r, const uint8_t *data, size_t len);
static inline size_t buf_remaining(const struct buf_reader *r) { return r->len; }
static inline bool buf_ok(const struct buf_reader *r) { return r->status == BUF_OK; }

bool buf_read_u8(struct buf_reader *r, uint8_t *out);
bool buf_read_u16le(struct buf_reader *r, uint16_t *out);
bool buf_read_u16be(struct buf_reader *r, uint16_t *out);
bool buf_read_u32le(struct buf_reader *r, uint32_t *out);
bool buf_read_i32le(struct buf_reader *r, int32_t *out);
bool buf_read_u64le(struct buf_reader *r, uint64_t *out);
bool buf_read_i64le(struct buf_reader *r, int64_t *out);
bool buf_read_bytes(struct buf_reader *r, void *out, size_t n);
/* Borrow the next n bytes without copying; *out points into the input. */
bool buf_read_view(struct buf_reader *r, size_t n, const uint8_t **out);
bool buf_skip(struct buf_reader *r, size_t n);
/* A compact size: canonical, and at most COMPACT_SIZE_MAX. */
bool buf_read_compact(struct buf_reader *r, uint64_t *out);
/* A canonical compact size of any 64-bit value (BIP155's services field,
 * which is a bit field, not a length). */
bool buf_read_compact_u64(struct buf_reader *r, uint64_t *out);
/* A compact-size count of items of at least min_item_size bytes each, at most
 * max_count: fails before the caller allocates if the bytes that remain
 * cannot hold that many items (a lying count is caught here). */
bool buf_read_count(struct buf_reader *r, size_t max_count, size_t min_item_size,
                    size_t *out);

struct buf_writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    enum buf_status status;
};

void buf_writer_init(struct buf_writer *w);
void buf_writer_free(struct buf_writer *w);
/* Hand the bytes to the caller (who frees them); the writer is reset. */
uint8_t *buf_writer_steal(struct buf_writer *w, size_t *len);
void buf_writer_reset(struct buf_writer *w); /* len = 0, keeps the memory */
static inline bool buf_writer_ok(const struct buf_writer *w) { return w->status == BUF_OK; }

bool buf_reserve(struct buf_writer *w, size_t extra);
bool buf_write_u8(struct buf_writer *w, uint8_t v);
bool buf_write_u16le(struct buf_writer *w, uint16_t v);
bool buf_write_u16be(struct buf_writer *w, uint16_t v);
bool buf_write_u32le(struct buf_writer *w, uint32_t v);
bool buf_write_i32le(struct buf_writer *w, int32_t v);
bool buf_write_u64le(struct buf_writer *w, uint64_t v);
bool buf_write_i64le(struct buf_writer *w, int64_t v);
bool buf_write_bytes(struct buf_writer *w, const void *data, size_t n);
bool buf_write_compact(struct buf_writer *w, uint64_t v);

/* Compact size on plain memory: encode into out (up to 9 bytes), returning
 * the length; the size of an encoding without writing it. */
size_t compact_size_encode(uint64_t v, uint8_t out[9]);
size_t compact_size_len(uint64_t v);

/* Little-endian helpers for fixed fields in raw buffers. */
static inline uint32_t le32_read(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void le32_write(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

#endif
