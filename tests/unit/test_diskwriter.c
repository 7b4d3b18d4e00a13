/* The disk writer thread: jobs run off the loop thread, one at a time and
 * in order; their done callbacks come back on the loop thread, in order,
 * through the event loop; the loop keeps turning while a job is stuck; and
 * drain and free wait for every job, including those a done callback
 * submits. A stuck job is a job blocked reading a pipe the test holds, so
 * nothing here depends on timing. */
#include "testutil.h"

#include "node/diskwriter.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_JOBS 16

struct log {
    int ran[MAX_JOBS], n_ran;   /* written by the writer thread, one job at a time */
    int done[MAX_JOBS], n_done; /* loop thread */
};

struct test_job {
    struct diskwriter_job job;
    struct log *log;
    int id;
    pthread_t loop_thread;
    bool ran_elsewhere;       /* run saw a thread other than the loop's */
    bool done_on_loop;        /* done saw the loop's */
    int hold_fd;              /* >= 0: run waits for a byte here */
    struct diskwriter *again; /* done submits one more job here */
    struct test_job *next_job;
};

static void job_run(struct diskwriter_job *job)
{
    struct test_job *t = (struct test_job *)job;
    t->ran_elsewhere = !pthread_equal(pthread_self(), t->loop_thread);
    if (t->hold_fd >= 0) { /* no cmocka assertion on this thread */
        char c;
        while (read(t->hold_fd, &c, 1) < 0) {
        }
    }
    t->log->ran[t->log->n_ran++] = t->id;
}

static void job_done(struct diskwriter_job *job)
{
    struct test_job *t = (struct test_job *)job;
    t->done_on_loop = pthread_equal(pthread_self(), t->loop_thread);
    t->log->done[t->log->n_done++] = t->id;
    if (t->again) diskwriter_submit(t->again, &t->next_job->job);
}

static void init_job(struct test_job *t, struct log *log, int id)
{
    memset(t, 0, sizeof *t);
    t->job.run = job_run;
    t->job.done = job_done;
    t->log = log;
    t->id = id;
    t->loop_thread = pthread_self();
    t->hold_fd = -1;
}

/* Loop turns until n done callbacks ran (a hang guard, not a timer). */
static void loop_until_done(struct event_base *base, struct log *log, int n)
{
    for (int turns = 0; log->n_done < n; turns++) {
        assert_true(turns < 1000000);
        event_base_loop(base, EVLOOP_ONCE);
    }
}

static void test_jobs_run_elsewhere_and_come_back_in_order(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct diskwriter *dw = diskwriter_new(base);
    assert_non_null(dw);
    struct log log = {0};
    struct test_job jobs[5];
    for (int i = 0; i < 5; i++) {
        init_job(&jobs[i], &log, i);
        diskwriter_submit(dw, &jobs[i].job);
    }
    assert_int_equal(diskwriter_pending(dw), 5);
    loop_until_done(base, &log, 5);
    assert_int_equal(diskwriter_pending(dw), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(log.ran[i], i);
        assert_int_equal(log.done[i], i);
        assert_true(jobs[i].ran_elsewhere);
        assert_true(jobs[i].done_on_loop);
    }
    diskwriter_free(dw);
    event_base_free(base);
}

struct ticker {
    int count;
    struct event *ev;
};

/* Once per loop turn (a zero timeout does not persist: it re-adds itself). */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ticker *t = arg;
    t->count++;
    static const struct timeval zero = {0, 0};
    event_add(t->ev, &zero);
}

/* A job stuck in the disk does not stop the loop: events keep firing, and
 * its done callback waits until it is let go. */
static void test_loop_turns_while_a_job_is_stuck(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct diskwriter *dw = diskwriter_new(base);
    int hold[2];
    assert_int_equal(pipe(hold), 0);
    struct log log = {0};
    struct test_job stuck, behind;
    init_job(&stuck, &log, 1);
    stuck.hold_fd = hold[0];
    init_job(&behind, &log, 2);
    diskwriter_submit(dw, &stuck.job);
    diskwriter_submit(dw, &behind.job);

    struct ticker t = {0};
    struct event *tick = evtimer_new(base, on_tick, &t);
    t.ev = tick;
    struct timeval zero = {0, 0};
    event_add(tick, &zero);
    for (int i = 0; i < 100; i++) event_base_loop(base, EVLOOP_ONCE);
    assert_true(t.count >= 100);
    assert_int_equal(log.n_done, 0);
    assert_int_equal(diskwriter_pending(dw), 2);

    assert_int_equal(write(hold[1], "x", 1), 1);
    event_del(tick);
    loop_until_done(base, &log, 2);
    assert_int_equal(log.done[0], 1);
    assert_int_equal(log.done[1], 2);
    event_free(tick);
    diskwriter_free(dw);
    event_base_free(base);
    close(hold[0]);
    close(hold[1]);
}

/* Shutdown: drain runs every done callback without the loop, including
 * for jobs submitted by a done callback, and free does the same. */
static void test_drain_and_free_wait_for_everything(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    struct diskwriter *dw = diskwriter_new(base);
    struct log log = {0};
    struct test_job a, b, c;
    init_job(&a, &log, 1);
    init_job(&b, &log, 2);
    init_job(&c, &log, 3);
    a.again = dw;
    a.next_job = &c; /* a's done submits c */
    diskwriter_submit(dw, &a.job);
    diskwriter_submit(dw, &b.job);
    diskwriter_drain(dw);
    assert_int_equal(diskwriter_pending(dw), 0);
    assert_int_equal(log.n_done, 3);
    assert_int_equal(log.done[0], 1);
    assert_int_equal(log.done[1], 2);
    assert_int_equal(log.done[2], 3);
    assert_true(c.done_on_loop);

    struct test_job d;
    init_job(&d, &log, 4);
    diskwriter_submit(dw, &d.job);
    diskwriter_free(dw); /* waits for d */
    assert_int_equal(log.n_done, 4);
    assert_int_equal(log.done[3], 4);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_run_elsewhere_and_come_back_in_order),
        cmocka_unit_test(test_loop_turns_while_a_job_is_stuck),
        cmocka_unit_test(test_drain_and_free_wait_for_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
