/* What an address is, beyond its bytes: routable or not, its network group
 * (for diversity and eclipse resistance), and how to write it for people
 * ("1.2.3.4:8333", "[2001:db8::1]:8333", "<56 chars>.onion:8333",
 * "<52 chars>.b32.i2p:0"). Pure functions over struct wire_netaddr. */
#ifndef BTCPEERD_NETADDR_H
#define BTCPEERD_NETADDR_H

#include <btcpeerd/asmap.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_GROUP_MAX 8u
#define NETADDR_STR_MAX 96u

/* Loopback, unspecified, private, link-local, documentation, shared,
 * benchmarking, ORCHID, multicast and other reserved ranges are not
 * routable; Tor, I2P and (fc00::/8) CJDNS addresses are. */
bool netaddr_is_routable(const struct wire_netaddr *a);
bool netaddr_is_loopback(const struct wire_netaddr *a);

/* The AS of an address by an ASMap (Core's GetMappedAS): 0 without a map,
 * for an unroutable address, and for networks other than IPv4 and IPv6. An
 * address with an IPv4 inside (IPv4, ::ffff:0:0/96, 6to4, Teredo, RFC6052
 * 64:ff9b::/96, RFC6145 ::ffff:0:0:0/96) is looked up as ::ffff:a.b.c.d.
 * local_routable as for netaddr_group: 127.0.0.0/8 is then looked up too,
 * so a test map can cover loopback addresses. */
uint32_t netaddr_mapped_as(const struct wire_netaddr *a, bool local_routable,
                           const struct asmap *map);

/* The network group: with a map and a mapped address, its AS (Core's 5
 * bytes: 0x02, the ASN little-endian, so IPv4 and IPv6 of one AS share a
 * group); otherwise IPv4 /16, IPv6 /32 (an IPv4 address embedded in 6to4
 * or Teredo counts as that IPv4), one group per network for Tor, I2P and
 * CJDNS, one group for everything unroutable. Returns its length. map may
 * be NULL. local_routable (a test and regtest switch) treats 127.0.0.0/8 as
 * routable IPv4, grouped by /16: 127.1.0.1 and 127.2.0.1 are then
 * different groups, so diversity rules can be tested on one machine. */
size_t netaddr_group(const struct wire_netaddr *a, bool local_routable, const struct asmap *map,
                     uint8_t out[NETADDR_GROUP_MAX]);

/* A stable key of address and port (for maps and hashing). */
size_t netaddr_key(const struct wire_netaddr *a, uint8_t out[35]);

void netaddr_str(const struct wire_netaddr *a, char out[NETADDR_STR_MAX]);
bool netaddr_equal(const struct wire_netaddr *a, const struct wire_netaddr *b);

/* A subnet: an address and a prefix length in bits (a single address has
 * the full length). For bans and --whitelist. */
struct netaddr_subnet {
    uint8_t net;
    uint8_t addr[32];
    uint8_t prefix;
};

/* "1.2.3.4", "1.2.3.0/24", "2001:db8::/32", "[2001:db8::1]"; false if it is
 * not one, or the prefix is longer than the address. Bits past the prefix
 * are cleared. */
bool netaddr_subnet_parse(const char *s, struct netaddr_subnet *out);
void netaddr_subnet_single(const struct wire_netaddr *a, struct netaddr_subnet *out);
bool netaddr_subnet_match(const struct netaddr_subnet *sn, const struct wire_netaddr *a);
bool netaddr_subnet_equal(const struct netaddr_subnet *a, const struct netaddr_subnet *b);
/* "1.2.3.0/24", or "1.2.3.4/32" for a single address. */
void netaddr_subnet_str(const struct netaddr_subnet *sn, char out[NETADDR_STR_MAX]);
/* A socket address as a wire address (IPv4-mapped IPv6 becomes IPv4). */
bool netaddr_from_sockaddr(const struct sockaddr *sa, struct wire_netaddr *out);

#endif
