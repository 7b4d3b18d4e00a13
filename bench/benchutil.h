/* Shared benchmark helpers: timing and throughput reporting. */
#ifndef BTCPEERD_BENCHUTIL_H
#define BTCPEERD_BENCHUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Run fn(arg) repeatedly for at least min_ms of wall time (after one warm-up
 * call); return seconds per call. */
double bench_run(void (*fn)(void *), void *arg, unsigned min_ms);
/* The same in this thread's CPU time: for ratios of two runs on a busy
 * machine, where wall time also counts other processes' turns. */
double bench_run_cpu(void (*fn)(void *), void *arg, unsigned min_ms);
/* Print "<name>: <MB/s> MB/s (<ns> ns/op, <bytes> bytes/op)". */
void bench_report_mbps(const char *name, size_t bytes_per_op, double secs_per_op);

/* A process's own accounting, so a client's speed never enters a figure:
 * CPU time in ns from /proc/PID/schedstat (the scheduler's, not 10 ms
 * ticks), RSS in KiB from /proc/PID/status; 0 if unreadable. */
uint64_t bench_proc_cpu_ns(pid_t pid);
uint64_t bench_proc_rss_kib(pid_t pid);
/* A loopback TCP port free right now (bind to 0, read it back). */
uint16_t bench_free_port(void);
void bench_sleep_ms(unsigned ms);
/* Poll until something accepts TCP connections at addr, at most timeout_ms;
 * false if nothing did. */
struct sockaddr_in;
bool bench_wait_listening(const struct sockaddr_in *addr, unsigned timeout_ms);

#endif
