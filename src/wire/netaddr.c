/* Address classification (Bitcoin Core's IsRoutable and GetGroup, reduced
 * to what btcpeerd uses) and formatting. */
#include <btcpeerd/netaddr.h>

#include <btcpeerd/buf.h>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ipv4_in(const uint8_t *ip, uint8_t a, uint8_t b, unsigned prefix_bits)
{
    uint32_t v = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
    uint32_t net = (uint32_t)a << 24 | (uint32_t)b << 16;
    uint32_t mask = prefix_bits ? ~0u << (32 - prefix_bits) : 0;
    return (v & mask) == (net & mask);
}

static bool ipv4_in3(const uint8_t *ip, uint8_t a, uint8_t b, uint8_t c)
{
    return ip[0] == a && ip[1] == b && ip[2] == c; /* a /24 */
}

static bool ipv4_routable(const uint8_t *ip)
{
    return !(ipv4_in(ip, 0, 0, 8) ||        /* "this network" */
             ipv4_in(ip, 10, 0, 8) ||       /* RFC1918 */
             ipv4_in(ip, 127, 0, 8) ||      /* loopback */
             ipv4_in(ip, 100, 64, 10) ||    /* RFC6598 shared */
             ipv4_in(ip, 169, 254, 16) ||   /* RFC3927 link-local */
             ipv4_in(ip, 172, 16, 12) ||    /* RFC1918 */
             ipv4_in(ip, 192, 168, 16) ||   /* RFC1918 */
             ipv4_in3(ip, 192, 0, 0) ||     /* IETF protocol assignments */
             ipv4_in3(ip, 192, 0, 2) ||     /* RFC5737 documentation */
             ipv4_in(ip, 198, 18, 15) ||    /* RFC2544 benchmarking */
             ipv4_in3(ip, 198, 51, 100) ||  /* RFC5737 */
             ipv4_in3(ip, 203, 0, 113) ||   /* RFC5737 */
             ipv4_in(ip, 224, 0, 4) ||      /* multicast */
             ipv4_in(ip, 240, 0, 4));       /* reserved, broadcast */
}

static bool prefix(const uint8_t *ip, const uint8_t *p, size_t n)
{
    return memcmp(ip, p, n) == 0;
}

static bool ipv6_routable(const uint8_t *ip)
{
    static const uint8_t zero[16] = {0};
    static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};    /* RFC3849 */
    static const uint8_t orchid[3] = {0x20, 0x01, 0x00};       /* RFC4843/7343: 2001:10::/28, 2001:20::/28 */
    if (memcmp(ip, zero, 16) == 0 || memcmp(ip, loop, 16) == 0) return false;
    if ((ip[0] & 0xfe) == 0xfc) return false;                   /* RFC4193 unique local */
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) return false;  /* RFC4862 link-local */
    if (ip[0] == 0xff) return false;                            /* multicast */
    if (prefix(ip, doc, 4)) return false;
    if (prefix(ip, orchid, 3) && ((ip[3] & 0xf0) == 0x10 || (ip[3] & 0xf0) == 0x20)) return false;
    return true;
}

bool netaddr_is_loopback(const struct wire_netaddr *a)
{
    static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (a->net == WIRE_NET_IPV4) return a->addr[0] == 127;
    if (a->net == WIRE_NET_IPV6) return memcmp(a->addr, loop6, 16) == 0;
    return false;
}

bool netaddr_is_routable(const struct wire_netaddr *a)
{
    switch (a->net) {
    case WIRE_NET_IPV4: return ipv4_routable(a->addr);
    case WIRE_NET_IPV6: return ipv6_routable(a->addr);
    case WIRE_NET_TORV3:
    case WIRE_NET_I2P: return true;
    case WIRE_NET_CJDNS: return a->addr[0] == 0xfc;
    default: return false;
    }
}

/* An IPv4 address inside an IPv6 one: 6to4 (2002:V4ADDR::/48) or Teredo
 * (2001:0000::/32, the client address inverted in the last four bytes). */
static bool ipv6_embedded_ipv4(const uint8_t *ip, uint8_t out[4])
{
    if (ip[0] == 0x20 && ip[1] == 0x02) {
        memcpy(out, ip + 2, 4);
        return true;
    }
    if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0 && ip[3] == 0) {
        for (int i = 0; i < 4; i++) out[i] = (uint8_t)~ip[12 + i];
        return true;
    }
    return false;
}

static bool group_routable(const struct wire_netaddr *a, bool local_routable)
{
    return netaddr_is_routable(a) ||
           (local_routable && a->net == WIRE_NET_IPV4 && a->addr[0] == 127);
}

/* Every form of IPv6 that carries an IPv4 address Core looks up as that
 * IPv4 (its HasLinkedIPv4). */
static bool ipv6_linked_ipv4(const uint8_t *ip, uint8_t out[4])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t rfc6052[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t rfc6145[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    if (prefix(ip, mapped, 12) || prefix(ip, rfc6052, 12) || prefix(ip, rfc6145, 12)) {
        memcpy(out, ip + 12, 4);
        return true;
    }
    return ipv6_embedded_ipv4(ip, out);
}

uint32_t netaddr_mapped_as(const struct wire_netaddr *a, bool local_routable,
                           const struct asmap *map)
{
    uint8_t ip[16] = {0}, v4[4];
    if (!map || !group_routable(a, local_routable)) return 0;
    if (a->net == WIRE_NET_IPV4 || (a->net == WIRE_NET_IPV6 && ipv6_linked_ipv4(a->addr, v4))) {
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, a->net == WIRE_NET_IPV4 ? a->addr : v4, 4);
    } else if (a->net == WIRE_NET_IPV6) {
        memcpy(ip, a->addr, 16);
    } else {
        return 0;
    }
    return asmap_lookup(map, ip);
}

size_t netaddr_group(const struct wire_netaddr *a, bool local_routable, const struct asmap *map,
                     uint8_t out[NETADDR_GROUP_MAX])
{
    uint8_t v4[4];
    uint32_t asn = netaddr_mapped_as(a, local_routable, map);
    if (asn) {
        out[0] = WIRE_NET_IPV6; /* Core's byte: one class for both IP networks */
        le32_write(out + 1, asn);
        return 5;
    }
    if (!group_routable(a, local_routable)) {
        out[0] = 0; /* every unroutable address in one group */
        return 1;
    }
    if (a->net == WIRE_NET_IPV4 || (a->net == WIRE_NET_IPV6 && ipv6_embedded_ipv4(a->addr, v4))) {
        const uint8_t *ip = a->net == WIRE_NET_IPV4 ? a->addr : v4;
        out[0] = WIRE_NET_IPV4;
        out[1] = ip[0];
        out[2] = ip[1];
        return 3;
    }
    out[0] = a->net;
    if (a->net == WIRE_NET_IPV6) {
        memcpy(out + 1, a->addr, 4);
        return 5;
    }
    return 1; /* Tor, I2P, CJDNS: one group per network */
}

size_t netaddr_key(const struct wire_netaddr *a, uint8_t out[35])
{
    size_t n = wire_net_addr_len(a->net);
    out[0] = a->net;
    memcpy(out + 1, a->addr, n);
    out[1 + n] = (uint8_t)(a->port >> 8);
    out[2 + n] = (uint8_t)a->port;
    return n + 3;
}

bool netaddr_equal(const struct wire_netaddr *a, const struct wire_netaddr *b)
{
    return a->net == b->net && a->port == b->port &&
           memcmp(a->addr, b->addr, wire_net_addr_len(a->net)) == 0;
}

/* RFC 4648 base32, lower case, no padding (Tor and I2P write it so). */
static void base32(const uint8_t *in, size_t n, char *out)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits) out[o++] = alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

/* A v3 onion name: base32(pubkey ‖ checksum[2] ‖ version 3), the checksum
 * being SHA3-256(".onion checksum" ‖ pubkey ‖ version). */
static void onion_name(const uint8_t pubkey[32], char out[57])
{
    uint8_t buf[15 + 32 + 1], digest[32], whole[35];
    memcpy(buf, ".onion checksum", 15);
    memcpy(buf + 15, pubkey, 32);
    buf[47] = 3;
    unsigned int len = 0;
    if (EVP_Digest(buf, sizeof buf, digest, &len, EVP_sha3_256(), NULL) != 1) memset(digest, 0, 32);
    memcpy(whole, pubkey, 32);
    whole[32] = digest[0];
    whole[33] = digest[1];
    whole[34] = 3;
    base32(whole, sizeof whole, out);
}

void netaddr_str(const struct wire_netaddr *a, char out[NETADDR_STR_MAX])
{
    char host[80];
    switch (a->net) {
    case WIRE_NET_IPV4:
        inet_ntop(AF_INET, a->addr, host, sizeof host);
        snprintf(out, NETADDR_STR_MAX, "%s:%u", host, a->port);
        return;
    case WIRE_NET_IPV6:
    case WIRE_NET_CJDNS:
        inet_ntop(AF_INET6, a->addr, host, sizeof host);
        snprintf(out, NETADDR_STR_MAX, "[%s]:%u", host, a->port);
        return;
    case WIRE_NET_TORV3:
        onion_name(a->addr, host);
        snprintf(out, NETADDR_STR_MAX, "%s.onion:%u", host, a->port);
        return;
    case WIRE_NET_I2P:
        base32(a->addr, 32, host);
        snprintf(out, NETADDR_STR_MAX, "%s.b32.i2p:%u", host, a->port);
        return;
    default: snprintf(out, NETADDR_STR_MAX, "unknown-net-%u", a->net);
    }
}

static void mask_after(uint8_t *addr, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bit = (unsigned)i * 8;
        if (bit >= prefix)
            addr[i] = 0;
        else if (prefix - bit < 8)
            addr[i] &= (uint8_t)(0xff << (8 - (prefix - bit)));
    }
}

bool netaddr_subnet_parse(const char *s, struct netaddr_subnet *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *slash = strchr(s, '/');
    size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
    if (hlen >= sizeof host || hlen == 0) return false;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    char *h = host;
    if (h[0] == '[' && h[hlen - 1] == ']') {
        h[hlen - 1] = '\0';
        h++;
    }
    memset(out, 0, sizeof *out);
    unsigned max;
    if (inet_pton(AF_INET, h, out->addr) == 1) {
        out->net = WIRE_NET_IPV4;
        max = 32;
    } else if (inet_pton(AF_INET6, h, out->addr) == 1) {
        out->net = WIRE_NET_IPV6;
        max = 128;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out->addr, mapped, 12) == 0) {
            memmove(out->addr, out->addr + 12, 4);
            memset(out->addr + 4, 0, 12);
            out->net = WIRE_NET_IPV4;
            max = 32;
        }
    } else {
        return false;
    }
    unsigned prefix = max;
    if (slash) {
        char *end;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end || v > max) return false;
        prefix = (unsigned)v;
    }
    out->prefix = (uint8_t)prefix;
    mask_after(out->addr, max / 8, prefix);
    return true;
}

void netaddr_subnet_single(const struct wire_netaddr *a, struct netaddr_subnet *out)
{
    memset(out, 0, sizeof *out);
    out->net = a->net;
    size_t n = wire_net_addr_len(a->net);
    memcpy(out->addr, a->addr, n);
    out->prefix = (uint8_t)(n * 8);
}

bool netaddr_subnet_match(const struct netaddr_subnet *sn, const struct wire_netaddr *a)
{
    if (sn->net != a->net) return false;
    size_t n = wire_net_addr_len(a->net);
    uint8_t masked[32];
    memcpy(masked, a->addr, n);
    mask_after(masked, n, sn->prefix);
    return memcmp(masked, sn->addr, n) == 0;
}

bool netaddr_subnet_equal(const struct netaddr_subnet *a, const struct netaddr_subnet *b)
{
    return a->net == b->net && a->prefix == b->prefix &&
           memcmp(a->addr, b->addr, wire_net_addr_len(a->net)) == 0;
}

void netaddr_subnet_str(const struct netaddr_subnet *sn, char out[NETADDR_STR_MAX])
{
    struct wire_netaddr a = {.net = sn->net};
    memcpy(a.addr, sn->addr, sizeof a.addr);
    char tmp[NETADDR_STR_MAX];
    netaddr_str(&a, tmp);
    /* drop the ":0" port (and IPv6 brackets) that netaddr_str adds */
    char *colon = strrchr(tmp, ':');
    if (colon) *colon = '\0';
    const char *host = tmp;
    if (tmp[0] == '[') {
        host = tmp + 1;
        char *close = strchr(tmp, ']');
        if (close) *close = '\0';
    }
    size_t n = strnlen(host, NETADDR_STR_MAX - 5); /* room for "/128" */
    memcpy(out, host, n);
    snprintf(out + n, NETADDR_STR_MAX - n, "/%u", (unsigned)sn->prefix);
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, struct wire_netaddr *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        out->net = WIRE_NET_IPV4;
        memcpy(out->addr, &in4->sin_addr, 4);
        out->port = ntohs(in4->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        wire_netaddr_from_v1(out, (const uint8_t *)&in6->sin6_addr);
        out->port = ntohs(in6->sin6_port);
        return true;
    }
    return false;
}
