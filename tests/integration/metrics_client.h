/* A small client for the daemon's Prometheus endpoint in integration tests:
 * one HTTP request through libevent's evhttp, the port the daemon logged
 * for --metrics-bind=127.0.0.1:0, and one sample's value out of the text.
 * Every wait has a deadline (BTCPEERD_TEST_WAIT_MS overrides it). */
#ifndef BTCPEERD_METRICS_CLIENT_H
#define BTCPEERD_METRICS_CLIENT_H

#include "harness.h"

#include <event2/http.h>

#include <stddef.h>
#include <stdint.h>

struct http_result {
    int status; /* 0: no answer */
    char *body; /* NUL-terminated; the caller frees */
    size_t len;
    char content_type[128];
    struct event_base *base;
};

/* The deadline for each wait, in ms (20000 unless BTCPEERD_TEST_WAIT_MS). */
unsigned metrics_wait_ms(void);
/* One request to 127.0.0.1:port. */
struct http_result metrics_http_request(uint16_t port, enum evhttp_cmd_type cmd, const char *path);
/* GET /metrics: 200 with the exposition content type, else the test fails. */
char *metrics_scrape(uint16_t port);
/* The value of the sample whose name and labels are exactly series; fails
 * the test if there is none. */
double metrics_value(const char *text, const char *series);
/* Scrape until series reaches at least min, or the deadline passes. */
char *metrics_scrape_until(uint16_t port, const char *series, double min);
/* The port of "metrics served at http://127.0.0.1:PORT/metrics". */
uint16_t metrics_port(struct daemon_proc *d);

#endif
