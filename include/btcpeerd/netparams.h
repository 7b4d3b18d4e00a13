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
    uint16_t rpc_port;                /* btcpeerd's JSON-RPC default: not bitcoind's, so both can run */
    uint8_t genesis_header[80];
    uint8_t genesis_hash[32];  /* internal byte order */

    /* Proof-of-work rules (Core's consensus params; src/node/pow.c applies
     * them). pow_limit is the easiest target allowed, written big-endian as
     * Core's hex literal reads, so it can be checked against chainparams by
     * eye. */
    uint8_t pow_limit[32];
    int64_t pow_target_spacing;       /* seconds: 600 everywhere */
    int64_t pow_target_timespan;      /* seconds: two weeks everywhere */
    bool pow_allow_min_difficulty;    /* testnet's 20-minute rule */
    bool pow_no_retargeting;          /* regtest keeps the parent's nBits */
    bool enforce_bip94;               /* testnet4: timewarp rule, first-block retarget base */
    /* Heights from which versions below 2, 3 and 4 are rejected. */
    int32_t bip34_height;
    int32_t bip66_height;
    int32_t bip65_height;
    /* Core v29's nMinimumChainWork (kernel/chainparams.cpp), big-endian as
     * its hex reads: a header chain below it is presynced before it is
     * stored (src/node/presync.c), and while our tip is below it we answer
     * getheaders with no headers. --minimumchainwork replaces it. */
    uint8_t min_chain_work[32];
};

/* Blocks between retargets: timespan / spacing (2,016). */
static inline int32_t netparams_retarget_interval(const struct netparams *np)
{
    return (int32_t)(np->pow_target_timespan / np->pow_target_spacing);
}

const struct netparams *netparams_get(enum net_id id);
/* By --network name; NULL if unknown. */
const struct netparams *netparams_by_name(const char *name);
/* The network whose magic this is; NULL if none. */
const struct netparams *netparams_by_magic(const uint8_t magic[4]);

#endif
