/* Inventory vectors: inv, getdata and notfound share one layout, a count
 * (≤ 50,000) of (type, hash). Unknown types are kept as they are: the peer
 * layer decides what to do with them, the codec only checks the shape. */
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#define INV_ENTRY_LEN 36u

const char *wire_inv_type_str(uint32_t type)
{
    switch (type) {
    case WIRE_INV_ERROR: return "error";
    case WIRE_INV_TX: return "tx";
    case WIRE_INV_BLOCK: return "block";
    case WIRE_INV_FILTERED_BLOCK: return "filtered_block";
    case WIRE_INV_CMPCT_BLOCK: return "cmpct_block";
    case WIRE_INV_WTX: return "wtx";
    case WIRE_INV_WITNESS_TX: return "witness_tx";
    case WIRE_INV_WITNESS_BLOCK: return "witness_block";
    case WIRE_INV_WITNESS_FILTERED_BLOCK: return "witness_filtered_block";
    default: return "unknown";
    }
}

void wire_inv_free(struct wire_inv *v)
{
    free(v->entries);
    v->entries = NULL;
    v->count = 0;
}

enum wire_err wire_inv_decode(const uint8_t *p, size_t len, struct wire_inv *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    size_t n;
    if (!buf_read_count(&r, WIRE_MAX_INV, INV_ENTRY_LEN, &n)) return wire_err_from_buf(r.status);
    if (buf_remaining(&r) != n * INV_ENTRY_LEN)
        return buf_remaining(&r) < n * INV_ENTRY_LEN ? WIRE_ERR_TRUNCATED : WIRE_ERR_TRAILING;
    out->entries = malloc(n ? n * sizeof *out->entries : 1);
    if (!out->entries) return WIRE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        buf_read_u32le(&r, &out->entries[i].type);
        buf_read_bytes(&r, out->entries[i].hash, 32);
    }
    out->count = n;
    return WIRE_OK;
}

enum wire_err wire_inv_encode(const struct wire_inv *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_INV) return WIRE_ERR_TOO_MANY;
    if (!buf_reserve(out, 9 + v->count * INV_ENTRY_LEN)) return WIRE_ERR_NOMEM;
    buf_write_compact(out, v->count);
    for (size_t i = 0; i < v->count; i++) {
        buf_write_u32le(out, v->entries[i].type);
        buf_write_bytes(out, v->entries[i].hash, 32);
    }
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}
