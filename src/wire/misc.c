/* The small fixed messages: empty ones (verack, getaddr, sendaddrv2,
 * sendheaders, wtxidrelay), ping/pong, feefilter, sendcmpct. Every one has
 * an exact length; anything after it is WIRE_ERR_TRAILING. */
#include <btcpeerd/wire.h>

/* Shared ending of every decoder here: map the reader's status, then insist
 * that nothing is left. */
static enum wire_err finish(const struct buf_reader *r)
{
    if (!buf_ok(r)) return wire_err_from_buf(r->status);
    return buf_remaining(r) ? WIRE_ERR_TRAILING : WIRE_OK;
}

enum wire_err wire_empty_decode(const uint8_t *p, size_t len)
{
    (void)p;
    return len ? WIRE_ERR_TRAILING : WIRE_OK;
}

enum wire_err wire_ping_decode(const uint8_t *p, size_t len, struct wire_ping *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    buf_read_u64le(&r, &out->nonce);
    return finish(&r);
}

enum wire_err wire_ping_encode(const struct wire_ping *v, struct buf_writer *out)
{
    return buf_write_u64le(out, v->nonce) ? WIRE_OK : WIRE_ERR_NOMEM;
}

enum wire_err wire_feefilter_decode(const uint8_t *p, size_t len, struct wire_feefilter *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    buf_read_i64le(&r, &out->feerate);
    return finish(&r);
}

enum wire_err wire_feefilter_encode(const struct wire_feefilter *v, struct buf_writer *out)
{
    return buf_write_i64le(out, v->feerate) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* announce is a bool byte: Core reads any non-zero value as true, so we
 * do; we write 0 or 1, so only those bytes re-encode identically. */
enum wire_err wire_sendcmpct_decode(const uint8_t *p, size_t len, struct wire_sendcmpct *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    uint8_t announce = 0;
    buf_read_u8(&r, &announce);
    buf_read_u64le(&r, &out->version);
    out->announce = announce != 0;
    return finish(&r);
}

enum wire_err wire_sendcmpct_encode(const struct wire_sendcmpct *v, struct buf_writer *out)
{
    bool ok = buf_write_u8(out, v->announce ? 1 : 0) && buf_write_u64le(out, v->version);
    return ok ? WIRE_OK : WIRE_ERR_NOMEM;
}
