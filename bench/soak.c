/* Soak: one btcpeerd and N scripted peers on loopback with random churn,
 * for a bounded time. Each peer slot, over and over: connects (from a
 * random 127.x.y.z, so a ban hits one connection only), shakes hands (or,
 * now and then, stays silent until the handshake timeout), chatters (ping,
 * getaddr, addr from a fixed pool, headers from a fixed chain), sometimes
 * misbehaves (bad checksum, oversize header, garbage, a flood of pings), and
 * leaves: it vanishes with a RST, closes, or is dropped by the daemon.
 *
 * Meanwhile the daemon's RSS is sampled. At the end every peer is closed,
 * the daemon is stopped with SIGTERM, and the run passes if: the daemon
 * never died and exited 0 (under ASan: no leak report); RSS after the
 * warm-up is flat (growth over the window, from a least-squares slope,
 * under max(2 MiB, 5 %); --no-rss-check skips this, for ASan whose
 * quarantine grows by design); and every connection we opened is in the
 * daemon's log, accepted ("connected") or refused, and every accepted one
 * has a "disconnected" line with a reason.
 *
 *   soak [--daemon PATH] [--seconds N] [--peers N] [--sample SEC] [--seed N]
 *        [--no-rss-check] [--keep]
 *
 * Loopback only. Defaults: 600 s, 1,000 peers, a sample every 5 s. This
 * file drives the peers and samples the daemon; soak_log.c reads the
 * daemon's log into the account checked at the end. */
#include "benchutil.h"
#include "soak_log.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHAIN_LEN 100
#define ADDR_POOL 256
#define MAX_SAMPLES 4096

enum slot_state { SLOT_IDLE, SLOT_CONNECTING, SLOT_HANDSHAKE, SLOT_CHATTING };

struct soak;

struct slot {
    struct soak *s;
    struct bufferevent *bev;
    struct event *timer;
    struct transport_v1 rx;
    enum slot_state st;
    bool silent, got_version, got_verack;
    uint64_t leave_at_ms;
    uint64_t key; /* ip << 16 | port of this connection */
};

struct sample {
    double t;
    unsigned long long rss_kib;
    size_t open;
};

struct soak {
    struct event_base *base;
    struct sockaddr_in daemon;
    const uint8_t *magic;
    pid_t pid;
    bool stopping, daemon_died;
    struct slot *slots;
    size_t n_slots;
    uint64_t rng;
    /* Accounting. */
    uint64_t *opened; /* keys of every connection we opened */
    size_t n_opened, cap_opened, connect_failed, open_now;
    size_t actions[16];
    /* Fixed material. */
    struct wire_header chain[CHAIN_LEN + 1];
    struct wire_netaddr pool[ADDR_POOL];
    struct sample samples[MAX_SAMPLES];
    size_t n_samples;
    uint64_t t0_ms;
};

enum action { A_PING, A_GETADDR, A_ADDR, A_HEADERS, A_BAD_CHECKSUM, A_OVERSIZE, A_GARBAGE,
              A_FLOOD, A_VANISH, A_CLOSE, A_SILENT, A_COUNT };
static const char *action_names[A_COUNT] = {"ping", "getaddr", "addr", "headers", "bad-checksum",
                                            "oversize", "garbage", "flood", "vanish", "close",
                                            "silent"};

static uint64_t rnd(struct soak *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static unsigned rnd_below(struct soak *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

static void send_msg(struct slot *sl, const struct wire_msg *msg)
{
    struct buf_writer p, f;
    buf_writer_init(&p);
    buf_writer_init(&f);
    if (wire_encode(msg, &p) == WIRE_OK &&
        transport_v1_write(sl->s->magic, wire_msg_command(msg), p.data, p.len, WIRE_MAX_PAYLOAD,
                           &f) == TRANSPORT_OK)
        bufferevent_write(sl->bev, f.data, f.len);
    buf_writer_free(&p);
    buf_writer_free(&f);
}

static void send_empty(struct slot *sl, enum wire_type type)
{
    struct wire_msg m = {.type = type};
    send_msg(sl, &m);
}

static void arm(struct slot *sl, unsigned ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(sl->timer, &tv);
}

/* Close the connection (rst: abruptly) and come back after a short pause. */
static void slot_close(struct slot *sl, bool rst)
{
    if (sl->bev) {
        if (rst) {
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(bufferevent_getfd(sl->bev), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        bufferevent_free(sl->bev);
        sl->bev = NULL;
        if (sl->st != SLOT_CONNECTING) sl->s->open_now--;
    }
    transport_v1_clear(&sl->rx);
    sl->st = SLOT_IDLE;
    if (!sl->s->stopping) arm(sl, rnd_below(sl->s, 500));
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct slot *sl = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (sl->bev && evbuffer_get_length(in)) {
        struct evbuffer_iovec v;
        evbuffer_peek(in, -1, NULL, &v, 1);
        size_t used = 0;
        struct transport_frame f;
        enum transport_status st = transport_v1_read(&sl->rx, v.iov_base, v.iov_len, &used, &f);
        evbuffer_drain(in, used);
        if (st == TRANSPORT_NEED_MORE) continue;
        if (st != TRANSPORT_FRAME) {
            slot_close(sl, false);
            return;
        }
        struct wire_msg m;
        if (wire_decode(f.command, f.payload, f.len, &m) == WIRE_OK) {
            if (m.type == WIRE_VERSION) {
                sl->got_version = true;
                send_empty(sl, WIRE_VERACK);
            } else if (m.type == WIRE_VERACK) {
                sl->got_verack = true;
            } else if (m.type == WIRE_PING) {
                struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m.u.ping};
                send_msg(sl, &pong);
            }
            wire_msg_free(&m);
        }
        transport_frame_free(&f);
        if (sl->st == SLOT_HANDSHAKE && sl->got_version && sl->got_verack) {
            sl->st = SLOT_CHATTING;
            arm(sl, 100 + rnd_below(sl->s, 1400));
        }
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct slot *sl = arg;
    struct soak *s = sl->s;
    if (what & BEV_EVENT_CONNECTED) {
        struct sockaddr_in local;
        socklen_t len = sizeof local;
        getsockname(bufferevent_getfd(bev), (struct sockaddr *)&local, &len);
        sl->key = (uint64_t)ntohl(local.sin_addr.s_addr) << 16 | ntohs(local.sin_port);
        if (s->n_opened == s->cap_opened) {
            s->cap_opened = s->cap_opened ? 2 * s->cap_opened : 65536;
            s->opened = realloc(s->opened, s->cap_opened * sizeof *s->opened);
        }
        s->opened[s->n_opened++] = sl->key;
        s->open_now++;
        sl->st = SLOT_HANDSHAKE;
        sl->leave_at_ms = clock_mono_ms() + 1000 + rnd_below(s, 59000);
        sl->silent = rnd_below(s, 100) < 2;
        if (sl->silent) {
            s->actions[A_SILENT]++;
            return; /* until the daemon's handshake timeout */
        }
        struct wire_msg v = {.type = WIRE_VERSION};
        v.u.version.version = PROTOCOL_VERSION;
        v.u.version.services = NODE_NETWORK | NODE_WITNESS;
        v.u.version.timestamp = clock_unix_s();
        v.u.version.nonce = rnd(s);
        v.u.version.n_optional = WIRE_VERSION_OPT_RELAY;
        uint8_t zero[16] = {0};
        wire_netaddr_from_v1(&v.u.version.addr_recv, zero);
        wire_netaddr_from_v1(&v.u.version.addr_from, zero);
        memcpy(v.u.version.user_agent, "/soak/", 6);
        v.u.version.user_agent_len = 6;
        send_msg(sl, &v);
        return;
    }
    if (sl->st == SLOT_CONNECTING) s->connect_failed++;
    slot_close(sl, false);
}

static void slot_connect(struct slot *sl)
{
    struct soak *s = sl->s;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in local = {.sin_family = AF_INET};
    local.sin_addr.s_addr = htonl(0x7f000000u | (1 + rnd_below(s, 254)) << 16 |
                                  rnd_below(s, 256) << 8 | (1 + rnd_below(s, 254)));
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        if (fd >= 0) close(fd);
        s->connect_failed++;
        arm(sl, 100);
        return;
    }
    evutil_make_socket_nonblocking(fd);
    sl->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    transport_v1_init(&sl->rx, s->magic, WIRE_MAX_PAYLOAD);
    sl->got_version = sl->got_verack = false;
    sl->st = SLOT_CONNECTING;
    bufferevent_setcb(sl->bev, on_read, NULL, on_event, sl);
    bufferevent_enable(sl->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(sl->bev, (struct sockaddr *)&s->daemon, sizeof s->daemon) != 0) {
        s->connect_failed++;
        slot_close(sl, false);
    }
}

static void misbehave_raw(struct slot *sl, enum action a)
{
    struct soak *s = sl->s;
    uint8_t frame[24 + 8];
    memcpy(frame, s->magic, 4);
    memset(frame + 4, 0, 12);
    memcpy(frame + 4, "ping", 4);
    le32_write(frame + 16, 8);
    memset(frame + 20, 0xee, 4); /* a wrong checksum */
    memset(frame + 24, 0x11, 8);
    if (a == A_OVERSIZE) {
        memcpy(frame + 4, "block\0\0", 7);
        le32_write(frame + 16, 5000000); /* over the 4,000,000-byte limit */
        bufferevent_write(sl->bev, frame, 24);
    } else if (a == A_GARBAGE) {
        uint8_t junk[64];
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)rnd(s);
        bufferevent_write(sl->bev, junk, sizeof junk);
    } else {
        /* Ten of them: each dropped unpunished (Core), counted by the rate limit. */
        for (int i = 0; i < 10; i++) bufferevent_write(sl->bev, frame, sizeof frame);
    }
}

static void chatter(struct slot *sl)
{
    struct soak *s = sl->s;
    unsigned r = rnd_below(s, 1000);
    enum action a;
    if (r < 5) a = A_VANISH;
    else if (r < 8) a = A_CLOSE;
    else if (r < 11) a = A_BAD_CHECKSUM;
    else if (r < 13) a = A_OVERSIZE;
    else if (r < 15) a = A_GARBAGE;
    else if (r < 17) a = A_FLOOD;
    else if (r < 500) a = A_PING;
    else if (r < 600) a = A_GETADDR;
    else if (r < 800) a = A_ADDR;
    else a = A_HEADERS;
    if (clock_mono_ms() >= sl->leave_at_ms) a = rnd_below(s, 2) ? A_VANISH : A_CLOSE;
    s->actions[a]++;
    switch (a) {
    case A_PING: {
        struct wire_msg m = {.type = WIRE_PING, .u.ping = {.nonce = rnd(s)}};
        send_msg(sl, &m);
        break;
    }
    case A_GETADDR: send_empty(sl, WIRE_GETADDR); break;
    case A_ADDR: {
        struct wire_netaddr addrs[10];
        size_t n = 1 + rnd_below(s, 10);
        for (size_t i = 0; i < n; i++) {
            addrs[i] = s->pool[rnd_below(s, ADDR_POOL)];
            addrs[i].time = (uint32_t)clock_unix_s();
        }
        struct wire_msg m = {.type = WIRE_ADDR, .u.addr = {.count = n, .addrs = addrs}};
        send_msg(sl, &m);
        break;
    }
    case A_HEADERS: {
        size_t n = 1 + rnd_below(s, CHAIN_LEN);
        struct wire_msg m = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = s->chain + 1}};
        send_msg(sl, &m);
        break;
    }
    case A_BAD_CHECKSUM:
    case A_OVERSIZE:
    case A_GARBAGE: misbehave_raw(sl, a); break;
    case A_FLOOD:
        for (int i = 0; i < 300; i++) {
            struct wire_msg m = {.type = WIRE_PING, .u.ping = {.nonce = (uint64_t)i}};
            send_msg(sl, &m);
        }
        break;
    case A_VANISH: slot_close(sl, true); return;
    case A_CLOSE: slot_close(sl, false); return;
    default: break;
    }
    arm(sl, 100 + rnd_below(s, 1400));
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct slot *sl = arg;
    if (sl->s->stopping) return;
    if (sl->st == SLOT_IDLE) slot_connect(sl);
    else if (sl->st == SLOT_CHATTING) chatter(sl);
    else if (sl->st == SLOT_HANDSHAKE && clock_mono_ms() >= sl->leave_at_ms) slot_close(sl, true);
}

/* ---- the daemon, from /proc ---- */

static void on_sample(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct soak *s = arg;
    int status;
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        fprintf(stderr, "soak: the daemon died (status %d)\n", status);
        s->daemon_died = true;
        event_base_loopbreak(s->base);
        return;
    }
    if (s->n_samples < MAX_SAMPLES) {
        struct sample *sm = &s->samples[s->n_samples++];
        sm->t = (double)(clock_mono_ms() - s->t0_ms) / 1000.0;
        sm->rss_kib = bench_proc_rss_kib(s->pid);
        sm->open = s->open_now;
        printf("t=%6.1f s  rss=%7llu KiB  open=%zu  opened=%zu\n", sm->t, sm->rss_kib, sm->open,
               s->n_opened);
        fflush(stdout);
    }
}

static void on_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Least squares over samples with t >= from: KiB per minute. */
static double slope_kib_per_min(const struct sample *s, size_t n, double from, double *mean)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].t < from) continue;
        double x = s[i].t / 60.0, y = (double)s[i].rss_kib;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        k++;
    }
    *mean = k ? sy / (double)k : 0;
    double den = (double)k * sxx - sx * sx;
    return k >= 2 && den != 0 ? ((double)k * sxy - sx * sy) / den : 0;
}

static void make_material(struct soak *s)
{
    const struct netparams *np = netparams_get(NET_REGTEST);
    wire_header_parse(np->genesis_header, &s->chain[0]);
    uint8_t prev[32];
    memcpy(prev, np->genesis_hash, 32);
    for (size_t i = 1; i <= CHAIN_LEN; i++) {
        struct wire_header *h = &s->chain[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, prev, 32);
        memset(h->merkle_root, (int)i, 32);
        h->time = s->chain[0].time + (uint32_t)(i * 600);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, prev);
            if (prev[31] < 0x7f) break; /* regtest's easy target */
        }
    }
    for (size_t i = 0; i < ADDR_POOL; i++) {
        /* Loopback addresses: should anything ever dial them, it stays here. */
        s->pool[i] = (struct wire_netaddr){.net = WIRE_NET_IPV4, .port = 18444,
                                           .services = NODE_NETWORK | NODE_WITNESS};
        s->pool[i].addr[0] = 127;
        s->pool[i].addr[1] = 250;
        s->pool[i].addr[2] = (uint8_t)(i / 250);
        s->pool[i].addr[3] = (uint8_t)(1 + i % 250);
    }
}

int main(int argc, char **argv)
{
    const char *daemon_path = "./btcpeerd";
    unsigned seconds = 600, sample_s = 5;
    size_t peers = 1000;
    bool rss_check = true, keep = false;
    uint64_t seed = (uint64_t)time(NULL) * 2654435761u + 1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "0";
        if (strcmp(argv[i], "--daemon") == 0) daemon_path = v, i++;
        else if (strcmp(argv[i], "--seconds") == 0) seconds = (unsigned)strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--peers") == 0) peers = strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--sample") == 0) sample_s = (unsigned)strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--seed") == 0) seed = strtoull(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--no-rss-check") == 0) rss_check = false;
        else if (strcmp(argv[i], "--keep") == 0) keep = true;
        else {
            fprintf(stderr, "usage: soak [--daemon PATH] [--seconds N] [--peers N] [--sample SEC] "
                            "[--seed N] [--no-rss-check] [--keep]\n");
            return 2;
        }
    }
    if (!seed) seed = 1;
    if (!sample_s) sample_s = 1;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl); /* the daemon inherits it */
    if (rl.rlim_cur < 2 * peers + 128) {
        fprintf(stderr, "RLIMIT_NOFILE %llu is too low for %zu peers\n",
                (unsigned long long)rl.rlim_cur, peers);
        return 1;
    }

    char datadir[] = "/tmp/btcpeerd-soak-XXXXXX";
    if (!mkdtemp(datadir)) return 1;
    char datadir_arg[64], log_path[64], port_arg[32], maxconn[48];
    uint16_t port = bench_free_port();
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s", datadir);
    snprintf(log_path, sizeof log_path, "%s/output.log", datadir);
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(maxconn, sizeof maxconn, "--maxconnections=%zu", peers + 64);
    pid_t pid = fork();
    if (pid == 0) {
        int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        execl(daemon_path, daemon_path, "--network=regtest", "--bind=127.0.0.1", port_arg, maxconn,
              datadir_arg, "--log-file=-", "--log-level=info", "--dnsseed=0", "--max-outbound=0",
              "--handshake-timeout=3", "--bantime=2", "--test-save-interval=30", "--server=0", (char *)NULL);
        _exit(127);
    }

    struct soak *s = calloc(1, sizeof *s);
    s->pid = pid;
    s->rng = seed;
    s->magic = netparams_get(NET_REGTEST)->magic;
    s->daemon.sin_family = AF_INET;
    s->daemon.sin_port = htons(port);
    s->daemon.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    make_material(s);
    printf("soak: %zu peers, %u s, daemon %s (pid %d), seed %llu, log %s\n", peers, seconds,
           daemon_path, (int)pid, (unsigned long long)seed, log_path);

    if (!bench_wait_listening(&s->daemon, 20000)) {
        fprintf(stderr, "daemon did not start\n");
        kill(pid, SIGKILL);
        return 1;
    }

    s->base = event_base_new();
    s->n_slots = peers;
    s->slots = calloc(peers, sizeof *s->slots);
    for (size_t i = 0; i < peers; i++) {
        struct slot *sl = &s->slots[i];
        sl->s = s;
        sl->timer = evtimer_new(s->base, on_timer, sl);
        arm(sl, rnd_below(s, 2000)); /* a ramp over the first two seconds */
    }
    struct event *sampler = event_new(s->base, -1, EV_PERSIST, on_sample, s);
    struct timeval every = {.tv_sec = sample_s};
    event_add(sampler, &every);
    struct event *end = evtimer_new(s->base, on_end, s->base);
    struct timeval dur = {.tv_sec = seconds};
    evtimer_add(end, &dur);
    s->t0_ms = clock_mono_ms();
    unsigned long long cpu0 = bench_proc_cpu_ns(pid);
    event_base_dispatch(s->base);
    double ran_s = (double)(clock_mono_ms() - s->t0_ms) / 1000.0;
    unsigned long long cpu1 = bench_proc_cpu_ns(pid);

    /* The end: close every peer, let the daemon log their disconnects, stop it. */
    s->stopping = true;
    for (size_t i = 0; i < peers; i++) {
        if (s->slots[i].bev) slot_close(&s->slots[i], false);
        event_free(s->slots[i].timer);
    }
    event_base_loop(s->base, EVLOOP_NONBLOCK); /* the frees close their sockets here */
    int status = -1;
    struct soak_tally t = {0};
    if (!s->daemon_died) {
        uint64_t deadline = clock_mono_ms() + 30000;
        for (;;) {
            struct soak_tally probe = {0};
            soak_log_read(log_path, &probe);
            bool settled = probe.disconnected >= probe.connected;
            soak_log_free(&probe);
            if (settled || clock_mono_ms() > deadline) break;
            bench_sleep_ms(500);
        }
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
    }
    soak_log_read(log_path, &t);

    /* Every connection we opened: accepted or refused, once. */
    size_t unseen = soak_log_unseen(&t, s->opened, s->n_opened);
    size_t open_at_end = soak_log_open_at_end(&t);

    double warm = seconds / 5.0 < 60 ? seconds / 5.0 : 60, mean = 0;
    double slope = slope_kib_per_min(s->samples, s->n_samples, warm, &mean);
    double window_min = (ran_s - warm) / 60.0, growth = slope * window_min;
    unsigned long long lo = ~0ull, hi = 0;
    for (size_t k = 0; k < s->n_samples; k++)
        if (s->samples[k].t >= warm) {
            if (s->samples[k].rss_kib < lo) lo = s->samples[k].rss_kib;
            if (s->samples[k].rss_kib > hi) hi = s->samples[k].rss_kib;
        }
    double limit = mean * 0.05 > 2048 ? mean * 0.05 : 2048;
    bool rss_flat = growth <= limit;

    printf("\nsoak: ran %.1f s with %zu peer slots; daemon CPU %.1f %% of one core\n", ran_s, peers,
           (double)(cpu1 - cpu0) / 1e9 / ran_s * 100.0);
    printf("connections: %zu opened (%zu connect failures), %zu accepted, %zu refused, %zu "
           "handshakes, %zu disconnected (%zu without a reason)\n",
           s->n_opened, s->connect_failed, t.connected, t.refused, t.handshakes, t.disconnected,
           t.no_reason);
    printf("accounted: %zu of %zu opened are in the log (accepted or refused); %zu accepted "
           "without a disconnect line (the start-up probe is the one accepted more)\n",
           s->n_opened - unseen, s->n_opened, open_at_end);
    printf("reasons:");
    for (size_t k = 0; k < t.n_reasons; k++) printf(" %s=%zu", t.reasons[k], t.reason_count[k]);
    printf("\nactions:");
    for (size_t k = 0; k < A_COUNT; k++) printf(" %s=%zu", action_names[k], s->actions[k]);
    printf("\nrss after %.0f s warm-up: %llu..%llu KiB, mean %.0f KiB, slope %+.1f KiB/min "
           "(%+.0f KiB over %.1f min; limit %.0f KiB)%s\n",
           warm, lo, hi, mean, slope, growth, window_min, limit,
           rss_check ? "" : " [not checked: --no-rss-check]");
    bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("daemon: %s, exit status %d, sanitizer reports %zu\n",
           s->daemon_died ? "DIED during the run" : "ran throughout",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, t.leak_reports);

    bool ok = !s->daemon_died && exited_ok && t.leak_reports == 0 && unseen == 0 &&
              open_at_end == 0 && t.no_reason == 0 && s->n_opened > 0 && (!rss_check || rss_flat);
    printf("soak: %s\n", ok ? "PASS" : "FAIL");

    event_free(sampler);
    event_free(end);
    event_base_free(s->base);
    free(s->slots);
    free(s->opened);
    soak_log_free(&t);
    free(s);
    if (!keep) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", datadir);
        if (system(cmd) != 0) return 1;
    } else {
        printf("kept %s\n", datadir);
    }
    return ok ? 0 : 1;
}
