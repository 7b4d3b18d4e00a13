/* GET /metrics against the real daemon: a regtest btcpeerd with
 * --metrics-bind=127.0.0.1:0, a scripted v1 peer that handshakes, pings and
 * answers the daemon's ping, then the scraped values (peer census, message
 * counts, the handshake and ping histograms, disconnect reasons), the HTTP
 * surface (404, 405, HEAD), and the whole text through `promtool check
 * metrics` (skipped with a message when promtool is not installed). Every
 * wait has a deadline (BTCPEERD_TEST_WAIT_MS overrides it). */
#include "harness.h"
#include "metrics_client.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <event2/http.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- promtool ---- */

static bool have_promtool(void)
{
    return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* promtool's verdict on text; its output goes to the test log on failure. */
static void promtool_accepts(const char *text)
{
    char path[] = "/tmp/btcpeerd-metrics-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    char cmd[256], out[4096] = "";
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    unlink(path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("promtool rejects the metrics (status %d):\n%s\n--- text ---\n%s", status, out, text);
}

/* ---- tests ---- */

#define SERIES_PEERS_IN_V1 "btcpeerd_peers{direction=\"inbound\",state=\"connected\",transport=\"v1\"}"
#define MSG(dir, cmd) "btcpeerd_messages_total{direction=\"" dir "\",command=\"" cmd "\"}"

static void test_scrape_after_handshake_and_pings(void **state)
{
    (void)state;
    struct daemon_proc d;
    /* The daemon pings a peer silent for 0.3 s; its RTT lands in the histogram. */
    const char *extra[] = {"--metrics-bind=127.0.0.1:0", "--ping-interval=0.3", NULL};
    uint16_t port = daemon_start_listening(&d, extra);
    assert_true(port != 0);
    uint16_t mport = metrics_port(&d);
    assert_true(mport != 0 && mport != port);

    char *text = metrics_scrape(mport);
    assert_true(metrics_value(text, SERIES_PEERS_IN_V1) == 0);
    assert_true(metrics_value(text, "btcpeerd_peer_handshake_duration_seconds_count") == 0);
    free(text);

    struct sp s;
    assert_true(sp_connect(&s, port, netparams_get(NET_REGTEST)->magic));
    assert_true(sp_handshake(&s, true, NULL, metrics_wait_ms()));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 0x1122334455667788ull};
    assert_true(sp_send(&s, &ping));
    assert_true(sp_expect(&s, WIRE_PONG, NULL, metrics_wait_ms()));
    struct wire_msg theirs;
    assert_true(sp_expect(&s, WIRE_PING, &theirs, metrics_wait_ms()));
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping = theirs.u.ping};
    assert_true(sp_send(&s, &pong));

    text = metrics_scrape_until(mport, "btcpeerd_peer_ping_rtt_seconds_count", 1);
    assert_true(metrics_value(text, SERIES_PEERS_IN_V1) == 1);
    assert_true(metrics_value(
                    text, "btcpeerd_peers{direction=\"outbound\",state=\"connected\",transport=\"v1\"}") == 0);
    assert_true(metrics_value(
                    text, "btcpeerd_peers{direction=\"inbound\",state=\"none\",transport=\"v1\"}") == 0);
    assert_true(metrics_value(text, MSG("in", "version")) == 1);
    assert_true(metrics_value(text, MSG("in", "verack")) == 1);
    assert_true(metrics_value(text, MSG("in", "ping")) == 1);
    assert_true(metrics_value(text, MSG("in", "pong")) == 1);
    assert_true(metrics_value(text, MSG("out", "version")) == 1);
    assert_true(metrics_value(text, MSG("out", "verack")) == 1);
    assert_true(metrics_value(text, MSG("out", "pong")) == 1);
    assert_true(metrics_value(text, MSG("out", "ping")) >= 1);
    /* a v1 ping is a 24-byte header and an 8-byte nonce */
    assert_true(metrics_value(text, "btcpeerd_message_bytes_total{direction=\"in\",command=\"ping\"}") == 32);
    assert_true(metrics_value(text, "btcpeerd_network_bytes_total{direction=\"in\"}") > 32);
    assert_true(metrics_value(text, "btcpeerd_peer_handshake_duration_seconds_count") == 1);
    assert_true(metrics_value(text, "btcpeerd_peer_handshake_duration_seconds_bucket{le=\"+Inf\"}") == 1);
    assert_true(metrics_value(text, "btcpeerd_peer_handshake_duration_seconds_sum") > 0);
    assert_true(metrics_value(text, "btcpeerd_peer_ping_rtt_seconds_count") >= 1);
    assert_true(metrics_value(text, "btcpeerd_header_height") == 0);
    assert_true(metrics_value(text, "btcpeerd_bans") == 0);
    assert_true(metrics_value(text, "btcpeerd_uptime_seconds") > 0);
    assert_true(metrics_value(text, "process_start_time_seconds") > 1.5e9);

    if (have_promtool())
        promtool_accepts(text);
    else
        test_partial_skip("promtool check: promtool not installed (scripts/deps.sh --test "
                          "installs the prometheus package)");
    free(text);

    /* The peer leaves: the census empties and the logged reason is counted
     * (eof, or io-error when a ping was still unread and the close sent a
     * reset). */
    sp_close(&s);
    assert_true(daemon_wait_log(&d, "disconnected", metrics_wait_ms()));
    char reason[32] = "", series[96];
    assert_true(sscanf(strstr(strstr(d.log, "disconnected"), "reason=") + 7, "%31[a-z0-9-]",
                       reason) == 1);
    snprintf(series, sizeof series, "btcpeerd_peer_disconnects_total{reason=\"%s\"}", reason);
    text = metrics_scrape_until(mport, series, 1);
    assert_true(metrics_value(text, series) == 1);
    assert_true(metrics_value(text, SERIES_PEERS_IN_V1) == 0);
    free(text);

    assert_int_equal(daemon_stop(&d, SIGTERM, metrics_wait_ms()), 0);
    daemon_cleanup(&d);
}

/* Two daemons speak BIP324 to each other: each census says v2, and the
 * v2 framing is what the message bytes count. */
static void test_v2_peers_in_the_census(void **state)
{
    (void)state;
    struct daemon_proc server, client;
    const char *extra[] = {"--metrics-bind=127.0.0.1:0", NULL};
    uint16_t port = daemon_start_listening(&server, extra);
    assert_true(port != 0);
    uint16_t mport = metrics_port(&server);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *cargs[] = {"--network=regtest", connect, "--metrics-bind=127.0.0.1:0", NULL};
    assert_true(daemon_start(&client, cargs));
    uint16_t cport = metrics_port(&client);

    const char *in_v2 = "btcpeerd_peers{direction=\"inbound\",state=\"connected\",transport=\"v2\"}";
    const char *out_v2 = "btcpeerd_peers{direction=\"outbound\",state=\"connected\",transport=\"v2\"}";
    char *text = metrics_scrape_until(mport, in_v2, 1);
    assert_true(metrics_value(text, in_v2) == 1);
    /* a v2 verack: 3-byte length, header byte, 1+12-byte id (verack has no
     * short id), empty payload, 16-byte tag */
    assert_true(
        metrics_value(text, "btcpeerd_message_bytes_total{direction=\"in\",command=\"verack\"}") == 33);
    free(text);
    text = metrics_scrape_until(cport, out_v2, 1);
    assert_true(metrics_value(text, out_v2) == 1);
    assert_true(metrics_value(text, "btcpeerd_peer_handshake_duration_seconds_count") == 1);
    free(text);

    assert_int_equal(daemon_stop(&client, SIGTERM, metrics_wait_ms()), 0);
    daemon_cleanup(&client);
    assert_int_equal(daemon_stop(&server, SIGTERM, metrics_wait_ms()), 0);
    daemon_cleanup(&server);
}

static void test_only_get_and_head_of_metrics(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--metrics-bind=127.0.0.1:0", NULL};
    assert_true(daemon_start_listening(&d, extra) != 0);
    uint16_t mport = metrics_port(&d);

    struct http_result r = metrics_http_request(mport, EVHTTP_REQ_GET, "/");
    assert_int_equal(r.status, 404);
    free(r.body);
    r = metrics_http_request(mport, EVHTTP_REQ_GET, "/metricsx");
    assert_int_equal(r.status, 404);
    free(r.body);
    r = metrics_http_request(mport, EVHTTP_REQ_POST, "/metrics");
    assert_int_equal(r.status, 405);
    free(r.body);
    r = metrics_http_request(mport, EVHTTP_REQ_HEAD, "/metrics");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    free(r.body);
    r = metrics_http_request(mport, EVHTTP_REQ_GET, "/metrics?x=1"); /* a query does not change the path */
    assert_int_equal(r.status, 200);
    free(r.body);

    assert_int_equal(daemon_stop(&d, SIGTERM, metrics_wait_ms()), 0);
    daemon_cleanup(&d);
}

static void test_metrics_bind_must_name_a_port(void **state)
{
    (void)state;
    const char *bad[][3] = {
        {"--network=regtest", "--metrics-bind=127.0.0.1", NULL},
        {"--network=regtest", "--metrics-bind=localhost:9332", NULL}, /* numeric only */
        {"--network=regtest", "--metrics-bind=[::1]", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        assert_int_equal(run_btcpeerd(bad[i], &out, metrics_wait_ms()), 2);
        assert_non_null(strstr(out, "--metrics-bind"));
        free(out);
    }
    char *out = NULL;
    const char *help[] = {"--help", NULL};
    assert_int_equal(run_btcpeerd(help, &out, metrics_wait_ms()), 0);
    assert_non_null(strstr(out, "--metrics-bind=HOST:PORT"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scrape_after_handshake_and_pings),
        cmocka_unit_test(test_v2_peers_in_the_census),
        cmocka_unit_test(test_only_get_and_head_of_metrics),
        cmocka_unit_test(test_metrics_bind_must_name_a_port),
    };
    return test_run_group(tests);
}
