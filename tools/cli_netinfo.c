/* btcpeerd-cli -netinfo [level [outonly]] | help: bitcoin-cli v29's peer
 * dashboard (NetinfoRequestHandler in its bitcoin-cli.cpp): one batch of
 * getpeerinfo and getnetworkinfo, printed in the same columns: with a level
 * of 1 to 4, the peers (inbound first, then by minimum ping), then the peer
 * counts per reachable network, then the local addresses. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NETINFO_MAX_LEVEL 4
/* bitcoin-cli's networks and their short names; the first and last are
 * shown only when a peer uses them (they are never "reachable"). */
static const char *const networks[] = {
    "not_publicly_routable", "ipv4", "ipv6", "onion", "i2p", "cjdns", "internal"};
static const char *const short_names[] = {"npr", "ipv4", "ipv6", "onion", "i2p", "cjdns", "int"};
#define N_NETS (sizeof networks / sizeof networks[0])

enum cli_err cli_netinfo_args(char *const *args, size_t n, struct cli_netinfo *ni, char *msg,
                              size_t msg_len)
{
    memset(ni, 0, sizeof *ni);
    if (n == 0) return CLI_OK;
    if (strcmp(args[0], "help") == 0 || strcmp(args[0], "h") == 0) {
        ni->help = true;
        return CLI_OK;
    }
    char *end;
    unsigned long level = strtoul(args[0], &end, 10);
    if (!args[0][0] || *end || args[0][0] == '-' || args[0][0] == '+' || level > 255) {
        snprintf(msg, msg_len,
                 "invalid -netinfo level argument: %s\nFor more information, run: btcpeerd-cli "
                 "-netinfo help",
                 args[0]);
        return CLI_ERR_PARAM;
    }
    ni->level = level > NETINFO_MAX_LEVEL ? NETINFO_MAX_LEVEL : (unsigned)level;
    if (n > 1) {
        if (level && (strcmp(args[1], "o") == 0 || strcmp(args[1], "outonly") == 0)) {
            ni->outonly = true;
        } else {
            snprintf(msg, msg_len,
                     "invalid -netinfo outonly argument: %s\n%sFor more information, run: "
                     "btcpeerd-cli -netinfo help",
                     args[1],
                     level ? ""
                           : "The outonly argument is only valid for a level greater than 0 (the "
                             "first argument). ");
            return CLI_ERR_PARAM;
        }
    }
    return CLI_OK;
}

char *cli_netinfo_request(void)
{
    return strdup("[{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"getpeerinfo\",\"params\":[]},"
                  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getnetworkinfo\",\"params\":[]}]");
}

void cli_netinfo_help(FILE *out)
{
    fprintf(
        out,
        "-netinfo (level [outonly]) | help\n\n"
        "A dashboard of the node's peer connections, as bitcoin-cli -netinfo shows a bitcoind's,\n"
        "from one batch of getpeerinfo and getnetworkinfo. Meant for people, not scripts.\n\n"
        "Arguments:\n"
        "1. level (integer 0-%d, optional)  What to show (default 0; above %d up to 255 means "
        "%d):\n"
        "                                  0 - peer counts per reachable network, block relay and "
        "manual\n"
        "                                      peers, and the local addresses\n"
        "                                  1 - like 0, after a list of the peers\n"
        "                                  2 - like 1, with an address column\n"
        "                                  3 - like 1, with a version column\n"
        "                                  4 - like 1, with both\n"
        "2. outonly (\"outonly\" or \"o\", optional)  List outbound peers only (with a level above "
        "0)\n\n"
        "help (\"help\" or \"h\")  This text.\n\n"
        "Columns of the peers list: <-> direction, type (full, block, manual, feeler, addr), net,\n"
        "serv (services: n w c l 2 ...), v (transport version), mping and ping (ms), send and\n"
        "recv (s since), txn and blk (min since; \"*\": no transaction relay), hb (BIP152\n"
        "high-bandwidth: \".\" to, \"*\" from), addrp and addrl (addresses processed and rate\n"
        "limited; \".\": no address relay), age (min), id, address, version.\n",
        NETINFO_MAX_LEVEL, NETINFO_MAX_LEVEL, NETINFO_MAX_LEVEL);
}

struct peer_row {
    const char *addr, *subver, *conn_type, *net, *transport;
    char services[32], age[24];
    double min_ping, ping;
    int64_t addr_processed, addr_rate_limited, last_block, last_recv, last_send, last_tx;
    int64_t id, version, mapped_as;
    bool addr_relay, hb_from, hb_to, outbound, tx_relay;
};

static int net_index(const char *name)
{
    for (size_t i = 0; name && i < N_NETS; i++)
        if (strcmp(name, networks[i]) == 0) return (int)i;
    return -1;
}

static const char *type_short(const char *t)
{
    if (strcmp(t, "outbound-full-relay") == 0) return "full";
    if (strcmp(t, "block-relay-only") == 0) return "block";
    if (strcmp(t, "manual") == 0 || strcmp(t, "feeler") == 0) return t;
    if (strcmp(t, "addr-fetch") == 0) return "addr";
    if (strcmp(t, "private-broadcast") == 0) return "priv"; /* four letters, as the others */
    return "";
}

/* FormatServices: a letter a service (its first, lower case; l and 2 for
 * NETWORK_LIMITED and P2P_V2). */
static void services_letters(const json_t *names, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(names) && n + 1 < cap; i++) {
        const char *s = json_string_value(json_array_get(names, i));
        if (!s || !s[0]) continue;
        char ch = strcmp(s, "NETWORK_LIMITED") == 0 ? 'l' : strcmp(s, "P2P_V2") == 0 ? '2' : s[0];
        out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    out[n] = '\0';
}

static int64_t int_or(const json_t *v, int64_t def)
{
    return json_is_number(v) ? (int64_t)json_number_value(v) : def;
}

static int by_direction_then_ping(const void *a, const void *b)
{
    const struct peer_row *x = a, *y = b;
    if (x->outbound != y->outbound) return x->outbound ? 1 : -1;
    if (x->min_ping != y->min_ping) return x->min_ping < y->min_ping ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id; /* a fixed order for ties */
}

/* PingTimeToString: whole milliseconds, "-" beyond 999999, "" for none. */
static void ping_str(double s, char out[16])
{
    if (s < 0) {
        out[0] = '\0';
        return;
    }
    double ms = round(1000 * s);
    if (ms > 999999)
        snprintf(out, 16, "-");
    else
        snprintf(out, 16, "%.0f", ms);
}

static void since(int64_t now, int64_t t, int64_t div, const char *none, char out[24])
{
    if (t)
        snprintf(out, 24, "%lld", (long long)((now - t) / div));
    else
        snprintf(out, 24, "%s", none);
}

/* A count, or the given text for zero. */
static void count_or(int64_t v, const char *none, char out[24])
{
    if (v)
        snprintf(out, 24, "%lld", (long long)v);
    else
        snprintf(out, 24, "%s", none);
}

static size_t digits(int64_t v)
{
    char b[24];
    return (size_t)snprintf(b, sizeof b, "%lld", (long long)v);
}

static void print_peers(FILE *out, struct peer_row *p, size_t n, const struct cli_netinfo *ni,
                        int64_t now)
{
    bool show_addr = ni->level == 2 || ni->level == 4,
         show_version = ni->level == 3 || ni->level == 4;
    size_t w_addr = 0, w_addrp = 5, w_addrl = 6, w_age = 5, w_id = 2, w_serv = 6;
    bool asmap = false;
    for (size_t i = 0; i < n; i++) {
        size_t a = strlen(p[i].addr) + 1, s = strlen(p[i].services), g = strlen(p[i].age);
        w_addr = a > w_addr ? a : w_addr;
        w_addrp = digits(p[i].addr_processed) > w_addrp ? digits(p[i].addr_processed) : w_addrp;
        w_addrl =
            digits(p[i].addr_rate_limited) > w_addrl ? digits(p[i].addr_rate_limited) : w_addrl;
        w_age = g > w_age ? g : w_age;
        w_id = digits(p[i].id) > w_id ? digits(p[i].id) : w_id;
        w_serv = s > w_serv ? s : w_serv;
        asmap |= p[i].mapped_as != 0;
    }
    qsort(p, n, sizeof *p, by_direction_then_ping);
    fprintf(out, "<->   type   net %*s  v  mping   ping send recv  txn  blk  hb %*s%*s%*s ",
            (int)w_serv, "serv", (int)w_addrp, "addrp", (int)w_addrl, "addrl", (int)w_age, "age");
    if (asmap) fputs(" asmap ", out);
    fprintf(out, "%*s %-*s%s\n", (int)w_id, "id", show_addr ? (int)w_addr : 0,
            show_addr ? "address" : "", show_version ? "version" : "");
    for (size_t i = 0; i < n; i++) {
        const struct peer_row *r = &p[i];
        char mping[16], ping[16], send[24], recv[24], txn[24], blk[24], addrp[24], addrl[24],
            as[24];
        char v[3] = " ", hb[3], version[320];
        ping_str(r->min_ping, mping);
        ping_str(r->ping, ping);
        since(now, r->last_send, 1, "", send);
        since(now, r->last_recv, 1, "", recv);
        since(now, r->last_tx, 60, r->tx_relay ? "" : "*", txn);
        since(now, r->last_block, 60, "", blk);
        if (strlen(r->transport) == 2 && r->transport[0] == 'v') v[0] = r->transport[1];
        snprintf(hb, sizeof hb, "%s%s", r->hb_to ? "." : " ", r->hb_from ? "*" : " ");
        count_or(r->addr_processed, r->addr_relay ? "" : ".", addrp);
        count_or(r->addr_rate_limited, "", addrl);
        count_or(asmap ? r->mapped_as : 0, "", as);
        snprintf(version, sizeof version, "%lld%s", (long long)r->version, r->subver);
        fprintf(out, "%3s %6s %5s %*s %2s%7s%7s%5s%5s%5s%5s  %2s %*s%*s%*s%*s %*lld %-*s%s\n",
                r->outbound ? "out" : "in", type_short(r->conn_type), r->net, (int)w_serv,
                r->services, v, mping, ping, send, recv, txn, blk, hb, (int)w_addrp, addrp,
                (int)w_addrl, addrl, (int)w_age, r->age, asmap ? 7 : 0, as, (int)w_id,
                (long long)r->id, show_addr ? (int)w_addr : 0, show_addr ? r->addr : "",
                show_version && strcmp(version, "0") != 0 ? version : "");
    }
    fprintf(out, "                %*s         ms     ms  sec  sec  min  min                %*s\n\n",
            (int)w_serv, "", (int)w_age, "min");
}

static void print_counts(FILE *out, const json_t *net, size_t counts[3][N_NETS + 1], size_t block,
                         size_t manual)
{
    int cols[N_NETS + 2];
    size_t n_cols = 0;
    fputs("     ", out);
    size_t i;
    json_t *nw;
    json_array_foreach(json_object_get(net, "networks"), i, nw)
    {
        int id = net_index(json_string_value(json_object_get(nw, "name")));
        if (!json_is_true(json_object_get(nw, "reachable")) || id < 0 || n_cols >= N_NETS) continue;
        fprintf(out, "%8s", networks[id]);
        cols[n_cols++] = id;
    }
    static const int unreachable[] = {0, 6};
    for (size_t k = 0; k < 2; k++) {
        if (!counts[2][unreachable[k]]) continue;
        fprintf(out, "%8s", short_names[unreachable[k]]);
        cols[n_cols++] = unreachable[k];
    }
    fputs("   total   block", out);
    if (manual) fputs("  manual", out);
    static const char *const rows[] = {"in", "out", "total"};
    for (size_t r = 0; r < 3; r++) {
        fprintf(out, "\n%-5s", rows[r]);
        for (size_t c = 0; c < n_cols; c++)
            fprintf(out, "%8zu", counts[r][cols[c]]);
        fprintf(out, "   %5zu", counts[r][N_NETS]);
        if (r == 1) {
            fprintf(out, "   %5zu", block);
            if (manual) fprintf(out, "   %5zu", manual);
        }
    }
    fputs("\n\nLocal addresses", out);
    const json_t *local = json_object_get(net, "localaddresses");
    if (json_array_size(local) == 0) {
        fputs(": n/a\n", out);
    } else {
        size_t w = 0;
        json_t *a;
        json_array_foreach(local, i, a)
        {
            const char *s = json_string_value(json_object_get(a, "address"));
            if (s && strlen(s) + 1 > w) w = strlen(s) + 1;
        }
        json_array_foreach(local, i, a)
        {
            const char *s = json_string_value(json_object_get(a, "address"));
            fprintf(out, "\n%-*s    port %6lld    score %6lld", (int)w, s ? s : "",
                    (long long)int_or(json_object_get(a, "port"), 0),
                    (long long)int_or(json_object_get(a, "score"), 0));
        }
    }
    fputc('\n', out); /* bitcoin-cli ends what it prints with a newline */
}

/* The batch's two results, or an error printed as bitcoin-cli prints the
 * failed call's (its exit status in *rc). */
static bool take_results(json_t *batch, const json_t **peers, const json_t **net, FILE *out,
                         FILE *err, int *rc)
{
    const json_t *rep[2] = {NULL, NULL};
    size_t i;
    json_t *r;
    json_array_foreach(batch, i, r)
    {
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        if (id == 0 || id == 1) rep[id] = r;
    }
    for (int k = 0; k < 2; k++) {
        const json_t *e = rep[k] ? json_object_get(rep[k], "error") : NULL;
        if (rep[k] && (!e || json_is_null(e))) continue;
        char *text = rep[k] ? json_dumps(rep[k], 0) : NULL;
        *rc = text ? cli_print_reply(200, text, strlen(text), out, err) : 1;
        if (!text || *rc == 0) {
            fputs("error: the server's batch reply lacks a call\n", err);
            *rc = 1;
        }
        free(text);
        return false;
    }
    *peers = json_object_get(rep[0], "result");
    *net = json_object_get(rep[1], "result");
    if (!json_is_array(*peers) || !json_is_object(*net)) {
        fputs("error: the server's batch reply lacks a result\n", err);
        *rc = 1;
        return false;
    }
    return true;
}

int cli_print_netinfo(int http_status, const char *body, size_t len, const struct cli_netinfo *ni,
                      const char *chain_suffix, int64_t now, FILE *out, FILE *err)
{
    json_error_t jerr;
    json_t *batch = http_status == 200 ? json_loadb(body, len, 0, &jerr) : NULL;
    if (!json_is_array(batch)) {
        json_decref(batch);
        return cli_print_reply(http_status, body, len, out, err);
    }
    const json_t *peers, *net;
    int rc = 0;
    if (!take_results(batch, &peers, &net, out, err, &rc)) {
        json_decref(batch);
        return rc;
    }
    if (int_or(json_object_get(net, "version"), 0) < 209900) {
        fputs("error: -netinfo requires bitcoind server to be running v0.21.0 and up\n", err);
        json_decref(batch);
        return 1;
    }
    size_t counts[3][N_NETS + 1] = {{0}}, block = 0, manual = 0, n_rows = 0;
    struct peer_row *rows = calloc(json_array_size(peers) + 1, sizeof *rows);
    if (!rows) {
        fputs("error: out of memory\n", err);
        json_decref(batch);
        return 1;
    }
    size_t i;
    json_t *p;
    json_array_foreach(peers, i, p)
    {
        int id = net_index(json_string_value(json_object_get(p, "network")));
        if (id < 0) continue;
        bool outbound = !json_is_true(json_object_get(p, "inbound"));
        const char *type = json_string_value(json_object_get(p, "connection_type"));
        counts[outbound][id]++;
        counts[outbound][N_NETS]++;
        counts[2][id]++;
        counts[2][N_NETS]++;
        if (type && strcmp(type, "block-relay-only") == 0) block++;
        if (type && strcmp(type, "manual") == 0) manual++;
        if ((ni->outonly && !outbound) || ni->level == 0) continue;
        struct peer_row *r = &rows[n_rows++];
        const json_t *relay = json_object_get(p, "relaytxes"),
                     *transport = json_object_get(p, "transport_protocol_type");
        r->addr = json_string_value(json_object_get(p, "addr"));
        r->subver = json_string_value(json_object_get(p, "subver"));
        r->conn_type = type ? type : "";
        r->net = short_names[id];
        r->transport = json_is_string(transport) ? json_string_value(transport) : "v1";
        if (!r->addr) r->addr = "";
        if (!r->subver) r->subver = "";
        services_letters(json_object_get(p, "servicesnames"), r->services, sizeof r->services);
        int64_t conn = int_or(json_object_get(p, "conntime"), 0);
        since(now, conn, 60, "", r->age);
        r->min_ping = json_is_number(json_object_get(p, "minping"))
                          ? json_number_value(json_object_get(p, "minping"))
                          : -1;
        r->ping = json_is_number(json_object_get(p, "pingtime"))
                      ? json_number_value(json_object_get(p, "pingtime"))
                      : -1;
        r->addr_processed = int_or(json_object_get(p, "addr_processed"), 0);
        r->addr_rate_limited = int_or(json_object_get(p, "addr_rate_limited"), 0);
        r->last_block = int_or(json_object_get(p, "last_block"), 0);
        r->last_recv = int_or(json_object_get(p, "lastrecv"), 0);
        r->last_send = int_or(json_object_get(p, "lastsend"), 0);
        r->last_tx = int_or(json_object_get(p, "last_transaction"), 0);
        r->id = int_or(json_object_get(p, "id"), 0);
        r->version = int_or(json_object_get(p, "version"), 0);
        r->mapped_as = int_or(json_object_get(p, "mapped_as"), 0);
        r->addr_relay = json_is_true(json_object_get(p, "addr_relay_enabled"));
        r->hb_from = json_is_true(json_object_get(p, "bip152_hb_from"));
        r->hb_to = json_is_true(json_object_get(p, "bip152_hb_to"));
        r->outbound = outbound;
        r->tx_relay = json_is_boolean(relay) ? json_is_true(relay) : true;
    }
    const char *subversion = json_string_value(json_object_get(net, "subversion"));
    fprintf(out, "btcpeerd-cli client v%s%s - server %lld%s\n\n", BTCPEERD_VERSION_STRING,
            chain_suffix, (long long)int_or(json_object_get(net, "protocolversion"), 0),
            subversion ? subversion : "");
    if (ni->level > 0 && n_rows > 0) print_peers(out, rows, n_rows, ni, now);
    print_counts(out, net, counts, block, manual);
    free(rows);
    json_decref(batch);
    return 0;
}
