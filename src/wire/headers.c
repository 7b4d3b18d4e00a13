/* Block headers: the 80-byte header itself, `headers` (≤ 2,000, each
 * followed by a transaction count that must be zero), and the block locator
 * of getheaders/getblocks (≤ 101 hashes). Header decoding is on the header
 * sync's hot path, so it reads fixed offsets from a buffer whose length was
 * checked once. */
#include <btcpeerd/sha256.h>
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#define HEADER_LEN 80u

void wire_header_parse(const uint8_t in[80], struct wire_header *h)
{
    h->version = (int32_t)le32_read(in);
    memcpy(h->prev_hash, in + 4, 32);
    memcpy(h->merkle_root, in + 36, 32);
    h->time = le32_read(in + 68);
    h->bits = le32_read(in + 72);
    h->nonce = le32_read(in + 76);
}

void wire_header_serialize(const struct wire_header *h, uint8_t out[80])
{
    le32_write(out, (uint32_t)h->version);
    memcpy(out + 4, h->prev_hash, 32);
    memcpy(out + 36, h->merkle_root, 32);
    le32_write(out + 68, h->time);
    le32_write(out + 72, h->bits);
    le32_write(out + 76, h->nonce);
}

void wire_header_hash(const struct wire_header *h, uint8_t out[32])
{
    uint8_t raw[HEADER_LEN];
    wire_header_serialize(h, raw);
    sha256d(raw, sizeof raw, out);
}

void wire_headers_free(struct wire_headers *v)
{
    free(v->headers);
    v->headers = NULL;
    v->count = 0;
}

enum wire_err wire_headers_decode(const uint8_t *p, size_t len, struct wire_headers *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    size_t n;
    if (!buf_read_count(&r, WIRE_MAX_HEADERS, HEADER_LEN + 1, &n)) return wire_err_from_buf(r.status);
    out->headers = malloc(n ? n * sizeof *out->headers : 1);
    if (!out->headers) return WIRE_ERR_NOMEM;
    enum wire_err err = WIRE_OK;
    for (size_t i = 0; i < n && err == WIRE_OK; i++) {
        const uint8_t *raw;
        uint64_t txn;
        if (!buf_read_view(&r, HEADER_LEN, &raw) || !buf_read_compact(&r, &txn)) {
            err = wire_err_from_buf(r.status);
        } else if (txn != 0) {
            err = WIRE_ERR_BAD_HEADER_TXN;
        } else {
            wire_header_parse(raw, &out->headers[i]);
        }
    }
    if (err == WIRE_OK && buf_remaining(&r)) err = WIRE_ERR_TRAILING;
    if (err != WIRE_OK) {
        wire_headers_free(out);
        return err;
    }
    out->count = n;
    return WIRE_OK;
}

enum wire_err wire_headers_encode(const struct wire_headers *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_HEADERS) return WIRE_ERR_TOO_MANY;
    if (!buf_reserve(out, 3 + v->count * (HEADER_LEN + 1))) return WIRE_ERR_NOMEM;
    buf_write_compact(out, v->count);
    for (size_t i = 0; i < v->count; i++) {
        uint8_t raw[HEADER_LEN + 1];
        wire_header_serialize(&v->headers[i], raw);
        raw[HEADER_LEN] = 0; /* tx count */
        buf_write_bytes(out, raw, sizeof raw);
    }
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

void wire_locator_free(struct wire_locator *v)
{
    free(v->hashes);
    v->hashes = NULL;
    v->count = 0;
}

enum wire_err wire_locator_decode(const uint8_t *p, size_t len, struct wire_locator *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    size_t n;
    buf_read_u32le(&r, &out->version);
    if (!buf_read_count(&r, WIRE_MAX_LOCATOR, 32, &n)) return wire_err_from_buf(r.status);
    out->hashes = malloc(n ? n * 32 : 1);
    if (!out->hashes) return WIRE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) buf_read_bytes(&r, out->hashes[i], 32);
    buf_read_bytes(&r, out->hash_stop, 32);
    out->count = n;
    enum wire_err err = buf_ok(&r) ? WIRE_OK : wire_err_from_buf(r.status);
    if (err == WIRE_OK && buf_remaining(&r)) err = WIRE_ERR_TRAILING;
    if (err != WIRE_OK) wire_locator_free(out);
    return err;
}

enum wire_err wire_locator_encode(const struct wire_locator *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_LOCATOR) return WIRE_ERR_TOO_MANY;
    buf_write_u32le(out, v->version);
    buf_write_compact(out, v->count);
    for (size_t i = 0; i < v->count; i++) buf_write_bytes(out, v->hashes[i], 32);
    buf_write_bytes(out, v->hash_stop, 32);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}
