/* Transactions decoded in full: every input, output and witness stack, as
 * Bitcoin Core v29 serializes them (BIP144 for witness), with the choice
 * Core's DecodeHexTx makes when a raw transaction reads two ways. For what
 * a transaction handed to us by the operator must pass, see txcheck.h;
 * wire.h's wire_tx only finds a transaction's boundaries in a message.
 *
 * Ownership: a struct tx owns its input and output arrays (tx_free), but
 * its scripts and witnesses point into the bytes it was decoded from,
 * which the caller keeps alive and unchanged for as long as the tx is
 * used; the txid and wtxid are hashed from those bytes too. */
#ifndef BTCPEERD_TX_H
#define BTCPEERD_TX_H

#include <btcpeerd/amount.h>
#include <btcpeerd/buf.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TX_WITNESS_SCALE_FACTOR 4u
#define TX_MAX_BLOCK_WEIGHT 4000000u  /* consensus: "bad-txns-oversize" */
#define TX_MAX_STANDARD_WEIGHT 400000u /* policy: "tx-size" */
#define TX_NULL_INDEX 0xffffffffu      /* a null prevout's index */

struct tx_input {
    uint8_t prev_hash[32]; /* internal byte order */
    uint32_t prev_index;
    const uint8_t *script_sig; /* into the decoded bytes */
    size_t script_sig_len;
    uint32_t sequence;
    size_t witness_items;   /* items on this input's witness stack */
    const uint8_t *witness; /* those items, each with its compact-size length */
    size_t witness_len;
};

struct tx_output {
    int64_t value; /* satoshis; any int64 the wire carries, negative too */
    const uint8_t *script;
    size_t script_len;
};

struct tx {
    int32_t version;
    uint32_t locktime;
    size_t n_inputs, n_outputs;
    struct tx_input *inputs;
    struct tx_output *outputs;
    size_t size;          /* bytes of the serialization decoded (witness included) */
    size_t stripped_size; /* bytes without witness: what the txid hashes */
    const uint8_t *raw;   /* the decoded bytes (borrowed) */
    struct wire_tx_span span;
};

/* Core's two serializations. TX_WITH_WITNESS reads an empty input list as
 * the BIP144 marker (the flag byte follows); TX_NO_WITNESS reads it as an
 * empty input list, followed by the outputs. */
enum tx_serialization { TX_WITH_WITNESS, TX_NO_WITNESS };

/* Decode exactly len bytes in one serialization. Errors: WIRE_ERR_TRUNCATED,
 * _NONCANONICAL, _TOO_MANY (a compact size over Core's MAX_SIZE), _BAD_TX
 * (a witness flag with every stack empty, unknown flag bits), _TRAILING,
 * _TOO_LONG (over 4 GiB), _NOMEM. On error *out owns nothing. */
enum wire_err tx_decode(const uint8_t *p, size_t len, enum tx_serialization ser, struct tx *out);
/* Core's DecodeTx with both serializations allowed (what sendrawtransaction
 * does): both readings that consume every byte are candidates; the witness
 * reading wins unless only the other has sane scripts (every opcode parses,
 * no script over 10,000 bytes; coinbase scriptSigs exempt). */
enum wire_err tx_decode_any(const uint8_t *p, size_t len, struct tx *out);
void tx_free(struct tx *tx);

/* Core's serialization of tx. With TX_WITH_WITNESS the marker, flag and
 * stacks are written only when some input has a witness (HasWitness). */
enum wire_err tx_encode(const struct tx *tx, enum tx_serialization ser, struct buf_writer *out);

bool tx_has_witness(const struct tx *tx);
bool tx_input_prevout_is_null(const struct tx_input *in);
/* One input whose prevout is null (Core's IsCoinBase). */
bool tx_is_coinbase(const struct tx *tx);
/* BIP141 weight: stripped size * 3 + size. */
uint64_t tx_weight(const struct tx *tx);
/* Internal byte order; hex_encode_rev shows them as explorers do. */
void tx_txid(const struct tx *tx, uint8_t out[32]);
void tx_wtxid(const struct tx *tx, uint8_t out[32]);

#endif
