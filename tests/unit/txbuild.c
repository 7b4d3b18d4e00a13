/* The test transaction builder and the P2WSH(OP_TRUE) helpers (see
 * txbuild.h). It serializes by hand, byte by byte, rather than through
 * src/wire, so the decoder is checked against something else. */
#include "txbuild.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/sha256.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *q = xrealloc(NULL, n);
    if (n) memcpy(q, p, n);
    return q;
}

void txbuild_init(struct txbuild *b, int32_t version)
{
    memset(b, 0, sizeof *b);
    b->version = version;
    b->flag_byte = 1;
}

void txbuild_free(struct txbuild *b)
{
    for (size_t i = 0; i < b->n_in; i++) {
        free(b->in[i].script_sig);
        for (size_t k = 0; k < b->in[i].n_witness; k++) free(b->in[i].witness[k].data);
        free(b->in[i].witness);
    }
    for (size_t i = 0; i < b->n_out; i++) free(b->out[i].script);
    free(b->in);
    free(b->out);
    memset(b, 0, sizeof *b);
}

size_t txbuild_add_input(struct txbuild *b, const uint8_t prev_hash[32], uint32_t prev_index,
                         uint32_t sequence)
{
    b->in = xrealloc(b->in, (b->n_in + 1) * sizeof *b->in);
    struct txbuild_input *in = &b->in[b->n_in];
    memset(in, 0, sizeof *in);
    memcpy(in->prev_hash, prev_hash, 32);
    in->prev_index = prev_index;
    in->sequence = sequence;
    return b->n_in++;
}

void txbuild_set_script_sig(struct txbuild *b, size_t input, const uint8_t *script, size_t len)
{
    free(b->in[input].script_sig);
    b->in[input].script_sig = dup_bytes(script, len);
    b->in[input].script_sig_len = len;
}

void txbuild_push_witness(struct txbuild *b, size_t input, const uint8_t *item, size_t len)
{
    struct txbuild_input *in = &b->in[input];
    in->witness = xrealloc(in->witness, (in->n_witness + 1) * sizeof *in->witness);
    in->witness[in->n_witness].data = dup_bytes(item, len);
    in->witness[in->n_witness].len = len;
    in->n_witness++;
}

size_t txbuild_add_output(struct txbuild *b, int64_t value, const uint8_t *script, size_t len)
{
    b->out = xrealloc(b->out, (b->n_out + 1) * sizeof *b->out);
    b->out[b->n_out].value = value;
    b->out[b->n_out].script = dup_bytes(script, len);
    b->out[b->n_out].script_len = len;
    return b->n_out++;
}

/* A growing byte string. */
struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct bytes *s, const void *data, size_t n)
{
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = xrealloc(s->p, s->cap);
    }
    if (n) memcpy(s->p + s->len, data, n);
    s->len += n;
}

static void put_le(struct bytes *s, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(s, b, n);
}

static void put_compact(struct bytes *s, uint64_t v)
{
    uint8_t tag;
    if (v < 0xfd) {
        put_le(s, v, 1);
    } else if (v <= 0xffff) {
        tag = 0xfd;
        put(s, &tag, 1);
        put_le(s, v, 2);
    } else if (v <= 0xffffffffu) {
        tag = 0xfe;
        put(s, &tag, 1);
        put_le(s, v, 4);
    } else {
        tag = 0xff;
        put(s, &tag, 1);
        put_le(s, v, 8);
    }
}

static bool any_witness(const struct txbuild *b)
{
    for (size_t i = 0; i < b->n_in; i++)
        if (b->in[i].n_witness) return true;
    return false;
}

static uint8_t *serialize(const struct txbuild *b, bool allow_witness, size_t *len)
{
    bool witness = allow_witness && (b->form == TXBUILD_WITNESS ||
                                     (b->form == TXBUILD_AUTO && any_witness(b)));
    struct bytes s = {0};
    put_le(&s, (uint32_t)b->version, 4);
    if (witness) {
        uint8_t mf[2] = {0, b->form == TXBUILD_WITNESS ? b->flag_byte : 1};
        put(&s, mf, 2);
    }
    put_compact(&s, b->n_in);
    for (size_t i = 0; i < b->n_in; i++) {
        put(&s, b->in[i].prev_hash, 32);
        put_le(&s, b->in[i].prev_index, 4);
        put_compact(&s, b->in[i].script_sig_len);
        put(&s, b->in[i].script_sig, b->in[i].script_sig_len);
        put_le(&s, b->in[i].sequence, 4);
    }
    put_compact(&s, b->n_out);
    for (size_t i = 0; i < b->n_out; i++) {
        put_le(&s, (uint64_t)b->out[i].value, 8);
        put_compact(&s, b->out[i].script_len);
        put(&s, b->out[i].script, b->out[i].script_len);
    }
    if (witness) {
        for (size_t i = 0; i < b->n_in; i++) {
            put_compact(&s, b->in[i].n_witness);
            for (size_t k = 0; k < b->in[i].n_witness; k++) {
                put_compact(&s, b->in[i].witness[k].len);
                put(&s, b->in[i].witness[k].data, b->in[i].witness[k].len);
            }
        }
    }
    put_le(&s, b->locktime, 4);
    *len = s.len;
    return s.p;
}

uint8_t *txbuild_bytes(const struct txbuild *b, size_t *len)
{
    return serialize(b, b->form != TXBUILD_LEGACY, len);
}

char *txbuild_hex(const struct txbuild *b)
{
    size_t len;
    uint8_t *raw = txbuild_bytes(b, &len);
    char *hex = xrealloc(NULL, 2 * len + 1);
    hex_encode(raw, len, hex);
    free(raw);
    return hex;
}

void txbuild_txid(const struct txbuild *b, uint8_t out[32])
{
    size_t len;
    uint8_t *raw = serialize(b, false, &len);
    sha256d(raw, len, out);
    free(raw);
}

void txbuild_wtxid(const struct txbuild *b, uint8_t out[32])
{
    size_t len;
    uint8_t *raw = txbuild_bytes(b, &len);
    sha256d(raw, len, out);
    free(raw);
}

/* ---- P2WSH(OP_TRUE) and BIP173 ---- */

void txbuild_p2wsh_op_true_script(uint8_t out[TXBUILD_P2WSH_SCRIPT_LEN])
{
    static const uint8_t op_true = 0x51;
    out[0] = 0x00; /* witness version 0 */
    out[1] = 0x20; /* push 32 */
    sha256(&op_true, 1, out + 2);
}

static uint32_t bech32_polymod_step(uint32_t chk, uint8_t v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= gen[i];
    return chk;
}

bool txbuild_segwit_address(const char *hrp, const uint8_t *program, size_t len, char *out,
                            size_t cap)
{
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    uint8_t data[1 + 64];
    size_t n = 0;
    data[n++] = 0; /* witness version 0 */
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) { /* 8-bit bytes to 5-bit groups */
        acc = acc << 8 | program[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[n++] = (uint8_t)(acc >> bits & 31);
        }
    }
    if (bits) data[n++] = (uint8_t)(acc << (5 - bits) & 31);
    size_t hrp_len = strlen(hrp);
    if ((len != 20 && len != 32) || hrp_len + 1 + n + 6 + 1 > cap) return false;

    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++) chk = bech32_polymod_step(chk, (uint8_t)(hrp[i] >> 5));
    chk = bech32_polymod_step(chk, 0);
    for (size_t i = 0; i < hrp_len; i++) chk = bech32_polymod_step(chk, (uint8_t)(hrp[i] & 31));
    for (size_t i = 0; i < n; i++) chk = bech32_polymod_step(chk, data[i]);
    for (int i = 0; i < 6; i++) chk = bech32_polymod_step(chk, 0);
    chk ^= 1; /* bech32 (BIP173), not bech32m */

    size_t o = 0;
    memcpy(out, hrp, hrp_len);
    o += hrp_len;
    out[o++] = '1';
    for (size_t i = 0; i < n; i++) out[o++] = charset[data[i]];
    for (int i = 0; i < 6; i++) out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
    out[o] = '\0';
    return true;
}

void txbuild_p2wsh_op_true_address(const char *hrp, char *out, size_t cap)
{
    uint8_t script[TXBUILD_P2WSH_SCRIPT_LEN];
    txbuild_p2wsh_op_true_script(script);
    if (!txbuild_segwit_address(hrp, script + 2, 32, out, cap)) abort();
}

void txbuild_spend_p2wsh_op_true(struct txbuild *b, const uint8_t prev_txid[32],
                                 uint32_t prev_index, int64_t value, const uint8_t *out_script,
                                 size_t out_script_len)
{
    static const uint8_t op_true = 0x51;
    uint8_t p2wsh[TXBUILD_P2WSH_SCRIPT_LEN];
    txbuild_init(b, 2);
    size_t in = txbuild_add_input(b, prev_txid, prev_index, 0xfffffffdu);
    txbuild_push_witness(b, in, &op_true, 1);
    if (!out_script) {
        txbuild_p2wsh_op_true_script(p2wsh);
        out_script = p2wsh;
        out_script_len = sizeof p2wsh;
    }
    txbuild_add_output(b, value, out_script, out_script_len);
}
