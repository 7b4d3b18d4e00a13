/* libFuzzer target for a whole peer: a real node (regtest, no data
 * directory, no dialling) with one peer on an in-memory bufferevent pair,
 * the fuzzer on the other end. After Bitcoin Core's p2p_handshake and
 * process_messages targets: the input chooses the connection kind
 * (inbound, outbound, manual, feeler, addr-fetch) and the peer's address,
 * then its version (structured fields, or raw payload bytes), then a
 * sequence of operations: a frame of a known or arbitrary command with
 * payload bytes from the input (v1 framing, the checksum right or wrong),
 * raw bytes, headers that extend the chain with valid regtest proof of
 * work, a getheaders from the tip, a pong to the peer's last ping, a node
 * request. The event loop turns after each, so the peer's handshake and
 * CONNECTED handlers, its caps, the node queue and the node's handlers
 * (chain, address manager, relay) all run, and the peer's replies are read
 * back. Any crash, sanitizer report or leak is a finding; so is a peer
 * that stays alive after the node freed it (checked by ASan at teardown). */
#include "node/node_internal.h"
#include "peer/peer.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/chain.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/pow.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reading the input ---- */

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t in_u8(struct input *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

static uint64_t in_uint(struct input *in, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) v |= (uint64_t)in_u8(in) << (8 * i);
    return v;
}

/* Up to want bytes (fewer at the end of the input). */
static const uint8_t *in_bytes(struct input *in, size_t want, size_t *got)
{
    size_t n = want < in->n ? want : in->n;
    const uint8_t *p = in->p;
    in->p += n;
    in->n -= n;
    *got = n;
    return p;
}

/* ---- the fuzzer's end of the pair ---- */

struct remote {
    struct bufferevent *bev;
    const uint8_t *magic;
    struct transport_v1 rx; /* what the peer sends, read back */
    uint64_t last_ping;     /* the nonce of its last ping, for a right pong */
    bool pinged;
    uint8_t tip[32];        /* the last header we built, to extend */
    uint32_t tip_time;
};

static void send_frame(struct remote *r, const char command[12], const uint8_t *payload, size_t len,
                       bool bad_checksum)
{
    uint8_t head[24];
    memcpy(head, r->magic, 4);
    memcpy(head + 4, command, 12);
    uint32_t l = (uint32_t)len;
    for (int i = 0; i < 4; i++) head[16 + i] = (uint8_t)(l >> (8 * i));
    sha256d_checksum(payload, len, head + 20);
    if (bad_checksum) head[20] ^= 0x5a;
    bufferevent_write(r->bev, head, sizeof head);
    if (len) bufferevent_write(r->bev, payload, len);
}

static void send_empty(struct remote *r, const char *name)
{
    char command[12] = {0};
    strncpy(command, name, sizeof command);
    send_frame(r, command, NULL, 0, false);
}

static void send_msg(struct remote *r, const struct wire_msg *msg)
{
    struct buf_writer w;
    buf_writer_init(&w);
    if (wire_encode(msg, &w) == WIRE_OK) {
        char command[12] = {0};
        strncpy(command, wire_msg_command(msg), sizeof command);
        send_frame(r, command, w.data, w.len, false);
    }
    buf_writer_free(&w);
}

/* Read what the peer sent: every frame decoded, pings remembered. */
static void drain_remote(struct remote *r)
{
    struct evbuffer *inb = bufferevent_get_input(r->bev);
    size_t len = evbuffer_get_length(inb);
    if (!len) return;
    uint8_t *data = evbuffer_pullup(inb, (ssize_t)len);
    size_t off = 0;
    while (off < len) {
        size_t used;
        struct transport_frame f;
        enum transport_status st = transport_v1_read(&r->rx, data + off, len - off, &used, &f);
        off += used;
        if (st == TRANSPORT_FRAME) {
            struct wire_msg msg;
            if (wire_decode(f.command, f.payload, f.len, &msg) == WIRE_OK) {
                if (msg.type == WIRE_PING) {
                    r->last_ping = msg.u.ping.nonce;
                    r->pinged = true;
                }
                wire_msg_free(&msg);
            }
            transport_frame_free(&f);
        } else if (st != TRANSPORT_NEED_MORE) {
            if (st == TRANSPORT_DROP_CHECKSUM || st == TRANSPORT_DROP_COMMAND) transport_frame_free(&f);
            else abort(); /* the peer framed something we cannot read: its bug */
        }
        if (!used) break;
    }
    evbuffer_drain(inb, len);
}

/* Turn the loop until the peer, the node queue and the reaper are quiet
 * (a bounded number of turns: every callback here is non-blocking). */
static void pump(struct event_base *base, struct remote *r, int turns)
{
    for (int i = 0; i < turns; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        drain_remote(r);
    }
}

/* ---- structured messages ---- */

static void send_version(struct remote *r, struct input *in)
{
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = WIRE_VERSION;
    struct wire_version *v = &msg.u.version;
    uint8_t zero[16] = {0};
    wire_netaddr_from_v1(&v->addr_recv, zero);
    wire_netaddr_from_v1(&v->addr_from, zero);
    uint8_t shape = in_u8(in);
    /* Half the time a modern version, so the rest of the input gets past
     * the handshake; otherwise every field from the input. */
    v->version = shape & 1 ? (int32_t)in_uint(in, 4) : 70016;
    v->services = shape & 2 ? in_uint(in, 8) : (1u | 8u | 1024u);
    v->timestamp = shape & 4 ? (int64_t)in_uint(in, 8) : 1700000000;
    v->nonce = in_uint(in, 8);
    v->start_height = (int32_t)in_uint(in, 4);
    v->relay = shape & 8;
    v->n_optional = (uint8_t)(shape >> 4) % 5;
    if (!(shape & 1)) v->n_optional = WIRE_VERSION_OPT_RELAY;
    size_t got;
    const uint8_t *ua = in_bytes(in, in_u8(in) % (WIRE_MAX_USER_AGENT + 1), &got);
    memcpy(v->user_agent, ua, got);
    v->user_agent_len = got;
    send_msg(r, &msg);
}

/* count headers on top of the last one we built, each with valid regtest
 * proof of work (about two tries each at regtest's limit). */
static void send_headers(struct remote *r, struct input *in)
{
    size_t count = in_u8(in) % 8 + 1;
    struct wire_header h[8];
    struct u256 target;
    bool neg, over;
    pow_set_compact(&target, 0x207fffff, &neg, &over);
    for (size_t i = 0; i < count; i++) {
        memset(&h[i], 0, sizeof h[i]);
        h[i].version = 4;
        memcpy(h[i].prev_hash, r->tip, 32);
        h[i].merkle_root[0] = in_u8(in);
        uint8_t dt = in_u8(in);
        /* mostly forward in time; sometimes too old, to exercise the MTP rule */
        h[i].time = dt < 16 ? r->tip_time - dt : r->tip_time + dt;
        h[i].bits = in_u8(in) < 8 ? (uint32_t)in_uint(in, 4) : 0x207fffff;
        uint8_t hash[32];
        for (uint32_t nonce = 0; nonce < 64; nonce++) {
            h[i].nonce = nonce;
            wire_header_hash(&h[i], hash);
            if (pow_hash_meets_target(hash, &target)) break;
        }
        memcpy(r->tip, hash, 32);
        r->tip_time = h[i].time;
    }
    struct wire_msg msg = {.type = WIRE_HEADERS, .u.headers = {.count = count, .headers = h}};
    send_msg(r, &msg);
}

static void send_getheaders(struct remote *r, struct input *in, const struct node *n)
{
    uint8_t hashes[2][32];
    const struct chain_entry *tip = chain_tip(n->chain);
    memcpy(hashes[0], in_u8(in) & 1 ? r->tip : tip->hash, 32);
    memcpy(hashes[1], chain_params(n->chain)->genesis_hash, 32);
    struct wire_msg msg = {.type = WIRE_GETHEADERS};
    msg.u.locator.version = 70016;
    msg.u.locator.count = in_u8(in) % 3;
    msg.u.locator.hashes = hashes;
    if (in_u8(in) & 1) memcpy(msg.u.locator.hash_stop, tip->hash, 32);
    send_msg(r, &msg);
}

/* ---- the run ---- */

/* Every command the daemon knows, and a few it does not. */
static const char *const commands[] = {
    "version", "verack", "ping", "pong", "getaddr", "addr", "addrv2", "sendaddrv2", "inv",
    "getdata", "notfound", "getheaders", "getblocks", "headers", "sendheaders", "feefilter",
    "wtxidrelay", "sendcmpct", "block", "tx", "getcfilters", "cfilter", "getcfheaders",
    "cfheaders", "getcfcheckpt", "cfcheckpt", "sendtxrcncl", "mempool", "filterload", "cmpctblock",
    "getblocktxn", "blocktxn", "alert", "reject",
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

enum op { OP_FRAME = 0, OP_ARBITRARY, OP_RAW, OP_HEADERS, OP_GETHEADERS, OP_PONG, OP_REQUEST,
          OP_VERSION, OP_COUNT };

static void node_request_op(struct node *n, uint64_t id, struct input *in)
{
    struct node_request req;
    memset(&req, 0, sizeof req);
    switch (in_u8(in) % 4) {
    case 0: req.type = NODE_REQ_PING; break;
    case 1: req.type = NODE_REQ_GET_ADDR; break;
    case 2:
        req.type = NODE_REQ_GET_BLOCK;
        memcpy(req.u.hash, chain_tip(n->chain)->hash, 32);
        break;
    default: {
        struct wire_netaddr a[2];
        memset(a, 0, sizeof a);
        size_t got;
        const uint8_t *b = in_bytes(in, 16, &got);
        memcpy(a[0].addr, b, got);
        a[0].net = WIRE_NET_IPV4;
        a[0].port = 8333;
        a[1] = a[0];
        a[1].net = WIRE_NET_IPV6;
        struct wire_addr addrs = {.count = 2, .addrs = a};
        req.type = NODE_REQ_SEND_ADDR;
        req.u.addrs = &addrs;
        peer_request(n->peers, id, &req);
        return;
    }
    }
    peer_request(n->peers, id, &req);
}

static void run_ops(struct node *n, struct remote *r, uint64_t id, struct input *in)
{
    for (int ops = 0; in->n && ops < 256; ops++) {
        if (peer_get_stats(n->peers, id, NULL, NULL) != PEER_OK) break; /* gone */
        uint8_t op = in_u8(in);
        switch (op % OP_COUNT) {
        case OP_FRAME:
        case OP_ARBITRARY: {
            char command[12] = {0};
            if (op % OP_COUNT == OP_FRAME) {
                strncpy(command, commands[in_u8(in) % N_COMMANDS], sizeof command);
            } else {
                size_t got;
                const uint8_t *c = in_bytes(in, 12, &got);
                memcpy(command, c, got);
            }
            size_t len = (size_t)in_uint(in, 2), got;
            const uint8_t *payload = in_bytes(in, len, &got);
            send_frame(r, command, payload, got, op >= 0xf0);
            break;
        }
        case OP_RAW: {
            size_t got;
            const uint8_t *raw = in_bytes(in, in_u8(in), &got);
            bufferevent_write(r->bev, raw, got);
            break;
        }
        case OP_HEADERS: send_headers(r, in); break;
        case OP_GETHEADERS: send_getheaders(r, in, n); break;
        case OP_PONG: {
            struct wire_msg msg = {.type = WIRE_PONG};
            msg.u.ping.nonce = r->pinged && (in_u8(in) & 1) ? r->last_ping : in_uint(in, 8);
            send_msg(r, &msg);
            break;
        }
        case OP_REQUEST: node_request_op(n, id, in); break;
        case OP_VERSION: send_version(r, in); break;
        }
        pump(n->base, r, 3);
    }
}

static void one_run(struct input *in)
{
    const struct netparams *np = netparams_get(NET_REGTEST);
    struct event_base *base = event_base_new();
    if (!base) abort();
    struct node_config cfg;
    node_config_default(&cfg, np);
    cfg.dnsseed = false;
    cfg.max_outbound = 0;
    /* Nothing times out within a run: the fuzzer chooses every event. */
    cfg.peer.handshake_timeout_ms = 3600 * 1000;
    cfg.peer.ping_interval_ms = 3600 * 1000;
    cfg.peer.ping_timeout_ms = 3600 * 1000;
    cfg.peer.max_msg_rate = 0; /* the rate limit reads the clock: not the fuzzer's choice */
    cfg.peer.v2_enabled = false; /* v1 framing; the v2 transport has its own targets */
    uint8_t setup = in_u8(in);
    cfg.peer.send_soft_limit = setup & 0x80 ? 4096 : cfg.peer.send_soft_limit;
    struct node *n = node_new(base, NULL, &cfg, NULL);
    if (!n || node_start(n) != NODE_OK) abort();

    struct bufferevent *pair[2];
    if (bufferevent_pair_new(base, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, pair) != 0) abort();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(18444)};
    uint32_t ip = (uint32_t)in_uint(in, 4);
    sa.sin_addr.s_addr = setup & 0x40 ? ip : htonl(0x7f000001);
    enum node_conn_kind kinds[] = {CONN_INBOUND, CONN_OUTBOUND, CONN_MANUAL, CONN_FEELER,
                                   CONN_ADDR_FETCH};
    enum node_conn_kind kind = kinds[(setup & 0x0f) % 5];
    bool inbound = kind == CONN_INBOUND;
    struct wire_netaddr addr;
    if (!netaddr_from_sockaddr((struct sockaddr *)&sa, &addr)) abort();
    uint64_t id;
    /* The node knows its outbound peers before they connect, as when it dials. */
    if (peer_adopt(n->peers, pair[0], inbound, kind == CONN_MANUAL, (struct sockaddr *)&sa, sizeof sa,
                   &id) != PEER_OK)
        abort();
    if (!node_peer_add(n, id, kind, &addr)) abort();

    struct remote r;
    memset(&r, 0, sizeof r);
    r.bev = pair[1];
    r.magic = np->magic;
    transport_v1_init(&r.rx, np->magic, WIRE_MAX_PAYLOAD);
    memcpy(r.tip, np->genesis_hash, 32);
    struct wire_header genesis;
    wire_header_parse(np->genesis_header, &genesis);
    r.tip_time = genesis.time;
    bufferevent_enable(r.bev, EV_READ | EV_WRITE);
    pump(base, &r, 2);

    /* The opening: usually a version (structured or raw), then wtxidrelay
     * and sendaddrv2 and verack as the input says, then whatever follows. */
    uint8_t open = in_u8(in);
    if (open & 1) {
        send_version(&r, in);
    } else if (open & 2) {
        size_t len = in_u8(in), got;
        const uint8_t *payload = in_bytes(in, len, &got);
        char command[12] = "version";
        send_frame(&r, command, payload, got, false); /* whatever the bytes say */
    }
    if (open & 4) send_empty(&r, "wtxidrelay");
    if (open & 8) send_empty(&r, "sendaddrv2");
    if (!(open & 16)) send_empty(&r, "verack");
    pump(base, &r, 4);
    run_ops(n, &r, id, in);
    pump(base, &r, 8);

    node_shutdown(n);
    pump(base, &r, 4);
    node_free(n);
    bufferevent_free(r.bev);
    transport_v1_clear(&r.rx);
    event_base_free(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Every debug line is formatted (the log paths are code too), then
     * thrown away; FUZZ_PEER_LOG=1 shows them, to read a reproducer. */
    const char *show = getenv("FUZZ_PEER_LOG");
    struct log_config lc = {.level = LOG_DEBUG, .path = show && *show == '1' ? "-" : "/dev/null"};
    if (log_open(&lc) != LOG_OK) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    one_run(&in);
    return 0;
}
