/* The Prometheus endpoint from the test's side (metrics_client.h). */
#include "metrics_client.h"

#include "testutil.h"

#include <btcpeerd/clock.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned metrics_wait_ms(void)
{
    const char *w = getenv("BTCPEERD_TEST_WAIT_MS");
    return w && atoi(w) > 0 ? (unsigned)atoi(w) : 20000u; /* a hang guard: a loaded machine must not trip it */
}

static void on_response(struct evhttp_request *req, void *arg)
{
    struct http_result *r = arg;
    /* Done: do not wait for the kept-alive connection to time out. */
    event_base_loopbreak(r->base);
    if (!req) return;
    r->status = evhttp_request_get_response_code(req);
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (ct) snprintf(r->content_type, sizeof r->content_type, "%s", ct);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    r->len = evbuffer_get_length(in);
    r->body = malloc(r->len + 1);
    if (!r->body) return;
    evbuffer_remove(in, r->body, r->len);
    r->body[r->len] = '\0';
}

struct http_result metrics_http_request(uint16_t port, enum evhttp_cmd_type cmd, const char *path)
{
    struct http_result r = {0};
    struct event_base *base = event_base_new();
    assert_non_null(base);
    r.base = base;
    struct evhttp_connection *conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
    assert_non_null(conn);
    unsigned ms = metrics_wait_ms();
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(conn, &tv);
    struct evhttp_request *req = evhttp_request_new(on_response, &r);
    assert_non_null(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
    assert_int_equal(evhttp_make_request(conn, req, cmd, path), 0);
    event_base_dispatch(base);
    evhttp_connection_free(conn);
    event_base_free(base);
    if (!r.body) r.body = calloc(1, 1);
    return r;
}

char *metrics_scrape(uint16_t port)
{
    struct http_result r = metrics_http_request(port, EVHTTP_REQ_GET, "/metrics");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
}

double metrics_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; (p = strstr(p, series)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == ' ') return strtod(p + n + 1, NULL);
    fail_msg("no series %s in:\n%s", series, text);
    return -1;
}

char *metrics_scrape_until(uint16_t port, const char *series, double min)
{
    uint64_t deadline = clock_mono_ms() + metrics_wait_ms();
    for (;;) {
        char *text = metrics_scrape(port);
        if (metrics_value(text, series) >= min || clock_mono_ms() > deadline) return text;
        free(text);
        poll(NULL, 0, 10); /* a polling interval, not a wait for anything */
    }
}

uint16_t metrics_port(struct daemon_proc *d)
{
    static const char needle[] = "metrics served at http://127.0.0.1:";
    if (!daemon_wait_log(d, needle, metrics_wait_ms())) fail_msg("no metrics line in:\n%s", d->log);
    return (uint16_t)atoi(strstr(d->log, needle) + sizeof needle - 1);
}
