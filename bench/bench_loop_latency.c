/* Loop latency while state is saved: how long can btcpeerd's event loop go
 * without a turn while 1,000 peers chat and a 5 MB peers.dat is written?
 *
 * The tool writes a peers.dat of about 5 MB (Tor v3 addresses: the daemon
 * never dials them without a proxy, and --max-outbound=0 keeps it from
 * dialling anything), starts a regtest btcpeerd on it that saves every
 * --save-interval seconds, opens N loopback connections, completes their
 * handshakes, and then has every peer ping every --ping-ms. A pong can
 * only leave when the loop gets to the ping, so a ping that arrives while
 * the loop is stalled waits out the stall: the longest round trip bounds
 * the longest gap between loop turns from above (it adds loopback TCP and
 * this tool's own lag, shown as "client loop gap"). With 1,000 peers and
 * 250 ms, a ping leaves every 0.25 ms on average, so every stall longer
 * than that is seen. (At 100 ms the two processes and the kernel's TCP
 * work saturate a 2-core machine and the figure measures that.)
 *
 * It also times, in this process, encoding the same table at once
 * (addrman_serialize, as the loop thread did before saves moved off it),
 * SHA-256d of those bytes (the file's checksum), and the slices the loop
 * thread now encodes per turn (addrman_save_step, --slice slots: the
 * daemon's PEERS_SLICE_SLOTS by default).
 *
 *   bench_loop_latency [--daemon PATH] [--peers N] [--seconds S]
 *                      [--save-interval SEC] [--ping-ms MS] [--target-mb MB]
 *                      [--slice SLOTS] [--perf]
 *
 * --perf also measures the gap inside the daemon, without the client and
 * TCP in it: perf(1) records its loop thread's epoll_wait() entries and
 * exits (tracepoints) for the chat phase, and a loop turn's length is the
 * time from one epoll_wait's return to the next one's call, that is, all
 * the callbacks of one turn (and any time the thread lost the CPU in
 * them). Needs perf and permission to trace (root).
 *
 * --save-interval 0 runs without saves (the noise floor). Loopback only. */
#include "benchutil.h"

#include "node/addrman.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEADER_LEN 24u
#define SLICE_SLOTS 1024u /* PEERS_SLICE_SLOTS in src/node/statefiles.c */

struct conn {
    struct bench *b;
    struct bufferevent *bev;
    bool got_version, got_verack, ready, failed;
    uint64_t ping_nonce, ping_sent_us; /* 0 = no ping in flight */
};

struct bench {
    struct event_base *base;
    struct sockaddr_in addr;
    const uint8_t *magic;
    struct conn *conns;
    size_t n, started, ready, failed, batch, in_flight;
    struct buf_writer version_frame, verack_frame;
    /* The chat phase. */
    bool chatting;
    struct event *tick;
    size_t next_ping;       /* round robin over conns */
    double pings_per_us;    /* N / ping interval */
    double ping_credit;
    uint64_t last_tick_us, max_tick_gap_us, nonce;
    uint64_t *rtt_us;
    size_t n_rtt, cap_rtt, unanswered;
};

/* A v1 frame by hand (magic, command, length, checksum, payload): the
 * client needs nothing of the daemon's transport code. */
static void frame(const uint8_t magic[4], const char *command, const uint8_t *payload, size_t len,
                  struct buf_writer *out)
{
    uint8_t cmd[WIRE_COMMAND_LEN] = {0}, sum[4];
    memcpy(cmd, command, strlen(command));
    sha256d_checksum(payload, len, sum);
    buf_write_bytes(out, magic, 4);
    buf_write_bytes(out, cmd, sizeof cmd);
    buf_write_u32le(out, (uint32_t)len);
    buf_write_bytes(out, sum, 4);
    if (len) buf_write_bytes(out, payload, len);
}

static void conn_ready(struct conn *c, bool ok)
{
    struct bench *b = c->b;
    if (c->ready || c->failed) return;
    b->in_flight--;
    if (ok) {
        c->ready = true;
        b->ready++;
    } else {
        c->failed = true;
        b->failed++;
    }
    if (!b->chatting && b->ready + b->failed == b->n) event_base_loopbreak(b->base);
}

static void start_more(struct bench *b);

static void record_rtt(struct bench *b, uint64_t us)
{
    if (b->n_rtt == b->cap_rtt) {
        size_t cap = b->cap_rtt ? b->cap_rtt * 2 : 65536;
        uint64_t *p = realloc(b->rtt_us, cap * sizeof *p);
        if (!p) return;
        b->rtt_us = p;
        b->cap_rtt = cap;
    }
    b->rtt_us[b->n_rtt++] = us;
}

static void on_frame(struct conn *c, const char *command, const uint8_t *payload, uint32_t len)
{
    struct bench *b = c->b;
    if (strcmp(command, "version") == 0) {
        c->got_version = true;
        bufferevent_write(c->bev, b->verack_frame.data, b->verack_frame.len);
    } else if (strcmp(command, "verack") == 0) {
        c->got_verack = true;
    } else if (strcmp(command, "ping") == 0 && len == 8) {
        struct buf_writer f;
        buf_writer_init(&f);
        frame(b->magic, "pong", payload, 8, &f);
        bufferevent_write(c->bev, f.data, f.len);
        buf_writer_free(&f);
    } else if (strcmp(command, "pong") == 0 && len == 8 && c->ping_sent_us) {
        uint64_t nonce;
        memcpy(&nonce, payload, 8);
        if (nonce == c->ping_nonce) {
            if (b->chatting) record_rtt(b, clock_mono_us() - c->ping_sent_us);
            c->ping_sent_us = 0;
        }
    }
    if (c->got_version && c->got_verack && !c->ready) {
        conn_ready(c, true);
        start_more(b);
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        uint8_t hdr[HEADER_LEN];
        if (evbuffer_copyout(in, hdr, HEADER_LEN) < (ev_ssize_t)HEADER_LEN) return;
        uint32_t len = (uint32_t)hdr[16] | (uint32_t)hdr[17] << 8 | (uint32_t)hdr[18] << 16 |
                       (uint32_t)hdr[19] << 24;
        if (len > 1u << 20) { /* nothing the daemon sends us is this big */
            conn_ready(c, false);
            return;
        }
        if (evbuffer_get_length(in) < HEADER_LEN + len) return;
        char command[WIRE_COMMAND_LEN + 1] = {0};
        memcpy(command, hdr + 4, WIRE_COMMAND_LEN);
        uint8_t *payload = evbuffer_pullup(in, (ev_ssize_t)(HEADER_LEN + len)) + HEADER_LEN;
        on_frame(c, command, payload, len);
        evbuffer_drain(in, HEADER_LEN + len);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        bufferevent_write(bev, c->b->version_frame.data, c->b->version_frame.len);
        return;
    }
    if (c->ready) c->b->failed++; /* dropped while chatting */
    conn_ready(c, false);
    bufferevent_disable(bev, EV_READ | EV_WRITE);
}

static void start_more(struct bench *b)
{
    while (b->started < b->n && b->in_flight < b->batch) {
        struct conn *c = &b->conns[b->started++];
        c->b = b;
        c->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        b->in_flight++;
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&b->addr, sizeof b->addr) != 0)
            conn_ready(c, false);
    }
}

/* Every millisecond (or as soon after as this loop gets to it): the next
 * share of the peers each send a ping (one in flight per peer), and this
 * loop's own gap is recorded. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct bench *b = arg;
    uint64_t now = clock_mono_us();
    if (b->last_tick_us && now - b->last_tick_us > b->max_tick_gap_us)
        b->max_tick_gap_us = now - b->last_tick_us;
    /* By the time that passed: ticks come late on a busy machine. */
    if (b->last_tick_us) b->ping_credit += b->pings_per_us * (double)(now - b->last_tick_us);
    b->last_tick_us = now;
    while (b->ping_credit >= 1.0) {
        b->ping_credit -= 1.0;
        struct conn *c = &b->conns[b->next_ping];
        b->next_ping = (b->next_ping + 1) % b->n;
        if (!c->ready || c->failed || c->ping_sent_us) continue;
        c->ping_nonce = ++b->nonce;
        uint8_t payload[8];
        memcpy(payload, &c->ping_nonce, 8);
        struct buf_writer f;
        buf_writer_init(&f);
        frame(b->magic, "ping", payload, 8, &f);
        c->ping_sent_us = clock_mono_us();
        bufferevent_write(c->bev, f.data, f.len);
        buf_writer_free(&f);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An address manager of Tor v3 addresses heard from many IPv6 sources,
 * grown until its file reaches target bytes (or the table is full). */
static struct addrman *make_table(size_t target, struct buf_writer *file)
{
    static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct addrman *am = addrman_new(key, false);
    if (!am) return NULL;
    int64_t now = (int64_t)clock_unix_s();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t round = 0; round < 64; round++) {
        for (size_t i = 0; i < 8192; i++) {
            struct wire_netaddr a = {.net = WIRE_NET_TORV3, .port = 8333,
                                     .services = NODE_NETWORK | NODE_WITNESS,
                                     .time = (uint32_t)(now - 3600)};
            for (size_t k = 0; k < 32; k += 8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                memcpy(a.addr + k, &x, 8);
            }
            /* IPv6 sources (2a00::/8, one /32 group each): many groups
             * spread the addresses over all new buckets, and 16-byte
             * sources bring the file to 5 MB before the table is full. */
            struct wire_netaddr src = {.net = WIRE_NET_IPV6};
            src.addr[0] = 0x2a;
            src.addr[1] = (uint8_t)(x >> 8);
            src.addr[2] = (uint8_t)(x >> 16);
            src.addr[3] = (uint8_t)(x >> 24);
            src.addr[15] = 1;
            addrman_add(am, &a, &src, 0, now);
        }
        buf_writer_reset(file);
        if (addrman_serialize(am, file) != ADDRMAN_OK) break;
        if (file->len >= target) break;
    }
    return am;
}

struct serialize_arg {
    struct addrman *am;
    struct buf_writer w;
};

static void do_serialize(void *arg)
{
    struct serialize_arg *s = arg;
    buf_writer_reset(&s->w);
    addrman_serialize(s->am, &s->w);
}

static void do_checksum(void *arg)
{
    struct serialize_arg *s = arg;
    uint8_t sum[32];
    sha256d(s->w.data, s->w.len - 32, sum);
}

static uint64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The daemon's way: slices of SLICE_SLOTS, each timed (wall clock, and
 * this thread's CPU time, which a preemption does not inflate); rounds
 * saves, the first a warm-up. */
static void time_slices(struct serialize_arg *s, size_t slots, unsigned rounds, double *max_us,
                        double *mean_us, double *max_cpu_us, size_t *per_save)
{
    uint64_t total = 0, longest = 0, longest_cpu = 0, n = 0;
    for (unsigned r = 0; r < rounds; r++) {
        struct buf_writer w;
        buf_writer_init(&w);
        buf_reserve(&w, 128 + addrman_size(s->am) * ADDRMAN_FILE_ENTRY_MAX);
        struct addrman_save save;
        addrman_save_begin(s->am, &w, &save);
        *per_save = 0;
        for (bool done = false; !done; (*per_save)++) {
            uint64_t t0 = clock_mono_us(), c0 = thread_cpu_us();
            done = addrman_save_step(s->am, &w, &save, slots);
            uint64_t us = clock_mono_us() - t0, cpu = thread_cpu_us() - c0;
            if (r == 0) continue;
            total += us;
            n++;
            if (us > longest) longest = us;
            if (cpu > longest_cpu) longest_cpu = cpu;
        }
        buf_writer_free(&w);
    }
    *max_us = (double)longest;
    *max_cpu_us = (double)longest_cpu;
    *mean_us = n ? (double)total / (double)n : 0.0;
}

/* perf record of the daemon's epoll_wait calls, in the background. */
static pid_t start_perf(pid_t daemon, const char *out, unsigned seconds)
{
    char pid_arg[16], secs[16];
    snprintf(pid_arg, sizeof pid_arg, "%d", (int)daemon);
    snprintf(secs, sizeof secs, "%u", seconds);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("perf", "perf", "record", "-q", "-e", "syscalls:sys_enter_epoll_wait", "-e",
               "syscalls:sys_exit_epoll_wait", "-p", pid_arg, "-o", out, "--", "sleep", secs,
               (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Loop turns of thread tid from perf's record: the time from each
 * epoll_wait exit to the next enter. Sorted; NULL if none. */
static uint64_t *perf_turns(const char *data, pid_t tid, size_t *n)
{
    char cmd[256], line[512];
    snprintf(cmd, sizeof cmd, "perf script -i %s -F tid,time,event --ns 2>/dev/null", data);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    uint64_t *turns = NULL, exit_ns = 0;
    size_t cap = 0;
    *n = 0;
    while (fgets(line, sizeof line, p)) {
        long t;
        unsigned long long sec, nsec;
        char event[128];
        if (sscanf(line, " %ld %llu.%llu: %127s", &t, &sec, &nsec, event) != 4 || t != (long)tid)
            continue;
        uint64_t ns = sec * 1000000000ull + nsec;
        if (strstr(event, "sys_exit_epoll_wait")) {
            exit_ns = ns;
        } else if (exit_ns && strstr(event, "sys_enter_epoll_wait")) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 65536;
                uint64_t *q = realloc(turns, cap * sizeof *q);
                if (!q) break;
                turns = q;
            }
            turns[(*n)++] = ns - exit_ns;
            exit_ns = 0;
        }
    }
    pclose(p);
    return turns;
}

/* Occurrences of needle in the file at path. */
static size_t count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, needle)) n++;
    if (f) fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    const char *daemon_path = "./btcpeerd";
    size_t n = 1000, batch = 256, target_mb = 5, slice = SLICE_SLOTS;
    unsigned seconds = 10, ping_ms = 250;
    double save_interval = 1.0;
    bool use_perf = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        bool takes = true;
        if (strcmp(a, "--daemon") == 0) daemon_path = v;
        else if (strcmp(a, "--peers") == 0) n = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0) seconds = (unsigned)atoi(v);
        else if (strcmp(a, "--save-interval") == 0) save_interval = strtod(v, NULL);
        else if (strcmp(a, "--ping-ms") == 0) ping_ms = (unsigned)atoi(v);
        else if (strcmp(a, "--target-mb") == 0) target_mb = strtoul(v, NULL, 10);
        else if (strcmp(a, "--slice") == 0) slice = strtoul(v, NULL, 10);
        else takes = false;
        if (strcmp(a, "--perf") == 0) use_perf = true;
        if (takes) i++;
    }
    if (!n || !ping_ms || !slice) return 2;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < n + 64) {
        fprintf(stderr, "RLIMIT_NOFILE %llu is too low for %zu peers\n",
                (unsigned long long)rl.rlim_cur, n);
        return 1;
    }

    /* peers.dat, and what encoding it costs. */
    char datadir[] = "/tmp/btcpeerd-bench-XXXXXX", path[128], log_path[128];
    if (!mkdtemp(datadir)) return 1;
    snprintf(path, sizeof path, "%s/regtest", datadir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/regtest/peers.dat", datadir);
    snprintf(log_path, sizeof log_path, "%s/bench.log", datadir);
    struct serialize_arg s = {0};
    buf_writer_init(&s.w);
    s.am = make_table(target_mb * 1000000u, &s.w);
    if (!s.am || !buf_writer_ok(&s.w)) return 1;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s.w.data, 1, s.w.len, f) != s.w.len || fclose(f) != 0) return 1;
    size_t file_len = s.w.len;
    double ser = bench_run(do_serialize, &s, 2000), sum = bench_run(do_checksum, &s, 1000);
    double slice_max, slice_mean, slice_cpu;
    size_t slices;
    time_slices(&s, slice, 21, &slice_max, &slice_mean, &slice_cpu, &slices);
    printf("peers.dat              %zu addresses, %zu bytes\n", addrman_size(s.am), file_len);
    printf("addrman_serialize      %.0f us (SHA-256d checksum %.0f us, encoding %.0f us)\n",
           ser * 1e6, sum * 1e6, (ser - sum) * 1e6);
    printf("slices of %zu slots     %zu per save, mean %.0f us, max %.0f us (CPU time: max %.0f us; "
           "20 saves)\n", slice, slices, slice_mean, slice_max, slice_cpu);
    addrman_free(s.am);
    buf_writer_free(&s.w);

    uint16_t port = bench_free_port();
    char port_arg[32], maxconn[48], datadir_arg[64], log_arg[160], save_arg[64];
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(maxconn, sizeof maxconn, "--maxconnections=%zu", n + 100);
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s", datadir);
    snprintf(log_arg, sizeof log_arg, "--log-file=%s", log_path);
    /* No saves: a day between them (the option takes no 0). */
    snprintf(save_arg, sizeof save_arg, "--test-save-interval=%.3f",
             save_interval > 0 ? save_interval : 86400.0);
    pid_t pid = fork();
    if (pid == 0) {
        execl(daemon_path, daemon_path, "--network=regtest", "--bind=127.0.0.1", port_arg, maxconn,
              datadir_arg, log_arg, "--log-level=debug", "--debug=node", "--max-outbound=0",
              "--dnsseed=0", "--server=0", "--max-msg-rate=0", save_arg, (char *)NULL);
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
    struct buf_writer payload;
    buf_writer_init(&payload);
    wire_encode(&v, &payload);
    buf_writer_init(&b.version_frame);
    buf_writer_init(&b.verack_frame);
    frame(b.magic, "version", payload.data, payload.len, &b.version_frame);
    frame(b.magic, "verack", NULL, 0, &b.verack_frame);
    buf_writer_free(&payload);

    /* Loading 5 MB of addresses takes the daemon a moment. */
    if (!bench_wait_listening(&b.addr, 60000)) {
        fprintf(stderr, "daemon did not start\n");
        kill(pid, SIGKILL);
        return 1;
    }
    bench_sleep_ms(200);
    start_more(&b);
    event_base_dispatch(b.base);
    if (b.failed) fprintf(stderr, "%zu handshakes failed\n", b.failed);

    /* Chat: pings round robin, 1 ms ticks, for the given time. */
    size_t saves0 = count_in_file(log_path, "saved peers.dat");
    b.chatting = true;
    b.pings_per_us = (double)n / ((double)ping_ms * 1000.0);
    b.tick = event_new(b.base, -1, EV_PERSIST, on_tick, &b);
    struct timeval ms = {0, 1000}, run = {seconds, 0};
    char perf_data[160];
    snprintf(perf_data, sizeof perf_data, "%s/perf.data", datadir);
    pid_t perf = use_perf ? start_perf(pid, perf_data, seconds) : 0;
    event_add(b.tick, &ms);
    event_base_loopexit(b.base, &run);
    event_base_dispatch(b.base);
    if (perf > 0) waitpid(perf, NULL, 0);
    size_t saves = count_in_file(log_path, "saved peers.dat") - saves0;
    for (size_t i = 0; i < n; i++) b.unanswered += b.conns[i].ping_sent_us != 0;

    qsort(b.rtt_us, b.n_rtt, sizeof *b.rtt_us, cmp_u64);
#define PCT(p) (b.n_rtt ? (double)b.rtt_us[(size_t)((double)(b.n_rtt - 1) * (p))] / 1000.0 : 0.0)
    printf("peers                  %zu (%zu failed)\n", b.ready, b.failed);
    printf("saves of peers.dat     %zu in %u s (every %g s)\n", saves, seconds, save_interval);
    printf("pings answered         %zu (%zu still in flight at the end)\n", b.n_rtt, b.unanswered);
    printf("ping round trip        median %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
           PCT(0.5), PCT(0.99), PCT(0.999), PCT(1.0));
    printf("client loop gap        max %.2f ms\n", (double)b.max_tick_gap_us / 1000.0);
    if (use_perf) {
        size_t nt = 0;
        uint64_t *t = perf_turns(perf_data, pid, &nt);
        if (nt) {
            qsort(t, nt, sizeof *t, cmp_u64);
            printf("daemon loop turn       %zu turns (perf): median %.3f ms, p99 %.3f ms, p99.9 %.3f ms, "
                   "max %.3f ms\n", nt, (double)t[nt / 2] / 1e6, (double)t[(nt - 1) * 99 / 100] / 1e6,
                   (double)t[(nt - 1) * 999 / 1000] / 1e6, (double)t[nt - 1] / 1e6);
        } else {
            printf("daemon loop turn       no perf record (is perf installed, may it trace?)\n");
        }
        free(t);
    }

    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    event_free(b.tick);
    for (size_t i = 0; i < b.started; i++)
        if (b.conns[i].bev) bufferevent_free(b.conns[i].bev);
    free(b.conns);
    free(b.rtt_us);
    buf_writer_free(&b.version_frame);
    buf_writer_free(&b.verack_frame);
    event_base_free(b.base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", datadir);
    if (system(cmd) != 0) return 1;
    return b.failed ? 1 : 0;
}
