/* libFuzzer target for the transaction checks of sendrawtransaction. The
 * first byte chooses what the rest is:
 *   0: raw transaction bytes. The full decoder must agree with the
 *      boundary parser (wire_tx_decode) on what decodes and on both ids;
 *      what decodes must re-encode to the same bytes, with the txid the
 *      hash of its witness-less encoding; the consensus verdict must equal
 *      a naive re-implementation's; and the hex pipeline must give the
 *      code the separate steps give.
 *   1: a hex string for the pipeline: -22 exactly when it is not hex or
 *      does not decode, and an accepted one comes back byte for byte.
 *   2: amount text: what parses in range formats and parses back to
 *      itself; a double (the first 8 bytes) never crashes and stays in
 *      range. */
#include <btcpeerd/amount.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/sendraw.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/tx.h>
#include <btcpeerd/txcheck.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
    do {            \
        if (!(cond)) abort(); \
    } while (0)

/* CheckTransaction written the plainest way, duplicates by comparing
 * every pair, to compare the real one against. */
static enum txcheck_err naive_consensus(const struct tx *tx)
{
    if (tx->n_inputs == 0) return TXCHECK_ERR_VIN_EMPTY;
    if (tx->n_outputs == 0) return TXCHECK_ERR_VOUT_EMPTY;
    if (tx->stripped_size * 4 > 4000000) return TXCHECK_ERR_OVERSIZE;
    int64_t sum = 0;
    for (size_t i = 0; i < tx->n_outputs; i++) {
        int64_t v = tx->outputs[i].value;
        if (v < 0) return TXCHECK_ERR_VOUT_NEGATIVE;
        if (v > AMOUNT_MAX_MONEY) return TXCHECK_ERR_VOUT_TOOLARGE;
        if (__builtin_add_overflow(sum, v, &sum) || sum > AMOUNT_MAX_MONEY)
            return TXCHECK_ERR_TXOUTTOTAL_TOOLARGE;
    }
    for (size_t i = 0; i < tx->n_inputs; i++)
        for (size_t k = 0; k < i; k++)
            if (tx->inputs[i].prev_index == tx->inputs[k].prev_index &&
                memcmp(tx->inputs[i].prev_hash, tx->inputs[k].prev_hash, 32) == 0)
                return TXCHECK_ERR_INPUTS_DUPLICATE;
    static const uint8_t zero[32];
    size_t nulls = 0;
    for (size_t i = 0; i < tx->n_inputs; i++)
        nulls += tx->inputs[i].prev_index == 0xffffffffu && !memcmp(tx->inputs[i].prev_hash, zero, 32);
    if (tx->n_inputs == 1 && nulls == 1) {
        size_t n = tx->inputs[0].script_sig_len;
        return n >= 2 && n <= 100 ? TXCHECK_OK : TXCHECK_ERR_BAD_CB_LENGTH;
    }
    return nulls ? TXCHECK_ERR_PREVOUT_NULL : TXCHECK_OK;
}

static void check_decoded(const uint8_t *p, size_t len, const struct tx *tx)
{
    struct buf_writer w;
    buf_writer_init(&w);
    CHECK(tx_encode(tx, TX_WITH_WITNESS, &w) == WIRE_OK);
    CHECK(w.len == len && memcmp(w.data, p, len) == 0);
    CHECK(tx->size == len);
    uint8_t id[32], want[32];
    tx_wtxid(tx, id);
    sha256d(p, len, want);
    CHECK(memcmp(id, want, 32) == 0);
    buf_writer_reset(&w);
    CHECK(tx_encode(tx, TX_NO_WITNESS, &w) == WIRE_OK);
    CHECK(w.len == tx->stripped_size);
    tx_txid(tx, id);
    sha256d(w.data, w.len, want);
    CHECK(memcmp(id, want, 32) == 0);
    buf_writer_free(&w);
    CHECK(tx_weight(tx) == 3 * (uint64_t)tx->stripped_size + len);

    enum txcheck_err consensus = txcheck_consensus(tx);
    CHECK(consensus == naive_consensus(tx));
    enum txcheck_err broadcast = txcheck_broadcast(tx);
    if (consensus != TXCHECK_OK)
        CHECK(broadcast == consensus);
    else if (tx_is_coinbase(tx))
        CHECK(broadcast == TXCHECK_ERR_COINBASE);
    else
        CHECK((broadcast == TXCHECK_OK) == (tx_weight(tx) <= 400000));
}

/* The pipeline on the hex of p must give what the steps give. */
static void check_pipeline(const uint8_t *p, size_t len, uint8_t knobs)
{
    char *hex = malloc(2 * len + 1);
    CHECK(hex);
    hex_encode(p, len, hex);
    struct sendraw_request req = {.hex = hex, .hex_len = 2 * len};
    int64_t max_burn = knobs & 1 ? 1000 : 0;
    if (knobs & 1)
        req.maxburnamount = (struct amount_arg){.kind = AMOUNT_ARG_STRING, .text = "0.00001", .text_len = 7};
    bool bad_feerate = knobs & 2;
    if (bad_feerate) req.maxfeerate = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = 1};

    int want;
    struct tx tx;
    enum wire_err err = tx_decode_any(p, len, &tx);
    if (len == 0 || err != WIRE_OK) {
        want = -22;
    } else {
        enum txcheck_err e = txcheck_max_burn(&tx, max_burn);
        if (e != TXCHECK_OK)
            want = -25;
        else if (bad_feerate)
            want = -8;
        else
            want = txcheck_err_rpc_code(txcheck_broadcast(&tx));
        tx_free(&tx);
    }
    struct sendraw_result res;
    int code = sendraw_check(&req, &res);
    CHECK(code == want && res.rpc_code == code && res.message);
    if (code == 0) {
        CHECK(res.raw_len == len && memcmp(res.raw, p, len) == 0);
        CHECK(res.max_burn_amount == max_burn);
    } else {
        CHECK(res.raw == NULL && res.message[0]);
    }
    sendraw_result_free(&res);
    free(hex);
}

static void fuzz_tx_bytes(const uint8_t *p, size_t len, uint8_t knobs)
{
    struct tx with;
    struct wire_tx wtx;
    enum wire_err e1 = tx_decode(p, len, TX_WITH_WITNESS, &with);
    enum wire_err e2 = wire_tx_decode(p, len, &wtx);
    CHECK((e1 == WIRE_OK) == (e2 == WIRE_OK));
    if (e1 == WIRE_OK) {
        uint8_t a[32], b[32];
        tx_txid(&with, a);
        wire_tx_txid(wtx.raw, &wtx.span, b);
        CHECK(memcmp(a, b, 32) == 0);
        tx_wtxid(&with, a);
        wire_tx_wtxid(wtx.raw, &wtx.span, b);
        CHECK(memcmp(a, b, 32) == 0);
        CHECK(wtx.span.witness == tx_has_witness(&with));
        check_decoded(p, len, &with);
        tx_free(&with);
        wire_tx_free(&wtx);
    }
    struct tx without;
    if (tx_decode(p, len, TX_NO_WITNESS, &without) == WIRE_OK) {
        CHECK(!tx_has_witness(&without));
        check_decoded(p, len, &without);
        tx_free(&without);
    }
    struct tx any;
    if (tx_decode_any(p, len, &any) == WIRE_OK) {
        check_decoded(p, len, &any);
        tx_free(&any);
    }
    check_pipeline(p, len, knobs);
}

static void fuzz_hex(const uint8_t *p, size_t len)
{
    const char *hex = (const char *)p;
    struct sendraw_request req = {.hex = hex, .hex_len = len};
    struct sendraw_result res;
    int code = sendraw_check(&req, &res);
    bool is_hex = hex_is_valid(hex, len);
    if (!is_hex) CHECK(code == -22 && res.tx_err == TXCHECK_ERR_NOT_HEX);
    if (code == 0) {
        uint8_t *raw = malloc(len / 2);
        CHECK(raw && hex_decode_n(hex, len, raw, len / 2, NULL));
        CHECK(res.raw_len == len / 2 && memcmp(res.raw, raw, len / 2) == 0);
        free(raw);
    }
    sendraw_result_free(&res);
}

static void fuzz_amount(const uint8_t *p, size_t len)
{
    const char *text = (const char *)p;
    int64_t v = 0;
    bool ok = amount_parse_fixed(text, len, 8, &v);
    struct amount_arg arg = {.kind = AMOUNT_ARG_STRING, .text = text, .text_len = len};
    int64_t sat = -1;
    enum amount_err err = amount_from_arg(&arg, 0, &sat);
    CHECK((err == AMOUNT_OK) == (ok && amount_in_money_range(v)));
    if (err == AMOUNT_OK) {
        CHECK(sat == v);
        char buf[32];
        size_t n = amount_format(sat, buf, sizeof buf);
        int64_t back;
        CHECK(amount_parse_fixed(buf, n, 8, &back) && back == sat);
    }
    if (len >= 8) {
        double d;
        memcpy(&d, p, 8);
        arg = (struct amount_arg){.kind = AMOUNT_ARG_REAL, .real = d};
        if (amount_from_arg(&arg, 0, &sat) == AMOUNT_OK) CHECK(amount_in_money_range(sat));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    switch (mode % 3) {
    case 0: fuzz_tx_bytes(data, size, (uint8_t)(mode / 3)); break;
    case 1: fuzz_hex(data, size); break;
    default: fuzz_amount(data, size); break;
    }
    return 0;
}
