/* What the operator sees of broadcasts and what survives a restart:
 * getbroadcastinfo (attempts, whether each peer took it, who saw it
 * back), abandonbroadcast and its errors, the Prometheus counters, and
 * broadcast.dat (a pending broadcast is pending again after a restart, an
 * abandoned one stays abandoned, a corrupt file is moved aside). */
#include "harness.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "testutil.h"
#include "txbuild.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 20000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

struct txcase {
    struct txbuild b;
    uint8_t *raw;
    size_t raw_len;
    uint8_t txid[32], wtxid[32];
    char txid_hex[65], wtxid_hex[65];
};

static void txcase_make(struct txcase *t, uint8_t salt)
{
    uint8_t p[32] = {salt, 5, 5};
    txbuild_spend_p2wsh_op_true(&t->b, p, 0, 4999000000, NULL, 0);
    t->raw = txbuild_bytes(&t->b, &t->raw_len);
    txbuild_txid(&t->b, t->txid);
    txbuild_wtxid(&t->b, t->wtxid);
    hex_encode_rev(t->txid, 32, t->txid_hex);
    hex_encode_rev(t->wtxid, 32, t->wtxid_hex);
}

static void txcase_send(const struct rpc_daemon *r, const struct txcase *t)
{
    char *hex = txbuild_hex(&t->b);
    json_t *reply = rpc_call(r, "sendrawtransaction", json_pack("[s]", hex));
    assert_string_equal(json_string_value(rpc_result(reply)), t->txid_hex);
    json_decref(reply);
    free(hex);
}

static void txcase_free(struct txcase *t)
{
    free(t->raw);
    txbuild_free(&t->b);
}

static json_t *info(const struct rpc_daemon *r, const char *txid_hex)
{
    return rpc_call(r, "getbroadcastinfo", txid_hex ? json_pack("[s]", txid_hex) : NULL);
}

static const char *state_of(json_t *reply)
{
    return json_string_value(json_object_get(rpc_result(reply), "state"));
}

static void expect_error(json_t *reply, int64_t code, const char *message)
{
    const char *msg;
    int64_t got = rpc_error_code(reply, &msg);
    if (got != code || strcmp(msg, message) != 0)
        fail_msg("want %lld '%s', got %lld '%s'", (long long)code, message, (long long)got, msg);
    json_decref(reply);
}

/* One private-broadcast connection served to the end. */
static void serve(int listen_fd, const struct txcase *t)
{
    struct sp s;
    assert_true(sp_accept(&s, listen_fd, magic(), WAIT_MS));
    assert_true(sp_expect(&s, WIRE_VERSION, NULL, WAIT_MS));
    struct wire_msg ours;
    sp_make_version(&ours, 0x77, 1);
    assert_true(sp_send(&s, &ours));
    assert_true(sp_send_empty(&s, WIRE_WTXIDRELAY));
    assert_true(sp_send_empty(&s, WIRE_VERACK));
    assert_true(sp_expect(&s, WIRE_INV, NULL, WAIT_MS));
    struct wire_inv_entry e = {.type = WIRE_INV_WTX};
    memcpy(e.hash, t->wtxid, 32);
    struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = {.count = 1, .entries = &e}};
    assert_true(sp_send(&s, &gd));
    assert_true(sp_expect(&s, WIRE_TX, NULL, WAIT_MS));
    struct wire_msg ping;
    assert_true(sp_expect(&s, WIRE_PING, &ping, WAIT_MS));
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping = ping.u.ping};
    wire_msg_free(&ping);
    assert_true(sp_send(&s, &pong));
    assert_true(sp_wait_closed(&s, WAIT_MS));
    sp_close(&s);
}

static uint64_t scrape(uint16_t port, const char *name)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)sizeof req - 1);
    static char buf[1 << 20];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, WAIT_MS) <= 0) fail_msg("no metrics");
        ssize_t got = recv(fd, buf + len, sizeof buf - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char needle[128];
    snprintf(needle, sizeof needle, "\n%s ", name);
    const char *at = strstr(buf, needle);
    if (!at) fail_msg("no %s in metrics", name);
    return strtoull(at + strlen(needle), NULL, 10);
}

static void test_info_counters_and_abandon(void **state)
{
    (void)state;
    int fds[3];
    uint16_t ports[3];
    const char *ips[] = {"127.61.0.1", "127.62.0.1", "127.63.0.1"};
    for (size_t i = 0; i < 3; i++) {
        fds[i] = sp_listen_on(ips[i], 0);
        assert_true(fds[i] >= 0);
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        assert_int_equal(getsockname(fds[i], (struct sockaddr *)&sa, &len), 0);
        ports[i] = ntohs(sa.sin_port);
    }
    const char *extra[] = {"--test-local-groups", "--max-outbound=0", "--dnsseed=0",
                           "--test-broadcast-retry=0.05", "--metrics-bind=127.0.0.1:0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    static const char mneedle[] = "metrics served at http://127.0.0.1:";
    if (!daemon_wait_log(&r.d, mneedle, WAIT_MS)) fail_msg("no metrics:\n%s", r.d.log);
    uint16_t mport = (uint16_t)atoi(strstr(r.d.log, mneedle) + sizeof mneedle - 1);
    struct sp inbound;
    assert_true(sp_connect_from(&inbound, "127.60.0.1", daemon_port(&r.d, WAIT_MS), magic()));
    assert_true(sp_handshake(&inbound, true, NULL, WAIT_MS));

    /* nothing yet: an empty list, an unknown txid, a malformed one */
    json_t *reply = info(&r, NULL);
    assert_int_equal(json_array_size(rpc_result(reply)), 0);
    json_decref(reply);
    struct txcase t, u;
    txcase_make(&t, 1);
    txcase_make(&u, 2);
    expect_error(info(&r, t.txid_hex), -5, "No broadcast of this transaction");
    expect_error(rpc_call(&r, "abandonbroadcast", json_pack("[s]", "abc")), -8,
                 "txid must be of length 64 (not 3, for 'abc')");

    /* u: no address to go to yet; abandoned by the operator */
    txcase_send(&r, &u);
    reply = info(&r, u.txid_hex);
    assert_string_equal(state_of(reply), "pending");
    json_decref(reply);
    reply = rpc_call(&r, "abandonbroadcast", json_pack("[s]", u.txid_hex));
    assert_true(json_is_null(rpc_result(reply)));
    json_decref(reply);
    reply = info(&r, u.txid_hex);
    assert_string_equal(state_of(reply), "abandoned");
    assert_non_null(json_object_get(rpc_result(reply), "finished"));
    json_decref(reply);
    expect_error(rpc_call(&r, "abandonbroadcast", json_pack("[s]", u.txid_hex)), -8,
                 "Broadcast already abandoned");

    /* t: three peers take it, an ordinary peer announces it back */
    for (size_t i = 0; i < 3; i++) {
        json_t *a = rpc_call(&r, "addpeeraddress", json_pack("[s,i]", ips[i], ports[i]));
        json_decref(a);
    }
    txcase_send(&r, &t);
    struct pollfd p[3];
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < 3; i++) p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        assert_true(poll(p, 3, WAIT_MS) > 0);
        for (size_t i = 0; i < 3; i++)
            if (p[i].revents & POLLIN) {
                serve(fds[i], &t);
                break;
            }
    }
    char line[200];
    snprintf(line, sizeof line, "broadcast txid=%s sent to 3 peers", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    struct wire_inv_entry e = {.type = WIRE_INV_WTX};
    memcpy(e.hash, t.wtxid, 32);
    struct wire_msg inv = {.type = WIRE_INV, .u.inv = {.count = 1, .entries = &e}};
    assert_true(sp_send(&inbound, &inv));
    snprintf(line, sizeof line, "broadcast txid=%s seen back", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));

    reply = info(&r, t.txid_hex);
    json_t *o = rpc_result(reply);
    assert_string_equal(json_string_value(json_object_get(o, "txid")), t.txid_hex);
    assert_string_equal(json_string_value(json_object_get(o, "wtxid")), t.wtxid_hex);
    assert_string_equal(state_of(reply), "propagated");
    json_t *attempts = json_object_get(o, "attempts");
    assert_int_equal(json_array_size(attempts), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *a = json_array_get(attempts, i);
        assert_true(json_is_true(json_object_get(a, "taken")));
        assert_string_equal(json_string_value(json_object_get(a, "network")), "ipv4");
        assert_int_equal(json_integer_value(json_object_get(a, "round")), 1);
        assert_non_null(strstr(json_string_value(json_object_get(a, "address")), "127.6"));
    }
    json_t *seen = json_object_get(o, "seen_back");
    assert_string_equal(json_string_value(json_object_get(seen, "how")), "announced");
    assert_memory_equal(json_string_value(json_object_get(seen, "address")), "127.60.0.1:", 11);
    json_decref(reply);
    expect_error(rpc_call(&r, "abandonbroadcast", json_pack("[s]", t.txid_hex)), -8,
                 "Broadcast already propagated");
    reply = info(&r, NULL); /* newest first */
    assert_int_equal(json_array_size(rpc_result(reply)), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rpc_result(reply), 0), "txid")),
                        t.txid_hex);
    json_decref(reply);

    assert_int_equal(scrape(mport, "btcpeerd_broadcasts_submitted_total"), 2);
    assert_int_equal(scrape(mport, "btcpeerd_broadcast_attempts_total"), 3);
    assert_int_equal(scrape(mport, "btcpeerd_broadcast_taken_total"), 3);
    assert_int_equal(scrape(mport, "btcpeerd_broadcasts_propagated_total"), 1);
    assert_int_equal(scrape(mport, "btcpeerd_broadcasts_abandoned_total"), 1);
    assert_int_equal(scrape(mport, "btcpeerd_broadcasts_pending"), 0);
    sp_close(&inbound);
    for (size_t i = 0; i < 3; i++) close(fds[i]);
    txcase_free(&t);
    txcase_free(&u);
    rpc_daemon_stop(&r);
}

static void test_broadcast_dat_across_restarts(void **state)
{
    (void)state;
    char dir[64] = "/tmp/btcpeerd-bc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], bad[136];
    snprintf(path, sizeof path, "%s/regtest/broadcast.dat", dir);
    snprintf(bad, sizeof bad, "%s.bad", path);
    const char *extra[] = {"--max-outbound=0", "--dnsseed=0", NULL};
    struct txcase t, u;
    txcase_make(&t, 3);
    txcase_make(&u, 4);
    struct rpc_daemon r;

    rpc_daemon_start_in(&r, dir, extra);
    txcase_send(&r, &t);
    txcase_send(&r, &u);
    json_t *reply = rpc_call(&r, "abandonbroadcast", json_pack("[s]", u.txid_hex));
    json_decref(reply);
    rpc_daemon_stop(&r);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    rpc_daemon_start_in(&r, dir, extra);
    assert_true(daemon_wait_log(&r.d, "loaded 2 broadcasts (1 pending) from broadcast.dat", WAIT_MS));
    reply = info(&r, t.txid_hex);
    assert_string_equal(state_of(reply), "pending");
    json_decref(reply);
    reply = info(&r, u.txid_hex);
    assert_string_equal(state_of(reply), "abandoned");
    json_decref(reply);
    reply = info(&r, NULL); /* the order survives too: newest first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(rpc_result(reply), 0), "txid")),
                        u.txid_hex);
    json_decref(reply);
    /* submitting it again is not a second entry */
    txcase_send(&r, &t);
    rpc_daemon_stop(&r);

    /* a damaged file: moved aside, the daemon starts without it */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    assert_int_equal(fputc(0x5a, f), 0x5a);
    fclose(f);
    rpc_daemon_start_in(&r, dir, extra);
    assert_true(daemon_wait_log(&r.d, "broadcast.dat is unreadable (checksum): moved aside", WAIT_MS));
    assert_int_equal(stat(bad, &st), 0);
    reply = info(&r, NULL);
    assert_int_equal(json_array_size(rpc_result(reply)), 0);
    json_decref(reply);
    rpc_daemon_stop(&r);

    txcase_free(&t);
    txcase_free(&u);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_counters_and_abandon),
        cmocka_unit_test(test_broadcast_dat_across_restarts),
    };
    return test_run_group(tests);
}
