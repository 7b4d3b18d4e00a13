/* headers.dat (see headerstore.h). Writes are buffered and flushed after
 * each accepted batch, so a 2,000-header batch costs one write and one
 * fsync, off the per-header path (and, through the node's disk writer,
 * off the loop thread). Records past the last good flush are read from the
 * buffer, which keeps the bytes of a flush that is out until it ends. */
#include "headerstore.h"

#include "store.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/sha256.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD 80u
#define READ_CHUNK (RECORD * 8192u)
/* What one flush copies at most (12,800 records, 1 MB: about 0.1 ms to
 * copy), so a backlog behind a slow disk never holds the loop long. */
#define FLUSH_MAX (RECORD * 12800u)

/* A checkpoint record (see headerstore.h). */
#define CKPT_FLAG 0xffffffffu
static const uint8_t ckpt_marker[32] = "btcpeerd/headers.dat/checkpoint";

struct headerstore {
    int fd;
    off_t end;      /* where the last good flush left the file */
    size_t headers; /* header records in the file and the buffer */
    /* An append failed: from then on nothing more is kept, so record i
     * still holds the header the chain accepted i-th (the file stops
     * short; a restart re-syncs the rest). */
    bool broken;
    bool flushing;  /* a flush is out with a copy of the bytes after written */
    /* Records after end, from pending.data + written on; the bytes before
     * that are in the file already (dropped once all of pending is, so
     * a flush never moves the rest down). */
    struct buf_writer pending;
    size_t written;
};

static void checkpoint_encode(const struct chain_entry *e, uint8_t out[RECORD])
{
    uint8_t sum[32];
    le32_write(out, CKPT_FLAG);
    memcpy(out + 4, ckpt_marker, 32);
    le32_write(out + 36, (uint32_t)e->height);
    memcpy(out + 40, e->hash, 32);
    sha256(out, 72, sum);
    memcpy(out + 72, sum, 8);
}

/* Whether rec is a whole checkpoint naming e, the header before it. */
static bool checkpoint_agrees(const uint8_t rec[RECORD], const struct chain_entry *e)
{
    uint8_t want[RECORD];
    checkpoint_encode(e, want);
    return memcmp(rec, want, RECORD) == 0;
}

/* Where header record i (0-based) sits: a checkpoint follows every
 * HEADERSTORE_CHECKPOINT_EVERY of them. */
static off_t header_offset(uint32_t i)
{
    return (off_t)((uint64_t)i + i / HEADERSTORE_CHECKPOINT_EVERY) * RECORD;
}

const char *headerstore_err_str(enum headerstore_err err)
{
    switch (err) {
    case HEADERSTORE_OK: return "ok";
    case HEADERSTORE_ERR_IO: return "io-error";
    case HEADERSTORE_ERR_NOMEM: return "out-of-memory";
    case HEADERSTORE_ERR_BUSY: return "flush-in-progress";
    }
    return "unknown";
}

/* Replay records into the chain; *good is the length of the good prefix:
 * it ends at the first header that does not validate or is a duplicate, at
 * a checkpoint that disagrees (or a header where a checkpoint belongs), or
 * at a torn tail. An error reading (or no memory to read with) is not a
 * short file: nothing may be cut for it. */
static enum headerstore_err replay(int fd, struct chain *c, struct headerstore_load *load,
                                   size_t *headers, const struct chain_entry **last_out, off_t *good)
{
    /* These headers were valid when they came; a clock that is behind at
     * start must not make the newest look too new and cut them: no
     * future-time rule on replay. */
    const int64_t no_future_limit = INT64_MAX / 2;
    uint8_t *buf = malloc(READ_CHUNK);
    if (!buf) return HEADERSTORE_ERR_NOMEM;
    enum headerstore_err err = HEADERSTORE_OK;
    const struct chain_entry *last = NULL;
    *good = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, READ_CHUNK, *good);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = HEADERSTORE_ERR_IO;
            break;
        }
        size_t whole = (size_t)n / RECORD * RECORD;
        if (whole == 0) break;
        for (size_t off = 0; off < whole; off += RECORD) {
            const uint8_t *rec = buf + off;
            if (*headers && *headers % HEADERSTORE_CHECKPOINT_EVERY == 0 &&
                load->checkpoints < *headers / HEADERSTORE_CHECKPOINT_EVERY) {
                if (!checkpoint_agrees(rec, last)) {
                    load->damaged = true;
                    goto out;
                }
                load->checkpoints++;
                *good += RECORD;
                continue;
            }
            /* A duplicate is damage too: record i must stay the header
             * the chain accepted i-th (node_header_at reads by that). */
            if (chain_add_raw(c, rec, no_future_limit, &last) != CHAIN_OK) {
                load->damaged = true;
                goto out;
            }
            load->loaded++;
            (*headers)++;
            *good += RECORD;
        }
    }
out:
    free(buf);
    *last_out = last;
    return err;
}

enum headerstore_err headerstore_open(const char *path, struct chain *c, struct headerstore **out,
                                      struct headerstore_load *load)
{
    memset(load, 0, sizeof *load);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return HEADERSTORE_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return HEADERSTORE_ERR_IO;
    }
    /* A new (empty) file: its directory entry must reach the disk too, or
     * a power cut could lose the file with every header fsynced into it. */
    if (st.st_size == 0 && store_sync_dir_of(path) != STORE_OK) {
        close(fd);
        return HEADERSTORE_ERR_IO;
    }
    (void)chain_reserve(c, chain_count(c) + (size_t)st.st_size / RECORD);
    size_t headers = 0;
    const struct chain_entry *last = NULL;
    off_t good;
    enum headerstore_err rerr = replay(fd, c, load, &headers, &last, &good);
    if (rerr != HEADERSTORE_OK) {
        close(fd);
        return rerr;
    }
    if (good < st.st_size) {
        load->cut_bytes = (size_t)(st.st_size - good);
        if (ftruncate(fd, good) != 0 || fsync(fd) != 0) {
            close(fd);
            return HEADERSTORE_ERR_IO;
        }
    }
    struct headerstore *hs = calloc(1, sizeof *hs);
    if (!hs) {
        close(fd);
        return HEADERSTORE_ERR_NOMEM;
    }
    hs->fd = fd;
    hs->end = good;
    hs->headers = headers;
    buf_writer_init(&hs->pending);
    if (headers && headers % HEADERSTORE_CHECKPOINT_EVERY == 0 &&
        load->checkpoints < headers / HEADERSTORE_CHECKPOINT_EVERY) {
        /* Cut between a header and its checkpoint: the next flush writes it. */
        uint8_t raw[RECORD];
        checkpoint_encode(last, raw);
        buf_write_bytes(&hs->pending, raw, RECORD);
    }
    *out = hs;
    return HEADERSTORE_OK;
}

enum headerstore_err headerstore_append(struct headerstore *hs, const struct wire_header *h,
                                        const struct chain_entry *e)
{
    uint8_t raw[2 * RECORD];
    wire_header_serialize(h, raw);
    size_t len = RECORD;
    if ((hs->headers + 1) % HEADERSTORE_CHECKPOINT_EVERY == 0) {
        checkpoint_encode(e, raw + RECORD);
        len += RECORD;
    }
    if (hs->broken) return HEADERSTORE_ERR_NOMEM;
    size_t before = hs->pending.len;
    if (!buf_write_bytes(&hs->pending, raw, len)) {
        hs->broken = true;
        hs->pending.len = before;
        return HEADERSTORE_ERR_NOMEM;
    }
    hs->headers++;
    return HEADERSTORE_OK;
}

enum headerstore_err headerstore_flush_begin(struct headerstore *hs,
                                             struct headerstore_flush_job *job)
{
    memset(job, 0, sizeof *job);
    if (hs->flushing) return HEADERSTORE_ERR_BUSY;
    job->fd = hs->fd;
    job->at = hs->end;
    size_t left = hs->pending.len - hs->written;
    job->len = left < FLUSH_MAX ? left : FLUSH_MAX;
    job->all = job->len == left;
    /* A copy, not the buffer itself: appends go on meanwhile (and may
     * move it), and a failed write then needs nothing put back. */
    if (job->len) {
        job->data = malloc(job->len);
        if (!job->data) return HEADERSTORE_ERR_NOMEM;
        memcpy(job->data, hs->pending.data + hs->written, job->len);
    }
    hs->flushing = true;
    return HEADERSTORE_OK;
}

void headerstore_flush_run(struct headerstore_flush_job *job)
{
    const uint8_t *p = job->data;
    size_t left = job->len;
    off_t at = (off_t)job->at;
    while (left) {
        ssize_t n = pwrite(job->fd, p, left, at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            /* A full disk, say: take back what this flush wrote, so the
             * file ends where the last good flush left it. Even if the cut
             * fails, the next try writes at the same offset, over this
             * one's bytes, not after them, or every record's offset would
             * shift; a tail left behind is cut at the next start (a torn
             * tail). */
            job->err_no = n == 0 ? ENOSPC : errno;
            if (ftruncate(job->fd, (off_t)job->at) != 0) { /* see above */ }
            job->err = HEADERSTORE_ERR_IO;
            return;
        }
        p += n;
        at += n;
        left -= (size_t)n;
    }
    job->written = true;
    if (fsync(job->fd) != 0) {
        job->err_no = errno;
        job->err = HEADERSTORE_ERR_IO;
    }
}

enum headerstore_err headerstore_flush_end(struct headerstore *hs,
                                           struct headerstore_flush_job *job)
{
    hs->flushing = false;
    if (job->written) {
        hs->written += job->len;
        hs->end += (off_t)job->len;
        if (hs->written == hs->pending.len) {
            buf_writer_reset(&hs->pending);
            hs->written = 0;
        }
    }
    free(job->data);
    job->data = NULL;
    return job->err;
}

bool headerstore_flushing(const struct headerstore *hs)
{
    return hs->flushing;
}

size_t headerstore_unwritten(const struct headerstore *hs)
{
    return hs->pending.len - hs->written;
}

enum headerstore_err headerstore_flush(struct headerstore *hs)
{
    struct headerstore_flush_job job;
    do {
        enum headerstore_err err = headerstore_flush_begin(hs, &job);
        if (err != HEADERSTORE_OK) return err;
        headerstore_flush_run(&job);
        err = headerstore_flush_end(hs, &job);
        if (err != HEADERSTORE_OK) {
            errno = job.err_no; /* for the caller's log line */
            return err;
        }
    } while (!job.all);
    return HEADERSTORE_OK;
}

enum headerstore_err headerstore_read(const struct headerstore *hs, uint32_t i, uint8_t out[80])
{
    /* Records still in the write buffer are at the end of the file. */
    off_t at = header_offset(i);
    if (at >= hs->end) {
        size_t off = (size_t)(at - hs->end);
        if (off + RECORD > hs->pending.len - hs->written) return HEADERSTORE_ERR_IO;
        memcpy(out, hs->pending.data + hs->written + off, RECORD);
        return HEADERSTORE_OK;
    }
    return pread(hs->fd, out, RECORD, at) == RECORD ? HEADERSTORE_OK : HEADERSTORE_ERR_IO;
}

void headerstore_close(struct headerstore *hs)
{
    if (!hs) return;
    if (!hs->flushing) headerstore_flush(hs); /* never beside a flush that is out */
    close(hs->fd);
    buf_writer_free(&hs->pending);
    free(hs);
}
