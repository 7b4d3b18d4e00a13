/* The wire codec: every P2P message btcpeerd speaks, as plain structs, both
 * directions. Pure: no sockets, no clock, no globals.
 *
 * Decoders take exactly one payload (never the rest of a stream), check
 * every count against the bytes that remain before allocating, and fail
 * with a named error. Trailing bytes after a decoded payload are an error
 * (WIRE_ERR_TRAILING) for every message except `version`, whose tail is
 * where the protocol has always grown (see docs/WIRE.md).
 *
 * Ownership: a decoded message owns its arrays; wire_msg_free releases
 * them. Encoders append to a buf_writer. */
#ifndef BTCPEERD_WIRE_H
#define BTCPEERD_WIRE_H

#include <btcpeerd/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits (Bitcoin Core's). */
#define WIRE_MAX_PAYLOAD 4000000u
#define WIRE_MAX_INV 50000u
#define WIRE_MAX_HEADERS 2000u
#define WIRE_MAX_ADDR 1000u
#define WIRE_MAX_LOCATOR 101u
#define WIRE_MAX_USER_AGENT 256u
#define WIRE_MAX_ADDRV2_LEN 512u /* longest address field BIP155 allows */
#define WIRE_COMMAND_LEN 12u

/* Service bits. */
#define NODE_NETWORK (1ull << 0)
#define NODE_BLOOM (1ull << 2)
#define NODE_WITNESS (1ull << 3)
#define NODE_COMPACT_FILTERS (1ull << 6)
#define NODE_NETWORK_LIMITED (1ull << 10)
#define NODE_P2P_V2 (1ull << 11)

/* Service bits by name, "NETWORK|WITNESS|..." (unknown bits as "BIT<n>");
 * "NONE" for zero. Truncated to cap. */
void wire_services_str(uint64_t services, char *out, size_t cap);

#define PROTOCOL_VERSION 70016
#define MIN_PEER_PROTO_VERSION 31800

enum wire_err {
    WIRE_OK = 0,
    WIRE_ERR_TRUNCATED,      /* payload ends inside a field */
    WIRE_ERR_NONCANONICAL,   /* a compact size not in its shortest form */
    WIRE_ERR_TOO_MANY,       /* a count over the message's limit */
    WIRE_ERR_TOO_LONG,       /* a string or field over its limit */
    WIRE_ERR_TRAILING,       /* bytes left after a complete payload */
    WIRE_ERR_BAD_ADDR_LEN,   /* BIP155 address of a known network, wrong length */
    WIRE_ERR_BAD_HEADER_TXN, /* a header in `headers` with a non-zero tx count */
    WIRE_ERR_BAD_TX,         /* a transaction that does not parse (Core's rules) */
    WIRE_ERR_UNREPRESENTABLE,/* an encoder asked for something the format cannot carry */
    WIRE_ERR_BAD_COMMAND,    /* a command name over 12 bytes or unprintable */
    WIRE_ERR_NOMEM,
};

const char *wire_err_str(enum wire_err err);
/* Map a reader's sticky status to the wire error it means. */
enum wire_err wire_err_from_buf(enum buf_status status);

enum wire_type {
    WIRE_VERSION = 0,
    WIRE_VERACK,
    WIRE_PING,
    WIRE_PONG,
    WIRE_GETADDR,
    WIRE_ADDR,
    WIRE_ADDRV2,
    WIRE_SENDADDRV2,
    WIRE_INV,
    WIRE_GETDATA,
    WIRE_NOTFOUND,
    WIRE_GETHEADERS,
    WIRE_GETBLOCKS,
    WIRE_HEADERS,
    WIRE_SENDHEADERS,
    WIRE_FEEFILTER,
    WIRE_WTXIDRELAY,
    WIRE_SENDCMPCT,
    WIRE_BLOCK,
    WIRE_TX,
    WIRE_GETCFILTERS, /* BIP157: u.cfrange */
    WIRE_CFILTER,     /* u.cfilter */
    WIRE_GETCFHEADERS,/* u.cfrange */
    WIRE_CFHEADERS,   /* u.cfheaders */
    WIRE_GETCFCHECKPT,/* u.getcfcheckpt */
    WIRE_CFCHECKPT,   /* u.cfcheckpt */
    WIRE_UNKNOWN, /* any other command: kept as command plus payload */
    WIRE_TYPE_COUNT
};

/* The command string ("version", ...); "" for WIRE_UNKNOWN. */
const char *wire_type_command(enum wire_type type);
/* From a command of at most 12 bytes (NUL-terminated or not); WIRE_UNKNOWN
 * for anything else. */
enum wire_type wire_type_from_command(const char *command, size_t len);
/* Core's rule for the 12-byte command field: printable ASCII up to the first
 * NUL, then only NULs. */
bool wire_command_valid(const uint8_t field[WIRE_COMMAND_LEN]);
/* A command we may send: 1 to 12 printable ASCII characters; *len gets its
 * length. */
bool wire_command_name_ok(const char *command, size_t *len);

/* ---- addresses (src/wire/addr.c) ---- */

/* BIP155 network ids. */
enum wire_net {
    WIRE_NET_IPV4 = 1,
    WIRE_NET_IPV6 = 2,
    WIRE_NET_TORV2 = 3, /* retired: skipped like an unknown id, never stored */
    WIRE_NET_TORV3 = 4,
    WIRE_NET_I2P = 5,
    WIRE_NET_CJDNS = 6,
};
/* Address length for a known network id, 0 for an unknown one. */
size_t wire_net_addr_len(uint8_t net);

struct wire_netaddr {
    uint32_t time;     /* only in addr/addrv2 entries, not in `version` */
    uint64_t services;
    uint8_t net;       /* enum wire_net */
    uint8_t addr[32];  /* wire_net_addr_len(net) bytes used */
    uint16_t port;     /* host order */
};

/* Address helpers for the v1 16-byte form: IPv4 is mapped as ::ffff:a.b.c.d. */
void wire_netaddr_from_v1(struct wire_netaddr *a, const uint8_t ip16[16]);
bool wire_netaddr_to_v1(const struct wire_netaddr *a, uint8_t ip16[16]);

struct wire_addr { /* addr and addrv2 share this shape */
    size_t count;
    struct wire_netaddr *addrs;
    size_t skipped; /* addrv2 only: entries of unknown networks dropped */
};

/* ---- version (src/wire/version.c) ---- */

/* Optional trailing groups of `version`, in wire order. Old peers may stop
 * after any of them; n_optional says how many were present (4 = all). */
enum {
    WIRE_VERSION_OPT_FROM_NONCE = 1, /* addr_from + nonce */
    WIRE_VERSION_OPT_USER_AGENT = 2,
    WIRE_VERSION_OPT_START_HEIGHT = 3,
    WIRE_VERSION_OPT_RELAY = 4,
};

struct wire_version {
    int32_t version;
    uint64_t services;
    int64_t timestamp;
    struct wire_netaddr addr_recv; /* time unused */
    struct wire_netaddr addr_from;
    uint64_t nonce;
    uint8_t user_agent[WIRE_MAX_USER_AGENT];
    size_t user_agent_len;
    int32_t start_height;
    bool relay;
    uint8_t n_optional;
};

/* ---- inventory (src/wire/inv.c) ---- */

#define WIRE_INV_ERROR 0u
#define WIRE_INV_TX 1u
#define WIRE_INV_BLOCK 2u
#define WIRE_INV_FILTERED_BLOCK 3u
#define WIRE_INV_CMPCT_BLOCK 4u
#define WIRE_INV_WTX 5u
#define WIRE_INV_WITNESS_FLAG (1u << 30)
#define WIRE_INV_WITNESS_TX (WIRE_INV_TX | WIRE_INV_WITNESS_FLAG)
#define WIRE_INV_WITNESS_BLOCK (WIRE_INV_BLOCK | WIRE_INV_WITNESS_FLAG)
#define WIRE_INV_WITNESS_FILTERED_BLOCK (WIRE_INV_FILTERED_BLOCK | WIRE_INV_WITNESS_FLAG)

/* "tx", "witness_block", ...; "unknown" for other values (kept as they are). */
const char *wire_inv_type_str(uint32_t type);

struct wire_inv_entry {
    uint32_t type;
    uint8_t hash[32];
};

struct wire_inv { /* inv, getdata, notfound */
    size_t count;
    struct wire_inv_entry *entries;
};

/* ---- headers (src/wire/headers.c) ---- */

struct wire_header {
    int32_t version;
    uint8_t prev_hash[32];
    uint8_t merkle_root[32];
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
};

void wire_header_serialize(const struct wire_header *h, uint8_t out[80]);
void wire_header_parse(const uint8_t in[80], struct wire_header *h);
void wire_header_hash(const struct wire_header *h, uint8_t out[32]);

struct wire_locator { /* getheaders and getblocks */
    uint32_t version;
    size_t count;
    uint8_t (*hashes)[32];
    uint8_t hash_stop[32];
};

struct wire_headers {
    size_t count;
    struct wire_header *headers;
};

/* ---- small fixed messages (src/wire/misc.c) ---- */

struct wire_ping { uint64_t nonce; }; /* ping and pong */
struct wire_feefilter { int64_t feerate; }; /* sat per 1000 vbytes */
struct wire_sendcmpct { bool announce; uint64_t version; };

/* ---- block and tx (src/wire/block.c, src/wire/tx.c) ---- */

/* Where one transaction sits in a raw buffer. For a segwit transaction the
 * txid skips the marker, flag and witness: it hashes version (4 bytes at
 * off), [io_off, io_off+io_len) and the locktime (last 4 bytes). */
struct wire_tx_span {
    uint32_t off, len;
    uint32_t io_off, io_len;
    bool witness;
};

/* Parse one transaction at the reader (Core's rules, witness included) and
 * record where it lies relative to base. */
enum wire_err wire_tx_parse(struct buf_reader *r, const uint8_t *base, struct wire_tx_span *span);
void wire_tx_txid(const uint8_t *base, const struct wire_tx_span *span, uint8_t out[32]);
void wire_tx_wtxid(const uint8_t *base, const struct wire_tx_span *span, uint8_t out[32]);

/* The outputs of a transaction wire_tx_parse accepted, one at a time:
 *   struct wire_txout_iter it; struct wire_txout o;
 *   if (wire_txouts_begin(base, span, &it, &n_inputs) == WIRE_OK)
 *       while (wire_txouts_next(&it, &o)) ...
 * The script points into base. */
struct wire_txout {
    int64_t value;
    const uint8_t *script;
    size_t script_len;
};
struct wire_txout_iter {
    struct buf_reader r;
    size_t left; /* outputs not yet returned */
};
/* n_inputs (may be NULL) gets the number of inputs. */
enum wire_err wire_txouts_begin(const uint8_t *base, const struct wire_tx_span *span,
                                struct wire_txout_iter *it, size_t *n_inputs);
bool wire_txouts_next(struct wire_txout_iter *it, struct wire_txout *out);

struct wire_block {
    struct wire_header header;
    uint8_t *raw; /* the whole payload, owned */
    size_t raw_len;
    size_t tx_count;
    struct wire_tx_span *txs;
};

/* The merkle root of the block's txids (Core's algorithm: an odd last node
 * pairs with itself). *mutated is set when two equal sibling hashes were
 * met, the CVE-2012-2459 pattern; pass NULL to ignore. */
enum wire_err wire_block_merkle_root(const struct wire_block *b, uint8_t out[32], bool *mutated);

struct wire_tx {
    uint8_t *raw;
    size_t raw_len;
    struct wire_tx_span span;
};

struct wire_unknown {
    char command[WIRE_COMMAND_LEN + 1];
    uint8_t *payload;
    size_t len;
};

/* ---- BIP157 compact filter messages (src/wire/cfilters.c) ----
 *
 * getcfilters/cfilter, getcfheaders/cfheaders, getcfcheckpt/cfcheckpt.
 * They are wire types like the others (WIRE_GETCFILTERS ... WIRE_CFCHECKPT,
 * in struct wire_msg's union); their own small generic (struct
 * wire_cf_msg) stays for the unit tests and fuzz targets written on it. */

#define WIRE_FILTER_BASIC 0u          /* BIP158's basic filter type */
#define WIRE_MAX_GETCFILTERS 1000u    /* blocks per getcfilters range (Core) */
#define WIRE_MAX_CFHEADERS 2000u      /* filter hashes per cfheaders (Core) */
#define WIRE_CFCHECKPT_INTERVAL 1000u /* blocks between cfcheckpt headers */
/* cfcheckpt headers: as many as a payload holds (one per 1,000 blocks,
 * so heights up to 124 million); the node checks the exact number. */
#define WIRE_MAX_CFCHECKPT ((WIRE_MAX_PAYLOAD - 34u) / 32u)

struct wire_cfrange { /* getcfilters and getcfheaders */
    uint8_t filter_type;
    uint32_t start_height;
    uint8_t stop_hash[32];
};

struct wire_cfilter {
    uint8_t filter_type;
    uint8_t block_hash[32];
    uint8_t *filter; /* owned; the serialized filter, N prefix included */
    size_t filter_len;
};

struct wire_cfheaders {
    uint8_t filter_type;
    uint8_t stop_hash[32];
    uint8_t prev_header[32];
    size_t count;
    uint8_t (*filter_hashes)[32]; /* owned */
};

struct wire_getcfcheckpt {
    uint8_t filter_type;
    uint8_t stop_hash[32];
};

struct wire_cfcheckpt {
    uint8_t filter_type;
    uint8_t stop_hash[32];
    size_t count;
    uint8_t (*headers)[32]; /* owned */
};

enum wire_cf_type {
    WIRE_CF_GETCFILTERS = 0,
    WIRE_CF_CFILTER,
    WIRE_CF_GETCFHEADERS,
    WIRE_CF_CFHEADERS,
    WIRE_CF_GETCFCHECKPT,
    WIRE_CF_CFCHECKPT,
    WIRE_CF_TYPE_COUNT
};

struct wire_cf_msg {
    enum wire_cf_type type;
    union {
        struct wire_cfrange range; /* getcfilters, getcfheaders */
        struct wire_cfilter cfilter;
        struct wire_cfheaders cfheaders;
        struct wire_getcfcheckpt getcfcheckpt;
        struct wire_cfcheckpt cfcheckpt;
    } u;
};

const char *wire_cf_command(enum wire_cf_type type); /* "" out of range */
/* From a command of at most 12 bytes; false if it is not a BIP157 one. */
bool wire_cf_type_from_command(const char *command, size_t len, enum wire_cf_type *out);
/* Decode one payload by command; WIRE_ERR_BAD_COMMAND for any other
 * command. On error *msg owns nothing. */
enum wire_err wire_cf_decode(const char *command, const uint8_t *payload, size_t len,
                             struct wire_cf_msg *msg);
enum wire_err wire_cf_encode(const struct wire_cf_msg *msg, struct buf_writer *out);
void wire_cf_msg_free(struct wire_cf_msg *msg);

enum wire_err wire_cfrange_decode(const uint8_t *p, size_t len, struct wire_cfrange *out);
enum wire_err wire_cfrange_encode(const struct wire_cfrange *v, struct buf_writer *out);
enum wire_err wire_cfilter_decode(const uint8_t *p, size_t len, struct wire_cfilter *out);
enum wire_err wire_cfilter_encode(const struct wire_cfilter *v, struct buf_writer *out);
void wire_cfilter_free(struct wire_cfilter *v);
enum wire_err wire_cfheaders_decode(const uint8_t *p, size_t len, struct wire_cfheaders *out);
enum wire_err wire_cfheaders_encode(const struct wire_cfheaders *v, struct buf_writer *out);
void wire_cfheaders_free(struct wire_cfheaders *v);
enum wire_err wire_getcfcheckpt_decode(const uint8_t *p, size_t len, struct wire_getcfcheckpt *out);
enum wire_err wire_getcfcheckpt_encode(const struct wire_getcfcheckpt *v, struct buf_writer *out);
enum wire_err wire_cfcheckpt_decode(const uint8_t *p, size_t len, struct wire_cfcheckpt *out);
enum wire_err wire_cfcheckpt_encode(const struct wire_cfcheckpt *v, struct buf_writer *out);
void wire_cfcheckpt_free(struct wire_cfcheckpt *v);

/* ---- the generic message ---- */

struct wire_msg {
    enum wire_type type;
    union {
        struct wire_version version;
        struct wire_ping ping;       /* ping, pong */
        struct wire_addr addr;       /* addr, addrv2 */
        struct wire_inv inv;         /* inv, getdata, notfound */
        struct wire_locator locator; /* getheaders, getblocks */
        struct wire_headers headers;
        struct wire_feefilter feefilter;
        struct wire_sendcmpct sendcmpct;
        struct wire_block block;
        struct wire_tx tx;
        struct wire_cfrange cfrange; /* getcfilters, getcfheaders */
        struct wire_cfilter cfilter;
        struct wire_cfheaders cfheaders;
        struct wire_getcfcheckpt getcfcheckpt;
        struct wire_cfcheckpt cfcheckpt;
        struct wire_unknown unknown;
    } u;
};

/* The BIP157 answers (cfilter, cfheaders, cfcheckpt): only ever sent to
 * us in answer to our own requests. */
bool wire_type_is_cf_answer(enum wire_type type);

/* Decode one payload by command name. An unknown command decodes to
 * WIRE_UNKNOWN with a copy of the payload. On error *msg owns nothing. */
enum wire_err wire_decode(const char *command, const uint8_t *payload, size_t len,
                          struct wire_msg *msg);
/* Append msg's payload; the command is wire_msg_command(msg). */
enum wire_err wire_encode(const struct wire_msg *msg, struct buf_writer *out);
const char *wire_msg_command(const struct wire_msg *msg);
void wire_msg_free(struct wire_msg *msg);

/* Per-type codecs, used by wire_decode/encode and directly by tests. Each
 * decoder reads a whole payload; the `_free` functions release arrays. */
enum wire_err wire_version_decode(const uint8_t *p, size_t len, struct wire_version *out);
enum wire_err wire_version_encode(const struct wire_version *v, struct buf_writer *out);
enum wire_err wire_empty_decode(const uint8_t *p, size_t len);
enum wire_err wire_ping_decode(const uint8_t *p, size_t len, struct wire_ping *out);
enum wire_err wire_ping_encode(const struct wire_ping *v, struct buf_writer *out);
enum wire_err wire_feefilter_decode(const uint8_t *p, size_t len, struct wire_feefilter *out);
enum wire_err wire_feefilter_encode(const struct wire_feefilter *v, struct buf_writer *out);
enum wire_err wire_sendcmpct_decode(const uint8_t *p, size_t len, struct wire_sendcmpct *out);
enum wire_err wire_sendcmpct_encode(const struct wire_sendcmpct *v, struct buf_writer *out);
enum wire_err wire_addr_decode(const uint8_t *p, size_t len, struct wire_addr *out);
enum wire_err wire_addr_encode(const struct wire_addr *v, struct buf_writer *out);
enum wire_err wire_addrv2_decode(const uint8_t *p, size_t len, struct wire_addr *out);
enum wire_err wire_addrv2_encode(const struct wire_addr *v, struct buf_writer *out);
void wire_addr_free(struct wire_addr *v);
enum wire_err wire_inv_decode(const uint8_t *p, size_t len, struct wire_inv *out);
enum wire_err wire_inv_encode(const struct wire_inv *v, struct buf_writer *out);
void wire_inv_free(struct wire_inv *v);
enum wire_err wire_locator_decode(const uint8_t *p, size_t len, struct wire_locator *out);
enum wire_err wire_locator_encode(const struct wire_locator *v, struct buf_writer *out);
void wire_locator_free(struct wire_locator *v);
enum wire_err wire_headers_decode(const uint8_t *p, size_t len, struct wire_headers *out);
enum wire_err wire_headers_encode(const struct wire_headers *v, struct buf_writer *out);
void wire_headers_free(struct wire_headers *v);
enum wire_err wire_block_decode(const uint8_t *p, size_t len, struct wire_block *out);
enum wire_err wire_block_encode(const struct wire_block *v, struct buf_writer *out);
void wire_block_free(struct wire_block *v);
enum wire_err wire_tx_decode(const uint8_t *p, size_t len, struct wire_tx *out);
enum wire_err wire_tx_encode(const struct wire_tx *v, struct buf_writer *out);
void wire_tx_free(struct wire_tx *v);

#endif
