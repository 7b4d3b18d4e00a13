/* Eclipse resistance (issue 14), with scripted peers on 127.0.0.0/8: a
 * --connect peer is asked for addresses and its answer taken whole. */
#include "harness.h"
#include "rpc_daemon.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 8000

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* count fresh IPv4 addresses 127.(16 + i % 200).(i / 200).1: 200 /16
 * groups, spread over the new buckets one source may reach. */
static void send_addresses(struct sp *s, size_t count)
{
    struct wire_netaddr *a = calloc(count, sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < count; i++) {
        uint8_t ip16[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [13] = (uint8_t)(16 + i % 200),
                            [14] = (uint8_t)(i / 200), [15] = 1};
        wire_netaddr_from_v1(&a[i], ip16);
        a[i].port = 18444;
        a[i].services = NODE_NETWORK | NODE_WITNESS;
        a[i].time = (uint32_t)clock_unix_s() - 3600;
    }
    struct wire_msg m = {.type = WIRE_ADDR, .u.addr = {.count = count, .addrs = a}};
    assert_true(sp_send(s, &m));
    free(a);
}

/* The one peer of getpeerinfo (the test's only connection). */
static json_t *only_peer(const struct rpc_daemon *r, json_t **reply)
{
    *reply = rpc_call(r, "getpeerinfo", json_array());
    json_t *peers = rpc_result(*reply);
    assert_int_equal(json_array_size(peers), 1);
    return json_array_get(peers, 0);
}

static void test_connect_peer_is_asked_and_answer_taken(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = sp_listen(&port);
    assert_true(lfd >= 0);
    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *extra[] = {connect, "--listen=0", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);

    struct sp s;
    assert_true(sp_accept(&s, lfd, magic(), WAIT_MS));
    assert_true(sp_handshake(&s, false, NULL, WAIT_MS));
    /* asked, though a manual peer */
    assert_true(sp_expect(&s, WIRE_GETADDR, NULL, WAIT_MS));
    send_addresses(&s, 1000);
    /* all of the answer passed the token bucket (before: 1 taken, 999 dropped) */
    if (!daemon_wait_log(&r.d, "addr: 1000 accepted, 0 dropped", WAIT_MS))
        fail_msg("log:\n%s", r.d.log);

    json_t *reply;
    json_t *p = only_peer(&r, &reply);
    assert_string_equal(json_string_value(json_object_get(p, "connection_type")), "manual");
    assert_int_equal(json_integer_value(json_object_get(p, "addr_processed")), 1000);
    assert_int_equal(json_integer_value(json_object_get(p, "addr_rate_limited")), 0);
    json_decref(reply);
    /* most of them are in the table now: one source group reaches only 64
     * new buckets, so some slots collide (about 85 % land); before, 1 did */
    reply = rpc_call(&r, "getaddrmaninfo", json_array());
    json_int_t total = json_integer_value(
        json_object_get(json_object_get(rpc_result(reply), "all_networks"), "total"));
    json_decref(reply);
    if (total < 500) fail_msg("only %lld addresses in the table", (long long)total);

    /* the next message is gossip again: the bucket is spent (a token or
     * two trickle back meanwhile, at 0.1 a second) */
    send_addresses(&s, 20);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&r.d, "(token bucket)") < 2 && clock_mono_ms() < deadline) daemon_pump(&r.d, 20);
    p = only_peer(&r, &reply);
    assert_true(json_integer_value(json_object_get(p, "addr_rate_limited")) >= 15);
    json_decref(reply);

    sp_close(&s);
    close(lfd);
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_peer_is_asked_and_answer_taken),
    };
    return test_run_group(tests);
}
