/* The peer layer in one process: a peer on one end of a socketpair, the test
 * on the other, the event loop turned by hand. Pins the node-facing
 * contract: requests by id fail cleanly for unknown or not-yet-connected
 * peers, READY carries the peer's version, SHUTDOWN ends in DISCONNECTED, and
 * the queue drains in bounded batches. */
#include "testutil.h"

#include "peer/peer.h"
#include "peer/peer_internal.h" /* the caps, and a peer's paused flags */

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v1.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 512

struct fixture {
    struct event_base *base;
    struct node_queue *queue;
    struct peer_table *table;
    struct peer_config cfg;
    struct peer_event *events[MAX_EVENTS];
    size_t n_events;
    size_t n_seen;             /* every event drained, kept or not */
    int remote;                /* our end of the socketpair */
    struct transport_v1 rx;    /* what the peer sent us */
};

static void collect(struct peer_event *ev, void *arg)
{
    struct fixture *f = arg;
    f->n_seen++;
    if (f->n_events < MAX_EVENTS)
        f->events[f->n_events++] = ev;
    else
        peer_event_free(ev);
}

static int setup_batch(void **state, size_t batch)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->base = event_base_new();
    f->queue = node_queue_new(f->base, batch, collect, f);
    peer_config_default(&f->cfg, netparams_get(NET_REGTEST));
    f->table = peer_table_new(f->base, NULL, &f->cfg, f->queue);
    transport_v1_init(&f->rx, f->cfg.net->magic, WIRE_MAX_PAYLOAD);
    f->remote = -1;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_batch(state, 64);
}

/* A node that falls behind: one event a loop turn. */
static int setup_slow_node(void **state)
{
    return setup_batch(state, 1);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    peer_table_free(f->table);
    node_queue_free(f->queue);
    for (size_t i = 0; i < f->n_events; i++) peer_event_free(f->events[i]);
    if (f->remote >= 0) close(f->remote);
    transport_v1_clear(&f->rx);
    event_base_free(f->base);
    free(f);
    return 0;
}

/* Turn the loop until pred holds or a second passes. */
static bool run_until(struct fixture *f, bool (*pred)(struct fixture *))
{
    uint64_t deadline = clock_mono_ms() + 5000;
    while (!pred(f)) {
        if (clock_mono_ms() > deadline) return false;
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    return true;
}

static uint64_t accept_one(struct fixture *f)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(18444)};
    sa.sin_addr.s_addr = htonl(0x7f000001);
    uint64_t id;
    assert_int_equal(peer_accept(f->table, sv[0], (struct sockaddr *)&sa, sizeof sa, &id), PEER_OK);
    f->remote = sv[1];
    return id;
}

static void send_msg(struct fixture *f, const struct wire_msg *msg)
{
    struct buf_writer p, w;
    buf_writer_init(&p);
    buf_writer_init(&w);
    assert_int_equal(wire_encode(msg, &p), WIRE_OK);
    assert_int_equal(transport_v1_write(f->cfg.net->magic, wire_msg_command(msg), p.data, p.len,
                                        WIRE_MAX_PAYLOAD, &w),
                     TRANSPORT_OK);
    assert_int_equal(write(f->remote, w.data, w.len), (ssize_t)w.len);
    buf_writer_free(&p);
    buf_writer_free(&w);
}

/* The next message the peer sent us, or false after a hang guard (no
 * caller expects silence, so a generous guard costs nothing; a second was
 * too little under valgrind on a busy machine). */
static bool recv_msg(struct fixture *f, struct wire_msg *msg)
{
    uint64_t deadline = clock_mono_ms() + 20000;
    static uint8_t buf[65536];
    static size_t have, off;
    while (clock_mono_ms() < deadline) {
        while (off < have) {
            size_t used;
            struct transport_frame fr;
            enum transport_status st = transport_v1_read(&f->rx, buf + off, have - off, &used, &fr);
            off += used;
            if (st == TRANSPORT_FRAME) {
                enum wire_err err = wire_decode(fr.command, fr.payload, fr.len, msg);
                transport_frame_free(&fr);
                return err == WIRE_OK;
            }
        }
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        ssize_t n = read(f->remote, buf, sizeof buf);
        if (n > 0) {
            have = (size_t)n;
            off = 0;
        }
    }
    return false;
}

static bool has_ready(struct fixture *f)
{
    for (size_t i = 0; i < f->n_events; i++)
        if (f->events[i]->type == PEER_EV_READY) return true;
    return false;
}

static bool has_disconnected(struct fixture *f)
{
    for (size_t i = 0; i < f->n_events; i++)
        if (f->events[i]->type == PEER_EV_DISCONNECTED) return true;
    return false;
}

static uint64_t handshake(struct fixture *f)
{
    uint64_t id = accept_one(f);
    struct wire_msg v = {.type = WIRE_VERSION};
    v.u.version.version = 70015;
    v.u.version.services = NODE_NETWORK | NODE_WITNESS;
    v.u.version.nonce = 99;
    /* control characters in the user agent: the node gets them sanitized */
    memcpy(v.u.version.user_agent, "/evil\x1b[31m:1/", 13);
    v.u.version.user_agent_len = 13;
    v.u.version.start_height = 777;
    v.u.version.n_optional = WIRE_VERSION_OPT_START_HEIGHT; /* no relay field: relays */
    uint8_t zero[16] = {0};
    wire_netaddr_from_v1(&v.u.version.addr_recv, zero);
    wire_netaddr_from_v1(&v.u.version.addr_from, zero);
    send_msg(f, &v);
    struct wire_msg got;
    assert_true(recv_msg(f, &got));
    assert_int_equal(got.type, WIRE_VERSION);
    assert_true(recv_msg(f, &got)); /* 70015: no sendaddrv2, straight to verack */
    assert_int_equal(got.type, WIRE_VERACK);
    struct wire_msg verack = {.type = WIRE_VERACK};
    send_msg(f, &verack);
    assert_true(run_until(f, has_ready));
    return id;
}

static void test_requests_for_unknown_ids_fail_cleanly(void **state)
{
    struct fixture *f = *state;
    struct node_request req = {.type = NODE_REQ_PING};
    assert_int_equal(peer_request(f->table, 12345, &req), PEER_ERR_UNKNOWN_ID);
    assert_int_equal(peer_misbehaving(f->table, 12345, "test"), PEER_ERR_UNKNOWN_ID);
    assert_int_equal(peer_get_stats(f->table, 12345, NULL, NULL), PEER_ERR_UNKNOWN_ID);
}

static void test_request_before_handshake_is_not_connected(void **state)
{
    struct fixture *f = *state;
    uint64_t id = accept_one(f);
    struct node_request req = {.type = NODE_REQ_GET_ADDR};
    assert_int_equal(peer_request(f->table, id, &req), PEER_ERR_NOT_CONNECTED);
    enum peer_state st;
    assert_int_equal(peer_get_stats(f->table, id, NULL, &st), PEER_OK);
    assert_int_equal(st, PEER_NONE);
}

static void test_ready_carries_sanitized_version(void **state)
{
    struct fixture *f = *state;
    uint64_t id = handshake(f);
    const struct peer_event *ready = NULL;
    for (size_t i = 0; i < f->n_events; i++)
        if (f->events[i]->type == PEER_EV_READY) ready = f->events[i];
    assert_non_null(ready);
    assert_true(ready->peer_id == id);
    assert_true(ready->u.ready.inbound);
    assert_int_equal(ready->u.ready.version, 70015);
    assert_int_equal(ready->u.ready.start_height, 777);
    assert_true(ready->u.ready.relay);
    assert_string_equal(ready->u.ready.user_agent, "/evil?[31m:1/");
    assert_string_equal(ready->u.ready.addr, "127.0.0.1:18444");
}

static void test_requests_reach_the_wire_and_shutdown_disconnects(void **state)
{
    struct fixture *f = *state;
    uint64_t id = handshake(f);
    uint8_t hashes[1][32] = {{0x42}};
    struct wire_locator loc = {.version = PROTOCOL_VERSION, .count = 1, .hashes = hashes};
    struct node_request req = {.type = NODE_REQ_GET_HEADERS, .u.locator = &loc};
    assert_int_equal(peer_request(f->table, id, &req), PEER_OK);
    struct wire_msg got;
    assert_true(recv_msg(f, &got));
    assert_int_equal(got.type, WIRE_GETHEADERS);
    assert_int_equal(got.u.locator.hashes[0][0], 0x42);
    wire_msg_free(&got);

    req = (struct node_request){.type = NODE_REQ_GET_BLOCK, .u.hash = {7}};
    assert_int_equal(peer_request(f->table, id, &req), PEER_OK);
    assert_true(recv_msg(f, &got));
    assert_int_equal(got.type, WIRE_GETDATA);
    assert_int_equal(got.u.inv.entries[0].type, WIRE_INV_WITNESS_BLOCK);
    wire_msg_free(&got);

    req = (struct node_request){.type = NODE_REQ_GET_HEADERS, .u.locator = NULL};
    assert_int_equal(peer_request(f->table, id, &req), PEER_ERR_BAD_REQUEST);

    req = (struct node_request){.type = NODE_REQ_SHUTDOWN};
    assert_int_equal(peer_request(f->table, id, &req), PEER_OK);
    assert_true(run_until(f, has_disconnected));
    const struct peer_event *dc = f->events[f->n_events - 1];
    assert_int_equal(dc->type, PEER_EV_DISCONNECTED);
    assert_string_equal(dc->u.disconnected.reason, "requested");
    /* gone from the table at once, though freed later */
    assert_int_equal(peer_request(f->table, id, &req), PEER_ERR_UNKNOWN_ID);
}

static void test_sendheaders_once_headers_flow(void **state)
{
    struct fixture *f = *state;
    handshake(f);
    struct wire_msg headers = {.type = WIRE_HEADERS};
    send_msg(f, &headers);
    struct wire_msg got;
    assert_true(recv_msg(f, &got));
    assert_int_equal(got.type, WIRE_SENDHEADERS); /* BIP130, after the first headers */
    send_msg(f, &headers);
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 3};
    send_msg(f, &ping);
    assert_true(recv_msg(f, &got));
    assert_int_equal(got.type, WIRE_PONG); /* and only once */
}

/* No score any more (Core v28+): one offence disconnects. */
static void test_misbehaviour_at_limit_disconnects(void **state)
{
    struct fixture *f = *state;
    uint64_t id = handshake(f);
    assert_int_equal(peer_misbehaving(f->table, id, "test-offence"), PEER_OK);
    assert_true(run_until(f, has_disconnected));
    assert_string_equal(f->events[f->n_events - 1]->u.disconnected.reason, "misbehaving");
}

static bool drained_all(struct fixture *f)
{
    return f->n_events == 150;
}

static void test_queue_drains_in_bounded_batches(void **state)
{
    struct fixture *f = *state;
    for (uint64_t i = 0; i < 150; i++) node_queue_push(f->queue, peer_event_new(PEER_EV_GETADDR, i + 1));
    assert_int_equal(node_queue_len(f->queue), 150);
    event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(f->n_events, 64); /* one batch per turn */
    assert_int_equal(node_queue_len(f->queue), 86);
    assert_true(run_until(f, drained_all));
    for (size_t i = 0; i < 150; i++) assert_true(f->events[i]->peer_id == i + 1); /* FIFO */
}

static void test_one_getheaders_and_16_getdata_in_flight(void **state)
{
    struct fixture *f = *state;
    uint64_t id = handshake(f);
    uint8_t hashes[1][32] = {{0}};
    struct wire_locator loc = {.version = PROTOCOL_VERSION, .count = 1, .hashes = hashes};
    struct node_request gh = {.type = NODE_REQ_GET_HEADERS, .u.locator = &loc};
    assert_int_equal(peer_request(f->table, id, &gh), PEER_OK);
    for (unsigned i = 1; i < PEER_MAX_PENDING_HEADERS; i++)
        assert_int_equal(peer_request(f->table, id, &gh), PEER_OK);
    assert_int_equal(peer_request(f->table, id, &gh), PEER_ERR_BUSY);
    /* an answer frees the slot */
    struct wire_msg headers = {.type = WIRE_HEADERS};
    send_msg(f, &headers);
    uint64_t deadline = clock_mono_ms() + 1000;
    while (peer_request(f->table, id, &gh) == PEER_ERR_BUSY && clock_mono_ms() < deadline)
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(peer_request(f->table, id, &gh), PEER_ERR_BUSY); /* the new one is in flight */

    struct node_request gb = {.type = NODE_REQ_GET_BLOCK};
    for (unsigned i = 0; i < PEER_MAX_PENDING_GETDATA; i++) {
        gb.u.hash[0] = (uint8_t)i;
        assert_int_equal(peer_request(f->table, id, &gb), PEER_OK);
    }
    assert_int_equal(peer_request(f->table, id, &gb), PEER_ERR_BUSY);
    assert_int_equal(peer_lookup(f->table, id)->pending.getdata, PEER_MAX_PENDING_GETDATA);
}

/* Write as much of data as the socket takes, turning the loop meanwhile;
 * calls watch after every turn. */
static void feed(struct fixture *f, const uint8_t *data, size_t len, void (*watch)(struct fixture *, void *),
                 void *arg)
{
    size_t off = 0;
    uint64_t deadline = clock_mono_ms() + 120000; /* a hang's guard, not a timing */
    while (off < len && clock_mono_ms() < deadline) {
        ssize_t n;
        while (off < len && (n = write(f->remote, data + off, len - off)) > 0) off += (size_t)n;
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        watch(f, arg);
        /* we never read what the peer sends back */
    }
    assert_int_equal(off, len);
}

struct queue_watch {
    uint64_t id;
    size_t max_len, max_peer_events;
    bool paused_seen;
};

static void watch_queue(struct fixture *f, void *arg)
{
    struct queue_watch *w = arg;
    size_t len = node_queue_len(f->queue);
    if (len > w->max_len) w->max_len = len;
    struct peer *p = peer_lookup(f->table, w->id);
    if (!p) return;
    if (p->flow.queued_events > w->max_peer_events) w->max_peer_events = p->flow.queued_events;
    if (p->flow.queue_paused) w->paused_seen = true;
}

static bool all_notfound_seen(struct fixture *f)
{
    return f->n_seen >= 1 + 6000; /* READY and every notfound */
}

static void test_node_queue_cap_pauses_the_peer_and_drops_nothing(void **state)
{
    struct fixture *f = *state;
    f->cfg.max_msg_rate = 0;
    uint64_t id = handshake(f);
    /* 6,000 small messages, each one event, to a node that takes one a
     * turn while a read of 16 KB posts ~270 */
    struct buf_writer p, w;
    buf_writer_init(&p);
    buf_writer_init(&w);
    struct wire_inv_entry e = {.type = WIRE_INV_BLOCK};
    struct wire_msg nf = {.type = WIRE_NOTFOUND, .u.inv = {.count = 1, .entries = &e}};
    assert_int_equal(wire_encode(&nf, &p), WIRE_OK);
    for (int i = 0; i < 6000; i++)
        assert_int_equal(transport_v1_write(f->cfg.net->magic, "notfound", p.data, p.len, WIRE_MAX_PAYLOAD, &w),
                         TRANSPORT_OK);
    struct queue_watch qw = {.id = id};
    feed(f, w.data, w.len, watch_queue, &qw);
    assert_true(run_until(f, all_notfound_seen));
    print_message("queue: max %zu events, the peer's max %zu, paused %d\n", qw.max_len, qw.max_peer_events,
                  qw.paused_seen);
    assert_true(qw.paused_seen);
    /* the cap held: the peer's backlog stopped at the cap (plus the event
     * that crossed it) */
    assert_true(qw.max_peer_events <= PEER_QUEUE_MAX_EVENTS);
    assert_true(qw.max_len <= PEER_QUEUE_MAX_EVENTS + 2);
    /* and it was resumed: reading again, nothing waiting */
    struct peer *peer = peer_lookup(f->table, id);
    assert_non_null(peer);
    assert_false(peer->flow.queue_paused);
    assert_int_equal(peer->flow.queued_events, 0);
    assert_int_equal(node_queue_bytes(f->queue), 0);
    buf_writer_free(&p);
    buf_writer_free(&w);
}

struct send_watch {
    uint64_t id;
    size_t max_total;
    bool paused_seen;
};

static void watch_send(struct fixture *f, void *arg)
{
    struct send_watch *w = arg;
    if (f->table->send_total > w->max_total) w->max_total = f->table->send_total;
    struct peer *p = peer_lookup(f->table, w->id);
    if (p && p->flow.reading_paused) w->paused_seen = true;
}

static void test_global_send_cap_pauses_a_peer_that_adds_output(void **state)
{
    struct fixture *f = *state;
    /* the per-peer soft limit out of the way: only the global cap can act,
     * at 8 MB rather than 64 (the same code, a few answers instead of
     * sixty: valgrind takes minutes over 108 MB) */
    const size_t cap = 8u * 1000 * 1000;
    f->cfg.send_global_limit = cap;
    f->cfg.send_soft_limit = 4 * cap;
    f->cfg.send_hard_limit = 8 * cap;
    f->cfg.max_msg_rate = 0;
    uint64_t id = handshake(f);
    /* getdata for 50,000 unknown things: each answer is a 1.8 MB notfound
     * we never read; 60 of them would owe 108 MB, far past the cap */
    struct wire_inv_entry *entries = calloc(WIRE_MAX_INV, sizeof *entries);
    struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = {.count = WIRE_MAX_INV, .entries = entries}};
    struct buf_writer p, w;
    buf_writer_init(&p);
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&gd, &p), WIRE_OK);
    assert_int_equal(transport_v1_write(f->cfg.net->magic, "getdata", p.data, p.len, WIRE_MAX_PAYLOAD, &w),
                     TRANSPORT_OK);
    struct send_watch sw = {.id = id};
    size_t off = 0;
    uint64_t deadline = clock_mono_ms() + 120000; /* a hang's guard, not a timing */
    for (int sent = 0; sent < 60 && !sw.paused_seen && clock_mono_ms() < deadline;) {
        ssize_t n = write(f->remote, w.data + off, w.len - off);
        if (n > 0 && (off += (size_t)n) == w.len) off = 0, sent++;
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        watch_send(f, &sw);
    }
    assert_true(sw.paused_seen);
    /* paused once past the cap: at most one more answer beyond it */
    assert_true(sw.max_total > cap);
    assert_true(sw.max_total <= cap + 2 * p.len);
    free(entries);
    buf_writer_free(&p);
    buf_writer_free(&w);
}

static void test_wrong_nonce_pongs_count_toward_the_rate(void **state)
{
    struct fixture *f = *state;
    f->cfg.max_msg_rate = 1; /* at most 19 in the first ten seconds */
    uint64_t id = handshake(f);
    for (uint64_t i = 0; i < 25 && peer_lookup(f->table, id); i++) {
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping.nonce = i + 1000};
        send_msg(f, &pong);
        for (int k = 0; k < 20; k++) event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    assert_true(run_until(f, has_disconnected));
    assert_string_equal(f->events[f->n_events - 1]->u.disconnected.reason, "rate-limit");
}

/* ---- drain, then free ---- */

#define OWED_ENTRIES 2000u /* a 72 KB notfound: far more than the socket takes */

/* A connected peer that owes us an answer it could not send yet: its
 * socket buffer is one page and we do not read. */
static uint64_t peer_owing_output(struct fixture *f)
{
    f->cfg.max_msg_rate = 0;
    uint64_t id = handshake(f);
    struct peer *p = peer_lookup(f->table, id);
    int page = 4096;
    assert_int_equal(setsockopt(bufferevent_getfd(p->bev), SOL_SOCKET, SO_SNDBUF, &page, sizeof page), 0);
    struct wire_inv_entry *entries = calloc(OWED_ENTRIES, sizeof *entries);
    assert_non_null(entries);
    struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = {.count = OWED_ENTRIES, .entries = entries}};
    send_msg(f, &gd);
    free(entries);
    uint64_t deadline = clock_mono_ms() + 5000;
    while (p->stats.msgs_out < 3 && clock_mono_ms() < deadline) /* version, verack, notfound */
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_int_equal(p->stats.msgs_out, 3);
    assert_true(evbuffer_get_length(bufferevent_get_output(p->bev)) > 0);
    return id;
}

/* Everything the peer sends until it closes the socket; the count of
 * bytes, and the first message in *msg (false if none came whole). */
static bool read_to_eof(struct fixture *f, struct wire_msg *msg, size_t *total)
{
    struct transport_v1 rx;
    transport_v1_init(&rx, f->cfg.net->magic, WIRE_MAX_PAYLOAD);
    bool whole = false, eof = false;
    *total = 0;
    uint64_t deadline = clock_mono_ms() + 120000; /* a hang's guard, not a timing */
    while (!eof && clock_mono_ms() < deadline) {
        uint8_t buf[16384];
        ssize_t n = read(f->remote, buf, sizeof buf);
        if (n == 0) eof = true;
        for (size_t off = 0; n > 0 && off < (size_t)n;) {
            size_t used;
            struct transport_frame fr;
            enum transport_status st = transport_v1_read(&rx, buf + off, (size_t)n - off, &used, &fr);
            off += used;
            if (st == TRANSPORT_FRAME) {
                if (!whole) whole = wire_decode(fr.command, fr.payload, fr.len, msg) == WIRE_OK;
                transport_frame_free(&fr);
            }
        }
        if (n > 0) *total += (size_t)n;
        event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    transport_v1_clear(&rx);
    assert_true(eof);
    return whole;
}

static bool nothing_draining(struct fixture *f)
{
    return idmap_len(&f->table->draining) == 0;
}

/* A dead peer's last answer reaches the wire whole before the socket
 * closes (libevent's le-proxy drain), though the peer left the table at
 * once. One best-effort write would have cut it at the socket's size. */
static void test_dead_peer_drains_what_it_owes_then_closes(void **state)
{
    struct fixture *f = *state;
    f->cfg.drain_timeout_ms = 120000; /* a hang's guard: the test reads it all */
    uint64_t id = peer_owing_output(f);
    struct node_request req = {.type = NODE_REQ_SHUTDOWN};
    assert_int_equal(peer_request(f->table, id, &req), PEER_OK);
    assert_true(run_until(f, has_disconnected));
    for (int i = 0; i < 5; i++) event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_null(peer_lookup(f->table, id));
    assert_int_equal(idmap_len(&f->table->draining), 1); /* still sending */
    struct wire_msg got;
    size_t total;
    assert_true(read_to_eof(f, &got, &total));
    assert_int_equal(got.type, WIRE_NOTFOUND);
    assert_int_equal(got.u.inv.count, OWED_ENTRIES);
    wire_msg_free(&got);
    assert_int_equal(total, TRANSPORT_V1_HEADER_LEN + 3 + OWED_ENTRIES * 36);
    assert_true(run_until(f, nothing_draining));
    assert_int_equal(f->table->send_total, 0);
}

/* A peer that does not read what it is owed is closed when the drain
 * times out, its answer cut short. */
static void test_drain_gives_up_after_its_timeout(void **state)
{
    struct fixture *f = *state;
    f->cfg.drain_timeout_ms = 20;
    uint64_t id = peer_owing_output(f);
    assert_int_equal(peer_disconnect_id(f->table, id, PEER_REASON_REQUESTED), PEER_OK);
    assert_true(run_until(f, has_disconnected));
    assert_true(run_until(f, nothing_draining)); /* without a byte read */
    struct wire_msg got;
    size_t total;
    assert_false(read_to_eof(f, &got, &total));
    assert_true(total < TRANSPORT_V1_HEADER_LEN + 3 + OWED_ENTRIES * 36);
}

/* Dropped for not reading (send-buffer-full): no drain, freed at once. */
static void test_send_buffer_full_is_not_drained(void **state)
{
    struct fixture *f = *state;
    f->cfg.drain_timeout_ms = 120000;
    f->cfg.send_soft_limit = 8192;
    f->cfg.send_hard_limit = 16384;
    f->cfg.max_msg_rate = 0;
    uint64_t id = handshake(f);
    struct wire_inv_entry *entries = calloc(OWED_ENTRIES, sizeof *entries);
    assert_non_null(entries);
    struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = {.count = OWED_ENTRIES, .entries = entries}};
    send_msg(f, &gd);
    free(entries);
    assert_true(run_until(f, has_disconnected));
    assert_string_equal(f->events[f->n_events - 1]->u.disconnected.reason, "send-buffer-full");
    for (int i = 0; i < 5; i++) event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    assert_null(peer_lookup(f->table, id));
    assert_int_equal(idmap_len(&f->table->draining), 0);
    struct wire_msg got;
    size_t total;
    read_to_eof(f, &got, &total); /* the socket is closed: EOF, whatever came before */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_requests_for_unknown_ids_fail_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_before_handshake_is_not_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_carries_sanitized_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_reach_the_wire_and_shutdown_disconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sendheaders_once_headers_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misbehaviour_at_limit_disconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_drains_in_bounded_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_getheaders_and_16_getdata_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_queue_cap_pauses_the_peer_and_drops_nothing, setup_slow_node,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_global_send_cap_pauses_a_peer_that_adds_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_nonce_pongs_count_toward_the_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_peer_drains_what_it_owes_then_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_gives_up_after_its_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_buffer_full_is_not_drained, setup, teardown),
    };
    return test_run_group(tests);
}
