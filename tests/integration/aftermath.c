/* The after-attack checks shared by the hostile-peer tests. */
#include "aftermath.h"

#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE_WAIT_MS 5000
#define RSS_SETTLE_MS 3000

#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILT_WITH_ASAN 1
#endif
#endif
#ifndef BUILT_WITH_ASAN
#define BUILT_WITH_ASAN 0
#endif

long proc_status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = strlen(field);
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

bool rss_check_meaningful(void)
{
    const char *w = getenv("BTCPEERD_TEST_WRAPPER");
    return !BUILT_WITH_ASAN && !(w && *w);
}

void assert_serves_peer(struct daemon_proc *d, uint16_t port, const char *from_ip)
{
    const uint8_t *magic = netparams_get(NET_REGTEST)->magic;
    struct sp s;
    bool up = from_ip ? sp_connect_from(&s, from_ip, port, magic) : sp_connect(&s, port, magic);
    if (!up) fail_msg("cannot connect to the daemon after the attack:\n%s", d->log);
    if (!sp_handshake(&s, true, NULL, SERVE_WAIT_MS))
        fail_msg("no handshake with a well-behaved peer after the attack:\n%s", d->log);
    struct wire_msg ping = {.type = WIRE_PING, .u.ping.nonce = 0x5eed0fa11u};
    assert_true(sp_send(&s, &ping));
    struct wire_msg pong;
    if (!sp_expect(&s, WIRE_PONG, &pong, SERVE_WAIT_MS))
        fail_msg("no pong for a well-behaved peer after the attack:\n%s", d->log);
    assert_true(pong.u.ping.nonce == 0x5eed0fa11u);
    sp_close(&s);
}

void aftermath_baseline(struct daemon_proc *d, uint16_t port, struct rss_mark *m)
{
    memset(m, 0, sizeof *m);
    assert_serves_peer(d, port, "127.0.0.3");
    /* its departure logged, so that tests may look at the log from here on */
    if (!daemon_wait_log(d, "disconnected addr=127.0.0.3:", SERVE_WAIT_MS))
        fail_msg("the warm-up peer's disconnect was not logged:\n%s", d->log);
    m->t_ms = clock_mono_ms();
    if (!rss_check_meaningful()) return;
    m->rss_kb = proc_status_kb(d->pid, "VmRSS");
    m->hwm_kb = proc_status_kb(d->pid, "VmHWM");
    m->valid = m->rss_kb > 0;
}

void aftermath_check(struct daemon_proc *d, uint16_t port, const struct rss_mark *m,
                     const char *case_name)
{
    assert_serves_peer(d, port, "127.0.0.2");
    if (!m->valid) {
        fprintf(stderr, "[aftermath] %s: served after the attack; RSS check skipped (%s)\n",
                case_name, BUILT_WITH_ASAN ? "ASan build" : "wrapper or no /proc");
        return;
    }
    uint64_t deadline = clock_mono_ms() + RSS_SETTLE_MS;
    long rss;
    for (;;) {
        rss = proc_status_kb(d->pid, "VmRSS");
        if (rss >= 0 && rss <= m->rss_kb + AFTERMATH_RSS_TOLERANCE_KB) break;
        if (clock_mono_ms() >= deadline) break;
        daemon_pump(d, 20); /* waits a little, reads the log meanwhile */
    }
    long hwm = proc_status_kb(d->pid, "VmHWM");
    fprintf(stderr, "[aftermath] %s: RSS before=%ld kB peak=%ld kB after=%ld kB (tolerance %ld kB)\n",
            case_name, m->rss_kb, hwm, rss, AFTERMATH_RSS_TOLERANCE_KB);
    if (rss < 0 || rss > m->rss_kb + AFTERMATH_RSS_TOLERANCE_KB)
        fail_msg("%s: RSS %ld kB did not return to the baseline %ld kB (+%ld)", case_name, rss,
                 m->rss_kb, AFTERMATH_RSS_TOLERANCE_KB);
}
