/* btcpeerd-cli's pure logic, apart from its socket: the options (spelled as
 * bitcoin-cli spells them), where the server and its credentials are, the
 * request body, and what a reply prints and exits with. tools/btcpeerd-cli.c
 * adds the HTTP round trip; the unit tests drive these functions directly. */
#ifndef BTCPEERD_CLI_H
#define BTCPEERD_CLI_H

#include <btcpeerd/netparams.h>
#include <btcpeerd/option.h>

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_err {
    CLI_OK = 0,
    CLI_ERR_USAGE,       /* an unknown option or a bad value */
    CLI_ERR_CONF,        /* the config file cannot be read */
    CLI_ERR_PARAM,       /* a parameter that cannot be sent */
    CLI_ERR_CREDENTIALS, /* no password and no readable cookie */
    CLI_ERR_NOMEM,
};
const char *cli_err_str(enum cli_err err);


#define CLI_MAX_SECRET 1024

struct cli_options {
    char datadir[PATH_MAX];      /* the base, as given; "" = ~/.btcpeerd */
    char conf[PATH_MAX];         /* "" = <datadir>/btcpeerd.conf if present */
    int network;                 /* enum net_id; -1 = not chosen (main) */
    char rpcconnect[256];        /* HOST[:PORT]; "" = 127.0.0.1 */
    int rpcport;                 /* -1 = from rpcconnect or the network's */
    char rpcuser[CLI_MAX_SECRET];
    char rpcpassword[CLI_MAX_SECRET];
    char rpccookiefile[PATH_MAX];/* "" = <network datadir>/.cookie */
    double timeout_s;            /* -rpcclienttimeout; 0 = none */
    bool named, read_stdin, help, version;
    bool getinfo;                /* -getinfo: bitcoin-cli's summary */
    bool netinfo;                /* -netinfo: bitcoin-cli's peer dashboard */
    int first_arg;               /* argv index of the method (argc if none) */
    uint32_t set;                /* bit per option (table row) given on the command line */
};

/* Options before the method, "-name=value" or "--name=value", each a row
 * of the option table in cli_args.c. On error, msg names the option. */
enum cli_err cli_parse_options(struct cli_options *o, int argc, char **argv, char *msg,
                               size_t msg_len);
/* The table itself (n rows), for its unit test. */
const struct option_row *cli_option_table(size_t *n);
/* The -help lines of every option, from the table. */
void cli_print_options(FILE *out);
/* btcpeerd.conf's rpc settings (network, rpcport, rpcuser, rpcpassword,
 * rpccookiefile, rpcconnect) for what the command line left unset; other
 * keys are the daemon's and are skipped. A missing file is fine unless
 * required (-conf). */
enum cli_err cli_read_conf(struct cli_options *o, const char *path, bool required, char *msg,
                           size_t msg_len);
/* The config file cli_read_conf should read: -conf, or btcpeerd.conf in the
 * base data directory (before the network subdirectory, as the daemon). */
bool cli_conf_path(const struct cli_options *o, char *out, size_t cap);

/* Where to connect and with what, once options and file are read. */
struct cli_target {
    enum net_id network;
    char datadir[PATH_MAX];      /* with the network subdirectory */
    char host[256];
    uint16_t port;
    char cookie_path[PATH_MAX];
};
enum cli_err cli_resolve(const struct cli_options *o, struct cli_target *t, char *msg,
                         size_t msg_len);
/* "Basic <base64(user:password)>": -rpcpassword if given, else the cookie
 * file's "__cookie__:<hex>" line. */
enum cli_err cli_auth_header(const struct cli_options *o, const struct cli_target *t, char *out,
                             size_t cap, char *msg, size_t msg_len);

/* One command-line parameter as bitcoin-cli sends it: valid JSON (numbers,
 * true, false, null, "strings", objects, arrays) as that value, anything
 * else as a string. NULL if it is not valid UTF-8. */
json_t *cli_convert_param(const char *arg);
/* Positional params, or with named "name=value" pairs into an object. */
json_t *cli_build_params(char *const *args, size_t n, bool named, char *msg, size_t msg_len);
/* The request body: {"jsonrpc":"2.0","id":1,"method":...,"params":...}.
 * Takes the params reference. Caller frees. */
char *cli_build_request(const char *method, json_t *params);

/* A value as bitcoin-cli prints a result: strings raw, null as nothing,
 * everything else as JSON indented by two spaces with numbers as short as
 * they read back exactly. */
void cli_print_value(FILE *out, const json_t *v);
/* The reply (HTTP status and body) printed to out/err; the exit status:
 * 0 for a result, |code| for a JSON-RPC error (as bitcoin-cli), 1 for
 * anything else (bad credentials, HTTP errors, an unreadable reply). */
int cli_print_reply(int http_status, const char *body, size_t len, FILE *out, FILE *err);
/* -getinfo (cli_getinfo.c): the batch bitcoin-cli -getinfo sends (caller
 * frees), and its reply printed in bitcoin-cli's lines; the exit status as
 * cli_print_reply's (an error of either call is printed as that call's). */
char *cli_getinfo_request(void);
int cli_print_getinfo(int http_status, const char *body, size_t len, FILE *out, FILE *err);

/* -netinfo (cli_netinfo.c): its arguments (level 0-4, above 4 up to 255
 * read as 4; "outonly"/"o" after a level above 0; or "help"/"h"), the
 * batch it sends (caller frees), its help, and the dashboard printed as
 * bitcoin-cli prints it. chain_suffix: "" on main, else " regtest" etc.;
 * now: unix seconds (the ages and "since" columns). */
struct cli_netinfo {
    unsigned level;
    bool outonly, help;
};
enum cli_err cli_netinfo_args(char *const *args, size_t n, struct cli_netinfo *ni, char *msg, size_t msg_len);
char *cli_netinfo_request(void);
void cli_netinfo_help(FILE *out);
int cli_print_netinfo(int http_status, const char *body, size_t len, const struct cli_netinfo *ni,
                      const char *chain_suffix, int64_t now, FILE *out, FILE *err);

/* The server could not be reached: a sentence saying where and why; 1. */
int cli_print_connect_error(FILE *err, const char *host, uint16_t port, const char *why);

#endif
