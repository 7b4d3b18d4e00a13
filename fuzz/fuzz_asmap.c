/* libFuzzer target for --asmap files: the operator's file is trusted, but a
 * corrupt or hostile one must be refused, never crash us or read past its
 * end. The input's first 16 bytes are an address, the rest the map (after
 * Core's asmap_direct target). Whatever passes the check is looked up with
 * that address (as IPv6 and, from its last four bytes, IPv4) and grouped. */
#include <btcpeerd/asmap.h>
#include <btcpeerd/netaddr.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16) return 0;
    const uint8_t *ip = data;
    const uint8_t *map_bytes = data + 16;
    size_t len = size - 16;
    bool sane = asmap_bytes_sane(map_bytes, len);
    struct asmap *m = NULL;
    enum asmap_err err = asmap_new(map_bytes, len, &m);
    if ((err == ASMAP_OK) != sane) abort(); /* the check and the constructor agree */
    if (!m) return 0;
    (void)asmap_lookup(m, ip);
    struct wire_netaddr v6 = {.net = WIRE_NET_IPV6, .port = 8333}, v4 = {.net = WIRE_NET_IPV4};
    memcpy(v6.addr, ip, 16);
    memcpy(v4.addr, ip + 12, 4);
    uint8_t g[NETADDR_GROUP_MAX];
    if (netaddr_group(&v6, true, m, g) > NETADDR_GROUP_MAX) abort();
    if (netaddr_group(&v4, true, m, g) > NETADDR_GROUP_MAX) abort();
    char hex[ASMAP_CHECKSUM_HEX_LEN + 1];
    asmap_checksum_hex(m, hex);
    asmap_free(m);
    return 0;
}
