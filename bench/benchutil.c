/* Benchmark timing on the monotonic clock. */
#include "benchutil.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double bench_run(void (*fn)(void *), void *arg, unsigned min_ms)
{
    fn(arg);
    uint64_t start = clock_mono_us(), now;
    uint64_t iters = 0;
    do {
        fn(arg);
        iters++;
        now = clock_mono_us();
    } while (now - start < (uint64_t)min_ms * 1000u);
    return (double)(now - start) / 1e6 / (double)iters;
}

static uint64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

double bench_run_cpu(void (*fn)(void *), void *arg, unsigned min_ms)
{
    fn(arg);
    uint64_t start = thread_cpu_us(), now;
    uint64_t iters = 0;
    do {
        fn(arg);
        iters++;
        now = thread_cpu_us();
    } while (now - start < (uint64_t)min_ms * 1000u);
    return (double)(now - start) / 1e6 / (double)iters;
}

void bench_report_mbps(const char *name, size_t bytes_per_op, double secs_per_op)
{
    printf("%-40s %9.1f MB/s  (%10.0f ns/op, %zu bytes/op)\n", name,
           (double)bytes_per_op / secs_per_op / 1e6, secs_per_op * 1e9, bytes_per_op);
}

uint64_t bench_proc_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long ns = 0;
    if (f) {
        if (fscanf(f, "%llu", &ns) != 1) ns = 0;
        fclose(f);
    }
    return ns;
}

uint64_t bench_proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

uint16_t bench_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0) return 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        sa.sin_port = 0;
    close(fd);
    return ntohs(sa.sin_port);
}

void bench_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

bool bench_wait_listening(const struct sockaddr_in *addr, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        bool ok = fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0;
        if (fd >= 0) close(fd);
        if (ok) return true;
        if (clock_mono_ms() > deadline) return false;
        bench_sleep_ms(20);
    }
}
