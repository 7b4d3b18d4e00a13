/* Headers presync end to end (issue 13 item 2): inbound scripted peers feed
 * a btcpeerd started with --minimumchainwork a 200,000-header regtest chain
 * whose work stays below it. The daemon asks for all of it (presync), and
 * stores none of it: headers.dat keeps its size and its resident memory
 * stays within 2 MiB of what it was before, for one peer and for two at
 * once. Then a chain with more work than the minimum is presynced,
 * redownloaded and stored whole.
 *
 * Regtest headers carry 2 units of work each (nBits 0x207fffff), genesis
 * too: a chain of n headers has 2(n + 1). The minimum is set at 404,002
 * (the work of 202,000 headers), so the 200,000-header chain (400,002)
 * falls short and a 203,000-header chain passes it near its end. */
#include "aftermath.h"
#include "harness.h"
#include "header_chain.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAIT_MS 120000
#define LOW_HEADERS 200000
#define HIGH_HEADERS 203000
#define MIN_WORK_ARG "--minimumchainwork=0x62a22" /* 404,002 */
#define RSS_LIMIT_KB 2048L

static const uint8_t *magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

/* The daemon's allocator must give memory back for its RSS to mean
 * anything: under AddressSanitizer, freed blocks wait in a 256 MB
 * quarantine (to catch use after free), so every message parsed and freed
 * would show as growth. The daemon of this test runs without one, and
 * with its free pages returned to the kernel every 100 ms. */
static void daemon_without_quarantine(void)
{
    const char *old = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0:"
             "allocator_release_to_os_interval_ms=100",
             old ? old : "", old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

static uint16_t start_daemon_with(struct daemon_proc *d, const char *min_work_arg)
{
    daemon_without_quarantine();
    const char *extra[] = {min_work_arg, "--max-outbound=0", "--dnsseed=0", NULL};
    uint16_t port = daemon_start_listening(d, extra);
    if (!port) fail_msg("daemon did not start:\n%s", d->log);
    return port;
}

static uint16_t start_daemon(struct daemon_proc *d)
{
    return start_daemon_with(d, MIN_WORK_ARG);
}

static long headers_dat_size(const struct daemon_proc *d)
{
    char path[256];
    snprintf(path, sizeof path, "%s/data/regtest/headers.dat", d->datadir);
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A field of /proc/<pid>/smaps_rollup in kB (0 if absent). */
static long smaps_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = strlen(field);
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* VmRSS less the transparent huge pages. The header index asks for huge
 * pages for its 2 MiB chunks (src/node/chain.c), and the kernel's
 * khugepaged may fill the first one, which holds only genesis here, at any
 * moment: +2,044 kB at a time the test cannot choose. Nothing presync
 * allocates is in such a region (THP is "madvise" or off on the machines
 * we run on; the test prints the huge pages it left out). Stored headers
 * would still show: the index's hash table is not in those chunks (the
 * base commit grew by 13.5 MB by this measure), and headers.dat and the
 * log are checked as well. */
static long rss_kb(const struct daemon_proc *d)
{
    long kb = proc_status_kb(d->pid, "VmRSS");
    assert_true(kb > 0);
    return kb - smaps_kb(d->pid, "AnonHugePages");
}

/* RSS once it has settled within the limit of base (the allocator hands
 * pages back on its own schedule; a deadline guards the wait), or the
 * last reading if it never does. */
static long settled_rss_kb(struct daemon_proc *d, long base)
{
    uint64_t deadline = clock_mono_ms() + 10000;
    long kb = rss_kb(d);
    while (kb - base > RSS_LIMIT_KB && clock_mono_ms() < deadline) {
        daemon_pump(d, 100);
        kb = rss_kb(d);
    }
    return kb;
}

/* An inbound attacker: connects, handshakes, sends the chain's first
 * 2,000 headers unasked, then answers every getheaders until the daemon
 * stops asking. */
struct feeder {
    uint16_t port;
    const struct header_chain *chain;
    struct sp s;
    bool connected;
    size_t served;
};

static bool feeder_open(struct feeder *f)
{
    f->connected = sp_connect(&f->s, f->port, magic()) && sp_handshake(&f->s, true, NULL, WAIT_MS);
    return f->connected;
}

static void *feeder_run(void *arg)
{
    struct feeder *f = arg;
    struct wire_msg first = {.type = WIRE_HEADERS,
                             .u.headers = {.count = WIRE_MAX_HEADERS, .headers = f->chain->headers + 1}};
    if (!sp_send(&f->s, &first)) return NULL;
    f->served = 1 + header_chain_serve(&f->s, f->chain, 500, WAIT_MS);
    return NULL;
}

static void test_low_work_chain_is_not_stored_then_enough_work_is(void **state)
{
    (void)state;
    struct header_chain low, high;
    header_chain_make_seeded(&low, LOW_HEADERS, 0, 1);
    header_chain_make_seeded(&high, HIGH_HEADERS, 0, 2);

    struct daemon_proc d;
    uint16_t port = start_daemon(&d);
    long rss_start = rss_kb(&d);

    /* Warm-up: a first presync of 20,000 of those headers, so the daemon's
     * buffers for 2,000-header messages (socket input, framing, decoded
     * message, one presync), OpenSSL's SipHash and the allocator's size
     * classes exist before the baseline. What is bounded stays at that
     * level whatever the chain's length; what is not grows with it (the
     * base commit: +34.6 MB and 16 MB of headers.dat for 200,000). */
    struct header_chain warm = low;
    warm.count = 20001;
    struct feeder w = {.port = port, .chain = &warm};
    assert_true(feeder_open(&w));
    feeder_run(&w);
    assert_true(daemon_wait_log(&d, "headers presync dropped at height 20000", WAIT_MS));
    sp_close(&w.s);

    struct feeder a = {.port = port, .chain = &low};
    assert_true(feeder_open(&a));
    long dat0 = headers_dat_size(&d), rss0 = rss_kb(&d);
    fprintf(stderr, "[presync] RSS at start %ld kB, after the warm-up %ld kB (huge pages left out: %ld kB)\n",
            rss_start, rss0, smaps_kb(d.pid, "AnonHugePages"));

    /* One peer, the whole low-work chain: 100 full messages, then an
     * empty one (it has nothing after 200,000). */
    feeder_run(&a);
    if (!daemon_wait_log(&d, "headers presync dropped at height 200000", WAIT_MS))
        fail_msg("no presync to the end of the chain:\n%s", d.log + (d.log_len > 6000 ? d.log_len - 6000 : 0));
    assert_int_equal(a.served, LOW_HEADERS / WIRE_MAX_HEADERS + 1);
    long rss1 = settled_rss_kb(&d, rss0), dat1 = headers_dat_size(&d);
    fprintf(stderr, "[presync] one peer, %d low-work headers: RSS %ld → %ld kB, headers.dat %ld → %ld B\n",
            LOW_HEADERS, rss0, rss1, dat0, dat1);
    assert_int_equal(dat1, dat0);
    assert_true(rss1 - rss0 <= RSS_LIMIT_KB);
    assert_non_null(strstr(d.log, "Pre-synchronizing blockheaders, height: "));
    assert_null(strstr(d.log, "new best header"));
    assert_int_equal(daemon_log_count(&d, "presync-failed"), 0);
    assert_int_equal(daemon_log_count(&d, "misbehaving"), 0);
    sp_close(&a.s);

    /* Two peers at once, each its own presync of the same chain. */
    struct feeder b = {.port = port, .chain = &low}, c = {.port = port, .chain = &low};
    assert_true(feeder_open(&b));
    assert_true(feeder_open(&c));
    pthread_t tb;
    assert_int_equal(pthread_create(&tb, NULL, feeder_run, &b), 0);
    feeder_run(&c);
    assert_int_equal(pthread_join(tb, NULL), 0);
    uint64_t deadline = clock_mono_ms() + WAIT_MS;
    while (daemon_log_count(&d, "headers presync dropped at height 200000") < 3 && clock_mono_ms() < deadline)
        daemon_pump(&d, 50);
    assert_int_equal(daemon_log_count(&d, "headers presync dropped at height 200000"), 3);
    assert_int_equal(b.served, LOW_HEADERS / WIRE_MAX_HEADERS + 1);
    assert_int_equal(c.served, LOW_HEADERS / WIRE_MAX_HEADERS + 1);
    long rss2 = settled_rss_kb(&d, rss0), dat2 = headers_dat_size(&d);
    fprintf(stderr, "[presync] two peers at once: RSS %ld → %ld kB, headers.dat %ld → %ld B\n", rss0,
            rss2, dat0, dat2);
    assert_int_equal(dat2, dat0);
    assert_true(rss2 - rss0 <= RSS_LIMIT_KB);
    assert_null(strstr(d.log, "new best header"));
    sp_close(&b.s);
    sp_close(&c.s);

    /* A chain with more work than the minimum: presynced, redownloaded,
     * and stored whole. */
    struct feeder h = {.port = port, .chain = &high};
    assert_true(feeder_open(&h));
    feeder_run(&h);
    if (!daemon_wait_log(&d, "headers presync complete at height", WAIT_MS))
        fail_msg("the high-work chain was not accepted:\n%s", d.log + (d.log_len > 6000 ? d.log_len - 6000 : 0));
    char needle[64];
    snprintf(needle, sizeof needle, "height=%d", HIGH_HEADERS);
    if (!daemon_wait_log(&d, needle, WAIT_MS)) fail_msg("no best header at %d", HIGH_HEADERS);
    assert_non_null(strstr(d.log, "headers presync reached the minimum chain work at height 202000"));
    long dat3 = headers_dat_size(&d);
    fprintf(stderr, "[presync] high-work chain: headers.dat %ld → %ld B\n", dat0, dat3);
    assert_true(dat3 >= dat0 + (long)HIGH_HEADERS * 80);
    sp_close(&h.s);

    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&low);
    header_chain_free(&high);
}

/* The peer announces a new block (one header, as after sendheaders) while
 * we presync its chain: the announcement is dropped, the presync goes on
 * to the end of the chain, and the peer is neither dropped nor punished. */
static void test_announcement_during_presync_keeps_it(void **state)
{
    (void)state;
    struct header_chain c;
    header_chain_make_seeded(&c, 20000, 0, 3);
    struct daemon_proc d;
    uint16_t port = start_daemon(&d);
    struct sp s;
    assert_true(sp_connect(&s, port, magic()) && sp_handshake(&s, true, NULL, WAIT_MS));
    struct wire_msg first = {.type = WIRE_HEADERS,
                             .u.headers = {.count = WIRE_MAX_HEADERS, .headers = c.headers + 1}};
    assert_true(sp_send(&s, &first));
    size_t served = 1;
    bool announced = false;
    for (;;) {
        struct wire_msg m;
        assert_int_equal(sp_recv(&s, &m, WAIT_MS), SP_FRAME);
        if (m.type != WIRE_GETHEADERS) {
            wire_msg_free(&m);
            continue;
        }
        size_t from = 0;
        while (from < c.count && memcmp(c.hashes[from], m.u.locator.hashes[0], 32) != 0) from++;
        wire_msg_free(&m);
        assert_true(from < c.count);
        if (!announced && from >= 6000) {
            /* the tip of the chain, which the daemon has not seen yet */
            struct wire_msg ann = {.type = WIRE_HEADERS,
                                   .u.headers = {.count = 1, .headers = c.headers + c.count - 1}};
            assert_true(sp_send(&s, &ann));
            announced = true;
        }
        size_t n = c.count - 1 - from < WIRE_MAX_HEADERS ? c.count - 1 - from : WIRE_MAX_HEADERS;
        struct wire_msg reply = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = c.headers + from + 1}};
        assert_true(sp_send(&s, &reply));
        served++;
        if (n == 0) break;
    }
    assert_true(announced);
    assert_int_equal(served, 20000 / WIRE_MAX_HEADERS + 1);
    assert_true(daemon_wait_log(&d, "headers presync dropped at height 20000", WAIT_MS));
    assert_true(daemon_wait_log(&d, "1 headers not continuing its presync: ignored", WAIT_MS));
    assert_int_equal(daemon_log_count(&d, "presync-failed"), 0);
    assert_int_equal(daemon_log_count(&d, "misbehaving"), 0);
    sp_close(&s);
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&c);
}

/* A peer that presyncs one chain and redownloads another: the commitments
 * do not match (64 of them are checked before the work is reached: each
 * matches by chance with probability 1/2), the peer is disconnected with
 * reason presync-failed, not banned, and nothing is stored. */
static void test_redownload_of_another_chain_disconnects_unpunished(void **state)
{
    (void)state;
    struct header_chain a, b;
    header_chain_make_seeded(&a, 42000, 0, 4);
    header_chain_make_seeded(&b, 42000, 0, 5);
    struct daemon_proc d;
    /* 80,002: the work of genesis and 40,000 headers */
    uint16_t port = start_daemon_with(&d, "--minimumchainwork=0x13882");
    struct sp s;
    assert_true(sp_connect(&s, port, magic()) && sp_handshake(&s, true, NULL, WAIT_MS));
    long dat0 = headers_dat_size(&d);
    struct wire_msg first = {.type = WIRE_HEADERS,
                             .u.headers = {.count = WIRE_MAX_HEADERS, .headers = a.headers + 1}};
    assert_true(sp_send(&s, &first));
    bool redownload = false;
    for (;;) {
        struct wire_msg m;
        enum sp_result r = sp_recv(&s, &m, WAIT_MS);
        if (r == SP_CLOSED) break;
        assert_int_equal(r, SP_FRAME);
        if (m.type != WIRE_GETHEADERS) {
            wire_msg_free(&m);
            continue;
        }
        /* A locator headed by genesis is the redownload: serve b from then on. */
        if (memcmp(m.u.locator.hashes[0], a.hashes[0], 32) == 0) redownload = true;
        const struct header_chain *c = redownload ? &b : &a;
        size_t from = 0;
        while (from < c->count && memcmp(c->hashes[from], m.u.locator.hashes[0], 32) != 0) from++;
        wire_msg_free(&m);
        assert_true(from < c->count);
        size_t n = c->count - 1 - from < WIRE_MAX_HEADERS ? c->count - 1 - from : WIRE_MAX_HEADERS;
        struct wire_msg reply = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = c->headers + from + 1}};
        if (!sp_send(&s, &reply)) break;
    }
    assert_true(redownload);
    assert_true(daemon_wait_log(&d, "reason=presync-failed", WAIT_MS));
    assert_non_null(strstr(d.log, "commitment-mismatch"));
    assert_null(strstr(d.log, "misbehaving"));
    assert_null(strstr(d.log, "banned"));
    assert_int_equal(headers_dat_size(&d), dat0);
    sp_close(&s);
    /* not banned: the same address is served again */
    assert_serves_peer(&d, port, "127.0.0.1");
    assert_int_equal(daemon_stop(&d, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&d);
    header_chain_free(&a);
    header_chain_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_low_work_chain_is_not_stored_then_enough_work_is),
        cmocka_unit_test(test_announcement_during_presync_keeps_it),
        cmocka_unit_test(test_redownload_of_another_chain_disconnects_unpunished),
    };
    return test_run_group(tests);
}
