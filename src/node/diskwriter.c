/* The disk writer thread (see diskwriter.h). Two FIFOs under one mutex:
 * jobs to run, and jobs run whose done callback is due. The thread writes a
 * byte to a pipe when the second goes from empty to not, and the loop's
 * read event takes the whole list: one wake-up per batch, none lost (the
 * loop empties the pipe before it takes the list). */
#include "diskwriter.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct job_fifo {
    struct diskwriter_job *head, *tail;
};

struct diskwriter {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;     /* todo not empty, or stop */
    pthread_cond_t finished; /* done not empty */
    struct job_fifo todo, done;
    bool stop;
    int wake[2];             /* thread writes [1], loop reads [0] */
    struct event *wake_ev;
    size_t pending;          /* loop thread only */
};

static void fifo_push(struct job_fifo *q, struct diskwriter_job *job)
{
    job->next = NULL;
    if (q->tail) q->tail->next = job;
    else q->head = job;
    q->tail = job;
}

static struct diskwriter_job *fifo_take_all(struct job_fifo *q)
{
    struct diskwriter_job *all = q->head;
    q->head = q->tail = NULL;
    return all;
}

static void *writer_main(void *arg)
{
    struct diskwriter *dw = arg;
    pthread_mutex_lock(&dw->lock);
    for (;;) {
        while (!dw->todo.head && !dw->stop) pthread_cond_wait(&dw->work, &dw->lock);
        struct diskwriter_job *job = dw->todo.head;
        if (!job) break; /* stop, and nothing left to run */
        dw->todo.head = job->next;
        if (!dw->todo.head) dw->todo.tail = NULL;
        pthread_mutex_unlock(&dw->lock);
        job->run(job);
        pthread_mutex_lock(&dw->lock);
        bool first = !dw->done.head;
        fifo_push(&dw->done, job);
        pthread_cond_signal(&dw->finished);
        if (first) {
            /* Full (EAGAIN) means a byte is already there to wake it. */
            static const char byte = 1;
            ssize_t n = write(dw->wake[1], &byte, 1);
            (void)n;
        }
    }
    pthread_mutex_unlock(&dw->lock);
    return NULL;
}

/* Done callbacks, in order; each may submit more. */
static void finish(struct diskwriter *dw, struct diskwriter_job *list)
{
    while (list) {
        struct diskwriter_job *job = list;
        list = job->next;
        job->next = NULL;
        dw->pending--;
        job->done(job);
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct diskwriter *dw = arg;
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&dw->lock);
    struct diskwriter_job *list = fifo_take_all(&dw->done);
    pthread_mutex_unlock(&dw->lock);
    finish(dw, list);
}

static bool make_pipe(int fds[2])
{
    if (pipe(fds) != 0) return false;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            close(fds[0]);
            close(fds[1]);
            return false;
        }
    }
    return true;
}

struct diskwriter *diskwriter_new(struct event_base *base)
{
    struct diskwriter *dw = calloc(1, sizeof *dw);
    if (!dw) return NULL;
    if (!make_pipe(dw->wake)) {
        free(dw);
        return NULL;
    }
    dw->wake_ev = event_new(base, dw->wake[0], EV_READ | EV_PERSIST, on_wake, dw);
    if (!dw->wake_ev || event_add(dw->wake_ev, NULL) != 0) goto fail;
    pthread_mutex_init(&dw->lock, NULL);
    pthread_cond_init(&dw->work, NULL);
    pthread_cond_init(&dw->finished, NULL);
    /* Signals stay with the loop thread (libevent's signal events): the
     * writer starts with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&dw->thread, NULL, writer_main, dw);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&dw->finished);
        pthread_cond_destroy(&dw->work);
        pthread_mutex_destroy(&dw->lock);
        goto fail;
    }
    return dw;
fail:
    if (dw->wake_ev) event_free(dw->wake_ev);
    close(dw->wake[0]);
    close(dw->wake[1]);
    free(dw);
    return NULL;
}

void diskwriter_submit(struct diskwriter *dw, struct diskwriter_job *job)
{
    dw->pending++;
    pthread_mutex_lock(&dw->lock);
    fifo_push(&dw->todo, job);
    pthread_cond_signal(&dw->work);
    pthread_mutex_unlock(&dw->lock);
}

size_t diskwriter_pending(const struct diskwriter *dw)
{
    return dw->pending;
}

void diskwriter_drain(struct diskwriter *dw)
{
    while (dw->pending) {
        pthread_mutex_lock(&dw->lock);
        while (!dw->done.head) pthread_cond_wait(&dw->finished, &dw->lock);
        struct diskwriter_job *list = fifo_take_all(&dw->done);
        pthread_mutex_unlock(&dw->lock);
        finish(dw, list);
    }
}

void diskwriter_free(struct diskwriter *dw)
{
    if (!dw) return;
    diskwriter_drain(dw);
    pthread_mutex_lock(&dw->lock);
    dw->stop = true;
    pthread_cond_signal(&dw->work);
    pthread_mutex_unlock(&dw->lock);
    pthread_join(dw->thread, NULL);
    pthread_cond_destroy(&dw->finished);
    pthread_cond_destroy(&dw->work);
    pthread_mutex_destroy(&dw->lock);
    event_free(dw->wake_ev);
    close(dw->wake[0]);
    close(dw->wake[1]);
    free(dw);
}
