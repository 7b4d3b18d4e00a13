/* GET /metrics: the families btcpeerd exposes, copied from the node's
 * views at scrape time, and the evhttp listener that serves them
 * (--metrics-bind). Only GET and HEAD of /metrics; anything else is a 404
 * or a 405. Scraping allocates one evbuffer per request; the counting
 * behind it allocates nothing (see peer_metrics.c). */
#include "rpc/metrics.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char *const directions[2] = {"outbound", "inbound"};
static const char *const transports[NODE_CENSUS_TRANSPORTS] = {"v1", "v2"};

const char *metrics_command_label(enum wire_type type)
{
    if (type == WIRE_UNKNOWN || (size_t)type >= WIRE_TYPE_COUNT) return "other";
    return wire_type_command(type);
}

static void render_peers(struct evbuffer *out, const struct metrics_view *v)
{
    prom_family(out, "btcpeerd_peers", "gauge",
                "Connected peers by direction, handshake state and transport.");
    for (size_t d = 0; d < 2; d++)
        for (size_t s = 0; s < NODE_CENSUS_STATES; s++)
            for (size_t t = 0; t < NODE_CENSUS_TRANSPORTS; t++) {
                struct prom_label l[] = {{"direction", directions[d]},
                                         {"state", node_census_state(s)},
                                         {"transport", transports[t]}};
                prom_sample_u64(out, "btcpeerd_peers", l, 3, v->census.n[d][s][t]);
            }
}

/* Core's connection types, in getpeerinfo's words, every one from the first
 * scrape. */
static void render_connections(struct evbuffer *out, const struct metrics_view *v)
{
    prom_family(out, "btcpeerd_peer_connections", "gauge",
                "Peer connections by type (getpeerinfo's connection_type), handshakes under way "
                "included.");
    for (size_t k = 0; k < NODE_CONN_TYPES; k++) {
        struct prom_label l[] = {{"connection_type", node_conn_type(k)}};
        prom_sample_u64(out, "btcpeerd_peer_connections", l, 1, v->conns.n[k]);
    }
}

/* One sample per known command and direction, zeros included, so every
 * series exists from the first scrape. */
static void render_by_command(struct evbuffer *out, const char *name, const char *help,
                              const uint64_t *in, const uint64_t *sent)
{
    prom_family(out, name, "counter", help);
    for (size_t d = 0; d < 2; d++)
        for (size_t i = 0; i < WIRE_TYPE_COUNT; i++) {
            struct prom_label l[] = {{"direction", d ? "out" : "in"},
                                     {"command", metrics_command_label((enum wire_type)i)}};
            prom_sample_u64(out, name, l, 2, d ? sent[i] : in[i]);
        }
}

static void render_traffic(struct evbuffer *out, const struct node_traffic *m)
{
    render_by_command(out, "btcpeerd_messages_total",
                      "P2P messages received (in) and sent (out) by command; unknown commands "
                      "count as \"other\".",
                      m->msgs_in, m->msgs_out);
    render_by_command(out, "btcpeerd_message_bytes_total",
                      "Bytes of P2P messages by command, framing included (v1 header, v2 "
                      "length, header and tag).",
                      m->bytes_in, m->bytes_out);
    prom_family(out, "btcpeerd_network_bytes_total", "counter",
                "Every byte read from and written to peer sockets, transport handshakes "
                "included.");
    struct prom_label in[] = {{"direction", "in"}}, sent[] = {{"direction", "out"}};
    prom_sample_u64(out, "btcpeerd_network_bytes_total", in, 1, m->net_bytes_in);
    prom_sample_u64(out, "btcpeerd_network_bytes_total", sent, 1, m->net_bytes_out);
}

static void render_disconnects(struct evbuffer *out, const struct node_traffic *m)
{
    prom_family(out, "btcpeerd_peer_disconnects_total", "counter",
                "Peer disconnections by reason (the reason= of the disconnect log line).");
    for (size_t r = 0; r < NODE_REASONS; r++) {
        struct prom_label l[] = {{"reason", node_reason_str(r)}};
        prom_sample_u64(out, "btcpeerd_peer_disconnects_total", l, 1, m->disconnects[r]);
    }
}

static void render_latency(struct evbuffer *out, const struct node_traffic *m)
{
    prom_family(out, "btcpeerd_peer_handshake_duration_seconds", "histogram",
                "Time from TCP connection (outbound) or accept (inbound) to a completed "
                "version/verack handshake.");
    prom_histogram(out, "btcpeerd_peer_handshake_duration_seconds", NULL, 0,
                   &m->handshake_seconds);
    prom_family(out, "btcpeerd_peer_ping_rtt_seconds", "histogram",
                "Round trip from our ping to its matching pong.");
    prom_histogram(out, "btcpeerd_peer_ping_rtt_seconds", NULL, 0, &m->ping_seconds);
}

static void render_node(struct evbuffer *out, const struct metrics_view *v)
{
    prom_family(out, "btcpeerd_header_height", "gauge",
                "Height of the best validated header chain.");
    prom_sample_u64(out, "btcpeerd_header_height", NULL, 0,
                    v->node.header_height > 0 ? (uint64_t)v->node.header_height : 0);
    prom_family(out, "btcpeerd_addrman_addresses", "gauge",
                "Addresses in the address manager's new and tried tables.");
    struct prom_label nl[] = {{"table", "new"}}, tl[] = {{"table", "tried"}};
    prom_sample_u64(out, "btcpeerd_addrman_addresses", nl, 1, v->node.addrman_new);
    prom_sample_u64(out, "btcpeerd_addrman_addresses", tl, 1, v->node.addrman_tried);
    prom_family(out, "btcpeerd_bans", "gauge", "Banned addresses and subnets in force.");
    prom_sample_u64(out, "btcpeerd_bans", NULL, 0, v->node.bans);
    prom_family(out, "btcpeerd_misbehaving_peers_total", "counter",
                "Peers disconnected for misbehaviour, by what became of their address: "
                "discouraged (in memory, never a ban), or local (never discouraged).");
    struct prom_label dl[] = {{"outcome", "discouraged"}}, ll[] = {{"outcome", "local"}};
    prom_sample_u64(out, "btcpeerd_misbehaving_peers_total", dl, 1, v->node.discouraged);
    prom_sample_u64(out, "btcpeerd_misbehaving_peers_total", ll, 1, v->node.misbehaving_local);
    prom_family(out, "btcpeerd_outbound_redial_held_total", "counter",
                "Outbound address selections passed over because the host failed less than "
                "--redial-backoff ago.");
    prom_sample_u64(out, "btcpeerd_outbound_redial_held_total", NULL, 0, v->node.redial_held);
    prom_family(out, "btcpeerd_stale_tips_total", "counter",
                "Stale-tip checks that found no new header for 3 block spacings (and no block "
                "download in flight): each allows one extra full-relay outbound peer.");
    prom_sample_u64(out, "btcpeerd_stale_tips_total", NULL, 0, v->node.stale_tips);
    prom_family(out, "btcpeerd_extra_peers_evicted_total", "counter",
                "Outbound peers evicted because an extra one was open: the full-relay peer with "
                "the oldest block announcement (stale tip), or a rotated block-relay-only peer.");
    struct prom_label fl[] = {{"kind", "outbound-full-relay"}}, bl[] = {{"kind", "block-relay-only"}};
    prom_sample_u64(out, "btcpeerd_extra_peers_evicted_total", fl, 1, v->node.extra_evicted_full);
    prom_sample_u64(out, "btcpeerd_extra_peers_evicted_total", bl, 1,
                    v->node.extra_evicted_block_relay);
}

static void render_broadcasts(struct evbuffer *out, const struct metrics_view *v)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"btcpeerd_broadcasts_submitted_total", "Transactions accepted by sendrawtransaction.",
         offsetof(struct node_stats, broadcast_submitted)},
        {"btcpeerd_broadcast_attempts_total", "Private-broadcast connections opened.",
         offsetof(struct node_stats, broadcast_attempts)},
        {"btcpeerd_broadcast_taken_total",
         "Private-broadcast connections whose peer asked for the transaction and got it.",
         offsetof(struct node_stats, broadcast_taken)},
        {"btcpeerd_broadcasts_propagated_total",
         "Broadcasts seen back from an ordinary peer (announced, or served on request).",
         offsetof(struct node_stats, broadcast_propagated)},
        {"btcpeerd_broadcasts_abandoned_total",
         "Broadcasts given up (expiry) or abandoned (abandonbroadcast).",
         offsetof(struct node_stats, broadcast_abandoned)},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        uint64_t value;
        memcpy(&value, (const char *)&v->node + counters[i].off, sizeof value);
        prom_family(out, counters[i].name, "counter", counters[i].help);
        prom_sample_u64(out, counters[i].name, NULL, 0, value);
    }
    prom_family(out, "btcpeerd_broadcasts_pending", "gauge",
                "Broadcasts not yet seen back, given up or abandoned.");
    prom_sample_u64(out, "btcpeerd_broadcasts_pending", NULL, 0, v->node.broadcast_pending);
}

static void render_process(struct evbuffer *out, const struct metrics_view *v)
{
    prom_family(out, "btcpeerd_build_info", "gauge", "Always 1; the version is the label.");
    struct prom_label ver[] = {{"version", BTCPEERD_VERSION_STRING}};
    prom_sample_u64(out, "btcpeerd_build_info", ver, 1, 1);
    prom_family(out, "process_start_time_seconds", "gauge",
                "Start time of the process since the Unix epoch in seconds.");
    prom_sample_double(out, "process_start_time_seconds", NULL, 0, v->start_time_s);
    prom_family(out, "btcpeerd_uptime_seconds", "gauge", "Seconds since the daemon started.");
    prom_sample_double(out, "btcpeerd_uptime_seconds", NULL, 0, v->uptime_s);
}

void metrics_render(struct evbuffer *out, const struct metrics_view *v)
{
    render_peers(out, v);
    render_connections(out, v);
    render_traffic(out, &v->traffic);
    render_disconnects(out, &v->traffic);
    render_latency(out, &v->traffic);
    render_node(out, v);
    render_broadcasts(out, v);
    render_process(out, v);
}

/* ---- the server ---- */

struct metrics_server {
    struct evhttp *http;
    struct node *node;
    struct metrics_start start;
    uint16_t port;
};

const char *metrics_err_str(enum metrics_err err)
{
    switch (err) {
    case METRICS_OK: return "ok";
    case METRICS_ERR_ADDRESS: return "bad address (HOST:PORT, numeric host)";
    case METRICS_ERR_BIND: return "cannot bind";
    case METRICS_ERR_NOMEM: return "out of memory";
    }
    return "unknown";
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
    struct metrics_server *s = arg;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(headers, "Allow", "GET, HEAD");
        evhttp_send_error(req, 405, "Method Not Allowed");
        return;
    }
    struct evbuffer *body = evbuffer_new();
    if (!body) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    struct metrics_view v;
    memset(&v, 0, sizeof v);
    node_traffic(s->node, &v.traffic);
    node_census(s->node, &v.census);
    node_conn_census(s->node, &v.conns);
    node_get_stats(s->node, &v.node);
    v.start_time_s = (double)s->start.unix_ms / 1000.0;
    v.uptime_s = (double)(clock_mono_us() - s->start.mono_us) / 1e6;
    metrics_render(body, &v);
    evhttp_add_header(headers, "Content-Type", CONTENT_TYPE);
    evhttp_send_reply(req, HTTP_OK, "OK", body); /* evhttp leaves the body out for HEAD */
    evbuffer_free(body);
}

static void on_other(struct evhttp_request *req, void *arg)
{
    (void)arg;
    evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

enum metrics_err metrics_server_new(struct event_base *base, struct node *node, const char *bind,
                                    const struct metrics_start *start, struct metrics_server **out)
{
    char host[256];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    /* Default 0 never wins: config checked that a port was given. */
    if (!hostport_parse(bind, host, sizeof host, &port, 0) ||
        !hostport_numeric(host, port, &ss, &len))
        return METRICS_ERR_ADDRESS;
    struct metrics_server *s = calloc(1, sizeof *s);
    if (!s) return METRICS_ERR_NOMEM;
    s->node = node;
    s->start = *start;
    s->http = evhttp_new(base);
    if (!s->http) {
        free(s);
        return METRICS_ERR_NOMEM;
    }
    /* A scrape is a short GET: small limits, and idle connections closed. */
    evhttp_set_timeout(s->http, 30);
    evhttp_set_max_headers_size(s->http, 8192);
    evhttp_set_max_body_size(s->http, 1024);
    evhttp_set_cb(s->http, "/metrics", on_metrics, s);
    evhttp_set_gencb(s->http, on_other, s);

    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (ss.ss_family == AF_INET6) flags |= LEV_OPT_BIND_IPV6ONLY;
    struct evconnlistener *lev =
        evconnlistener_new_bind(base, NULL, NULL, flags, 16, (struct sockaddr *)&ss, (int)len);
    if (!lev || !evhttp_bind_listener(s->http, lev)) {
        if (lev) evconnlistener_free(lev);
        evhttp_free(s->http);
        free(s);
        return METRICS_ERR_BIND;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&bound, &blen) == 0) {
        char addr[64];
        hostport_format((struct sockaddr *)&bound, addr, sizeof addr);
        s->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                   : ((struct sockaddr_in6 *)&bound)->sin6_port);
        log_info(LOG_CAT_RPC, "metrics served at http://%s/metrics", addr);
    }
    *out = s;
    return METRICS_OK;
}

uint16_t metrics_server_port(const struct metrics_server *s)
{
    return s->port;
}

void metrics_server_free(struct metrics_server *s)
{
    if (!s) return;
    evhttp_free(s->http);
    free(s);
}
