/* The operator's settings: command-line flags and the config file, which
 * take the same names (`--log-level=debug` on the command line is
 * `log-level=debug` in the file). The command line wins over the file.
 * Every option is one row of the table in src/config/config_table.c (name,
 * type, range, field below, default, help); adding one touches that row,
 * its field here and the code that uses it. */
#ifndef BTCPEERD_CONFIG_H
#define BTCPEERD_CONFIG_H

#include <btcpeerd/log.h>
#include <btcpeerd/netparams.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

enum config_err {
    CONFIG_OK = 0,
    CONFIG_ERR_UNKNOWN_OPTION,
    CONFIG_ERR_BAD_VALUE,
    CONFIG_ERR_MISSING_VALUE,
    CONFIG_ERR_FILE,       /* the config file cannot be read */
    CONFIG_ERR_FILE_SYNTAX,/* a line that is not key=value */
};
const char *config_err_str(enum config_err err);

/* How often each repeatable option may be given: the lengths of the
 * arrays below. main checks at compile time that the node's and the RPC
 * server's copies have the same shape. */
#define CONFIG_MAX_PEERS 64        /* --connect, and --addnode */
#define CONFIG_MAX_SEED_NAMES 16
#define CONFIG_MAX_WHITELIST 32
#define CONFIG_MAX_FETCH_BLOCKS 8
#define CONFIG_MAX_RPCBIND 8
#define CONFIG_MAX_RPCALLOWIP 32

struct config {
    enum net_id network;
    char datadir[PATH_MAX]; /* network subdirectory already applied */
    char conf[PATH_MAX];    /* "" = <datadir>/btcpeerd.conf if present */
    enum log_level log_level;
    uint32_t debug_cats;    /* bit per enum log_cat */
    char log_file[PATH_MAX];/* "" = <datadir>/debug.log, "-" = stderr */
    enum log_format log_format;
    /* Connections. */
    size_t n_connect, n_addnode;
    char connect[CONFIG_MAX_PEERS][256];
    char addnode[CONFIG_MAX_PEERS][256];
    int listen;                  /* default: on unless --connect */
    char bind[256];              /* "" = every address */
    char metrics_bind[256];      /* "" = no metrics endpoint */
    int port;                    /* -1 = the network's default */
    unsigned max_connections;
    unsigned max_outbound;       /* default: 8, or 0 with --connect */
    unsigned max_block_relay;    /* --max-blockrelay: 2, or 0 with --connect */
    unsigned max_inbound_per_group;
    int dnsseed;                 /* default: on unless --connect */
    char dns_server[256];        /* "" = the system's resolvers */
    uint32_t dns_timeout_ms;     /* --test-dns-timeout: 0 = evdns's own */
    size_t n_seed_names;
    char seed_names[CONFIG_MAX_SEED_NAMES][256];
    int64_t bantime_s;
    size_t n_whitelist;
    char whitelist[CONFIG_MAX_WHITELIST][64];
    bool test_local_groups;
    bool test_discourage_loopback; /* --test-discourage-loopback */
    uint32_t save_interval_ms;   /* --test-save-interval */
    int v2transport;
    char proxy[64];              /* --proxy: "IP[:PORT]", "" = none */
    char onion[64];              /* --onion: "" = the --proxy */
    int proxy_randomize;
    uint32_t feeler_interval_ms;
    uint32_t stale_tip_ms;       /* --test-stale-tip-age */
    uint32_t stale_check_ms;     /* --test-stale-check-interval */
    uint32_t extra_peer_check_ms;/* --test-extra-peer-check-interval */
    uint32_t min_connect_ms;     /* --test-min-connect-time */
    uint32_t extra_block_relay_ms; /* --test-extra-blockrelay-interval */
    uint32_t redial_backoff_ms;  /* --redial-backoff */
    uint32_t sync_stall_ms;
    uint32_t headers_timeout_base_ms;       /* --test-headers-timeout-base */
    uint32_t headers_timeout_per_header_ms; /* --test-headers-timeout-per-header */
    char minimum_chain_work[72]; /* --minimumchainwork: "" = the network's */
    uint32_t block_timeout_ms;
    int blockfilters;            /* --blockfilters (0) */
    uint32_t filter_timeout_ms;  /* --filter-timeout */
    uint32_t filter_peer_interval_ms; /* --test-filter-peer-interval */
    uint32_t private_broadcast_timeout_ms; /* --private-broadcast-timeout */
    unsigned privatebroadcast;             /* --privatebroadcast: 0 auto, 1 tor */
    uint32_t broadcast_retry_ms;           /* --test-broadcast-retry */
    uint32_t broadcast_round_ms;           /* --private-broadcast-retry */
    uint32_t broadcast_expiry_ms;          /* --private-broadcast-expiry */
    uint32_t broadcast_getdata_ms;         /* --test-broadcast-getdata-delay */
    size_t n_fetch_blocks;
    uint8_t fetch_blocks[CONFIG_MAX_FETCH_BLOCKS][32];
    /* Timeouts (milliseconds; flags take seconds, fractions allowed). */
    uint32_t handshake_timeout_ms, ping_interval_ms, ping_timeout_ms;
    uint32_t max_msg_rate;
    char user_agent_comment[128];
    /* JSON-RPC. */
    int server;                  /* --server (1) */
    size_t n_rpcbind;            /* 0 = 127.0.0.1 and ::1 */
    char rpcbind[CONFIG_MAX_RPCBIND][256];
    int rpcport;                 /* -1 = the network's RPC port */
    size_t n_rpcallowip;
    char rpcallowip[CONFIG_MAX_RPCALLOWIP][64];
    char rpcuser[128], rpcpassword[256];
    char rpccookiefile[PATH_MAX];/* resolved: <datadir>/.cookie by default */
    uint32_t rpc_getblock_timeout_ms;
    uint32_t rpc_servertimeout_s;    /* an idle or slow RPC connection is closed (30) */
    uint32_t rpc_auth_delay_ms;      /* --test-rpc-auth-delay: before a 401 (250) */
    /* Process. */
    bool daemon;
    char pid_file[PATH_MAX];
    char asmap[PATH_MAX];        /* --asmap: "" = group by /16 */
    bool help;
    bool version;
};

/* Defaults, then the command line, then the config file for what the
 * command line left unset. On error, msg (if not NULL) gets a sentence that
 * names the flag. */
enum config_err config_load(struct config *cfg, int argc, char **argv, char *msg, size_t msg_len);
void config_print_help(FILE *out);
/* bitcoind's layout, shared with btcpeerd-cli: main in the data directory
 * itself, other networks in a subdirectory named after them. base NULL or ""
 * means ~/.btcpeerd. False if the path does not fit in cap. */
bool config_network_datadir(const char *base, enum net_id network, char *out, size_t cap);

/* A btcpeerd.conf, read the one way (shared with btcpeerd-cli): fn gets
 * each `key=value` line, trimmed; blank lines and `#` comments are skipped,
 * and so are lines without `=` when skip_bad_lines (else they are an
 * error). The first error fn returns stops the reading and is returned. A
 * missing file is fine unless required. */
typedef enum config_err (*config_line_fn)(void *ctx, const char *key, const char *value,
                                          unsigned lineno);
enum config_err config_file_each(const char *path, bool required, bool skip_bad_lines,
                                 config_line_fn fn, void *ctx, char *msg, size_t msg_len);

#endif
