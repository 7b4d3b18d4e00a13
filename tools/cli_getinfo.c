/* btcpeerd-cli -getinfo: bitcoin-cli v29's -getinfo (GetinfoRequestHandler
 * and ParseGetInfoResult in its bitcoin-cli.cpp): one batch of
 * getnetworkinfo and getblockchaininfo (no wallet calls: btcpeerd has no
 * wallet, and bitcoin-cli lets those two fail anyway), printed in the same
 * lines, uncoloured as bitcoin-cli prints when stdout is not a terminal. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

char *cli_getinfo_request(void)
{
    return strdup("[{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"getnetworkinfo\",\"params\":[]},"
                  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblockchaininfo\",\"params\":[]}]");
}

/* A value as UniValue's getValStr gives it: a string's text, a number's
 * JSON text (a double with bitcoind's 16 significant digits), "" for the
 * rest. */
static void val_str(const json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, cap, "%.16g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
    else
        out[0] = '\0';
}

static void print_key(FILE *out, const char *fmt_before, const json_t *obj, const char *key,
                      const char *after)
{
    char v[256];
    val_str(json_object_get(obj, key), v, sizeof v);
    fprintf(out, "%s%s%s", fmt_before, v, after);
}

/* GetProgressBar: 5% a block, filled then empty. */
static void progress_bar(FILE *out, double progress)
{
    if (progress < 0 || progress > 1) return;
    for (int i = 0; i < progress / 0.05; i++)
        fputs("\u2592", out);
    for (int i = 0; i < (1 - progress) / 0.05; i++)
        fputs("\u2591", out);
}

/* "Proxies:": each proxy once, in the order first seen, with the networks
 * that use it. */
static void print_proxies(FILE *out, const json_t *networks)
{
    size_t n = json_array_size(networks);
    bool any = false;
    fputs("Proxies: ", out);
    for (size_t i = 0; i < n; i++) {
        const char *proxy =
            json_string_value(json_object_get(json_array_get(networks, i), "proxy"));
        if (!proxy || !proxy[0]) continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *p =
                json_string_value(json_object_get(json_array_get(networks, j), "proxy"));
            seen = p && strcmp(p, proxy) == 0;
        }
        if (seen) continue;
        fprintf(out, "%s%s (", any ? ", " : "", proxy);
        any = true;
        bool first = true;
        for (size_t j = i; j < n; j++) {
            const json_t *nw = json_array_get(networks, j);
            const char *p = json_string_value(json_object_get(nw, "proxy"));
            if (!p || strcmp(p, proxy) != 0) continue;
            fprintf(out, "%s%s", first ? "" : ", ", json_string_value(json_object_get(nw, "name")));
            first = false;
        }
        fputc(')', out);
    }
    fputs(any ? "\n" : "n/a\n", out);
}

static void print_summary(FILE *out, const json_t *net, const json_t *chain)
{
    print_key(out, "Chain: ", chain, "chain", "\n");
    print_key(out, "Blocks: ", chain, "blocks", "\n");
    print_key(out, "Headers: ", chain, "headers", "\n");
    double progress = json_number_value(json_object_get(chain, "verificationprogress"));
    fputs("Verification progress: ", out);
    if (progress < 0.99) { /* the bar only while below 99% */
        progress_bar(out, progress);
        fputc(' ', out);
    }
    fprintf(out, "%.4f%%\n", progress * 100);
    print_key(out, "Difficulty: ", chain, "difficulty", "\n\n");
    print_key(out, "Network: in ", net, "connections_in", "");
    print_key(out, ", out ", net, "connections_out", "");
    print_key(out, ", total ", net, "connections", "\n");
    print_key(out, "Version: ", net, "version", "\n");
    print_key(out, "Time offset (s): ", net, "timeoffset", "\n");
    print_proxies(out, json_object_get(net, "networks"));
    /* an amount: bitcoind writes it with 8 decimals (ValueFromAmount) */
    fprintf(out, "Min tx relay fee rate (BTC/kvB): %.8f\n\n",
            json_number_value(json_object_get(net, "relayfee")));
    char warnings[1024];
    val_str(json_object_get(net, "warnings"), warnings, sizeof warnings);
    fprintf(out, "Warnings: %s\n", warnings[0] ? warnings : "(none)");
}

int cli_print_getinfo(int http_status, const char *body, size_t len, FILE *out, FILE *err)
{
    json_error_t jerr;
    json_t *batch = http_status == 200 ? json_loadb(body, len, 0, &jerr) : NULL;
    if (!json_is_array(batch)) {
        json_decref(batch);
        return cli_print_reply(http_status, body, len, out, err);
    }
    const json_t *replies[2] = {NULL, NULL};
    size_t i;
    json_t *rep;
    json_array_foreach(batch, i, rep)
    {
        json_int_t id = json_integer_value(json_object_get(rep, "id"));
        if (id == 0 || id == 1) replies[id] = rep;
    }
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        const json_t *e = replies[k] ? json_object_get(replies[k], "error") : NULL;
        if (!replies[k] || (e && !json_is_null(e)) ||
            !json_is_object(json_object_get(replies[k], "result"))) {
            /* bitcoin-cli passes an error of either call on as the reply */
            char *text = replies[k] ? json_dumps(replies[k], 0) : NULL;
            rc = text ? cli_print_reply(200, text, strlen(text), out, err) : 1;
            if (!text) fputs("error: the server's batch reply lacks a call\n", err);
            if (rc == 0) {
                fputs("error: the server's batch reply lacks a result\n", err);
                rc = 1;
            }
            free(text);
        }
    }
    if (rc == 0)
        print_summary(out, json_object_get(replies[0], "result"),
                      json_object_get(replies[1], "result"));
    json_decref(batch);
    return rc;
}
