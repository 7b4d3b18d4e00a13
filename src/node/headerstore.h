/* headers.dat: every accepted header, 80 bytes each, appended in the order
 * they were accepted (so a parent always comes before its children), with a
 * checkpoint record after every HEADERSTORE_CHECKPOINT_EVERY headers.
 *
 * A checkpoint is 80 bytes too: 0xffffffff, a 32-byte marker no header can
 * carry as its parent hash (it would need a parent hashing to it), the
 * height and hash of the header just before it, and eight bytes of SHA-256
 * over the rest. It lets a start tell a torn tail (cut quietly, as a crash
 * leaves it) from damage in the middle (logged; the file is cut at the
 * first record that fails: a checkpoint that disagrees, a header that does
 * not validate), and keeps records at computable offsets.
 *
 * Loading re-hashes and fully re-validates every header (we decided against
 * trusting a checksum): validation hashes anyway, and replay runs at over
 * 2,000,000 headers/s (docs/BENCHMARKS.md), so trust would buy little and
 * cost a path that skips the rules. */
#ifndef BTCPEERD_HEADERSTORE_H
#define BTCPEERD_HEADERSTORE_H

#include <btcpeerd/chain.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Often enough that damage costs at most one sync batch of headers. */
#define HEADERSTORE_CHECKPOINT_EVERY 2000u

enum headerstore_err {
    HEADERSTORE_OK = 0,
    HEADERSTORE_ERR_IO,
    HEADERSTORE_ERR_NOMEM,
    HEADERSTORE_ERR_BUSY, /* a flush is out */
};
const char *headerstore_err_str(enum headerstore_err err);

struct headerstore;

/* What opening found. */
struct headerstore_load {
    size_t loaded;          /* headers added to the chain */
    size_t cut_bytes;       /* bytes removed from the end */
    size_t checkpoints;     /* checkpoints that agreed with the replay */
    bool damaged;           /* the cut was not just a torn tail: a checkpoint
                               disagreed or a header did not validate */
};

/* Open (creating) path, replay it into c, and cut what did not replay.
 * The replay applies every rule but the future-time one (a clock behind at
 * start must not cut headers that were valid when they came). A read error
 * fails the open and cuts nothing. */
enum headerstore_err headerstore_open(const char *path, struct chain *c, struct headerstore **out,
                                      struct headerstore_load *load);
/* Append header h, whose entry in the chain is e (buffered; written by
 * headerstore_flush). */
enum headerstore_err headerstore_append(struct headerstore *hs, const struct wire_header *h,
                                        const struct chain_entry *e);
/* Write what is buffered and fsync, here and now. On failure the file
 * ends where the last good flush left it and the bytes stay buffered for
 * the next flush (errno says why). */
enum headerstore_err headerstore_flush(struct headerstore *hs);

/* The same flush in three steps, so that the write and the fsync can run
 * on another thread while the loop goes on appending and reading:
 *   begin (loop thread): a copy of what is buffered (at most 1 MB of it:
 *     job->all says whether that was all) goes into job;
 *   run (any thread): job writes its bytes where the file ends and fsyncs,
 *     and takes back a partial write (the file keeps its length);
 *   end (loop thread): the bytes written leave the buffer, or, after a
 *     failed write, stay for the next flush. Returns the job's result.
 * One flush at a time: begin is HEADERSTORE_ERR_BUSY until end. The job
 * touches only its own fields and the file past its last good end, which
 * the loop thread neither reads nor writes meanwhile. */
struct headerstore_flush_job {
    int fd;
    int64_t at;              /* where the file ends: the bytes go there */
    uint8_t *data;           /* the job's copy */
    size_t len;
    bool all;                /* len is everything that was buffered */
    bool written;            /* all of data reached the file (fsync may still fail) */
    enum headerstore_err err;
    int err_no;              /* errno of the failure */
};
enum headerstore_err headerstore_flush_begin(struct headerstore *hs,
                                             struct headerstore_flush_job *job);
void headerstore_flush_run(struct headerstore_flush_job *job);
enum headerstore_err headerstore_flush_end(struct headerstore *hs,
                                           struct headerstore_flush_job *job);
/* Whether a flush is out (between begin and end). */
bool headerstore_flushing(const struct headerstore *hs);
/* Bytes buffered and not yet in the file (a flush that is out included). */
size_t headerstore_unwritten(const struct headerstore *hs);

/* Record i (0-based: the i-th header accepted after genesis). */
enum headerstore_err headerstore_read(const struct headerstore *hs, uint32_t i, uint8_t out[80]);
/* Flush and close; not while a flush is out (end it first). */
void headerstore_close(struct headerstore *hs);

#endif
