/* Addresses: the v1 `addr` message (16-byte IPs, IPv4 mapped) and BIP155's
 * `addrv2` (a network id and a variable-length address). Unknown networks in
 * addrv2, the retired TorV2 included, are skipped so that newer peers can
 * send networks we do not know yet; a known network with the wrong address
 * length is an error (Core's rule). */
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#define ADDR_V1_ENTRY_LEN 30u  /* time, services, ip16, port */
#define ADDR_V2_MIN_ENTRY_LEN 9u /* time, 1-byte services, net, 1-byte len, port */

static const uint8_t ipv4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t wire_net_addr_len(uint8_t net)
{
    switch (net) {
    case WIRE_NET_IPV4: return 4;
    case WIRE_NET_IPV6: return 16;
    case WIRE_NET_TORV3: return 32;
    case WIRE_NET_I2P: return 32;
    case WIRE_NET_CJDNS: return 16;
    default: return 0;
    }
}

void wire_netaddr_from_v1(struct wire_netaddr *a, const uint8_t ip16[16])
{
    memset(a->addr, 0, sizeof a->addr);
    if (memcmp(ip16, ipv4_mapped_prefix, sizeof ipv4_mapped_prefix) == 0) {
        a->net = WIRE_NET_IPV4;
        memcpy(a->addr, ip16 + 12, 4);
    } else {
        a->net = WIRE_NET_IPV6;
        memcpy(a->addr, ip16, 16);
    }
}

bool wire_netaddr_to_v1(const struct wire_netaddr *a, uint8_t ip16[16])
{
    if (a->net == WIRE_NET_IPV4) {
        memcpy(ip16, ipv4_mapped_prefix, sizeof ipv4_mapped_prefix);
        memcpy(ip16 + 12, a->addr, 4);
        return true;
    }
    if (a->net == WIRE_NET_IPV6) {
        memcpy(ip16, a->addr, 16);
        return true;
    }
    return false; /* TorV3, I2P, CJDNS: only addrv2 can carry them */
}

void wire_addr_free(struct wire_addr *v)
{
    free(v->addrs);
    v->addrs = NULL;
    v->count = 0;
}

/* Both decoders end alike: the reader's status, then no leftovers. */
static enum wire_err finish(const struct buf_reader *r, struct wire_addr *out)
{
    enum wire_err err = buf_ok(r) ? WIRE_OK : wire_err_from_buf(r->status);
    if (err == WIRE_OK && buf_remaining(r)) err = WIRE_ERR_TRAILING;
    if (err != WIRE_OK) wire_addr_free(out);
    return err;
}

enum wire_err wire_addr_decode(const uint8_t *p, size_t len, struct wire_addr *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    size_t n;
    if (!buf_read_count(&r, WIRE_MAX_ADDR, ADDR_V1_ENTRY_LEN, &n)) return finish(&r, out);
    out->addrs = calloc(n ? n : 1, sizeof *out->addrs);
    if (!out->addrs) return WIRE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct wire_netaddr *a = &out->addrs[i];
        uint8_t ip16[16];
        buf_read_u32le(&r, &a->time);
        buf_read_u64le(&r, &a->services);
        buf_read_bytes(&r, ip16, sizeof ip16);
        buf_read_u16be(&r, &a->port);
        if (!buf_ok(&r)) break;
        uint64_t services = a->services;
        uint32_t time = a->time;
        wire_netaddr_from_v1(a, ip16);
        a->services = services;
        a->time = time;
        out->count++;
    }
    return finish(&r, out);
}

enum wire_err wire_addr_encode(const struct wire_addr *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_ADDR) return WIRE_ERR_TOO_MANY;
    buf_write_compact(out, v->count);
    for (size_t i = 0; i < v->count; i++) {
        const struct wire_netaddr *a = &v->addrs[i];
        uint8_t ip16[16];
        if (!wire_netaddr_to_v1(a, ip16)) return WIRE_ERR_UNREPRESENTABLE;
        buf_write_u32le(out, a->time);
        buf_write_u64le(out, a->services);
        buf_write_bytes(out, ip16, sizeof ip16);
        buf_write_u16be(out, a->port);
    }
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}

/* One addrv2 entry. Returns false with *err set on a hard error; sets
 * *keep = false for an entry of an unknown network (skipped). */
static bool read_addrv2_entry(struct buf_reader *r, struct wire_netaddr *a, bool *keep,
                              enum wire_err *err)
{
    uint64_t addr_len = 0;
    buf_read_u32le(r, &a->time);
    buf_read_compact_u64(r, &a->services);
    buf_read_u8(r, &a->net);
    if (!buf_read_compact(r, &addr_len)) return false;
    if (addr_len > WIRE_MAX_ADDRV2_LEN) {
        *err = WIRE_ERR_TOO_LONG;
        return false;
    }
    size_t want = wire_net_addr_len(a->net);
    *keep = want != 0;
    if (*keep && addr_len != want) {
        *err = WIRE_ERR_BAD_ADDR_LEN;
        return false;
    }
    if (*keep)
        buf_read_bytes(r, a->addr, want);
    else
        buf_skip(r, (size_t)addr_len);
    buf_read_u16be(r, &a->port);
    return buf_ok(r);
}

enum wire_err wire_addrv2_decode(const uint8_t *p, size_t len, struct wire_addr *out)
{
    struct buf_reader r;
    buf_reader_init(&r, p, len);
    memset(out, 0, sizeof *out);
    size_t n;
    if (!buf_read_count(&r, WIRE_MAX_ADDR, ADDR_V2_MIN_ENTRY_LEN, &n)) return finish(&r, out);
    out->addrs = calloc(n ? n : 1, sizeof *out->addrs);
    if (!out->addrs) return WIRE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct wire_netaddr *a = &out->addrs[out->count];
        memset(a, 0, sizeof *a);
        bool keep = false;
        enum wire_err err = WIRE_OK;
        if (!read_addrv2_entry(&r, a, &keep, &err)) {
            if (err != WIRE_OK) {
                wire_addr_free(out);
                return err;
            }
            break;
        }
        if (keep)
            out->count++;
        else
            out->skipped++;
    }
    return finish(&r, out);
}

enum wire_err wire_addrv2_encode(const struct wire_addr *v, struct buf_writer *out)
{
    if (v->count > WIRE_MAX_ADDR) return WIRE_ERR_TOO_MANY;
    buf_write_compact(out, v->count);
    for (size_t i = 0; i < v->count; i++) {
        const struct wire_netaddr *a = &v->addrs[i];
        size_t alen = wire_net_addr_len(a->net);
        if (!alen) return WIRE_ERR_UNREPRESENTABLE;
        buf_write_u32le(out, a->time);
        buf_write_compact(out, a->services);
        buf_write_u8(out, a->net);
        buf_write_compact(out, alen);
        buf_write_bytes(out, a->addr, alen);
        buf_write_u16be(out, a->port);
    }
    return buf_writer_ok(out) ? WIRE_OK : WIRE_ERR_NOMEM;
}
