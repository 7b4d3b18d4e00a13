/* btcpeerd-cli: send one JSON-RPC call to btcpeerd and print the answer,
 * as bitcoin-cli does for bitcoind.
 *   btcpeerd-cli [options] <method> [params...]
 * The options, the request and the printing are in cli_args.c and
 * cli_reply.c; this file is the HTTP round trip (libevent's evhttp client)
 * and the order of things. Exit: 0 result, |code| JSON-RPC error, 1 any
 * other failure (bad option, no credentials, cannot connect, HTTP error). */
#include "cli.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: btcpeerd-cli [options] <method> [params...]\n"
            "       btcpeerd-cli [options] -getinfo\n"
            "       btcpeerd-cli [options] -netinfo [level [outonly]] | help\n"
            "Send one JSON-RPC call to btcpeerd and print the result.\n\n"
            "Parameters that are valid JSON (numbers, true, false, null, objects, arrays)\n"
            "are sent as that JSON; anything else as a string.\n\n"
            "Options:\n");
    cli_print_options(out);
    fprintf(out,
            "\n"
            "Exit status: 0 on a result; |code| of a JSON-RPC error (as bitcoin-cli);\n"
            "1 for anything else.\n");
}

/* bitcoin-cli's ChainToString, after the client's version in -netinfo. */
static const char *chain_suffix(enum net_id net)
{
    switch (net) {
    case NET_TESTNET4: return " testnet4";
    case NET_TESTNET3: return " testnet";
    case NET_SIGNET: return " signet";
    case NET_REGTEST: return " regtest";
    case NET_MAIN:
    case NET_COUNT: break;
    }
    return "";
}

struct call {
    struct event_base *base;
    int status;          /* 0 = no HTTP response */
    char *body;
    size_t body_len;
    enum evhttp_request_error error;
    bool failed;
    int sock_err;        /* errno when the error callback ran */
    bool connect_failed; /* no connection at all */
};

static void on_error(enum evhttp_request_error error, void *arg)
{
    struct call *c = arg;
    c->failed = true;
    c->error = error;
    c->sock_err = EVUTIL_SOCKET_ERROR();
}

static void on_done(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    if (req && evhttp_request_get_response_code(req) != 0) {
        c->status = evhttp_request_get_response_code(req);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        c->body_len = evbuffer_get_length(in);
        c->body = malloc(c->body_len + 1);
        if (c->body) {
            evbuffer_remove(in, c->body, c->body_len);
            c->body[c->body_len] = '\0';
        } else {
            c->body_len = 0;
        }
    } else if (!c->failed) {
        /* libevent 2.1 fails a request whose connect failed without
         * calling its error callback, and errno no longer says why. */
        c->connect_failed = true;
    }
    event_base_loopbreak(c->base);
}

static const char *failure_reason(const struct call *c, char *buf, size_t cap)
{
    if (c->connect_failed && !c->failed) return "connection refused, or the host is unreachable";
    switch (c->error) {
    case EVREQ_HTTP_TIMEOUT: return "timed out (-rpcclienttimeout)";
    case EVREQ_HTTP_EOF:
    case EVREQ_HTTP_BUFFER_ERROR:
        if (c->sock_err) {
            snprintf(buf, cap, "%s", evutil_socket_error_to_string(c->sock_err));
            return buf;
        }
        return c->error == EVREQ_HTTP_EOF ? "connection closed" : "connection failed";
    case EVREQ_HTTP_INVALID_HEADER: return "bad HTTP response";
    case EVREQ_HTTP_REQUEST_CANCEL: return "cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG: return "response too large";
    }
    return "connection failed";
}

/* One POST of body to target; the reply in c. False if the request could
 * not even be made. */
static bool http_post(const struct cli_target *t, const char *auth, const char *body,
                      double timeout_s, struct call *c)
{
    bool ok = false;
    struct evhttp_connection *conn = NULL;
    c->base = event_base_new();
    if (!c->base) return false;
    /* No DNS base: a name in -rpcconnect is resolved blocking, fine here. */
    conn = evhttp_connection_base_new(c->base, NULL, t->host, t->port);
    if (!conn) goto out;
    if (timeout_s > 0) {
        struct timeval tv = {(time_t)timeout_s,
                             (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
        evhttp_connection_set_timeout_tv(conn, &tv);
    }
    struct evhttp_request *req = evhttp_request_new(on_done, c);
    if (!req) goto out;
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char host[300];
    snprintf(host, sizeof host, strchr(t->host, ':') ? "[%s]:%u" : "%s:%u", t->host, t->port);
    evhttp_add_header(h, "Host", host);
    evhttp_add_header(h, "Connection", "close");
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Authorization", auth);
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, "/") != 0) goto out; /* req freed */
    event_base_dispatch(c->base);
    ok = true;
out:
    if (conn) evhttp_connection_free(conn);
    event_base_free(c->base);
    c->base = NULL;
    return ok;
}

/* -stdin: each line (without its newline) is one more parameter. */
static bool read_stdin_args(char ***args, size_t *n)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        char **grown = realloc(*args, (*n + 1) * sizeof **args);
        if (!grown) break;
        *args = grown;
        if (!((*args)[*n] = strdup(line))) break;
        (*n)++;
    }
    bool ok = feof(stdin) && !ferror(stdin);
    free(line);
    return ok;
}

int main(int argc, char **argv)
{
    static struct cli_options o;
    static struct cli_target t;
    char msg[PATH_MAX + 256] = "";
    char conf[PATH_MAX];
    int rc = 1;
    char **args = NULL;
    size_t n_args = 0;
    char *body = NULL;

    if (cli_parse_options(&o, argc, argv, msg, sizeof msg) != CLI_OK) {
        fprintf(stderr, "error: %s\nTry 'btcpeerd-cli -help'.\n", msg);
        return 1;
    }
    if (o.help) {
        usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("btcpeerd-cli %s\n", BTCPEERD_VERSION_STRING);
        return 0;
    }
    if (!cli_conf_path(&o, conf, sizeof conf) ||
        cli_read_conf(&o, conf, o.conf[0] != '\0', msg, sizeof msg) != CLI_OK ||
        cli_resolve(&o, &t, msg, sizeof msg) != CLI_OK) {
        fprintf(stderr, "error: %s\n", msg[0] ? msg : "config file path too long");
        return 1;
    }
    for (int i = o.first_arg; i < argc; i++) {
        char **grown = realloc(args, (n_args + 1) * sizeof *args);
        if (!grown) goto oom;
        args = grown;
        if (!(args[n_args] = strdup(argv[i]))) goto oom;
        n_args++;
    }
    if (o.read_stdin && !read_stdin_args(&args, &n_args)) {
        fputs("error: cannot read parameters from standard input\n", stderr);
        goto out;
    }
    if (o.getinfo && n_args > 0) {
        fputs("error: -getinfo takes no arguments\n", stderr);
        goto out;
    }
    struct cli_netinfo ni;
    if (o.netinfo) {
        if (cli_netinfo_args(args, n_args, &ni, msg, sizeof msg) != CLI_OK) {
            fprintf(stderr, "error: %s\n", msg);
            goto out;
        }
        if (ni.help) {
            cli_netinfo_help(stdout);
            rc = 0;
            goto out;
        }
    }
    if (n_args == 0 && !o.getinfo && !o.netinfo) {
        fputs("error: too few parameters: no method (try 'btcpeerd-cli -help')\n", stderr);
        goto out;
    }
    if (o.getinfo) {
        body = cli_getinfo_request();
    } else if (o.netinfo) {
        body = cli_netinfo_request();
    } else {
        json_t *params = cli_build_params(args + 1, n_args - 1, o.named, msg, sizeof msg);
        if (!params) {
            fprintf(stderr, "error: %s\n", msg);
            goto out;
        }
        body = cli_build_request(args[0], params);
    }
    if (!body) {
        fputs("error: cannot build the request (is the method valid UTF-8?)\n", stderr);
        goto out;
    }
    static char auth[4 * CLI_MAX_SECRET];
    if (cli_auth_header(&o, &t, auth, sizeof auth, msg, sizeof msg) != CLI_OK) {
        fprintf(stderr, "error: %s\n", msg);
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    struct call c = {0};
    if (!http_post(&t, auth, body, o.timeout_s, &c)) {
        fputs("error: cannot set up the HTTP request\n", stderr);
    } else if (c.status == 0) {
        char why[256];
        rc = cli_print_connect_error(stderr, t.host, t.port, failure_reason(&c, why, sizeof why));
    } else {
        const char *text = c.body ? c.body : "";
        if (o.netinfo)
            rc = cli_print_netinfo(c.status, text, c.body_len, &ni, chain_suffix(t.network), (int64_t)time(NULL),
                                   stdout, stderr);
        else
            rc = (o.getinfo ? cli_print_getinfo : cli_print_reply)(c.status, text, c.body_len, stdout, stderr);
    }
    free(c.body);
    goto out;
oom:
    fputs("error: out of memory\n", stderr);
out:
    free(body);
    for (size_t i = 0; i < n_args; i++) free(args[i]);
    free(args);
    if (fflush(stdout) != 0 && rc == 0) rc = 1;
    return rc;
}
