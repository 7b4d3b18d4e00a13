/* `version`: the fixed part, then four optional groups that old peers may
 * leave out (Core reads each only if bytes remain): addr_from + nonce, user
 * agent, start height, relay. Bytes after relay are ignored: this is where
 * the protocol has always grown. */
#include <btcpeerd/wire.h>

#include <string.h>

/* The 26-byte network address of `version`: services, 16-byte IP, port
 * (big-endian), no timestamp. */
static void read_version_addr(struct buf_reader *r, struct wire_netaddr *a)
{
    uint8_t ip16[16];
    uint64_t services = 0;
    uint16_t port = 0;
    buf_read_u64le(r, &services);
    if (!buf_read_bytes(r, ip16, sizeof ip16)) return;
    buf_read_u16be(r, &port);
    wire_netaddr_from_v1(a, ip16);
    a->services = services;
    a->port = port;
    a->time = 0;
}

static enum wire_err write_version_addr(struct buf_writer *w, const struct wire_netaddr *a)
{
    uint8_t ip16[16];
    if (!wire_netaddr_to_v1(a, ip16)) return WIRE_ERR_UNREPRESENTABLE;
    bool ok = buf_write_u64le(w, a->services) && buf_write_bytes(w, ip16, sizeof ip16) &&
              buf_write_u16be(w, a->port);
    return ok ? WIRE_OK : WIRE_ERR_NOMEM;
}

enum wire_err wire_version_decode(const uint8_t *p, size_t len, struct wire_version *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    buf_read_i32le(&r, &out->version);
    buf_read_u64le(&r, &out->services);
    buf_read_i64le(&r, &out->timestamp);
    read_version_addr(&r, &out->addr_recv);
    if (!buf_ok(&r)) return wire_err_from_buf(r.status);

    if (buf_remaining(&r)) {
        read_version_addr(&r, &out->addr_from);
        buf_read_u64le(&r, &out->nonce);
        out->n_optional = WIRE_VERSION_OPT_FROM_NONCE;
    }
    if (buf_ok(&r) && buf_remaining(&r)) {
        uint64_t ua_len = 0;
        if (buf_read_compact(&r, &ua_len) && ua_len > WIRE_MAX_USER_AGENT)
            return WIRE_ERR_TOO_LONG;
        if (buf_read_bytes(&r, out->user_agent, (size_t)ua_len)) out->user_agent_len = (size_t)ua_len;
        out->n_optional = WIRE_VERSION_OPT_USER_AGENT;
    }
    if (buf_ok(&r) && buf_remaining(&r)) {
        buf_read_i32le(&r, &out->start_height);
        out->n_optional = WIRE_VERSION_OPT_START_HEIGHT;
    }
    if (buf_ok(&r) && buf_remaining(&r)) {
        uint8_t relay = 0;
        buf_read_u8(&r, &relay);
        out->relay = relay != 0;
        out->n_optional = WIRE_VERSION_OPT_RELAY;
    }
    /* Anything still left is a future field: ignored, as Core does. */
    return buf_ok(&r) ? WIRE_OK : wire_err_from_buf(r.status);
}

enum wire_err wire_version_encode(const struct wire_version *v, struct buf_writer *out)
{
    if (v->user_agent_len > WIRE_MAX_USER_AGENT || v->n_optional > WIRE_VERSION_OPT_RELAY)
        return WIRE_ERR_TOO_LONG;
    buf_write_i32le(out, v->version);
    buf_write_u64le(out, v->services);
    buf_write_i64le(out, v->timestamp);
    enum wire_err err = write_version_addr(out, &v->addr_recv);
    if (err != WIRE_OK) return err;
    if (v->n_optional >= WIRE_VERSION_OPT_FROM_NONCE) {
        err = write_version_addr(out, &v->addr_from);
        if (err != WIRE_OK) return err;
        buf_write_u64le(out, v->nonce);
    }
    if (v->n_optional >= WIRE_VERSION_OPT_USER_AGENT) {
        buf_write_compact(out, v->user_agent_len);
        buf_write_bytes(out, v->user_agent, v->user_agent_len);
    }
    if (v->n_optional >= WIRE_VERSION_OPT_START_HEIGHT) buf_write_i32le(out, v->start_height);
    if (v->n_optional >= WIRE_VERSION_OPT_RELAY) buf_write_u8(out, v->relay ? 1 : 0);
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}
