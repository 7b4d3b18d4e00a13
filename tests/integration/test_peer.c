/* The peer against a scripted remote on 127.0.0.1: handshakes both ways,
 * the handshake rules, each timer at its configured time, the rate limit,
 * transport errors, self-connection and shutdown. Timeouts are set in
 * fractions of a second so the suite stays fast; every wait has a deadline.
 * The cases where a remote breaks a rule are rows of a table
 * (hostile_runner.h) at the end; the hostile ones among them (no version,
 * no verack, no pong, oversized length, bad magic, bad checksums, a peer
 * that stops reading, v2 garbage and a bad v2 tag) also check the
 * aftermath: a well-behaved peer is still served and RSS is back at the
 * baseline (aftermath.h); the rest of the hostile cases are in
 * test_hostile.c. */
#include "aftermath.h"
#include "harness.h"
#include "hostile_runner.h"
#include "metrics_client.h"
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

/* Several ping rounds each way: each daemon's count of pongs that matched
 * its ping (the RTT histogram) reaches 3. */
static void test_two_daemons_ping_each_other(void **state)
{
    (void)state;
    struct daemon_proc a, b;
    const char *extra[] = {"--ping-interval=0.1", "--metrics-bind=127.0.0.1:0", NULL};
    uint16_t port = start_listening(&a, extra);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *args[] = {"--network=regtest", connect, "--ping-interval=0.1", "--metrics-bind=127.0.0.1:0",
                          NULL};
    assert_true(daemon_start(&b, args));
    assert_true(daemon_wait_log(&a, "handshake complete", WAIT_MS));
    assert_true(daemon_wait_log(&b, "handshake complete", WAIT_MS));
    assert_non_null(strstr(b.log, "user_agent=/btcpeerd:"));
    static const char pongs[] = "btcpeerd_peer_ping_rtt_seconds_count";
    struct daemon_proc *both[] = {&a, &b};
    for (size_t i = 0; i < 2; i++) {
        char *text = metrics_scrape_until(metrics_port(both[i]), pongs, 3);
        assert_true(metrics_value(text, pongs) >= 3);
        free(text);
    }
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

/* ---- hostile cases (hostile_runner.h): each a row of the table below ---- */

static void attack_version_again(struct hc_run *r)
{
    struct wire_msg v;
    sp_make_version(&v, 77, 0);
    assert_true(sp_send(&r->s, &v));
}

/* A version, and no verack after it. */
static void attack_version_only(struct hc_run *r)
{
    struct wire_msg v;
    sp_make_version(&v, 79, 0);
    assert_true(sp_send(&r->s, &v));
}

/* A version framed with mainnet's magic, to a regtest daemon. */
static void attack_mainnet_version(struct hc_run *r)
{
    memcpy(r->s.magic, netparams_get(NET_MAIN)->magic, 4);
    struct wire_msg v;
    sp_make_version(&v, 80, 0);
    assert_true(sp_send(&r->s, &v));
}

/* The daemon's ping answered with another nonce: that changes nothing. */
static void attack_pong_with_other_nonce(struct hc_run *r)
{
    struct wire_msg ping;
    assert_true(sp_expect(&r->s, WIRE_PING, &ping, WAIT_MS));
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping.nonce = ping.u.ping.nonce ^ 1};
    assert_true(sp_send(&r->s, &pong));
}

/* 20 unsolicited messages every 100 ms: 200/s, twenty times the limit.
 * The seed's rule judges after the first whole second. */
static void attack_sendheaders_flood(struct hc_run *r)
{
    bool closed = false;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (!closed && clock_mono_ms() < deadline) {
        for (int i = 0; i < 20 && !closed; i++) closed = !sp_send_empty(&r->s, WIRE_SENDHEADERS);
        if (!closed) closed = sp_wait_closed(&r->s, 100);
    }
    assert_true(closed);
}

/* 12 connections minus 8 full-relay and 2 block-relay-only outbound slots:
 * room for 2 inbound; the third is refused at accept. */
static void attack_third_inbound(struct hc_run *r)
{
    struct sp s1, s2, s3;
    connect_and_handshake(&s1, r->port, NULL);
    connect_and_handshake(&s2, r->port, NULL);
    assert_true(sp_connect(&s3, r->port, regtest_magic()));
    assert_true(sp_wait_closed(&s3, WAIT_MS));
    hc_expect_reason(&r->d, "inbound-full");
    sp_close(&s1);
    sp_close(&s2);
    sp_close(&s3);
}

/* getdata for 50,000 things we do not have: each answer is a 1.8 MB
 * notfound, and we never read them, until the daemon pauses reading us;
 * then we finish the frame we were in, read again, and are served. */
static void attack_stop_reading(struct hc_run *r)
{
    struct buf_writer frame;
    buf_writer_init(&frame);
    hc_frame_getdata_50000(&frame);
    size_t off = 0;
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (!strstr(r->d.log, "reading paused") && clock_mono_ms() < deadline) {
        off = (off + sp_send_some(&r->s, frame.data + off, frame.len - off)) % frame.len;
        daemon_pump(&r->d, 5);
    }
    assert_non_null(strstr(r->d.log, "reading paused"));
    if (off) assert_true(sp_send_draining(&r->s, frame.data + off, frame.len - off, WAIT_MS));
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 5};
    assert_true(sp_send_draining(&r->s, NULL, 0, WAIT_MS));
    assert_true(sp_send(&r->s, &ping));
    assert_true(sp_expect(&r->s, WIRE_PONG, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&r->d, "reading resumed", WAIT_MS));
    buf_writer_free(&frame);
}

/* A v2 handshake, our version over the encrypted channel, then a packet
 * with one bit flipped in its ciphertext. */
static void attack_v2_bad_tag(struct hc_run *r)
{
    struct transport_v2 t;
    struct buf_writer out, payload;
    buf_writer_init(&out);
    buf_writer_init(&payload);
    assert_true(v2_handshake(&r->s, &t, &out));
    struct wire_msg v;
    sp_make_version(&v, 99, 0);
    assert_int_equal(wire_encode(&v, &payload), WIRE_OK);
    buf_writer_reset(&out);
    assert_int_equal(transport_v2_write(&t, "version", payload.data, payload.len, &out), TRANSPORT_OK);
    assert_true(sp_send_raw(&r->s, out.data, out.len));
    buf_writer_reset(&out);
    uint8_t nonce[8] = {1};
    assert_int_equal(transport_v2_write(&t, "ping", nonce, 8, &out), TRANSPORT_OK);
    out.data[out.len - 20] ^= 0x01;
    assert_true(sp_send_raw(&r->s, out.data, out.len));
    buf_writer_free(&payload);
    buf_writer_free(&out);
    transport_v2_clear(&t);
}

/* 64 bytes (any are a valid key) and 4,200 of garbage: no terminator
 * within the 4,095 allowed. */
static void attack_v2_garbage(struct hc_run *r)
{
    uint8_t junk[64 + 4200];
    uint64_t rng = 7;
    test_random_bytes(&rng, junk, sizeof junk);
    assert_true(sp_send_draining(&r->s, junk, sizeof junk, WAIT_MS));
}

static const uint8_t nonce_1_8[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static const struct hostile_case cases[] = {
    /* With BIP324 on, bytes that do not start a v1 version are a v2 key:
     * the v1 rule is tested with v2 off. */
    {"test_message_before_version_disconnects", "verack-first", {"--v2transport=0"}, false,
     {{.what = "a verack first", .conn = HC_RAW, .frames = {{.command = "verack"}}, .after = HC_CLOSED,
       .reason = "protocol-violation", .state = "none"}}},
    {"test_duplicate_version_disconnects", "version-twice", {NULL}, false,
     {{.what = "a second version", .attack = attack_version_again, .after = HC_CLOSED,
       .reason = "protocol-violation"}}},
    {"test_sendaddrv2_after_verack_disconnects", "sendaddrv2-late", {NULL}, false,
     {{.what = "sendaddrv2 after verack", .frames = {{.command = "sendaddrv2"}}, .after = HC_CLOSED,
       .reason = "protocol-violation"}}},
    /* dropped by the handshake timer (reason handshake-timeout, not another path) */
    {"test_handshake_timeout_fires_at_configured_time", "version-never-comes", {"--handshake-timeout=0.3"},
     true,
     {{.what = "no version", .conn = HC_RAW, .after = HC_CLOSED, .reason = "handshake-timeout",
       .state = "none"}}},
    {"test_verack_that_never_comes_times_out", "verack-never-comes", {"--handshake-timeout=0.3"}, true,
     {{.what = "a version, no verack", .conn = HC_RAW, .attack = attack_version_only, .after = HC_CLOSED,
       .reason = "handshake-timeout", .state = "sent-verack"}}},
    {"test_unanswered_ping_times_out", "ping-unanswered", {"--ping-interval=0.2", "--ping-timeout=0.3"},
     true,
     {{.what = "a pong with another nonce", .attack = attack_pong_with_other_nonce, .after = HC_CLOSED,
       .reason = "ping-timeout"}}},
    {"test_flood_disconnected_for_rate", "flood", {NULL}, false,
     {{.what = "200 sendheaders a second", .attack = attack_sendheaders_flood, .after = HC_CLOSED,
       .reason = "rate-limit"}}},
    {"test_oversized_length_disconnects_before_payload", "oversized-length", {NULL}, true,
     {{.what = "a length over the limit, no payload byte sent",
       .frames = {{.command = "block", .claimed = WIRE_MAX_PAYLOAD + 1}}, .after = HC_CLOSED,
       .reason = "oversize"}}},
    {"test_bad_magic_disconnects", "bad-magic", {NULL}, true,
     {{.what = "a mainnet version", .conn = HC_RAW, .attack = attack_mainnet_version, .after = HC_CLOSED,
       .reason = "bad-magic"}}},
    {"test_bad_checksum_dropped_not_punished", "bad-checksum", {NULL}, true,
     {{.what = "a bad checksum: dropped, the next ping answered",
       .frames = {{.command = "ping", .payload = nonce_1_8, .len = 8, .bad_checksum = true}},
       .after = HC_ANSWERS_PING, .counts = {{"drop=ping-bad-checksum", 1}}},
      /* each dropped, none punished (Core; no score since issue 13) */
      {.what = "nine more: dropped, the next ping answered", .conn = HC_SAME,
       .frames = {{.command = "ping", .payload = nonce_1_8, .len = 8, .bad_checksum = true, .repeat = 9}},
       .after = HC_ANSWERS_PING, .counts = {{"drop=ping-bad-checksum", 9, true}},
       .never = "reason=misbehaving"}}},
    {"test_inbound_beyond_maxconnections_refused", "inbound-full", {"--maxconnections=12"}, false,
     {{.what = "a third inbound", .conn = HC_OWN, .attack = attack_third_inbound}}},
    {"test_peer_that_does_not_read_pauses_our_reading", "stops-reading", {NULL}, true,
     {{.what = "getdata, never reading the answers", .attack = attack_stop_reading, .never = "reason="}}},
    {"test_v2_peer_handshakes_and_a_bad_tag_disconnects", "v2-bad-tag", {NULL}, true,
     {{.what = "a v2 packet with a flipped bit", .conn = HC_RAW, .attack = attack_v2_bad_tag,
       .after = HC_CLOSED, .reason = "v2-decrypt"}}},
    {"test_v2_garbage_over_4095_bytes_disconnects", "v2-garbage", {NULL}, true,
     {{.what = "4,200 bytes of garbage", .conn = HC_RAW, .attack = attack_v2_garbage, .after = HC_CLOSED,
       .reason = "v2-handshake"}}},
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbound_handshake_and_our_version),
        cmocka_unit_test(test_outbound_handshake_to_connect_peer),
        cmocka_unit_test(test_feature_messages_between_version_and_verack_accepted),
        cmocka_unit_test(test_handshake_timeout_not_before_configured_time),
        cmocka_unit_test(test_idle_ping_and_pong_keep_peer),
        cmocka_unit_test(test_no_ping_before_the_interval),
        cmocka_unit_test(test_ping_timeout_not_before_configured_time),
        cmocka_unit_test(test_ping_answered_with_same_nonce),
        cmocka_unit_test(test_solicited_burst_not_counted),
        cmocka_unit_test(test_self_connection_detected),
        cmocka_unit_test(test_two_daemons_ping_each_other),
        cmocka_unit_test(test_sigterm_with_peers_exits_cleanly),
        cmocka_unit_test(test_two_daemons_speak_v2),
    };
    enum { PLAIN = sizeof tests / sizeof tests[0], HOSTILE = sizeof cases / sizeof cases[0] };
    struct CMUnitTest all[PLAIN + HOSTILE];
    memcpy(all, tests, sizeof tests);
    hostile_tests(cases, HOSTILE, all + PLAIN);
    return hostile_run_group(all, PLAIN + HOSTILE);
}
