/* Private broadcast over loopback: a transaction given to
 * sendrawtransaction goes out over short-lived private-broadcast
 * connections to scripted peers (the daemon dials them; they listen on
 * 127.x.0.1, distinct /16 groups under --test-local-groups), each with the
 * exact message sequence (a version that links to nothing, wtxidrelay,
 * verack, inv MSG_WTX, tx on getdata, ping, close on pong), everything
 * else the peer says ignored; never to an address we hold an ordinary
 * connection to, never two in one network group, and an ordinary peer
 * never hears the transaction from us. */
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
#include <unistd.h>

#define WAIT_MS 20000

static const uint8_t prev[32] = {7, 7, 7};

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* A listener on ip with a port of the kernel's choosing. */
struct listener {
    const char *ip;
    int fd;
    uint16_t port;
};

static void listen_on(struct listener *l, const char *ip)
{
    l->ip = ip;
    l->fd = sp_listen_on(ip, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&sa, &len), 0);
    l->port = ntohs(sa.sin_port);
}

/* Two addresses of one group from one source (addpeeraddress: itself)
 * share a new-table bucket, and with a chance of 1 in 64 (the bucket's
 * random key) a slot: the second is refused (failed-adding-to-new). The
 * slot depends on the port, so that listener moves to a fresh port. */
static void add_address(const struct rpc_daemon *r, struct listener *l)
{
    for (int tries = 0;; tries++) {
        json_t *reply = rpc_call(r, "addpeeraddress", json_pack("[s,i]", l->ip, l->port));
        json_t *res = rpc_result(reply);
        const char *err = json_string_value(json_object_get(res, "error"));
        bool collided = err && strcmp(err, "failed-adding-to-new") == 0;
        if (!collided || tries == 8) {
            assert_true(json_is_true(json_object_get(res, "success")));
            json_decref(reply);
            return;
        }
        json_decref(reply);
        close(l->fd);
        listen_on(l, l->ip);
    }
}

/* The index of the listener that gets a connection first (-1 if none in
 * timeout_ms). */
static int accept_any(struct listener *ls, size_t n, struct sp *s, unsigned timeout_ms)
{
    struct pollfd p[8];
    for (size_t i = 0; i < n; i++) p[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
    if (poll(p, (nfds_t)n, (int)timeout_ms) <= 0) return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i].revents & POLLIN) return sp_accept(s, ls[i].fd, magic(), WAIT_MS) ? (int)i : -1;
    return -1;
}

/* The next message, which must be of this type. */
static void expect_next(struct sp *s, enum wire_type type, struct wire_msg *out)
{
    struct wire_msg msg;
    enum sp_result r = sp_recv(s, &msg, WAIT_MS);
    if (r != SP_FRAME) fail_msg("wanted %s, got result %d", wire_type_command(type), (int)r);
    if (msg.type != type)
        fail_msg("wanted %s, got %s", wire_type_command(type), wire_msg_command(&msg));
    if (out)
        *out = msg;
    else
        wire_msg_free(&msg);
}

static void send_inv(struct sp *s, enum wire_type type, uint32_t inv_type, const uint8_t hash[32])
{
    struct wire_inv_entry e = {.type = inv_type};
    memcpy(e.hash, hash, 32);
    struct wire_msg msg = {.type = type, .u.inv = {.count = 1, .entries = &e}};
    assert_true(sp_send(s, &msg));
}

/* The whole private-broadcast conversation, from the peer's side. Returns
 * the daemon's version nonce. */
static uint64_t serve_private_broadcast_as(struct sp *s, const uint8_t *raw, size_t raw_len,
                                           const uint8_t wtxid[32], const uint8_t *txid)
{
    struct wire_msg msg;
    /* 1. its version links to nothing */
    expect_next(s, WIRE_VERSION, &msg);
    const struct wire_version *v = &msg.u.version;
    assert_int_equal(v->services, 0);
    assert_int_equal(v->start_height, 0);
    assert_false(v->relay);
    assert_int_equal(v->addr_from.services, 0);
    static const uint8_t zero[16];
    uint8_t ip16[16];
    assert_true(wire_netaddr_to_v1(&v->addr_from, ip16));
    assert_memory_equal(ip16, zero, 16);
    assert_int_equal(v->addr_from.port, 0);
    uint64_t nonce = v->nonce;
    assert_true(nonce != 0);
    wire_msg_free(&msg);
    /* 2. our side, as a modern node: version, wtxidrelay, sendaddrv2, verack */
    struct wire_msg ours;
    sp_make_version(&ours, 0x1234, 5);
    assert_true(sp_send(s, &ours));
    if (!txid) assert_true(sp_send_empty(s, WIRE_WTXIDRELAY)); /* txid given: a peer without BIP339 */
    assert_true(sp_send_empty(s, WIRE_SENDADDRV2));
    assert_true(sp_send_empty(s, WIRE_VERACK));
    /* 3. exactly: wtxidrelay (no sendaddrv2), verack, inv MSG_WTX (MSG_TX
     * and the txid to a peer that did not send wtxidrelay) */
    expect_next(s, WIRE_WTXIDRELAY, NULL);
    expect_next(s, WIRE_VERACK, NULL);
    expect_next(s, WIRE_INV, &msg);
    assert_int_equal(msg.u.inv.count, 1);
    assert_int_equal(msg.u.inv.entries[0].type, txid ? WIRE_INV_TX : WIRE_INV_WTX);
    assert_memory_equal(msg.u.inv.entries[0].hash, txid ? txid : wtxid, 32);
    wire_msg_free(&msg);
    /* 4. everything else is ignored: a ping (no pong), getaddr, another
     * transaction's inv and a getdata for something else */
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = 99}};
    assert_true(sp_send(s, &ping));
    assert_true(sp_send_empty(s, WIRE_GETADDR));
    static const uint8_t other[32] = {0xee};
    send_inv(s, WIRE_INV, WIRE_INV_WTX, other);
    send_inv(s, WIRE_GETDATA, WIRE_INV_WTX, other);
    /* 5. getdata for ours: the tx, then a ping */
    if (txid)
        send_inv(s, WIRE_GETDATA, WIRE_INV_WITNESS_TX, txid);
    else
        send_inv(s, WIRE_GETDATA, WIRE_INV_WTX, wtxid);
    expect_next(s, WIRE_TX, &msg);
    assert_int_equal(msg.u.tx.raw_len, raw_len);
    assert_memory_equal(msg.u.tx.raw, raw, raw_len);
    wire_msg_free(&msg);
    expect_next(s, WIRE_PING, &msg);
    struct wire_msg pong = {.type = WIRE_PONG, .u.ping = msg.u.ping};
    wire_msg_free(&msg);
    /* 6. the pong closes it, with nothing more sent */
    assert_true(sp_send(s, &pong));
    enum sp_result r = sp_recv(s, &msg, WAIT_MS);
    if (r == SP_FRAME) fail_msg("after the pong: %s", wire_msg_command(&msg));
    assert_int_equal(r, SP_CLOSED);
    return nonce;
}

static uint64_t serve_private_broadcast(struct sp *s, const uint8_t *raw, size_t raw_len,
                                        const uint8_t wtxid[32])
{
    return serve_private_broadcast_as(s, raw, raw_len, wtxid, NULL);
}

/* Nothing the daemon sent this ordinary peer carried our transaction:
 * read up to the pong of a ping sent now (what came before it is all it
 * sent). */
static void assert_never_told(struct sp *s, const uint8_t txid[32], const uint8_t wtxid[32])
{
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = 4242}};
    assert_true(sp_send(s, &ping));
    for (;;) {
        struct wire_msg msg;
        assert_int_equal(sp_recv(s, &msg, WAIT_MS), SP_FRAME);
        if (msg.type == WIRE_TX) fail_msg("an ordinary peer got a tx");
        if (msg.type == WIRE_INV)
            for (size_t i = 0; i < msg.u.inv.count; i++) {
                const uint8_t *h = msg.u.inv.entries[i].hash;
                if (!memcmp(h, txid, 32) || !memcmp(h, wtxid, 32)) fail_msg("announced to an ordinary peer");
            }
        bool done = msg.type == WIRE_PONG && msg.u.ping.nonce == 4242;
        wire_msg_free(&msg);
        if (done) return;
    }
}

static void test_three_peers_in_distinct_groups_exact_sequence(void **state)
{
    (void)state;
    /* 127.31/16 twice: only one of the two may be used; 127.34: an
     * ordinary (manual) peer, in the address manager too: never used */
    struct listener ls[5];
    listen_on(&ls[0], "127.31.0.1");
    listen_on(&ls[1], "127.31.0.2");
    listen_on(&ls[2], "127.32.0.1");
    listen_on(&ls[3], "127.33.0.1");
    listen_on(&ls[4], "127.34.0.1");
    char addnode[64];
    snprintf(addnode, sizeof addnode, "--addnode=127.34.0.1:%u", ls[4].port);
    const char *extra[] = {"--test-local-groups", "--max-outbound=0", "--dnsseed=0",
                           "--test-broadcast-retry=0.05", addnode, NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    struct sp manual;
    assert_true(sp_accept(&manual, ls[4].fd, magic(), WAIT_MS));
    assert_true(sp_handshake(&manual, false, NULL, WAIT_MS));
    /* an inbound ordinary peer too */
    assert_true(daemon_wait_log(&r.d, "listening on 127.0.0.1:", WAIT_MS));
    struct sp inbound;
    assert_true(sp_connect_from(&inbound, "127.35.0.1", daemon_port(&r.d, WAIT_MS), magic()));
    assert_true(sp_handshake(&inbound, true, NULL, WAIT_MS));
    for (size_t i = 0; i < 5; i++) add_address(&r, &ls[i]);

    struct txbuild b;
    txbuild_spend_p2wsh_op_true(&b, prev, 0, 4999000000, NULL, 0);
    size_t raw_len;
    uint8_t *raw = txbuild_bytes(&b, &raw_len);
    uint8_t txid[32], wtxid[32];
    txbuild_txid(&b, txid);
    txbuild_wtxid(&b, wtxid);
    char *hex = txbuild_hex(&b);
    json_t *reply = rpc_call(&r, "sendrawtransaction", json_pack("[s]", hex));
    rpc_result(reply);
    json_decref(reply);

    bool used[5] = {false};
    uint64_t nonces[3];
    for (size_t k = 0; k < 3; k++) {
        struct sp s;
        int i = accept_any(ls, 4, &s, WAIT_MS);
        if (i < 0) fail_msg("private-broadcast connection %zu did not come:\n%s", k, r.d.log);
        assert_false(used[i]);
        used[i] = true;
        nonces[k] = serve_private_broadcast(&s, raw, raw_len, wtxid);
        sp_close(&s);
    }
    assert_false(used[0] && used[1]); /* one per network group */
    assert_true(nonces[0] != nonces[1] && nonces[1] != nonces[2] && nonces[0] != nonces[2]);
    char txid_hex[65], line[160];
    hex_encode_rev(txid, 32, txid_hex);
    snprintf(line, sizeof line, "broadcast txid=%s sent to 3 peers", txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "reason=private-broadcast-done"), 3);

    /* the ordinary peers never heard of it; the manual one's address was
     * never dialled for the broadcast */
    assert_never_told(&manual, txid, wtxid);
    assert_never_told(&inbound, txid, wtxid);
    struct pollfd p = {.fd = ls[4].fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    /* and no fourth connection: 3 took it */
    struct sp extra_sp;
    assert_int_equal(accept_any(ls, 4, &extra_sp, 0), -1);

    sp_close(&manual);
    sp_close(&inbound);
    for (size_t i = 0; i < 5; i++) close(ls[i].fd);
    free(hex);
    free(raw);
    txbuild_free(&b);
    rpc_daemon_stop(&r);
}

/* ---- confirmation, retries, expiry ---- */

struct txcase {
    struct txbuild b;
    uint8_t *raw;
    size_t raw_len;
    uint8_t txid[32], wtxid[32];
    char txid_hex[65];
};

static void txcase_make(struct txcase *t, uint8_t salt)
{
    uint8_t p[32] = {salt, 9, 9};
    txbuild_spend_p2wsh_op_true(&t->b, p, 0, 4999000000, NULL, 0);
    t->raw = txbuild_bytes(&t->b, &t->raw_len);
    txbuild_txid(&t->b, t->txid);
    txbuild_wtxid(&t->b, t->wtxid);
    hex_encode_rev(t->txid, 32, t->txid_hex);
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

/* A daemon with n listeners in n network groups (127.(40+i).0.1) in its
 * address manager, and an ordinary inbound peer (127.39.0.1) connected. */
static void start_with_peers(struct rpc_daemon *r, const char *const *more, struct listener *ls,
                             size_t n, struct sp *inbound, struct wire_version *theirs)
{
    static char ips[8][32];
    const char *extra[16] = {"--test-local-groups", "--max-outbound=0", "--dnsseed=0",
                             "--test-broadcast-retry=0.05"};
    size_t k = 4;
    for (size_t i = 0; more && more[i] && k < 15; i++) extra[k++] = more[i];
    extra[k] = NULL;
    rpc_daemon_start(r, extra);
    for (size_t i = 0; i < n; i++) {
        snprintf(ips[i], sizeof ips[i], "127.%zu.0.1", 40 + i);
        listen_on(&ls[i], ips[i]);
        add_address(r, &ls[i]);
    }
    assert_true(sp_connect_from(inbound, "127.39.0.1", daemon_port(&r->d, WAIT_MS), magic()));
    assert_true(sp_handshake(inbound, true, theirs, WAIT_MS));
}

/* Serve k private-broadcast connections; which listeners they came to. */
static void serve_k(struct listener *ls, size_t n, size_t k, const struct txcase *t, bool *used,
                    const struct rpc_daemon *r)
{
    for (size_t j = 0; j < k; j++) {
        struct sp s;
        int i = accept_any(ls, n, &s, WAIT_MS);
        if (i < 0) fail_msg("private-broadcast connection %zu did not come:\n%s", j, r->d.log);
        if (used[i]) fail_msg("listener %d used twice", i);
        used[i] = true;
        serve_private_broadcast(&s, t->raw, t->raw_len, t->wtxid);
        sp_close(&s);
    }
}

/* An honest peer's tx inv stream (1,000 entries a message) is dropped
 * without tripping the rate limit; our wtxid announced back by an
 * ordinary peer is the confirmation. Our version to an ordinary peer asks
 * for tx relay. */
static void test_seen_back_when_announced(void **state)
{
    (void)state;
    struct rpc_daemon r;
    struct listener ls[3];
    struct sp inbound;
    struct wire_version theirs;
    start_with_peers(&r, NULL, ls, 3, &inbound, &theirs);
    assert_true(theirs.relay);
    struct txcase t;
    txcase_make(&t, 1);
    txcase_send(&r, &t);
    bool used[3] = {false};
    serve_k(ls, 3, 3, &t, used, &r);
    char line[200];
    snprintf(line, sizeof line, "broadcast txid=%s sent to 3 peers", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));

    /* 30 messages of 1,000 other transactions, back to back */
    struct wire_inv_entry *e = calloc(1000, sizeof *e);
    assert_non_null(e);
    for (uint32_t m = 0; m < 30; m++) {
        for (uint32_t i = 0; i < 1000; i++) {
            e[i].type = WIRE_INV_WTX;
            memcpy(e[i].hash, &m, 4);
            memcpy(e[i].hash + 4, &i, 4);
            e[i].hash[31] = 0xab;
        }
        struct wire_msg inv = {.type = WIRE_INV, .u.inv = {.count = 1000, .entries = e}};
        assert_true(sp_send(&inbound, &inv));
    }
    free(e);
    assert_never_told(&inbound, t.txid, t.wtxid); /* and still connected: the pong came */
    assert_int_equal(daemon_log_count(&r.d, "rate-limit"), 0);
    assert_int_equal(daemon_log_count(&r.d, "seen back"), 0);
    /* now ours, by wtxid */
    send_inv(&inbound, WIRE_INV, WIRE_INV_WTX, t.wtxid);
    snprintf(line, sizeof line, "broadcast txid=%s seen back: announced by 127.39.0.1:", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    assert_int_equal(daemon_log_count(&r.d, "reason=private-broadcast-done"), 3);
    sp_close(&inbound);
    for (size_t i = 0; i < 3; i++) close(ls[i].fd);
    txcase_free(&t);
    rpc_daemon_stop(&r);
}

/* Nobody announces it; an ordinary peer asked for it (getdata MSG_WTX,
 * once it is old enough) serves it: that is the confirmation too. */
static void test_seen_back_when_served(void **state)
{
    (void)state;
    struct rpc_daemon r;
    struct listener ls[3];
    struct sp inbound;
    const char *more[] = {"--test-broadcast-getdata-delay=0.05", NULL};
    start_with_peers(&r, more, ls, 3, &inbound, NULL);
    struct txcase t;
    txcase_make(&t, 2);
    txcase_send(&r, &t);
    bool used[3] = {false};
    serve_k(ls, 3, 3, &t, used, &r);
    struct wire_msg msg;
    for (;;) { /* headers sync and the like may come first */
        assert_true(sp_expect(&inbound, WIRE_GETDATA, &msg, WAIT_MS));
        bool ours = msg.u.inv.count == 1 && msg.u.inv.entries[0].type == WIRE_INV_WTX &&
                    memcmp(msg.u.inv.entries[0].hash, t.wtxid, 32) == 0;
        wire_msg_free(&msg);
        if (ours) break;
    }
    struct wire_msg tx = {.type = WIRE_TX, .u.tx = {.raw = t.raw, .raw_len = t.raw_len}};
    assert_true(sp_send(&inbound, &tx));
    char line[200];
    snprintf(line, sizeof line, "broadcast txid=%s seen back: served by 127.39.0.1:", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    sp_close(&inbound);
    for (size_t i = 0; i < 3; i++) close(ls[i].fd);
    txcase_free(&t);
    rpc_daemon_stop(&r);
}

/* Taken by 3 but never seen back: a second round to 3 fresh peers. */
static void test_new_round_with_fresh_peers(void **state)
{
    (void)state;
    struct rpc_daemon r;
    struct listener ls[6];
    struct sp inbound;
    const char *more[] = {"--private-broadcast-retry=0.2", NULL};
    start_with_peers(&r, more, ls, 6, &inbound, NULL);
    struct txcase t;
    txcase_make(&t, 3);
    txcase_send(&r, &t);
    bool used[6] = {false};
    serve_k(ls, 6, 3, &t, used, &r);
    char line[200];
    snprintf(line, sizeof line, "broadcast txid=%s not seen back: round 2 with fresh peers", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    serve_k(ls, 6, 3, &t, used, &r); /* fails if one of the first three is used again */
    assert_true(daemon_wait_log(&r.d, "round 3 with fresh peers", WAIT_MS));
    snprintf(line, sizeof line, "broadcast txid=%s: 0 of 3 peers; no other address", t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    sp_close(&inbound);
    for (size_t i = 0; i < 6; i++) close(ls[i].fd);
    txcase_free(&t);
    rpc_daemon_stop(&r);
}

/* A peer without wtxidrelay (bcoin, nodes before BIP339) hears of it by
 * txid (MSG_TX) and asks for it by txid (MSG_WITNESS_TX). */
static void test_by_txid_to_a_peer_without_wtxidrelay(void **state)
{
    (void)state;
    struct rpc_daemon r;
    struct listener ls[1];
    struct sp inbound;
    start_with_peers(&r, NULL, ls, 1, &inbound, NULL);
    struct txcase t;
    txcase_make(&t, 5);
    txcase_send(&r, &t);
    struct sp s;
    assert_int_equal(accept_any(ls, 1, &s, WAIT_MS), 0);
    serve_private_broadcast_as(&s, t.raw, t.raw_len, t.wtxid, t.txid);
    sp_close(&s);
    assert_true(daemon_wait_log(&r.d, "took it (private-broadcast-done); 1 of 3", WAIT_MS));
    sp_close(&inbound);
    close(ls[0].fd);
    txcase_free(&t);
    rpc_daemon_stop(&r);
}

/* No address to send it to: given up at the expiry, logged. */
static void test_given_up_at_expiry(void **state)
{
    (void)state;
    struct rpc_daemon r;
    struct sp inbound;
    const char *more[] = {"--private-broadcast-expiry=0.3", NULL};
    start_with_peers(&r, more, NULL, 0, &inbound, NULL);
    struct txcase t;
    txcase_make(&t, 4);
    txcase_send(&r, &t);
    char line[200];
    snprintf(line, sizeof line, "broadcast txid=%s abandoned: not seen back before the expiry",
             t.txid_hex);
    assert_true(daemon_wait_log(&r.d, line, WAIT_MS));
    sp_close(&inbound);
    txcase_free(&t);
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_peers_in_distinct_groups_exact_sequence),
        cmocka_unit_test(test_seen_back_when_announced),
        cmocka_unit_test(test_seen_back_when_served),
        cmocka_unit_test(test_new_round_with_fresh_peers),
        cmocka_unit_test(test_by_txid_to_a_peer_without_wtxidrelay),
        cmocka_unit_test(test_given_up_at_expiry),
    };
    return test_run_group(tests);
}
