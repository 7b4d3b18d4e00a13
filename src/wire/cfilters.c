/* BIP157 compact filter messages: getcfilters/getcfheaders (one layout),
 * cfilter, cfheaders, getcfcheckpt, cfcheckpt, and their small generic.
 *
 * The codec checks shapes and counts, as every wire codec here: the
 * filter type byte is kept as sent (the node decides what an unknown type
 * means), counts are bounded by Core's limits and by the bytes present
 * before anything is allocated, and a payload must end where its last
 * field does. What needs the chain (a range's length, the exact number of
 * checkpoints, a filter's contents) is the node's to check. */
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

static const char *const cf_commands[WIRE_CF_TYPE_COUNT] = {
    [WIRE_CF_GETCFILTERS] = "getcfilters",   [WIRE_CF_CFILTER] = "cfilter",
    [WIRE_CF_GETCFHEADERS] = "getcfheaders", [WIRE_CF_CFHEADERS] = "cfheaders",
    [WIRE_CF_GETCFCHECKPT] = "getcfcheckpt", [WIRE_CF_CFCHECKPT] = "cfcheckpt",
};

const char *wire_cf_command(enum wire_cf_type type)
{
    return (unsigned)type < WIRE_CF_TYPE_COUNT ? cf_commands[type] : "";
}

bool wire_cf_type_from_command(const char *command, size_t len, enum wire_cf_type *out)
{
    size_t n = strnlen(command, len < WIRE_COMMAND_LEN ? len : WIRE_COMMAND_LEN);
    for (unsigned i = 0; i < WIRE_CF_TYPE_COUNT; i++) {
        if (n && strlen(cf_commands[i]) == n && memcmp(cf_commands[i], command, n) == 0) {
            *out = (enum wire_cf_type)i;
            return true;
        }
    }
    return false;
}

static enum wire_err finish(const struct buf_reader *r)
{
    if (!buf_ok(r)) return wire_err_from_buf(r->status);
    return buf_remaining(r) ? WIRE_ERR_TRAILING : WIRE_OK;
}

/* A count of 32-byte hashes that must fill the rest of the payload
 * exactly; the array is allocated only once that holds. */
static enum wire_err read_hashes(struct buf_reader *r, size_t max, size_t *count,
                                 uint8_t (**out)[32])
{
    size_t n;
    if (!buf_read_count(r, max, 32, &n)) return wire_err_from_buf(r->status);
    if (buf_remaining(r) != n * 32) return WIRE_ERR_TRAILING; /* fewer failed just above */
    *out = malloc(n ? n * 32 : 1);
    if (!*out) return WIRE_ERR_NOMEM;
    if (n) buf_read_bytes(r, *out, n * 32);
    *count = n;
    return WIRE_OK;
}

static enum wire_err write_hashes(struct buf_writer *out, size_t max, size_t count,
                                  const uint8_t (*hashes)[32])
{
    if (count > max) return WIRE_ERR_TOO_MANY;
    if (!buf_reserve(out, 9 + count * 32)) return WIRE_ERR_NOMEM;
    buf_write_compact(out, count);
    if (count) buf_write_bytes(out, hashes, count * 32);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* ---- getcfilters, getcfheaders ---- */

enum wire_err wire_cfrange_decode(const uint8_t *p, size_t len, struct wire_cfrange *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    buf_read_u8(&r, &out->filter_type);
    buf_read_u32le(&r, &out->start_height);
    buf_read_bytes(&r, out->stop_hash, 32);
    return finish(&r);
}

enum wire_err wire_cfrange_encode(const struct wire_cfrange *v, struct buf_writer *out)
{
    buf_write_u8(out, v->filter_type);
    buf_write_u32le(out, v->start_height);
    buf_write_bytes(out, v->stop_hash, 32);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* ---- cfilter ---- */

void wire_cfilter_free(struct wire_cfilter *v)
{
    free(v->filter);
    v->filter = NULL;
    v->filter_len = 0;
}

enum wire_err wire_cfilter_decode(const uint8_t *p, size_t len, struct wire_cfilter *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    uint64_t n;
    const uint8_t *bytes;
    buf_read_u8(&r, &out->filter_type);
    buf_read_bytes(&r, out->block_hash, 32);
    if (!buf_read_compact(&r, &n)) return wire_err_from_buf(r.status);
    if (n > WIRE_MAX_PAYLOAD) return WIRE_ERR_TOO_LONG;
    /* The copy is sized by bytes that are present, never by the claim. */
    if (!buf_read_view(&r, (size_t)n, &bytes)) return wire_err_from_buf(r.status);
    if (buf_remaining(&r)) return WIRE_ERR_TRAILING;
    out->filter = malloc(n ? (size_t)n : 1);
    if (!out->filter) return WIRE_ERR_NOMEM;
    if (n) memcpy(out->filter, bytes, (size_t)n);
    out->filter_len = (size_t)n;
    return WIRE_OK;
}

enum wire_err wire_cfilter_encode(const struct wire_cfilter *v, struct buf_writer *out)
{
    if (v->filter_len > WIRE_MAX_PAYLOAD) return WIRE_ERR_TOO_LONG;
    if (!buf_reserve(out, 1 + 32 + 9 + v->filter_len)) return WIRE_ERR_NOMEM;
    buf_write_u8(out, v->filter_type);
    buf_write_bytes(out, v->block_hash, 32);
    buf_write_compact(out, v->filter_len);
    buf_write_bytes(out, v->filter, v->filter_len);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* ---- cfheaders ---- */

void wire_cfheaders_free(struct wire_cfheaders *v)
{
    free(v->filter_hashes);
    v->filter_hashes = NULL;
    v->count = 0;
}

enum wire_err wire_cfheaders_decode(const uint8_t *p, size_t len, struct wire_cfheaders *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    buf_read_u8(&r, &out->filter_type);
    buf_read_bytes(&r, out->stop_hash, 32);
    buf_read_bytes(&r, out->prev_header, 32);
    if (!buf_ok(&r)) return wire_err_from_buf(r.status);
    enum wire_err err = read_hashes(&r, WIRE_MAX_CFHEADERS, &out->count, &out->filter_hashes);
    if (err != WIRE_OK) wire_cfheaders_free(out);
    return err;
}

enum wire_err wire_cfheaders_encode(const struct wire_cfheaders *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_CFHEADERS) return WIRE_ERR_TOO_MANY;
    buf_write_u8(out, v->filter_type);
    buf_write_bytes(out, v->stop_hash, 32);
    buf_write_bytes(out, v->prev_header, 32);
    return write_hashes(out, WIRE_MAX_CFHEADERS, v->count, (const uint8_t(*)[32])v->filter_hashes);
}

/* ---- getcfcheckpt, cfcheckpt ---- */

enum wire_err wire_getcfcheckpt_decode(const uint8_t *p, size_t len, struct wire_getcfcheckpt *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    buf_read_u8(&r, &out->filter_type);
    buf_read_bytes(&r, out->stop_hash, 32);
    return finish(&r);
}

enum wire_err wire_getcfcheckpt_encode(const struct wire_getcfcheckpt *v, struct buf_writer *out)
{
    buf_write_u8(out, v->filter_type);
    buf_write_bytes(out, v->stop_hash, 32);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

void wire_cfcheckpt_free(struct wire_cfcheckpt *v)
{
    free(v->headers);
    v->headers = NULL;
    v->count = 0;
}

enum wire_err wire_cfcheckpt_decode(const uint8_t *p, size_t len, struct wire_cfcheckpt *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    buf_read_u8(&r, &out->filter_type);
    buf_read_bytes(&r, out->stop_hash, 32);
    if (!buf_ok(&r)) return wire_err_from_buf(r.status);
    enum wire_err err = read_hashes(&r, WIRE_MAX_CFCHECKPT, &out->count, &out->headers);
    if (err != WIRE_OK) wire_cfcheckpt_free(out);
    return err;
}

enum wire_err wire_cfcheckpt_encode(const struct wire_cfcheckpt *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_CFCHECKPT) return WIRE_ERR_TOO_MANY;
    buf_write_u8(out, v->filter_type);
    buf_write_bytes(out, v->stop_hash, 32);
    return write_hashes(out, WIRE_MAX_CFCHECKPT, v->count, (const uint8_t(*)[32])v->headers);
}

/* ---- the generic BIP157 message ---- */

enum wire_err wire_cf_decode(const char *command, const uint8_t *payload, size_t len,
                             struct wire_cf_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    enum wire_cf_type type;
    if (!wire_cf_type_from_command(command, strnlen(command, WIRE_COMMAND_LEN + 1), &type))
        return WIRE_ERR_BAD_COMMAND;
    msg->type = type;
    enum wire_err err = WIRE_ERR_BAD_COMMAND;
    switch (type) {
    case WIRE_CF_GETCFILTERS:
    case WIRE_CF_GETCFHEADERS: err = wire_cfrange_decode(payload, len, &msg->u.range); break;
    case WIRE_CF_CFILTER: err = wire_cfilter_decode(payload, len, &msg->u.cfilter); break;
    case WIRE_CF_CFHEADERS: err = wire_cfheaders_decode(payload, len, &msg->u.cfheaders); break;
    case WIRE_CF_GETCFCHECKPT:
        err = wire_getcfcheckpt_decode(payload, len, &msg->u.getcfcheckpt);
        break;
    case WIRE_CF_CFCHECKPT: err = wire_cfcheckpt_decode(payload, len, &msg->u.cfcheckpt); break;
    case WIRE_CF_TYPE_COUNT: break;
    }
    if (err != WIRE_OK) memset(msg, 0, sizeof *msg); /* decoders freed their own */
    return err;
}

enum wire_err wire_cf_encode(const struct wire_cf_msg *msg, struct buf_writer *out)
{
    enum wire_err err = WIRE_ERR_UNREPRESENTABLE;
    switch (msg->type) {
    case WIRE_CF_GETCFILTERS:
    case WIRE_CF_GETCFHEADERS: err = wire_cfrange_encode(&msg->u.range, out); break;
    case WIRE_CF_CFILTER: err = wire_cfilter_encode(&msg->u.cfilter, out); break;
    case WIRE_CF_CFHEADERS: err = wire_cfheaders_encode(&msg->u.cfheaders, out); break;
    case WIRE_CF_GETCFCHECKPT: err = wire_getcfcheckpt_encode(&msg->u.getcfcheckpt, out); break;
    case WIRE_CF_CFCHECKPT: err = wire_cfcheckpt_encode(&msg->u.cfcheckpt, out); break;
    case WIRE_CF_TYPE_COUNT: break;
    }
    if (err == WIRE_OK && !buf_writer_ok(out)) err = WIRE_ERR_NOMEM;
    return err;
}

void wire_cf_msg_free(struct wire_cf_msg *msg)
{
    switch (msg->type) {
    case WIRE_CF_CFILTER: wire_cfilter_free(&msg->u.cfilter); break;
    case WIRE_CF_CFHEADERS: wire_cfheaders_free(&msg->u.cfheaders); break;
    case WIRE_CF_CFCHECKPT: wire_cfcheckpt_free(&msg->u.cfcheckpt); break;
    default: break;
    }
    memset(msg, 0, sizeof *msg);
}
