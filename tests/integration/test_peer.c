/* The peer against a scripted remote on 127.0.0.1: handshakes both ways,
 * the handshake rules, each timer at its configured time, the rate limit,
 * transport errors, self-connection and shutdown. Timeouts are set in
 * fractions of a second so the suite stays fast; every wait has a deadline.
 * The hostile cases here (no version, no verack, no pong, oversized
 * length, bad magic, bad checksums, a peer that stops reading, v2 garbage
 * and a bad v2 tag) also check the aftermath: a well-behaved peer is still
 * served and RSS is back at the baseline (aftermath.h); the rest of the
 * hostile cases are in test_hostile.c. */
#include "aftermath.h"
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v2.h>

#include <poll.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 5000

static const uint8_t *regtest_magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

static uint16_t start_listening(struct daemon_proc *d, const char *const *extra)
{
    uint16_t port = daemon_start_listening(d, extra);
    assert_true(port != 0);
    return port;
}

static void connect_and_handshake(struct sp *s, uint16_t port, struct wire_version *theirs)
{
    assert_true(sp_connect(s, port, regtest_magic()));
    assert_true(sp_handshake(s, true, theirs, WAIT_MS));
}

static void expect_disconnect_reason(struct daemon_proc *d, const char *reason)
{
    char needle[64];
    snprintf(needle, sizeof needle, "reason=%s", reason);
    if (!daemon_wait_log(d, needle, WAIT_MS)) fail_msg("no '%s' in log:\n%s", needle, d->log);
}

/* The daemon has not closed s: nothing (no EOF) is waiting on it. */
static void assert_still_open(struct sp *s)
{
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
}

/* Rounds of our ping and the daemon's pong, with nothing else from it but
 * what a fresh peer gets anyway: a ping of its own fails the test. Each
 * round is an event the daemon's loop went through, so a timer that has
 * not fired by the end did not fire "before" them. */
static void ping_rounds_without_a_ping_back(struct sp *s, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 0x5151000 + (uint64_t)i};
        assert_true(sp_send(s, &ping));
        for (;;) {
            struct wire_msg m;
            assert_int_equal(sp_recv(s, &m, WAIT_MS), SP_FRAME);
            enum wire_type type = m.type;
            uint64_t nonce = type == WIRE_PONG ? m.u.ping.nonce : 0;
            wire_msg_free(&m);
            if (type == WIRE_PING) fail_msg("the daemon pinged before its interval");
            if (type == WIRE_PONG && nonce == ping.u.ping.nonce) break;
        }
    }
}

static void stop_cleanly(struct daemon_proc *d)
{
    assert_int_equal(daemon_stop(d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(d);
}

static void test_inbound_handshake_and_our_version(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    struct wire_version v;
    connect_and_handshake(&s, port, &v);
    assert_int_equal(v.version, PROTOCOL_VERSION);
    assert_true(v.services == (NODE_WITNESS | NODE_P2P_V2)); /* truthful: no NODE_NETWORK */
    assert_true(v.relay); /* ordinary connections ask for tx relay (issue 16) */
    assert_int_equal(v.start_height, 0);
    assert_int_equal(v.n_optional, WIRE_VERSION_OPT_RELAY);
    assert_true(v.nonce != 0);
    assert_memory_equal(v.user_agent, "/btcpeerd:" BTCPEERD_VERSION_STRING "/", v.user_agent_len);
    /* their addr_recv is us: 127.0.0.1 */
    assert_int_equal(v.addr_recv.net, WIRE_NET_IPV4);
    assert_memory_equal(v.addr_recv.addr, "\x7f\x00\x00\x01", 4);
    assert_true(daemon_wait_log(&d, "handshake complete", WAIT_MS));
    assert_non_null(strstr(d.log, "user_agent=/scripted-peer:1.0/"));
    assert_non_null(strstr(d.log, "services=NETWORK|WITNESS"));
    assert_non_null(strstr(d.log, "direction=inbound"));
    assert_non_null(strstr(d.log, "transport=v1")); /* a v1 initiator, recognised by its first bytes */
    sp_close(&s);
    expect_disconnect_reason(&d, "eof");
    stop_cleanly(&d);
}

static void test_outbound_handshake_to_connect_peer(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = sp_listen(&port);
    assert_true(lfd >= 0);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", connect, "--user-agent-comment=test run", NULL};
    assert_true(daemon_start(&d, args));
    struct sp s;
    assert_true(sp_accept(&s, lfd, regtest_magic(), WAIT_MS));
    struct wire_version v;
    assert_true(sp_handshake(&s, false, &v, WAIT_MS));
    assert_memory_equal(v.user_agent, "/btcpeerd:" BTCPEERD_VERSION_STRING "(test run)/",
                        v.user_agent_len);
    assert_true(daemon_wait_log(&d, "handshake complete", WAIT_MS));
    assert_non_null(strstr(d.log, "direction=outbound"));
    /* it tried BIP324 first; the v1-only scripted peer closed on it */
    assert_non_null(strstr(d.log, "does not speak BIP324: reconnecting with v1"));
    assert_non_null(strstr(d.log, "transport=v1"));
    /* --connect disables listening by default */
    assert_null(strstr(d.log, "listening on"));
    sp_close(&s);
    close(lfd);
    stop_cleanly(&d);
}

static void test_message_before_version_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    /* With BIP324 on, bytes that do not start a v1 version are a v2 key:
     * the v1 rule is tested with v2 off. */
    const char *v1_only[] = {"--v2transport=0", NULL};
    uint16_t port = start_listening(&d, v1_only);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    assert_true(sp_send_empty(&s, WIRE_VERACK));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "protocol-violation");
    assert_non_null(strstr(d.log, "state=none"));
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_duplicate_version_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    struct wire_msg v;
    sp_make_version(&v, 77, 0);
    assert_true(sp_send(&s, &v));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "protocol-violation");
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_sendaddrv2_after_verack_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    assert_true(sp_send_empty(&s, WIRE_SENDADDRV2));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "protocol-violation");
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_feature_messages_between_version_and_verack_accepted(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    struct wire_msg v;
    sp_make_version(&v, 78, 0);
    assert_true(sp_send(&s, &v));
    assert_true(sp_send_empty(&s, WIRE_WTXIDRELAY));
    assert_true(sp_send_empty(&s, WIRE_SENDADDRV2));
    assert_true(sp_send_empty(&s, WIRE_VERACK));
    assert_true(sp_expect(&s, WIRE_VERACK, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&d, "handshake complete", WAIT_MS));
    sp_close(&s);
    stop_cleanly(&d);
}

/* A peer that never sends its version is dropped by the handshake timer
 * (reason handshake-timeout, not another path). */
static void test_handshake_timeout_fires_at_configured_time(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--handshake-timeout=0.3", NULL};
    uint16_t port = start_listening(&d, extra);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "handshake-timeout");
    assert_non_null(strstr(d.log, "state=none"));
    sp_close(&s);
    aftermath_check(&d, port, &mark, "version-never-comes");
    stop_cleanly(&d);
}

/* The timer is the configured one, not a fixed one: with an hour, a silent
 * peer outlasts another peer's whole handshake and three ping rounds. */
static void test_handshake_timeout_not_before_configured_time(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--handshake-timeout=3600", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp silent, s;
    assert_true(sp_connect(&silent, port, regtest_magic()));
    assert_true(daemon_wait_log(&d, "direction=inbound", WAIT_MS));
    connect_and_handshake(&s, port, NULL);
    ping_rounds_without_a_ping_back(&s, 3);
    assert_still_open(&silent);
    assert_null(strstr(d.log, "reason="));
    sp_close(&s);
    sp_close(&silent);
    stop_cleanly(&d);
}

static void test_verack_that_never_comes_times_out(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--handshake-timeout=0.3", NULL};
    uint16_t port = start_listening(&d, extra);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    struct wire_msg v;
    sp_make_version(&v, 79, 0);
    assert_true(sp_send(&s, &v));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "handshake-timeout");
    assert_non_null(strstr(d.log, "state=sent-verack"));
    sp_close(&s);
    aftermath_check(&d, port, &mark, "verack-never-comes");
    stop_cleanly(&d);
}

/* Answer pings until `rounds` have been answered. */
static void answer_pings(struct sp *s, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        struct wire_msg ping;
        assert_true(sp_expect(s, WIRE_PING, &ping, WAIT_MS));
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = ping.u.ping};
        assert_true(sp_send(s, &pong));
    }
}

static void test_idle_ping_and_pong_keep_peer(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--ping-interval=0.2", "--ping-timeout=0.5", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    answer_pings(&s, 4);
    assert_null(strstr(d.log, "reason="));
    sp_close(&s);
    stop_cleanly(&d);
}

/* Silence is measured against --ping-interval: with an hour, our own
 * pings and their pongs come and go and the daemon never pings. */
static void test_no_ping_before_the_interval(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--ping-interval=3600", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    ping_rounds_without_a_ping_back(&s, 5);
    assert_still_open(&s);
    sp_close(&s);
    stop_cleanly(&d);
}

/* An unanswered ping is judged by --ping-timeout: with an hour, the peer
 * that never answers stays through five rounds of its own pings. */
static void test_ping_timeout_not_before_configured_time(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--ping-interval=0.2", "--ping-timeout=3600", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    assert_true(sp_expect(&s, WIRE_PING, NULL, WAIT_MS));
    ping_rounds_without_a_ping_back(&s, 5); /* one ping outstanding: no second */
    assert_still_open(&s);
    assert_null(strstr(d.log, "reason="));
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_unanswered_ping_times_out(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *extra[] = {"--ping-interval=0.2", "--ping-timeout=0.3", NULL};
    uint16_t port = start_listening(&d, extra);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    struct wire_msg ping;
    assert_true(sp_expect(&s, WIRE_PING, &ping, WAIT_MS));
    /* A pong with another nonce changes nothing. */
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping.nonce = ping.u.ping.nonce ^ 1};
    assert_true(sp_send(&s, &pong));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "ping-timeout");
    sp_close(&s);
    aftermath_check(&d, port, &mark, "ping-unanswered");
    stop_cleanly(&d);
}

static void test_ping_answered_with_same_nonce(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 0x0102030405060708ull};
    assert_true(sp_send(&s, &ping));
    struct wire_msg pong;
    assert_true(sp_expect(&s, WIRE_PONG, &pong, WAIT_MS));
    assert_true(pong.u.ping.nonce == 0x0102030405060708ull);
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_flood_disconnected_for_rate(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    /* 20 unsolicited messages every 100 ms: 200/s, twenty times the limit.
     * The seed's rule judges after the first whole second. */
    bool closed = false;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (!closed && clock_mono_ms() < deadline) {
        for (int i = 0; i < 20 && !closed; i++) closed = !sp_send_empty(&s, WIRE_SENDHEADERS);
        if (!closed) closed = sp_wait_closed(&s, 100);
    }
    assert_true(closed);
    expect_disconnect_reason(&d, "rate-limit");
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_solicited_burst_not_counted(void **state)
{
    (void)state;
    struct daemon_proc d;
    /* A ping every 10 ms and a limit of one message a second: 100 answered
     * pings in a second would be ten times the limit if answers counted. */
    const char *extra[] = {"--ping-interval=0.01", "--max-msg-rate=1", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    answer_pings(&s, 100);
    /* still served */
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 99};
    assert_true(sp_send(&s, &ping));
    assert_true(sp_expect(&s, WIRE_PONG, NULL, WAIT_MS));
    assert_null(strstr(d.log, "reason=rate-limit"));
    sp_close(&s);
    stop_cleanly(&d);
}

static void test_oversized_length_disconnects_before_payload(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    uint8_t hdr[24] = {0};
    memcpy(hdr, regtest_magic(), 4);
    memcpy(hdr + 4, "block", 5);
    uint32_t len = WIRE_MAX_PAYLOAD + 1;
    memcpy(hdr + 16, &len, 4); /* little-endian host */
    assert_true(sp_send_raw(&s, hdr, sizeof hdr));
    assert_true(sp_wait_closed(&s, WAIT_MS)); /* no payload byte sent */
    expect_disconnect_reason(&d, "oversize");
    sp_close(&s);
    aftermath_check(&d, port, &mark, "oversized-length");
    stop_cleanly(&d);
}

static void test_bad_magic_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    /* a mainnet frame to a regtest daemon */
    assert_true(sp_connect(&s, port, netparams_get(NET_MAIN)->magic));
    struct wire_msg v;
    sp_make_version(&v, 80, 0);
    assert_true(sp_send(&s, &v));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "bad-magic");
    sp_close(&s);
    aftermath_check(&d, port, &mark, "bad-magic");
    stop_cleanly(&d);
}

static void send_ping_bad_checksum(struct sp *s)
{
    struct buf_writer w;
    buf_writer_init(&w);
    uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(transport_v1_write(s->magic, "ping", nonce, 8, WIRE_MAX_PAYLOAD, &w),
                     TRANSPORT_OK);
    w.data[20] ^= 0xff;
    assert_true(sp_send_raw(s, w.data, w.len));
    buf_writer_free(&w);
}

static void test_bad_checksum_dropped_and_scored(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    send_ping_bad_checksum(&s);
    /* dropped: the next good ping's pong is the first pong we see */
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 42};
    assert_true(sp_send(&s, &ping));
    struct wire_msg pong;
    assert_true(sp_expect(&s, WIRE_PONG, &pong, WAIT_MS));
    assert_true(pong.u.ping.nonce == 42);
    assert_true(daemon_wait_log(&d, "offence=bad-checksum", WAIT_MS));
    /* nine more reach the score of 100 */
    for (int i = 0; i < 9; i++) send_ping_bad_checksum(&s);
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "misbehaving");
    sp_close(&s);
    aftermath_check(&d, port, &mark, "bad-checksum");
    stop_cleanly(&d);
}

static void test_self_connection_detected(void **state)
{
    (void)state;
    uint16_t port = free_port();
    char port_arg[32], connect[64];
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--bind=127.0.0.1", port_arg, connect,
                          "--listen=1", NULL};
    assert_true(daemon_start(&d, args));
    expect_disconnect_reason(&d, "self-connection");
    stop_cleanly(&d);
}

static void test_two_daemons_ping_each_other(void **state)
{
    (void)state;
    struct daemon_proc a, b;
    const char *extra[] = {"--ping-interval=0.1", "--log-level=trace", "--debug=peer", NULL};
    uint16_t port = start_listening(&a, extra);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *args[] = {"--network=regtest", connect, "--ping-interval=0.1", "--log-level=trace",
                          "--debug=peer", NULL};
    assert_true(daemon_start(&b, args));
    assert_true(daemon_wait_log(&a, "handshake complete", WAIT_MS));
    assert_true(daemon_wait_log(&b, "handshake complete", WAIT_MS));
    assert_non_null(strstr(b.log, "user_agent=/btcpeerd:"));
    /* several ping rounds each way */
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while ((daemon_log_count(&a, "received pong") < 3 || daemon_log_count(&b, "received pong") < 3) &&
           clock_mono_ms() < deadline) {
        daemon_pump(&a, 20);
        daemon_pump(&b, 20);
    }
    assert_true(daemon_log_count(&a, "received pong") >= 3);
    assert_true(daemon_log_count(&b, "received pong") >= 3);
    assert_null(strstr(a.log, "reason="));
    stop_cleanly(&b);
    stop_cleanly(&a);
}

static void test_sigterm_with_peers_exits_cleanly(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct sp s1, s2;
    connect_and_handshake(&s1, port, NULL);
    connect_and_handshake(&s2, port, NULL);
    /* Both peers stay open and silent: the daemon exits without waiting
     * for them (daemon_stop's deadline is only the hang guard). */
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    assert_int_equal(daemon_log_count(&d, "reason=shutdown"), 2);
    assert_true(sp_wait_closed(&s1, WAIT_MS));
    assert_true(sp_wait_closed(&s2, WAIT_MS));
    sp_close(&s1);
    sp_close(&s2);
    daemon_cleanup(&d);
}

static void test_inbound_beyond_maxconnections_refused(void **state)
{
    (void)state;
    struct daemon_proc d;
    /* 10 connections minus 8 outbound slots: room for 2 inbound */
    const char *extra[] = {"--maxconnections=10", NULL};
    uint16_t port = start_listening(&d, extra);
    struct sp s1, s2, s3;
    connect_and_handshake(&s1, port, NULL);
    connect_and_handshake(&s2, port, NULL);
    assert_true(sp_connect(&s3, port, regtest_magic()));
    assert_true(sp_wait_closed(&s3, WAIT_MS));
    expect_disconnect_reason(&d, "inbound-full");
    sp_close(&s1);
    sp_close(&s2);
    sp_close(&s3);
    stop_cleanly(&d);
}

static void test_peer_that_does_not_read_pauses_our_reading(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    size_t log_mark = d.log_len; /* the baseline peer's eof is before this */
    struct sp s;
    connect_and_handshake(&s, port, NULL);
    /* getdata for 50,000 things we do not have: each answer is a 1.8 MB
     * notfound, and we never read them */
    struct wire_inv_entry *entries = calloc(WIRE_MAX_INV, sizeof *entries);
    struct wire_msg getdata = {.type = WIRE_GETDATA, .u.inv = {.count = WIRE_MAX_INV, .entries = entries}};
    struct buf_writer payload, frame;
    buf_writer_init(&payload);
    buf_writer_init(&frame);
    assert_int_equal(wire_encode(&getdata, &payload), WIRE_OK);
    assert_int_equal(transport_v1_write(regtest_magic(), "getdata", payload.data, payload.len,
                                        WIRE_MAX_PAYLOAD, &frame),
                     TRANSPORT_OK);
    size_t off = 0;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (!strstr(d.log ? d.log : "", "reading paused") && clock_mono_ms() < deadline) {
        off = (off + sp_send_some(&s, frame.data + off, frame.len - off)) % frame.len;
        daemon_pump(&d, 5);
    }
    assert_non_null(strstr(d.log, "reading paused"));
    /* finish the frame we were in, reading again; then the peer serves us */
    if (off) assert_true(sp_send_draining(&s, frame.data + off, frame.len - off, WAIT_MS));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 5};
    assert_true(sp_send_draining(&s, NULL, 0, WAIT_MS));
    assert_true(sp_send(&s, &ping));
    assert_true(sp_expect(&s, WIRE_PONG, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&d, "reading resumed", WAIT_MS));
    assert_null(strstr(d.log + log_mark, "reason="));
    buf_writer_free(&payload);
    buf_writer_free(&frame);
    free(entries);
    sp_close(&s);
    aftermath_check(&d, port, &mark, "stops-reading");
    stop_cleanly(&d);
}

/* A v2 initiator in the test: key and garbage out, the daemon's key,
 * garbage, terminator and version packet in, until the keys exist. */
static bool v2_handshake(struct sp *s, struct transport_v2 *t, struct buf_writer *out)
{
    buf_writer_reset(out);
    if (transport_v2_init(t, regtest_magic(), true, out) != TRANSPORT_OK) return false;
    if (!sp_send_raw(s, out->data, out->len)) return false;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    uint8_t buf[8192], sid[32];
    while (!transport_v2_established(t) && clock_mono_ms() < deadline) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) != 1) continue;
        ssize_t n = recv(s->fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used;
            struct transport_frame f;
            buf_writer_reset(out);
            enum transport_status st = transport_v2_read(t, buf + off, (size_t)n - off, &used, &f, out);
            off += used;
            if (out->len && !sp_send_raw(s, out->data, out->len)) return false;
            if (st == TRANSPORT_FRAME) transport_frame_free(&f);
            if (transport_status_fatal(st)) return false;
        }
    }
    return transport_v2_session_id(t, sid);
}

static void test_v2_peer_handshakes_and_a_bad_tag_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    struct transport_v2 t;
    struct buf_writer out;
    buf_writer_init(&out);
    assert_true(v2_handshake(&s, &t, &out));
    /* our version over the encrypted channel; the daemon answers in kind */
    struct wire_msg v;
    sp_make_version(&v, 99, 0);
    struct buf_writer payload;
    buf_writer_init(&payload);
    assert_int_equal(wire_encode(&v, &payload), WIRE_OK);
    buf_writer_reset(&out);
    assert_int_equal(transport_v2_write(&t, "version", payload.data, payload.len, &out), TRANSPORT_OK);
    assert_true(sp_send_raw(&s, out.data, out.len));
    /* a packet with one bit flipped in its ciphertext */
    buf_writer_reset(&out);
    uint8_t nonce[8] = {1};
    assert_int_equal(transport_v2_write(&t, "ping", nonce, 8, &out), TRANSPORT_OK);
    out.data[out.len - 20] ^= 0x01;
    assert_true(sp_send_raw(&s, out.data, out.len));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "v2-decrypt");
    buf_writer_free(&payload);
    buf_writer_free(&out);
    transport_v2_clear(&t);
    sp_close(&s);
    aftermath_check(&d, port, &mark, "v2-bad-tag");
    stop_cleanly(&d);
}

static void test_v2_garbage_over_4095_bytes_disconnects(void **state)
{
    (void)state;
    struct daemon_proc d;
    uint16_t port = start_listening(&d, NULL);
    struct rss_mark mark;
    aftermath_baseline(&d, port, &mark);
    struct sp s;
    assert_true(sp_connect(&s, port, regtest_magic()));
    uint8_t junk[64 + 4200];
    uint64_t rng = 7;
    test_random_bytes(&rng, junk, sizeof junk); /* any 64 bytes are a valid key */
    assert_true(sp_send_draining(&s, junk, sizeof junk, WAIT_MS));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    expect_disconnect_reason(&d, "v2-handshake");
    sp_close(&s);
    aftermath_check(&d, port, &mark, "v2-garbage");
    stop_cleanly(&d);
}

static void test_two_daemons_speak_v2(void **state)
{
    (void)state;
    struct daemon_proc a, b;
    uint16_t port = start_listening(&a, NULL);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *args[] = {"--network=regtest", connect, NULL};
    assert_true(daemon_start(&b, args));
    assert_true(daemon_wait_log(&a, "transport=v2 session_id=", WAIT_MS));
    assert_true(daemon_wait_log(&b, "transport=v2 session_id=", WAIT_MS));
    /* both ends derived the same session id */
    const char *sa = strstr(a.log, "session_id=") + 11, *sb = strstr(b.log, "session_id=") + 11;
    assert_memory_equal(sa, sb, 64);
    stop_cleanly(&b);
    stop_cleanly(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbound_handshake_and_our_version),
        cmocka_unit_test(test_outbound_handshake_to_connect_peer),
        cmocka_unit_test(test_message_before_version_disconnects),
        cmocka_unit_test(test_duplicate_version_disconnects),
        cmocka_unit_test(test_sendaddrv2_after_verack_disconnects),
        cmocka_unit_test(test_feature_messages_between_version_and_verack_accepted),
        cmocka_unit_test(test_handshake_timeout_fires_at_configured_time),
        cmocka_unit_test(test_handshake_timeout_not_before_configured_time),
        cmocka_unit_test(test_verack_that_never_comes_times_out),
        cmocka_unit_test(test_idle_ping_and_pong_keep_peer),
        cmocka_unit_test(test_no_ping_before_the_interval),
        cmocka_unit_test(test_ping_timeout_not_before_configured_time),
        cmocka_unit_test(test_unanswered_ping_times_out),
        cmocka_unit_test(test_ping_answered_with_same_nonce),
        cmocka_unit_test(test_flood_disconnected_for_rate),
        cmocka_unit_test(test_solicited_burst_not_counted),
        cmocka_unit_test(test_oversized_length_disconnects_before_payload),
        cmocka_unit_test(test_bad_magic_disconnects),
        cmocka_unit_test(test_bad_checksum_dropped_and_scored),
        cmocka_unit_test(test_self_connection_detected),
        cmocka_unit_test(test_two_daemons_ping_each_other),
        cmocka_unit_test(test_sigterm_with_peers_exits_cleanly),
        cmocka_unit_test(test_inbound_beyond_maxconnections_refused),
        cmocka_unit_test(test_peer_that_does_not_read_pauses_our_reading),
        cmocka_unit_test(test_v2_peer_handshakes_and_a_bad_tag_disconnects),
        cmocka_unit_test(test_v2_garbage_over_4095_bytes_disconnects),
        cmocka_unit_test(test_two_daemons_speak_v2),
    };
    return test_run_group(tests);
}
