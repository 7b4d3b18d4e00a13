/* The JSON-RPC server of a real daemon, over real HTTP on 127.0.0.1 with
 * an ephemeral port (--rpcport=0, read back from the log): malformed
 * bodies, 413, batches, most methods with a scripted peer connected,
 * getblock answered later once a peer delivers the block (and timing out
 * when none does), slow clients, stop and shutdown, and btcpeerd-cli end
 * to end. Authentication, the cookie file and the RPC flags are in
 * test_rpc_auth.c; the HTTP client and daemon are rpc_testlib's. */
#include "cli_runner.h"
#include "harness.h"
#include "rpc_testlib.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The regtest genesis block: its header and the coinbase every network's
 * genesis shares. */
static const char genesis_coinbase_hex[] =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000";
static const char regtest_genesis_hash[] =
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

static const uint8_t *regtest_magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* ---- tests ---- */

static void test_malformed_oversize_and_batches(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    struct rpct_http_reply h;
    static const char *const bad[] = {"{", "[{\"method\":", "nonsense", "\"str\"", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rpct_http_post(r.rpc_port, r.cookie, bad[i], &h);
        assert_int_equal(h.status, 500);
        assert_non_null(strstr(h.body, "-32700"));
        rpct_http_reply_free(&h);
    }
    /* 2 MiB: refused, the daemon lives on */
    size_t big = 2u << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    rpct_http_recv(rpct_http_send(r.rpc_port, "POST", r.cookie, huge, big), &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 413);
    rpct_http_reply_free(&h);
    /* the cap is 1 MiB: one byte more is refused, and that much is read */
    rpct_http_recv(rpct_http_send(r.rpc_port, "POST", r.cookie, huge, (1u << 20) + 1), &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 413);
    rpct_http_reply_free(&h);
    static const char call_text[] = "{\"id\":1,\"method\":\"getblockcount\"}";
    memcpy(huge + (1u << 20) - (sizeof call_text - 1), call_text, sizeof call_text - 1);
    rpct_http_recv(rpct_http_send(r.rpc_port, "POST", r.cookie, huge, 1u << 20), &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 200);
    rpct_http_reply_free(&h);
    free(huge);

    rpct_http_post(r.rpc_port, r.cookie,
              "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblockcount\"},"
              "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\"},"
              "{\"jsonrpc\":\"1.0\",\"id\":\"two\",\"method\":\"getbestblockhash\"},"
              "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nosuchmethod\"}]",
              &h);
    assert_int_equal(h.status, 200);
    json_error_t err;
    json_t *arr = json_loads(h.body, 0, &err);
    assert_int_equal(json_array_size(arr), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "result")), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "result")),
                        regtest_genesis_hash);
    assert_true(json_is_null(json_object_get(json_array_get(arr, 1), "error")));
    assert_int_equal(rpct_error_code(json_array_get(arr, 2)), -32601);
    json_decref(arr);
    rpct_http_reply_free(&h);

    rpct_http_post(r.rpc_port, r.cookie, "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\"}", &h);
    assert_int_equal(h.status, 204);
    rpct_http_reply_free(&h);
    rpct_http_post(r.rpc_port, r.cookie, "{\"id\":1,\"method\":\"nosuchmethod\"}", &h);
    assert_int_equal(h.status, 404);
    rpct_http_reply_free(&h);
    /* named parameters */
    json_t *rep = rpct_call(&r, "getblockhash", "{\"height\":0}");
    assert_string_equal(json_string_value(rpct_result(rep)), regtest_genesis_hash);
    json_decref(rep);
    /* a bad hash of 300 "é": its quoted message is cut at a character
     * boundary, still -8 with a 1.0 request's 500 */
    char body[1024];
    size_t len = (size_t)snprintf(body, sizeof body, "{\"id\":1,\"method\":\"getblockheader\",\"params\":[\"");
    for (size_t i = 0; i < 300; i++) len += (size_t)snprintf(body + len, sizeof body - len, "\xc3\xa9");
    snprintf(body + len, sizeof body - len, "\"]}");
    rpct_http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 500);
    json_error_t jerr;
    rep = json_loads(h.body, 0, &jerr);
    assert_int_equal(rpct_error_code(rep), -8);
    json_decref(rep);
    rpct_http_reply_free(&h);
    rpct_stop(&r);
}

static void test_methods_with_a_peer(void **state)
{
    (void)state;
    struct rpct_daemon r;
    /* An onion proxy nobody listens at: never dialled (no onion peers), but
     * getnetworkinfo must show onion reachable through it. */
    const char *extra[] = {"--onion=127.0.0.1:9", NULL};
    rpct_start(&r, extra);
    uint16_t p2p = daemon_port(&r.d, RPCT_WAIT_MS);
    struct sp s;
    assert_true(sp_connect(&s, p2p, regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", RPCT_WAIT_MS));

    json_t *rep = rpct_call(&r, "getpeerinfo", NULL);
    json_t *peers = rpct_result(rep);
    assert_int_equal(json_array_size(peers), 1);
    json_t *p = json_array_get(peers, 0);
    assert_true(json_integer_value(json_object_get(p, "id")) > 0);
    assert_memory_equal(json_string_value(json_object_get(p, "addr")), "127.0.0.1:", 10);
    assert_memory_equal(json_string_value(json_object_get(p, "addrbind")), "127.0.0.1:", 10);
    assert_string_equal(json_string_value(json_object_get(p, "network")), "not_publicly_routable");
    assert_string_equal(json_string_value(json_object_get(p, "services")), "0000000000000009");
    assert_int_equal(json_array_size(json_object_get(p, "servicesnames")), 2);
    assert_true(json_is_true(json_object_get(p, "inbound")));
    assert_string_equal(json_string_value(json_object_get(p, "subver")), "/scripted-peer:1.0/");
    assert_int_equal(json_integer_value(json_object_get(p, "version")), PROTOCOL_VERSION);
    assert_string_equal(json_string_value(json_object_get(p, "connection_type")), "inbound");
    assert_string_equal(json_string_value(json_object_get(p, "transport_protocol_type")), "v1");
    assert_string_equal(json_string_value(json_object_get(p, "session_id")), "");
    assert_true(json_integer_value(json_object_get(p, "bytessent")) > 0);
    assert_true(json_integer_value(json_object_get(p, "bytesrecv")) > 0);
    assert_true(json_integer_value(json_object_get(p, "conntime")) > 1700000000);
    assert_true(json_integer_value(json_object_get(p, "lastrecv")) > 1700000000);
    json_t *sent = json_object_get(p, "bytessent_per_msg"), *recv = json_object_get(p, "bytesrecv_per_msg");
    assert_true(json_integer_value(json_object_get(sent, "version")) > 24);
    assert_int_equal(json_integer_value(json_object_get(sent, "verack")), 24);
    assert_int_equal(json_integer_value(json_object_get(recv, "verack")), 24);
    json_int_t peer_id = json_integer_value(json_object_get(p, "id"));
    json_decref(rep);

    rep = rpct_call(&r, "getconnectioncount", NULL);
    assert_int_equal(json_integer_value(rpct_result(rep)), 1);
    json_decref(rep);
    rep = rpct_call(&r, "getnetworkinfo", NULL);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "connections_in")), 1);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "protocolversion")), PROTOCOL_VERSION);
    assert_memory_equal(json_string_value(json_object_get(rpct_result(rep), "subversion")), "/btcpeerd:", 10);
    json_t *nets = json_object_get(rpct_result(rep), "networks");
    json_t *ipv4 = json_array_get(nets, 0), *onion = json_array_get(nets, 2), *i2p = json_array_get(nets, 3);
    assert_string_equal(json_string_value(json_object_get(onion, "name")), "onion");
    assert_true(json_is_true(json_object_get(onion, "reachable")));
    assert_string_equal(json_string_value(json_object_get(onion, "proxy")), "127.0.0.1:9");
    assert_true(json_is_true(json_object_get(ipv4, "reachable")));
    assert_string_equal(json_string_value(json_object_get(ipv4, "proxy")), "");
    assert_true(json_is_false(json_object_get(i2p, "reachable")));
    json_decref(rep);
    rep = rpct_call(&r, "getnettotals", NULL);
    assert_true(json_integer_value(json_object_get(rpct_result(rep), "totalbytesrecv")) > 0);
    assert_true(json_integer_value(json_object_get(rpct_result(rep), "totalbytessent")) > 0);
    json_decref(rep);

    rep = rpct_call(&r, "ping", NULL);
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    assert_true(sp_expect(&s, WIRE_PING, NULL, RPCT_WAIT_MS));

    /* chain */
    rep = rpct_call(&r, "getblockchaininfo", NULL);
    json_t *bc = rpct_result(rep);
    assert_string_equal(json_string_value(json_object_get(bc, "chain")), "regtest");
    assert_int_equal(json_integer_value(json_object_get(bc, "blocks")), 0);
    assert_string_equal(json_string_value(json_object_get(bc, "bestblockhash")), regtest_genesis_hash);
    json_decref(rep);
    rep = rpct_call(&r, "getblockhash", "[5]");
    assert_int_equal(rpct_error_code(rep), -8);
    json_decref(rep);
    char params[128];
    snprintf(params, sizeof params, "[\"%s\"]", regtest_genesis_hash);
    rep = rpct_call(&r, "getblockheader", params);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "height")), 0);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "confirmations")), 1);
    assert_string_equal(json_string_value(json_object_get(rpct_result(rep), "merkleroot")),
                        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\",false]", regtest_genesis_hash);
    rep = rpct_call(&r, "getblockheader", params);
    char genesis_hex[161];
    hex_encode(netparams_get(NET_REGTEST)->genesis_header, 80, genesis_hex);
    assert_string_equal(json_string_value(rpct_result(rep)), genesis_hex);
    json_decref(rep);
    rep = rpct_call(&r, "getblockheader", "[\"00000000000000000000000000000000000000000000000000000000000000aa\"]");
    assert_int_equal(rpct_error_code(rep), -5);
    json_decref(rep);

    /* control */
    rep = rpct_call(&r, "uptime", NULL);
    assert_true(json_integer_value(rpct_result(rep)) >= 0);
    json_decref(rep);
    rep = rpct_call(&r, "logging", "[[\"addrman\"],[\"net\"]]");
    assert_true(json_is_true(json_object_get(rpct_result(rep), "addrman")));
    assert_true(json_is_false(json_object_get(rpct_result(rep), "net")));
    json_decref(rep);
    rep = rpct_call(&r, "help", NULL);
    assert_non_null(strstr(json_string_value(rpct_result(rep)), "getpeerinfo"));
    json_decref(rep);

    /* address manager */
    rep = rpct_call(&r, "getaddrmaninfo", NULL);
    assert_non_null(json_object_get(json_object_get(rpct_result(rep), "all_networks"), "tried"));
    json_decref(rep);
    rep = rpct_call(&r, "getnodeaddresses", "[0]");
    assert_true(json_is_array(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "getnodeaddresses", "[1,\"carrier-pigeon\"]");
    assert_int_equal(rpct_error_code(rep), -8);
    json_decref(rep);

    /* addnode: onetry dials at once; add then add again, remove twice */
    uint16_t lport;
    int lfd = sp_listen(&lport);
    char target[64];
    snprintf(params, sizeof params, "[\"127.0.0.1:%u\",\"onetry\"]", lport);
    rep = rpct_call(&r, "addnode", params);
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    /* the dial itself is the answer (it offers BIP324: no v1 magic to check) */
    struct pollfd pl = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pl, 1, RPCT_WAIT_MS), 1);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    close(afd);
    snprintf(target, sizeof target, "127.0.0.1:%u", lport);
    snprintf(params, sizeof params, "[\"%s\",\"add\"]", target);
    rep = rpct_call(&r, "addnode", params);
    json_decref(rep);
    rep = rpct_call(&r, "addnode", params);
    assert_int_equal(rpct_error_code(rep), -23);
    json_decref(rep);
    rep = rpct_call(&r, "getaddednodeinfo", NULL);
    json_t *added = json_array_get(rpct_result(rep), 0);
    assert_string_equal(json_string_value(json_object_get(added, "addednode")), target);
    assert_true(json_is_false(json_object_get(added, "connected"))); /* no handshake from us */
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\",\"remove\"]", target);
    rep = rpct_call(&r, "addnode", params);
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "addnode", params);
    assert_int_equal(rpct_error_code(rep), -24);
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\"]", target);
    rep = rpct_call(&r, "getaddednodeinfo", params);
    assert_int_equal(rpct_error_code(rep), -24);
    json_decref(rep);
    close(lfd);
    /* add and remove, over and over: removed slots are taken again, so the
     * table (128 slots) never fills */
    for (int i = 0; i < 140; i++) {
        snprintf(params, sizeof params, "[\"%s\",\"add\"]", target);
        rep = rpct_call(&r, "addnode", params);
        if (!json_is_null(rpct_result(rep))) fail_msg("add #%d refused (code %lld)", i, (long long)rpct_error_code(rep));
        json_decref(rep);
        snprintf(params, sizeof params, "[\"%s\",\"remove\"]", target);
        rep = rpct_call(&r, "addnode", params);
        assert_true(json_is_null(rpct_result(rep)));
        json_decref(rep);
    }
    rep = rpct_call(&r, "getaddednodeinfo", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 0);
    json_decref(rep);

    /* bans */
    rep = rpct_call(&r, "setban", "[\"10.0.0.0/8\",\"add\",3600]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"10.0.0.0/8\",\"add\"]");
    assert_int_equal(rpct_error_code(rep), -23);
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"not-an-ip\",\"add\"]");
    assert_int_equal(rpct_error_code(rep), -30);
    json_decref(rep);
    rep = rpct_call(&r, "listbanned", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 1);
    json_t *ban = json_array_get(rpct_result(rep), 0);
    assert_string_equal(json_string_value(json_object_get(ban, "address")), "10.0.0.0/8");
    assert_int_equal(json_integer_value(json_object_get(ban, "ban_duration")), 3600);
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"10.0.0.0/8\",\"remove\"]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"10.0.0.0/8\",\"remove\"]");
    assert_int_equal(rpct_error_code(rep), -30);
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"192.0.2.1\",\"add\",4000000000,true]");
    json_decref(rep);
    rep = rpct_call(&r, "clearbanned", NULL);
    json_decref(rep);
    rep = rpct_call(&r, "listbanned", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 0);
    json_decref(rep);

    /* disconnectnode by id */
    rep = rpct_call(&r, "disconnectnode", "[\"\",999999]");
    assert_int_equal(rpct_error_code(rep), -29);
    json_decref(rep);
    snprintf(params, sizeof params, "{\"nodeid\":%lld}", (long long)peer_id);
    rep = rpct_call(&r, "disconnectnode", params);
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    assert_true(sp_wait_closed(&s, RPCT_WAIT_MS));
    sp_close(&s);
    rpct_stop(&r);
}

static uint8_t *genesis_block(size_t *len)
{
    size_t txlen;
    uint8_t *tx = test_unhex(genesis_coinbase_hex, &txlen);
    uint8_t *b = malloc(81 + txlen);
    memcpy(b, netparams_get(NET_REGTEST)->genesis_header, 80);
    b[80] = 1;
    memcpy(b + 81, tx, txlen);
    free(tx);
    *len = 81 + txlen;
    return b;
}

static void test_getblock_waits_for_a_peer(void **state)
{
    (void)state;
    struct rpct_daemon r;
    const char *extra[] = {"--rpc-getblock-timeout=0.5", NULL};
    rpct_start(&r, extra);
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", RPCT_WAIT_MS));
    char body[256];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]}",
             regtest_genesis_hash);

    /* a client that hangs up while its block is awaited: its reply goes
     * nowhere, no harm done (libevent notices the close only then) */
    int fd = rpct_http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(sp_expect(&s, WIRE_GETDATA, NULL, RPCT_WAIT_MS));
    close(fd);

    /* nobody answers: an error once the timeout passes */
    fd = rpct_http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    struct rpct_http_reply h;
    rpct_http_recv(fd, &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "\"error\""));
    assert_non_null(strstr(h.body, "not fetched"));
    rpct_http_reply_free(&h);

    /* asked again, and the peer delivers: the reply carries the block */
    fd = rpct_http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(daemon_wait_log(&r.d, "getblock " "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206: not stored", RPCT_WAIT_MS));
    size_t blen;
    uint8_t *block = genesis_block(&blen);
    assert_true(sp_send_frame(&s, "block", block, blen));
    rpct_http_recv(fd, &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 200);
    char *hex = malloc(blen * 2 + 1);
    hex_encode(block, blen, hex);
    json_error_t err;
    json_t *rep = json_loads(h.body, 0, &err);
    assert_string_equal(json_string_value(rpct_result(rep)), hex);
    json_decref(rep);
    rpct_http_reply_free(&h);
    free(hex);

    /* now stored: verbosity 1 from disk at once */
    char params[128];
    snprintf(params, sizeof params, "[\"%s\",1]", regtest_genesis_hash);
    rep = rpct_call(&r, "getblock", params);
    json_t *b = rpct_result(rep);
    assert_int_equal(json_integer_value(json_object_get(b, "nTx")), 1);
    assert_int_equal(json_integer_value(json_object_get(b, "size")), (json_int_t)blen);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "tx"), 0)),
                        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    json_decref(rep);
    free(block);
    sp_close(&s);
    rpct_stop(&r);
}

/* Ban times past the end of time, relative and absolute: banned until
 * INT64_MAX, no overflow. */
static void test_setban_huge_times(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    json_t *rep = rpct_call(&r, "setban", "[\"10.1.0.0/16\",\"add\",9223372036854775807]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"10.2.0.0/16\",\"add\",9223372036854775807,true]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"10.3.0.0/16\",\"add\",9223372036854775000]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rep = rpct_call(&r, "listbanned", NULL);
    json_t *bans = rpct_result(rep);
    assert_int_equal(json_array_size(bans), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(json_integer_value(json_object_get(json_array_get(bans, i), "banned_until")) ==
                    INT64_MAX);
    json_decref(rep);
    rpct_stop(&r);
}

/* --rpcport=0: 127.0.0.1 and ::1 (where the host has IPv6) on one port. */
static void test_rpcport_0_one_port_for_both_families(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    static const char v6[] = "RPC server bound to [::1]:";
    if (!daemon_wait_log(&r.d, "RPC cookie written", RPCT_WAIT_MS)) fail_msg("%s", r.d.log);
    const char *at = strstr(r.d.log, v6);
    if (at) {
        assert_int_equal(atoi(at + sizeof v6 - 1), r.rpc_port);
    } else {
        assert_non_null(strstr(r.d.log, "RPC server not bound to ::1"));
    }
    rpct_stop(&r);
}

/* --rpcservertimeout: a client that sends half a request and waits is cut
 * off after the timeout, not held forever. */
static void test_slow_client_cut_off_after_rpcservertimeout(void **state)
{
    (void)state;
    struct rpct_daemon r;
    const char *extra[] = {"--rpcservertimeout=1", NULL};
    rpct_start(&r, extra);
    if (!daemon_wait_log(&r.d, "connections closed after", RPCT_WAIT_MS)) fail_msg("%s", r.d.log);
    /* The flag must reach the server (main copies it into the RPC config):
     * a server still on its default is a failure, not a skip. */
    if (!strstr(r.d.log, "connections closed after 1 s idle"))
        fail_msg("--rpcservertimeout=1 did not reach the RPC server:\n%s", r.d.log);
    int fd = rpct_http_connect(r.rpc_port);
    static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{";
    assert_int_equal(send(fd, head, sizeof head - 1, MSG_NOSIGNAL), (ssize_t)(sizeof head - 1));
    /* The server closes it (EOF, perhaps after a 408/400): poll's
     * deadline is only the hang guard. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, RPCT_WAIT_MS), 1);
    char buf[512];
    ssize_t got;
    while ((got = recv(fd, buf, sizeof buf, 0)) > 0) {
    }
    assert_true(got == 0 || errno == ECONNRESET);
    close(fd);
    rpct_stop(&r);
}

static void test_stop_shuts_down_cleanly(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    json_t *rep = rpct_call(&r, "stop", NULL);
    assert_string_equal(json_string_value(rpct_result(rep)), "btcpeerd stopping");
    json_decref(rep);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", RPCT_WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, RPCT_WAIT_MS), 0);
    struct stat st;
    assert_int_not_equal(stat(r.cookie_path, &st), 0);
    assert_non_null(strstr(r.d.log, "stop requested over RPC, shutting down"));
    daemon_cleanup(&r.d);
}

/* Shutting down answers whoever waits: a getblock waiting for a peer gets
 * "Shutting down" (not a closed connection), and a stop batched with such a
 * getblock stops the daemon at once rather than after the getblock's
 * timeout. */
static void test_shutdown_answers_waiting_calls(void **state)
{
    (void)state;
    const char *extra[] = {"--rpc-getblock-timeout=600", NULL};
    char body[384];
    struct rpct_http_reply h;

    /* SIGTERM while a getblock waits */
    struct rpct_daemon r;
    rpct_start(&r, extra);
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]}",
             regtest_genesis_hash);
    int fd = rpct_http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(sp_expect(&s, WIRE_GETDATA, NULL, RPCT_WAIT_MS));
    kill(r.d.pid, SIGTERM);
    rpct_http_recv(fd, &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "Shutting down"));
    rpct_http_reply_free(&h);
    sp_close(&s);
    assert_int_equal(daemon_stop(&r.d, 0, RPCT_WAIT_MS), 0);
    daemon_cleanup(&r.d);

    /* [getblock (waits), stop] in one batch */
    rpct_start(&r, extra);
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    snprintf(body, sizeof body,
             "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]},"
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"stop\",\"params\":[]}]",
             regtest_genesis_hash);
    fd = rpct_http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    rpct_http_recv(fd, &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "Shutting down"));
    assert_non_null(strstr(h.body, "btcpeerd stopping"));
    rpct_http_reply_free(&h);
    sp_close(&s);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", RPCT_WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, RPCT_WAIT_MS), 0);
    daemon_cleanup(&r.d);
}

/* The real btcpeerd-cli against the real daemon: it finds the cookie in
 * the regtest directory of -datadir, as an operator's would. */
static void test_btcpeerd_cli_end_to_end(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    char datadir[192], port[32];
    snprintf(datadir, sizeof datadir, "-datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "-rpcport=%u", r.rpc_port);
    struct cli_run c;

    const char *count[] = {"-regtest", datadir, port, "getblockcount", NULL};
    assert_true(cli_run(NULL, count, NULL, RPCT_WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "0\n");
    cli_run_free(&c);

    const char *hash[] = {"-regtest", datadir, port, "getblockhash", "0", NULL};
    assert_true(cli_run(NULL, hash, NULL, RPCT_WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    char genesis[65];
    hex_encode_rev(netparams_get(NET_REGTEST)->genesis_hash, 32, genesis);
    assert_memory_equal(c.out, genesis, 64);
    cli_run_free(&c);

    const char *info[] = {"-regtest", datadir, port, "getblockchaininfo", NULL};
    assert_true(cli_run(NULL, info, NULL, RPCT_WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "\"chain\": \"regtest\""));
    cli_run_free(&c);

    /* bitcoind's error for a height past the tip: code -8, exit 8 */
    const char *bad[] = {"-regtest", datadir, port, "getblockhash", "99", NULL};
    assert_true(cli_run(NULL, bad, NULL, RPCT_WAIT_MS, &c));
    assert_int_equal(c.status, 8);
    assert_non_null(strstr(c.err, "error code: -8"));
    cli_run_free(&c);

    const char *stop[] = {"-regtest", datadir, port, "stop", NULL};
    assert_true(cli_run(NULL, stop, NULL, RPCT_WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    cli_run_free(&c);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", RPCT_WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, RPCT_WAIT_MS), 0);
    daemon_cleanup(&r.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_oversize_and_batches),
        cmocka_unit_test(test_methods_with_a_peer),
        cmocka_unit_test(test_getblock_waits_for_a_peer),
        cmocka_unit_test(test_setban_huge_times),
        cmocka_unit_test(test_rpcport_0_one_port_for_both_families),
        cmocka_unit_test(test_slow_client_cut_off_after_rpcservertimeout),
        cmocka_unit_test(test_stop_shuts_down_cleanly),
        cmocka_unit_test(test_btcpeerd_cli_end_to_end),
        cmocka_unit_test(test_shutdown_answers_waiting_calls),
    };
    return test_run_group(tests);
}
