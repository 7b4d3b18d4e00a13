/* Host:port parsing and socket-address formatting. */
#include <btcpeerd/hostport.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_port(const char *s, uint16_t *port)
{
    if (!*s) return false;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > 65535 || s[0] == '-' || s[0] == '+') return false;
    *port = (uint16_t)v;
    return true;
}

bool hostport_parse(const char *in, char *host, size_t host_cap, uint16_t *port,
                    uint16_t default_port)
{
    const char *h = in, *colon = NULL;
    size_t hlen;
    if (in[0] == '[') {
        const char *close = strchr(in, ']');
        if (!close) return false;
        h = in + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            colon = close + 1;
        else if (close[1] != '\0')
            return false;
    } else {
        colon = strrchr(in, ':');
        /* More than one colon without brackets: a bare IPv6 address. */
        if (colon && strchr(in, ':') != colon) colon = NULL;
        hlen = colon ? (size_t)(colon - in) : strlen(in);
    }
    if (hlen == 0 || hlen >= host_cap) return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (!colon) {
        *port = default_port;
        return true;
    }
    return parse_port(colon + 1, port);
}

bool hostport_numeric(const char *host, uint16_t port, struct sockaddr_storage *out,
                      socklen_t *len)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *in4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        *len = sizeof *in4;
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        return true;
    }
    return false;
}

void hostport_format(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(in4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
    } else {
        snprintf(out, cap, "?");
    }
}

bool hostport_to_ip16(const struct sockaddr *sa, uint8_t ip16[16], uint16_t *port)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        memset(ip16, 0, 10);
        ip16[10] = ip16[11] = 0xff;
        memcpy(ip16 + 12, &in4->sin_addr, 4);
        *port = ntohs(in4->sin_port);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(ip16, &in6->sin6_addr, 16);
        *port = ntohs(in6->sin6_port);
        return true;
    }
    return false;
}
