/* A DNS server for tests: a child process answering A queries for one name
 * with a fixed list of IPv4 addresses (other record types of that name get
 * empty answers), on UDP 127.0.0.1 at a free port. Any other name is
 * NXDOMAIN, except names starting with "silent.", which are never answered
 * (the client times out). Built on libevent's evdns server API. */
#ifndef BTCPEERD_TEST_DNS_SERVER_H
#define BTCPEERD_TEST_DNS_SERVER_H

#include <stdint.h>
#include <sys/types.h>

struct dns_server {
    pid_t pid;
    uint16_t port;
};

/* ips: NULL-terminated dotted quads. */
int dns_server_start(struct dns_server *s, const char *name, const char *const *ips);
void dns_server_stop(struct dns_server *s);

#endif
