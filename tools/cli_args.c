/* btcpeerd-cli's options, config file and credentials: from argv and
 * btcpeerd.conf to a host, a port, an Authorization header and a request
 * body. The data directory is resolved by the daemon's own code
 * (config_network_datadir), so the two always agree on where .cookie is. */
#include "cli.h"

#include <btcpeerd/config.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/option.h>
#include <btcpeerd/report.h>

#include <errno.h>
#include <openssl/evp.h>
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

/* --- the option table ------------------------------------------------------ */

/* Core's chain names and the daemon's --network names both work. */
static bool set_chain(void *base, const char *value)
{
    struct cli_options *o = base;
    if (strcmp(value, "test") == 0 || strcmp(value, "testnet") == 0) {
        o->network = NET_TESTNET3;
        return true;
    }
    const struct netparams *np = netparams_by_name(value);
    if (!np) return false;
    o->network = (int)np->id;
    return true;
}

/* bitcoin-cli's -rpcclienttimeout: seconds, fractions allowed; 0 = none. */
static bool set_timeout(void *base, const char *value)
{
    struct cli_options *o = base;
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end || !(v >= 0) || v > 1e6) return false;
    o->timeout_s = v;
    return true;
}

#define FIELD(f) OPTION_FIELD(struct cli_options, f)
/* -testnet, -signet, ...: one --help line for the four. */
static const char same_as_chain[] = "the same as -chain=...";
#define NETWORK_SWITCH(switch_name, net)                                                        \
    {.name = switch_name, .type = OPTION_FLAG, FIELD(network), .on = (net), .help = same_as_chain}

static const struct option_row cli_rows[] = {
    {.name = "datadir", .type = OPTION_TEXT, .arg = "DIR", FIELD(datadir),
     .default_text = "~/.btcpeerd", .help = "the daemon's data directory"},
    {.name = "conf", .type = OPTION_TEXT, .arg = "FILE", FIELD(conf),
     .default_text = "<datadir>/btcpeerd.conf", .help = "read rpc settings from FILE"},
    {.name = "chain", .type = OPTION_CUSTOM, .arg = "NAME", FIELD(network), .set = set_chain,
     .def = -1, .default_text = "main",
     .help = "main, test|testnet3, testnet4, signet or regtest", .file_ok = true,
     .file_key = "network"},
    NETWORK_SWITCH("testnet", NET_TESTNET3),
    NETWORK_SWITCH("testnet4", NET_TESTNET4),
    NETWORK_SWITCH("signet", NET_SIGNET),
    NETWORK_SWITCH("regtest", NET_REGTEST),
    {.name = "rpcconnect", .type = OPTION_TEXT, .arg = "HOST[:PORT]", FIELD(rpcconnect),
     .default_text = "127.0.0.1", .help = "the server", .file_ok = true},
    {.name = "rpcport", .type = OPTION_UINT, .arg = "PORT", FIELD(rpcport), .min = 1, .max = 65535,
     .def = -1,
     .default_text = "8339, testnet3 18339, testnet4 48339, signet 38339, regtest 18449",
     .help = "the server's port", .file_ok = true},
    {.name = "rpcuser", .type = OPTION_TEXT, .arg = "USER", FIELD(rpcuser), .empty_ok = true,
     .default_text = "none", .help = "user name for -rpcpassword", .file_ok = true},
    {.name = "rpcpassword", .type = OPTION_TEXT, .arg = "PW", FIELD(rpcpassword), .empty_ok = true,
     .default_text = "use the cookie file", .help = "password", .file_ok = true},
    {.name = "rpccookiefile", .type = OPTION_TEXT, .arg = "PATH", FIELD(rpccookiefile),
     .default_text = "<datadir>[/<network>]/.cookie",
     .help = "the cookie; a relative path is inside that directory", .file_ok = true},
    {.name = "rpcclienttimeout", .type = OPTION_CUSTOM, .arg = "SEC", FIELD(timeout_s),
     .set = set_timeout, .def = 900, .default_text = "900",
     .help = "give up after SEC seconds; 0 = never"},
    {.name = "getinfo", .type = OPTION_FLAG, FIELD(getinfo),
     .help = "the node's summary (getnetworkinfo, getblockchaininfo) as bitcoin-cli -getinfo prints it"},
    {.name = "netinfo", .type = OPTION_FLAG, FIELD(netinfo),
     .help = "the peer dashboard bitcoin-cli -netinfo prints; then [LEVEL [outonly]] or help"},
    {.name = "named", .type = OPTION_FLAG, FIELD(named),
     .help = "params are name=value pairs, sent as an object"},
    {.name = "stdin", .type = OPTION_FLAG, FIELD(read_stdin),
     .help = "read more params from standard input, one per line"},
    {.name = "version", .type = OPTION_FLAG, FIELD(version), .action = true,
     .help = "print the version and exit"},
    {.name = "help", .type = OPTION_FLAG, FIELD(help), .action = true,
     .help = "print this help and exit"},
};
#define N_CLI_ROWS (sizeof cli_rows / sizeof cli_rows[0])
_Static_assert(N_CLI_ROWS <= 32, "cli_options.set has a bit per option");

const struct option_row *cli_option_table(size_t *n)
{
    *n = N_CLI_ROWS;
    return cli_rows;
}

/* The options part of -help: "  -name=ARG   help (default: ...)", wrapped
 * at 79 columns; rows sharing one help text (-testnet, -signet, ...) share
 * a line. */
void cli_print_options(FILE *out)
{
    enum { HELP_COL = 22, WIDTH = 79 };
    for (size_t i = 0; i < N_CLI_ROWS;) {
        char left[160] = "", arg_buf[64], def_buf[96], text[320];
        size_t len = 0, j = i;
        for (; j < N_CLI_ROWS && (j == i || cli_rows[j].help == cli_rows[i].help); j++) {
            const char *arg = option_arg_text(&cli_rows[j], arg_buf, sizeof arg_buf);
            int k = snprintf(left + len, sizeof left - len, "%s-%s%s%s", j == i ? "" : ", ",
                             cli_rows[j].name, arg ? "=" : "", arg ? arg : "");
            if (k > 0 && (size_t)k < sizeof left - len) len += (size_t)k;
        }
        /* A switch is off unless given: that goes without saying here. */
        const char *def = cli_rows[i].type == OPTION_FLAG
                              ? NULL
                              : option_default_text(&cli_rows[i], def_buf, sizeof def_buf);
        /* \1 is a space the wrapping keeps: "(default:" stays with its value. */
        snprintf(text, sizeof text, def ? "%s (default:\1%s)" : "%s", cli_rows[i].help, def);
        int col = fprintf(out, "  %s", left);
        col += fprintf(out, "%*s", col + 2 > HELP_COL ? 2 : HELP_COL - col, "");
        int start = col;
        for (const char *w = text; *w;) {
            int wl = (int)strcspn(w, " ");
            if (col > start && col + 1 + wl > WIDTH) {
                fprintf(out, "\n%*s", HELP_COL, "");
                col = start = HELP_COL;
            } else if (col > start) {
                col += fprintf(out, " ");
            }
            for (int c = 0; c < wl; c++) fputc(w[c] == '\1' ? ' ' : w[c], out);
            col += wl;
            w += wl;
            w += strspn(w, " ");
        }
        fputc('\n', out);
        i = j;
    }
}

static void options_default(struct cli_options *o)
{
    option_defaults(cli_rows, N_CLI_ROWS, o, sizeof *o);
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
        int id = option_find(cli_rows, N_CLI_ROWS, arg, name_len);
        if (id < 0 && name_len == 1 && (arg[0] == 'h' || arg[0] == '?'))
            id = option_find(cli_rows, N_CLI_ROWS, "help", 4);
        if (id < 0) {
            report(msg, msg_len, "unknown option '%s'", argv[i]);
            return CLI_ERR_USAGE;
        }
        const struct option_row *row = &cli_rows[id];
        if (row->type == OPTION_FLAG) {
            /* a switch: -name, -name=1, -name=0 */
            if (eq && strcmp(eq + 1, "1") != 0 && strcmp(eq + 1, "0") != 0) goto bad;
            option_set_flag(row, o, !eq || eq[1] == '1');
        } else if (!eq) {
            report(msg, msg_len, "option '-%s' needs a value (-%s=...)", row->name, row->name);
            return CLI_ERR_USAGE;
        } else if (option_apply(row, o, eq + 1) != OPTION_OK) {
            goto bad;
        }
        o->set |= 1u << id;
        continue;
    bad:
        report(msg, msg_len, "-%s: bad value '%s'", row->name, eq ? eq + 1 : "");
        return CLI_ERR_USAGE;
    }
    o->first_arg = i;
    return CLI_OK;
}

bool cli_conf_path(const struct cli_options *o, char *out, size_t cap)
{
    if (o->conf[0]) return option_copy_text(o->conf, out, cap);
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

/* Was the field this row sets given on the command line, by this row or
 * another (-regtest and network= both set the network)? */
static bool field_set_on_command_line(const struct cli_options *o, const struct option_row *row)
{
    for (size_t k = 0; k < N_CLI_ROWS; k++)
        if ((o->set & (1u << k)) && cli_rows[k].offset == row->offset) return true;
    return false;
}

static enum config_err conf_line_apply(void *ctx, const char *key, const char *value, unsigned lineno)
{
    struct conf_apply *ca = ctx;
    for (size_t k = 0; k < N_CLI_ROWS; k++) {
        const struct option_row *row = &cli_rows[k];
        if (!row->file_ok || strcmp(key, row->file_key ? row->file_key : row->name) != 0 ||
            field_set_on_command_line(ca->o, row))
            continue;
        if (option_apply(row, ca->o, value) != OPTION_OK) {
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
