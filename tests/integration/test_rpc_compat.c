/* bitcoind's behaviour around the RPC, beyond result shapes: its error
 * codes and texts (a wrong argument count or an invalid command is -1 with
 * the method's help), addnode's v2transport, setban and getaddednodeinfo
 * with --connect peers, and getpeerinfo/getrpcinfo/getblockheader around a
 * block fetched from a peer. A real daemon on 127.0.0.1, scripted peers. */
#include "rpc_testlib.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char regtest_genesis_hash[] =
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

/* getblock verbosity 1 (blockchain.cpp): getblockheader's keys and the
 * block's sizes and txids. */
static const struct key_spec block_keys[] = {
    {"hash", J_STR, false},
    {"confirmations", J_INT, false},
    {"size", J_INT, false},
    {"strippedsize", J_INT, false},
    {"weight", J_INT, false},
    {"height", J_INT, false},
    {"version", J_INT, false},
    {"versionHex", J_STR, false},
    {"merkleroot", J_STR, false},
    {"tx", J_ARR, false},
    {"time", J_INT, false},
    {"mediantime", J_INT, false},
    {"nonce", J_INT, false},
    {"bits", J_STR, false},
    {"target", J_STR, false},
    {"difficulty", J_NUM, false},
    {"chainwork", J_STR, false},
    {"nTx", J_INT, false},
    {"previousblockhash", J_STR, true},
    {"nextblockhash", J_STR, true},
};
static const struct key_spec command_keys[] = {
    {"method", J_STR, false},
    {"duration", J_INT, false},
};

/* The regtest genesis block, as a peer serves it. */
static const char genesis_coinbase_hex[] =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe55"
    "48271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba"
    "0b8d578a4c702b6bf11d5fac00000000";

/* getblock of a block not stored: while a peer is asked, its getpeerinfo
 * inflight holds the height and getrpcinfo lists the waiting getblock;
 * once delivered, last_block is set and getblockheader's nTx counts the
 * block's transactions. */
static void test_block_fetch_counters(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), netparams_get(NET_REGTEST)->magic));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", RPCT_WAIT_MS));
    char body[256];
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]}",
             regtest_genesis_hash);
    /* the getblock's reply comes on its own connection, later */
    unsigned char b64[200];
    EVP_EncodeBlock(b64, (const unsigned char *)r.cookie, (int)strlen(r.cookie));
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     b64, strlen(body), body);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r.rpc_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    assert_true(sp_expect(&s, WIRE_GETDATA, NULL, RPCT_WAIT_MS));

    json_t *rep = rpct_call(&r, "getpeerinfo", NULL);
    json_t *inflight = json_object_get(json_array_get(rpct_result(rep), 0), "inflight");
    assert_int_equal(json_array_size(inflight), 1);
    assert_int_equal(json_integer_value(json_array_get(inflight, 0)), 0);
    json_decref(rep);
    rep = rpct_call(&r, "getrpcinfo", NULL);
    json_t *cmds = json_object_get(rpct_result(rep), "active_commands");
    assert_int_equal(json_array_size(cmds), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cmds, 1), "method")),
                        "getblock");
    SHAPE(json_array_get(cmds, 1), command_keys, "active_commands[]");
    json_decref(rep);

    size_t txlen;
    uint8_t *tx = test_unhex(genesis_coinbase_hex, &txlen);
    uint8_t *block = malloc(81 + txlen);
    memcpy(block, netparams_get(NET_REGTEST)->genesis_header, 80);
    block[80] = 1;
    memcpy(block + 81, tx, txlen);
    assert_true(sp_send_frame(&s, "block", block, 81 + txlen));
    free(tx);
    free(block);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, RPCT_WAIT_MS), 1); /* the getblock answered */
    close(fd);

    rep = rpct_call(&r, "getpeerinfo", NULL);
    json_t *p = json_array_get(rpct_result(rep), 0);
    assert_int_equal(json_array_size(json_object_get(p, "inflight")), 0);
    assert_true(json_integer_value(json_object_get(p, "last_block")) > 1700000000);
    json_decref(rep);
    char params[96];
    snprintf(params, sizeof params, "[\"%s\"]", regtest_genesis_hash);
    rep = rpct_call(&r, "getblockheader", params);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "nTx")), 1);
    json_decref(rep);
    rep = rpct_call(&r, "getblock", params);
    SHAPE(rpct_result(rep), block_keys, "getblock");
    json_decref(rep);
    rep = rpct_call(&r, "getblockchaininfo", NULL);
    assert_true(json_integer_value(json_object_get(rpct_result(rep), "size_on_disk")) >=
                81 + (json_int_t)txlen);
    json_decref(rep);
    sp_close(&s);
    rpct_stop(&r);
}
/* bitcoind's codes and texts: a wrong argument count or an invalid command
 * is -1 with the method's help; a bad hash names the argument as bitcoind
 * does. */
static void test_error_codes(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    json_t *rep = rpct_call(&r, "addnode", "[\"127.0.0.1:1\",\"bogus\"]");
    assert_int_equal(rpct_error_code(rep), -1);
    assert_memory_equal(rpct_error_message(rep), "addnode \"node\" \"command\" ( v2transport )\n",
                        41);
    json_decref(rep);
    rep = rpct_call(&r, "getblockheader", NULL);
    assert_int_equal(rpct_error_code(rep), -1);
    assert_memory_equal(rpct_error_message(rep), "getblockheader \"blockhash\" ( verbose )\n", 39);
    json_decref(rep);
    rep = rpct_call(&r, "getblockheader", "[\"xyz\"]");
    assert_int_equal(rpct_error_code(rep), -8);
    assert_string_equal(rpct_error_message(rep), "hash must be of length 64 (not 3, for 'xyz')");
    json_decref(rep);
    rep = rpct_call(&r, "getblockheader",
                    "[\"zz00000000000000000000000000000000000000000000000000000000000000\"]");
    assert_int_equal(rpct_error_code(rep), -8);
    assert_memory_equal(rpct_error_message(rep), "hash must be hexadecimal string (not '", 38);
    json_decref(rep);
    rep = rpct_call(&r, "getblockheader", "[123]");
    assert_int_equal(rpct_error_code(rep), -3);
    assert_string_equal(rpct_error_message(rep),
                        "Wrong type passed:\n{\n    \"Position 1 (blockhash)\": "
                        "\"JSON value of type number is not of expected type string\"\n}");
    json_decref(rep);
    rep =
        rpct_call(&r, "getblockheader",
                  "[\"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206\",\"yes\"]");
    assert_int_equal(rpct_error_code(rep), -3);
    assert_non_null(strstr(
        rpct_error_message(rep),
        "\"Position 2 (verbose)\": \"JSON value of type string is not of expected type bool\""));
    json_decref(rep);
    rep = rpct_call(&r, "getblock", "[\"xyz\"]");
    assert_int_equal(rpct_error_code(rep), -8);
    assert_string_equal(rpct_error_message(rep),
                        "blockhash must be of length 64 (not 3, for 'xyz')");
    json_decref(rep);
    rep = rpct_call(&r, "getblockhash", NULL);
    assert_int_equal(rpct_error_code(rep), -1);
    assert_memory_equal(rpct_error_message(rep), "getblockhash height\n", 20);
    json_decref(rep);
    rep = rpct_call(&r, "getblockcount", "[1]");
    assert_int_equal(rpct_error_code(rep), -1);
    assert_memory_equal(rpct_error_message(rep), "getblockcount\n", 14);
    json_decref(rep);
    rpct_stop(&r);
}

/* addnode's third argument, v2transport: false dials in v1 (the version
 * message comes in the clear); true without --v2transport is -8. */
static void test_addnode_v2transport(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    uint16_t lport;
    int lfd = sp_listen(&lport);
    char params[96];
    snprintf(params, sizeof params, "[\"127.0.0.1:%u\",\"onetry\",false]", lport);
    json_t *rep = rpct_call(&r, "addnode", params);
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    struct sp s;
    assert_true(sp_accept(&s, lfd, netparams_get(NET_REGTEST)->magic, RPCT_WAIT_MS));
    assert_true(sp_expect(&s, WIRE_VERSION, NULL, RPCT_WAIT_MS)); /* v1: no key exchange first */
    sp_close(&s);
    close(lfd);
    rpct_stop(&r);

    const char *no_v2[] = {"--v2transport=0", NULL};
    rpct_start(&r, no_v2);
    rep = rpct_call(&r, "addnode", "[\"127.0.0.1:1\",\"add\",true]");
    assert_int_equal(rpct_error_code(rep), -8);
    assert_string_equal(rpct_error_message(rep),
                        "Error: v2transport requested but not enabled (see -v2transport)");
    json_decref(rep);
    rep = rpct_call(&r, "addnode", "[\"127.0.0.1:1\",\"add\",false]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    rpct_stop(&r);
}

/* --connect: not an "added node" (getaddednodeinfo is []), and a setban
 * covering it disconnects it, as bitcoind does every peer in the subnet. */
static void test_connect_peer_setban_and_addednodeinfo(void **state)
{
    (void)state;
    uint16_t lport;
    int lfd = sp_listen(&lport);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", lport);
    const char *extra[] = {connect, "--v2transport=0", NULL};
    struct rpct_daemon r;
    rpct_start(&r, extra);
    struct sp s;
    assert_true(sp_accept(&s, lfd, netparams_get(NET_REGTEST)->magic, RPCT_WAIT_MS));
    assert_true(sp_handshake(&s, false, NULL, RPCT_WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", RPCT_WAIT_MS));
    json_t *rep = rpct_call(&r, "getaddednodeinfo", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 0);
    json_decref(rep);
    rep = rpct_call(&r, "getpeerinfo", NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rpct_result(rep), 0), "connection_type")),
        "manual");
    json_decref(rep);
    rep = rpct_call(&r, "setban", "[\"127.0.0.0/8\",\"add\"]");
    assert_true(json_is_null(rpct_result(rep)));
    json_decref(rep);
    assert_true(sp_wait_closed(&s, RPCT_WAIT_MS));
    sp_close(&s);
    close(lfd);
    rpct_stop(&r);
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_fetch_counters),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_addnode_v2transport),
        cmocka_unit_test(test_connect_peer_setban_and_addednodeinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
