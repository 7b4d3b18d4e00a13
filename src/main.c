/* btcpeerd's entry point: read the configuration, open the log, build the
 * node and the listener on one event loop, run until a signal says stop.
 * Exit codes: 0 clean stop, 1 a run-time failure (data directory, log,
 * listening port, ...), 2 a bad command line or config file. */
#include "net/dnsseed.h"
#include "net/listener.h"
#include "node/node.h"
#include "node/store.h"
#include "rpc/metrics.h"
#include "rpc/rpc.h"

#include <btcpeerd/asmap.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/config.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/netparams.h>

#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct daemon_state {
    struct event_base *base;
    struct evdns_base *dns;
    struct node *node;
    struct listener *listener;
    struct dnsseed *dnsseed;
    struct metrics_server *metrics;
    struct rpc_server *rpc;
    bool stopping;
    struct event *sigint, *sigterm, *sighup;
};

/* mkdir -p for the data directory, private to the user (it will hold
 * the RPC cookie). */
static int make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* The one clean shutdown, for SIGINT, SIGTERM and the RPC's stop. */
static void shut_down(struct daemon_state *d, const char *why)
{
    if (d->stopping) return;
    log_info(LOG_CAT_NODE, "%s, shutting down", why);
    /* Waiting RPC calls are answered now; the server is freed after the
     * loop, which first gets a moment to send those answers. */
    bool replies = rpc_server_close(d->rpc);
    listener_free(d->listener);
    d->listener = NULL;
    node_shutdown(d->node);
    d->stopping = true;
    /* Let DNS seed queries in flight finish (a second at most): cancelled
     * ones are not freed until the loop runs them. */
    static const struct timeval dns_grace = {1, 0}, rpc_grace = {0, 200000};
    event_base_loopexit(d->base, dnsseed_in_flight(d->dnsseed) ? &dns_grace
                                 : replies                      ? &rpc_grace
                                                                : NULL);
}

static void on_stop_signal(evutil_socket_t sig, short events, void *arg)
{
    (void)events;
    shut_down(arg, sig == SIGINT ? "received SIGINT" : "received SIGTERM");
}

static void on_rpc_stop(void *arg)
{
    shut_down(arg, "stop requested over RPC");
}

/* A list the config parsed, copied whole into the node's or the RPC
 * server's copy of it. The two arrays must have the same shape, which the
 * compiler checks here: a length changed on one side only fails the build
 * instead of cutting the list or reading past it. */
#define COPY_LIST(dst, n_dst, src, n_src)                                                       \
    do {                                                                                       \
        _Static_assert(sizeof(dst) == sizeof(src) && sizeof((dst)[0]) == sizeof((src)[0]),     \
                       #src " and " #dst " differ in shape");                                  \
        memcpy((dst), (src), sizeof(dst));                                                     \
        (n_dst) = (n_src);                                                                     \
    } while (0)
/* A list of subnets the config checked, parsed into the node's or the RPC
 * server's array, which must hold as many. */
#define PARSE_SUBNETS(dst, n_dst, src, n_src)                                                   \
    do {                                                                                       \
        _Static_assert(sizeof(dst) / sizeof((dst)[0]) >= sizeof(src) / sizeof((src)[0]),       \
                       #dst " holds fewer than " #src);                                        \
        for (size_t i_ = 0; i_ < (n_src); i_++)                                                 \
            if (netaddr_subnet_parse((src)[i_], &(dst)[(n_dst)])) (n_dst)++;                    \
    } while (0)
/* A string the config checked, into a field at least as long. */
#define COPY_TEXT(dst, src)                                                                     \
    do {                                                                                       \
        _Static_assert(sizeof(dst) >= sizeof(src), #dst " is shorter than " #src);             \
        memcpy((dst), (src), sizeof(src));                                                     \
    } while (0)

static void rpc_config_from(struct rpc_config *rc, const struct config *cfg, struct daemon_state *d)
{
    rpc_config_default(rc, netparams_get(cfg->network));
    COPY_LIST(rc->bind, rc->n_bind, cfg->rpcbind, cfg->n_rpcbind);
    rc->port = cfg->rpcport;
    PARSE_SUBNETS(rc->allow, rc->n_allow, cfg->rpcallowip, cfg->n_rpcallowip);
    COPY_TEXT(rc->user, cfg->rpcuser);
    COPY_TEXT(rc->password, cfg->rpcpassword);
    COPY_TEXT(rc->cookie_file, cfg->rpccookiefile);
    COPY_TEXT(rc->log_path, cfg->log_file);
    rc->getblock_timeout_ms = cfg->rpc_getblock_timeout_ms;
    rc->idle_timeout_s = cfg->rpc_servertimeout_s;
    rc->auth_fail_delay_ms = cfg->rpc_auth_delay_ms;
    rc->stop = on_rpc_stop;
    rc->stop_arg = d;
}

/* The listener hands each accepted socket up to the node. */
static void on_accept(void *arg, int fd, const struct sockaddr *sa, int salen)
{
    node_accept(arg, fd, sa, salen);
}

static void on_sighup(evutil_socket_t sig, short events, void *arg)
{
    (void)sig;
    (void)events;
    (void)arg;
    if (log_reopen() != LOG_OK)
        log_error(LOG_CAT_NODE, "cannot reopen the log file");
    else
        log_info(LOG_CAT_NODE, "log file reopened");
}

/* "IP[:PORT]" (checked by config_load) into a proxy; "" leaves it unset. */
static void proxy_from(struct net_proxy *px, const char *spec)
{
    char host[64];
    uint16_t port;
    memset(px, 0, sizeof *px);
    if (!spec[0] || !hostport_parse(spec, host, sizeof host, &port, 9050) ||
        !hostport_numeric(host, port, &px->addr, &px->len))
        return;
    hostport_format((const struct sockaddr *)&px->addr, px->str, sizeof px->str);
    px->set = true;
}

static void node_config_from(struct node_config *nc, const struct config *cfg)
{
    const struct netparams *np = netparams_get(cfg->network);
    node_config_default(nc, np);
    nc->peer.handshake_timeout_ms = cfg->handshake_timeout_ms;
    nc->peer.ping_interval_ms = cfg->ping_interval_ms;
    nc->peer.ping_timeout_ms = cfg->ping_timeout_ms;
    nc->peer.max_msg_rate = cfg->max_msg_rate;
    nc->peer.v2_enabled = cfg->v2transport == 1;
    if (!nc->peer.v2_enabled) nc->peer.services &= ~NODE_P2P_V2; /* advertise only what we speak */
    if (cfg->user_agent_comment[0])
        snprintf(nc->peer.user_agent, sizeof nc->peer.user_agent, "/btcpeerd:%s(%s)/",
                 BTCPEERD_VERSION_STRING, cfg->user_agent_comment);
    proxy_from(&nc->peer.proxy, cfg->proxy);
    proxy_from(&nc->peer.onion_proxy, cfg->onion[0] ? cfg->onion : cfg->proxy);
    nc->peer.proxy_randomize = cfg->proxy_randomize == 1;
    nc->max_connections = cfg->max_connections;
    nc->max_outbound = cfg->max_outbound;
    nc->max_block_relay = cfg->max_block_relay;
    nc->max_inbound_per_group = cfg->max_inbound_per_group;
    nc->dnsseed = cfg->dnsseed == 1;
    COPY_LIST(nc->seed_names, nc->n_seed_names, cfg->seed_names, cfg->n_seed_names);
    nc->bantime_s = cfg->bantime_s;
    PARSE_SUBNETS(nc->whitelist, nc->n_whitelist, cfg->whitelist, cfg->n_whitelist);
    nc->local_groups = cfg->test_local_groups;
    nc->discourage_loopback = cfg->test_discourage_loopback;
    nc->feeler_interval_ms = cfg->feeler_interval_ms;
    nc->stale_tip_ms = cfg->stale_tip_ms;
    nc->stale_check_ms = cfg->stale_check_ms;
    nc->extra_peer_check_ms = cfg->extra_peer_check_ms;
    nc->min_connect_ms = cfg->min_connect_ms;
    nc->extra_block_relay_ms = cfg->extra_block_relay_ms;
    nc->redial_backoff_ms = cfg->redial_backoff_ms;
    nc->save_interval_ms = cfg->save_interval_ms;
    nc->sync_stall_ms = cfg->sync_stall_ms;
    nc->headers_timeout_base_ms = cfg->headers_timeout_base_ms;
    nc->headers_timeout_per_header_ms = cfg->headers_timeout_per_header_ms;
    if (cfg->minimum_chain_work[0]) /* checked by config_load */
        (void)hex_decode_uint256_user(cfg->minimum_chain_work, nc->min_chain_work);
    nc->block_timeout_ms = cfg->block_timeout_ms;
    nc->blockfilters = cfg->blockfilters == 1;
    nc->filter_timeout_ms = cfg->filter_timeout_ms;
    nc->filter_peer_interval_ms = cfg->filter_peer_interval_ms;
    nc->peer.private_broadcast_timeout_ms = cfg->private_broadcast_timeout_ms;
    nc->broadcast_retry_ms = cfg->broadcast_retry_ms;
    nc->broadcast_tor_only = cfg->privatebroadcast == 1;
    nc->broadcast_round_ms = cfg->broadcast_round_ms;
    nc->broadcast_expiry_ms = cfg->broadcast_expiry_ms;
    nc->broadcast_getdata_ms = cfg->broadcast_getdata_ms;
    COPY_LIST(nc->fetch_blocks, nc->n_fetch_blocks, cfg->fetch_blocks, cfg->n_fetch_blocks);
    COPY_TEXT(nc->datadir, cfg->datadir);
    COPY_LIST(nc->connect, nc->n_connect, cfg->connect, cfg->n_connect);
    COPY_LIST(nc->addnode, nc->n_addnode, cfg->addnode, cfg->n_addnode);
}

/* DNS seeds: the node asks through a hook, net answers through a callback. */
static bool hook_dns_query(void *ctx, const char *seed, uint16_t port)
{
    struct daemon_state *d = ctx;
    return d->dnsseed && dnsseed_query(d->dnsseed, seed, port);
}

static void on_dns_answer(const char *seed, const struct wire_netaddr *addrs, size_t n,
                          const char *err, void *arg)
{
    struct daemon_state *d = arg;
    if (d->stopping) {
        if (dnsseed_in_flight(d->dnsseed) == 0) event_base_loopexit(d->base, NULL);
        return;
    }
    if (d->node) node_seed_answer(d->node, seed, addrs, n, err);
}

/* evdns's own messages ("nameserver ... has failed") into our log, at
 * debug: the per-seed outcome is what info shows. */
static void on_evdns_log(int severity, const char *msg)
{
    log_debug(LOG_CAT_NET, "evdns%s: %s", severity >= EVENT_LOG_WARN ? " warning" : "", msg);
}

static struct evdns_base *make_dns(struct event_base *base, const char *server, uint32_t timeout_ms)
{
    struct evdns_base *dns;
    evdns_set_log_fn(on_evdns_log);
    if (!server[0]) {
        /* resolv.conf; without one, names fail but numbers still work */
        dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
        if (!dns) dns = evdns_base_new(base, 0);
    } else {
        dns = evdns_base_new(base, 0);
        if (dns && evdns_base_nameserver_ip_add(dns, server) != 0) {
            evdns_base_free(dns, 0);
            return NULL;
        }
    }
    if (dns && timeout_ms) {
        char secs[32];
        snprintf(secs, sizeof secs, "%u.%03u", timeout_ms / 1000, timeout_ms % 1000);
        if (evdns_base_set_option(dns, "timeout:", secs) != 0 ||
            evdns_base_set_option(dns, "attempts:", "1") != 0) {
            evdns_base_free(dns, 0);
            return NULL;
        }
    }
    return dns;
}

static bool install_signals(struct daemon_state *d)
{
    d->sigint = evsignal_new(d->base, SIGINT, on_stop_signal, d);
    d->sigterm = evsignal_new(d->base, SIGTERM, on_stop_signal, d);
    d->sighup = evsignal_new(d->base, SIGHUP, on_sighup, d);
    return d->sigint && d->sigterm && d->sighup && evsignal_add(d->sigint, NULL) == 0 &&
           evsignal_add(d->sigterm, NULL) == 0 && evsignal_add(d->sighup, NULL) == 0;
}

/* --asmap: read and check the whole map before anything starts, so that a
 * missing or broken file is a configuration error (exit 2), not a daemon
 * that quietly groups by /16. NULL with why set on failure. */
static struct asmap *load_asmap(const char *path, char *why, size_t cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct asmap *map = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(why, cap, "not a regular file");
        return NULL;
    }
    enum store_err serr = store_read(path, ASMAP_MAX_BYTES, &data, &len);
    if (serr != STORE_OK) {
        snprintf(why, cap, "%s", serr == STORE_ERR_NOT_FOUND ? "no such file"
                                 : serr == STORE_ERR_TOO_BIG ? "larger than 64 MiB"
                                                             : strerror(errno));
        return NULL;
    }
    enum asmap_err aerr = asmap_new(data, len, &map);
    free(data);
    if (aerr != ASMAP_OK)
        snprintf(why, cap, "%s", aerr == ASMAP_ERR_EMPTY    ? "the file is empty"
                                 : aerr == ASMAP_ERR_INSANE ? "not a valid asmap (sanity check failed)"
                                                            : asmap_err_str(aerr));
    return map;
}

/* map: --asmap's, or NULL; run hands it to the node (or frees it). */
static int run(const struct config *cfg, struct asmap *map)
{
    static struct node_config nc;
    struct daemon_state d = {0};
    struct metrics_start started = {.unix_ms = clock_unix_ms(), .mono_us = clock_mono_us()};
    int rc = 1;
    const struct netparams *np = netparams_get(cfg->network);
    node_config_from(&nc, cfg);

    /* One thread: no locks. The changelist folds the epoll_ctl calls a
     * bufferevent makes per write into one per loop turn. */
    struct event_config *ec = event_config_new();
    if (ec) event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    d.base = ec ? event_base_new_with_config(ec) : NULL;
    if (ec) event_config_free(ec);
    if (!d.base) {
        log_error(LOG_CAT_NODE, "cannot create the event loop");
        asmap_free(map);
        return 1;
    }
    d.dns = make_dns(d.base, cfg->dns_server, cfg->dns_timeout_ms);
    if (!d.dns) {
        log_error(LOG_CAT_NET, "cannot use DNS server %s", cfg->dns_server);
        goto out;
    }
    d.dnsseed = dnsseed_new(d.dns, on_dns_answer, &d);
    if (!d.dnsseed || !install_signals(&d)) {
        log_error(LOG_CAT_NODE, "cannot set up the event loop");
        goto out;
    }
    struct node_hooks hooks = {.dns_query = hook_dns_query, .ctx = &d};
    d.node = node_new(d.base, d.dns, &nc, &hooks);
    if (!d.node) {
        log_error(LOG_CAT_NODE, "cannot create the node");
        goto out;
    }
    node_set_asmap(d.node, map);
    map = NULL;
    if (cfg->listen) {
        uint16_t port = cfg->port >= 0 ? (uint16_t)cfg->port : np->default_port;
        enum listener_err lerr =
            listener_new(d.base, on_accept, d.node, cfg->bind[0] ? cfg->bind : NULL, port, &d.listener);
        if (lerr != LISTENER_OK) {
            log_error(LOG_CAT_NET, "cannot listen on %s port %u: %s",
                      cfg->bind[0] ? cfg->bind : "all addresses", port, listener_err_str(lerr));
            goto out;
        }
    }
    log_info(LOG_CAT_NODE, "btcpeerd %s started network=%s port=%u datadir=%s",
             BTCPEERD_VERSION_STRING, np->name,
             d.listener ? listener_port(d.listener) : np->default_port, cfg->datadir);
    if (node_start(d.node) != NODE_OK) goto out;
    if (cfg->metrics_bind[0]) {
        enum metrics_err merr =
            metrics_server_new(d.base, d.node, cfg->metrics_bind, &started, &d.metrics);
        if (merr != METRICS_OK) {
            log_error(LOG_CAT_RPC, "cannot serve metrics on %s: %s", cfg->metrics_bind,
                      metrics_err_str(merr));
            goto out;
        }
    }
    if (cfg->server) {
        static struct rpc_config rpc_cfg;
        rpc_config_from(&rpc_cfg, cfg, &d);
        enum rpc_err rerr = rpc_server_start(d.base, d.node, &rpc_cfg, &d.rpc);
        if (rerr != RPC_OK) {
            log_error(LOG_CAT_RPC, "cannot start the RPC server: %s", rpc_err_str(rerr));
            goto out;
        }
    }
    if (event_base_dispatch(d.base) < 0) {
        log_error(LOG_CAT_NODE, "event loop failed");
        goto out;
    }
    log_info(LOG_CAT_NODE, "shutdown complete");
    rc = 0;
out:
    rpc_server_free(d.rpc);             /* both before the node they read */
    metrics_server_free(d.metrics);
    listener_free(d.listener);
    dnsseed_free(d.dnsseed);
    d.dnsseed = NULL;
    node_free(d.node);
    d.node = NULL;
    if (d.sigint) event_free(d.sigint);
    if (d.sigterm) event_free(d.sigterm);
    if (d.sighup) event_free(d.sighup);
    if (d.dns) evdns_base_free(d.dns, 1);
    event_base_free(d.base);
    asmap_free(map); /* only if the node never took it */
    return rc;
}

/* daemon() moves to /, and SIGHUP reopens the log later: relative paths
 * are made absolute while the working directory is still the operator's. */
static void make_absolute(char *path, size_t cap)
{
    if (!path[0] || path[0] == '/' || strcmp(path, "-") == 0) return;
    char cwd[PATH_MAX], out[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return;
    if (snprintf(out, sizeof out, "%s/%s", cwd, path) < (int)sizeof out) snprintf(path, cap, "%s", out);
}

/* One daemon per data directory, as bitcoind's .lock: a second one would
 * append to the same headers.dat and rewrite the other's peers.dat and
 * cookie. The lock lives as long as the process (and its daemon() child,
 * which shares the open file). */
static bool lock_datadir(const char *datadir)
{
    char path[PATH_MAX + 8];
    if (snprintf(path, sizeof path, "%s/.lock", datadir) >= (int)sizeof path) return false;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return false;
    }
    return true; /* fd stays open: the lock is held until exit */
}

static bool write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f) == 0;
}

int main(int argc, char **argv)
{
    static struct config cfg;
    char msg[512] = "";
    enum config_err err = config_load(&cfg, argc, argv, msg, sizeof msg);
    if (err != CONFIG_OK) {
        fprintf(stderr, "btcpeerd: %s\nTry 'btcpeerd --help'.\n", msg);
        return 2;
    }
    if (cfg.help) {
        config_print_help(stdout);
        return 0;
    }
    if (cfg.version) {
        printf("btcpeerd %s\n", BTCPEERD_VERSION_STRING);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing mid-write must not kill us */
    struct asmap *map = NULL;
    if (cfg.asmap[0]) {
        char why[128] = "";
        map = load_asmap(cfg.asmap, why, sizeof why);
        if (!map) {
            fprintf(stderr, "btcpeerd: cannot use asmap file %s: %s\n", cfg.asmap, why);
            return 2;
        }
    }
    if (make_dirs(cfg.datadir) != 0) {
        fprintf(stderr, "btcpeerd: cannot create data directory %s: %s\n", cfg.datadir,
                strerror(errno));
        asmap_free(map);
        return 1;
    }
    make_absolute(cfg.datadir, sizeof cfg.datadir);
    if (!lock_datadir(cfg.datadir)) {
        fprintf(stderr, "btcpeerd: cannot lock data directory %s: %s\n", cfg.datadir,
                errno == EWOULDBLOCK ? "another btcpeerd is probably using it" : strerror(errno));
        asmap_free(map);
        return 1;
    }
    make_absolute(cfg.log_file, sizeof cfg.log_file);
    make_absolute(cfg.pid_file, sizeof cfg.pid_file);
    make_absolute(cfg.rpccookiefile, sizeof cfg.rpccookiefile);
    struct log_config lc = {.level = cfg.log_level, .debug_cats = cfg.debug_cats,
                            .format = cfg.log_format, .path = cfg.log_file};
    if (log_open(&lc) != LOG_OK) {
        fprintf(stderr, "btcpeerd: cannot open log file %s: %s\n", cfg.log_file, strerror(errno));
        asmap_free(map);
        return 1;
    }
    if (cfg.daemon && daemon(0, 0) != 0) {
        fprintf(stderr, "btcpeerd: cannot daemonize: %s\n", strerror(errno));
        asmap_free(map);
        return 1;
    }
    if (cfg.pid_file[0] && !write_pid_file(cfg.pid_file)) {
        log_error(LOG_CAT_NODE, "cannot write pid file %s: %s", cfg.pid_file, strerror(errno));
        asmap_free(map);
        return 1;
    }
    if (map) log_info(LOG_CAT_NODE, "Opened asmap file %s (%zu bytes)", cfg.asmap, asmap_size(map));
    int rc = run(&cfg, map);
    if (cfg.pid_file[0]) unlink(cfg.pid_file);
    log_close();
    return rc;
}
