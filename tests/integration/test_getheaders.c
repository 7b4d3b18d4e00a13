/* getheaders answered as Bitcoin Core v29 does (issue 13 item 5), asked of
 * a daemon that holds a 10-header regtest chain:
 * - an empty locator with an unknown stop hash (zero included): no reply;
 * - an empty locator with a stop hash on our chain: that header alone;
 * - a locator with nothing in common with our chain: headers from height 1
 *   (not genesis);
 * - while our tip has less work than --minimumchainwork: an empty headers
 *   message, except to a whitelisted peer (Core's Download permission);
 * and a short low-work chain is dropped unstored, though a header in it
 * with bad proof of work is still punished.
 * "No reply" is shown by order, not by waiting: the daemon answers
 * getheaders in the order they came, so a second request with a known
 * answer is sent behind the one under test, and the first headers message
 * back must be that answer. */
#include "harness.h"
#include "header_chain.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/netparams.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define WAIT_MS 20000
#define CHAIN 10

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

static void send_getheaders(struct sp *s, const uint8_t (*hashes)[32], size_t count,
                            const uint8_t stop[32])
{
    uint8_t loc[4][32];
    assert_true(count <= 4);
    if (count) memcpy(loc, hashes, count * 32);
    struct wire_msg m = {.type = WIRE_GETHEADERS};
    m.u.locator.version = 70016;
    m.u.locator.count = count;
    m.u.locator.hashes = loc;
    if (stop) memcpy(m.u.locator.hash_stop, stop, 32);
    assert_true(sp_send(s, &m));
}

/* The next headers message (the caller frees it). */
static void next_headers(struct sp *s, struct wire_msg *m)
{
    if (!sp_expect(s, WIRE_HEADERS, m, WAIT_MS)) fail_msg("no headers message");
}

static void assert_header_is(const struct wire_header *h, const struct header_chain *c, size_t height)
{
    uint8_t hash[32];
    wire_header_hash(h, hash);
    assert_memory_equal(hash, c->hashes[height], 32);
}

/* The marker behind a request that should get no reply: genesis as the
 * locator, stop at height 3 → headers 1..3. */
static void send_marker(struct sp *s, const struct header_chain *c)
{
    send_getheaders(s, &c->hashes[0], 1, c->hashes[3]);
}

static void expect_marker(struct sp *s, const struct header_chain *c)
{
    struct wire_msg m;
    next_headers(s, &m);
    assert_int_equal(m.u.headers.count, 3);
    assert_header_is(&m.u.headers.headers[0], c, 1);
    assert_header_is(&m.u.headers.headers[2], c, 3);
    wire_msg_free(&m);
}

/* A daemon holding c: a whitelisted-or-not feeder on 127.0.0.2 sends it. */
static uint16_t start_with_chain(struct daemon_proc *d, const struct header_chain *c,
                                 const char *const *extra)
{
    const char *args[8] = {"--max-outbound=0", "--dnsseed=0", "--max-msg-rate=0"};
    size_t n = 3;
    for (size_t i = 0; extra && extra[i] && n < 7; i++) args[n++] = extra[i];
    args[n] = NULL;
    uint16_t port = daemon_start_listening(d, args);
    if (!port) fail_msg("daemon did not start:\n%s", d->log);
    struct sp f;
    assert_true(sp_connect_from(&f, "127.0.0.2", port, magic()));
    assert_true(sp_handshake(&f, true, NULL, WAIT_MS));
    struct wire_msg m = {.type = WIRE_HEADERS, .u.headers = {.count = CHAIN, .headers = c->headers + 1}};
    assert_true(sp_send(&f, &m));
    char needle[32];
    snprintf(needle, sizeof needle, "height=%d", CHAIN);
    if (!daemon_wait_log(d, needle, WAIT_MS)) fail_msg("chain not taken:\n%s", d->log);
    sp_close(&f);
    return port;
}

static void asker(struct sp *s, uint16_t port, const char *from)
{
    assert_true(sp_connect_from(s, from, port, magic()));
    assert_true(sp_handshake(s, true, NULL, WAIT_MS));
}

static void test_locator_rules(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, CHAIN, 0);
    struct daemon_proc d;
    uint16_t port = start_with_chain(&d, &c, NULL);
    struct sp s;
    asker(&s, port, "127.0.0.1");

    /* Empty locator, zero stop hash: nothing (Core: unknown stop). */
    uint8_t zero[32] = {0};
    send_getheaders(&s, NULL, 0, zero);
    send_marker(&s, &c);
    expect_marker(&s, &c);

    /* Empty locator, a stop hash nobody has: nothing. */
    uint8_t unknown[32];
    memset(unknown, 0xab, sizeof unknown);
    send_getheaders(&s, NULL, 0, unknown);
    send_marker(&s, &c);
    expect_marker(&s, &c);

    /* Empty locator, stop at our header 5: that header alone. */
    send_getheaders(&s, NULL, 0, c.hashes[5]);
    struct wire_msg m;
    next_headers(&s, &m);
    assert_int_equal(m.u.headers.count, 1);
    assert_header_is(&m.u.headers.headers[0], &c, 5);
    wire_msg_free(&m);

    /* Nothing in common: from height 1, the whole chain. */
    send_getheaders(&s, (const uint8_t(*)[32])unknown, 1, zero);
    next_headers(&s, &m);
    assert_int_equal(m.u.headers.count, CHAIN);
    assert_header_is(&m.u.headers.headers[0], &c, 1);
    assert_header_is(&m.u.headers.headers[CHAIN - 1], &c, CHAIN);
    wire_msg_free(&m);

    /* A fork point on our chain: the headers after it. */
    send_getheaders(&s, &c.hashes[7], 1, zero);
    next_headers(&s, &m);
    assert_int_equal(m.u.headers.count, CHAIN - 7);
    assert_header_is(&m.u.headers.headers[0], &c, 8);
    wire_msg_free(&m);

    sp_close(&s);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&c);
}

static void test_too_little_work_answers_empty_except_whitelisted(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make(&c, CHAIN, 0);
    /* 10 headers are 22 units of work, the minimum 4,096: our tip is below
     * it. The feeder (127.0.0.2) is whitelisted, so its short chain is
     * stored although its work is below the minimum. */
    const char *extra[] = {"--minimumchainwork=0x1000", "--whitelist=127.0.0.2/32", NULL};
    struct daemon_proc d;
    uint16_t port = start_with_chain(&d, &c, extra);

    struct sp s;
    asker(&s, port, "127.0.0.1");
    send_getheaders(&s, &c.hashes[0], 1, NULL);
    struct wire_msg m;
    next_headers(&s, &m);
    assert_int_equal(m.u.headers.count, 0);
    wire_msg_free(&m);
    assert_true(daemon_wait_log(&d, "Ignoring getheaders because active chain has too little work",
                                WAIT_MS));
    sp_close(&s);

    asker(&s, port, "127.0.0.2");
    send_getheaders(&s, &c.hashes[0], 1, NULL);
    next_headers(&s, &m);
    assert_int_equal(m.u.headers.count, CHAIN);
    assert_header_is(&m.u.headers.headers[0], &c, 1);
    wire_msg_free(&m);
    sp_close(&s);

    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&c);
}

static void test_short_low_work_chain_is_ignored(void **state)
{
    (void)state;
    /* The same chain from a peer that is not whitelisted: a short message
     * below the minimum is dropped (Core's "Ignoring low-work chain"), and
     * nothing is stored. */
    struct header_chain c;
    header_chain_make(&c, CHAIN, 0);
    const char *extra[] = {"--minimumchainwork=0x1000", "--max-outbound=0", "--dnsseed=0", NULL};
    struct daemon_proc d;
    uint16_t port = daemon_start_listening(&d, extra);
    assert_true(port);
    struct sp s;
    asker(&s, port, "127.0.0.1");
    struct wire_msg m = {.type = WIRE_HEADERS, .u.headers = {.count = CHAIN, .headers = c.headers + 1}};
    assert_true(sp_send(&s, &m));
    assert_true(daemon_wait_log(&d, "Ignoring low-work chain (height=10)", WAIT_MS));
    assert_null(strstr(d.log, "new best header"));
    sp_close(&s);

    /* Dropped, but not unchecked: a header with bad proof of work is still
     * misbehaviour, as Core's CheckHeadersPoW makes it. */
    struct header_chain bad;
    header_chain_make(&bad, 1, 1);
    asker(&s, port, "127.0.0.1");
    struct wire_msg b = {.type = WIRE_HEADERS, .u.headers = {.count = 1, .headers = bad.headers + 1}};
    assert_true(sp_send(&s, &b));
    assert_true(daemon_wait_log(&d, "invalid low-work header at 0: invalid-header-high-hash", WAIT_MS));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    header_chain_free(&bad);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locator_rules),
        cmocka_unit_test(test_too_little_work_answers_empty_except_whitelisted),
        cmocka_unit_test(test_short_low_work_chain_is_ignored),
    };
    return test_run_group(tests);
}
