/* Interop with an implementation nobody on the team wrote: bcoin 1.0.2
 * (JavaScript, from npm) on regtest, 127.0.0.1 only. Both directions:
 * the handshake completes and pings are answered each way.
 *
 * bcoin is installed by scripts/test.sh (npm ci in tests/interop/bcoin);
 * when npm could not install it, these tests print SKIP and are skipped. */
#include "harness.h"
#include "testutil.h"

#include <btcpeerd/clock.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BCOIN_DIR BTCPEERD_SOURCE_DIR "/tests/interop/bcoin"
#define WAIT_MS 40000

/* Skips the running test when npm could not install bcoin. */
static void require_bcoin(void)
{
    struct stat st;
    if (stat(BCOIN_DIR "/node_modules/bcoin/package.json", &st) != 0)
        test_skip("bcoin is not installed in %s (npm could not install it)", BCOIN_DIR);
}

static bool start_bcoin_mining(struct daemon_proc *b, uint16_t listen_port, const char *only, int blocks)
{
    char port[16], mine[16];
    snprintf(port, sizeof port, "%u", listen_port);
    snprintf(mine, sizeof mine, "%d", blocks);
    const char *argv[] = {"node", BCOIN_DIR "/bcoin_peer.js", port, only, mine, NULL};
    return process_start(b, argv);
}

static bool start_bcoin(struct daemon_proc *b, uint16_t listen_port, const char *only)
{
    return start_bcoin_mining(b, listen_port, only, 0);
}

/* The 64 hex digits after `key":"` in bcoin's output. */
static void json_hash(const char *log, const char *key, char out[65])
{
    char needle[32];
    snprintf(needle, sizeof needle, "\"%s\":\"", key);
    const char *p = strstr(log, needle);
    assert_non_null(p);
    memcpy(out, p + strlen(needle), 64);
    out[64] = '\0';
}

static void wait_pongs_in_daemon(struct daemon_proc *d, size_t n)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(d, "received pong") < n && clock_mono_ms() < deadline)
        daemon_pump(d, 50);
    if (daemon_log_count(d, "received pong") < n) fail_msg("bcoin did not answer pings:\n%s", d->log);
}

static void test_btcpeerd_connects_to_bcoin(void **state)
{
    (void)state;
    require_bcoin();
    uint16_t port = free_port();
    struct daemon_proc bcoin, d;
    char only[32], connect[48];
    snprintf(only, sizeof only, "127.0.0.1:%u", free_port()); /* nothing listens: bcoin stays idle */
    assert_true(start_bcoin(&bcoin, port, only));
    if (!daemon_wait_log(&bcoin, "\"event\":\"listening\"", WAIT_MS))
        fail_msg("bcoin did not start:\n%s", bcoin.log ? bcoin.log : "");
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    /* bcoin ignores a BIP324 key rather than closing: after the handshake
     * timeout we fall back to v1, as Core does. */
    const char *args[] = {"--network=regtest", connect, "--ping-interval=0.2", "--log-level=trace",
                          "--debug=peer", "--handshake-timeout=1", NULL};
    assert_true(daemon_start(&d, args));
    if (!daemon_wait_log(&d, "handshake complete", WAIT_MS))
        fail_msg("log (end):\n%s", d.log && d.log_len > 3000 ? d.log + d.log_len - 3000 : d.log);
    assert_non_null(strstr(d.log, "user_agent=/bcoin:v1.0.2/"));
    assert_non_null(strstr(d.log, "version=70015"));
    wait_pongs_in_daemon(&d, 3);            /* bcoin answers our pings */
    assert_true(daemon_wait_log(&bcoin, "\"round\":3", WAIT_MS)); /* we answer bcoin's */
    assert_non_null(strstr(bcoin.log, "\"agent\":\"/btcpeerd:"));
    /* the only disconnect: our BIP324 attempt, which bcoin answered in v1 */
    assert_non_null(strstr(d.log, "does not speak BIP324: reconnecting with v1"));
    assert_int_equal(daemon_log_count(&d, "reason="), daemon_log_count(&d, "reason=v2-handshake"));
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_stop(&bcoin, SIGTERM, WAIT_MS);
    daemon_cleanup(&d);
    daemon_cleanup(&bcoin);
}

/* bcoin, like Bitcoin Core, keeps outbound peers only if they offer
 * NODE_NETWORK. btcpeerd serves no blocks and says so (services = WITNESS),
 * so bcoin dialling us parses our version and leaves: what we check here is
 * that our inbound side handshakes correctly up to that point and that bcoin
 * read our version as sent. */
static void test_bcoin_connects_to_btcpeerd(void **state)
{
    (void)state;
    require_bcoin();
    struct daemon_proc bcoin, d;
    const char *args[] = {"--network=regtest", "--bind=127.0.0.1", "--port=0", "--ping-interval=0.2",
                          "--log-level=trace", "--debug=peer", NULL};
    assert_true(daemon_start(&d, args));
    uint16_t port = daemon_port(&d, WAIT_MS);
    assert_true(port != 0);
    char only[32];
    snprintf(only, sizeof only, "127.0.0.1:%u", port);
    assert_true(start_bcoin(&bcoin, 0, only));
    /* bcoin's version reached us and we answered with version + verack */
    assert_true(daemon_wait_log(&d, "direction=inbound state=sent-verack reason=eof", WAIT_MS));
    assert_non_null(strstr(d.log, "msgs_in=1 msgs_out=2"));
    /* and bcoin decoded our version: its reason is our (truthful) services */
    assert_true(daemon_wait_log(&bcoin, "Peer does not support network services", WAIT_MS));
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_stop(&bcoin, SIGTERM, WAIT_MS);
    daemon_cleanup(&d);
    daemon_cleanup(&bcoin);
}

/* bcoin mines 200 regtest blocks; btcpeerd syncs exactly those headers to
 * bcoin's tip, then fetches one of the blocks and checks it. */
static void test_btcpeerd_syncs_headers_from_bcoin_and_fetches_a_block(void **state)
{
    (void)state;
    require_bcoin();
    uint16_t port = free_port();
    struct daemon_proc bcoin, d;
    char only[32], connect[48], fetch[96], tip[65], middle[65];
    snprintf(only, sizeof only, "127.0.0.1:%u", free_port());
    assert_true(start_bcoin_mining(&bcoin, port, only, 200));
    if (!daemon_wait_log(&bcoin, "\"event\":\"listening\"", 60000))
        fail_msg("bcoin did not start:\n%s", bcoin.log ? bcoin.log : "");
    json_hash(bcoin.log, "tip", tip);
    json_hash(bcoin.log, "middle", middle);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    snprintf(fetch, sizeof fetch, "--fetch-block=%s", middle);
    /* v1 from the start: this test is about sync and blocks; the BIP324
     * fallback has its own test above. */
    const char *args[] = {"--network=regtest", connect, fetch, "--v2transport=0", NULL};
    assert_true(daemon_start(&d, args));
    if (!daemon_wait_log(&d, "caught up at height 200", WAIT_MS))
        fail_msg("log (end):\n%s", d.log && d.log_len > 3000 ? d.log + d.log_len - 3000 : d.log);
    assert_non_null(strstr(d.log, tip));
    assert_true(daemon_wait_log(&d, "block fetched", WAIT_MS));
    assert_non_null(strstr(strstr(d.log, "block fetched"), middle));
    char path[256];
    snprintf(path, sizeof path, "%s/data/regtest/blocks/%s.blk", d.datadir, middle);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 80);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_stop(&bcoin, SIGTERM, WAIT_MS);
    daemon_cleanup(&d);
    daemon_cleanup(&bcoin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btcpeerd_connects_to_bcoin),
        cmocka_unit_test(test_bcoin_connects_to_btcpeerd),
        cmocka_unit_test(test_btcpeerd_syncs_headers_from_bcoin_and_fetches_a_block),
    };
    return test_run_group(tests);
}
