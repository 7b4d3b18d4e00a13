/* The generic message: command names, dispatch to the per-type codecs,
 * error names, and freeing. */
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

static const char *const commands[WIRE_TYPE_COUNT] = {
    [WIRE_VERSION] = "version",         [WIRE_VERACK] = "verack",
    [WIRE_PING] = "ping",               [WIRE_PONG] = "pong",
    [WIRE_GETADDR] = "getaddr",         [WIRE_ADDR] = "addr",
    [WIRE_ADDRV2] = "addrv2",           [WIRE_SENDADDRV2] = "sendaddrv2",
    [WIRE_INV] = "inv",                 [WIRE_GETDATA] = "getdata",
    [WIRE_NOTFOUND] = "notfound",       [WIRE_GETHEADERS] = "getheaders",
    [WIRE_GETBLOCKS] = "getblocks",     [WIRE_HEADERS] = "headers",
    [WIRE_SENDHEADERS] = "sendheaders", [WIRE_FEEFILTER] = "feefilter",
    [WIRE_WTXIDRELAY] = "wtxidrelay",   [WIRE_SENDCMPCT] = "sendcmpct",
    [WIRE_BLOCK] = "block",             [WIRE_TX] = "tx",
    [WIRE_GETCFILTERS] = "getcfilters", [WIRE_CFILTER] = "cfilter",
    [WIRE_GETCFHEADERS] = "getcfheaders", [WIRE_CFHEADERS] = "cfheaders",
    [WIRE_GETCFCHECKPT] = "getcfcheckpt", [WIRE_CFCHECKPT] = "cfcheckpt",
    [WIRE_UNKNOWN] = "",
};

const char *wire_err_str(enum wire_err err)
{
    switch (err) {
    case WIRE_OK: return "ok";
    case WIRE_ERR_TRUNCATED: return "truncated";
    case WIRE_ERR_NONCANONICAL: return "non-canonical-compact-size";
    case WIRE_ERR_TOO_MANY: return "too-many-items";
    case WIRE_ERR_TOO_LONG: return "field-too-long";
    case WIRE_ERR_TRAILING: return "trailing-bytes";
    case WIRE_ERR_BAD_ADDR_LEN: return "bad-address-length";
    case WIRE_ERR_BAD_HEADER_TXN: return "header-tx-count-not-zero";
    case WIRE_ERR_BAD_TX: return "bad-transaction";
    case WIRE_ERR_UNREPRESENTABLE: return "unrepresentable";
    case WIRE_ERR_BAD_COMMAND: return "bad-command";
    case WIRE_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

enum wire_err wire_err_from_buf(enum buf_status status)
{
    switch (status) {
    case BUF_OK: return WIRE_OK;
    case BUF_TRUNCATED: return WIRE_ERR_TRUNCATED;
    case BUF_NONCANONICAL: return WIRE_ERR_NONCANONICAL;
    case BUF_TOO_LARGE: return WIRE_ERR_TOO_MANY;
    case BUF_NOMEM: return WIRE_ERR_NOMEM;
    }
    return WIRE_ERR_TRUNCATED;
}

const char *wire_type_command(enum wire_type type)
{
    return (unsigned)type < WIRE_TYPE_COUNT ? commands[type] : "";
}

enum wire_type wire_type_from_command(const char *command, size_t len)
{
    size_t n = strnlen(command, len < WIRE_COMMAND_LEN ? len : WIRE_COMMAND_LEN);
    if (n == 0) return WIRE_UNKNOWN;
    for (unsigned i = 0; i < WIRE_UNKNOWN; i++) {
        if (strlen(commands[i]) == n && memcmp(commands[i], command, n) == 0)
            return (enum wire_type)i;
    }
    return WIRE_UNKNOWN;
}

bool wire_command_valid(const uint8_t field[WIRE_COMMAND_LEN])
{
    size_t i = 0;
    for (; i < WIRE_COMMAND_LEN && field[i]; i++)
        if (field[i] < 0x20 || field[i] > 0x7e) return false;
    for (; i < WIRE_COMMAND_LEN; i++)
        if (field[i]) return false;
    return true;
}

bool wire_command_name_ok(const char *command, size_t *len)
{
    *len = strnlen(command, WIRE_COMMAND_LEN + 1);
    if (*len == 0 || *len > WIRE_COMMAND_LEN) return false;
    for (size_t i = 0; i < *len; i++)
        if (command[i] < 0x20 || command[i] > 0x7e) return false;
    return true;
}

bool wire_type_is_cf_answer(enum wire_type type)
{
    return type == WIRE_CFILTER || type == WIRE_CFHEADERS || type == WIRE_CFCHECKPT;
}

const char *wire_msg_command(const struct wire_msg *msg)
{
    return msg->type == WIRE_UNKNOWN ? msg->u.unknown.command : wire_type_command(msg->type);
}

static enum wire_err unknown_decode(const char *command, const uint8_t *p, size_t len,
                                    struct wire_unknown *out)
{
    size_t n = strnlen(command, WIRE_COMMAND_LEN + 1);
    if (n > WIRE_COMMAND_LEN) return WIRE_ERR_BAD_COMMAND;
    memcpy(out->command, command, n);
    out->command[n] = '\0';
    out->payload = malloc(len ? len : 1);
    if (!out->payload) return WIRE_ERR_NOMEM;
    if (len) memcpy(out->payload, p, len);
    out->len = len;
    return WIRE_OK;
}

enum wire_err wire_decode(const char *command, const uint8_t *payload, size_t len,
                          struct wire_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    msg->type = wire_type_from_command(command, strnlen(command, WIRE_COMMAND_LEN + 1));
    enum wire_err err = WIRE_OK;
    switch (msg->type) {
    case WIRE_VERSION: err = wire_version_decode(payload, len, &msg->u.version); break;
    case WIRE_VERACK:
    case WIRE_GETADDR:
    case WIRE_SENDADDRV2:
    case WIRE_SENDHEADERS:
    case WIRE_WTXIDRELAY: err = wire_empty_decode(payload, len); break;
    case WIRE_PING:
    case WIRE_PONG: err = wire_ping_decode(payload, len, &msg->u.ping); break;
    case WIRE_ADDR: err = wire_addr_decode(payload, len, &msg->u.addr); break;
    case WIRE_ADDRV2: err = wire_addrv2_decode(payload, len, &msg->u.addr); break;
    case WIRE_INV:
    case WIRE_GETDATA:
    case WIRE_NOTFOUND: err = wire_inv_decode(payload, len, &msg->u.inv); break;
    case WIRE_GETHEADERS:
    case WIRE_GETBLOCKS: err = wire_locator_decode(payload, len, &msg->u.locator); break;
    case WIRE_HEADERS: err = wire_headers_decode(payload, len, &msg->u.headers); break;
    case WIRE_FEEFILTER: err = wire_feefilter_decode(payload, len, &msg->u.feefilter); break;
    case WIRE_SENDCMPCT: err = wire_sendcmpct_decode(payload, len, &msg->u.sendcmpct); break;
    case WIRE_BLOCK: err = wire_block_decode(payload, len, &msg->u.block); break;
    case WIRE_TX: err = wire_tx_decode(payload, len, &msg->u.tx); break;
    case WIRE_GETCFILTERS:
    case WIRE_GETCFHEADERS: err = wire_cfrange_decode(payload, len, &msg->u.cfrange); break;
    case WIRE_CFILTER: err = wire_cfilter_decode(payload, len, &msg->u.cfilter); break;
    case WIRE_CFHEADERS: err = wire_cfheaders_decode(payload, len, &msg->u.cfheaders); break;
    case WIRE_GETCFCHECKPT:
        err = wire_getcfcheckpt_decode(payload, len, &msg->u.getcfcheckpt);
        break;
    case WIRE_CFCHECKPT: err = wire_cfcheckpt_decode(payload, len, &msg->u.cfcheckpt); break;
    case WIRE_UNKNOWN:
    case WIRE_TYPE_COUNT: err = unknown_decode(command, payload, len, &msg->u.unknown); break;
    }
    if (err != WIRE_OK) {
        /* Decoders release what they allocated on failure; clear the rest. */
        memset(msg, 0, sizeof *msg);
        msg->type = WIRE_UNKNOWN;
    }
    return err;
}

enum wire_err wire_encode(const struct wire_msg *msg, struct buf_writer *out)
{
    enum wire_err err = WIRE_OK;
    switch (msg->type) {
    case WIRE_VERSION: err = wire_version_encode(&msg->u.version, out); break;
    case WIRE_VERACK:
    case WIRE_GETADDR:
    case WIRE_SENDADDRV2:
    case WIRE_SENDHEADERS:
    case WIRE_WTXIDRELAY: break;
    case WIRE_PING:
    case WIRE_PONG: err = wire_ping_encode(&msg->u.ping, out); break;
    case WIRE_ADDR: err = wire_addr_encode(&msg->u.addr, out); break;
    case WIRE_ADDRV2: err = wire_addrv2_encode(&msg->u.addr, out); break;
    case WIRE_INV:
    case WIRE_GETDATA:
    case WIRE_NOTFOUND: err = wire_inv_encode(&msg->u.inv, out); break;
    case WIRE_GETHEADERS:
    case WIRE_GETBLOCKS: err = wire_locator_encode(&msg->u.locator, out); break;
    case WIRE_HEADERS: err = wire_headers_encode(&msg->u.headers, out); break;
    case WIRE_FEEFILTER: err = wire_feefilter_encode(&msg->u.feefilter, out); break;
    case WIRE_SENDCMPCT: err = wire_sendcmpct_encode(&msg->u.sendcmpct, out); break;
    case WIRE_BLOCK: err = wire_block_encode(&msg->u.block, out); break;
    case WIRE_TX: err = wire_tx_encode(&msg->u.tx, out); break;
    case WIRE_GETCFILTERS:
    case WIRE_GETCFHEADERS: err = wire_cfrange_encode(&msg->u.cfrange, out); break;
    case WIRE_CFILTER: err = wire_cfilter_encode(&msg->u.cfilter, out); break;
    case WIRE_CFHEADERS: err = wire_cfheaders_encode(&msg->u.cfheaders, out); break;
    case WIRE_GETCFCHECKPT: err = wire_getcfcheckpt_encode(&msg->u.getcfcheckpt, out); break;
    case WIRE_CFCHECKPT: err = wire_cfcheckpt_encode(&msg->u.cfcheckpt, out); break;
    case WIRE_UNKNOWN:
        if (!buf_write_bytes(out, msg->u.unknown.payload, msg->u.unknown.len))
            err = WIRE_ERR_NOMEM;
        break;
    case WIRE_TYPE_COUNT: err = WIRE_ERR_UNREPRESENTABLE; break;
    }
    if (err == WIRE_OK && !buf_writer_ok(out)) err = WIRE_ERR_NOMEM;
    return err;
}

void wire_msg_free(struct wire_msg *msg)
{
    switch (msg->type) {
    case WIRE_ADDR:
    case WIRE_ADDRV2: wire_addr_free(&msg->u.addr); break;
    case WIRE_INV:
    case WIRE_GETDATA:
    case WIRE_NOTFOUND: wire_inv_free(&msg->u.inv); break;
    case WIRE_GETHEADERS:
    case WIRE_GETBLOCKS: wire_locator_free(&msg->u.locator); break;
    case WIRE_HEADERS: wire_headers_free(&msg->u.headers); break;
    case WIRE_BLOCK: wire_block_free(&msg->u.block); break;
    case WIRE_TX: wire_tx_free(&msg->u.tx); break;
    case WIRE_CFILTER: wire_cfilter_free(&msg->u.cfilter); break;
    case WIRE_CFHEADERS: wire_cfheaders_free(&msg->u.cfheaders); break;
    case WIRE_CFCHECKPT: wire_cfcheckpt_free(&msg->u.cfcheckpt); break;
    case WIRE_UNKNOWN: free(msg->u.unknown.payload); break;
    default: break;
    }
    memset(msg, 0, sizeof *msg);
    msg->type = WIRE_UNKNOWN;
}
