/* A loopback listener for tests that play the peers the daemon dials:
 * bound to one 127.x address (its own network group with
 * --test-local-groups) on a port of the kernel's choosing, and handed to
 * the daemon through addpeeraddress. Failures are cmocka failures. */
#ifndef BTCPEERD_LISTENER_H
#define BTCPEERD_LISTENER_H

#include "rpc_daemon.h"

#include <stdint.h>

struct listener {
    char ip[16];
    int fd;
    uint16_t port;
};

void listener_open(struct listener *l, const char *ip);
/* On 127.<second_octet>.0.1. */
void listener_open_group(struct listener *l, unsigned second_octet);
/* addpeeraddress, which must succeed. */
void listener_add(const struct rpc_daemon *r, const struct listener *l);

#endif
