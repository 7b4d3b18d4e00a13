/* The metrics formatter: label and HELP escaping, numbers, cumulative
 * histogram buckets, every family of a rendered scrape with its HELP and
 * TYPE, the "other" command label, and that the peer layer's counting
 * hooks never allocate (they run once per message). */
#include "testutil.h"

#include "peer/peer_internal.h"
#include "rpc/metrics.h"

#include <btcpeerd/histogram.h>

#include <event2/buffer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- counting allocations ---- */

/* Under ASan the sanitizer's hooks see every malloc; otherwise (the
 * valgrind build) this executable interposes malloc and friends over
 * glibc's. Either way alloc_count counts every allocation in the process. */
static size_t alloc_count;

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

#ifdef TEST_ASAN
/* From <sanitizer/allocator_interface.h>, which gcc does not install. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *ptr, size_t size)
{
    (void)ptr;
    (void)size;
    alloc_count++;
}
static void on_free(const volatile void *ptr)
{
    (void)ptr;
}
static void counting_start(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void __libc_free(void *ptr);
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void *malloc(size_t size)
{
    alloc_count++;
    return __libc_malloc(size);
}
void *calloc(size_t n, size_t size)
{
    alloc_count++;
    return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size)
{
    alloc_count++;
    return __libc_realloc(ptr, size);
}
void free(void *ptr)
{
    __libc_free(ptr);
}
static void counting_start(void)
{
}
#endif

/* ---- helpers ---- */

/* The buffer's text, NUL-terminated (caller frees); the buffer is emptied. */
static char *drain(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    return s;
}

static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return;
    fail_msg("no line '%s' in:\n%s", line, text);
}

/* ---- the format ---- */

static void test_label_values_and_help_are_escaped(void **state)
{
    (void)state;
    struct evbuffer *b = evbuffer_new();
    prom_escape_label_value(b, "a\\b\"c\nd");
    char *s = drain(b);
    assert_string_equal(s, "a\\\\b\\\"c\\nd");
    free(s);

    struct prom_label l[] = {{"command", "ve\"r\\sion\n"}, {"x", ""}};
    prom_sample_u64(b, "m_total", l, 2, 3);
    s = drain(b);
    assert_string_equal(s, "m_total{command=\"ve\\\"r\\\\sion\\n\",x=\"\"} 3\n");
    free(s);

    /* HELP escapes backslash and newline, not quotes. */
    prom_family(b, "m_total", "counter", "say \"hi\"\\now\nthen");
    s = drain(b);
    assert_string_equal(s, "# HELP m_total say \"hi\"\\\\now\\nthen\n# TYPE m_total counter\n");
    free(s);
    evbuffer_free(b);
}

static void test_numbers(void **state)
{
    (void)state;
    struct evbuffer *b = evbuffer_new();
    prom_sample_u64(b, "a", NULL, 0, UINT64_MAX);
    prom_sample_double(b, "b", NULL, 0, 0.1);
    prom_sample_double(b, "c", NULL, 0, 1796131114.099);
    prom_sample_double(b, "d", NULL, 0, 1.0 / 0.0);
    prom_sample_double(b, "e", NULL, 0, -1.0 / 0.0);
    prom_sample_double(b, "f", NULL, 0, 0.0 / 0.0);
    prom_sample_double(b, "g", NULL, 0, 0.00001);
    prom_sample_double(b, "h", NULL, 0, 0);
    char *s = drain(b);
    assert_string_equal(s, "a 18446744073709551615\n"
                           "b 0.1\n"
                           "c 1796131114.099\n"
                           "d +Inf\n"
                           "e -Inf\n"
                           "f NaN\n"
                           "g 1e-05\n"
                           "h 0\n");
    free(s);
    evbuffer_free(b);
}

static void test_histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    static const double bounds[] = {0.1, 1, 10};
    struct histogram h;
    histogram_init(&h, bounds, 3);
    const double values[] = {0.05, 0.1 /* le is inclusive */, 0.5, 5, 50};
    for (size_t i = 0; i < 5; i++) histogram_observe(&h, values[i]);
    assert_int_equal(histogram_cumulative(&h, 0), 2);
    assert_int_equal(histogram_cumulative(&h, 3), 5);

    struct evbuffer *b = evbuffer_new();
    struct prom_label l[] = {{"peer", "x"}};
    prom_histogram(b, "lat_seconds", l, 1, &h);
    prom_histogram(b, "empty_seconds", NULL, 0, &(struct histogram){.bounds = bounds, .n_bounds = 1});
    char *s = drain(b);
    assert_string_equal(s, "lat_seconds_bucket{peer=\"x\",le=\"0.1\"} 2\n"
                           "lat_seconds_bucket{peer=\"x\",le=\"1\"} 3\n"
                           "lat_seconds_bucket{peer=\"x\",le=\"10\"} 4\n"
                           "lat_seconds_bucket{peer=\"x\",le=\"+Inf\"} 5\n"
                           "lat_seconds_sum{peer=\"x\"} 55.65\n"
                           "lat_seconds_count{peer=\"x\"} 5\n"
                           "empty_seconds_bucket{le=\"0.1\"} 0\n"
                           "empty_seconds_bucket{le=\"+Inf\"} 0\n"
                           "empty_seconds_sum 0\n"
                           "empty_seconds_count 0\n");
    free(s);
    evbuffer_free(b);
}

/* ---- the families ---- */

/* Every sample's family has HELP and TYPE before it, counters end in
 * _total, histograms come as _bucket/_sum/_count. */
static void check_exposition(const char *text)
{
    char family[128] = "", type[32] = "";
    bool help = false;
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        assert_non_null(end); /* every line ends in \n, the last one too */
        char buf[512];
        size_t n = (size_t)(end - line);
        assert_true(n < sizeof buf);
        memcpy(buf, line, n);
        buf[n] = '\0';
        if (strncmp(buf, "# HELP ", 7) == 0) {
            assert_true(sscanf(buf + 7, "%127s", family) == 1);
            help = true;
            type[0] = '\0';
        } else if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[128];
            assert_true(sscanf(buf + 7, "%127s %31s", name, type) == 2);
            assert_string_equal(name, family);
            assert_true(help);
            if (strcmp(type, "counter") == 0)
                assert_true(strlen(family) > 6 && strcmp(family + strlen(family) - 6, "_total") == 0);
        } else {
            assert_true(help && type[0]);
            size_t fl = strlen(family);
            assert_true(strncmp(buf, family, fl) == 0);
            const char *rest = buf + fl;
            if (strcmp(type, "histogram") == 0)
                assert_true(strncmp(rest, "_bucket{", 8) == 0 || strncmp(rest, "_sum ", 5) == 0 ||
                            strncmp(rest, "_count ", 7) == 0);
            else
                assert_true(*rest == '{' || *rest == ' ');
        }
        line = end + 1;
    }
}

static void test_render_every_family(void **state)
{
    (void)state;
    struct metrics_view v;
    memset(&v, 0, sizeof v);
    struct node_traffic *m = &v.traffic;
    histogram_init(&m->handshake_seconds, histogram_seconds_bounds, histogram_seconds_n_bounds);
    histogram_init(&m->ping_seconds, histogram_seconds_bounds, histogram_seconds_n_bounds);
    m->msgs_in[WIRE_VERSION] = 2;
    m->msgs_in[WIRE_UNKNOWN] = 7;
    m->msgs_out[WIRE_PING] = 4;
    m->bytes_in[WIRE_VERSION] = 250;
    m->bytes_out[WIRE_PING] = 128;
    m->net_bytes_in = 1000;
    m->net_bytes_out = 900;
    m->disconnects[PEER_REASON_PING_TIMEOUT] = 3;
    histogram_observe(&m->handshake_seconds, 0.002);
    histogram_observe(&m->ping_seconds, 0.0004);
    histogram_observe(&m->ping_seconds, 20);
    v.census.n[1][PEER_CONNECTED][1] = 3;
    v.census.n[0][PEER_SENT_VERSION][0] = 1;
    v.conns.n[6] = 2; /* the last kind: block-relay-only */
    v.conns.n[0] = 5; /* inbound */
    v.traffic.disconnects[PEER_REASON_BLOCK_RELAY_TX] = 1;
    v.node = (struct node_stats){.header_height = 1234, .addrman_new = 50, .addrman_tried = 6,
                                 .bans = 2};
    v.start_time_s = 1796131114.5;
    v.uptime_s = 12.25;

    struct evbuffer *b = evbuffer_new();
    metrics_render(b, &v);
    char *s = drain(b);
    check_exposition(s);

    assert_line(s, "# TYPE btcpeerd_peers gauge");
    assert_line(s, "btcpeerd_peers{direction=\"inbound\",state=\"connected\",transport=\"v2\"} 3");
    assert_line(s, "btcpeerd_peers{direction=\"outbound\",state=\"sent_version\",transport=\"v1\"} 1");
    assert_line(s, "btcpeerd_peers{direction=\"outbound\",state=\"none\",transport=\"v1\"} 0");
    assert_line(s, "# TYPE btcpeerd_peer_connections gauge");
    assert_line(s, "btcpeerd_peer_connections{connection_type=\"block-relay-only\"} 2");
    assert_line(s, "btcpeerd_peer_connections{connection_type=\"inbound\"} 5");
    assert_line(s, "btcpeerd_peer_connections{connection_type=\"outbound-full-relay\"} 0");
    assert_line(s, "btcpeerd_peer_connections{connection_type=\"private-broadcast\"} 0");
    assert_line(s, "btcpeerd_peer_disconnects_total{reason=\"block-relay-tx\"} 1");
    assert_line(s, "btcpeerd_peer_disconnects_total{reason=\"headers-sync-timeout\"} 0");
    assert_line(s, "btcpeerd_peers{direction=\"inbound\",state=\"sent_verack\",transport=\"v2\"} 0");

    assert_line(s, "# TYPE btcpeerd_messages_total counter");
    assert_line(s, "btcpeerd_messages_total{direction=\"in\",command=\"version\"} 2");
    assert_line(s, "btcpeerd_messages_total{direction=\"in\",command=\"other\"} 7");
    assert_line(s, "btcpeerd_messages_total{direction=\"out\",command=\"ping\"} 4");
    assert_line(s, "btcpeerd_messages_total{direction=\"out\",command=\"sendcmpct\"} 0");
    assert_line(s, "# TYPE btcpeerd_message_bytes_total counter");
    assert_line(s, "btcpeerd_message_bytes_total{direction=\"in\",command=\"version\"} 250");
    assert_line(s, "btcpeerd_message_bytes_total{direction=\"out\",command=\"ping\"} 128");
    assert_line(s, "btcpeerd_network_bytes_total{direction=\"in\"} 1000");
    assert_line(s, "btcpeerd_network_bytes_total{direction=\"out\"} 900");

    assert_line(s, "# TYPE btcpeerd_peer_disconnects_total counter");
    assert_line(s, "btcpeerd_peer_disconnects_total{reason=\"ping-timeout\"} 3");
    assert_line(s, "btcpeerd_peer_disconnects_total{reason=\"v2-decrypt\"} 0");
    assert_null(strstr(s, "reason=\"unknown\""));

    assert_line(s, "# TYPE btcpeerd_peer_handshake_duration_seconds histogram");
    assert_line(s, "btcpeerd_peer_handshake_duration_seconds_bucket{le=\"0.001\"} 0");
    assert_line(s, "btcpeerd_peer_handshake_duration_seconds_bucket{le=\"0.0025\"} 1");
    assert_line(s, "btcpeerd_peer_handshake_duration_seconds_bucket{le=\"+Inf\"} 1");
    assert_line(s, "btcpeerd_peer_handshake_duration_seconds_sum 0.002");
    assert_line(s, "btcpeerd_peer_handshake_duration_seconds_count 1");
    assert_line(s, "# TYPE btcpeerd_peer_ping_rtt_seconds histogram");
    assert_line(s, "btcpeerd_peer_ping_rtt_seconds_bucket{le=\"0.001\"} 1");
    assert_line(s, "btcpeerd_peer_ping_rtt_seconds_bucket{le=\"10\"} 1");
    assert_line(s, "btcpeerd_peer_ping_rtt_seconds_bucket{le=\"+Inf\"} 2");
    assert_line(s, "btcpeerd_peer_ping_rtt_seconds_count 2");

    assert_line(s, "# TYPE btcpeerd_header_height gauge");
    assert_line(s, "btcpeerd_header_height 1234");
    assert_line(s, "btcpeerd_addrman_addresses{table=\"new\"} 50");
    assert_line(s, "btcpeerd_addrman_addresses{table=\"tried\"} 6");
    assert_line(s, "btcpeerd_bans 2");
    assert_line(s, "btcpeerd_build_info{version=\"" BTCPEERD_VERSION_STRING "\"} 1");
    assert_line(s, "process_start_time_seconds 1796131114.5");
    assert_line(s, "btcpeerd_uptime_seconds 12.25");
    free(s);
    evbuffer_free(b);
}

static void test_unknown_commands_share_one_label(void **state)
{
    (void)state;
    assert_string_equal(metrics_command_label(WIRE_UNKNOWN), "other");
    assert_string_equal(metrics_command_label(WIRE_VERACK), "verack");
    assert_string_equal(metrics_command_label(WIRE_TYPE_COUNT), "other");
    for (int s = PEER_NONE; s <= PEER_CONNECTED; s++)
        assert_null(strchr(peer_metrics_state((enum peer_state)s), '-')); /* label style */

    struct peer_table t;
    memset(&t, 0, sizeof t);
    peer_metrics_init(&t.metrics);
    struct peer p;
    memset(&p, 0, sizeof p);
    p.table = &t;
    peer_metrics_msg_in(&p, WIRE_UNKNOWN, 30);
    peer_metrics_msg_in(&p, (enum wire_type)999, 40); /* cannot happen; still bounded */
    assert_int_equal(t.metrics.msgs_in[WIRE_UNKNOWN], 2);
    assert_int_equal(t.metrics.bytes_in[WIRE_UNKNOWN], 70);
}

/* The hooks run for every message: they must cost no allocation. */
static void test_counting_does_not_allocate(void **state)
{
    (void)state;
    struct peer_table t;
    memset(&t, 0, sizeof t);
    peer_metrics_init(&t.metrics);
    struct peer p;
    memset(&p, 0, sizeof p);
    p.table = &t;
    p.connected_us = 1;

    counting_start();
    size_t before = alloc_count;
    void *volatile probe = malloc(16);
    free(probe);
    /* valgrind replaces malloc in the executable too, so scripts/test.sh
     * leaves this case out of its valgrind stage (BTCPEERD_TEST_NO_ALLOC_COUNT);
     * anywhere else a count that does not move is a broken probe. */
    assert_int_equal(alloc_count, before + 1);

    before = alloc_count;
    for (unsigned i = 0; i < 100000; i++) {
        enum wire_type type = (enum wire_type)(i % WIRE_TYPE_COUNT);
        peer_metrics_msg_in(&p, type, 24 + i % 100);
        peer_metrics_msg_out(&p, type, 24 + i % 50);
        peer_metrics_ping(&p, i);
        if (i % 100 == 0) {
            peer_metrics_handshake_done(&p);
            peer_metrics_disconnect(&p, (enum peer_reason)(i % PEER_REASON_COUNT));
        }
    }
    assert_int_equal(alloc_count, before);
    assert_int_equal(t.metrics.ping_seconds.count, 100000);
    assert_int_equal(t.metrics.handshake_seconds.count, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_values_and_help_are_escaped),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_histogram_buckets_are_cumulative),
        cmocka_unit_test(test_render_every_family),
        cmocka_unit_test(test_unknown_commands_share_one_label),
        cmocka_unit_test(test_counting_does_not_allocate),
    };
    /* Under valgrind (scripts/test.sh sets this) malloc is valgrind's and
     * cannot be counted; the sanitizer stage runs that case. */
    if (getenv("BTCPEERD_TEST_NO_ALLOC_COUNT")) cmocka_set_skip_filter("test_counting_does_not_allocate");
    return test_run_group(tests);
}
