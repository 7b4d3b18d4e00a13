/* Transactions, parsed only as far as their boundaries and ids need: Bitcoin
 * Core's serialization rules with witness (BIP144), every count bounded by
 * the bytes that remain before it is trusted. The bytes stay where they
 * are; a wire_tx_span says where the parts lie so txid and wtxid can be
 * hashed without copying. */
#include <btcpeerd/sha256.h>
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#define MIN_INPUT_LEN 41u  /* outpoint 36, empty script 1, sequence 4 */
#define MIN_OUTPUT_LEN 9u  /* value 8, empty script 1 */

static bool skip_script(struct buf_reader *r)
{
    uint64_t n;
    return buf_read_compact(r, &n) && buf_skip(r, (size_t)n);
}

static bool skip_inputs(struct buf_reader *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!buf_skip(r, 36) || !skip_script(r) || !buf_skip(r, 4)) return false;
    return true;
}

static bool skip_outputs(struct buf_reader *r)
{
    size_t n;
    if (!buf_read_count(r, SIZE_MAX, MIN_OUTPUT_LEN, &n)) return false;
    for (size_t i = 0; i < n; i++)
        if (!buf_skip(r, 8) || !skip_script(r)) return false;
    return true;
}

/* One witness stack per input; *any_item says whether some stack is
 * non-empty (a witness flag with only empty stacks is malformed). */
static bool skip_witnesses(struct buf_reader *r, size_t n_inputs, bool *any_item)
{
    for (size_t i = 0; i < n_inputs; i++) {
        size_t items;
        if (!buf_read_count(r, SIZE_MAX, 1, &items)) return false;
        if (items) *any_item = true;
        for (size_t k = 0; k < items; k++)
            if (!skip_script(r)) return false;
    }
    return true;
}

static uint32_t offset_of(const struct buf_reader *r, const uint8_t *base)
{
    return (uint32_t)(r->p - base);
}

enum wire_err wire_tx_parse(struct buf_reader *r, const uint8_t *base, struct wire_tx_span *span)
{
    memset(span, 0, sizeof *span);
    span->off = offset_of(r, base);
    int32_t version;
    size_t n_in = 0;
    buf_read_i32le(r, &version);
    span->io_off = offset_of(r, base);
    if (!buf_read_count(r, SIZE_MAX, MIN_INPUT_LEN, &n_in)) return wire_err_from_buf(r->status);

    uint8_t flags = 0;
    if (n_in == 0) {
        /* An empty input list is the BIP144 marker; the flag byte follows. */
        if (!buf_read_u8(r, &flags)) return wire_err_from_buf(r->status);
        if (flags != 0) {
            span->io_off = offset_of(r, base);
            if (!buf_read_count(r, SIZE_MAX, MIN_INPUT_LEN, &n_in) || !skip_inputs(r, n_in) ||
                !skip_outputs(r))
                return wire_err_from_buf(r->status);
        }
    } else if (!skip_inputs(r, n_in) || !skip_outputs(r)) {
        return wire_err_from_buf(r->status);
    }
    span->io_len = offset_of(r, base) - span->io_off;

    if (flags & 1) {
        flags ^= 1;
        bool any_item = false;
        if (!skip_witnesses(r, n_in, &any_item)) return wire_err_from_buf(r->status);
        if (!any_item) return WIRE_ERR_BAD_TX; /* superfluous witness record */
        span->witness = true;
    }
    if (flags) return WIRE_ERR_BAD_TX; /* unknown optional data */
    if (!buf_skip(r, 4)) return wire_err_from_buf(r->status);
    span->len = offset_of(r, base) - span->off;
    return WIRE_OK;
}

void wire_tx_txid(const uint8_t *base, const struct wire_tx_span *span, uint8_t out[32])
{
    const uint8_t *tx = base + span->off;
    if (!span->witness) {
        sha256d(tx, span->len, out);
        return;
    }
    const void *parts[3] = {tx, base + span->io_off, tx + span->len - 4};
    const size_t lens[3] = {4, span->io_len, 4};
    sha256d_parts(parts, lens, 3, out);
}

void wire_tx_wtxid(const uint8_t *base, const struct wire_tx_span *span, uint8_t out[32])
{
    sha256d(base + span->off, span->len, out);
}

void wire_tx_free(struct wire_tx *v)
{
    free(v->raw);
    v->raw = NULL;
    v->raw_len = 0;
}

enum wire_err wire_tx_decode(const uint8_t *p, size_t len, struct wire_tx *out)
{
    memset(out, 0, sizeof *out);
    if (len > UINT32_MAX) return WIRE_ERR_TOO_LONG;
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    enum wire_err err = wire_tx_parse(&r, p, &out->span);
    if (err != WIRE_OK) return err;
    if (buf_remaining(&r)) return WIRE_ERR_TRAILING;
    out->raw = malloc(len);
    if (!out->raw) return WIRE_ERR_NOMEM;
    memcpy(out->raw, p, len);
    out->raw_len = len;
    return WIRE_OK;
}

enum wire_err wire_tx_encode(const struct wire_tx *v, struct buf_writer *out)
{
    return buf_write_bytes(out, v->raw, v->raw_len) ? WIRE_OK : WIRE_ERR_NOMEM;
}

enum wire_err wire_txouts_begin(const uint8_t *base, const struct wire_tx_span *span,
                                struct wire_txout_iter *it, size_t *n_inputs)
{
    /* The span came from wire_tx_parse, so these reads succeed; they are
     * checked anyway, as every read of these bytes is. */
    buf_reader_init(&it->r, base + span->io_off, span->io_len);
    it->left = 0;
    size_t n_in, n_out;
    if (!buf_read_count(&it->r, SIZE_MAX, MIN_INPUT_LEN, &n_in) || !skip_inputs(&it->r, n_in) ||
        !buf_read_count(&it->r, SIZE_MAX, MIN_OUTPUT_LEN, &n_out))
        return wire_err_from_buf(it->r.status);
    it->left = n_out;
    if (n_inputs) *n_inputs = n_in;
    return WIRE_OK;
}

bool wire_txouts_next(struct wire_txout_iter *it, struct wire_txout *out)
{
    uint64_t len;
    if (it->left == 0 || !buf_read_i64le(&it->r, &out->value) || !buf_read_compact(&it->r, &len) ||
        !buf_read_view(&it->r, (size_t)len, &out->script)) {
        it->left = 0;
        return false;
    }
    out->script_len = (size_t)len;
    it->left--;
    return true;
}
