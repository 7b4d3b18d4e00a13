/* Issue 14's proof of the outbound slots, at the defaults: with addresses
 * from twelve /16 groups (scripted peers on 127.71-82.0.1 under
 * --test-local-groups), the daemon opens 8 full-relay connections (its
 * version says relay=1) and 2 block-relay-only ones (relay=0), one per
 * group, as getpeerinfo's connection_type says too; and it keeps them: a
 * full-relay peer that leaves is replaced by another full-relay
 * connection, the block-relay-only ones untouched. */
#include "harness.h"
#include "listener.h"
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
#define N_GROUPS 12
#define FULL_RELAY 8
#define BLOCK_RELAY 2

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}


/* The next connection on any listener, handshaken; its index, and whether
 * our version asked for transactions (full relay). */
static size_t accept_next(const struct rpc_daemon *r, struct listener *ls, struct sp *s,
                          bool *relay)
{
    struct pollfd p[N_GROUPS];
    for (size_t i = 0; i < N_GROUPS; i++) p[i] = (struct pollfd){.fd = ls[i].fd, .events = POLLIN};
    if (poll(p, N_GROUPS, WAIT_MS) <= 0) fail_msg("no connection came; log:\n%s", r->d.log);
    for (size_t i = 0; i < N_GROUPS; i++) {
        if (!(p[i].revents & POLLIN)) continue;
        assert_true(sp_accept(&s[i], ls[i].fd, magic(), WAIT_MS));
        struct wire_version theirs;
        assert_true(sp_handshake(&s[i], false, &theirs, WAIT_MS));
        *relay = theirs.relay;
        return i;
    }
    fail_msg("poll said ready, no listener was");
    return 0;
}

static size_t count_type(json_t *peers, const char *type)
{
    size_t count = 0, i;
    json_t *p;
    json_array_foreach(peers, i, p)
        count += strcmp(json_string_value(json_object_get(p, "connection_type")), type) == 0;
    return count;
}

/* getpeerinfo shows exactly full full-relay and block block-relay-only
 * peers and nothing else (within the wait: a leaver may still be listed). */
static void expect_types(struct rpc_daemon *r, size_t full, size_t block)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    for (;;) {
        json_t *reply = rpc_call(r, "getpeerinfo", json_array());
        json_t *peers = rpc_result(reply);
        size_t f = count_type(peers, "outbound-full-relay"), b = count_type(peers, "block-relay-only");
        size_t all = json_array_size(peers);
        json_decref(reply);
        if (f == full && b == block && all == full + block) return;
        if (clock_mono_ms() > deadline)
            fail_msg("%zu full-relay, %zu block-relay-only, %zu in all; log:\n%s", f, b, all, r->d.log);
        daemon_pump(&r->d, 20);
    }
}

static void test_keeps_eight_full_relay_and_two_block_relay(void **state)
{
    (void)state;
    struct listener ls[N_GROUPS];
    for (unsigned i = 0; i < N_GROUPS; i++) listener_open_group(&ls[i], 71 + i);
    /* the defaults (8 and 2); no feeler in the way */
    const char *extra[] = {"--test-local-groups", "--dnsseed=0", "--feeler-interval=3600", NULL};
    struct rpc_daemon r;
    rpc_daemon_start(&r, extra);
    for (size_t i = 0; i < N_GROUPS; i++) listener_add(&r, &ls[i]);

    struct sp s[N_GROUPS];
    bool up[N_GROUPS] = {false}, relays[N_GROUPS] = {false};
    size_t n_full = 0, n_block = 0;
    for (size_t k = 0; k < FULL_RELAY + BLOCK_RELAY; k++) {
        bool relay;
        size_t i = accept_next(&r, ls, s, &relay);
        assert_false(up[i]); /* one connection per group */
        up[i] = true;
        relays[i] = relay;
        if (relay) n_full++;
        else n_block++;
    }
    assert_int_equal(n_full, FULL_RELAY);
    assert_int_equal(n_block, BLOCK_RELAY);
    expect_types(&r, FULL_RELAY, BLOCK_RELAY);

    /* kept: a full-relay peer leaves and a full-relay connection takes its
     * slot, to another group or the same one again */
    size_t leaver = 0;
    while (!up[leaver] || !relays[leaver]) leaver++;
    sp_close(&s[leaver]);
    up[leaver] = false;
    bool relay;
    size_t i = accept_next(&r, ls, s, &relay);
    assert_false(up[i]);
    up[i] = true;
    assert_true(relay);
    expect_types(&r, FULL_RELAY, BLOCK_RELAY);

    for (size_t k = 0; k < N_GROUPS; k++) {
        if (up[k]) sp_close(&s[k]);
        close(ls[k].fd);
    }
    rpc_daemon_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_eight_full_relay_and_two_block_relay),
    };
    return test_run_group(tests);
}
