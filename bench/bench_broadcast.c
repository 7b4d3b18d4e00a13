/* Private broadcast on loopback: the time from a sendrawtransaction call
 * to 3 peers holding the transaction, and the daemon's CPU per broadcast
 * (its own /proc accounting: the RPC, 3 private-broadcast connections
 * with their handshakes, the announcement, the tx, the ping, the close).
 *
 *   bench_broadcast [--daemon PATH] [--count N]
 *
 * The daemon (regtest, --test-local-groups) knows three addresses,
 * 127.101.0.1, 127.102.0.1 and 127.103.0.1, where this program listens
 * and plays the peers (v1, one poll loop, all three at once). Each
 * broadcast is a distinct 61-byte transaction. Loopback only. */
#include "benchutil.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PEERS 3
#define WAIT_MS 20000

static const uint8_t *magic;

struct peer {
    int fd;
    struct transport_v1 rx;
    bool holding, closed;
};

static void die(const char *what)
{
    fprintf(stderr, "bench_broadcast: %s\n", what);
    exit(1);
}

static void send_msg(int fd, const struct wire_msg *msg)
{
    struct buf_writer p, f;
    buf_writer_init(&p);
    buf_writer_init(&f);
    if (wire_encode(msg, &p) != WIRE_OK) die("encode");
    transport_v1_write(magic, wire_msg_command(msg), p.data, p.len, WIRE_MAX_PAYLOAD, &f);
    if (send(fd, f.data, f.len, MSG_NOSIGNAL) != (ssize_t)f.len) die("send");
    buf_writer_free(&p);
    buf_writer_free(&f);
}

static void send_empty(int fd, enum wire_type type)
{
    struct wire_msg m = {.type = type};
    send_msg(fd, &m);
}

/* One message from the daemon, as a private-broadcast peer answers it. */
static void on_msg(struct peer *p, struct wire_msg *m)
{
    switch (m->type) {
    case WIRE_VERSION: {
        struct wire_msg v;
        memset(&v, 0, sizeof v);
        v.type = WIRE_VERSION;
        v.u.version.version = PROTOCOL_VERSION;
        v.u.version.services = NODE_NETWORK | NODE_WITNESS;
        v.u.version.timestamp = clock_unix_s();
        v.u.version.nonce = (uint64_t)p->fd + 1000;
        static const uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
        wire_netaddr_from_v1(&v.u.version.addr_recv, ip);
        wire_netaddr_from_v1(&v.u.version.addr_from, ip);
        v.u.version.relay = true;
        v.u.version.n_optional = WIRE_VERSION_OPT_RELAY;
        send_msg(p->fd, &v);
        send_empty(p->fd, WIRE_WTXIDRELAY);
        send_empty(p->fd, WIRE_VERACK);
        break;
    }
    case WIRE_INV: {
        struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = m->u.inv};
        send_msg(p->fd, &gd);
        break;
    }
    case WIRE_TX: p->holding = true; break;
    case WIRE_PING: {
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m->u.ping};
        send_msg(p->fd, &pong);
        break;
    }
    default: break;
    }
}

static void on_readable(struct peer *p)
{
    uint8_t buf[65536];
    ssize_t n = recv(p->fd, buf, sizeof buf, 0);
    if (n <= 0) {
        p->closed = true;
        return;
    }
    size_t off = 0;
    while (off < (size_t)n) {
        size_t used = 0;
        struct transport_frame f;
        enum transport_status st = transport_v1_read(&p->rx, buf + off, (size_t)n - off, &used, &f);
        off += used;
        if (st == TRANSPORT_FRAME) {
            struct wire_msg m;
            if (wire_decode(f.command, f.payload, f.len, &m) == WIRE_OK) {
                on_msg(p, &m);
                wire_msg_free(&m);
            }
            transport_frame_free(&f);
        } else if (transport_status_fatal(st)) {
            die("bad frame");
        }
    }
}

/* ---- the daemon and its RPC ---- */

static char cookie_b64[256];
static uint16_t rpc_port;

static void rpc(const char *body, char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(rpc_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("rpc connect");
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      cookie_b64, strlen(body));
    if (send(fd, head, (size_t)hl, 0) != hl || send(fd, body, strlen(body), 0) != (ssize_t)strlen(body))
        die("rpc send");
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = recv(fd, reply + len, cap - len - 1, 0)) > 0) len += (size_t)n;
    reply[len] = '\0';
    close(fd);
    if (!strstr(reply, "\"error\":null") && strstr(reply, "\"error\":{")) die(reply);
}

static int listen_on(const char *ip, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    socklen_t sl = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        die("listen");
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A distinct legacy transaction: one input (its outpoint from i), one
 * 1,000-satoshi OP_TRUE output. */
static void tx_hex(uint32_t i, char *out)
{
    uint8_t raw[61] = {2, 0, 0, 0, 1};
    memcpy(raw + 5, &i, 4);
    raw[5 + 31] = 0x42;
    /* index 0, empty scriptSig, sequence, 1 output */
    uint8_t tail[] = {0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0xe8, 3, 0, 0, 0, 0, 0, 0, 1, 0x51, 0, 0, 0, 0};
    memcpy(raw + 37, tail, sizeof tail);
    static const char digits[] = "0123456789abcdef";
    for (size_t k = 0; k < sizeof raw; k++) {
        out[2 * k] = digits[raw[k] >> 4];
        out[2 * k + 1] = digits[raw[k] & 15];
    }
    out[2 * sizeof raw] = '\0';
}

int main(int argc, char **argv)
{
    const char *daemon = "./btcpeerd";
    unsigned count = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--daemon") == 0) daemon = argv[i + 1];
        if (strcmp(argv[i], "--count") == 0) count = (unsigned)atoi(argv[i + 1]);
    }
    magic = netparams_get(NET_REGTEST)->magic;
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/btcpeerd-bench-bc-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp");
    rpc_port = bench_free_port();
    char dd[64], rp[32], lf[96];
    snprintf(dd, sizeof dd, "--datadir=%s", dir);
    snprintf(rp, sizeof rp, "--rpcport=%u", rpc_port);
    snprintf(lf, sizeof lf, "--log-file=%s/log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl(daemon, daemon, "--network=regtest", dd, rp, lf, "--bind=127.0.0.1", "--port=0",
              "--test-local-groups", "--max-outbound=0", "--dnsseed=0", "--test-broadcast-retry=0.01",
              "--log-level=info", (char *)NULL);
        _exit(127);
    }
    struct sockaddr_in rsa = {.sin_family = AF_INET, .sin_port = htons(rpc_port)};
    rsa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!bench_wait_listening(&rsa, WAIT_MS)) die("no RPC");
    char path[128], cookie[160] = "";
    snprintf(path, sizeof path, "%s/regtest/.cookie", dir);
    for (int tries = 0; tries < 200 && !cookie[0]; tries++) {
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(cookie, sizeof cookie, f)) cookie[0] = '\0';
            fclose(f);
        }
        if (!cookie[0]) bench_sleep_ms(10);
    }
    EVP_EncodeBlock((unsigned char *)cookie_b64, (const unsigned char *)cookie, (int)strlen(cookie));

    static const char *ips[PEERS] = {"127.101.0.1", "127.102.0.1", "127.103.0.1"};
    int lfd[PEERS];
    char reply[4096], body[512];
    for (size_t i = 0; i < PEERS; i++) {
        uint16_t port;
        lfd[i] = listen_on(ips[i], &port);
        snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"addpeeraddress\",\"params\":[\"%s\",%u]}",
                 ips[i], port);
        rpc(body, reply, sizeof reply);
    }

    double *ms = calloc(count, sizeof *ms);
    uint64_t cpu0 = 0;
    for (unsigned it = 0; it <= count; it++) { /* the first is a warm-up */
        if (it == 1) cpu0 = bench_proc_cpu_ns(pid);
        char hex[128];
        tx_hex(it, hex);
        snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sendrawtransaction\",\"params\":[\"%s\"]}", hex);
        uint64_t t0 = clock_mono_us();
        rpc(body, reply, sizeof reply);
        struct peer peers[PEERS];
        size_t n_peers = 0, holding = 0, closed = 0;
        uint64_t t_hold = 0, deadline = clock_mono_ms() + WAIT_MS;
        while (closed < PEERS) {
            if (clock_mono_ms() > deadline) die("timeout");
            struct pollfd pf[2 * PEERS];
            size_t np = 0;
            for (size_t i = 0; i < PEERS; i++) pf[np++] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
            for (size_t i = 0; i < n_peers; i++)
                pf[np++] = (struct pollfd){.fd = peers[i].closed ? -1 : peers[i].fd, .events = POLLIN};
            if (poll(pf, (nfds_t)np, 1000) <= 0) continue;
            for (size_t i = 0; i < PEERS; i++)
                if ((pf[i].revents & POLLIN) && n_peers < PEERS) {
                    struct peer *p = &peers[n_peers++];
                    memset(p, 0, sizeof *p);
                    p->fd = accept(lfd[i], NULL, NULL);
                    transport_v1_init(&p->rx, magic, WIRE_MAX_PAYLOAD);
                }
            for (size_t i = 0; i < n_peers; i++) {
                struct peer *p = &peers[i];
                if (p->closed || !(pf[PEERS + i].revents & (POLLIN | POLLHUP))) continue;
                bool was = p->holding;
                on_readable(p);
                if (!was && p->holding && ++holding == PEERS) t_hold = clock_mono_us();
                if (p->closed) {
                    closed++;
                    close(p->fd);
                    transport_v1_clear(&p->rx);
                }
            }
        }
        if (holding != PEERS) {
            char cmd[160];
            snprintf(cmd, sizeof cmd, "grep -E 'disconnected|broadcast' '%s/log' | tail -20 >&2", dir);
            if (system(cmd) != 0) fprintf(stderr, "(no log)\n");
            kill(pid, SIGTERM);
            die("a peer did not get the tx");
        }
        if (it) ms[it - 1] = (double)(t_hold - t0) / 1000.0;
    }
    uint64_t cpu = bench_proc_cpu_ns(pid) - cpu0;
    /* median and spread */
    for (unsigned i = 1; i < count; i++)
        for (unsigned j = i; j > 0 && ms[j - 1] > ms[j]; j--) {
            double t = ms[j];
            ms[j] = ms[j - 1];
            ms[j - 1] = t;
        }
    printf("broadcasts: %u\n", count);
    printf("sendrawtransaction to 3 peers holding the tx: median %.2f ms, min %.2f ms, max %.2f ms\n",
           ms[count / 2], ms[0], ms[count - 1]);
    printf("daemon CPU per broadcast: %.1f us\n", (double)cpu / 1000.0 / count);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    free(ms);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    return 0;
}
