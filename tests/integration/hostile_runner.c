/* Runs hostile-peer cases given as data (hostile_runner.h): start the
 * daemon, take the baseline, then for each step connect, send the frames,
 * run the attack function, and check what must hold; finally the served-peer
 * and RSS check and a clean stop. */
#include "hostile_runner.h"

#include "metrics_client.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>
#include <btcpeerd/sha256.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const uint8_t *hc_magic(void)
{
    return netparams_get(NET_REGTEST)->magic;
}

void hc_fail_with_log(const struct daemon_proc *d, const char *what)
{
    fprintf(stderr, "---- daemon log ----\n%s---- end ----\n", d->log ? d->log : "");
    fail_msg("%s", what);
}

void hc_expect_log(struct daemon_proc *d, const char *needle)
{
    char what[200];
    snprintf(what, sizeof what, "no '%s' in the log", needle);
    if (!daemon_wait_log(d, needle, HC_WAIT_MS)) hc_fail_with_log(d, what);
}

void hc_expect_count(struct daemon_proc *d, const char *needle, size_t n)
{
    hc_expect_count_within(d, needle, n, HC_WAIT_MS);
}

void hc_expect_count_within(struct daemon_proc *d, const char *needle, size_t n,
                            unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (daemon_log_count(d, needle) < n && clock_mono_ms() < deadline)
        daemon_pump(d, 20);
    if (daemon_log_count(d, needle) < n) {
        char what[200];
        snprintf(what, sizeof what, "'%s' %zu times, wanted %zu", needle,
                 daemon_log_count(d, needle), n);
        hc_fail_with_log(d, what);
    }
}

void hc_expect_reason(struct daemon_proc *d, const char *reason)
{
    char needle[64];
    snprintf(needle, sizeof needle, "reason=%s", reason);
    hc_expect_log(d, needle);
}

void hc_expect_pong(struct sp *s, uint64_t nonce)
{
    assert_true(sp_ping_pong(s, nonce, HC_WAIT_MS));
}

void hc_connect_v1(struct hc_run *r, struct sp *s)
{
    assert_true(sp_connect(s, r->port, hc_magic()));
    assert_true(sp_handshake(s, true, NULL, HC_WAIT_MS));
}

void hc_frame_write(struct buf_writer *w, const struct hc_frame *f)
{
    uint8_t hdr[24];
    memcpy(hdr, f->magic ? f->magic : hc_magic(), 4);
    if (f->cmd12) {
        memcpy(hdr + 4, f->cmd12, 12);
    } else {
        memset(hdr + 4, 0, 12);
        memcpy(hdr + 4, f->command, strlen(f->command));
    }
    uint32_t l = f->claimed ? f->claimed : (uint32_t)f->len;
    hdr[16] = (uint8_t)l;
    hdr[17] = (uint8_t)(l >> 8);
    hdr[18] = (uint8_t)(l >> 16);
    hdr[19] = (uint8_t)(l >> 24);
    sha256d_checksum(f->payload ? (const void *)f->payload : (const void *)"", f->len, hdr + 20);
    if (f->bad_checksum) hdr[20] ^= 0x55;
    assert_true(buf_write_bytes(w, hdr, sizeof hdr));
    if (f->len) assert_true(buf_write_bytes(w, f->payload, f->len));
}

void hc_frame_named(struct buf_writer *w, const char *command, const uint8_t *payload, size_t len)
{
    struct hc_frame f = {.command = command, .payload = payload, .len = len};
    hc_frame_write(w, &f);
}

void hc_frame_getdata_50000(struct buf_writer *w)
{
    struct wire_inv_entry *entries = calloc(WIRE_MAX_INV, sizeof *entries);
    assert_non_null(entries);
    struct wire_msg getdata = {.type = WIRE_GETDATA,
                               .u.inv = {.count = WIRE_MAX_INV, .entries = entries}};
    struct buf_writer payload;
    buf_writer_init(&payload);
    assert_int_equal(wire_encode(&getdata, &payload), WIRE_OK);
    hc_frame_named(w, "getdata", payload.data, payload.len);
    buf_writer_free(&payload);
    free(entries);
}

size_t hc_send_until_closed(struct sp *s, const uint8_t *data, size_t len, unsigned timeout_ms)
{
    size_t off = 0;
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (off < len && clock_mono_ms() < deadline) {
        ssize_t n = send(s->fd, data + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd p = {.fd = s->fd, .events = POLLOUT};
            (void)poll(&p, 1, 50); /* until the daemon reads some, or a hang-guard turn */
        } else {
            break; /* reset or closed */
        }
    }
    return off;
}

/* ---- one step ---- */

static void step_fail(struct hc_run *r, const struct hc_step *st, const char *what)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s, step '%s': %s", r->hc->test, st->what ? st->what : "?", what);
    hc_fail_with_log(&r->d, msg);
}

static void step_connect(struct hc_run *r, const struct hc_step *st)
{
    if (st->conn == HC_OWN) return;
    if (st->conn == HC_SAME) {
        if (!r->open) step_fail(r, st, "no connection to go on with");
        return;
    }
    if (r->open) sp_close(&r->s);
    r->open = false;
    if (!sp_connect(&r->s, r->port, hc_magic())) step_fail(r, st, "cannot connect");
    r->open = true;
    if (st->conn == HC_V1 && !sp_handshake(&r->s, true, NULL, HC_WAIT_MS))
        step_fail(r, st, "no handshake");
}

static void reason_needle(const struct hc_step *st, char *out, size_t cap)
{
    if (st->state)
        snprintf(out, cap, "state=%s reason=%s", st->state, st->reason);
    else
        snprintf(out, cap, "reason=%s", st->reason);
}

/* A byte at a time, round and round, until the reason shows in the log
 * written since mark or the daemon stops taking bytes. */
static void step_dribble(struct hc_run *r, const struct hc_step *st, const uint8_t *data,
                         size_t len, size_t mark)
{
    char needle[96] = "";
    if (st->reason) reason_needle(st, needle, sizeof needle);
    uint64_t deadline = clock_mono_ms() + 2 * HC_WAIT_MS; /* hang guard */
    for (size_t i = 0; (!*needle || !strstr(r->d.log + mark, needle)) && clock_mono_ms() < deadline;
         i++) {
        if (!sp_send_raw(&r->s, data + i % len, 1)) break;
        daemon_pump(&r->d, st->dribble_ms); /* the pace, reading the log meanwhile */
    }
}

static void step_send_frames(struct hc_run *r, const struct hc_step *st, size_t mark)
{
    struct buf_writer w;
    buf_writer_init(&w);
    for (size_t i = 0; i < HC_MAX_FRAMES && (st->frames[i].command || st->frames[i].cmd12); i++) {
        unsigned times = st->frames[i].repeat ? st->frames[i].repeat : 1;
        for (unsigned k = 0; k < times; k++)
            hc_frame_write(&w, &st->frames[i]);
    }
    if (w.len && st->dribble_ms)
        step_dribble(r, st, w.data, w.len, mark);
    else if (w.len && !sp_send_raw(&r->s, w.data, w.len))
        step_fail(r, st, "the frames could not be sent");
    buf_writer_free(&w);
}

static void step_check_never(struct hc_run *r, const struct hc_step *st, size_t mark)
{
    if (st->never && strstr(r->d.log + mark, st->never)) {
        char what[160];
        snprintf(what, sizeof what, "'%s' was logged", st->never);
        step_fail(r, st, what);
    }
}

/* The disconnect counter for the step's reason; -1 if it counts none. */
static double counted(struct hc_run *r, const struct hc_step *st, char *series, size_t cap)
{
    if (!st->reason || st->at_accept) return -1;
    snprintf(series, cap, "btcpeerd_peer_disconnects_total{reason=\"%s\"}", st->reason);
    char *text = metrics_scrape(r->metrics_port);
    double v = metrics_value(text, series);
    free(text);
    return v;
}

static void expect_counted(struct hc_run *r, const struct hc_step *st, const char *series,
                           double before)
{
    char *text = metrics_scrape_until(r->metrics_port, series, before + 1);
    double v = metrics_value(text, series);
    free(text);
    if (v < before + 1) {
        char what[200];
        snprintf(what, sizeof what, "%s is %.0f, wanted %.0f", series, v, before + 1);
        step_fail(r, st, what);
    }
}

void hc_run_step(struct hc_run *r, const struct hc_step *st)
{
    char reason[96] = "", series[128];
    if (st->reason) reason_needle(st, reason, sizeof reason);
    double disconnects = counted(r, st, series, sizeof series);
    size_t reasons_before = st->reason ? daemon_log_count(&r->d, reason) : 0;
    size_t before[HC_MAX_COUNTS] = {0};
    for (size_t i = 0; i < HC_MAX_COUNTS && st->counts[i].token; i++)
        before[i] = daemon_log_count(&r->d, st->counts[i].token);
    size_t mark = r->d.log_len;

    step_connect(r, st);
    step_send_frames(r, st, mark);
    if (st->attack) st->attack(r);

    if (st->after == HC_CLOSED && !sp_wait_closed(&r->s, HC_WAIT_MS))
        step_fail(r, st, "not disconnected");
    if (st->after == HC_ANSWERS_PING) hc_expect_pong(&r->s, 0xabcdef);
    if (st->reason) hc_expect_count(&r->d, reason, reasons_before + 1);
    if (disconnects >= 0) expect_counted(r, st, series, disconnects);
    for (size_t i = 0; i < HC_MAX_COUNTS && st->counts[i].token; i++) {
        const struct hc_count *c = &st->counts[i];
        hc_expect_count(&r->d, c->token, before[i] + c->n);
        size_t got = daemon_log_count(&r->d, c->token) - before[i];
        if (c->exact && got != c->n) {
            char what[160];
            snprintf(what, sizeof what, "'%s' %zu more times, wanted exactly %zu", c->token, got,
                     c->n);
            step_fail(r, st, what);
        }
    }
    step_check_never(r, st, mark);
}

/* ---- one case ---- */

static void run_case(void **state)
{
    const struct hostile_case *hc = *state;
    static struct hc_run run; /* static: a failed assertion leaves nothing allocated */
    struct hc_run *r = &run;
    memset(r, 0, sizeof *r);
    r->hc = hc;
    const char *opts[HC_MAX_OPTS + 2] = {"--metrics-bind=127.0.0.1:0"};
    for (size_t i = 0; i < HC_MAX_OPTS && hc->opts[i]; i++)
        opts[i + 1] = hc->opts[i];
    r->port = daemon_start_listening(&r->d, opts);
    if (!r->port) fail_msg("daemon did not come up:\n%s", r->d.log ? r->d.log : "");
    r->metrics_port = metrics_port(&r->d);
    if (hc->aftermath) aftermath_baseline(&r->d, r->port, &r->mark);
    for (size_t i = 0; i < HC_MAX_STEPS && hc->steps[i].what; i++)
        hc_run_step(r, &hc->steps[i]);
    if (r->open) sp_close(&r->s);
    r->open = false;
    if (hc->aftermath) aftermath_check(&r->d, r->port, &r->mark, hc->label);
    assert_int_equal(daemon_stop(&r->d, SIGTERM, HC_WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

void hostile_tests(const struct hostile_case *cases, size_t n, struct CMUnitTest *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct CMUnitTest){
            .name = cases[i].test, .test_func = run_case, .initial_state = (void *)&cases[i]};
}

int hostile_run_group(const struct CMUnitTest *tests, size_t n)
{
    if (getenv("HOSTILE_ONLY")) cmocka_set_test_filter(getenv("HOSTILE_ONLY"));
    return test_exit_status(_cmocka_run_group_tests("tests", tests, n, NULL, NULL));
}
