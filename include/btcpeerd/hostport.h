/* "HOST[:PORT]" as operators write it (IPv6 in brackets: "[::1]:8333"),
 * and socket addresses back into that form for logs. */
#ifndef BTCPEERD_HOSTPORT_H
#define BTCPEERD_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* host gets the name or address without brackets; *port the given port or
 * default_port. False on an empty host, a bad port or an unclosed bracket. */
bool hostport_parse(const char *in, char *host, size_t host_cap, uint16_t *port,
                    uint16_t default_port);
/* A numeric IPv4/IPv6 host into a sockaddr; false if host is a name. */
bool hostport_numeric(const char *host, uint16_t port, struct sockaddr_storage *out,
                      socklen_t *len);
/* "1.2.3.4:8333" or "[::1]:8333"; "?" if the family is unknown. */
void hostport_format(const struct sockaddr *sa, char *out, size_t cap);
/* The 16-byte v1 form (IPv4 mapped) and port of a socket address. */
bool hostport_to_ip16(const struct sockaddr *sa, uint8_t ip16[16], uint16_t *port);

#endif
