/* The operator's metrics: GET /metrics in the Prometheus text exposition
 * format (version 0.0.4), on its own evhttp listener (--metrics-bind),
 * separate from JSON-RPC so it can be exposed to a scraper without exposing
 * the control port.
 *
 * The counters live where things happen (the peer table's, the node's
 * gauges); at scrape time the node hands copies of them over (node/view.h)
 * and this file formats them. The prom_* calls are the format's building
 * blocks, public so the unit tests pin them one by one. */
#ifndef BTCPEERD_RPC_METRICS_H
#define BTCPEERD_RPC_METRICS_H

#include "node/view.h"

#include <btcpeerd/histogram.h>

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct event_base;

/* ---- the text format ---- */

struct prom_label {
    const char *name;
    const char *value; /* escaped on output */
};

/* A label value with \ " and newline escaped (\\ \" \n). */
void prom_escape_label_value(struct evbuffer *out, const char *value);
/* "# HELP name text" (\ and newline escaped) and "# TYPE name type". */
void prom_family(struct evbuffer *out, const char *name, const char *type, const char *help);
/* name{labels} value, the value as an integer. */
void prom_sample_u64(struct evbuffer *out, const char *name, const struct prom_label *labels,
                     size_t n_labels, uint64_t value);
/* The same with a float: shortest text that reads back exactly; +Inf, -Inf, NaN. */
void prom_sample_double(struct evbuffer *out, const char *name, const struct prom_label *labels,
                        size_t n_labels, double value);
/* name_bucket{labels,le="..."} cumulative counts (the last le="+Inf"),
 * name_sum and name_count. */
void prom_histogram(struct evbuffer *out, const char *name, const struct prom_label *labels,
                    size_t n_labels, const struct histogram *h);

/* ---- what a scrape shows ---- */

struct metrics_view {
    struct node_traffic traffic;
    struct node_census census;
    struct node_conn_census conns;
    struct node_stats node;
    double start_time_s; /* unix seconds, fractions included */
    double uptime_s;
};

/* Every family, in a fixed order, each with HELP and TYPE. */
void metrics_render(struct evbuffer *out, const struct metrics_view *v);
/* The command label of a message type: its command, "other" for
 * WIRE_UNKNOWN (so a peer inventing commands cannot grow the label set). */
const char *metrics_command_label(enum wire_type type);

/* ---- the HTTP endpoint ---- */

enum metrics_err { METRICS_OK = 0, METRICS_ERR_ADDRESS, METRICS_ERR_BIND, METRICS_ERR_NOMEM };
const char *metrics_err_str(enum metrics_err err);

/* When the daemon started, for process_start_time_seconds and uptime. */
struct metrics_start {
    int64_t unix_ms;
    uint64_t mono_us;
};

struct metrics_server;

/* Listen on bind ("HOST:PORT", numeric host, port 0 picks a free one; the
 * bound address is logged as "metrics served at http://HOST:PORT/metrics"). */
enum metrics_err metrics_server_new(struct event_base *base, struct node *node, const char *bind,
                                    const struct metrics_start *start, struct metrics_server **out);
uint16_t metrics_server_port(const struct metrics_server *s);
/* Closes the listener and any scrape in progress. */
void metrics_server_free(struct metrics_server *s);

#endif
