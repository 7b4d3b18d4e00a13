/* Help texts of the transaction methods (see help.h): bitcoind's
 * sendrawtransaction, checked without a UTXO set and sent over
 * private-broadcast connections (docs/WIRE.md, "Transactions from the
 * operator"), and btcpeerd's own getbroadcastinfo and abandonbroadcast,
 * which follow a broadcast until it is seen back. */
#include "help.h"

const struct rpc_help_entry rpc_help_tx[] = {
    {"abandonbroadcast", "\"txid\"",
     "Stop broadcasting a transaction given to sendrawtransaction that is still pending: its open\n"
     "private-broadcast connections close and its state becomes \"abandoned\" (see getbroadcastinfo).\n"
     "Peers that already took it may still relay it. Giving it to sendrawtransaction again starts afresh.\n"
     "Errors: -5 if no broadcast of txid is known, -8 if it is no longer pending (propagated or abandoned).\n"
     "\nArguments:\n"
     "1. txid    (string, required) The transaction id\n"
     "\nResult:\n"
     "null    (json null)\n",
     "\"mytxid\"", "\"mytxid\""},
    {"getbroadcastinfo", "( \"txid\" )",
     "Returns the transactions given to sendrawtransaction, newest first, or the one of txid: its state,\n"
     "the private-broadcast connections made for it, and which ordinary peer sent it back.\n"
     "Finished broadcasts (propagated, abandoned) are kept, across restarts (broadcast.dat), until\n"
     "1000 broadcasts crowd out the oldest of them.\n"
     "Error -5 if no broadcast of txid is known.\n"
     "\nArguments:\n"
     "1. txid    (string, optional, default=all broadcasts) The transaction id\n"
     "\nResult (with txid):\n"
     "{                              (json object)\n"
     "  \"txid\" : \"hex\",              (string) The transaction id\n"
     "  \"wtxid\" : \"hex\",             (string) The transaction's witness id\n"
     "  \"state\" : \"str\",             (string) \"pending\" (not seen back yet), \"propagated\" (an ordinary peer\n"
     "                               announced or served it) or \"abandoned\" (abandonbroadcast, or not seen back\n"
     "                               within --private-broadcast-expiry)\n"
     "  \"submitted\" : xxx,           (numeric) The UNIX epoch time sendrawtransaction took it\n"
     "  \"finished\" : xxx,            (numeric, optional) The UNIX epoch time it was propagated or abandoned;\n"
     "                               absent while pending\n"
     "  \"total_attempts\" : n,        (numeric) Private-broadcast connections ever made for it, including\n"
     "                               those no longer listed\n"
     "  \"attempts\" : [               (json array) The latest of them (at most 32; an old one whose peer did\n"
     "                               not take it makes room), oldest first\n"
     "    {                          (json object)\n"
     "      \"time\" : xxx,            (numeric) The UNIX epoch time the connection was made\n"
     "      \"address\" : \"str\",       (string) The peer's address and port\n"
     "      \"network\" : \"str\",       (string) ipv4, ipv6 or onion\n"
     "      \"round\" : n,             (numeric) 1, then one more each time 3 peers took it and it was not seen\n"
     "                               back in time (--private-broadcast-retry, doubled each round)\n"
     "      \"done\" : true|false,     (boolean) Whether the connection is over\n"
     "      \"taken\" : true|false     (boolean) Whether the peer asked for the transaction and got it\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"seen_back\" : {              (json object, optional) Once propagated: who sent it back\n"
     "    \"address\" : \"str\",         (string) The ordinary peer's address and port\n"
     "    \"time\" : xxx,              (numeric) The UNIX epoch time it did\n"
     "    \"how\" : \"str\"              (string) \"announced\" (inv) or \"served\" (tx, answering our getdata)\n"
     "  }\n"
     "}\n"
     "\nResult (without txid):\n"
     "[                (json array) Every broadcast kept, newest first\n"
     "  {              (json object) One broadcast, as above\n"
     "    ...\n"
     "  },\n"
     "  ...\n"
     "]\n",
     "\"mytxid\"", "\"mytxid\""},
    {"sendrawtransaction", "\"hexstring\" ( maxfeerate maxburnamount )",
     "Submit a raw transaction (serialized, hex-encoded) to local node and network.\n"
     "\nbtcpeerd has no mempool and does not send it to all peers: it goes over private-broadcast\n"
     "connections, each made for this transaction alone (through --proxy or --onion when set; direct\n"
     "otherwise, unless --privatebroadcast=tor), until 3 peers in distinct network groups took it;\n"
     "then to fresh peers each time a round ends without an ordinary peer announcing or serving it\n"
     "back. It is given up after --private-broadcast-expiry. getbroadcastinfo shows where it stands,\n"
     "abandonbroadcast stops it.\n"
     "A transaction already pending or propagated is not sent twice: its txid is returned.\n"
     "\nWithout a UTXO set, only what the transaction alone shows is checked, with bitcoind's errors\n"
     "(decoding, sizes, output values, duplicate and null inputs, maxburnamount); inputs, scripts, fees\n"
     "and policy need the coins spent and are not (a transaction failing them is dropped by every peer\n"
     "and never seen back), so RPC_TRANSACTION_ALREADY_IN_UTXO_SET is never returned.\n"
     "Error -1 when --privatebroadcast=tor is set without a proxy, or 1000 broadcasts are pending.\n"
     "\nRelated RPCs: getbroadcastinfo, abandonbroadcast\n"
     "\nArguments:\n"
     "1. hexstring        (string, required) The hex string of the raw transaction\n"
     "2. maxfeerate       (numeric or string, optional, default=\"0.10\") Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.\n"
     "                    Fee rates larger than 1BTC/kvB are rejected.\n"
     "                    Set to 0 to accept any fee rate.\n"
     "                    (btcpeerd checks the value but cannot enforce it: the fee needs the values of the coins spent)\n"
     "3. maxburnamount    (numeric or string, optional, default=\"0.00\") Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in BTC.\n"
     "                    If burning funds through unspendable outputs is desired, increase this value.\n"
     "                    This check is based on heuristics and does not guarantee spendability of outputs.\n"
     "\nResult:\n"
     "\"hex\"    (string) The transaction hash in hex\n",
     "\"signedhex\"", "\"signedhex\""},
};

const size_t rpc_help_tx_count = sizeof rpc_help_tx / sizeof rpc_help_tx[0];
