/* Help texts of the compact block filter methods (see help.h): bitcoind's
 * getblockfilter, scanblocks and getindexinfo, which btcpeerd answers
 * without a filter index, from filters fetched from filter peers and
 * checked against the filter header chain (docs/FILTERS.md). Keys and
 * arguments btcpeerd answers differently say why in their line. */
#include "help.h"

const struct rpc_help_entry rpc_help_filters[] = {
    {"getblockfilter", "\"blockhash\" ( \"filtertype\" )",
     "Retrieve a BIP 157 content filter for a particular block.\n"
     "(btcpeerd keeps no filter index: with --blockfilters=1 the filter is fetched from a filter peer\n"
     "and checked against the filter header chain before it is returned; the call waits at most\n"
     "--rpc-getblock-timeout. Only blocks of the active chain, up to the height the filter headers are\n"
     "synced to: see getindexinfo.)\n"
     "\nArguments:\n"
     "1. blockhash     (string, required) The hash of the block\n"
     "2. filtertype    (string, optional, default=\"basic\") The type name of the filter\n"
     "\nResult:\n"
     "{                      (json object)\n"
     "  \"filter\" : \"hex\",    (string) the hex-encoded filter data\n"
     "  \"header\" : \"hex\"     (string) the hex-encoded filter header\n"
     "}\n",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\" \"basic\"",
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\", \"basic\""},
    {"scanblocks", "\"action\" ( [scanobjects,...] start_height stop_height \"filtertype\" options )",
     "Return relevant blockhashes for given descriptors (requires blockfilterindex).\n"
     "This call may take several minutes. Make sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0)\n"
     "(btcpeerd: requires --blockfilters=1, and filter headers synced to stop_height; the filters are\n"
     "fetched from filter peers as the scan goes and checked against the filter header chain.)\n"
     "\nArguments:\n"
     "1. action                           (string, required) The action to execute\n"
     "                                    \"start\" for starting a scan\n"
     "                                    \"abort\" for aborting the current scan (returns true when abort was successful)\n"
     "                                    \"status\" for progress report (in %) of the current scan\n"
     "2. scanobjects                      (json array, optional) Array of scan objects. Required for \"start\" action\n"
     "                                    Every scan object is either a string descriptor or an object:\n"
     "                                    (btcpeerd derives no keys: addr(ADDRESS) and raw(HEX) descriptors, with an\n"
     "                                    optional checksum, at most 100000 of them)\n"
     "     [\n"
     "       \"descriptor\",                (string) An output descriptor\n"
     "       {                            (json object) An object with output descriptor and metadata\n"
     "         \"desc\": \"str\",             (string, required) An output descriptor\n"
     "         \"range\": n or [n,n],       (numeric or array, optional, default=1000) The range of HD chain indexes to explore (either end or [begin,end])\n"
     "                                    (refused, error -8: btcpeerd derives no keys)\n"
     "       },\n"
     "       ...\n"
     "     ]\n"
     "3. start_height                     (numeric, optional, default=0) Height to start to scan from\n"
     "4. stop_height                      (numeric, optional, default=chain tip) Height to stop to scan\n"
     "5. filtertype                       (string, optional, default=\"basic\") The type name of the filter\n"
     "6. options                          (json object, optional)\n"
     "     {\n"
     "       \"filter_false_positives\": bool,    (boolean, optional, default=false) Filter false positives (slower and may fail on pruned nodes). Otherwise they may occur at a rate of 1/M\n"
     "                                          (true is refused, error -8: btcpeerd keeps no blocks to check them in)\n"
     "     }\n"
     "\nResult (when action=='status' and no scan is in progress - possibly already completed):\n"
     "null    (json null)\n"
     "\nResult (When action=='start'; only returns after scan completes):\n"
     "{                              (json object)\n"
     "  \"from_height\" : n,           (numeric) The height we started the scan from\n"
     "  \"to_height\" : n,             (numeric) The height we ended the scan at (if aborted: the last height matched)\n"
     "  \"relevant_blocks\" : [        (json array) Blocks that may have matched a scanobject.\n"
     "    \"hex\",                     (string) A relevant blockhash\n"
     "    ...\n"
     "  ],\n"
     "  \"completed\" : true|false     (boolean) true if the scan process was not aborted\n"
     "}\n"
     "\nResult (when action=='status' and a scan is currently in progress):\n"
     "{                        (json object)\n"
     "  \"progress\" : n,        (numeric) Approximate percent complete\n"
     "  \"current_height\" : n   (numeric) Height of the block currently being scanned\n"
     "}\n"
     "\nResult (when action=='abort'):\n"
     "true|false    (boolean) True if scan will be aborted (not necessarily before this RPC returns), or false if there is no scan to abort\n",
     "start '[\"addr(bcrt1q4u4nsgk6ug0sqz7r3rj9tykjxrsl0yy4d0wwte)\"]' 300000",
     "\"start\", [\"addr(bcrt1q4u4nsgk6ug0sqz7r3rj9tykjxrsl0yy4d0wwte)\"], 300000"},
    {"getindexinfo", "( \"index_name\" )",
     "Returns the status of one or all available indices currently running in the node.\n"
     "(btcpeerd has one, with --blockfilters=1: \"basic block filter index\", its filter header chain,\n"
     "synced from filter peers; the filters themselves are fetched on demand. Without it: {}.)\n"
     "\nArguments:\n"
     "1. index_name    (string, optional) Filter results for an index with a specific name.\n"
     "\nResult:\n"
     "{                               (json object)\n"
     "  \"name\" : {                    (json object) The name of the index\n"
     "    \"synced\" : true|false,      (boolean) Whether the index is synced or not (filter headers up to the header chain's tip)\n"
     "    \"best_block_height\" : n,    (numeric) The block height to which the index is synced (-1: no filter header yet)\n"
     "    \"filter_peers\" : n,         (numeric) (btcpeerd) connected peers that serve compact filters\n"
     "    \"cached_filters\" : n,       (numeric) (btcpeerd) checked filters in the cache\n"
     "    \"cached_bytes\" : n          (numeric) (btcpeerd) their size in bytes (the cache holds at most 16 MiB)\n"
     "  },\n"
     "  ...\n"
     "}\n",
     "\"basic block filter index\"", "\"basic block filter index\""},
};

const size_t rpc_help_filters_count = sizeof rpc_help_filters / sizeof rpc_help_filters[0];
