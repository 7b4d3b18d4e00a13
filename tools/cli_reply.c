/* What btcpeerd-cli prints and exits with, from the server's reply. As
 * bitcoin-cli: a result goes to stdout (strings raw, JSON indented by two),
 * a JSON-RPC error to stderr as "error code: N / error message:" and the
 * exit status |N|; everything else that goes wrong is "error: ..." and 1. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shortest %g that reads back as the same double: 0.1 prints as 0.1, not
 * jansson's 17-digit 0.10000000000000001. */
static void print_real(FILE *out, double d)
{
    char buf[40];
    if (!isfinite(d)) {
        fputs("null", out);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".eE")) fputs(".0", out); /* still a real when read back */
}

static void print_scalar(FILE *out, const json_t *v)
{
    if (json_is_real(v)) {
        print_real(out, json_real_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY);
    if (s) fputs(s, out);
    free(s);
}

static void indent(FILE *out, int depth)
{
    for (int i = 0; i < depth; i++) fputs("  ", out);
}

static void print_json(FILE *out, const json_t *v, int depth)
{
    if (json_is_object(v)) {
        if (json_object_size(v) == 0) {
            fputs("{}", out);
            return;
        }
        fputs("{\n", out);
        const char *key;
        json_t *member;
        size_t i = 0, n = json_object_size(v);
        json_object_foreach((json_t *)v, key, member) {
            indent(out, depth + 1);
            json_t *k = json_string(key);
            print_scalar(out, k);
            json_decref(k);
            fputs(": ", out);
            print_json(out, member, depth + 1);
            fputs(++i < n ? ",\n" : "\n", out);
        }
        indent(out, depth);
        fputc('}', out);
    } else if (json_is_array(v)) {
        if (json_array_size(v) == 0) {
            fputs("[]", out);
            return;
        }
        fputs("[\n", out);
        size_t i;
        json_t *elem;
        json_array_foreach(v, i, elem) {
            indent(out, depth + 1);
            print_json(out, elem, depth + 1);
            fputs(i + 1 < json_array_size(v) ? ",\n" : "\n", out);
        }
        indent(out, depth);
        fputc(']', out);
    } else {
        print_scalar(out, v);
    }
}

void cli_print_value(FILE *out, const json_t *v)
{
    if (!v || json_is_null(v)) return;
    if (json_is_string(v)) {
        fwrite(json_string_value(v), 1, json_string_length(v), out);
    } else {
        print_json(out, v, 0);
    }
    fputc('\n', out);
}

/* HTTP statuses whose body still holds a JSON-RPC reply (a server in the
 * JSON-RPC 1.0 style of bitcoind answers errors with 400, 404 or 500). */
static bool status_has_reply(int status)
{
    return status < 400 || status == 400 || status == 404 || status == 500;
}

int cli_print_reply(int http_status, const char *body, size_t len, FILE *out, FILE *err)
{
    if (http_status == 401) {
        fputs("error: authorization failed: incorrect rpcuser or rpcpassword (or a stale "
              "cookie)\n", err);
        return 1;
    }
    if (http_status == 403) {
        fputs("error: the server refused this client (HTTP 403: not in --rpcallowip?)\n", err);
        return 1;
    }
    if (http_status == 503) {
        fprintf(err, "error: server response: %.*s\n", (int)(len > 1000 ? 1000 : len), body);
        return 1;
    }
    if (!status_has_reply(http_status) || (len == 0 && http_status >= 400)) {
        fprintf(err, "error: server returned HTTP error %d\n", http_status);
        return 1;
    }
    if (len == 0) {
        fputs("error: no response from server\n", err);
        return 1;
    }
    json_error_t jerr;
    json_t *reply = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(reply) || json_object_size(reply) == 0) {
        fprintf(err, "error: cannot parse the server's reply (HTTP %d)\n", http_status);
        json_decref(reply);
        return 1;
    }
    int rc = 0;
    json_t *error = json_object_get(reply, "error");
    if (error && !json_is_null(error)) {
        json_t *code = json_object_get(error, "code");
        json_t *message = json_object_get(error, "message");
        json_int_t c = json_is_integer(code) ? json_integer_value(code) : -1;
        /* bitcoin-cli exits with |code| (the shell sees it modulo 256);
         * a code of 0 would read as success, so it becomes 1. */
        rc = c == 0 ? 1 : (int)(c < 0 ? (c < -INT_MAX ? INT_MAX : -c) : (c > INT_MAX ? INT_MAX : c));
        if (json_is_object(error)) {
            if (code) {
                fputs("error code: ", err);
                print_scalar(err, code);
                fputc('\n', err);
            }
            if (json_is_string(message))
                fprintf(err, "error message:\n%s\n", json_string_value(message));
        } else {
            fputs("error: ", err);
            print_scalar(err, error);
            fputc('\n', err);
        }
    } else if (!json_object_get(reply, "result")) {
        fputs("error: the server's reply has neither result nor error\n", err);
        rc = 1;
    } else {
        cli_print_value(out, json_object_get(reply, "result"));
    }
    json_decref(reply);
    return rc;
}

int cli_print_connect_error(FILE *err, const char *host, uint16_t port, const char *why)
{
    bool v6 = strchr(host, ':') != NULL;
    fprintf(err,
            "error: cannot connect to the server %s%s%s:%u: %s\n\n"
            "Is btcpeerd running with --server=1, and is -rpcport (or -rpcconnect, or the "
            "network) the one it listens on?\n",
            v6 ? "[" : "", host, v6 ? "]" : "", port, why);
    return 1;
}
