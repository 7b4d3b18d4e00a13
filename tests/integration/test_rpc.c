/* The JSON-RPC server of a real daemon, over real HTTP on 127.0.0.1 with
 * an ephemeral port (--rpcport=0, read back from the log): cookie and
 * user/password auth, 401, 405, 413, malformed bodies, batches, most
 * methods with a scripted peer connected, getblock answered later once a
 * peer delivers the block (and timing out when none does), and stop. */
#include "cli_runner.h"
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 10000

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

/* ---- a small HTTP client ---- */

struct http_reply {
    int status;
    char *head; /* status line and headers */
    char *body;
};

static void http_reply_free(struct http_reply *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static int http_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Send one request (auth "user:pass" or NULL) and return the socket. */
static int http_send(uint16_t port, const char *method, const char *auth, const char *body, size_t len)
{
    char head[1024], authline[512] = "";
    if (auth) {
        unsigned char b64[400];
        EVP_EncodeBlock(b64, (const unsigned char *)auth, (int)strlen(auth));
        snprintf(authline, sizeof authline, "Authorization: Basic %s\r\n", b64);
    }
    int n = snprintf(head, sizeof head,
                     "%s / HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, authline, len);
    int fd = http_connect(port);
    assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    size_t off = 0;
    while (off < len) { /* the server may answer (413) and close before reading it all */
        ssize_t w = send(fd, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    return fd;
}

/* Read the whole reply (the server closes after it). */
static void http_recv(int fd, struct http_reply *r, unsigned timeout_ms)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) fail_msg("no HTTP reply in time");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - now)) <= 0) continue;
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    *sep = '\0';
    r->head = strdup(buf);
    r->body = strdup(sep + 4);
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
    free(buf);
}

static void http_post(uint16_t port, const char *auth, const char *body, struct http_reply *r)
{
    http_recv(http_send(port, "POST", auth, body, strlen(body)), r, WAIT_MS);
}

/* ---- the daemon ---- */

struct rpcd {
    struct daemon_proc d;
    uint16_t rpc_port;
    char cookie[128];
    char cookie_path[256];
};

static void rpcd_start(struct rpcd *r, const char *const *extra)
{
    const char *args[20] = {"--network=regtest", "--bind=127.0.0.1", "--port=0", "--log-level=debug",
                            "--rpcport=0"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 19; i++) args[n++] = extra[i];
    args[n] = NULL;
    assert_true(daemon_start(&r->d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(&r->d, needle, WAIT_MS)) fail_msg("no RPC server:\n%s", r->d.log);
    r->rpc_port = (uint16_t)atoi(strstr(r->d.log, needle) + sizeof needle - 1);
    assert_true(daemon_wait_log(&r->d, "RPC cookie written", WAIT_MS));
    snprintf(r->cookie_path, sizeof r->cookie_path, "%s/data/regtest/.cookie", r->d.datadir);
    FILE *f = fopen(r->cookie_path, "r");
    assert_non_null(f);
    assert_non_null(fgets(r->cookie, sizeof r->cookie, f));
    fclose(f);
}

static void rpcd_stop(struct rpcd *r)
{
    assert_int_equal(daemon_stop(&r->d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

/* A 2.0 call with the cookie; the whole reply object (caller decrefs). */
static json_t *call(struct rpcd *r, const char *method, const char *params)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
             params ? params : "[]");
    struct http_reply h;
    http_post(r->rpc_port, r->cookie, body, &h);
    assert_int_equal(h.status, 200);
    json_error_t err;
    json_t *reply = json_loads(h.body, 0, &err);
    if (!reply) fail_msg("not JSON: %s", h.body);
    http_reply_free(&h);
    return reply;
}

/* The result of a call that must succeed (kept alive by the reply). */
static json_t *result_of(json_t *reply)
{
    json_t *res = json_object_get(reply, "result");
    if (!res) fail_msg("error: %s", json_dumps(reply, 0));
    return res;
}

static json_int_t error_code(json_t *reply)
{
    json_t *e = json_object_get(reply, "error");
    if (!e) fail_msg("expected an error: %s", json_dumps(reply, 0));
    return json_integer_value(json_object_get(e, "code"));
}

/* ---- tests ---- */

/* A wrong password's 401 is held on a timer while the loop goes on: with
 * a pause far longer than the test (--test-rpc-auth-delay), a right
 * password on another connection is answered while the 401 is still
 * owed; at shutdown the held 401 goes out. The order is the proof, not a
 * clock: the default pause's timer path is pinned by
 * test_cookie_and_password_auth's log lines. */
static void test_wrong_password_reply_waits_without_blocking(void **state)
{
    (void)state;
    struct rpcd r;
    const char *extra[] = {"--test-rpc-auth-delay=3600", NULL};
    rpcd_start(&r, extra);
    const char *body = "{\"method\":\"getblockcount\",\"id\":1}";
    int held = http_send(r.rpc_port, "POST", "bob:guess", body, strlen(body));
    if (!daemon_wait_log(&r.d, "incorrect password", WAIT_MS)) fail_msg("%s", r.d.log);
    struct http_reply h;
    http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    http_reply_free(&h);
    /* answered after the guess came in, and the guess still waits */
    struct pollfd p = {.fd = held, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(daemon_log_count(&r.d, "wrong-password reply sent after the pause"), 0);
    assert_int_equal(kill(r.d.pid, SIGTERM), 0);
    http_recv(held, &h, WAIT_MS);
    assert_int_equal(h.status, 401);
    http_reply_free(&h);
    rpcd_stop(&r);
}

static void test_cookie_and_password_auth(void **state)
{
    (void)state;
    struct rpcd r;
    const char *extra[] = {"--rpcuser=alice", "--rpcpassword=s3cret", NULL};
    rpcd_start(&r, extra);
    struct stat st;
    assert_int_equal(stat(r.cookie_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(strlen(r.cookie), strlen("__cookie__:") + 64);
    assert_memory_equal(r.cookie, "__cookie__:", 11);

    const char *body = "{\"method\":\"getblockcount\",\"id\":1}";
    struct http_reply h;
    http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "\"result\":0"));
    http_reply_free(&h);
    http_post(r.rpc_port, "alice:s3cret", body, &h);
    assert_int_equal(h.status, 200);
    http_reply_free(&h);

    static const char *const wrong[] = {"alice:s3cres", "alice:s3cret2", "bob:s3cret", "__cookie__:00",
                                        "", NULL};
    size_t n_wrong = sizeof wrong / sizeof wrong[0];
    for (size_t i = 0; i < n_wrong; i++) {
        http_post(r.rpc_port, wrong[i], body, &h);
        assert_int_equal(h.status, 401);
        assert_non_null(strstr(h.head, "WWW-Authenticate: Basic realm=\"jsonrpc\""));
        http_reply_free(&h);
        /* each 401 went out from the pause's timer, none at once (the
         * line is written before the reply, but may reach us after it) */
        uint64_t deadline = clock_mono_ms() + WAIT_MS;
        while (daemon_log_count(&r.d, "wrong-password reply sent after the pause") < i + 1 &&
               clock_mono_ms() < deadline)
            daemon_pump(&r.d, 20);
        assert_int_equal(daemon_log_count(&r.d, "wrong-password reply sent after the pause"), i + 1);
    }
    /* a guesser that hangs up during the pause leaves nothing behind */
    for (int i = 0; i < 5; i++) close(http_send(r.rpc_port, "POST", "bob:guess", body, strlen(body)));
    http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    http_reply_free(&h);
    http_recv(http_send(r.rpc_port, "GET", r.cookie, "", 0), &h, WAIT_MS);
    assert_int_equal(h.status, 405);
    http_reply_free(&h);

    rpcd_stop(&r);
    assert_int_not_equal(stat(r.cookie_path, &st), 0); /* removed at shutdown */
}

static void test_malformed_oversize_and_batches(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    struct http_reply h;
    static const char *const bad[] = {"{", "[{\"method\":", "nonsense", "\"str\"", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_post(r.rpc_port, r.cookie, bad[i], &h);
        assert_int_equal(h.status, 500);
        assert_non_null(strstr(h.body, "-32700"));
        http_reply_free(&h);
    }
    /* 2 MiB: refused, the daemon lives on */
    size_t big = 2u << 20;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    http_recv(http_send(r.rpc_port, "POST", r.cookie, huge, big), &h, WAIT_MS);
    assert_int_equal(h.status, 413);
    http_reply_free(&h);
    /* the cap is 1 MiB: one byte more is refused, and that much is read */
    http_recv(http_send(r.rpc_port, "POST", r.cookie, huge, (1u << 20) + 1), &h, WAIT_MS);
    assert_int_equal(h.status, 413);
    http_reply_free(&h);
    static const char call_text[] = "{\"id\":1,\"method\":\"getblockcount\"}";
    memcpy(huge + (1u << 20) - (sizeof call_text - 1), call_text, sizeof call_text - 1);
    http_recv(http_send(r.rpc_port, "POST", r.cookie, huge, 1u << 20), &h, WAIT_MS);
    assert_int_equal(h.status, 200);
    http_reply_free(&h);
    free(huge);

    http_post(r.rpc_port, r.cookie,
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
    assert_int_equal(error_code(json_array_get(arr, 2)), -32601);
    json_decref(arr);
    http_reply_free(&h);

    http_post(r.rpc_port, r.cookie, "{\"jsonrpc\":\"2.0\",\"method\":\"uptime\"}", &h);
    assert_int_equal(h.status, 204);
    http_reply_free(&h);
    http_post(r.rpc_port, r.cookie, "{\"id\":1,\"method\":\"nosuchmethod\"}", &h);
    assert_int_equal(h.status, 404);
    http_reply_free(&h);
    /* named parameters */
    json_t *rep = call(&r, "getblockhash", "{\"height\":0}");
    assert_string_equal(json_string_value(result_of(rep)), regtest_genesis_hash);
    json_decref(rep);
    /* a bad hash of 300 "é": its quoted message is cut at a character
     * boundary, still -8 with a 1.0 request's 500 */
    char body[1024];
    size_t len = (size_t)snprintf(body, sizeof body, "{\"id\":1,\"method\":\"getblockheader\",\"params\":[\"");
    for (size_t i = 0; i < 300; i++) len += (size_t)snprintf(body + len, sizeof body - len, "\xc3\xa9");
    snprintf(body + len, sizeof body - len, "\"]}");
    http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 500);
    json_error_t jerr;
    rep = json_loads(h.body, 0, &jerr);
    assert_int_equal(error_code(rep), -8);
    json_decref(rep);
    http_reply_free(&h);
    rpcd_stop(&r);
}

static void test_methods_with_a_peer(void **state)
{
    (void)state;
    struct rpcd r;
    /* An onion proxy nobody listens at: never dialled (no onion peers), but
     * getnetworkinfo must show onion reachable through it. */
    const char *extra[] = {"--onion=127.0.0.1:9", NULL};
    rpcd_start(&r, extra);
    uint16_t p2p = daemon_port(&r.d, WAIT_MS);
    struct sp s;
    assert_true(sp_connect(&s, p2p, regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", WAIT_MS));

    json_t *rep = call(&r, "getpeerinfo", NULL);
    json_t *peers = result_of(rep);
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

    rep = call(&r, "getconnectioncount", NULL);
    assert_int_equal(json_integer_value(result_of(rep)), 1);
    json_decref(rep);
    rep = call(&r, "getnetworkinfo", NULL);
    assert_int_equal(json_integer_value(json_object_get(result_of(rep), "connections_in")), 1);
    assert_int_equal(json_integer_value(json_object_get(result_of(rep), "protocolversion")), PROTOCOL_VERSION);
    assert_memory_equal(json_string_value(json_object_get(result_of(rep), "subversion")), "/btcpeerd:", 10);
    json_t *nets = json_object_get(result_of(rep), "networks");
    json_t *ipv4 = json_array_get(nets, 0), *onion = json_array_get(nets, 2), *i2p = json_array_get(nets, 3);
    assert_string_equal(json_string_value(json_object_get(onion, "name")), "onion");
    assert_true(json_is_true(json_object_get(onion, "reachable")));
    assert_string_equal(json_string_value(json_object_get(onion, "proxy")), "127.0.0.1:9");
    assert_true(json_is_true(json_object_get(ipv4, "reachable")));
    assert_string_equal(json_string_value(json_object_get(ipv4, "proxy")), "");
    assert_true(json_is_false(json_object_get(i2p, "reachable")));
    json_decref(rep);
    rep = call(&r, "getnettotals", NULL);
    assert_true(json_integer_value(json_object_get(result_of(rep), "totalbytesrecv")) > 0);
    assert_true(json_integer_value(json_object_get(result_of(rep), "totalbytessent")) > 0);
    json_decref(rep);

    rep = call(&r, "ping", NULL);
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    assert_true(sp_expect(&s, WIRE_PING, NULL, WAIT_MS));

    /* chain */
    rep = call(&r, "getblockchaininfo", NULL);
    json_t *bc = result_of(rep);
    assert_string_equal(json_string_value(json_object_get(bc, "chain")), "regtest");
    assert_int_equal(json_integer_value(json_object_get(bc, "blocks")), 0);
    assert_string_equal(json_string_value(json_object_get(bc, "bestblockhash")), regtest_genesis_hash);
    json_decref(rep);
    rep = call(&r, "getblockhash", "[5]");
    assert_int_equal(error_code(rep), -8);
    json_decref(rep);
    char params[128];
    snprintf(params, sizeof params, "[\"%s\"]", regtest_genesis_hash);
    rep = call(&r, "getblockheader", params);
    assert_int_equal(json_integer_value(json_object_get(result_of(rep), "height")), 0);
    assert_int_equal(json_integer_value(json_object_get(result_of(rep), "confirmations")), 1);
    assert_string_equal(json_string_value(json_object_get(result_of(rep), "merkleroot")),
                        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\",false]", regtest_genesis_hash);
    rep = call(&r, "getblockheader", params);
    char genesis_hex[161];
    hex_encode(netparams_get(NET_REGTEST)->genesis_header, 80, genesis_hex);
    assert_string_equal(json_string_value(result_of(rep)), genesis_hex);
    json_decref(rep);
    rep = call(&r, "getblockheader", "[\"00000000000000000000000000000000000000000000000000000000000000aa\"]");
    assert_int_equal(error_code(rep), -5);
    json_decref(rep);

    /* control */
    rep = call(&r, "uptime", NULL);
    assert_true(json_integer_value(result_of(rep)) >= 0);
    json_decref(rep);
    rep = call(&r, "logging", "[[\"addrman\"],[\"net\"]]");
    assert_true(json_is_true(json_object_get(result_of(rep), "addrman")));
    assert_true(json_is_false(json_object_get(result_of(rep), "net")));
    json_decref(rep);
    rep = call(&r, "help", NULL);
    assert_non_null(strstr(json_string_value(result_of(rep)), "getpeerinfo"));
    json_decref(rep);

    /* address manager */
    rep = call(&r, "getaddrmaninfo", NULL);
    assert_non_null(json_object_get(json_object_get(result_of(rep), "all_networks"), "tried"));
    json_decref(rep);
    rep = call(&r, "getnodeaddresses", "[0]");
    assert_true(json_is_array(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "getnodeaddresses", "[1,\"carrier-pigeon\"]");
    assert_int_equal(error_code(rep), -8);
    json_decref(rep);

    /* addnode: onetry dials at once; add then add again, remove twice */
    uint16_t lport;
    int lfd = sp_listen(&lport);
    char target[64];
    snprintf(params, sizeof params, "[\"127.0.0.1:%u\",\"onetry\"]", lport);
    rep = call(&r, "addnode", params);
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    /* the dial itself is the answer (it offers BIP324: no v1 magic to check) */
    struct pollfd pl = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pl, 1, WAIT_MS), 1);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    close(afd);
    snprintf(target, sizeof target, "127.0.0.1:%u", lport);
    snprintf(params, sizeof params, "[\"%s\",\"add\"]", target);
    rep = call(&r, "addnode", params);
    json_decref(rep);
    rep = call(&r, "addnode", params);
    assert_int_equal(error_code(rep), -23);
    json_decref(rep);
    rep = call(&r, "getaddednodeinfo", NULL);
    json_t *added = json_array_get(result_of(rep), 0);
    assert_string_equal(json_string_value(json_object_get(added, "addednode")), target);
    assert_true(json_is_false(json_object_get(added, "connected"))); /* no handshake from us */
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\",\"remove\"]", target);
    rep = call(&r, "addnode", params);
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "addnode", params);
    assert_int_equal(error_code(rep), -24);
    json_decref(rep);
    snprintf(params, sizeof params, "[\"%s\"]", target);
    rep = call(&r, "getaddednodeinfo", params);
    assert_int_equal(error_code(rep), -24);
    json_decref(rep);
    close(lfd);
    /* add and remove, over and over: removed slots are taken again, so the
     * table (128 slots) never fills */
    for (int i = 0; i < 140; i++) {
        snprintf(params, sizeof params, "[\"%s\",\"add\"]", target);
        rep = call(&r, "addnode", params);
        if (!json_is_null(result_of(rep))) fail_msg("add #%d refused (code %lld)", i, (long long)error_code(rep));
        json_decref(rep);
        snprintf(params, sizeof params, "[\"%s\",\"remove\"]", target);
        rep = call(&r, "addnode", params);
        assert_true(json_is_null(result_of(rep)));
        json_decref(rep);
    }
    rep = call(&r, "getaddednodeinfo", NULL);
    assert_int_equal(json_array_size(result_of(rep)), 0);
    json_decref(rep);

    /* bans */
    rep = call(&r, "setban", "[\"10.0.0.0/8\",\"add\",3600]");
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "setban", "[\"10.0.0.0/8\",\"add\"]");
    assert_int_equal(error_code(rep), -23);
    json_decref(rep);
    rep = call(&r, "setban", "[\"not-an-ip\",\"add\"]");
    assert_int_equal(error_code(rep), -30);
    json_decref(rep);
    rep = call(&r, "listbanned", NULL);
    assert_int_equal(json_array_size(result_of(rep)), 1);
    json_t *ban = json_array_get(result_of(rep), 0);
    assert_string_equal(json_string_value(json_object_get(ban, "address")), "10.0.0.0/8");
    assert_int_equal(json_integer_value(json_object_get(ban, "ban_duration")), 3600);
    json_decref(rep);
    rep = call(&r, "setban", "[\"10.0.0.0/8\",\"remove\"]");
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "setban", "[\"10.0.0.0/8\",\"remove\"]");
    assert_int_equal(error_code(rep), -30);
    json_decref(rep);
    rep = call(&r, "setban", "[\"192.0.2.1\",\"add\",4000000000,true]");
    json_decref(rep);
    rep = call(&r, "clearbanned", NULL);
    json_decref(rep);
    rep = call(&r, "listbanned", NULL);
    assert_int_equal(json_array_size(result_of(rep)), 0);
    json_decref(rep);

    /* disconnectnode by id */
    rep = call(&r, "disconnectnode", "[\"\",999999]");
    assert_int_equal(error_code(rep), -29);
    json_decref(rep);
    snprintf(params, sizeof params, "{\"nodeid\":%lld}", (long long)peer_id);
    rep = call(&r, "disconnectnode", params);
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
    rpcd_stop(&r);
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
    struct rpcd r;
    const char *extra[] = {"--rpc-getblock-timeout=0.5", NULL};
    rpcd_start(&r, extra);
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", WAIT_MS));
    char body[256];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]}",
             regtest_genesis_hash);

    /* a client that hangs up while its block is awaited: its reply goes
     * nowhere, no harm done (libevent notices the close only then) */
    int fd = http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(sp_expect(&s, WIRE_GETDATA, NULL, WAIT_MS));
    close(fd);

    /* nobody answers: an error once the timeout passes */
    fd = http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    struct http_reply h;
    http_recv(fd, &h, WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "\"error\""));
    assert_non_null(strstr(h.body, "not fetched"));
    http_reply_free(&h);

    /* asked again, and the peer delivers: the reply carries the block */
    fd = http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(daemon_wait_log(&r.d, "getblock " "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206: not stored", WAIT_MS));
    size_t blen;
    uint8_t *block = genesis_block(&blen);
    assert_true(sp_send_frame(&s, "block", block, blen));
    http_recv(fd, &h, WAIT_MS);
    assert_int_equal(h.status, 200);
    char *hex = malloc(blen * 2 + 1);
    hex_encode(block, blen, hex);
    json_error_t err;
    json_t *rep = json_loads(h.body, 0, &err);
    assert_string_equal(json_string_value(result_of(rep)), hex);
    json_decref(rep);
    http_reply_free(&h);
    free(hex);

    /* now stored: verbosity 1 from disk at once */
    char params[128];
    snprintf(params, sizeof params, "[\"%s\",1]", regtest_genesis_hash);
    rep = call(&r, "getblock", params);
    json_t *b = result_of(rep);
    assert_int_equal(json_integer_value(json_object_get(b, "nTx")), 1);
    assert_int_equal(json_integer_value(json_object_get(b, "size")), (json_int_t)blen);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "tx"), 0)),
                        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    json_decref(rep);
    free(block);
    sp_close(&s);
    rpcd_stop(&r);
}

/* Ban times past the end of time, relative and absolute: banned until
 * INT64_MAX, no overflow. */
static void test_setban_huge_times(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    json_t *rep = call(&r, "setban", "[\"10.1.0.0/16\",\"add\",9223372036854775807]");
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "setban", "[\"10.2.0.0/16\",\"add\",9223372036854775807,true]");
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "setban", "[\"10.3.0.0/16\",\"add\",9223372036854775000]");
    assert_true(json_is_null(result_of(rep)));
    json_decref(rep);
    rep = call(&r, "listbanned", NULL);
    json_t *bans = result_of(rep);
    assert_int_equal(json_array_size(bans), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(json_integer_value(json_object_get(json_array_get(bans, i), "banned_until")) ==
                    INT64_MAX);
    json_decref(rep);
    rpcd_stop(&r);
}

/* A second daemon on the same datadir cannot lock it (nor bind the RPC port):
 * it exits without touching the running daemon's cookie. */
static void test_second_daemon_keeps_the_first_ones_cookie(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    char datadir[256], port[32];
    snprintf(datadir, sizeof datadir, "--datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "--rpcport=%u", r.rpc_port);
    const char *args[] = {"--network=regtest", "--listen=0", datadir, port, "--log-file=-", NULL};
    char *out;
    assert_int_not_equal(run_btcpeerd(args, &out, WAIT_MS), 0);
    /* the data directory lock stops it first (before: the RPC bind) */
    if (!strstr(out, "cannot lock data directory")) fail_msg("expected a lock failure: %s", out);
    free(out);
    char cookie[128] = "";
    FILE *f = fopen(r.cookie_path, "r");
    if (!f) fail_msg("the running daemon's cookie is gone");
    assert_non_null(fgets(cookie, sizeof cookie, f));
    fclose(f);
    assert_string_equal(cookie, r.cookie);
    json_t *rep = call(&r, "getblockcount", NULL);
    json_decref(rep);
    rpcd_stop(&r);
}

/* A symlink planted at <cookie>.tmp is not followed: its target keeps its
 * text and the cookie is a regular 0600 file. */
static void test_cookie_tmp_symlink_not_followed(void **state)
{
    (void)state;
    char dir[] = "/tmp/btcpeerd-cookie-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char victim[128], tmp[128], cookie[128], arg[160];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(cookie, sizeof cookie, "%s/c", dir);
    snprintf(tmp, sizeof tmp, "%s/c.tmp", dir);
    snprintf(arg, sizeof arg, "--rpccookiefile=%s", cookie);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    assert_int_equal(symlink(victim, tmp), 0);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", arg, NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "RPC cookie written", WAIT_MS));
    char text[64] = "";
    f = fopen(victim, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "keep");
    struct stat st;
    assert_int_equal(lstat(cookie, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(lstat(tmp, &st), 0);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    unlink(victim);
    unlink(cookie);
    unlink(tmp);
    rmdir(dir);
}

/* --rpcport=0: 127.0.0.1 and ::1 (where the host has IPv6) on one port. */
static void test_rpcport_0_one_port_for_both_families(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    static const char v6[] = "RPC server bound to [::1]:";
    if (!daemon_wait_log(&r.d, "RPC cookie written", WAIT_MS)) fail_msg("%s", r.d.log);
    const char *at = strstr(r.d.log, v6);
    if (at) {
        assert_int_equal(atoi(at + sizeof v6 - 1), r.rpc_port);
    } else {
        assert_non_null(strstr(r.d.log, "RPC server not bound to ::1"));
    }
    rpcd_stop(&r);
}

/* --rpcservertimeout: a client that sends half a request and waits is cut
 * off after the timeout, not held forever. */
static void test_slow_client_cut_off_after_rpcservertimeout(void **state)
{
    (void)state;
    struct rpcd r;
    const char *extra[] = {"--rpcservertimeout=1", NULL};
    rpcd_start(&r, extra);
    if (!daemon_wait_log(&r.d, "connections closed after", WAIT_MS)) fail_msg("%s", r.d.log);
    /* The flag must reach the server (main copies it into the RPC config):
     * a server still on its default is a failure, not a skip. */
    if (!strstr(r.d.log, "connections closed after 1 s idle"))
        fail_msg("--rpcservertimeout=1 did not reach the RPC server:\n%s", r.d.log);
    int fd = http_connect(r.rpc_port);
    static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{";
    assert_int_equal(send(fd, head, sizeof head - 1, MSG_NOSIGNAL), (ssize_t)(sizeof head - 1));
    /* The server closes it (EOF, perhaps after a 408/400): poll's
     * deadline is only the hang guard. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    char buf[512];
    ssize_t got;
    while ((got = recv(fd, buf, sizeof buf, 0)) > 0) {
    }
    assert_true(got == 0 || errno == ECONNRESET);
    close(fd);
    rpcd_stop(&r);
}

static void test_stop_shuts_down_cleanly(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    json_t *rep = call(&r, "stop", NULL);
    assert_string_equal(json_string_value(result_of(rep)), "btcpeerd stopping");
    json_decref(rep);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, WAIT_MS), 0);
    struct stat st;
    assert_int_not_equal(stat(r.cookie_path, &st), 0);
    assert_non_null(strstr(r.d.log, "stop requested over RPC, shutting down"));
    daemon_cleanup(&r.d);
}

static void test_server_0_serves_nothing(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", "--server=0", NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "started network=regtest", WAIT_MS));
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/data/regtest/.cookie", d.datadir);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    assert_true(daemon_wait_log(&d, "shutdown complete", WAIT_MS));
    assert_null(strstr(d.log, "RPC"));
    assert_int_not_equal(stat(path, &st), 0);
    daemon_cleanup(&d);
}

static void expect_exit_2(const char *arg, const char *needle)
{
    const char *args[] = {arg, NULL};
    char *out;
    assert_int_equal(run_btcpeerd(args, &out, WAIT_MS), 2);
    if (!strstr(out, needle)) fail_msg("expected '%s' in: %s", needle, out);
    free(out);
}

static void test_rpc_flags_help_bad_values_and_config_file(void **state)
{
    (void)state;
    const char *help[] = {"--help", NULL};
    char *out;
    assert_int_equal(run_btcpeerd(help, &out, WAIT_MS), 0);
    static const char *const flags[] = {"--server=0|1", "--rpcbind=ADDR[:PORT]", "--rpcport=N",
                                        "--rpcallowip=CIDR", "--rpcuser=", "--rpcpassword=",
                                        "--rpccookiefile=", "18449 regtest", "<datadir>/.cookie"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(out, flags[i])) fail_msg("--help lacks %s", flags[i]);
    free(out);
    expect_exit_2("--rpcport=70000", "--rpcport: bad value");
    expect_exit_2("--rpcallowip=10.0.0.0/99", "--rpcallowip: bad value");
    expect_exit_2("--server=yes", "--server: bad value");
    expect_exit_2("--rpcuser=al:ice", "--rpcuser: bad value");
    expect_exit_2("--rpcuser=alice", "--rpcuser and --rpcpassword go together");
    expect_exit_2("--rpcservertimeout=0", "--rpcservertimeout: bad value");
    /* beyond loopback only with --rpcallowip */
    expect_exit_2("--rpcbind=0.0.0.0", "--rpcbind=0.0.0.0: not a loopback address");
    expect_exit_2("--rpcbind=[::]:8332", "--rpcbind=[::]:8332: not a loopback address");
    expect_exit_2("--rpcbind=192.168.1.1", "give --rpcallowip too");
    expect_exit_2("--rpcbind=example.com", "--rpcbind=example.com: not a loopback");

    /* the same settings from the config file */
    char conf[] = "/tmp/btcpeerd-rpc-conf-XXXXXX";
    int fd = mkstemp(conf);
    assert_true(fd >= 0);
    static const char text[] = "rpcuser=carol\nrpcpassword=hunter2\nrpccookiefile=my.cookie\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char conf_arg[64];
    snprintf(conf_arg, sizeof conf_arg, "--conf=%s", conf);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", conf_arg, NULL};
    assert_true(daemon_start(&d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    assert_true(daemon_wait_log(&d, needle, WAIT_MS));
    uint16_t port = (uint16_t)atoi(strstr(d.log, needle) + sizeof needle - 1);
    assert_true(daemon_wait_log(&d, "data/regtest/my.cookie", WAIT_MS));
    struct http_reply h;
    http_post(port, "carol:hunter2", "{\"id\":1,\"method\":\"uptime\"}", &h);
    assert_int_equal(h.status, 200);
    http_reply_free(&h);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    unlink(conf);
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
    struct http_reply h;

    /* SIGTERM while a getblock waits */
    struct rpcd r;
    rpcd_start(&r, extra);
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]}",
             regtest_genesis_hash);
    int fd = http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    assert_true(sp_expect(&s, WIRE_GETDATA, NULL, WAIT_MS));
    kill(r.d.pid, SIGTERM);
    http_recv(fd, &h, WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "Shutting down"));
    http_reply_free(&h);
    sp_close(&s);
    assert_int_equal(daemon_stop(&r.d, 0, WAIT_MS), 0);
    daemon_cleanup(&r.d);

    /* [getblock (waits), stop] in one batch */
    rpcd_start(&r, extra);
    assert_true(sp_connect(&s, daemon_port(&r.d, WAIT_MS), regtest_magic()));
    assert_true(sp_handshake(&s, true, NULL, WAIT_MS));
    snprintf(body, sizeof body,
             "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblock\",\"params\":[\"%s\",0]},"
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"stop\",\"params\":[]}]",
             regtest_genesis_hash);
    fd = http_send(r.rpc_port, "POST", r.cookie, body, strlen(body));
    http_recv(fd, &h, WAIT_MS);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "Shutting down"));
    assert_non_null(strstr(h.body, "btcpeerd stopping"));
    http_reply_free(&h);
    sp_close(&s);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, WAIT_MS), 0);
    daemon_cleanup(&r.d);
}

/* The real btcpeerd-cli against the real daemon: it finds the cookie in
 * the regtest directory of -datadir, as an operator's would. */
static void test_btcpeerd_cli_end_to_end(void **state)
{
    (void)state;
    struct rpcd r;
    rpcd_start(&r, NULL);
    char datadir[192], port[32];
    snprintf(datadir, sizeof datadir, "-datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "-rpcport=%u", r.rpc_port);
    struct cli_run c;

    const char *count[] = {"-regtest", datadir, port, "getblockcount", NULL};
    assert_true(cli_run(NULL, count, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "0\n");
    cli_run_free(&c);

    const char *hash[] = {"-regtest", datadir, port, "getblockhash", "0", NULL};
    assert_true(cli_run(NULL, hash, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    char genesis[65];
    hex_encode_rev(netparams_get(NET_REGTEST)->genesis_hash, 32, genesis);
    assert_memory_equal(c.out, genesis, 64);
    cli_run_free(&c);

    const char *info[] = {"-regtest", datadir, port, "getblockchaininfo", NULL};
    assert_true(cli_run(NULL, info, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "\"chain\": \"regtest\""));
    cli_run_free(&c);

    /* bitcoind's error for a height past the tip: code -8, exit 8 */
    const char *bad[] = {"-regtest", datadir, port, "getblockhash", "99", NULL};
    assert_true(cli_run(NULL, bad, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 8);
    assert_non_null(strstr(c.err, "error code: -8"));
    cli_run_free(&c);

    const char *stop[] = {"-regtest", datadir, port, "stop", NULL};
    assert_true(cli_run(NULL, stop, NULL, WAIT_MS, &c));
    assert_int_equal(c.status, 0);
    cli_run_free(&c);
    assert_true(daemon_wait_log(&r.d, "shutdown complete", WAIT_MS));
    assert_int_equal(daemon_stop(&r.d, 0, WAIT_MS), 0);
    daemon_cleanup(&r.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_and_password_auth),
        cmocka_unit_test(test_wrong_password_reply_waits_without_blocking),
        cmocka_unit_test(test_malformed_oversize_and_batches),
        cmocka_unit_test(test_methods_with_a_peer),
        cmocka_unit_test(test_getblock_waits_for_a_peer),
        cmocka_unit_test(test_setban_huge_times),
        cmocka_unit_test(test_second_daemon_keeps_the_first_ones_cookie),
        cmocka_unit_test(test_cookie_tmp_symlink_not_followed),
        cmocka_unit_test(test_rpcport_0_one_port_for_both_families),
        cmocka_unit_test(test_slow_client_cut_off_after_rpcservertimeout),
        cmocka_unit_test(test_stop_shuts_down_cleanly),
        cmocka_unit_test(test_server_0_serves_nothing),
        cmocka_unit_test(test_rpc_flags_help_bad_values_and_config_file),
        cmocka_unit_test(test_btcpeerd_cli_end_to_end),
        cmocka_unit_test(test_shutdown_answers_waiting_calls),
    };
    return test_run_group(tests);
}
