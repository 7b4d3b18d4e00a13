/* Read cursor and write buffer: the only code in btcpeerd that indexes raw
 * bytes from the network, so every bound is checked here once. */
#include <btcpeerd/buf.h>

#include <stdlib.h>
#include <string.h>

const char *buf_status_str(enum buf_status status)
{
    switch (status) {
    case BUF_OK: return "ok";
    case BUF_TRUNCATED: return "truncated";
    case BUF_NONCANONICAL: return "non-canonical-compact-size";
    case BUF_TOO_LARGE: return "compact-size-too-large";
    case BUF_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

void buf_reader_init(struct buf_reader *r, const uint8_t *data, size_t len)
{
    r->p = data;
    r->len = data ? len : 0;
    r->status = BUF_OK;
}

static bool reader_fail(struct buf_reader *r, enum buf_status status)
{
    if (r->status == BUF_OK) r->status = status;
    return false;
}

/* The single bounds check every read goes through. */
static const uint8_t *reader_take(struct buf_reader *r, size_t n)
{
    if (r->status != BUF_OK) return NULL;
    if (n > r->len) {
        reader_fail(r, BUF_TRUNCATED);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->len -= n;
    return p;
}

bool buf_read_u8(struct buf_reader *r, uint8_t *out)
{
    const uint8_t *p = reader_take(r, 1);
    if (!p) return false;
    *out = p[0];
    return true;
}

bool buf_read_u16le(struct buf_reader *r, uint16_t *out)
{
    const uint8_t *p = reader_take(r, 2);
    if (!p) return false;
    *out = (uint16_t)(p[0] | p[1] << 8);
    return true;
}

bool buf_read_u16be(struct buf_reader *r, uint16_t *out)
{
    const uint8_t *p = reader_take(r, 2);
    if (!p) return false;
    *out = (uint16_t)(p[0] << 8 | p[1]);
    return true;
}

bool buf_read_u32le(struct buf_reader *r, uint32_t *out)
{
    const uint8_t *p = reader_take(r, 4);
    if (!p) return false;
    *out = le32_read(p);
    return true;
}

bool buf_read_i32le(struct buf_reader *r, int32_t *out)
{
    uint32_t v;
    if (!buf_read_u32le(r, &v)) return false;
    *out = (int32_t)v;
    return true;
}

bool buf_read_u64le(struct buf_reader *r, uint64_t *out)
{
    const uint8_t *p = reader_take(r, 8);
    if (!p) return false;
    *out = (uint64_t)le32_read(p) | (uint64_t)le32_read(p + 4) << 32;
    return true;
}

bool buf_read_i64le(struct buf_reader *r, int64_t *out)
{
    uint64_t v;
    if (!buf_read_u64le(r, &v)) return false;
    *out = (int64_t)v;
    return true;
}

bool buf_read_bytes(struct buf_reader *r, void *out, size_t n)
{
    const uint8_t *p = reader_take(r, n);
    if (!p) return false;
    if (n) memcpy(out, p, n);
    return true;
}

bool buf_read_view(struct buf_reader *r, size_t n, const uint8_t **out)
{
    const uint8_t *p = reader_take(r, n);
    if (!p) return false;
    *out = p;
    return true;
}

bool buf_skip(struct buf_reader *r, size_t n)
{
    return reader_take(r, n) != NULL;
}

/* Core's ReadCompactSize: each width must be needed, else non-canonical. */
bool buf_read_compact_u64(struct buf_reader *r, uint64_t *out)
{
    uint8_t tag;
    if (!buf_read_u8(r, &tag)) return false;
    uint64_t v;
    if (tag < 0xfd) {
        v = tag;
    } else if (tag == 0xfd) {
        uint16_t v16;
        if (!buf_read_u16le(r, &v16)) return false;
        if (v16 < 0xfd) return reader_fail(r, BUF_NONCANONICAL);
        v = v16;
    } else if (tag == 0xfe) {
        uint32_t v32;
        if (!buf_read_u32le(r, &v32)) return false;
        if (v32 < 0x10000u) return reader_fail(r, BUF_NONCANONICAL);
        v = v32;
    } else {
        if (!buf_read_u64le(r, &v)) return false;
        if (v < 0x100000000ull) return reader_fail(r, BUF_NONCANONICAL);
    }
    *out = v;
    return true;
}

bool buf_read_compact(struct buf_reader *r, uint64_t *out)
{
    uint64_t v;
    if (!buf_read_compact_u64(r, &v)) return false;
    if (v > COMPACT_SIZE_MAX) return reader_fail(r, BUF_TOO_LARGE);
    *out = v;
    return true;
}

bool buf_read_count(struct buf_reader *r, size_t max_count, size_t min_item_size, size_t *out)
{
    uint64_t n;
    if (!buf_read_compact(r, &n)) return false;
    if (n > max_count) return reader_fail(r, BUF_TOO_LARGE);
    if (min_item_size && n > r->len / min_item_size) return reader_fail(r, BUF_TRUNCATED);
    *out = (size_t)n;
    return true;
}

void buf_writer_init(struct buf_writer *w)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
    w->status = BUF_OK;
}

void buf_writer_free(struct buf_writer *w)
{
    free(w->data);
    buf_writer_init(w);
}

uint8_t *buf_writer_steal(struct buf_writer *w, size_t *len)
{
    uint8_t *data = w->data;
    if (len) *len = w->len;
    buf_writer_init(w);
    return data;
}

void buf_writer_reset(struct buf_writer *w)
{
    w->len = 0;
    w->status = BUF_OK;
}

bool buf_reserve(struct buf_writer *w, size_t extra)
{
    if (w->status != BUF_OK) return false;
    if (extra <= w->cap - w->len) return true;
    if (extra > SIZE_MAX / 2 - w->len) {
        w->status = BUF_NOMEM;
        return false;
    }
    size_t need = w->len + extra;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *data = realloc(w->data, cap);
    if (!data) {
        w->status = BUF_NOMEM;
        return false;
    }
    w->data = data;
    w->cap = cap;
    return true;
}

bool buf_write_bytes(struct buf_writer *w, const void *data, size_t n)
{
    if (!buf_reserve(w, n)) return false;
    if (n) memcpy(w->data + w->len, data, n);
    w->len += n;
    return true;
}

bool buf_write_u8(struct buf_writer *w, uint8_t v)
{
    return buf_write_bytes(w, &v, 1);
}

bool buf_write_u16le(struct buf_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return buf_write_bytes(w, b, 2);
}

bool buf_write_u16be(struct buf_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return buf_write_bytes(w, b, 2);
}

bool buf_write_u32le(struct buf_writer *w, uint32_t v)
{
    uint8_t b[4];
    le32_write(b, v);
    return buf_write_bytes(w, b, 4);
}

bool buf_write_i32le(struct buf_writer *w, int32_t v)
{
    return buf_write_u32le(w, (uint32_t)v);
}

bool buf_write_u64le(struct buf_writer *w, uint64_t v)
{
    uint8_t b[8];
    le32_write(b, (uint32_t)v);
    le32_write(b + 4, (uint32_t)(v >> 32));
    return buf_write_bytes(w, b, 8);
}

bool buf_write_i64le(struct buf_writer *w, int64_t v)
{
    return buf_write_u64le(w, (uint64_t)v);
}

size_t compact_size_len(uint64_t v)
{
    if (v < 0xfd) return 1;
    if (v <= 0xffff) return 3;
    if (v <= 0xffffffffu) return 5;
    return 9;
}

size_t compact_size_encode(uint64_t v, uint8_t out[9])
{
    size_t n = compact_size_len(v);
    switch (n) {
    case 1: out[0] = (uint8_t)v; break;
    case 3: out[0] = 0xfd; out[1] = (uint8_t)v; out[2] = (uint8_t)(v >> 8); break;
    case 5: out[0] = 0xfe; le32_write(out + 1, (uint32_t)v); break;
    default:
        out[0] = 0xff;
        le32_write(out + 1, (uint32_t)v);
        le32_write(out + 5, (uint32_t)(v >> 32));
        break;
    }
    return n;
}

bool buf_write_compact(struct buf_writer *w, uint64_t v)
{
    uint8_t b[9];
    size_t n = compact_size_encode(v, b);
    return buf_write_bytes(w, b, n);
}
