/* Header chain figures:
 *   validation of the real mainnet headers (0-10,236) against SHA-256d of
 *   the same headers in the same run (goal: >= 80 %);
 *   memory per header with 900,000 synthetic headers in the index;
 *   headers.dat replay (full validation) in headers/s;
 *   sync of 200,000 headers from one btcpeerd to another on loopback.
 *
 *   bench_chain [--daemon PATH] [--quick]     (from the build directory) */
#include "benchutil.h"

#include "node/headerstore.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint8_t *headers_file;
static size_t n_headers;

/* As the daemon validates: from wire bytes, the index sized from the
 * count expected (headers.dat's size, the sync peer's height). */
static void validate_all(void *arg)
{
    (void)arg;
    struct chain *c = chain_new(netparams_get(NET_MAIN));
    if (!c || !chain_reserve(c, n_headers)) abort();
    for (size_t i = 1; i < n_headers; i++) {
        if (chain_add_raw(c, headers_file + i * 80, 1800000000, NULL) != CHAIN_OK) abort();
    }
    chain_free(c);
}

/* From parsed structs, header by header, no size hint: the slow path. */
static void validate_structs(void *arg)
{
    (void)arg;
    struct chain *c = chain_new(netparams_get(NET_MAIN));
    for (size_t i = 1; i < n_headers; i++) {
        struct wire_header h;
        wire_header_parse(headers_file + i * 80, &h);
        if (chain_add_header(c, &h, 1800000000, NULL) != CHAIN_OK) abort();
    }
    chain_free(c);
}

static void hash_all(void *arg)
{
    (void)arg;
    uint8_t h[32];
    for (size_t i = 1; i < n_headers; i++) sha256d(headers_file + i * 80, 80, h);
}

/* Regtest headers at the easy target: ~2 tries each. */
static struct wire_header *mine(size_t n)
{
    struct wire_header *out = malloc(n * sizeof *out);
    const struct netparams *np = netparams_get(NET_REGTEST);
    struct wire_header g;
    wire_header_parse(np->genesis_header, &g);
    uint8_t prev[32];
    memcpy(prev, np->genesis_hash, 32);
    for (size_t i = 0; i < n; i++) {
        struct wire_header *h = &out[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, prev, 32);
        memset(h->merkle_root, (int)(i & 0xff), 32);
        h->time = g.time + (uint32_t)((i + 1) * 60); /* 900,000 headers stay in the past */
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, prev);
            if (prev[31] < 0x7f) break;
        }
    }
    return out;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

/* headers.dat as the daemon writes it (checkpoints included). */
static void write_headers_dat(const char *path, const struct wire_header *hs, size_t n)
{
    struct chain *c = chain_new(netparams_get(NET_REGTEST));
    struct headerstore *store;
    struct headerstore_load load;
    if (!c || headerstore_open(path, c, &store, &load) != HEADERSTORE_OK) abort();
    for (size_t i = 0; i < n; i++) {
        const struct chain_entry *e;
        if (chain_add_header(c, &hs[i], 1800000000, &e) != CHAIN_OK ||
            headerstore_append(store, &hs[i], e) != HEADERSTORE_OK)
            abort();
    }
    headerstore_close(store);
    chain_free(c);
}

/* Wait until the file at path contains needle; seconds waited, or -1. */
static double wait_for(const char *path, const char *needle, double timeout_s)
{
    uint64_t start = clock_mono_us();
    static char buf[1 << 20];
    while ((double)(clock_mono_us() - start) / 1e6 < timeout_s) {
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[len] = 0;
        if (strstr(buf, needle)) return (double)(clock_mono_us() - start) / 1e6;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static pid_t spawn(const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    const char *daemon = "./btcpeerd";
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc) daemon = argv[++i];
        if (strcmp(argv[i], "--quick") == 0) quick = true;
    }
    unsigned ms = quick ? 300 : 3000;
    /* Each validation round builds and frees a chain; keep the freed memory
     * in the heap so the rounds measure validation, not the kernel zeroing
     * fresh pages (a running daemon allocates its index once). */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);

    /* 1. validation vs hashing, real headers */
    FILE *f = fopen(BTCPEERD_VECTORS_DIR "/headers/mainnet-0-10236.bin", "rb");
    if (!f) return 1;
    headers_file = malloc(10237 * 80);
    n_headers = fread(headers_file, 80, 10237, f);
    fclose(f);
    /* Interleaved, best of several, in CPU time: a busy machine slows one
     * run, not the comparison. */
    double v = 1e9, h = 1e9, vs = 1e9;
    for (int round = 0; round < 5; round++) {
        double t = bench_run_cpu(validate_all, NULL, ms / 5);
        if (t < v) v = t;
        t = bench_run_cpu(hash_all, NULL, ms / 5);
        if (t < h) h = t;
        t = bench_run_cpu(validate_structs, NULL, ms / 5);
        if (t < vs) vs = t;
    }
    double vps = (double)(n_headers - 1) / v, hps = (double)(n_headers - 1) / h;
    double vsps = (double)(n_headers - 1) / vs;
    printf("validate mainnet headers 1-10,236      %10.0f headers/s\n", vps);
    printf("  sha256d of the same headers          %10.0f headers/s  (validation at %.0f %%)\n", hps,
           100.0 * vps / hps);
    printf("  from structs, no size hint           %10.0f headers/s  (at %.0f %%)\n", vsps,
           100.0 * vsps / hps);

    /* 2. memory with 900,000 headers */
    size_t big = quick ? 100000 : 900000;
    uint64_t t0 = clock_mono_us();
    struct wire_header *hs = mine(big);
    double mine_s = (double)(clock_mono_us() - t0) / 1e6;
    long rss0 = rss_kib();
    struct chain *c = chain_new(netparams_get(NET_REGTEST));
    t0 = clock_mono_us();
    for (size_t i = 0; i < big; i++)
        if (chain_add_header(c, &hs[i], 1800000000, NULL) != CHAIN_OK) return 1;
    double add_s = (double)(clock_mono_us() - t0) / 1e6;
    long rss1 = rss_kib();
    printf("index of %zu headers: %.1f MB index memory (%.0f bytes/header), RSS +%.1f MB; added at %.0f headers/s (mined in %.1f s)\n",
           big, (double)chain_memory(c) / 1e6, (double)chain_memory(c) / (double)big,
           (double)(rss1 - rss0) / 1024.0, (double)big / add_s, mine_s);
    chain_free(c);

    /* 3. headers.dat replay */
    char dir[] = "/tmp/btcpeerd-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256];
    snprintf(path, sizeof path, "%s/headers.dat", dir);
    write_headers_dat(path, hs, big);
    c = chain_new(netparams_get(NET_REGTEST));
    struct headerstore *store;
    struct headerstore_load load;
    t0 = clock_mono_us();
    if (headerstore_open(path, c, &store, &load) != HEADERSTORE_OK) return 1;
    size_t loaded = load.loaded;
    double load_s = (double)(clock_mono_us() - t0) / 1e6;
    printf("headers.dat replay of %zu headers: %.2f s, %.0f headers/s\n", loaded, load_s,
           (double)loaded / load_s);
    headerstore_close(store);
    chain_free(c);

    /* 4. sync of 200,000 headers between two daemons */
    size_t sync_n = quick ? 20000 : 200000;
    char a_dir[160], b_dir[160], a_log[192], b_log[192], cmd[256];
    snprintf(a_dir, sizeof a_dir, "%s/a/regtest", dir);
    snprintf(b_dir, sizeof b_dir, "%s/b", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s", a_dir);
    if (system(cmd) != 0) return 1;
    snprintf(path, sizeof path, "%s/headers.dat", a_dir);
    write_headers_dat(path, hs, sync_n);
    snprintf(a_log, sizeof a_log, "%s/a.log", dir);
    snprintf(b_log, sizeof b_log, "%s/b.log", dir);
    uint16_t port = (uint16_t)(20000 + getpid() % 20000);
    char a_datadir[192], b_datadir[192], port_arg[32], connect[48], a_logarg[224], b_logarg[224];
    snprintf(a_datadir, sizeof a_datadir, "--datadir=%s/a", dir);
    snprintf(b_datadir, sizeof b_datadir, "--datadir=%s", b_dir);
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", port);
    snprintf(a_logarg, sizeof a_logarg, "--log-file=%s", a_log);
    snprintf(b_logarg, sizeof b_logarg, "--log-file=%s", b_log);
    /* No RPC: both would take regtest's port, and the one that loses exits. */
    const char *a_args[] = {daemon, "--network=regtest", "--bind=127.0.0.1", port_arg, "--dnsseed=0",
                            "--max-outbound=0", "--server=0", a_datadir, a_logarg, NULL};
    pid_t a = spawn(a_args);
    if (wait_for(a_log, "started", 60) < 0) return 1;
    const char *b_args[] = {daemon, "--network=regtest", connect, "--server=0", b_datadir, b_logarg,
                            NULL};
    char needle[64];
    snprintf(needle, sizeof needle, "caught up at height %zu", sync_n);
    pid_t b = spawn(b_args);
    double secs = wait_for(b_log, needle, 300);
    printf("sync of %zu headers, btcpeerd to btcpeerd on loopback: %.2f s, %.0f headers/s (incl. start)\n",
           sync_n, secs, secs > 0 ? (double)sync_n / secs : 0.0);
    kill(a, SIGTERM);
    kill(b, SIGTERM);
    waitpid(a, NULL, 0);
    waitpid(b, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    free(hs);
    free(headers_file);
    return 0;
}
