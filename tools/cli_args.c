/* btcpeerd-cli's options, config file and credentials: from argv and
 * btcpeerd.conf to a host, a port, an Authorization header and a request
 * body. The data directory is resolved by the daemon's own code
 * (config_network_datadir), so the two always agree on where .cookie is. */
#include "cli.h"

#include <btcpeerd/config.h>
#include <btcpeerd/hostport.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *cli_err_str(enum cli_err err)
{
    switch (err) {
    case CLI_OK: return "ok";
    case CLI_ERR_USAGE: return "bad command line";
    case CLI_ERR_CONF: return "cannot read config file";
    case CLI_ERR_PARAM: return "bad parameter";
    case CLI_ERR_CREDENTIALS: return "no RPC credentials";
    case CLI_ERR_NOMEM: return "out of memory";
    }
    return "unknown";
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

enum cli_opt {
    CO_DATADIR,
    CO_CONF,
    CO_CHAIN,
    CO_REGTEST,
    CO_TESTNET,
    CO_TESTNET4,
    CO_SIGNET,
    CO_RPCCONNECT,
    CO_RPCPORT,
    CO_RPCUSER,
    CO_RPCPASSWORD,
    CO_RPCCOOKIEFILE,
    CO_RPCCLIENTTIMEOUT,
    CO_NAMED,
    CO_STDIN,
    CO_HELP,
    CO_VERSION,
    CO_COUNT
};

static const struct {
    const char *name;
    bool takes_value; /* else a switch: -name, -name=1, -name=0 */
} cli_opts[CO_COUNT] = {
    [CO_DATADIR] = {"datadir", true},       [CO_CONF] = {"conf", true},
    [CO_CHAIN] = {"chain", true},           [CO_REGTEST] = {"regtest", false},
    [CO_TESTNET] = {"testnet", false},      [CO_TESTNET4] = {"testnet4", false},
    [CO_SIGNET] = {"signet", false},        [CO_RPCCONNECT] = {"rpcconnect", true},
    [CO_RPCPORT] = {"rpcport", true},       [CO_RPCUSER] = {"rpcuser", true},
    [CO_RPCPASSWORD] = {"rpcpassword", true}, [CO_RPCCOOKIEFILE] = {"rpccookiefile", true},
    [CO_RPCCLIENTTIMEOUT] = {"rpcclienttimeout", true},
    [CO_NAMED] = {"named", false},          [CO_STDIN] = {"stdin", false},
    [CO_HELP] = {"help", false},            [CO_VERSION] = {"version", false},
};

static bool copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Core's chain names and the daemon's --network names both work. */
static int network_by_chain_name(const char *name)
{
    if (strcmp(name, "test") == 0 || strcmp(name, "testnet") == 0) return NET_TESTNET3;
    const struct netparams *np = netparams_by_name(name);
    return np ? (int)np->id : -1;
}

static bool parse_port(const char *s, int *out)
{
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > 65535) return false;
    *out = (int)v;
    return true;
}

/* One option's value into o; false if the value is bad. */
static bool apply(struct cli_options *o, enum cli_opt id, const char *value, bool on)
{
    switch (id) {
    case CO_DATADIR: return value[0] && copy_str(o->datadir, sizeof o->datadir, value);
    case CO_CONF: return value[0] && copy_str(o->conf, sizeof o->conf, value);
    case CO_CHAIN: return (o->network = network_by_chain_name(value)) >= 0;
    case CO_REGTEST:
    case CO_TESTNET:
    case CO_TESTNET4:
    case CO_SIGNET:
        if (on) {
            static const enum net_id nets[] = {[CO_REGTEST] = NET_REGTEST, [CO_TESTNET] = NET_TESTNET3,
                                               [CO_TESTNET4] = NET_TESTNET4, [CO_SIGNET] = NET_SIGNET};
            o->network = (int)nets[id];
        }
        return true;
    case CO_RPCCONNECT: return value[0] && copy_str(o->rpcconnect, sizeof o->rpcconnect, value);
    case CO_RPCPORT: return parse_port(value, &o->rpcport);
    case CO_RPCUSER: return copy_str(o->rpcuser, sizeof o->rpcuser, value);
    case CO_RPCPASSWORD: return copy_str(o->rpcpassword, sizeof o->rpcpassword, value);
    case CO_RPCCOOKIEFILE: return value[0] && copy_str(o->rpccookiefile, sizeof o->rpccookiefile, value);
    case CO_RPCCLIENTTIMEOUT: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end || !(v >= 0) || v > 1e6) return false;
        o->timeout_s = v;
        return true;
    }
    case CO_NAMED: o->named = on; return true;
    case CO_STDIN: o->read_stdin = on; return true;
    case CO_HELP: o->help = on; return true;
    case CO_VERSION: o->version = on; return true;
    case CO_COUNT: break;
    }
    return false;
}

static void options_default(struct cli_options *o)
{
    memset(o, 0, sizeof *o);
    o->network = -1;
    o->rpcport = -1;
    o->timeout_s = 900; /* bitcoin-cli's -rpcclienttimeout */
}

enum cli_err cli_parse_options(struct cli_options *o, int argc, char **argv, char *msg,
                               size_t msg_len)
{
    options_default(o);
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *arg = argv[i] + (argv[i][1] == '-' ? 2 : 1);
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        int id = -1;
        for (int k = 0; k < CO_COUNT; k++)
            if (strlen(cli_opts[k].name) == name_len && strncmp(cli_opts[k].name, arg, name_len) == 0)
                id = k;
        if (id < 0 && name_len == 1 && (arg[0] == 'h' || arg[0] == '?')) id = CO_HELP;
        if (id < 0) {
            report(msg, msg_len, "unknown option '%s'", argv[i]);
            return CLI_ERR_USAGE;
        }
        bool on = true;
        if (cli_opts[id].takes_value && !eq) {
            report(msg, msg_len, "option '-%s' needs a value (-%s=...)", cli_opts[id].name,
                   cli_opts[id].name);
            return CLI_ERR_USAGE;
        }
        if (!cli_opts[id].takes_value && eq) {
            if (strcmp(eq + 1, "1") == 0) on = true;
            else if (strcmp(eq + 1, "0") == 0) on = false;
            else goto bad;
        }
        if (!apply(o, (enum cli_opt)id, eq ? eq + 1 : "", on)) goto bad;
        o->set |= 1u << id;
        continue;
    bad:
        report(msg, msg_len, "-%s: bad value '%s'", cli_opts[id].name, eq ? eq + 1 : "");
        return CLI_ERR_USAGE;
    }
    o->first_arg = i;
    return CLI_OK;
}

bool cli_conf_path(const struct cli_options *o, char *out, size_t cap)
{
    if (o->conf[0]) return copy_str(out, cap, o->conf);
    char base[PATH_MAX];
    /* NET_MAIN: the base itself, as the daemon reads its file before it
     * knows the network. */
    if (!config_network_datadir(o->datadir, NET_MAIN, base, sizeof base)) return false;
    int n = snprintf(out, cap, "%s/btcpeerd.conf", base);
    return n >= 0 && (size_t)n < cap;
}

struct conf_apply {
    struct cli_options *o;
    const char *path;
    char *msg;
    size_t msg_len;
};

static enum config_err conf_line_apply(void *ctx, const char *key, const char *value, unsigned lineno)
{
    /* The daemon's key for each option the file may set. */
    static const struct {
        const char *key;
        enum cli_opt id;
    } keys[] = {
        {"network", CO_CHAIN},         {"rpcport", CO_RPCPORT},
        {"rpcuser", CO_RPCUSER},       {"rpcpassword", CO_RPCPASSWORD},
        {"rpccookiefile", CO_RPCCOOKIEFILE}, {"rpcconnect", CO_RPCCONNECT},
    };
    struct conf_apply *ca = ctx;
    struct cli_options *o = ca->o;
    const bool network_set = o->set & ((1u << CO_CHAIN) | (1u << CO_REGTEST) | (1u << CO_TESTNET) |
                                       (1u << CO_TESTNET4) | (1u << CO_SIGNET));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        enum cli_opt id = keys[k].id;
        if (strcmp(key, keys[k].key) != 0 || (o->set & (1u << id)) || (id == CO_CHAIN && network_set))
            continue;
        if (!apply(o, id, value, true)) {
            report(ca->msg, ca->msg_len, "%s:%u: bad value for '%s'", ca->path, lineno, key);
            return CONFIG_ERR_BAD_VALUE;
        }
    }
    return CONFIG_OK; /* keys the client has no use for are the daemon's */
}

enum cli_err cli_read_conf(struct cli_options *o, const char *path, bool required, char *msg,
                           size_t msg_len)
{
    struct conf_apply ca = {o, path, msg, msg_len};
    /* Lines the daemon would reject are its to report. */
    return config_file_each(path, required, true, conf_line_apply, &ca, msg, msg_len) == CONFIG_OK
               ? CLI_OK
               : CLI_ERR_CONF;
}

enum cli_err cli_resolve(const struct cli_options *o, struct cli_target *t, char *msg,
                         size_t msg_len)
{
    memset(t, 0, sizeof *t);
    t->network = o->network >= 0 ? (enum net_id)o->network : NET_MAIN;
    if (!config_network_datadir(o->datadir, t->network, t->datadir, sizeof t->datadir)) {
        report(msg, msg_len, "-datadir: path too long");
        return CLI_ERR_USAGE;
    }
    uint16_t port = netparams_get(t->network)->rpc_port;
    if (!hostport_parse(o->rpcconnect[0] ? o->rpcconnect : "127.0.0.1", t->host, sizeof t->host,
                        &port, port)) {
        report(msg, msg_len, "-rpcconnect: bad value '%s'", o->rpcconnect);
        return CLI_ERR_USAGE;
    }
    t->port = o->rpcport > 0 ? (uint16_t)o->rpcport : port;
    /* A relative cookie path is inside the network's data directory. */
    const char *cookie = o->rpccookiefile[0] ? o->rpccookiefile : ".cookie";
    int n = cookie[0] == '/' ? snprintf(t->cookie_path, sizeof t->cookie_path, "%s", cookie)
                             : snprintf(t->cookie_path, sizeof t->cookie_path, "%s/%s",
                                        t->datadir, cookie);
    if (n < 0 || (size_t)n >= sizeof t->cookie_path) {
        report(msg, msg_len, "-rpccookiefile: path too long");
        return CLI_ERR_USAGE;
    }
    return CLI_OK;
}

static bool read_cookie(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (!ok) return false;
    out[strcspn(out, "\r\n")] = '\0';
    return strchr(out, ':') != NULL;
}

enum cli_err cli_auth_header(const struct cli_options *o, const struct cli_target *t, char *out,
                             size_t cap, char *msg, size_t msg_len)
{
    char userpass[2 * CLI_MAX_SECRET + 2];
    if (o->rpcpassword[0]) {
        snprintf(userpass, sizeof userpass, "%s:%s", o->rpcuser, o->rpcpassword);
    } else if ((errno = 0, !read_cookie(t->cookie_path, userpass, sizeof userpass))) {
        report(msg, msg_len,
               "no RPC credentials: cannot read the cookie file %s (%s) and -rpcpassword is "
               "not set. Is btcpeerd running with --server=1 and this -datadir and network?",
               t->cookie_path, errno ? strerror(errno) : "no user:password line");
        return CLI_ERR_CREDENTIALS;
    }
    size_t len = strlen(userpass);
    size_t need = 6 + 4 * ((len + 2) / 3) + 1;
    if (need > cap) {
        report(msg, msg_len, "RPC credentials too long");
        return CLI_ERR_CREDENTIALS;
    }
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)userpass, (int)len);
    return CLI_OK;
}

json_t *cli_convert_param(const char *arg)
{
    json_t *v = json_loads(arg, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(arg);
}

json_t *cli_build_params(char *const *args, size_t n, bool named, char *msg, size_t msg_len)
{
    json_t *params = named ? json_object() : json_array();
    if (!params) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *arg = args[i], *value = arg;
        const char *eq = named ? strchr(arg, '=') : NULL;
        if (named && (!eq || eq == arg)) {
            report(msg, msg_len, "-named: parameter '%s' is not name=value", arg);
            goto fail;
        }
        if (eq) value = eq + 1;
        json_t *v = cli_convert_param(value);
        if (!v) {
            report(msg, msg_len, "parameter %zu is not valid UTF-8", i + 1);
            goto fail;
        }
        int rc;
        if (named) {
            rc = json_object_setn_new(params, arg, (size_t)(eq - arg), v);
        } else {
            rc = json_array_append_new(params, v);
        }
        if (rc != 0) {
            report(msg, msg_len, "parameter %zu cannot be sent", i + 1);
            goto fail;
        }
    }
    return params;
fail:
    json_decref(params);
    return NULL;
}

char *cli_build_request(const char *method, json_t *params)
{
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                            "params", params);
    if (!req) return NULL;
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return body;
}
