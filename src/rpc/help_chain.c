/* Help texts of the blockchain and control methods (see help.h). Keys
 * btcpeerd answers differently from bitcoind say why in their line. */
#include "help.h"

const struct rpc_help_entry rpc_help_chain[] = {
    /* ---- Blockchain ---- */
    {"getbestblockhash", NO_ARGS,
     "Returns the hash of the best (tip) block in the most-work fully-validated chain.\n"
     "(btcpeerd validates headers: the tip of the most-work valid header chain.)\n"
     "\nResult:\n"
     "\"hex\"    (string) the block hash, hex-encoded\n",
     "", ""},
    {"getblock", "\"blockhash\" ( verbosity )",
     "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n"
     "If verbosity is 1, returns an Object with information about block <hash>.\n"
     "A block not stored yet is fetched from a peer first (btcpeerd keeps no block database;\n"
     "--rpc-getblock-timeout bounds the wait). Verbosity 2 and 3 need transaction details\n"
     "btcpeerd does not keep: error -8.\n"
     "\nArguments:\n"
     "1. blockhash    (string, required) The block hash\n"
     "2. verbosity    (numeric, optional, default=1) 0 for hex-encoded data, 1 for a JSON object\n"
     "\nResult (for verbosity = 0):\n"
     "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'\n"
     "\nResult (for verbosity = 1):\n"
     "{                                 (json object)\n"
     "  \"hash\" : \"hex\",                 (string) the block hash (same as provided)\n"
     "  \"confirmations\" : n,            (numeric) The number of confirmations, or -1 if the block is not on the main chain\n"
     "  \"size\" : n,                     (numeric) The block size\n"
     "  \"strippedsize\" : n,             (numeric) The block size excluding witness data\n"
     "  \"weight\" : n,                   (numeric) The block weight as defined in BIP 141\n"
     "  \"height\" : n,                   (numeric) The block height or index\n"
     "  \"version\" : n,                  (numeric) The block version\n"
     "  \"versionHex\" : \"hex\",           (string) The block version formatted in hexadecimal\n"
     "  \"merkleroot\" : \"hex\",           (string) The merkle root\n"
     "  \"tx\" : [                        (json array) The transaction ids\n"
     "    \"hex\",                        (string) The transaction id\n"
     "    ...\n"
     "  ],\n"
     "  \"time\" : xxx,                   (numeric) The block time expressed in UNIX epoch time\n"
     "  \"mediantime\" : xxx,             (numeric) The median block time expressed in UNIX epoch time\n"
     "  \"nonce\" : n,                    (numeric) The nonce\n"
     "  \"bits\" : \"hex\",                 (string) nBits: compact representation of the block difficulty target\n"
     "  \"target\" : \"hex\",               (string) The difficulty target\n"
     "  \"difficulty\" : n,               (numeric) The difficulty\n"
     "  \"chainwork\" : \"hex\",            (string) Expected number of hashes required to produce the chain up to this block (in hex)\n"
     "  \"nTx\" : n,                      (numeric) The number of transactions in the block\n"
     "  \"previousblockhash\" : \"hex\",    (string, optional) The hash of the previous block (if available)\n"
     "  \"nextblockhash\" : \"hex\"         (string, optional) The hash of the next block (if available)\n"
     "}\n",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""},
    {"getblockchaininfo", NO_ARGS,
     "Returns an object containing various state info regarding blockchain processing.\n"
     "btcpeerd validates headers, not blocks: blocks = headers = the height of the most-work\n"
     "valid header chain, as a header-only (fully pruned) view of the chain.\n"
     "\nResult:\n"
     "{                                         (json object)\n"
     "  \"chain\" : \"str\",                        (string) current network name (main, test, testnet4, signet, regtest)\n"
     "  \"blocks\" : n,                           (numeric) the height of the most-work valid header chain\n"
     "  \"headers\" : n,                          (numeric) the current number of headers we have validated\n"
     "  \"bestblockhash\" : \"str\",                (string) the hash of the currently best block\n"
     "  \"bits\" : \"hex\",                         (string) nBits: compact representation of the block difficulty target\n"
     "  \"target\" : \"hex\",                       (string) The difficulty target\n"
     "  \"difficulty\" : n,                       (numeric) the current difficulty\n"
     "  \"time\" : xxx,                           (numeric) The block time expressed in UNIX epoch time\n"
     "  \"mediantime\" : xxx,                     (numeric) The median block time expressed in UNIX epoch time\n"
     "  \"verificationprogress\" : n,             (numeric) estimate of verification progress [0..1]; btcpeerd: the share of\n"
     "                                          the time since genesis the header chain covers, 1 once the header sync is done\n"
     "                                          (and on regtest, as bitcoind)\n"
     "  \"initialblockdownload\" : true|false,    (boolean) (debug information) estimate of whether this node is in Initial Block Download mode\n"
     "  \"chainwork\" : \"hex\",                    (string) total amount of work in active chain, in hexadecimal\n"
     "  \"size_on_disk\" : n,                     (numeric) the estimated size of the block and undo files on disk\n"
     "                                          (btcpeerd: headers.dat and the fetched blocks)\n"
     "  \"pruned\" : true|false,                  (boolean) if the blocks are subject to pruning (false: btcpeerd never deletes a fetched block)\n"
     "  \"warnings\" : [                          (json array) any network and blockchain warnings\n"
     "    \"str\",                                (string) warning\n"
     "    ...\n"
     "  ]\n"
     "}\n",
     "", ""},
    {"getblockcount", NO_ARGS,
     "Returns the height of the most-work fully-validated chain.\n"
     "The genesis block has height 0. (btcpeerd: the most-work valid header chain.)\n"
     "\nResult:\n"
     "n    (numeric) The current block count\n",
     "", ""},
    {"getblockhash", "height",
     "Returns hash of block in best-block-chain at height provided.\n"
     "\nArguments:\n"
     "1. height    (numeric, required) The height index\n"
     "\nResult:\n"
     "\"hex\"    (string) The block hash\n",
     "1000", "1000"},
    {"getblockheader", "\"blockhash\" ( verbose )",
     "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\n"
     "If verbose is true, returns an Object with information about blockheader <hash>.\n"
     "\nArguments:\n"
     "1. blockhash    (string, required) The block hash\n"
     "2. verbose      (boolean, optional, default=true) true for a json object, false for the hex-encoded data\n"
     "\nResult (for verbose = true):\n"
     "{                                 (json object)\n"
     "  \"hash\" : \"hex\",                 (string) the block hash (same as provided)\n"
     "  \"confirmations\" : n,            (numeric) The number of confirmations, or -1 if the block is not on the main chain\n"
     "  \"height\" : n,                   (numeric) The block height or index\n"
     "  \"version\" : n,                  (numeric) The block version\n"
     "  \"versionHex\" : \"hex\",           (string) The block version formatted in hexadecimal\n"
     "  \"merkleroot\" : \"hex\",           (string) The merkle root\n"
     "  \"time\" : xxx,                   (numeric) The block time expressed in UNIX epoch time\n"
     "  \"mediantime\" : xxx,             (numeric) The median block time expressed in UNIX epoch time\n"
     "  \"nonce\" : n,                    (numeric) The nonce\n"
     "  \"bits\" : \"hex\",                 (string) nBits: compact representation of the block difficulty target\n"
     "  \"target\" : \"hex\",               (string) The difficulty target\n"
     "  \"difficulty\" : n,               (numeric) The difficulty\n"
     "  \"chainwork\" : \"hex\",            (string) Expected number of hashes required to produce the current chain\n"
     "  \"nTx\" : n,                      (numeric) The number of transactions in the block (0 until the block is fetched)\n"
     "  \"previousblockhash\" : \"hex\",    (string, optional) The hash of the previous block (if available)\n"
     "  \"nextblockhash\" : \"hex\"         (string, optional) The hash of the next block (if available)\n"
     "}\n"
     "\nResult (for verbose=false):\n"
     "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'\n",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""},
    {"getchaintips", NO_ARGS,
     "Return information about all known tips in the block tree, including the main chain as well as orphaned branches.\n"
     "\nResult:\n"
     "[                        (json array)\n"
     "  {                      (json object)\n"
     "    \"height\" : n,        (numeric) height of the chain tip\n"
     "    \"hash\" : \"hex\",      (string) block hash of the tip\n"
     "    \"branchlen\" : n,     (numeric) zero for main chain, otherwise length of branch connecting the tip to the main chain\n"
     "    \"status\" : \"str\"     (string) status of the chain, \"active\" for the main chain\n"
     "                         Possible values for status (btcpeerd keeps headers, so a fork is \"headers-only\"):\n"
     "                         1.  \"invalid\"               This branch contains at least one invalid block\n"
     "                         2.  \"headers-only\"          Not all blocks for this branch are available, but the headers are valid\n"
     "                         3.  \"valid-headers\"         All blocks are available for this branch, but they were never fully validated\n"
     "                         4.  \"valid-fork\"            This branch is not part of the active chain, but is fully validated\n"
     "                         5.  \"active\"                This is the tip of the active main chain, which is certainly valid\n"
     "  },\n"
     "  ...\n"
     "]\n",
     "", ""},
    {"getdifficulty", NO_ARGS,
     "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.\n"
     "\nResult:\n"
     "n    (numeric) the proof-of-work difficulty as a multiple of the minimum difficulty.\n",
     "", ""},
    /* ---- Control ---- */
    {"getrpcinfo", NO_ARGS,
     "Returns details of the RPC server.\n"
     "\nResult:\n"
     "{                          (json object)\n"
     "  \"active_commands\" : [   (json array) All active commands\n"
     "    {                      (json object) Information about an active command\n"
     "      \"method\" : \"str\",    (string) The name of the RPC command\n"
     "      \"duration\" : n       (numeric) The running time in microseconds\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"logpath\" : \"str\"       (string) The complete file path to the debug log\n"
     "}\n",
     "", ""},
    {"help", "( \"command\" )",
     "List all commands, or get help for a specified command.\n"
     "\nArguments:\n"
     "1. command    (string, optional, default=all commands) The command to get help on\n"
     "\nResult:\n"
     "\"str\"    (string) The help text\n",
     "", ""},
    {"logging", "( [\"include_category\",...] [\"exclude_category\",...] )",
     "Gets and sets the logging configuration.\n"
     "When called without an argument, returns the list of categories with status that are currently being debug logged or not.\n"
     "When called with arguments, adds or removes categories from debug logging and return the lists above.\n"
     "The arguments are evaluated in order \"include\", \"exclude\".\n"
     "In addition, the following are available as category names with special meanings:\n"
     "  - \"all\",  \"1\" : represent all logging categories.\n"
     "\nArguments:\n"
     "1. include    (json array, optional) The categories to add to debug logging\n"
     "2. exclude    (json array, optional) The categories to remove from debug logging\n"
     "\nResult:\n"
     "{                   (json object) keys are the logging categories, and values indicates its status\n"
     "  \"category\" : true|false,    (boolean) if being debug logged or not. false:inactive, true:active\n"
     "  ...\n"
     "}\n",
     "\"[\\\"all\\\"]\" \"[\\\"addrman\\\"]\"", "[\"all\"], [\"addrman\"]"},
    {"stop", NO_ARGS,
     "Request a graceful shutdown of btcpeerd.\n"
     "\nResult:\n"
     "\"str\"    (string) A string with the content 'btcpeerd stopping'\n",
     "", ""},
    {"uptime", NO_ARGS,
     "Returns the total uptime of the server.\n"
     "\nResult:\n"
     "n    (numeric) The number of seconds that the server has been running\n",
     "", ""},
};

const size_t rpc_help_chain_count = sizeof rpc_help_chain / sizeof rpc_help_chain[0];
