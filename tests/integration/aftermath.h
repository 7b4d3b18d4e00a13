/* What every hostile-peer test checks after the attack: the daemon still
 * serves a well-behaved peer (a fresh connection: handshake, then a ping
 * answered with its nonce), and its resident memory is back near the
 * baseline taken before the attack (VmRSS from /proc/<pid>/status).
 *
 * The RSS check is skipped where RSS says nothing about our heap: under a
 * BTCPEERD_TEST_WRAPPER (valgrind keeps its own heap) and in AddressSanitizer
 * builds (freed memory sits in ASan's quarantine, 256 MB by default, on
 * purpose). ASan and valgrind find leaks themselves. */
#ifndef BTCPEERD_TEST_AFTERMATH_H
#define BTCPEERD_TEST_AFTERMATH_H

#include "harness.h"

#include <stdbool.h>
#include <stdint.h>

/* Tolerance over the baseline, and why: glibc keeps freed memory in its
 * arenas rather than returning every page (a freed 4 MB payload raises the
 * dynamic mmap threshold, so the next one comes from the heap and the top
 * of the heap is trimmed only past twice that); libevent keeps its evbuffer
 * chains' last allocation. 8 MiB is two maximum-size messages: far below
 * what any unbounded growth in these tests would leave (tens to hundreds of
 * MB), far above what allocator slack leaves. */
#define AFTERMATH_RSS_TOLERANCE_KB (8L * 1024)

struct rss_mark {
    bool valid;     /* false: the check is skipped (wrapper, ASan, no /proc) */
    long rss_kb;    /* VmRSS at the baseline */
    long hwm_kb;    /* VmHWM at the baseline */
    uint64_t t_ms;  /* when the baseline was taken */
};

/* A "VmRSS"/"VmHWM"/... field of /proc/<pid>/status in kB; -1 if absent. */
long proc_status_kb(pid_t pid, const char *field);
/* Does RSS mean anything in this build and run? */
bool rss_check_meaningful(void);

/* A well-behaved peer from from_ip (127.x.y.z; NULL = 127.0.0.1):
 * handshake, ping, the pong with our nonce. Fails the test otherwise. */
void assert_serves_peer(struct daemon_proc *d, uint16_t port, const char *from_ip);

/* Warm the daemon up with one well-behaved peer (so lazily allocated
 * structures exist), then record its RSS. */
void aftermath_baseline(struct daemon_proc *d, uint16_t port, struct rss_mark *m);

/* After the attack: a well-behaved peer from 127.0.0.2 (the attacker, on
 * 127.0.0.1, may be banned) is served, and RSS settles to within the
 * tolerance of the baseline (polled with a deadline: the daemon frees a
 * dead peer on its next loop turn). Prints the figures for the record. */
void aftermath_check(struct daemon_proc *d, uint16_t port, const struct rss_mark *m,
                     const char *case_name);

#endif
