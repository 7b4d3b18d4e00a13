/* Compact filters end to end on loopback (--blockfilters=1):
 *   the filter header chain synced behind the header chain, in filter
 *   headers/s, from a filter-serving peer (the integration tests' scripted
 *   peer, in a child process, serving BIP158 filters src/filter built for
 *   its own regtest blocks);
 *   scanblocks over all of them, end to end (RPC request to reply):
 *   filters fetched from the peer and checked against the filter header
 *   chain, then the same scan again from the filter cache.
 *
 *   bench_cfsync [--daemon PATH] [--blocks N]     (from the build directory)
 *
 * The blocks are synthetic: one coinbase each (two outputs in every 500th,
 * which pays to the watched address), so filters are a few bytes; the
 * scan figure is the protocol's and the loop's cost per block, not
 * mainnet's filter sizes (bench_filters has those). */
#include "benchutil.h"
#include "filter_chain.h"
#include "scripted_peer.h"
#include "txbuild.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t spawn(const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[1 << 22];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    return buf;
}

/* Wait until the file at path contains needle; seconds waited, or -1. */
static double wait_for(const char *path, const char *needle, double timeout_s)
{
    uint64_t start = clock_mono_us();
    while ((double)(clock_mono_us() - start) / 1e6 < timeout_s) {
        const char *text = read_file(path);
        if (text && strstr(text, needle)) return (double)(clock_mono_us() - start) / 1e6;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* The log line's time (seconds into the day) of the first line holding needle. */
static double log_time(const char *path, const char *needle)
{
    const char *text = read_file(path), *at = text ? strstr(text, needle) : NULL;
    if (!at) return -1;
    while (at > text && at[-1] != '\n') at--;
    int h, m;
    double s;
    if (sscanf(at, "%*10sT%d:%d:%lfZ", &h, &m, &s) != 3) return -1;
    return h * 3600.0 + m * 60.0 + s;
}

/* The child: serve the chain to whoever connects, one connection at a
 * time, until killed. */
static void serve(int lfd, const struct filter_chain *c)
{
    for (;;) {
        struct filter_peer p = {.c = c, .mode = FILTER_PEER_HONEST};
        if (!sp_accept(&p.sp, lfd, netparams_get(NET_REGTEST)->magic, 600000)) _exit(1);
        if (!sp_handshake_services(&p.sp, false, NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS, NULL,
                                   60000)) {
            sp_close(&p.sp);
            continue;
        }
        p.open = true;
        while (p.open) filter_peers_pump(&p, 1, 1000);
        sp_close(&p.sp);
    }
}

/* One JSON-RPC call, blocking; the reply body (static) or NULL. */
static const char *rpc(uint16_t port, const char *cookie, const char *method, const char *params)
{
    static char buf[1 << 20];
    char body[2048], head[1024];
    unsigned char b64[400];
    EVP_EncodeBlock(b64, (const unsigned char *)cookie, (int)strlen(cookie));
    int blen = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    int hlen = snprintf(head, sizeof head,
                        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n"
                        "Connection: close\r\n\r\n",
                        b64, blen);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return NULL;
    if (send(fd, head, (size_t)hlen, MSG_NOSIGNAL) != hlen || send(fd, body, (size_t)blen, MSG_NOSIGNAL) != blen)
        return NULL;
    size_t len = 0;
    ssize_t got;
    while (len < sizeof buf - 1 && (got = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0) len += (size_t)got;
    close(fd);
    buf[len] = 0;
    const char *sep = strstr(buf, "\r\n\r\n");
    return sep ? sep + 4 : NULL;
}

int main(int argc, char **argv)
{
    const char *daemon = "./btcpeerd";
    size_t blocks = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc) daemon = argv[++i];
        else if (strcmp(argv[i], "--blocks") == 0 && i + 1 < argc) blocks = (size_t)atol(argv[++i]);
    }
    struct filter_chain c;
    uint64_t t0 = clock_mono_us();
    filter_chain_make(&c, blocks, 500);
    printf("made %zu regtest blocks with filters in %.2f s\n", blocks, (double)(clock_mono_us() - t0) / 1e6);
    fflush(stdout);

    char dir[] = "/tmp/btcpeerd-bench-cf-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    uint16_t sp_port;
    int lfd = sp_listen(&sp_port);
    if (lfd < 0) return 1;
    pid_t server = fork();
    if (server == 0) serve(lfd, &c);
    close(lfd);
    char cfpath[96];
    snprintf(cfpath, sizeof cfpath, "%s/regtest/cfheaders.dat", dir);

    char datadir[96], logpath[96], logarg[112], connect[48], rpcport[32];
    uint16_t port = bench_free_port();
    snprintf(datadir, sizeof datadir, "--datadir=%s", dir);
    snprintf(logpath, sizeof logpath, "%s/d.log", dir);
    snprintf(logarg, sizeof logarg, "--log-file=%s", logpath);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", sp_port);
    snprintf(rpcport, sizeof rpcport, "--rpcport=%u", port);
    const char *args[] = {daemon, "--network=regtest", "--blockfilters=1", "--listen=0", "--v2transport=0",
                          connect, datadir, logarg, rpcport, NULL};
    pid_t d = spawn(args);
    char needle[64];
    snprintf(needle, sizeof needle, "height=%zu from=-1", blocks);
    if (wait_for(logpath, needle, 600) < 0) {
        fprintf(stderr, "no filter header catch-up:\n%s\n", read_file(logpath));
        return 1;
    }
    double hs = log_time(logpath, "header sync from height"), hd = log_time(logpath, "header sync caught up");
    double cd = log_time(logpath, "filter headers caught up");
    printf("header sync: %zu headers in %.3f s, %.0f headers/s\n", blocks, hd - hs, (double)blocks / (hd - hs));
    printf("headers and filter headers together (filter headers follow the header chain): %.3f s from the "
           "header sync's start\n",
           cd - hs);
    fflush(stdout);
    /* Again with headers.dat kept and cfheaders.dat gone: the filter
     * header sync alone, from the handshake to caught up. */
    kill(d, SIGTERM);
    waitpid(d, NULL, 0);
    if (unlink(cfpath) != 0 || unlink(logpath) != 0) return 1;
    d = spawn(args);
    if (wait_for(logpath, needle, 600) < 0) {
        fprintf(stderr, "no filter header catch-up (2):\n%s\n", read_file(logpath));
        return 1;
    }
    double ready = log_time(logpath, "handshake complete");
    cd = log_time(logpath, "filter headers caught up");
    printf("filter header sync alone (headers loaded from headers.dat): %zu filter headers in %.3f s, "
           "%.0f filter headers/s\n",
           blocks + 1, cd - ready, (double)(blocks + 1) / (cd - ready));
    fflush(stdout);

    char cookie_path[96], cookie[160] = "";
    snprintf(cookie_path, sizeof cookie_path, "%s/regtest/.cookie", dir);
    if (wait_for(logpath, "RPC cookie written", 30) < 0) return 1;
    FILE *f = fopen(cookie_path, "r");
    if (!f || !fgets(cookie, sizeof cookie, f)) return 1;
    fclose(f);
    char addr[100], params[256];
    txbuild_segwit_address("bcrt", c.watched_script + 2, 20, addr, sizeof addr);
    snprintf(params, sizeof params, "[\"start\",[\"addr(%s)\"],0,%zu]", addr, blocks);
    for (int round = 0; round < 2; round++) {
        uint64_t s0 = clock_mono_us();
        const char *reply = rpc(port, cookie, "scanblocks", params);
        double secs = (double)(clock_mono_us() - s0) / 1e6;
        json_t *j = reply ? json_loads(reply, 0, NULL) : NULL;
        json_t *res = json_object_get(j, "result");
        if (!res || !json_is_true(json_object_get(res, "completed"))) {
            fprintf(stderr, "scan failed: %s\n", reply ? reply : "(no reply)");
            return 1;
        }
        size_t found = json_array_size(json_object_get(res, "relevant_blocks"));
        json_decref(j);
        printf("scanblocks over %zu blocks, %s: %.3f s, %.0f blocks/s (%zu relevant, %zu expected)\n", blocks + 1,
               round ? "again, from the filter cache" : "filters fetched from the peer", secs,
               (double)(blocks + 1) / secs, found, blocks / 500);
    }
    kill(d, SIGTERM);
    waitpid(d, NULL, 0);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    filter_chain_free(&c);
    return 0;
}
