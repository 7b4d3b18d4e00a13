/* Where to find the first peers of each network: the DNS seeds of Bitcoin
 * Core's chainparams, and a compiled-in list of fixed addresses for when DNS
 * gives nothing. Regtest has neither. */
#ifndef BTCPEERD_SEEDS_H
#define BTCPEERD_SEEDS_H

#include <btcpeerd/netparams.h>
#include <btcpeerd/wire.h>

#include <stddef.h>
#include <stdint.h>

struct fixed_seed {
    uint8_t net;      /* WIRE_NET_IPV4 or WIRE_NET_IPV6 */
    uint8_t addr[16];
    uint16_t port;
};

/* NULL-terminated list of DNS seed host names. */
const char *const *seeds_dns(enum net_id id);
const struct fixed_seed *seeds_fixed(enum net_id id, size_t *n);

#endif
