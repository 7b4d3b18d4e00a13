/* btcpeerd's options, one row each: name, type and range, the field of
 * struct config it fills, default, help, whether btcpeerd.conf may set it.
 * The command line, the config file, the defaults and --help are all read
 * from these rows (config.c, option.c); the order here is --help's order.
 * The few values no generic type describes (a subnet, a numeric proxy
 * address, a block hash, ...) have a small check below. */
#include "config/config_table.h"

#include <btcpeerd/config.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/netaddr.h>

#include <string.h>

/* --- enum names ---------------------------------------------------------- */

static const char *network_name(unsigned i)
{
    const struct netparams *np = i < NET_COUNT ? netparams_get((enum net_id)i) : NULL;
    return np ? np->name : NULL;
}

static const char *log_level_name(unsigned i)
{
    return i <= LOG_TRACE ? log_level_str((enum log_level)i) : NULL;
}

static const char *privatebroadcast_name(unsigned i)
{
    switch (i) {
    case 0: return "auto";
    case 1: return "tor";
    }
    return NULL;
}

static const char *log_format_name(unsigned i)
{
    switch (i) {
    case LOG_FORMAT_TEXT: return "text";
    case LOG_FORMAT_JSON: return "json";
    }
    return NULL;
}

/* --- values with checks of their own -------------------------------------- */

/* "all" (or bitcoind's "1") lifts the filter; a category adds to it. */
static bool set_debug(void *base, const char *value)
{
    struct config *cfg = base;
    enum log_cat cat;
    if (strcmp(value, "all") == 0 || strcmp(value, "1") == 0) {
        cfg->debug_cats = 0;
        return true;
    }
    if (!log_cat_parse(value, &cat)) return false;
    cfg->debug_cats |= 1u << (unsigned)cat;
    return true;
}

static bool store_subnet(const char *value, void *dst, size_t size)
{
    struct netaddr_subnet sn;
    return netaddr_subnet_parse(value, &sn) && option_copy_text(value, dst, size);
}

/* Numeric only: resolving the proxy's name would be a DNS look-up. */
static bool store_proxy(const char *value, void *dst, size_t size)
{
    char host[256];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    return hostport_parse(value, host, sizeof host, &port, 9050) && port != 0 &&
           hostport_numeric(host, port, &ss, &len) && option_copy_text(value, dst, size);
}

/* A numeric host and an explicit port: nothing is looked up, and no
 * default port could surprise anyone. */
static bool store_metrics_bind(const char *value, void *dst, size_t size)
{
    char host[256];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t sslen;
    const char *colon = strrchr(value, ':');
    bool has_port =
        colon && (value[0] == '[' ? colon > strchr(value, ']') : strchr(value, ':') == colon);
    return has_port && hostport_parse(value, host, sizeof host, &port, 0) &&
           hostport_numeric(host, port, &ss, &sslen) && option_copy_text(value, dst, size);
}

/* BIP14 comments: no characters that would break the user agent's syntax. */
static bool store_ua_comment(const char *value, void *dst, size_t size)
{
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c > 0x7e || c == '/' || c == '(' || c == ')') return false;
    }
    return option_copy_text(value, dst, size);
}

/* HTTP Basic auth splits user:password at the first colon. */
static bool store_rpcuser(const char *value, void *dst, size_t size)
{
    return !strchr(value, ':') && option_copy_text(value, dst, size);
}

static bool store_chain_work(const char *value, void *dst, size_t size)
{
    uint8_t work[32];
    return hex_decode_uint256_user(value, work) && option_copy_text(value, dst, size);
}

static bool store_block_hash(const char *value, void *dst, size_t size)
{
    return size == 32 && hex_decode_hash(value, dst);
}

/* --- the table ------------------------------------------------------------ */

#define FIELD(f) OPTION_FIELD(struct config, f)
#define LIST(array, count) OPTION_LIST_FIELD(struct config, array, count)
/* Timeouts and intervals: seconds on the command line, at least 1 ms and
 * at most a day. */
#define SECONDS(f, default_ms)                                                                 \
    .type = OPTION_MS, .arg = "SEC", FIELD(f), .min = 1, .max = 86400000, .def = (default_ms)
/* On, unless --connect names the peers. */
#define OFF_WITH_CONNECT .dep_on = "connect", .dep_def = 0

const struct option_row config_options[] = {
    {.name = "network", .type = OPTION_ENUM, .names = network_name, FIELD(network), .def = NET_MAIN,
     .help = "Bitcoin network to join", .file_ok = true},
    {.name = "datadir", .type = OPTION_TEXT, .arg = "DIR", FIELD(datadir),
     .default_text = "~/.btcpeerd", .help = "data directory (a subdirectory per network except main)"},
    {.name = "conf", .type = OPTION_TEXT, .arg = "FILE", FIELD(conf),
     .default_text = "<datadir>/btcpeerd.conf",
     .help = "config file of key=value lines with these names"},
    {.name = "log-level", .type = OPTION_ENUM, .names = log_level_name, FIELD(log_level),
     .def = LOG_INFO, .help = "most detailed level to log", .file_ok = true},
    {.name = "debug", .type = OPTION_CUSTOM, .arg = "CATEGORY", .set = set_debug, FIELD(debug_cats),
     .default_text = "all",
     .help = "limit debug/trace to a category (net, peer, node, addrman, chain, rpc, all); "
             "repeatable",
     .file_ok = true},
    {.name = "log-file", .type = OPTION_TEXT, .arg = "PATH", FIELD(log_file),
     .default_text = "<datadir>/debug.log", .help = "log destination; - for stderr", .file_ok = true},
    {.name = "log-format", .type = OPTION_ENUM, .names = log_format_name, FIELD(log_format),
     .def = LOG_FORMAT_TEXT, .help = "text lines or one JSON object per line", .file_ok = true},
    {.name = "connect", .type = OPTION_LIST, .arg = "HOST[:PORT]", LIST(connect, n_connect),
     .default_text = "none",
     .help = "connect only to this peer (no automatic outbound); repeatable", .file_ok = true},
    {.name = "addnode", .type = OPTION_LIST, .arg = "HOST[:PORT]", LIST(addnode, n_addnode),
     .default_text = "none", .help = "keep a connection to this peer as well; repeatable",
     .file_ok = true},
    {.name = "listen", .type = OPTION_BOOL, FIELD(listen), .def = 1, OFF_WITH_CONNECT,
     .help = "accept inbound connections", .file_ok = true},
    {.name = "bind", .type = OPTION_TEXT, .arg = "ADDR[:PORT]", FIELD(bind),
     .default_text = "all addresses", .help = "listen on this address only", .file_ok = true},
    {.name = "metrics-bind", .type = OPTION_TEXT, .arg = "HOST:PORT", FIELD(metrics_bind),
     .store = store_metrics_bind, .default_text = "off",
     .help = "serve Prometheus metrics at http://HOST:PORT/metrics; port 0 picks a free one "
             "(logged)",
     .file_ok = true},
    {.name = "port", .type = OPTION_UINT, .arg = "N", FIELD(port), .min = 0, .max = 65535, .def = -1,
     .default_text = "the network's port (8333 on main)",
     .help = "port to listen on; 0 picks a free one", .file_ok = true},
    {.name = "maxconnections", .type = OPTION_UINT, .arg = "N", FIELD(max_connections), .min = 0,
     .max = 100000, .def = 125, .help = "most connections in and out together", .file_ok = true},
    {.name = "max-outbound", .type = OPTION_UINT, .arg = "N", FIELD(max_outbound), .min = 0,
     .max = 1000, .def = 8, OFF_WITH_CONNECT, .help = "automatic outbound peers to keep",
     .file_ok = true},
    {.name = "max-blockrelay", .type = OPTION_UINT, .arg = "N", FIELD(max_block_relay), .min = 0,
     .max = 8, .def = 2, OFF_WITH_CONNECT,
     .help = "block-relay-only outbound peers (no addresses, no transactions) besides the full-relay ones",
     .file_ok = true},
    {.name = "max-inbound-per-group", .type = OPTION_UINT, .arg = "N", FIELD(max_inbound_per_group),
     .min = 0, .max = 100000, .def = 16,
     .help = "inbound peers from one network group (/16, /32, ...); 0 = no cap", .file_ok = true},
    {.name = "dnsseed", .type = OPTION_BOOL, FIELD(dnsseed), .def = 1, OFF_WITH_CONNECT,
     .help = "ask DNS seeds for addresses when we know too few", .file_ok = true},
    {.name = "dns-server", .type = OPTION_TEXT, .arg = "IP[:PORT]", FIELD(dns_server),
     .default_text = "the system's resolvers",
     .help = "resolve DNS seeds and host names with this server", .file_ok = true},
    {.name = "dnsseed-name", .type = OPTION_LIST, .arg = "NAME", LIST(seed_names, n_seed_names),
     .default_text = "the network's seeds",
     .help = "use this DNS seed instead of the built-in list; repeatable", .file_ok = true},
    {.name = "bantime", .type = OPTION_UINT, .arg = "SEC", FIELD(bantime_s), .min = 0,
     .max = 10ll * 365 * 86400, .def = 86400,
     .help = "how long a setban without a time lasts (misbehaving peers are discouraged, not "
             "banned)",
     .file_ok = true},
    {.name = "whitelist", .type = OPTION_LIST, .arg = "CIDR", LIST(whitelist, n_whitelist),
     .store = store_subnet, .default_text = "none",
     .help = "peers from this subnet are never banned, discouraged or disconnected for "
             "misbehaviour; repeatable",
     .file_ok = true},
    {.name = "feeler-interval", SECONDS(feeler_interval_ms, 120000),
     .help = "how often a feeler tests an address from the new table", .file_ok = true},
    {.name = "redial-backoff", .type = OPTION_MS, .arg = "SEC", FIELD(redial_backoff_ms),
     .min = 0, .max = 86400000, .def = 120000,
     .help = "an address we failed to reach is not dialled again for this long; 0 = only "
             "Bitcoin Core's 10-minute rule",
     .file_ok = true},
    {.name = "test-stale-tip-age", SECONDS(stale_tip_ms, 1800000),
     .help = "(tests) the tip is stale after this long without a new header (3 block "
             "spacings): an extra full-relay outbound peer is tried",
     .file_ok = true},
    {.name = "test-stale-check-interval", SECONDS(stale_check_ms, 600000),
     .help = "(tests) how often the tip is checked for staleness", .file_ok = true},
    {.name = "test-extra-peer-check-interval", SECONDS(extra_peer_check_ms, 45000),
     .help = "(tests) how often an extra outbound peer is looked for to evict", .file_ok = true},
    {.name = "test-min-connect-time", SECONDS(min_connect_ms, 30000),
     .help = "(tests) an outbound peer connected for less is never evicted for an extra one",
     .file_ok = true},
    {.name = "test-extra-blockrelay-interval", SECONDS(extra_block_relay_ms, 300000),
     .help = "(tests) the mean time between extra block-relay-only connections (exponential), "
             "once the tip is recent",
     .file_ok = true},
    {.name = "asmap", .type = OPTION_TEXT, .arg = "FILE", FIELD(asmap),
     .default_text = "none (group by /16)",
     .help = "group peers by autonomous system with this Bitcoin Core asmap file, for "
             "bucketing, outbound diversity and eviction; a missing or invalid file is "
             "an error",
     .file_ok = true},
    {.name = "test-local-groups", .type = OPTION_FLAG, FIELD(test_local_groups),
     .help = "(tests) treat 127.0.0.0/8 as routable, grouped by /16",
     .file_ok = true},
    {.name = "test-discourage-loopback", .type = OPTION_FLAG, FIELD(test_discourage_loopback),
     .help = "(tests) discourage misbehaving peers from 127.0.0.0/8 as if they were remote",
     .file_ok = true},
    {.name = "test-save-interval", SECONDS(save_interval_ms, 900000),
     .help = "(tests) how often peers.dat and banlist.dat are saved", .file_ok = true},
    {.name = "test-rpc-auth-delay", SECONDS(rpc_auth_delay_ms, 250),
     .help = "(tests) pause before an RPC wrong-password reply", .file_ok = true},
    {.name = "test-dns-timeout", .type = OPTION_MS, .arg = "SEC", FIELD(dns_timeout_ms), .min = 0,
     .max = 86400000, .def = 0,
     .help = "(tests) give up on an unanswered DNS query after this long, one try; 0 = evdns's "
             "own (5 s, 3 tries)",
     .file_ok = true},
    {.name = "v2transport", .type = OPTION_BOOL, FIELD(v2transport), .def = 1,
     .help = "BIP324 encrypted transport: offered outbound, accepted inbound", .file_ok = true},
    {.name = "proxy", .type = OPTION_TEXT, .arg = "IP[:PORT]", FIELD(proxy), .store = store_proxy,
     .default_text = "none (port 9050)",
     .help = "SOCKS5 proxy for every outbound connection; host names go to it unresolved, and "
             "no DNS look-up is made",
     .file_ok = true},
    {.name = "onion", .type = OPTION_TEXT, .arg = "IP[:PORT]", FIELD(onion), .store = store_proxy,
     .default_text = "--proxy (port 9050)",
     .help = "SOCKS5 proxy for Tor v3 (.onion) peers; without it or --proxy they are "
             "unreachable",
     .file_ok = true},
    {.name = "proxy-randomize", .type = OPTION_BOOL, FIELD(proxy_randomize), .def = 1,
     .help = "fresh random proxy credentials per connection (Tor stream isolation)",
     .file_ok = true},
    {.name = "sync-stall-timeout", SECONDS(sync_stall_ms, 120000),
     .help = "switch header sync peers after this long without progress", .file_ok = true},
    {.name = "test-headers-timeout-base", SECONDS(headers_timeout_base_ms, 900000),
     .help = "(tests) the header sync deadline's fixed part (Bitcoin Core's 15 min): a sync "
             "peer not done by base + per-header x missing headers is replaced",
     .file_ok = true},
    {.name = "test-headers-timeout-per-header", .type = OPTION_MS, .arg = "SEC",
     FIELD(headers_timeout_per_header_ms), .min = 0, .max = 60000, .def = 1,
     .help = "(tests) the header sync deadline's part per missing header (Core's 1 ms)",
     .file_ok = true},
    {.name = "minimumchainwork", .type = OPTION_TEXT, .arg = "HEX", FIELD(minimum_chain_work),
     .store = store_chain_work, .default_text = "the network's (Bitcoin Core v29's; 0 on regtest)",
     .help = "work a header chain must show before it is stored (less: presynced first), and "
             "our tip must have before we serve headers; up to 64 hex digits",
     .file_ok = true},
    {.name = "block-timeout", SECONDS(block_timeout_ms, 60000),
     .help = "ask another peer for a block not delivered in time", .file_ok = true},
    {.name = "blockfilters", .type = OPTION_BOOL, FIELD(blockfilters), .def = 0,
     .help = "BIP157/158: sync compact filter headers from peers that serve them, checked "
             "across peers, and prefer such peers outbound (keeping 2)",
     .file_ok = true},
    {.name = "filter-timeout", SECONDS(filter_timeout_ms, 30000),
     .help = "ask another filter peer when a filter request is not answered in time",
     .file_ok = true},
    {.name = "test-filter-peer-interval", SECONDS(filter_peer_interval_ms, 300000),
     .help = "(tests) with --blockfilters, how often at most a non-filter outbound peer is "
             "evicted to make room for a filter peer, and the address manager searched for them",
     .file_ok = true},
    {.name = "privatebroadcast", .type = OPTION_ENUM, .names = privatebroadcast_name,
     FIELD(privatebroadcast), .def = 0,
     .help = "how sendrawtransaction's private-broadcast connections go: auto (through --proxy "
             "or --onion when set, else direct, which shows our address to those peers) or tor "
             "(only through a proxy; refused without one)",
     .file_ok = true},
    {.name = "private-broadcast-timeout", SECONDS(private_broadcast_timeout_ms, 60000),
     .help = "close a private-broadcast connection (one transaction, sendrawtransaction) after "
             "this long",
     .file_ok = true},
    {.name = "private-broadcast-retry", SECONDS(broadcast_round_ms, 300000),
     .help = "a transaction taken by 3 peers but not seen back in this long goes to 3 fresh "
             "peers; each further round waits twice as long",
     .file_ok = true},
    {.name = "private-broadcast-expiry", .type = OPTION_MS, .arg = "SEC", FIELD(broadcast_expiry_ms),
     .min = 1, .max = 4000000000u, .def = 86400000,
     .help = "give up on a transaction not seen back from the network in this long",
     .file_ok = true},
    {.name = "test-broadcast-getdata-delay", SECONDS(broadcast_getdata_ms, 130000),
     .help = "(tests) ask ordinary peers for a broadcast transaction this long after a peer "
             "took it, and again as often",
     .file_ok = true},
    {.name = "test-broadcast-retry", SECONDS(broadcast_retry_ms, 1000),
     .help = "(tests) how often pending broadcasts short of peers look for more",
     .file_ok = true},
    {.name = "fetch-block", .type = OPTION_LIST, .arg = "HASH", LIST(fetch_blocks, n_fetch_blocks),
     .store = store_block_hash, .default_text = "none",
     .help = "(debug) fetch this block and write it to <datadir>/blocks/; repeatable"},
    {.name = "handshake-timeout", SECONDS(handshake_timeout_ms, 10000),
     .help = "drop a peer not through the handshake in time", .file_ok = true},
    {.name = "ping-interval", SECONDS(ping_interval_ms, 60000),
     .help = "ping a peer silent for this long", .file_ok = true},
    {.name = "ping-timeout", SECONDS(ping_timeout_ms, 30000),
     .help = "drop a peer whose pong does not come in time", .file_ok = true},
    {.name = "max-msg-rate", .type = OPTION_UINT, .arg = "N", FIELD(max_msg_rate), .min = 0,
     .max = 1000000, .def = 10,
     .help = "drop a peer averaging more unsolicited messages per second; 0 = off",
     .file_ok = true},
    {.name = "user-agent-comment", .type = OPTION_TEXT, .arg = "TEXT", FIELD(user_agent_comment),
     .store = store_ua_comment, .default_text = "none",
     .help = "comment in our user agent, /btcpeerd:VERSION(TEXT)/", .file_ok = true},
    {.name = "server", .type = OPTION_BOOL, FIELD(server), .def = 1,
     .help = "accept JSON-RPC commands", .file_ok = true},
    {.name = "rpcbind", .type = OPTION_LIST, .arg = "ADDR[:PORT]", LIST(rpcbind, n_rpcbind),
     .default_text = "127.0.0.1 and ::1", .help = "serve JSON-RPC on this address; repeatable",
     .file_ok = true},
    {.name = "rpcport", .type = OPTION_UINT, .arg = "N", FIELD(rpcport), .min = 0, .max = 65535,
     .def = -1,
     .default_text = "8339 main, 18339 testnet3, 48339 testnet4, 38339 signet, 18449 regtest",
     .help = "JSON-RPC port; 0 picks a free one (logged)", .file_ok = true},
    {.name = "rpcallowip", .type = OPTION_LIST, .arg = "CIDR", LIST(rpcallowip, n_rpcallowip),
     .store = store_subnet, .default_text = "loopback only",
     .help = "also accept JSON-RPC clients from this subnet; repeatable", .file_ok = true},
    {.name = "rpcuser", .type = OPTION_TEXT, .arg = "USER", FIELD(rpcuser), .store = store_rpcuser,
     .default_text = "none", .help = "JSON-RPC user name (with --rpcpassword)", .file_ok = true},
    {.name = "rpcpassword", .type = OPTION_TEXT, .arg = "PASS", FIELD(rpcpassword),
     .default_text = "none", .help = "JSON-RPC password (the cookie works as well)",
     .file_ok = true},
    {.name = "rpccookiefile", .type = OPTION_TEXT, .arg = "PATH", FIELD(rpccookiefile),
     .default_text = "<datadir>/.cookie",
     .help = "where the JSON-RPC cookie (__cookie__:<random>) is written; relative to the "
             "datadir",
     .file_ok = true},
    {.name = "rpc-getblock-timeout", SECONDS(rpc_getblock_timeout_ms, 120000),
     .help = "how long getblock waits for a block fetched from peers", .file_ok = true},
    {.name = "rpcservertimeout", .type = OPTION_UINT, .arg = "SEC", FIELD(rpc_servertimeout_s),
     .min = 1, .max = 86400, .def = 30,
     .help = "close a JSON-RPC connection idle or slow to send its request this long",
     .file_ok = true},
    {.name = "daemon", .type = OPTION_FLAG, FIELD(daemon),
     .help = "run in the background", .file_ok = true},
    {.name = "pid-file", .type = OPTION_TEXT, .arg = "PATH", FIELD(pid_file), .default_text = "none",
     .help = "write the process id here", .file_ok = true},
    {.name = "help", .type = OPTION_FLAG, FIELD(help), .action = true,
     .help = "print this help and exit"},
    {.name = "version", .type = OPTION_FLAG, FIELD(version), .action = true,
     .help = "print the version and exit"},
};

const size_t config_n_options = sizeof config_options / sizeof config_options[0];

_Static_assert(sizeof config_options / sizeof config_options[0] <= CONFIG_OPTIONS_MAX,
               "raise CONFIG_OPTIONS_MAX");
