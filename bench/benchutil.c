/* Benchmark timing on the monotonic clock. */
#include "benchutil.h"

#include <btcpeerd/clock.h>

#include <stdio.h>
#include <time.h>

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
