/* Connection load: start a btcpeerd, open N loopback connections to it,
 * complete every handshake, hold them, and read the daemon's own
 * accounting from /proc (CPU from schedstat in nanoseconds, RSS from
 * status), so the client's speed does not enter the figures:
 *   CPU per handshake, RSS per connection, CPU while the peers idle.
 *
 *   bench_connections [--daemon PATH] [--connections N] [--idle SEC] [--batch B]
 *
 * Loopback only. The client is libevent with our own codec. */
#include "benchutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct conn {
    struct bench *b;
    struct bufferevent *bev;
    struct transport_v1 rx;
    bool got_version, got_verack, done;
};

struct bench {
    struct event_base *base;
    struct sockaddr_in addr;
    const uint8_t *magic;
    struct conn *conns;
    size_t n, started, done, failed, batch, in_flight;
    uint8_t version_frame[256];
    size_t version_len;
    uint8_t verack_frame[24];
};

static void send_frame(struct bench *b, const char *cmd, const struct wire_msg *msg, uint8_t *out,
                       size_t *out_len)
{
    struct buf_writer p, f;
    buf_writer_init(&p);
    buf_writer_init(&f);
    if (msg) wire_encode(msg, &p);
    transport_v1_write(b->magic, cmd, p.data, p.len, WIRE_MAX_PAYLOAD, &f);
    memcpy(out, f.data, f.len);
    *out_len = f.len;
    buf_writer_free(&p);
    buf_writer_free(&f);
}

static void start_more(struct bench *b);

static void conn_finish(struct conn *c, bool ok)
{
    struct bench *b = c->b;
    if (c->done) return;
    c->done = true;
    b->in_flight--;
    if (ok)
        b->done++;
    else
        b->failed++;
    transport_v1_clear(&c->rx);
    start_more(b);
    if (b->done + b->failed == b->n) event_base_loopbreak(b->base);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (evbuffer_get_length(in) && !c->done) {
        struct evbuffer_iovec v;
        evbuffer_peek(in, -1, NULL, &v, 1);
        size_t used;
        struct transport_frame f;
        enum transport_status st = transport_v1_read(&c->rx, v.iov_base, v.iov_len, &used, &f);
        evbuffer_drain(in, used);
        if (st == TRANSPORT_FRAME) {
            if (strcmp(f.command, "version") == 0) {
                c->got_version = true;
                bufferevent_write(bev, c->b->verack_frame, 24);
            } else if (strcmp(f.command, "verack") == 0) {
                c->got_verack = true;
            }
            transport_frame_free(&f);
            if (c->got_version && c->got_verack) conn_finish(c, true);
        } else if (st != TRANSPORT_NEED_MORE) {
            conn_finish(c, false);
        }
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        bufferevent_write(bev, c->b->version_frame, c->b->version_len);
        return;
    }
    if (!c->done) conn_finish(c, false);
}

static void start_more(struct bench *b)
{
    while (b->started < b->n && b->in_flight < b->batch) {
        struct conn *c = &b->conns[b->started++];
        c->b = b;
        transport_v1_init(&c->rx, b->magic, WIRE_MAX_PAYLOAD);
        c->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        b->in_flight++;
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&b->addr, sizeof b->addr) != 0)
            conn_finish(c, false);
    }
}

int main(int argc, char **argv)
{
    const char *daemon_path = "./btcpeerd";
    size_t n = 1000, batch = 256;
    unsigned idle_s = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--daemon") == 0) daemon_path = argv[i + 1];
        else if (strcmp(argv[i], "--connections") == 0) n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--idle") == 0) idle_s = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0) batch = strtoul(argv[i + 1], NULL, 10);
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl); /* the daemon inherits it */
    if (rl.rlim_cur < n + 64) {
        fprintf(stderr, "RLIMIT_NOFILE %llu is too low for %zu connections\n",
                (unsigned long long)rl.rlim_cur, n);
        return 1;
    }

    uint16_t port = bench_free_port();
    char port_arg[32], maxconn[48], datadir[] = "/tmp/btcpeerd-bench-XXXXXX";
    if (!mkdtemp(datadir)) return 1;
    char datadir_arg[64];
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(maxconn, sizeof maxconn, "--maxconnections=%zu", n + 100);
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s", datadir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(daemon_path, daemon_path, "--network=regtest", "--bind=127.0.0.1", port_arg, maxconn,
              datadir_arg, "--log-level=warn", "--server=0", (char *)NULL);
        _exit(127);
    }

    struct bench b = {0};
    b.base = event_base_new();
    b.magic = netparams_get(NET_REGTEST)->magic;
    b.addr.sin_family = AF_INET;
    b.addr.sin_port = htons(port);
    b.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    b.n = n;
    b.batch = batch;
    b.conns = calloc(n, sizeof *b.conns);
    struct wire_msg v = {.type = WIRE_VERSION};
    v.u.version.version = PROTOCOL_VERSION;
    v.u.version.services = NODE_NETWORK | NODE_WITNESS;
    v.u.version.nonce = 1;
    v.u.version.n_optional = WIRE_VERSION_OPT_RELAY;
    uint8_t zero[16] = {0};
    wire_netaddr_from_v1(&v.u.version.addr_recv, zero);
    wire_netaddr_from_v1(&v.u.version.addr_from, zero);
    memcpy(v.u.version.user_agent, "/bench/", 7);
    v.u.version.user_agent_len = 7;
    send_frame(&b, "version", &v, b.version_frame, &b.version_len);
    size_t vl;
    send_frame(&b, "verack", NULL, b.verack_frame, &vl);

    if (!bench_wait_listening(&b.addr, 10000)) {
        fprintf(stderr, "daemon did not start\n");
        kill(pid, SIGKILL);
        return 1;
    }
    bench_sleep_ms(200); /* let the probe connection's EOF be handled */

    uint64_t cpu0 = bench_proc_cpu_ns(pid), rss0 = bench_proc_rss_kib(pid);
    uint64_t t0 = clock_mono_us();
    start_more(&b);
    event_base_dispatch(b.base);
    uint64_t t1 = clock_mono_us();
    bench_sleep_ms(500); /* let the daemon finish its side of the last handshakes */
    uint64_t cpu1 = bench_proc_cpu_ns(pid), rss1 = bench_proc_rss_kib(pid);

    /* Idle: connections held, nothing sent. */
    bench_sleep_ms(idle_s * 1000u);
    uint64_t cpu2 = bench_proc_cpu_ns(pid);

    printf("connections            %zu (%zu handshakes done, %zu failed) in %.2f s\n", n, b.done,
           b.failed, (double)(t1 - t0) / 1e6);
    printf("cpu per handshake      %.1f us\n", b.done ? (double)(cpu1 - cpu0) / 1e3 / (double)b.done : 0.0);
    printf("rss per connection     %.2f KiB (rss %llu -> %llu KiB)\n",
           b.done ? (double)(rss1 - rss0) / (double)b.done : 0.0, (unsigned long long)rss0,
           (unsigned long long)rss1);
    printf("cpu while idle         %.3f %% over %u s\n",
           (double)(cpu2 - cpu1) / 1e9 / (double)idle_s * 100.0, idle_s);

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    for (size_t i = 0; i < b.started; i++)
        if (b.conns[i].bev) bufferevent_free(b.conns[i].bev);
    free(b.conns);
    event_base_free(b.base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", datadir);
    if (system(cmd) != 0) return 1;
    return b.failed ? 1 : 0;
}
