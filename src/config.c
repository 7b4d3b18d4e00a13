/* Flags and config file. One table lists every option with its default and
 * help; the command line (getopt_long) and the file both go through
 * option_apply, so a name means the same thing in both places. */
#include <btcpeerd/config.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/netaddr.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum option_id {
    OPT_NETWORK = 0,
    OPT_DATADIR,
    OPT_CONF,
    OPT_LOG_LEVEL,
    OPT_DEBUG,
    OPT_LOG_FILE,
    OPT_LOG_FORMAT,
    OPT_CONNECT,
    OPT_ADDNODE,
    OPT_LISTEN,
    OPT_BIND,
    OPT_METRICS_BIND,
    OPT_PORT,
    OPT_MAXCONNECTIONS,
    OPT_MAX_OUTBOUND,
    OPT_MAX_INBOUND_PER_GROUP,
    OPT_DNSSEED,
    OPT_DNS_SERVER,
    OPT_DNSSEED_NAME,
    OPT_BANTIME,
    OPT_WHITELIST,
    OPT_FEELER_INTERVAL,
    OPT_TEST_LOCAL_GROUPS,
    OPT_TEST_SAVE_INTERVAL,
    OPT_TEST_RPC_AUTH_DELAY,
    OPT_TEST_DNS_TIMEOUT,
    OPT_V2TRANSPORT,
    OPT_PROXY,
    OPT_ONION,
    OPT_PROXY_RANDOMIZE,
    OPT_SYNC_STALL_TIMEOUT,
    OPT_BLOCK_TIMEOUT,
    OPT_FETCH_BLOCK,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_PING_INTERVAL,
    OPT_PING_TIMEOUT,
    OPT_MAX_MSG_RATE,
    OPT_USER_AGENT_COMMENT,
    OPT_SERVER,
    OPT_RPCBIND,
    OPT_RPCPORT,
    OPT_RPCALLOWIP,
    OPT_RPCUSER,
    OPT_RPCPASSWORD,
    OPT_RPCCOOKIEFILE,
    OPT_RPC_GETBLOCK_TIMEOUT,
    OPT_RPCSERVERTIMEOUT,
    OPT_DAEMON,
    OPT_PID_FILE,
    OPT_HELP,
    OPT_VERSION,
    OPT_COUNT
};

struct option_spec {
    const char *name;
    int has_arg;
    const char *arg_name;
    const char *default_text;
    const char *help;
    bool file_ok; /* may appear in the config file */
};

static const struct option_spec specs[OPT_COUNT] = {
    [OPT_NETWORK] = {"network", required_argument, "main|testnet3|testnet4|signet|regtest", "main",
                     "Bitcoin network to join", true},
    [OPT_DATADIR] = {"datadir", required_argument, "DIR", "~/.btcpeerd",
                     "data directory (a subdirectory per network except main)", false},
    [OPT_CONF] = {"conf", required_argument, "FILE", "<datadir>/btcpeerd.conf",
                  "config file of key=value lines with these names", false},
    [OPT_LOG_LEVEL] = {"log-level", required_argument, "error|warn|info|debug|trace", "info",
                       "most detailed level to log", true},
    [OPT_DEBUG] = {"debug", required_argument, "CATEGORY", "all",
                   "limit debug/trace to a category (net, peer, node, addrman, chain, rpc, all); "
                   "repeatable", true},
    [OPT_LOG_FILE] = {"log-file", required_argument, "PATH", "<datadir>/debug.log",
                      "log destination; - for stderr", true},
    [OPT_LOG_FORMAT] = {"log-format", required_argument, "text|json", "text",
                        "text lines or one JSON object per line", true},
    [OPT_CONNECT] = {"connect", required_argument, "HOST[:PORT]", "none",
                     "connect only to this peer (no automatic outbound); repeatable", true},
    [OPT_ADDNODE] = {"addnode", required_argument, "HOST[:PORT]", "none",
                     "keep a connection to this peer as well; repeatable", true},
    [OPT_LISTEN] = {"listen", required_argument, "0|1", "1, or 0 with --connect",
                    "accept inbound connections", true},
    [OPT_BIND] = {"bind", required_argument, "ADDR[:PORT]", "all addresses",
                  "listen on this address only", true},
    [OPT_METRICS_BIND] = {"metrics-bind", required_argument, "HOST:PORT", "off",
                          "serve Prometheus metrics at http://HOST:PORT/metrics; port 0 picks a "
                          "free one (logged)", true},
    [OPT_PORT] = {"port", required_argument, "N", "the network's port (8333 on main)",
                  "port to listen on; 0 picks a free one", true},
    [OPT_MAXCONNECTIONS] = {"maxconnections", required_argument, "N", "125",
                            "most connections in and out together", true},
    [OPT_MAX_OUTBOUND] = {"max-outbound", required_argument, "N", "8, or 0 with --connect",
                          "automatic outbound peers to keep", true},
    [OPT_MAX_INBOUND_PER_GROUP] = {"max-inbound-per-group", required_argument, "N", "16",
                                   "inbound peers from one network group (/16, /32, ...); 0 = no cap",
                                   true},
    [OPT_DNSSEED] = {"dnsseed", required_argument, "0|1", "1, or 0 with --connect",
                     "ask DNS seeds for addresses when we know too few", true},
    [OPT_DNS_SERVER] = {"dns-server", required_argument, "IP[:PORT]", "the system's resolvers",
                        "resolve DNS seeds and host names with this server", true},
    [OPT_DNSSEED_NAME] = {"dnsseed-name", required_argument, "NAME", "the network's seeds",
                          "use this DNS seed instead of the built-in list; repeatable", true},
    [OPT_BANTIME] = {"bantime", required_argument, "SEC", "86400",
                     "how long a misbehaving peer's address is banned", true},
    [OPT_WHITELIST] = {"whitelist", required_argument, "CIDR", "none",
                       "never ban peers from this subnet; repeatable", true},
    [OPT_FEELER_INTERVAL] = {"feeler-interval", required_argument, "SEC", "120",
                             "how often a feeler tests an address from the new table", true},
    [OPT_TEST_LOCAL_GROUPS] = {"test-local-groups", no_argument, NULL, "off",
                               "(tests) treat 127.0.0.0/8 as routable, grouped by /16", true},
    [OPT_TEST_SAVE_INTERVAL] = {"test-save-interval", required_argument, "SEC", "900",
                                "(tests) how often peers.dat and banlist.dat are saved", true},
    [OPT_TEST_RPC_AUTH_DELAY] = {"test-rpc-auth-delay", required_argument, "SEC", "0.25",
                                 "(tests) pause before an RPC wrong-password reply", true},
    [OPT_TEST_DNS_TIMEOUT] = {"test-dns-timeout", required_argument, "SEC", "evdns's (5, 3 tries)",
                              "(tests) give up on an unanswered DNS query after this long, one try",
                              true},
    [OPT_V2TRANSPORT] = {"v2transport", required_argument, "0|1", "1",
                         "BIP324 encrypted transport: offered outbound, accepted inbound", true},
    [OPT_PROXY] = {"proxy", required_argument, "IP[:PORT]", "none (port 9050)",
                   "SOCKS5 proxy for every outbound connection; host names go to it unresolved, "
                   "and no DNS look-up is made", true},
    [OPT_ONION] = {"onion", required_argument, "IP[:PORT]", "--proxy (port 9050)",
                   "SOCKS5 proxy for Tor v3 (.onion) peers; without it or --proxy they are "
                   "unreachable", true},
    [OPT_PROXY_RANDOMIZE] = {"proxy-randomize", required_argument, "0|1", "1",
                             "fresh random proxy credentials per connection (Tor stream "
                             "isolation)", true},
    [OPT_SYNC_STALL_TIMEOUT] = {"sync-stall-timeout", required_argument, "SEC", "120",
                                "switch header sync peers after this long without progress", true},
    [OPT_BLOCK_TIMEOUT] = {"block-timeout", required_argument, "SEC", "60",
                           "ask another peer for a block not delivered in time", true},
    [OPT_FETCH_BLOCK] = {"fetch-block", required_argument, "HASH", "none",
                         "(debug) fetch this block and write it to <datadir>/blocks/; repeatable",
                         false},
    [OPT_HANDSHAKE_TIMEOUT] = {"handshake-timeout", required_argument, "SEC", "10",
                               "drop a peer not through the handshake in time", true},
    [OPT_PING_INTERVAL] = {"ping-interval", required_argument, "SEC", "60",
                           "ping a peer silent for this long", true},
    [OPT_PING_TIMEOUT] = {"ping-timeout", required_argument, "SEC", "30",
                          "drop a peer whose pong does not come in time", true},
    [OPT_MAX_MSG_RATE] = {"max-msg-rate", required_argument, "N", "10",
                          "drop a peer averaging more unsolicited messages per second; 0 = off",
                          true},
    [OPT_USER_AGENT_COMMENT] = {"user-agent-comment", required_argument, "TEXT", "none",
                                "comment in our user agent, /btcpeerd:VERSION(TEXT)/", true},
    [OPT_SERVER] = {"server", required_argument, "0|1", "1", "accept JSON-RPC commands", true},
    [OPT_RPCBIND] = {"rpcbind", required_argument, "ADDR[:PORT]", "127.0.0.1 and ::1",
                     "serve JSON-RPC on this address; repeatable", true},
    [OPT_RPCPORT] = {"rpcport", required_argument, "N",
                     "8339 main, 18339 testnet3, 48339 testnet4, 38339 signet, 18449 regtest",
                     "JSON-RPC port; 0 picks a free one (logged)", true},
    [OPT_RPCALLOWIP] = {"rpcallowip", required_argument, "CIDR", "loopback only",
                        "also accept JSON-RPC clients from this subnet; repeatable", true},
    [OPT_RPCUSER] = {"rpcuser", required_argument, "USER", "none",
                     "JSON-RPC user name (with --rpcpassword)", true},
    [OPT_RPCPASSWORD] = {"rpcpassword", required_argument, "PASS", "none",
                         "JSON-RPC password (the cookie works as well)", true},
    [OPT_RPCCOOKIEFILE] = {"rpccookiefile", required_argument, "PATH", "<datadir>/.cookie",
                           "where the JSON-RPC cookie (__cookie__:<random>) is written; relative "
                           "to the datadir", true},
    [OPT_RPC_GETBLOCK_TIMEOUT] = {"rpc-getblock-timeout", required_argument, "SEC", "120",
                                  "how long getblock waits for a block fetched from peers", true},
    [OPT_RPCSERVERTIMEOUT] = {"rpcservertimeout", required_argument, "SEC", "30",
                              "close a JSON-RPC connection idle or slow to send its request "
                              "this long", true},
    [OPT_DAEMON] = {"daemon", no_argument, NULL, "off", "run in the background", true},
    [OPT_PID_FILE] = {"pid-file", required_argument, "PATH", "none",
                      "write the process id here", true},
    [OPT_HELP] = {"help", no_argument, NULL, NULL, "print this help and exit", false},
    [OPT_VERSION] = {"version", no_argument, NULL, NULL, "print the version and exit", false},
};

const char *config_err_str(enum config_err err)
{
    switch (err) {
    case CONFIG_OK: return "ok";
    case CONFIG_ERR_UNKNOWN_OPTION: return "unknown option";
    case CONFIG_ERR_BAD_VALUE: return "bad value";
    case CONFIG_ERR_MISSING_VALUE: return "missing value";
    case CONFIG_ERR_FILE: return "cannot read config file";
    case CONFIG_ERR_FILE_SYNTAX: return "config file syntax";
    }
    return "unknown";
}

static bool copy_path(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n == 0 || n >= PATH_MAX) return false;
    memcpy(dst, src, n + 1);
    return true;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return false;
    *out = v;
    return true;
}

static enum config_err parse_bool(const char *s, int *out)
{
    if (strcmp(s, "1") == 0) *out = 1;
    else if (strcmp(s, "0") == 0) *out = 0;
    else return CONFIG_ERR_BAD_VALUE;
    return CONFIG_OK;
}

/* Seconds, fractions allowed ("0.2"), into milliseconds; at least 1 ms and
 * at most a day. */
static enum config_err parse_seconds(const char *s, uint32_t *ms)
{
    if ((*s < '0' || *s > '9') && *s != '.') return CONFIG_ERR_BAD_VALUE;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0.001) || v > 86400.0) return CONFIG_ERR_BAD_VALUE;
    *ms = (uint32_t)(v * 1000.0 + 0.5);
    return CONFIG_OK;
}

/* Is --rpcbind's ADDR[:PORT] a loopback address? A name counts as not. */
static bool rpcbind_is_loopback(const char *spec)
{
    char host[256];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    struct wire_netaddr a;
    return hostport_parse(spec, host, sizeof host, &port, 0) &&
           hostport_numeric(host, 0, &ss, &len) &&
           netaddr_from_sockaddr((struct sockaddr *)&ss, &a) && netaddr_is_loopback(&a);
}

static enum config_err option_apply(struct config *cfg, enum option_id id, const char *value)
{
    switch (id) {
    case OPT_NETWORK: {
        const struct netparams *np = netparams_by_name(value);
        if (!np) return CONFIG_ERR_BAD_VALUE;
        cfg->network = np->id;
        return CONFIG_OK;
    }
    case OPT_DATADIR: return copy_path(cfg->datadir, value) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_CONF: return copy_path(cfg->conf, value) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_LOG_LEVEL: return log_level_parse(value, &cfg->log_level) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_DEBUG: {
        enum log_cat cat;
        if (strcmp(value, "all") == 0 || strcmp(value, "1") == 0) {
            cfg->debug_cats = 0; /* no filter */
            return CONFIG_OK;
        }
        if (!log_cat_parse(value, &cat)) return CONFIG_ERR_BAD_VALUE;
        cfg->debug_cats |= 1u << (unsigned)cat;
        return CONFIG_OK;
    }
    case OPT_LOG_FILE: return copy_path(cfg->log_file, value) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_LOG_FORMAT:
        if (strcmp(value, "text") == 0)
            cfg->log_format = LOG_FORMAT_TEXT;
        else if (strcmp(value, "json") == 0)
            cfg->log_format = LOG_FORMAT_JSON;
        else
            return CONFIG_ERR_BAD_VALUE;
        return CONFIG_OK;
    case OPT_CONNECT:
    case OPT_ADDNODE: {
        size_t *n = id == OPT_CONNECT ? &cfg->n_connect : &cfg->n_addnode;
        char(*list)[256] = id == OPT_CONNECT ? cfg->connect : cfg->addnode;
        size_t len = strlen(value);
        if (*n >= CONFIG_MAX_PEERS || len == 0 || len >= sizeof list[0]) return CONFIG_ERR_BAD_VALUE;
        memcpy(list[(*n)++], value, len + 1);
        return CONFIG_OK;
    }
    case OPT_LISTEN: return parse_bool(value, &cfg->listen);
    case OPT_BIND: {
        size_t len = strlen(value);
        if (len == 0 || len >= sizeof cfg->bind) return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->bind, value, len + 1);
        return CONFIG_OK;
    }
    case OPT_METRICS_BIND: {
        /* A numeric host and an explicit port: nothing is looked up, and
         * no default port could surprise anyone. */
        char host[256];
        uint16_t port;
        struct sockaddr_storage ss;
        socklen_t sslen;
        size_t len = strlen(value);
        const char *colon = strrchr(value, ':');
        bool has_port = colon && (value[0] == '[' ? colon > strchr(value, ']')
                                                  : strchr(value, ':') == colon);
        if (len >= sizeof cfg->metrics_bind || !has_port ||
            !hostport_parse(value, host, sizeof host, &port, 0) ||
            !hostport_numeric(host, port, &ss, &sslen))
            return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->metrics_bind, value, len + 1);
        return CONFIG_OK;
    }
    case OPT_PORT: {
        uint64_t v;
        if (!parse_uint(value, 65535, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->port = (int)v;
        return CONFIG_OK;
    }
    case OPT_MAXCONNECTIONS: {
        uint64_t v;
        if (!parse_uint(value, 100000, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->max_connections = (unsigned)v;
        return CONFIG_OK;
    }
    case OPT_MAX_OUTBOUND: {
        uint64_t v;
        if (!parse_uint(value, 1000, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->max_outbound = (int)v;
        return CONFIG_OK;
    }
    case OPT_MAX_INBOUND_PER_GROUP: {
        uint64_t v;
        if (!parse_uint(value, 100000, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->max_inbound_per_group = (unsigned)v;
        return CONFIG_OK;
    }
    case OPT_DNSSEED: return parse_bool(value, &cfg->dnsseed);
    case OPT_DNS_SERVER: {
        size_t len = strlen(value);
        if (len == 0 || len >= sizeof cfg->dns_server) return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->dns_server, value, len + 1);
        return CONFIG_OK;
    }
    case OPT_DNSSEED_NAME: {
        size_t len = strlen(value);
        if (cfg->n_seed_names >= 16 || len == 0 || len >= sizeof cfg->seed_names[0]) return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->seed_names[cfg->n_seed_names++], value, len + 1);
        return CONFIG_OK;
    }
    case OPT_BANTIME: {
        uint64_t v;
        if (!parse_uint(value, 10ull * 365 * 86400, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->bantime_s = (int64_t)v;
        return CONFIG_OK;
    }
    case OPT_WHITELIST: {
        struct netaddr_subnet sn;
        size_t len = strlen(value);
        if (cfg->n_whitelist >= 32 || len >= sizeof cfg->whitelist[0] || !netaddr_subnet_parse(value, &sn))
            return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->whitelist[cfg->n_whitelist++], value, len + 1);
        return CONFIG_OK;
    }
    case OPT_FEELER_INTERVAL: return parse_seconds(value, &cfg->feeler_interval_ms);
    case OPT_TEST_LOCAL_GROUPS: cfg->test_local_groups = true; return CONFIG_OK;
    case OPT_TEST_SAVE_INTERVAL: {
        enum config_err err = parse_seconds(value, &cfg->save_interval_ms);
        return err == CONFIG_OK && cfg->save_interval_ms == 0 ? CONFIG_ERR_BAD_VALUE : err;
    }
    case OPT_TEST_RPC_AUTH_DELAY: return parse_seconds(value, &cfg->rpc_auth_delay_ms);
    case OPT_TEST_DNS_TIMEOUT: {
        enum config_err err = parse_seconds(value, &cfg->dns_timeout_ms);
        return err == CONFIG_OK && cfg->dns_timeout_ms == 0 ? CONFIG_ERR_BAD_VALUE : err;
    }
    case OPT_V2TRANSPORT: return parse_bool(value, &cfg->v2transport);
    case OPT_PROXY:
    case OPT_ONION: {
        /* Numeric only: resolving the proxy's name would be a DNS look-up. */
        char host[256];
        uint16_t port;
        struct sockaddr_storage ss;
        socklen_t len;
        char *dst = id == OPT_PROXY ? cfg->proxy : cfg->onion;
        if (strlen(value) >= sizeof cfg->proxy || !hostport_parse(value, host, sizeof host, &port, 9050) ||
            port == 0 || !hostport_numeric(host, port, &ss, &len))
            return CONFIG_ERR_BAD_VALUE;
        memcpy(dst, value, strlen(value) + 1);
        return CONFIG_OK;
    }
    case OPT_PROXY_RANDOMIZE: return parse_bool(value, &cfg->proxy_randomize);
    case OPT_SYNC_STALL_TIMEOUT: return parse_seconds(value, &cfg->sync_stall_ms);
    case OPT_BLOCK_TIMEOUT: return parse_seconds(value, &cfg->block_timeout_ms);
    case OPT_FETCH_BLOCK:
        if (cfg->n_fetch_blocks >= 8 || !hex_decode_hash(value, cfg->fetch_blocks[cfg->n_fetch_blocks]))
            return CONFIG_ERR_BAD_VALUE;
        cfg->n_fetch_blocks++;
        return CONFIG_OK;
    case OPT_HANDSHAKE_TIMEOUT: return parse_seconds(value, &cfg->handshake_timeout_ms);
    case OPT_PING_INTERVAL: return parse_seconds(value, &cfg->ping_interval_ms);
    case OPT_PING_TIMEOUT: return parse_seconds(value, &cfg->ping_timeout_ms);
    case OPT_MAX_MSG_RATE: {
        uint64_t v;
        if (!parse_uint(value, 1000000, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->max_msg_rate = (uint32_t)v;
        return CONFIG_OK;
    }
    case OPT_USER_AGENT_COMMENT: {
        /* BIP14 comments: no characters that would break the UA's syntax. */
        size_t len = strlen(value);
        if (len == 0 || len >= sizeof cfg->user_agent_comment) return CONFIG_ERR_BAD_VALUE;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)value[i];
            if (c < 0x20 || c > 0x7e || c == '/' || c == '(' || c == ')') return CONFIG_ERR_BAD_VALUE;
        }
        memcpy(cfg->user_agent_comment, value, len + 1);
        return CONFIG_OK;
    }
    case OPT_SERVER: return parse_bool(value, &cfg->server);
    case OPT_RPCBIND: {
        size_t len = strlen(value);
        if (cfg->n_rpcbind >= CONFIG_MAX_RPCBIND || len == 0 || len >= sizeof cfg->rpcbind[0])
            return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->rpcbind[cfg->n_rpcbind++], value, len + 1);
        return CONFIG_OK;
    }
    case OPT_RPCPORT: {
        uint64_t v;
        if (!parse_uint(value, 65535, &v)) return CONFIG_ERR_BAD_VALUE;
        cfg->rpcport = (int)v;
        return CONFIG_OK;
    }
    case OPT_RPCALLOWIP: {
        struct netaddr_subnet sn;
        size_t len = strlen(value);
        if (cfg->n_rpcallowip >= CONFIG_MAX_RPCALLOWIP || len >= sizeof cfg->rpcallowip[0] ||
            !netaddr_subnet_parse(value, &sn))
            return CONFIG_ERR_BAD_VALUE;
        memcpy(cfg->rpcallowip[cfg->n_rpcallowip++], value, len + 1);
        return CONFIG_OK;
    }
    case OPT_RPCUSER:
    case OPT_RPCPASSWORD: {
        char *dst = id == OPT_RPCUSER ? cfg->rpcuser : cfg->rpcpassword;
        size_t cap = id == OPT_RPCUSER ? sizeof cfg->rpcuser : sizeof cfg->rpcpassword;
        size_t len = strlen(value);
        if (len == 0 || len >= cap || (id == OPT_RPCUSER && strchr(value, ':')))
            return CONFIG_ERR_BAD_VALUE;
        memcpy(dst, value, len + 1);
        return CONFIG_OK;
    }
    case OPT_RPCCOOKIEFILE:
        return copy_path(cfg->rpccookiefile, value) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_RPC_GETBLOCK_TIMEOUT: return parse_seconds(value, &cfg->rpc_getblock_timeout_ms);
    case OPT_RPCSERVERTIMEOUT: {
        uint64_t v;
        if (!parse_uint(value, 86400, &v) || v == 0) return CONFIG_ERR_BAD_VALUE;
        cfg->rpc_servertimeout_s = (uint32_t)v;
        return CONFIG_OK;
    }
    case OPT_DAEMON: cfg->daemon = true; return CONFIG_OK;
    case OPT_PID_FILE: return copy_path(cfg->pid_file, value) ? CONFIG_OK : CONFIG_ERR_BAD_VALUE;
    case OPT_HELP: cfg->help = true; return CONFIG_OK;
    case OPT_VERSION: cfg->version = true; return CONFIG_OK;
    case OPT_COUNT: break;
    }
    return CONFIG_ERR_UNKNOWN_OPTION;
}

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->network = NET_MAIN;
    cfg->log_level = LOG_INFO;
    cfg->log_format = LOG_FORMAT_TEXT;
    cfg->listen = -1;
    cfg->port = -1;
    cfg->max_connections = 125;
    cfg->handshake_timeout_ms = 10000;
    cfg->ping_interval_ms = 60000;
    cfg->ping_timeout_ms = 30000;
    cfg->max_msg_rate = 10;
    cfg->max_outbound = -1;
    cfg->max_inbound_per_group = 16;
    cfg->dnsseed = -1;
    cfg->bantime_s = 86400;
    cfg->feeler_interval_ms = 120000;
    cfg->save_interval_ms = 900000;
    cfg->v2transport = 1;
    cfg->proxy_randomize = 1;
    cfg->sync_stall_ms = 120000;
    cfg->block_timeout_ms = 60000;
    cfg->server = 1;
    cfg->rpcport = -1;
    cfg->rpc_getblock_timeout_ms = 120000;
    cfg->rpc_servertimeout_s = 30;
    cfg->rpc_auth_delay_ms = 250;
}

static void report(char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (!msg || !msg_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}

static enum config_err parse_args(struct config *cfg, int argc, char **argv, bool set[OPT_COUNT],
                                  char *msg, size_t msg_len)
{
    struct option longopts[OPT_COUNT + 1];
    for (int i = 0; i < OPT_COUNT; i++)
        longopts[i] = (struct option){specs[i].name, specs[i].has_arg, NULL, i};
    longopts[OPT_COUNT] = (struct option){0, 0, 0, 0};

    optind = 0; /* full re-initialisation, so tests may parse many times */
    opterr = 0;
    for (;;) {
        int id = getopt_long(argc, argv, ":h", longopts, NULL);
        if (id == -1) break;
        if (id == 'h') id = OPT_HELP;
        if (id == '?') {
            report(msg, msg_len, "unknown option '%s'", argv[optind - 1]);
            return CONFIG_ERR_UNKNOWN_OPTION;
        }
        if (id == ':') {
            report(msg, msg_len, "option '%s' needs a value", argv[optind - 1]);
            return CONFIG_ERR_MISSING_VALUE;
        }
        enum config_err err = option_apply(cfg, (enum option_id)id, optarg ? optarg : "");
        if (err != CONFIG_OK) {
            report(msg, msg_len, "--%s: bad value '%s'", specs[id].name, optarg ? optarg : "");
            return err;
        }
        set[id] = true;
    }
    if (optind < argc) {
        report(msg, msg_len, "unexpected argument '%s'", argv[optind]);
        return CONFIG_ERR_UNKNOWN_OPTION;
    }
    return CONFIG_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

enum config_err config_file_each(const char *path, bool required, bool skip_bad_lines,
                                 config_line_fn fn, void *ctx, char *msg, size_t msg_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!required && errno == ENOENT) return CONFIG_OK;
        report(msg, msg_len, "cannot read config file %s: %s", path, strerror(errno));
        return CONFIG_ERR_FILE;
    }
    enum config_err err = CONFIG_OK;
    char line[4096];
    unsigned lineno = 0;
    while (err == CONFIG_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            if (skip_bad_lines) continue;
            report(msg, msg_len, "%s:%u: expected key=value", path, lineno);
            err = CONFIG_ERR_FILE_SYNTAX;
            break;
        }
        *eq = '\0';
        err = fn(ctx, trim(s), trim(eq + 1), lineno);
    }
    fclose(f);
    return err;
}

struct file_apply {
    struct config *cfg;
    const bool *cli_set;
    const char *path;
    char *msg;
    size_t msg_len;
};

static enum config_err file_line_apply(void *ctx, const char *key, const char *value, unsigned lineno)
{
    (void)lineno;
    struct file_apply *fa = ctx;
    int id = -1;
    for (int i = 0; i < OPT_COUNT; i++)
        if (specs[i].file_ok && strcmp(specs[i].name, key) == 0) id = i;
    if (id < 0) {
        report(fa->msg, fa->msg_len, "%s: unknown option '%s'", fa->path, key);
        return CONFIG_ERR_UNKNOWN_OPTION;
    }
    if (fa->cli_set[id]) return CONFIG_OK; /* the command line wins */
    enum config_err err = option_apply(fa->cfg, (enum option_id)id, value);
    if (err != CONFIG_OK) report(fa->msg, fa->msg_len, "%s: bad value for '%s'", fa->path, key);
    return err;
}

static enum config_err parse_file(struct config *cfg, const char *path, bool required,
                                  const bool cli_set[OPT_COUNT], char *msg, size_t msg_len)
{
    struct file_apply fa = {cfg, cli_set, path, msg, msg_len};
    return config_file_each(path, required, false, file_line_apply, &fa, msg, msg_len);
}

bool config_network_datadir(const char *base, enum net_id network, char *out, size_t cap)
{
    char def[PATH_MAX];
    if (!base || !base[0]) {
        const char *home = getenv("HOME");
        if (!home || !*home) home = ".";
        if (snprintf(def, sizeof def, "%s/.btcpeerd", home) >= (int)sizeof def) return false;
        base = def;
    }
    int n = network == NET_MAIN ? snprintf(out, cap, "%s", base)
                                : snprintf(out, cap, "%s/%s", base, netparams_get(network)->name);
    return n >= 0 && (size_t)n < cap;
}

static enum config_err resolve_datadir(struct config *cfg, char *msg, size_t msg_len)
{
    char base[PATH_MAX];
    memcpy(base, cfg->datadir, sizeof base);
    if (config_network_datadir(base, cfg->network, cfg->datadir, sizeof cfg->datadir))
        return CONFIG_OK;
    report(msg, msg_len, "--datadir: path too long");
    return CONFIG_ERR_BAD_VALUE;
}

enum config_err config_load(struct config *cfg, int argc, char **argv, char *msg, size_t msg_len)
{
    bool cli_set[OPT_COUNT] = {false};
    set_defaults(cfg);
    enum config_err err = parse_args(cfg, argc, argv, cli_set, msg, msg_len);
    if (err != CONFIG_OK || cfg->help || cfg->version) return err;

    /* The file may choose the network, which moves the default datadir:
     * read it from the unresolved base, then resolve. */
    char conf[PATH_MAX];
    bool explicit_conf = cfg->conf[0] != '\0';
    if (explicit_conf) {
        memcpy(conf, cfg->conf, sizeof conf);
    } else {
        const char *home = getenv("HOME");
        int n = cfg->datadir[0] ? snprintf(conf, sizeof conf, "%s/btcpeerd.conf", cfg->datadir)
                                : snprintf(conf, sizeof conf, "%s/.btcpeerd/btcpeerd.conf",
                                           home && *home ? home : ".");
        if (n >= (int)sizeof conf) conf[0] = '\0';
    }
    if (conf[0]) {
        err = parse_file(cfg, conf, explicit_conf, cli_set, msg, msg_len);
        if (err != CONFIG_OK) return err;
    }
    if (cfg->listen < 0) cfg->listen = cfg->n_connect ? 0 : 1;
    if (cfg->max_outbound < 0) cfg->max_outbound = cfg->n_connect ? 0 : 8;
    if (cfg->dnsseed < 0) cfg->dnsseed = cfg->n_connect ? 0 : 1;
    err = resolve_datadir(cfg, msg, msg_len);
    if (err != CONFIG_OK) return err;
    if (!cfg->log_file[0] &&
        snprintf(cfg->log_file, sizeof cfg->log_file, "%s/debug.log", cfg->datadir) >=
            (int)sizeof cfg->log_file) {
        report(msg, msg_len, "--log-file: path too long");
        return CONFIG_ERR_BAD_VALUE;
    }
    if ((cfg->rpcuser[0] != '\0') != (cfg->rpcpassword[0] != '\0')) {
        report(msg, msg_len, "--rpcuser and --rpcpassword go together");
        return CONFIG_ERR_BAD_VALUE;
    }
    /* The RPC server reads a whole body before it can check the client's
     * address or password: open it beyond loopback only to the subnets the
     * operator names. (bitcoind ignores -rpcbind without -rpcallowip.) */
    if (cfg->n_rpcallowip == 0) {
        for (size_t i = 0; i < cfg->n_rpcbind; i++) {
            if (!rpcbind_is_loopback(cfg->rpcbind[i])) {
                report(msg, msg_len,
                       "--rpcbind=%s: not a loopback address; give --rpcallowip too (the clients "
                       "it may serve)", cfg->rpcbind[i]);
                return CONFIG_ERR_BAD_VALUE;
            }
        }
    }
    /* The cookie lives in the per-network datadir unless an absolute path
     * says otherwise. */
    char cookie[PATH_MAX];
    int cn = !cfg->rpccookiefile[0]
                 ? snprintf(cookie, sizeof cookie, "%s/.cookie", cfg->datadir)
             : cfg->rpccookiefile[0] != '/'
                 ? snprintf(cookie, sizeof cookie, "%s/%s", cfg->datadir, cfg->rpccookiefile)
                 : snprintf(cookie, sizeof cookie, "%s", cfg->rpccookiefile);
    if (cn < 0 || cn >= (int)sizeof cookie) {
        report(msg, msg_len, "--rpccookiefile: path too long");
        return CONFIG_ERR_BAD_VALUE;
    }
    memcpy(cfg->rpccookiefile, cookie, sizeof cookie);
    return CONFIG_OK;
}

void config_print_help(FILE *out)
{
    fprintf(out, "Usage: btcpeerd [OPTION]...\nA Bitcoin P2P peer daemon.\n\n");
    for (int i = 0; i < OPT_COUNT; i++) {
        char left[96];
        if (specs[i].has_arg)
            snprintf(left, sizeof left, "--%s=%s", specs[i].name, specs[i].arg_name);
        else
            snprintf(left, sizeof left, "--%s", specs[i].name);
        fprintf(out, "  %s\n      %s", left, specs[i].help);
        if (specs[i].default_text) fprintf(out, " (default: %s)", specs[i].default_text);
        fputc('\n', out);
    }
}
