/* Full transaction decoding and encoding: Core's UnserializeTransaction and
 * SerializeTransaction, and DecodeTx's choice between the witness and the
 * legacy reading of the same bytes. Every count is bounded by the bytes
 * that remain before an array is allocated; scripts and witnesses are not
 * copied. */
#include <btcpeerd/script.h>
#include <btcpeerd/tx.h>

#include <stdlib.h>
#include <string.h>

#define MIN_INPUT_LEN 41u /* outpoint 36, empty script 1, sequence 4 */
#define MIN_OUTPUT_LEN 9u /* value 8, empty script 1 */

static size_t pos_of(const struct buf_reader *r, const uint8_t *base)
{
    return (size_t)(r->p - base);
}

static bool read_script(struct buf_reader *r, const uint8_t **script, size_t *len)
{
    uint64_t n;
    if (!buf_read_compact(r, &n) || !buf_read_view(r, (size_t)n, script)) return false;
    *len = (size_t)n;
    return true;
}

static bool read_inputs(struct buf_reader *r, struct tx *tx)
{
    size_t n;
    if (!buf_read_count(r, SIZE_MAX, MIN_INPUT_LEN, &n)) return false;
    if (n == 0) return true;
    tx->inputs = calloc(n, sizeof *tx->inputs);
    if (!tx->inputs) {
        r->status = BUF_NOMEM;
        return false;
    }
    tx->n_inputs = n;
    for (size_t i = 0; i < n; i++) {
        struct tx_input *in = &tx->inputs[i];
        if (!buf_read_bytes(r, in->prev_hash, 32) || !buf_read_u32le(r, &in->prev_index) ||
            !read_script(r, &in->script_sig, &in->script_sig_len) ||
            !buf_read_u32le(r, &in->sequence))
            return false;
    }
    return true;
}

static bool read_outputs(struct buf_reader *r, struct tx *tx)
{
    size_t n;
    if (!buf_read_count(r, SIZE_MAX, MIN_OUTPUT_LEN, &n)) return false;
    if (n == 0) return true;
    tx->outputs = calloc(n, sizeof *tx->outputs);
    if (!tx->outputs) {
        r->status = BUF_NOMEM;
        return false;
    }
    tx->n_outputs = n;
    for (size_t i = 0; i < n; i++) {
        struct tx_output *out = &tx->outputs[i];
        if (!buf_read_i64le(r, &out->value) || !read_script(r, &out->script, &out->script_len))
            return false;
    }
    return true;
}

/* One stack per input. *any says whether some stack has an item. */
static bool read_witnesses(struct buf_reader *r, const uint8_t *base, struct tx *tx, bool *any)
{
    for (size_t i = 0; i < tx->n_inputs; i++) {
        struct tx_input *in = &tx->inputs[i];
        size_t items;
        if (!buf_read_count(r, SIZE_MAX, 1, &items)) return false;
        in->witness = r->p;
        for (size_t k = 0; k < items; k++) {
            const uint8_t *item;
            size_t item_len;
            if (!read_script(r, &item, &item_len)) return false;
        }
        in->witness_items = items;
        in->witness_len = pos_of(r, base) - (size_t)(in->witness - base);
        if (items) *any = true;
    }
    return true;
}

void tx_free(struct tx *tx)
{
    free(tx->inputs);
    free(tx->outputs);
    memset(tx, 0, sizeof *tx);
}

static enum wire_err fail(struct tx *tx, enum wire_err err)
{
    tx_free(tx);
    return err;
}

enum wire_err tx_decode(const uint8_t *p, size_t len, enum tx_serialization ser, struct tx *out)
{
    memset(out, 0, sizeof *out);
    if (len > UINT32_MAX) return WIRE_ERR_TOO_LONG;
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    out->raw = p;
    buf_read_i32le(&r, &out->version);
    size_t io_off = pos_of(&r, p);
    if (!read_inputs(&r, out)) return fail(out, wire_err_from_buf(r.status));

    uint8_t flags = 0;
    if (out->n_inputs == 0 && ser == TX_WITH_WITNESS) {
        /* The empty input list was the marker; the flag byte follows. */
        if (!buf_read_u8(&r, &flags)) return fail(out, wire_err_from_buf(r.status));
        if (flags != 0) {
            io_off = pos_of(&r, p);
            if (!read_inputs(&r, out) || !read_outputs(&r, out))
                return fail(out, wire_err_from_buf(r.status));
        }
    } else if (!read_outputs(&r, out)) {
        return fail(out, wire_err_from_buf(r.status));
    }
    size_t io_len = pos_of(&r, p) - io_off;

    size_t witness_start = pos_of(&r, p);
    if (flags & 1) {
        flags ^= 1;
        bool any = false;
        if (!read_witnesses(&r, p, out, &any)) return fail(out, wire_err_from_buf(r.status));
        if (!any) return fail(out, WIRE_ERR_BAD_TX); /* superfluous witness record */
        out->span.witness = true;
    }
    if (flags) return fail(out, WIRE_ERR_BAD_TX); /* unknown optional data */
    size_t witness_len = pos_of(&r, p) - witness_start;
    if (!buf_read_u32le(&r, &out->locktime)) return fail(out, wire_err_from_buf(r.status));
    if (buf_remaining(&r)) return fail(out, WIRE_ERR_TRAILING);

    out->size = len;
    out->stripped_size = out->span.witness ? len - 2 - witness_len : len;
    out->span.off = 0;
    out->span.len = (uint32_t)len;
    out->span.io_off = (uint32_t)io_off;
    out->span.io_len = (uint32_t)io_len;
    return WIRE_OK;
}

bool tx_input_prevout_is_null(const struct tx_input *in)
{
    static const uint8_t zero[32];
    return in->prev_index == TX_NULL_INDEX && memcmp(in->prev_hash, zero, 32) == 0;
}

bool tx_is_coinbase(const struct tx *tx)
{
    return tx->n_inputs == 1 && tx_input_prevout_is_null(&tx->inputs[0]);
}

bool tx_has_witness(const struct tx *tx)
{
    for (size_t i = 0; i < tx->n_inputs; i++)
        if (tx->inputs[i].witness_items) return true;
    return false;
}

/* Core's CheckTxScriptsSanity, the tie-breaker between the two readings. */
static bool scripts_sane(const struct tx *tx)
{
    if (!tx_is_coinbase(tx)) {
        for (size_t i = 0; i < tx->n_inputs; i++) {
            const struct tx_input *in = &tx->inputs[i];
            if (in->script_sig_len > SCRIPT_MAX_SIZE ||
                !script_has_valid_ops(in->script_sig, in->script_sig_len))
                return false;
        }
    }
    for (size_t i = 0; i < tx->n_outputs; i++) {
        const struct tx_output *o = &tx->outputs[i];
        if (o->script_len > SCRIPT_MAX_SIZE || !script_has_valid_ops(o->script, o->script_len))
            return false;
    }
    return true;
}

enum wire_err tx_decode_any(const uint8_t *p, size_t len, struct tx *out)
{
    struct tx with, without;
    memset(out, 0, sizeof *out);
    enum wire_err err_with = tx_decode(p, len, TX_WITH_WITNESS, &with);
    if (err_with == WIRE_ERR_NOMEM) return err_with;
    if (err_with == WIRE_OK && scripts_sane(&with)) {
        *out = with;
        return WIRE_OK;
    }
    enum wire_err err_without = tx_decode(p, len, TX_NO_WITNESS, &without);
    if (err_without == WIRE_ERR_NOMEM) {
        tx_free(&with);
        return err_without;
    }
    if (err_without == WIRE_OK && (scripts_sane(&without) || err_with != WIRE_OK)) {
        tx_free(&with);
        *out = without;
        return WIRE_OK;
    }
    tx_free(&without);
    if (err_with == WIRE_OK) {
        *out = with;
        return WIRE_OK;
    }
    return err_with;
}

enum wire_err tx_encode(const struct tx *tx, enum tx_serialization ser, struct buf_writer *w)
{
    bool witness = ser == TX_WITH_WITNESS && tx_has_witness(tx);
    buf_write_i32le(w, tx->version);
    if (witness) {
        buf_write_u8(w, 0); /* marker */
        buf_write_u8(w, 1); /* flag */
    }
    buf_write_compact(w, tx->n_inputs);
    for (size_t i = 0; i < tx->n_inputs; i++) {
        const struct tx_input *in = &tx->inputs[i];
        buf_write_bytes(w, in->prev_hash, 32);
        buf_write_u32le(w, in->prev_index);
        buf_write_compact(w, in->script_sig_len);
        buf_write_bytes(w, in->script_sig, in->script_sig_len);
        buf_write_u32le(w, in->sequence);
    }
    buf_write_compact(w, tx->n_outputs);
    for (size_t i = 0; i < tx->n_outputs; i++) {
        const struct tx_output *o = &tx->outputs[i];
        buf_write_i64le(w, o->value);
        buf_write_compact(w, o->script_len);
        buf_write_bytes(w, o->script, o->script_len);
    }
    if (witness) {
        for (size_t i = 0; i < tx->n_inputs; i++) {
            buf_write_compact(w, tx->inputs[i].witness_items);
            buf_write_bytes(w, tx->inputs[i].witness, tx->inputs[i].witness_len);
        }
    }
    buf_write_u32le(w, tx->locktime);
    return buf_writer_ok(w) ? WIRE_OK : WIRE_ERR_NOMEM;
}

uint64_t tx_weight(const struct tx *tx)
{
    return (uint64_t)tx->stripped_size * (TX_WITNESS_SCALE_FACTOR - 1) + (uint64_t)tx->size;
}

void tx_txid(const struct tx *tx, uint8_t out[32])
{
    wire_tx_txid(tx->raw, &tx->span, out);
}

void tx_wtxid(const struct tx *tx, uint8_t out[32])
{
    wire_tx_wtxid(tx->raw, &tx->span, out);
}
