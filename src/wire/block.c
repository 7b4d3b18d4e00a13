/* `block`: the header parsed, the transactions walked (to find where each
 * lies and to reject malformed ones), the raw bytes kept for storage and
 * re-serving, and the merkle root computable from the txids. */
#include <btcpeerd/sha256.h>
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#define MIN_TX_LEN 10u

void wire_block_free(struct wire_block *v)
{
    free(v->raw);
    free(v->txs);
    memset(v, 0, sizeof *v);
}

enum wire_err wire_block_decode(const uint8_t *p, size_t len, struct wire_block *out)
{
    memset(out, 0, sizeof *out);
    if (len > UINT32_MAX) return WIRE_ERR_TOO_LONG;
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    const uint8_t *hdr;
    size_t n;
    if (!buf_read_view(&r, 80, &hdr) || !buf_read_count(&r, SIZE_MAX, MIN_TX_LEN, &n))
        return wire_err_from_buf(r.status);
    wire_header_parse(hdr, &out->header);
    out->txs = malloc(n ? n * sizeof *out->txs : 1);
    out->raw = malloc(len ? len : 1);
    enum wire_err err = (out->txs && out->raw) ? WIRE_OK : WIRE_ERR_NOMEM;
    for (size_t i = 0; i < n && err == WIRE_OK; i++) err = wire_tx_parse(&r, p, &out->txs[i]);
    if (err == WIRE_OK && buf_remaining(&r)) err = WIRE_ERR_TRAILING;
    if (err != WIRE_OK) {
        wire_block_free(out);
        return err;
    }
    memcpy(out->raw, p, len);
    out->raw_len = len;
    out->tx_count = n;
    return WIRE_OK;
}

enum wire_err wire_block_encode(const struct wire_block *v, struct buf_writer *out)
{
    return buf_write_bytes(out, v->raw, v->raw_len) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* Bitcoin Core's ComputeMerkleRoot: pairwise SHA-256d up the tree, an odd
 * last node paired with itself; two equal siblings flag a mutable tree. */
enum wire_err wire_block_merkle_root(const struct wire_block *b, uint8_t out[32], bool *mutated)
{
    if (mutated) *mutated = false;
    if (b->tx_count == 0) {
        memset(out, 0, 32);
        return WIRE_OK;
    }
    /* One spare slot: an odd level duplicates its last hash in place. */
    uint8_t(*level)[32] = malloc((b->tx_count + 1) * 32);
    if (!level) return WIRE_ERR_NOMEM;
    for (size_t i = 0; i < b->tx_count; i++) wire_tx_txid(b->raw, &b->txs[i], level[i]);
    size_t n = b->tx_count;
    while (n > 1) {
        if (mutated)
            for (size_t i = 0; i + 1 < n; i += 2)
                if (memcmp(level[i], level[i + 1], 32) == 0) *mutated = true;
        if (n & 1) {
            memcpy(level[n], level[n - 1], 32);
            n++;
        }
        for (size_t i = 0; i < n / 2; i++) {
            uint8_t pair[64];
            memcpy(pair, level[2 * i], 32);
            memcpy(pair + 32, level[2 * i + 1], 32);
            sha256d(pair, sizeof pair, level[i]);
        }
        n /= 2;
    }
    memcpy(out, level[0], 32);
    free(level);
    return WIRE_OK;
}
