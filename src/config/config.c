/* btcpeerd's configuration: the command line (getopt_long) and
 * btcpeerd.conf, both applied through the option table
 * (config_table.c, option.c), so a name means the same thing in both
 * places; then the defaults that depend on other options and the checks
 * that span several (datadir, rpcuser with rpcpassword, rpcbind with
 * rpcallowip). */
#include "config/config_table.h"

#include <btcpeerd/config.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/report.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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

/* What each source set, by row: the command line wins over the file, and
 * the dependent defaults apply to what neither set. */
struct given {
    bool cli[CONFIG_OPTIONS_MAX];
    bool any[CONFIG_OPTIONS_MAX];
};

/* getopt_long's value for row i: above any short option character, so
 * rows never collide with '?', ':' or 'h'. */
#define LONGOPT_VAL(i) (256 + (int)(i))

static enum config_err parse_args(struct config *cfg, int argc, char **argv, struct given *given,
                                  char *msg, size_t msg_len)
{
    struct option longopts[CONFIG_OPTIONS_MAX + 1];
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *row = &config_options[i];
        longopts[i] = (struct option){row->name,
                                      row->type == OPTION_FLAG ? no_argument : required_argument,
                                      NULL, LONGOPT_VAL(i)};
    }
    longopts[config_n_options] = (struct option){0, 0, 0, 0};

    optind = 0; /* full re-initialisation, so tests may parse many times */
    opterr = 0;
    for (;;) {
        int val = getopt_long(argc, argv, ":h", longopts, NULL);
        if (val == -1) break;
        if (val == '?') {
            report(msg, msg_len, "unknown option '%s'", argv[optind - 1]);
            return CONFIG_ERR_UNKNOWN_OPTION;
        }
        if (val == ':') {
            report(msg, msg_len, "option '%s' needs a value", argv[optind - 1]);
            return CONFIG_ERR_MISSING_VALUE;
        }
        size_t id = val == 'h' ? (size_t)option_find(config_options, config_n_options, "help", 4)
                               : (size_t)(val - LONGOPT_VAL(0));
        const char *value = optarg ? optarg : "";
        if (option_apply(&config_options[id], cfg, value) != OPTION_OK) {
            report(msg, msg_len, "--%s: bad value '%s'", config_options[id].name, value);
            return CONFIG_ERR_BAD_VALUE;
        }
        given->cli[id] = given->any[id] = true;
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
    struct given *given;
    const char *path;
    char *msg;
    size_t msg_len;
};

static enum config_err file_line_apply(void *ctx, const char *key, const char *value, unsigned lineno)
{
    (void)lineno;
    struct file_apply *fa = ctx;
    int id = option_find(config_options, config_n_options, key, strlen(key));
    if (id < 0 || !config_options[id].file_ok) {
        report(fa->msg, fa->msg_len, "%s: unknown option '%s'", fa->path, key);
        return CONFIG_ERR_UNKNOWN_OPTION;
    }
    if (fa->given->cli[id]) return CONFIG_OK; /* the command line wins */
    if (option_apply(&config_options[id], fa->cfg, value) != OPTION_OK) {
        report(fa->msg, fa->msg_len, "%s: bad value for '%s'", fa->path, key);
        return CONFIG_ERR_BAD_VALUE;
    }
    fa->given->any[id] = true;
    return CONFIG_OK;
}

static enum config_err parse_file(struct config *cfg, const char *path, bool required,
                                  struct given *given, char *msg, size_t msg_len)
{
    struct file_apply fa = {cfg, given, path, msg, msg_len};
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
    struct given given;
    memset(&given, 0, sizeof given);
    option_defaults(config_options, config_n_options, cfg, sizeof *cfg);
    enum config_err err = parse_args(cfg, argc, argv, &given, msg, msg_len);
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
        err = parse_file(cfg, conf, explicit_conf, &given, msg, msg_len);
        if (err != CONFIG_OK) return err;
    }
    option_dependent_defaults(config_options, config_n_options, cfg, given.any);
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
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *row = &config_options[i];
        char arg_buf[128], def_buf[128];
        const char *arg = option_arg_text(row, arg_buf, sizeof arg_buf);
        const char *def = option_default_text(row, def_buf, sizeof def_buf);
        fprintf(out, "  --%s%s%s\n      %s", row->name, arg ? "=" : "", arg ? arg : "", row->help);
        if (def) fprintf(out, " (default: %s)", def);
        fputc('\n', out);
    }
}
