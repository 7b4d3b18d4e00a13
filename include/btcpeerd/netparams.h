/* Per-network constants: magic, default port, genesis header. Later layers
 * (chain rules, DNS seeds) extend struct netparams. */
#ifndef BTCPEERD_NETPARAMS_H
#define BTCPEERD_NETPARAMS_H

#include <stdbool.h>
#include <stdint.h>

enum net_id { NET_MAIN = 0, NET_TESTNET3, NET_TESTNET4, NET_SIGNET, NET_REGTEST, NET_COUNT };

struct netparams {
    enum net_id id;
    const char *name;          /* "main", "testnet3", ... as --network takes it */
    uint8_t magic[4];          /* message start bytes, in wire order */
    uint16_t default_port;
    uint8_t genesis_header[80];
    uint8_t genesis_hash[32];  /* internal byte order */
};

const struct netparams *netparams_get(enum net_id id);
/* By --network name; NULL if unknown. */
const struct netparams *netparams_by_name(const char *name);
/* The network whose magic this is; NULL if none. */
const struct netparams *netparams_by_magic(const uint8_t magic[4]);

#endif
