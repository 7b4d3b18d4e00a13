/* sendrawtransaction end to end against bcoin 1.0.2 (JavaScript, from
 * npm), on regtest over 127.0.0.1. bcoin A mines 440 blocks to
 * P2WSH(OP_TRUE) (bcoin refuses witness transactions until segwit is
 * active: BIP9 on regtest, active from height 432); bcoin B follows A; btcpeerd's one ordinary peer is B.
 * A transaction spending A's first coinbase goes to btcpeerd, which hands
 * it to A over a private-broadcast connection (bcoin has no wtxidrelay:
 * announced and asked for by txid); A's mempool takes it and relays it to
 * B, which announces it to btcpeerd: propagated.
 *
 * bcoin is installed by scripts/test.sh (npm ci in tests/interop/bcoin);
 * without it the test is skipped (a skip fails the suite). */
#include "harness.h"
#include "rpc_daemon.h"
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/hex.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BCOIN_DIR BTCPEERD_SOURCE_DIR "/tests/interop/bcoin"
#define WAIT_MS 60000

static void require_bcoin(void)
{
    struct stat st;
    if (stat(BCOIN_DIR "/node_modules/bcoin/package.json", &st) != 0)
        test_skip("bcoin is not installed in %s (npm could not install it)", BCOIN_DIR);
}

#define BLOCKS 440

static void start_bcoin(struct daemon_proc *b, uint16_t listen_port, const char *only, int blocks)
{
    char port[16], mine[16];
    snprintf(port, sizeof port, "%u", listen_port);
    snprintf(mine, sizeof mine, "%d", blocks);
    const char *argv[] = {"node", BCOIN_DIR "/bcoin_peer.js", port, only, mine, "p2wsh", NULL};
    assert_true(process_start(b, argv));
    if (!daemon_wait_log(b, "\"event\":\"listening\"", WAIT_MS))
        fail_msg("bcoin did not start:\n%s", b->log ? b->log : "");
}

/* The string value after `"key":"` in bcoin's output. */
static void json_str(const char *log, const char *key, char *out, size_t cap)
{
    char needle[32];
    snprintf(needle, sizeof needle, "\"%s\":\"", key);
    const char *p = strstr(log, needle);
    assert_non_null(p);
    p += strlen(needle);
    size_t n = strcspn(p, "\"");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static void test_bcoin_mempool_takes_it_and_it_comes_back(void **state)
{
    (void)state;
    require_bcoin();
    uint16_t pa = free_port(), pb = free_port();
    struct daemon_proc a, b;
    char idle[32], only_a[32];
    snprintf(idle, sizeof idle, "127.0.0.1:%u", free_port()); /* nothing listens: A dials nobody */
    snprintf(only_a, sizeof only_a, "127.0.0.1:%u", pa);
    start_bcoin(&a, pa, idle, BLOCKS);
    setenv("BCOIN_SAY_TIP", "1", 1);
    start_bcoin(&b, pb, only_a, 0);
    unsetenv("BCOIN_SAY_TIP");
    /* B has A's chain before we connect (B announces each block it gets) */
    char tip[48];
    snprintf(tip, sizeof tip, "\"event\":\"tip\",\"height\":%d}", BLOCKS);
    if (!daemon_wait_log(&b, tip, WAIT_MS)) fail_msg("B did not sync from A");

    char coinbase[65], value_text[32];
    json_str(a.log, "coinbase", coinbase, sizeof coinbase);
    const char *v = strstr(a.log, "\"coinbase_value\":");
    assert_non_null(v);
    int64_t value = strtoll(v + strlen("\"coinbase_value\":"), NULL, 10);
    snprintf(value_text, sizeof value_text, "%lld", (long long)value);
    assert_true(value > 10000);

    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", pb);
    /* B gossips 127.0.0.1:48444 (bcoin's default port, where nothing
     * listens) beside A: a private-broadcast dial there fails, and the
     * back-off, kept per host, would then hold A (127.0.0.1 too) for two
     * minutes; Core's 10-minute rule alone still passes A. */
    const char *extra[] = {connect, "--v2transport=0", "--test-broadcast-retry=0.1",
                           "--redial-backoff=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    char caught[48];
    snprintf(caught, sizeof caught, "caught up at height %d", BLOCKS);
    if (!daemon_wait_log(&r.d, caught, WAIT_MS)) {
        fprintf(stderr, "btcpeerd:\n%s\n", r.d.log);
        fail_msg("no sync from B");
    }
    /* A into the table. "success": false when it is there already (B
     * gossips the addresses it knows, A's among them): then it must be
     * listed. */
    json_t *reply = rpc_call(&r, "addpeeraddress", json_pack("[s,i]", "127.0.0.1", pa));
    bool added = json_is_true(json_object_get(rpc_result(reply), "success"));
    json_decref(reply);
    if (!added) {
        json_t *known = rpc_call(&r, "getnodeaddresses", json_pack("[i]", 0));
        json_t *list = rpc_result(known), *e;
        size_t i;
        bool listed = false;
        json_array_foreach(list, i, e) listed |= json_integer_value(json_object_get(e, "port")) == pa;
        json_decref(known);
        if (!listed) fail_msg("A (port %u) is neither added nor known:\n%s", pa, r.d.log);
    }

    uint8_t prev[32];
    size_t n;
    assert_true(hex_decode_n(coinbase, 64, prev, 32, &n) && n == 32);
    struct txbuild tx;
    txbuild_spend_p2wsh_op_true(&tx, prev, 0, value - 10000, NULL, 0);
    char *hex = txbuild_hex(&tx);
    uint8_t txid[32];
    char txid_hex[65];
    txbuild_txid(&tx, txid);
    hex_encode_rev(txid, 32, txid_hex);
    reply = rpc_call(&r, "sendrawtransaction", json_pack("[s]", hex));
    assert_string_equal(json_string_value(rpc_result(reply)), txid_hex);
    json_decref(reply);

    char line[160];
    snprintf(line, sizeof line, "\"event\":\"mempool\",\"txid\":\"%s\"", txid_hex);
    if (!daemon_wait_log(&a, line, WAIT_MS)) {
        fprintf(stderr, "bcoin A:\n%s\nbtcpeerd:\n%s\n", a.log, r.d.log);
        fail_msg("not in A's mempool");
    }
    assert_true(daemon_wait_log(&b, line, WAIT_MS));
    snprintf(line, sizeof line, "broadcast txid=%s seen back: announced by 127.0.0.1:%u", txid_hex, pb);
    if (!daemon_wait_log(&r.d, line, WAIT_MS)) {
        fprintf(stderr, "bcoin B:\n%s\nbtcpeerd:\n%s\n", b.log, r.d.log);
        fail_msg("not seen back");
    }
    reply = rpc_call(&r, "getbroadcastinfo", json_pack("[s]", txid_hex));
    json_t *o = rpc_result(reply);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "propagated");
    /* some attempt took it (the first may have been the dead 48444) */
    json_t *att;
    size_t k;
    bool taken = false;
    json_array_foreach(json_object_get(o, "attempts"), k, att) taken |= json_is_true(json_object_get(att, "taken"));
    assert_true(taken);
    json_decref(reply);
    /* A heard it from a connection that offered nothing of ours */
    assert_non_null(strstr(r.d.log, "reason=private-broadcast-done"));

    free(hex);
    txbuild_free(&tx);
    rpc_daemon_stop(&r);
    daemon_stop(&b, SIGTERM, WAIT_MS);
    daemon_stop(&a, SIGTERM, WAIT_MS);
    daemon_cleanup(&b);
    daemon_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcoin_mempool_takes_it_and_it_comes_back),
    };
    return test_run_group(tests);
}
