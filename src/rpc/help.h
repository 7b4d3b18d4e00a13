/* bitcoind-style help: one entry per method, in tables by area, made into
 * `help <method>`'s text (help.c) in bitcoind's layout: the usage line,
 * what it does, Arguments:, Result: with bitcoind's keys and JSON types,
 * and Examples:. One source for three readers: the help method, the -1
 * error bitcoind gives for a wrong argument count or an invalid command,
 * and docs/RPC.md (made from `help` by scripts/rpc_doc.sh). */
#ifndef BTCPEERD_RPC_HELP_H
#define BTCPEERD_RPC_HELP_H

#include <stddef.h>

struct rpc_help_entry {
    const char *name;
    const char *args;     /* the usage line after the name, bitcoind's notation */
    const char *text;     /* what it does, then Arguments: and Result: */
    const char *cli;      /* example arguments for bitcoin-cli ("" for none) */
    const char *json;     /* the same as JSON params */
};

#define NO_ARGS ""

extern const struct rpc_help_entry rpc_help_chain[];
extern const size_t rpc_help_chain_count;
extern const struct rpc_help_entry rpc_help_net[];
extern const size_t rpc_help_net_count;
extern const struct rpc_help_entry rpc_help_filters[];
extern const size_t rpc_help_filters_count;
extern const struct rpc_help_entry rpc_help_tx[];
extern const size_t rpc_help_tx_count;

#endif
