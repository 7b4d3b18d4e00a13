/* One thread that does the node's blocking disk work (write, fsync,
 * rename) so the event loop never waits for a disk.
 *
 * A job is handed over whole: from diskwriter_submit until its done
 * callback runs, the job and everything it points to belong to the writer
 * and the loop thread does not touch them. Jobs run one at a time, in the
 * order submitted (two saves of one file never race). done callbacks run on
 * the loop thread, in the same order: the thread wakes the loop through a
 * pipe watched by an event, so it never calls libevent (the base has no
 * locks: EVENT_BASE_FLAG_NOLOCK). */
#ifndef BTCPEERD_DISKWRITER_H
#define BTCPEERD_DISKWRITER_H

#include <stddef.h>

struct event_base;
struct diskwriter;

/* Embed as the first member of a job's own struct. */
struct diskwriter_job {
    void (*run)(struct diskwriter_job *job);  /* on the writer thread */
    void (*done)(struct diskwriter_job *job); /* on the loop thread; owns the job again */
    struct diskwriter_job *next;              /* the writer's */
};

/* NULL if the thread, the pipe or the event cannot be made. */
struct diskwriter *diskwriter_new(struct event_base *base);
/* Never fails: the job is linked, not copied. */
void diskwriter_submit(struct diskwriter *dw, struct diskwriter_job *job);
/* Jobs submitted whose done callback has not run yet. */
size_t diskwriter_pending(const struct diskwriter *dw);
/* Wait, here, for every job to run and call their done callbacks, including
 * jobs those callbacks submit: for shutdown, where waiting is the point. */
void diskwriter_drain(struct diskwriter *dw);
/* Drain, stop the thread and join it. */
void diskwriter_free(struct diskwriter *dw);

#endif
