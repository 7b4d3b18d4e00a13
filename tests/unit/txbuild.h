/* Transactions built by hand for tests: a small builder that serializes
 * exactly what it is told (so tests can also write what Core would never
 * produce: a witness flag with empty stacks, unknown flag bits), and the
 * P2WSH(OP_TRUE) output that anyone can spend without keys, for regtest
 * integration tests (mine to txbuild_p2wsh_op_true_address("bcrt"), then
 * spend with txbuild_spend_p2wsh_op_true).
 *
 * Written independently of src/wire/txdecode.c, so a test that compares
 * the two compares two implementations. No cmocka here: allocation
 * failures abort. */
#ifndef BTCPEERD_TXBUILD_H
#define BTCPEERD_TXBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct txbuild_item {
    uint8_t *data;
    size_t len;
};

struct txbuild_input {
    uint8_t prev_hash[32];
    uint32_t prev_index;
    uint8_t *script_sig;
    size_t script_sig_len;
    uint32_t sequence;
    struct txbuild_item *witness;
    size_t n_witness;
};

struct txbuild_output {
    int64_t value;
    uint8_t *script;
    size_t script_len;
};

/* Which serialization txbuild_bytes writes. */
enum txbuild_form {
    TXBUILD_AUTO = 0,   /* marker and flag 1 iff some witness stack is non-empty */
    TXBUILD_LEGACY,     /* never a witness section */
    TXBUILD_WITNESS,    /* marker, flag_byte and every stack, even if all empty */
};

struct txbuild {
    int32_t version;
    uint32_t locktime;
    struct txbuild_input *in;
    size_t n_in;
    struct txbuild_output *out;
    size_t n_out;
    enum txbuild_form form;
    uint8_t flag_byte; /* TXBUILD_WITNESS only; 1 is BIP144's */
};

void txbuild_init(struct txbuild *b, int32_t version);
void txbuild_free(struct txbuild *b);
/* Returns the new input's index. */
size_t txbuild_add_input(struct txbuild *b, const uint8_t prev_hash[32], uint32_t prev_index,
                         uint32_t sequence);
void txbuild_set_script_sig(struct txbuild *b, size_t input, const uint8_t *script, size_t len);
void txbuild_push_witness(struct txbuild *b, size_t input, const uint8_t *item, size_t len);
size_t txbuild_add_output(struct txbuild *b, int64_t value, const uint8_t *script, size_t len);
/* The serialization, malloc'd. */
uint8_t *txbuild_bytes(const struct txbuild *b, size_t *len);
/* Lowercase hex of it, malloc'd and NUL-terminated. */
char *txbuild_hex(const struct txbuild *b);
/* SHA-256d of the serialization without witness (the txid) and of the
 * one txbuild_bytes writes (the wtxid when it carries the witness). */
void txbuild_txid(const struct txbuild *b, uint8_t out[32]);
void txbuild_wtxid(const struct txbuild *b, uint8_t out[32]);

/* ---- P2WSH(OP_TRUE) ---- */

#define TXBUILD_P2WSH_SCRIPT_LEN 34u
/* OP_0 PUSH32 SHA256(OP_TRUE): its witness script is the single byte 0x51. */
void txbuild_p2wsh_op_true_script(uint8_t out[TXBUILD_P2WSH_SCRIPT_LEN]);
/* Its BIP173 address for a human-readable part ("bcrt" for regtest, "bc"
 * for mainnet); out needs 90 bytes. */
void txbuild_p2wsh_op_true_address(const char *hrp, char *out, size_t cap);
/* A BIP173 segwit v0 address of any 20- or 32-byte program. */
bool txbuild_segwit_address(const char *hrp, const uint8_t *program, size_t len, char *out,
                            size_t cap);
/* A valid version-2 segwit transaction spending output prev_index of
 * prev_txid (internal byte order), a P2WSH(OP_TRUE) output: one input with
 * an empty scriptSig, sequence 0xfffffffd and witness stack [0x51]; one
 * output of `value` satoshis to out_script (NULL: P2WSH(OP_TRUE) again, so
 * spends can be chained). The fee is the input's value minus `value`. */
void txbuild_spend_p2wsh_op_true(struct txbuild *b, const uint8_t prev_txid[32],
                                 uint32_t prev_index, int64_t value, const uint8_t *out_script,
                                 size_t out_script_len);

#endif
