/* BIP157 end to end (--blockfilters=1): a btcpeerd syncs the filter header
 * chain from scripted peers serving filters built by src/filter for their
 * own regtest blocks, keeps it in cfheaders.dat (byte for byte the chain
 * the honest peers serve), finds and drops a peer whose lie a block proves
 * (and only that one), replaces a peer that never answers without
 * punishing it, and disconnects peers that send what no one asked for:
 * unsolicited filters, filters for unknown blocks, over-long cfheaders, a
 * filter claiming 100 MB. */
#include "filter_chain.h"
#include "harness.h"
#include "scripted_peer.h"
#include "testutil.h"

#include "txbuild.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 60000
#define FILTER_SERVICES (NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS)

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

struct setup {
    struct daemon_proc d;
    char dir[32];
    struct filter_peer peers[3];
    size_t n;
};

/* A daemon with --blockfilters=1 connected (--connect) to n scripted
 * filter peers serving chains[i] in modes[i]. */
static void start_in(struct setup *s, const char *dir, const struct filter_chain *const *chains,
                     const enum filter_peer_mode *modes, size_t n, const char *extra, const char *extra2)
{
    memset(s, 0, sizeof *s);
    if (dir) {
        strcpy(s->dir, dir);
    } else {
        strcpy(s->dir, "/tmp/btcpeerd-it-XXXXXX");
        assert_non_null(mkdtemp(s->dir));
    }
    s->n = n;
    int lfd[3];
    char connect[3][48], datadir[64];
    const char *args[14] = {"--network=regtest", "--blockfilters=1", "--log-level=debug", "--listen=0",
                            "--rpcport=0"};
    size_t a = 5;
    for (size_t i = 0; i < n; i++) {
        uint16_t port;
        lfd[i] = sp_listen(&port);
        assert_true(lfd[i] >= 0);
        snprintf(connect[i], sizeof connect[i], "--connect=127.0.0.1:%u", port);
        args[a++] = connect[i];
    }
    snprintf(datadir, sizeof datadir, "--datadir=%s", s->dir);
    args[a++] = datadir;
    args[a++] = "--log-file=-";
    if (extra) args[a++] = extra;
    if (extra2) args[a++] = extra2;
    args[a] = NULL;
    assert_true(process_start_btcpeerd(&s->d, args));
    /* --connect dials in order, but accept whoever comes on each socket. */
    for (size_t i = 0; i < n; i++) {
        struct filter_peer *p = &s->peers[i];
        p->c = chains[i];
        p->mode = modes[i];
        assert_true(sp_accept(&p->sp, lfd[i], magic(), WAIT_MS));
        assert_true(sp_handshake_services(&p->sp, false, FILTER_SERVICES, NULL, WAIT_MS));
        p->open = true;
        close(lfd[i]);
    }
}

static void start(struct setup *s, const struct filter_chain *const *chains,
                  const enum filter_peer_mode *modes, size_t n, const char *extra)
{
    start_in(s, NULL, chains, modes, n, extra, NULL);
}

/* Stop the daemon and close the peers, keeping the data directory. */
static void stop_keep(struct setup *s)
{
    assert_int_equal(daemon_stop(&s->d, SIGTERM, WAIT_MS), 0);
    for (size_t i = 0; i < s->n; i++) {
        if (s->peers[i].open) sp_close(&s->peers[i].sp);
        s->peers[i].open = false;
        for (size_t k = 0; k < s->peers[i].n_held; k++) wire_msg_free(&s->peers[i].held[k]);
        s->peers[i].n_held = 0;
    }
    daemon_cleanup(&s->d);
}

static void remove_dir(const char *dir)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void stop(struct setup *s)
{
    stop_keep(s);
    remove_dir(s->dir);
}

/* Serve the peers and read the log until a line holds both needles. */
static bool serve_until(struct setup *s, const char *needle, const char *also)
{
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (clock_mono_ms() < deadline) {
        filter_peers_pump(s->peers, s->n, 20);
        daemon_pump(&s->d, 0);
        for (const char *at = s->d.log ? strstr(s->d.log, needle) : NULL; at; at = strstr(at + 1, needle)) {
            const char *eol = strchr(at, '\n');
            if (!also) return true;
            const char *hit = strstr(at, also);
            if (hit && (!eol || hit < eol)) return true;
        }
        if (s->d.exited) return false;
    }
    return false;
}

static FILE *open_store(const char *dir, const char *mode)
{
    char path[96];
    snprintf(path, sizeof path, "%s/regtest/cfheaders.dat", dir);
    FILE *f = fopen(path, mode);
    if (!f) {
        snprintf(path, sizeof path, "%s/cfheaders.dat", dir);
        f = fopen(path, mode);
    }
    assert_non_null(f);
    return f;
}

/* cfheaders.dat holds exactly c's filter headers, genesis to the tip. */
static void assert_store(const struct setup *s, const struct filter_chain *c)
{
    FILE *f = open_store(s->dir, "rb");
    uint8_t *data = malloc(c->count * 32 + 1);
    size_t got = fread(data, 1, c->count * 32 + 1, f);
    fclose(f);
    assert_int_equal(got, c->count * 32);
    assert_memory_equal(data, c->fheaders, c->count * 32);
    free(data);
}

static void test_sync_store_and_restart_with_torn_tail(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 2500, 100);
    const struct filter_chain *chains[] = {&c, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST, FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 2, NULL);
    if (!serve_until(&s, "filter headers caught up", "height=2500")) fail_msg("no catch-up in:\n%s", s.d.log);
    /* Both were asked for checkpoints; neither was dropped. */
    assert_true(s.peers[0].cf_requests >= 1 && s.peers[1].cf_requests >= 1);
    assert_int_equal(daemon_log_count(&s.d, "reason=protocol-violation"), 0);
    assert_int_equal(daemon_log_count(&s.d, "reason=bad-filters"), 0);
    char dir[32];
    strcpy(dir, s.dir);
    stop_keep(&s);
    assert_store(&s, &c);
    /* A crash mid-append leaves part of a record: cut at the next start,
     * with the tail past the last checkpoint (2,000), and synced again. */
    FILE *f = open_store(dir, "ab");
    assert_int_equal(fwrite("torn!", 1, 5, f), 5);
    fclose(f);
    start_in(&s, dir, chains, modes, 2, NULL, NULL);
    if (!serve_until(&s, "loaded 2001 filter headers", NULL)) fail_msg("no load in:\n%s", s.d.log);
    if (!serve_until(&s, "filter headers caught up", "height=2500")) fail_msg("no catch-up in:\n%s", s.d.log);
    assert_true(strstr(s.d.log, "from=2000") != NULL);
    stop_keep(&s);
    assert_store(&s, &c);
    remove_dir(dir);
    filter_chain_free(&c);
}

static void test_liar_found_by_the_block_and_dropped(void **state)
{
    (void)state;
    struct filter_chain c, liar;
    filter_chain_make(&c, 2500, 100);
    filter_chain_make_liar(&liar, &c, 1500);
    /* The liar serves first (lower id): it is the sync source until the
     * honest peer's checkpoint at 2,000 disagrees with its batch. */
    const struct filter_chain *chains[] = {&liar, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST, FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 2, NULL);
    if (!serve_until(&s, "filter peer proven wrong", "reason=bad-filters")) fail_msg("liar not found:\n%s", s.d.log);
    if (!serve_until(&s, "filter headers caught up", "height=2500")) fail_msg("no catch-up in:\n%s", s.d.log);
    /* The first height they part at is the first lie, and the block there
     * was fetched to prove it. */
    assert_true(strstr(s.d.log, "part at height 1500") != NULL);
    assert_true(s.peers[0].blocks_served + s.peers[1].blocks_served >= 1);
    /* Exactly one peer convicted, and it is the liar (the honest one is
     * still connected and served the chain that was kept). */
    assert_int_equal(daemon_log_count(&s.d, "filter peer proven wrong"), 1);
    assert_true(s.peers[1].open);
    assert_store(&s, &c);
    stop(&s);
    filter_chain_free(&liar);
    filter_chain_free(&c);
}

/* The block that settles a dispute is asked of the peer whose checkpoint
 * disagreed first; when it does not come in time (--block-timeout), the
 * other party is asked, and the block it delivers convicts it. */
static void test_dispute_block_withheld_then_asked_elsewhere(void **state)
{
    (void)state;
    struct filter_chain c, liar;
    filter_chain_make(&c, 2100, 0);
    filter_chain_make_liar(&liar, &c, 1500);
    const struct filter_chain *chains[] = {&liar, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST, FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 2, "--block-timeout=0.3");
    s.peers[1].no_blocks = true;
    if (!serve_until(&s, "filter dispute: block not delivered in time", NULL))
        fail_msg("no block timeout in:\n%s", s.d.log);
    if (!serve_until(&s, "filter peer proven wrong", "reason=bad-filters")) fail_msg("liar not found:\n%s", s.d.log);
    if (!serve_until(&s, "filter headers caught up", "height=2100")) fail_msg("no catch-up in:\n%s", s.d.log);
    assert_true(s.peers[0].blocks_served == 1 && s.peers[1].blocks_served == 0);
    assert_true(s.peers[1].open);
    assert_store(&s, &c);
    stop(&s);
    filter_chain_free(&liar);
    filter_chain_free(&c);
}

static void test_silent_peer_replaced_not_punished(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 1200, 0);
    const struct filter_chain *chains[] = {&c, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_SILENT, FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 2, "--filter-timeout=0.3");
    if (!serve_until(&s, "filter peer too slow", NULL)) fail_msg("no timeout in:\n%s", s.d.log);
    if (!serve_until(&s, "filter headers caught up", "height=1200")) fail_msg("no catch-up in:\n%s", s.d.log);
    /* Never answering at all: let go after three timeouts, as stalled. */
    if (!serve_until(&s, "reason=sync-stalled", NULL)) fail_msg("not let go as stalled:\n%s", s.d.log);
    assert_int_equal(daemon_log_count(&s.d, "reason=bad-filters"), 0);
    assert_int_equal(daemon_log_count(&s.d, "reason=protocol-violation"), 0);
    assert_store(&s, &c);
    stop(&s);
    filter_chain_free(&c);
}

static void test_held_answers_come_late_and_are_dropped(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 1200, 0);
    const struct filter_chain *chains[] = {&c, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HOLD, FILTER_PEER_HONEST};
    struct setup s;
    /* Released long before a second timeout could strike it again. */
    start(&s, chains, modes, 2, "--filter-timeout=2");
    if (!serve_until(&s, "filter peer too slow", NULL)) fail_msg("no timeout in:\n%s", s.d.log);
    /* Now its answers come, after the daemon gave up on them. */
    filter_peer_release(&s.peers[0]);
    if (!serve_until(&s, "filter headers caught up", "height=1200")) fail_msg("no catch-up in:\n%s", s.d.log);
    filter_peers_pump(s.peers, s.n, 200);
    assert_true(s.peers[0].open);
    assert_int_equal(daemon_log_count(&s.d, "reason=protocol-violation"), 0);
    stop(&s);
    filter_chain_free(&c);
}

/* One hostile message from a filter peer that has not been asked for it
 * (or asked for something else): the daemon drops it with a reason. */
static void hostile(const char *command, const uint8_t *payload, size_t len, const char *offence)
{
    struct filter_chain c;
    filter_chain_make(&c, 10, 0);
    const struct filter_chain *chains[] = {&c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 1, NULL);
    if (!serve_until(&s, "filter headers caught up", "height=10")) fail_msg("no catch-up in:\n%s", s.d.log);
    assert_true(sp_send_frame(&s.peers[0].sp, command, payload, len));
    assert_true(sp_wait_closed(&s.peers[0].sp, WAIT_MS));
    assert_true(daemon_wait_log(&s.d, "reason=protocol-violation", WAIT_MS));
    if (offence && !daemon_wait_log(&s.d, offence, WAIT_MS)) fail_msg("no %s in:\n%s", offence, s.d.log);
    stop(&s);
    filter_chain_free(&c);
}

static void test_getcfilters_to_us_dropped(void **state)
{
    (void)state;
    /* We serve no filters (and never say we do): Core disconnects. */
    uint8_t p[37] = {0};
    hostile("getcfilters", p, sizeof p, NULL);
}

/* Without --blockfilters nothing is ever asked: a filter peer's cfilter
 * is unsolicited all the same. */
static void test_filters_off_cfilter_dropped(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = sp_listen(&port);
    assert_true(lfd >= 0);
    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    const char *args[] = {"--network=regtest", "--listen=0", "--log-level=debug", connect, NULL};
    struct daemon_proc d;
    assert_true(daemon_start(&d, args));
    struct sp sp;
    assert_true(sp_accept(&sp, lfd, magic(), WAIT_MS));
    close(lfd);
    assert_true(sp_handshake_services(&sp, false, FILTER_SERVICES, NULL, WAIT_MS));
    uint8_t p[1 + 32 + 2] = {0};
    memcpy(p + 1, netparams_get(NET_REGTEST)->genesis_hash, 32);
    p[33] = 1;
    assert_true(sp_send_frame(&sp, "cfilter", p, sizeof p));
    assert_true(sp_wait_closed(&sp, WAIT_MS));
    assert_true(daemon_wait_log(&d, "offence=unsolicited-cf-answer", WAIT_MS));
    assert_true(daemon_wait_log(&d, "reason=protocol-violation", WAIT_MS));
    sp_close(&sp);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
}

static void test_unsolicited_filter_dropped(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 10, 0); /* the same blocks the peer serves */
    uint8_t p[1 + 32 + 1 + 64];
    p[0] = 0;
    memcpy(p + 1, c.hc.hashes[5], 32);
    p[33] = (uint8_t)c.filter_len[5];
    memcpy(p + 34, c.filters[5], c.filter_len[5]);
    hostile("cfilter", p, 34 + c.filter_len[5], "offence=unsolicited-cf-answer");
    filter_chain_free(&c);
}

static void test_filter_for_unknown_block_dropped(void **state)
{
    (void)state;
    uint8_t p[1 + 32 + 2] = {0};
    memset(p + 1, 0x5a, 32);
    p[33] = 1; /* a one-byte filter: the empty set */
    hostile("cfilter", p, 35, "offence=cfilter-for-unknown-block");
}

static void test_oversized_cfheaders_dropped(void **state)
{
    (void)state;
    size_t len = 1 + 32 + 32 + 3 + 2001 * 32;
    uint8_t *p = calloc(1, len);
    p[65] = 0xfd;
    p[66] = 0xd1; /* 2,001 filter hashes: Core's limit is 2,000 */
    p[67] = 0x07;
    hostile("cfheaders", p, len, "malformed cfheaders");
    free(p);
}

static void test_inconsistent_cfheaders_dropped(void **state)
{
    (void)state;
    /* Says two hashes, carries one. */
    uint8_t p[1 + 32 + 32 + 1 + 32] = {0};
    p[65] = 2;
    hostile("cfheaders", p, sizeof p, "malformed cfheaders");
}

static void test_filter_claiming_100mb_dropped(void **state)
{
    (void)state;
    uint8_t p[1 + 32 + 9 + 16] = {0};
    p[33] = 0xfe; /* CompactSize 100,000,000 */
    p[34] = 0x00;
    p[35] = 0xe1;
    p[36] = 0xf5;
    p[37] = 0x05;
    hostile("cfilter", p, 38 + 16, "malformed cfilter");
}

/* ---- RPC: getblockfilter, scanblocks, getindexinfo ---- */

/* Send one JSON-RPC call to the daemon of s; the socket the reply comes on. */
static int rpc_send(struct setup *s, const char *method, const char *params)
{
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!serve_until(s, needle, NULL)) fail_msg("no RPC server");
    uint16_t port = (uint16_t)atoi(strstr(s->d.log, needle) + sizeof needle - 1);
    char path[96], cookie[160] = "";
    snprintf(path, sizeof path, "%s/regtest/.cookie", s->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(cookie, sizeof cookie, f));
    fclose(f);
    char body[4096], head[1024];
    unsigned char b64[400];
    EVP_EncodeBlock(b64, (const unsigned char *)cookie, (int)strlen(cookie));
    int blen = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
                        params);
    int hlen = snprintf(head, sizeof head,
                        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
                        b64, blen);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, head, (size_t)hlen, MSG_NOSIGNAL), hlen);
    assert_int_equal(send(fd, body, (size_t)blen, MSG_NOSIGNAL), blen);
    return fd;
}

/* The reply on fd, serving the filter peers while it is owed (a scan
 * needs them). The reply object (caller decrefs). */
static json_t *rpc_recv(struct setup *s, int fd)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    for (;;) {
        if (clock_mono_ms() >= deadline) {
            fputs(s->d.log, stderr); /* cmocka cuts long messages */
            fail_msg("no RPC reply");
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0) {
            filter_peers_pump(s->peers, s->n, 10);
            daemon_pump(&s->d, 0);
            continue;
        }
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    json_error_t err;
    json_t *reply = json_loads(sep + 4, 0, &err);
    if (!reply) fail_msg("not JSON: %s", sep + 4);
    free(buf);
    return reply;
}

static json_t *rpc(struct setup *s, const char *method, const char *params)
{
    return rpc_recv(s, rpc_send(s, method, params));
}

static json_t *result_of(json_t *reply)
{
    json_t *res = json_object_get(reply, "result");
    if (!res || json_object_get(reply, "error") != NULL) {
        char *dump = json_dumps(reply, 0);
        fail_msg("error: %s", dump);
    }
    return res;
}

static void hex_rev(const uint8_t h[32], char out[65])
{
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[31 - i]);
}

/* A scan over three peers: one honest, one whose filters contradict the
 * filter headers it agreed to, one that never answers getcfilters. The
 * liar is dropped (bad-filters), the silent one only replaced (and after
 * three timeouts let go as stalled, never as a liar), and the
 * scan finds exactly the blocks paying to the watched address (every
 * 100th) or to the raw() script of block 7. */
static void test_scan_finds_exactly_the_watched_blocks(void **state)
{
    (void)state;
    struct filter_chain c, liar;
    filter_chain_make(&c, 1200, 100);
    filter_chain_make_liar(&liar, &c, 1);
    const struct filter_chain *chains[] = {&c, &c, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST, FILTER_PEER_HONEST, FILTER_PEER_NO_FILTERS};
    struct setup s;
    start(&s, chains, modes, 3, "--filter-timeout=0.3");
    s.peers[1].filters_from = &liar;
    if (!serve_until(&s, "filter headers caught up", "height=1200")) fail_msg("no catch-up in:\n%s", s.d.log);
    char addr[100], raw[45 + 6], params[512];
    assert_true(txbuild_segwit_address("bcrt", c.watched_script + 2, 20, addr, sizeof addr));
    uint8_t seven[22];
    filter_chain_own_script(7, seven);
    strcpy(raw, "raw(");
    for (int i = 0; i < 22; i++) snprintf(raw + 4 + 2 * i, 3, "%02x", seven[i]);
    strcat(raw, ")");
    snprintf(params, sizeof params, "[\"start\",[\"addr(%s)\",{\"desc\":\"%s\"}],0,1200,\"basic\"]", addr, raw);
    json_t *reply = rpc(&s, "scanblocks", params);
    json_t *res = result_of(reply);
    assert_int_equal(json_integer_value(json_object_get(res, "from_height")), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "to_height")), 1200);
    assert_true(json_is_true(json_object_get(res, "completed")));
    json_t *blocks = json_object_get(res, "relevant_blocks");
    assert_int_equal(json_array_size(blocks), 13);
    size_t k = 0;
    for (size_t h = 1; h <= 1200; h++) {
        if (h != 7 && !c.watched[h]) continue;
        char want[65];
        hex_rev(c.hc.hashes[h], want);
        assert_string_equal(json_string_value(json_array_get(blocks, k)), want);
        k++;
    }
    json_decref(reply);
    /* The liar was proven wrong by the filter headers it had agreed to;
     * the silent peer was only replaced. */
    assert_true(strstr(s.d.log, "offence=cfilter-contradicts-its-checkpoints") != NULL);
    assert_int_equal(daemon_log_count(&s.d, "filter peer proven wrong"), 1);
    assert_true(strstr(s.d.log, "filter peer too slow") != NULL);
    /* The silent one may have been let go by now, but only as stalled. */
    assert_true(s.peers[0].open);
    assert_int_equal(daemon_log_count(&s.d, "reason=protocol-violation"), 0);
    stop(&s);
    filter_chain_free(&liar);
    filter_chain_free(&c);
}

static void test_getblockfilter_status_abort_and_index_info(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 300, 100);
    const struct filter_chain *chains[] = {&c, &c};
    enum filter_peer_mode modes[] = {FILTER_PEER_HONEST, FILTER_PEER_HONEST};
    struct setup s;
    start(&s, chains, modes, 2, NULL);
    if (!serve_until(&s, "filter headers caught up", "height=300")) fail_msg("no catch-up in:\n%s", s.d.log);
    char hash[65], header[65], params[256];
    hex_rev(c.hc.hashes[200], hash);
    hex_rev(c.fheaders[200], header);
    snprintf(params, sizeof params, "[\"%s\",\"basic\"]", hash);
    for (int round = 0; round < 2; round++) { /* fetched, then from the cache */
        json_t *reply = rpc(&s, "getblockfilter", params);
        json_t *res = result_of(reply);
        char *want = malloc(c.filter_len[200] * 2 + 1);
        for (size_t i = 0; i < c.filter_len[200]; i++) snprintf(want + 2 * i, 3, "%02x", c.filters[200][i]);
        assert_string_equal(json_string_value(json_object_get(res, "filter")), want);
        assert_string_equal(json_string_value(json_object_get(res, "header")), header);
        free(want);
        json_decref(reply);
    }
    json_t *e, *reply = rpc(&s, "getblockfilter", "[\"00000000000000000000000000000000000000000000000000000000000000ff\"]");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(reply, "error"), "code")), -5);
    json_decref(reply);
    reply = rpc(&s, "getblockfilter", "[\"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206\",\"extended\"]");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(reply, "error"), "code")), -5);
    json_decref(reply);
    /* Core's ParseHashV: 64 characters that are not hex say so */
    reply = rpc(&s, "getblockfilter", "[\"zz9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206\"]");
    e = json_object_get(reply, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), -8);
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "blockhash must be hexadecimal string (not "
                        "'zz9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206')");
    json_decref(reply);
    reply = rpc(&s, "scanblocks", "[\"status\"]");
    assert_true(json_is_null(result_of(reply)));
    json_decref(reply);
    reply = rpc(&s, "scanblocks", "[\"abort\"]");
    assert_true(json_is_false(result_of(reply)));
    json_decref(reply);
    /* Descriptors that need keys get a clear error. */
    reply = rpc(&s, "scanblocks", "[\"start\",[\"wpkh(02aaaa)\"]]");
    e = json_object_get(reply, "error");
    assert_non_null(e);
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "only addr(ADDRESS) and raw(HEX)"));
    json_decref(reply);
    reply = rpc(&s, "getindexinfo", "[]");
    json_t *idx = json_object_get(result_of(reply), "basic block filter index");
    assert_true(json_is_true(json_object_get(idx, "synced")));
    assert_int_equal(json_integer_value(json_object_get(idx, "best_block_height")), 300);
    json_decref(reply);
    reply = rpc(&s, "getblockchaininfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(result_of(reply), "filterheaders")), 300);
    json_decref(reply);
    stop(&s);
    filter_chain_free(&c);
}

/* A scan that cannot make progress (no peer sends filters) is seen by
 * "status" and ended by "abort": the "start" call then answers, not
 * completed, even after the RPC idle timeout has passed while it waited
 * (the filter timeout, longer, is what the test waits for). */
static void test_scan_status_and_abort(void **state)
{
    (void)state;
    struct filter_chain c;
    filter_chain_make(&c, 50, 10);
    const struct filter_chain *chains[] = {&c};
    enum filter_peer_mode modes[] = {FILTER_PEER_NO_FILTERS};
    struct setup s;
    start_in(&s, NULL, chains, modes, 1, "--filter-timeout=1.5", "--rpcservertimeout=1");
    if (!serve_until(&s, "filter headers caught up", "height=50")) fail_msg("no catch-up in:\n%s", s.d.log);
    int started = rpc_send(&s, "scanblocks", "[\"start\",[\"raw(0014aabbccddeeff00112233445566778899aabbcc)\"],5,40]");
    if (!serve_until(&s, "scan started", NULL)) fail_msg("no scan in:\n%s", s.d.log);
    if (!serve_until(&s, "filter peer too slow", NULL)) fail_msg("no timeout in:\n%s", s.d.log);
    json_t *reply = rpc(&s, "scanblocks", "[\"start\",[\"raw(00)\"]]");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(reply, "error"), "message")),
                           "Scan already in progress"));
    json_decref(reply);
    reply = rpc(&s, "scanblocks", "[\"status\"]");
    assert_int_equal(json_integer_value(json_object_get(result_of(reply), "current_height")), 5);
    assert_int_equal(json_integer_value(json_object_get(result_of(reply), "progress")), 0);
    json_decref(reply);
    reply = rpc(&s, "scanblocks", "[\"abort\"]");
    assert_true(json_is_true(result_of(reply)));
    json_decref(reply);
    reply = rpc_recv(&s, started);
    json_t *res = result_of(reply);
    assert_true(json_is_false(json_object_get(res, "completed")));
    assert_int_equal(json_integer_value(json_object_get(res, "from_height")), 5);
    assert_int_equal(json_array_size(json_object_get(res, "relevant_blocks")), 0);
    json_decref(reply);
    reply = rpc(&s, "scanblocks", "[\"status\"]");
    assert_true(json_is_null(result_of(reply)));
    json_decref(reply);
    stop(&s);
    filter_chain_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_store_and_restart_with_torn_tail),
        cmocka_unit_test(test_liar_found_by_the_block_and_dropped),
        cmocka_unit_test(test_silent_peer_replaced_not_punished),
        cmocka_unit_test(test_held_answers_come_late_and_are_dropped),
        cmocka_unit_test(test_dispute_block_withheld_then_asked_elsewhere),
        cmocka_unit_test(test_getcfilters_to_us_dropped),
        cmocka_unit_test(test_filters_off_cfilter_dropped),
        cmocka_unit_test(test_unsolicited_filter_dropped),
        cmocka_unit_test(test_filter_for_unknown_block_dropped),
        cmocka_unit_test(test_oversized_cfheaders_dropped),
        cmocka_unit_test(test_inconsistent_cfheaders_dropped),
        cmocka_unit_test(test_filter_claiming_100mb_dropped),
        cmocka_unit_test(test_scan_finds_exactly_the_watched_blocks),
        cmocka_unit_test(test_getblockfilter_status_abort_and_index_info),
        cmocka_unit_test(test_scan_status_and_abort),
    };
    return test_run_group(tests);
}
