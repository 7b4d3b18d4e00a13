/* cfheaders.dat and the filter headers in memory (see cfstore.h). The loop
 * thread owns the array; a flush hands a copy of the records to write (at
 * most FLUSH_MAX of them) and the offsets to the disk writer, which
 * truncates, writes and fsyncs, and undoes a partial write. */
#include "cfstore.h"

#include "diskwriter.h"

#include <btcpeerd/log.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD 32u
#define FLUSH_MAX 32768u /* records per job: 1 MiB, well under a millisecond to copy */
#define KEEP_EVERY 1000u /* WIRE_CFCHECKPT_INTERVAL: what open keeps is checkable */

struct cf_job {
    struct diskwriter_job job; /* first: the writer hands this back */
    struct cfstore *s;
    off_t truncate_to;         /* -1: no truncation */
    off_t at;
    uint8_t *data;
    size_t len;
    size_t records_after;      /* the file's records once this job succeeds */
    bool ok;
    int err_no;
};

struct cfstore {
    int fd;                    /* -1: memory only */
    uint8_t (*hdrs)[32];
    size_t count, cap;
    size_t planned;            /* records the file has once the job out (if any) ends */
    size_t durable;            /* records the file is known to hold */
    size_t dirty_from;         /* lowest height changed since planned (SIZE_MAX: none) */
    struct cf_job job;
    bool job_out, again;
    struct diskwriter *writer; /* the last flush's, for a flush asked meanwhile */
};

const char *cfstore_err_str(enum cfstore_err err)
{
    switch (err) {
    case CFSTORE_OK: return "ok";
    case CFSTORE_ERR_IO: return "io-error";
    case CFSTORE_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

static bool reserve(struct cfstore *s, size_t want)
{
    if (want <= s->cap) return true;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / RECORD) return false;
        cap *= 2;
    }
    void *p = realloc(s->hdrs, cap * RECORD);
    if (!p) return false;
    s->hdrs = p;
    s->cap = cap;
    return true;
}

static enum cfstore_err load(struct cfstore *s, int32_t max_height, size_t *loaded, size_t *cut)
{
    struct stat st;
    if (fstat(s->fd, &st) != 0) return CFSTORE_ERR_IO;
    size_t records = (size_t)st.st_size / RECORD;
    bool torn = (size_t)st.st_size % RECORD != 0;
    size_t keep = records;
    if (max_height >= 0 && keep > (size_t)max_height + 1) keep = (size_t)max_height + 1;
    /* Up to and including the last checkpoint height. */
    keep = keep > KEEP_EVERY ? keep / KEEP_EVERY * KEEP_EVERY + 1 : 0;
    if (keep > records) keep = records;
    if (!reserve(s, keep)) return CFSTORE_ERR_NOMEM;
    size_t done = 0;
    while (done < keep * RECORD) {
        ssize_t r = pread(s->fd, (uint8_t *)s->hdrs + done, keep * RECORD - done, (off_t)done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return CFSTORE_ERR_IO;
        done += (size_t)r;
    }
    if (keep != records || torn) {
        if (ftruncate(s->fd, (off_t)(keep * RECORD)) != 0 || fsync(s->fd) != 0) return CFSTORE_ERR_IO;
    }
    s->count = s->planned = s->durable = keep;
    *loaded = keep;
    *cut = records - keep + (torn ? 1 : 0);
    return CFSTORE_OK;
}

enum cfstore_err cfstore_open(const char *path, int32_t max_height, struct cfstore **out,
                              size_t *loaded, size_t *cut)
{
    *out = NULL;
    *loaded = *cut = 0;
    struct cfstore *s = calloc(1, sizeof *s);
    if (!s) return CFSTORE_ERR_NOMEM;
    s->fd = -1;
    s->dirty_from = SIZE_MAX;
    if (path) {
        s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        enum cfstore_err err = s->fd < 0 ? CFSTORE_ERR_IO : load(s, max_height, loaded, cut);
        if (err != CFSTORE_OK) {
            cfstore_close(s);
            return err;
        }
    }
    *out = s;
    return CFSTORE_OK;
}

size_t cfstore_count(const struct cfstore *s)
{
    return s->count;
}

const uint8_t *cfstore_get(const struct cfstore *s, int32_t height)
{
    return height >= 0 && (size_t)height < s->count ? s->hdrs[height] : NULL;
}

enum cfstore_err cfstore_append(struct cfstore *s, const uint8_t (*hdrs)[32], size_t n)
{
    if (n > SIZE_MAX - s->count || !reserve(s, s->count + n)) return CFSTORE_ERR_NOMEM;
    memcpy(s->hdrs[s->count], hdrs, n * RECORD);
    s->count += n;
    return CFSTORE_OK;
}

void cfstore_truncate(struct cfstore *s, size_t count)
{
    if (count >= s->count) return;
    s->count = count;
    if (count < s->dirty_from) s->dirty_from = count;
}

size_t cfstore_durable(const struct cfstore *s)
{
    return s->durable;
}

size_t cfstore_memory(const struct cfstore *s)
{
    return sizeof *s + s->cap * RECORD;
}

static void job_run(struct diskwriter_job *job)
{
    struct cf_job *j = (struct cf_job *)job;
    j->ok = true;
    if (j->truncate_to >= 0 && ftruncate(j->s->fd, j->truncate_to) != 0) j->ok = false;
    size_t done = 0;
    while (j->ok && done < j->len) {
        ssize_t r = pwrite(j->s->fd, j->data + done, j->len - done, j->at + (off_t)done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) j->ok = false;
        else done += (size_t)r;
    }
    if (j->ok && fsync(j->s->fd) != 0) j->ok = false;
    if (!j->ok) {
        j->err_no = errno;
        /* A partial write is taken back: the file keeps whole records
         * that were all fsynced, or a torn tail that open cuts. */
        if (ftruncate(j->s->fd, j->at) == 0) (void)fsync(j->s->fd);
    }
}

static void flush_begin(struct cfstore *s);

static void job_done(struct diskwriter_job *job)
{
    struct cf_job *j = (struct cf_job *)job;
    struct cfstore *s = j->s;
    free(j->data);
    j->data = NULL;
    s->job_out = false;
    if (j->ok) {
        s->durable = j->records_after;
    } else {
        /* The next flush rewrites from where the file surely ends. */
        log_error(LOG_CAT_CHAIN, "cannot write cfheaders.dat: %s", strerror(j->err_no));
        size_t at = (size_t)j->at / RECORD;
        s->durable = s->planned = at < s->durable ? at : s->durable;
        return;
    }
    if (s->again || s->planned != s->count || s->dirty_from != SIZE_MAX) {
        s->again = false;
        flush_begin(s);
    }
}

static void flush_begin(struct cfstore *s)
{
    size_t from = s->planned;
    if (s->dirty_from < from) from = s->dirty_from;
    if (s->count < from) from = s->count;
    size_t n = s->count - from;
    if (n > FLUSH_MAX) n = FLUSH_MAX;
    if (from == s->planned && n == 0) return;
    struct cf_job *j = &s->job;
    memset(j, 0, sizeof *j);
    j->job.run = job_run;
    j->job.done = job_done;
    j->s = s;
    j->truncate_to = from < s->planned ? (off_t)(from * RECORD) : -1;
    j->at = (off_t)(from * RECORD);
    j->len = n * RECORD;
    j->data = malloc(j->len ? j->len : 1);
    if (!j->data) return; /* the next flush tries again */
    memcpy(j->data, s->hdrs[from], j->len);
    j->records_after = from + n;
    s->planned = from + n;
    s->dirty_from = SIZE_MAX;
    if (s->durable > from) s->durable = from;
    s->job_out = true;
    diskwriter_submit(s->writer, &j->job);
}

void cfstore_flush(struct cfstore *s, struct diskwriter *w)
{
    if (s->fd < 0 || !w) return;
    s->writer = w;
    if (s->job_out) {
        s->again = true;
        return;
    }
    flush_begin(s);
}

void cfstore_close(struct cfstore *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s->job.data);
    free(s->hdrs);
    free(s);
}
