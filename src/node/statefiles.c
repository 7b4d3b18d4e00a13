/* The node's files in the data directory: peers.dat and banlist.dat
 * (loaded at start, saved every save interval and at shutdown), headers.dat
 * (opened at start, flushed after each accepted batch), and the temporary
 * files a kill can leave.
 *
 * The loop never waits for the disk. What needs the tables runs on the loop
 * thread, in steps short enough not to hold it: peers.dat is encoded a
 * slice of the address table per loop turn; banlist.dat (a few entries) and
 * a copy of the buffered headers are made in one go. The bytes then go,
 * whole and no longer touched by the loop, to the disk writer thread
 * (diskwriter.h), which checksums, writes, fsyncs and renames, and hands
 * the result back to the loop, which logs it. So a log line that says a
 * file was saved or flushed is written after its fsync, as before. */
#include "node_internal.h"

#include "diskwriter.h"
#include "store.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_FILE_MAX (64u * 1024 * 1024)
/* Address table slots encoded per loop turn: about 0.15 ms (bench/
 * bench_loop_latency, docs/BENCHMARKS.md), some 80 turns for a full table. */
#define PEERS_SLICE_SLOTS 1024u

/* peers.dat or banlist.dat on its way to the disk. */
struct file_job {
    struct diskwriter_job job; /* first: the writer hands this back */
    struct node_state *st;
    char name[16];             /* "peers.dat" */
    const char *what;          /* what count counts, for the log ("addresses") */
    size_t count;
    char path[PATH_MAX + 16];
    struct buf_writer w;       /* the file; freed by run once written */
    size_t len;                /* its length, for the log */
    bool seal;                 /* run appends the checksum of w from 0 */
    enum store_err err;
    int err_no;
};

/* One headers.dat flush; at most one is out, so it lives here. */
struct headers_job {
    struct diskwriter_job job;
    struct node_state *st;
    struct headerstore_flush_job flush;
    int32_t height;            /* the chain when the flush began: what it writes */
    size_t headers;
};

struct node_state {
    struct node *n;
    struct diskwriter *writer;  /* NULL without a data directory */
    struct event *save_timer;
    struct event *slice_ev;     /* the next slice of peers.dat */
    struct file_job *peers;     /* peers.dat being encoded, not yet handed over */
    struct addrman_save peers_save;
    size_t files_out;           /* file jobs handed over and not back */
    struct headers_job headers_job;
    bool headers_again;         /* a batch came while a flush was out */
    bool stopped;               /* node_state_shutdown ran */
};

static void state_path(const struct node *n, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", n->cfg->datadir, name);
}

/* ---- loading ---- */

/* Read <datadir>/name and give it to parse (which returns NULL on success,
 * else why the contents are bad). A file that cannot be read or parsed is
 * moved aside as name.bad and the node starts without it. */
static void load_state(struct node *n, const char *name,
                       const char *(*parse)(struct node *n, const uint8_t *data, size_t len))
{
    char path[PATH_MAX + 16];
    uint8_t *data = NULL;
    size_t len = 0;
    state_path(n, name, path, sizeof path);
    enum store_err serr = store_read(path, STATE_FILE_MAX, &data, &len);
    if (serr == STORE_ERR_NOT_FOUND) return;
    const char *why = serr == STORE_OK ? parse(n, data, len) : store_err_str(serr);
    free(data);
    if (!why) return;
    log_warn(LOG_CAT_NODE, "%s is unreadable (%s): moved aside to %s.bad, starting without it", name,
             why, name);
    store_move_aside(path);
}

static const char *parse_peers(struct node *n, const uint8_t *data, size_t len)
{
    enum addrman_err err = addrman_deserialize(n->addrman, data, len);
    if (err != ADDRMAN_OK) return addrman_err_str(err);
    log_info(LOG_CAT_ADDRMAN, "loaded %zu addresses (%zu tried) from peers.dat",
             addrman_size(n->addrman), addrman_size_tried(n->addrman));
    if (addrman_rebucketed(n->addrman)) {
        /* Core logs this at debug; an operator who changed --asmap wants to see it took. */
        uint8_t was[32], now_sum[32], zero[32] = {0};
        char was_hex[65] = "none (/16 prefix)", now_hex[65] = "none (/16 prefix)";
        addrman_file_asmap(n->addrman, was);
        addrman_asmap_checksum(n->addrman, now_sum);
        if (memcmp(was, zero, 32) != 0) hex_encode_rev(was, 32, was_hex);
        if (memcmp(now_sum, zero, 32) != 0) hex_encode_rev(now_sum, 32, now_hex);
        log_info(LOG_CAT_ADDRMAN,
                 "bucketing method was updated (peers.dat asmap %s, now %s): re-bucketed "
                 "%zu addresses (%zu tried)",
                 was_hex, now_hex, addrman_size(n->addrman), addrman_size_tried(n->addrman));
    }
    return NULL;
}

static const char *parse_bans(struct node *n, const uint8_t *data, size_t len)
{
    enum banman_err err = banman_deserialize(n->banman, data, len, node_now());
    if (err != BANMAN_OK) return banman_err_str(err);
    log_info(LOG_CAT_NODE, "loaded %zu bans from banlist.dat", banman_count(n->banman));
    return NULL;
}

/* A kill in the middle of store_write_atomic leaves its temporary file
 * behind; peers.dat.tmp and banlist.dat.tmp are overwritten by the next
 * save, but a block's is not, so those are removed at start. */
static void remove_stale_block_temps(const struct node *n)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/blocks", n->cfg->datadir);
    DIR *d = opendir(dir);
    if (!d) return;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 8 && strcmp(e->d_name + len - 8, ".blk.tmp") == 0 &&
            unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    if (removed) log_info(LOG_CAT_NODE, "removed %zu unfinished block files", removed);
}

static enum node_err open_headers(struct node *n)
{
    char path[PATH_MAX + 16];
    state_path(n, "headers.dat", path, sizeof path);
    struct headerstore_load load;
    uint64_t t0 = clock_mono_us();
    enum headerstore_err err = headerstore_open(path, n->chain, &n->headers, &load);
    if (err != HEADERSTORE_OK) {
        log_error(LOG_CAT_CHAIN, "cannot open %s: %s", path, headerstore_err_str(err));
        return NODE_ERR_STORE;
    }
    double secs = (double)(clock_mono_us() - t0) / 1e6;
    if (load.damaged)
        log_warn(LOG_CAT_CHAIN,
                 "headers.dat: damaged after %zu headers (a record that does not validate or a "
                 "checkpoint that disagrees); cut %zu bytes, the rest will be synced again",
                 load.loaded, load.cut_bytes);
    else if (load.cut_bytes)
        log_warn(LOG_CAT_CHAIN, "headers.dat: cut a torn tail of %zu bytes", load.cut_bytes);
    if (load.loaded)
        log_info(LOG_CAT_CHAIN,
                 "loaded %zu headers from headers.dat in %.3f s, height %d, %zu checkpoints agreed",
                 load.loaded, secs, chain_height(n->chain), load.checkpoints);
    return NODE_OK;
}

/* ---- peers.dat and banlist.dat ---- */

static void file_job_run(struct diskwriter_job *job)
{
    struct file_job *f = (struct file_job *)job;
    if (f->seal && !store_envelope_seal(&f->w, 0)) {
        f->err = STORE_ERR_NOMEM;
        f->err_no = ENOMEM;
    } else {
        f->len = f->w.len;
        f->err = store_write_atomic(f->path, f->w.data, f->w.len);
        f->err_no = errno;
    }
    /* The bytes' last use: freed here, not in the loop (megabytes). */
    buf_writer_free(&f->w);
}

static void file_job_done(struct diskwriter_job *job)
{
    struct file_job *f = (struct file_job *)job;
    f->st->files_out--;
    if (f->err != STORE_OK) {
        /* The old file is intact; we try again at the next save. */
        log_error(LOG_CAT_NODE, "cannot write %s: %s (%s); the old file is kept", f->path,
                  store_err_str(f->err), strerror(f->err_no));
    } else {
        /* Logged after the rename and its fsyncs: what it says is on disk. */
        char msg[64];
        snprintf(msg, sizeof msg, "saved %s", f->name);
        struct log_field fl[] = {LOG_UINT(f->what, f->count), LOG_UINT("bytes", f->len)};
        log_event(LOG_DEBUG, LOG_CAT_NODE, -1, msg, fl, 2);
    }
    free(f);
}

static struct file_job *file_job_new(struct node_state *st, const char *name, const char *what)
{
    struct file_job *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->job.run = file_job_run;
    f->job.done = file_job_done;
    f->st = st;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->what = what;
    state_path(st->n, name, f->path, sizeof f->path);
    buf_writer_init(&f->w);
    return f;
}

static void hand_over(struct node_state *st, struct file_job *f)
{
    if (!buf_writer_ok(&f->w)) { /* out of memory: no save this time, as before */
        buf_writer_free(&f->w);
        free(f);
        return;
    }
    st->files_out++;
    diskwriter_submit(st->writer, &f->job);
}

/* peers.dat is encoded; banlist.dat (small) now, and both go. */
static void peers_encoded(struct node_state *st)
{
    struct node *n = st->n;
    struct file_job *f = st->peers;
    st->peers = NULL;
    f->count = st->peers_save.count;
    f->seal = true;
    hand_over(st, f);
    struct file_job *b = file_job_new(st, "banlist.dat", "bans");
    if (!b) return;
    banman_sweep(n->banman, node_now());
    if (banman_serialize(n->banman, &b->w) != BANMAN_OK) b->w.status = BUF_NOMEM;
    b->count = banman_count(n->banman);
    hand_over(st, b);
}

static void peers_slice(struct node_state *st, size_t slots)
{
    if (!addrman_save_step(st->n->addrman, &st->peers->w, &st->peers_save, slots)) {
        /* A zero timeout, not event_active: the next slice waits for the
         * next loop turn, after the sockets (see peer/queue.c). */
        static const struct timeval now = {0, 0};
        event_add(st->slice_ev, &now);
        return;
    }
    peers_encoded(st);
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node_state *st = arg;
    if (st->peers) peers_slice(st, PEERS_SLICE_SLOTS);
}

static void save_begin(struct node_state *st, size_t slots)
{
    st->peers = file_job_new(st, "peers.dat", "addresses");
    if (!st->peers) return;
    /* All of it at once (pages are touched as slices fill them): a buffer
     * grown by doubling would copy megabytes in one step. */
    buf_reserve(&st->peers->w, 128 + addrman_size(st->n->addrman) * ADDRMAN_FILE_ENTRY_MAX);
    addrman_save_begin(st->n->addrman, &st->peers->w, &st->peers_save);
    peers_slice(st, slots);
}

static void on_save_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node_state *st = arg;
    if (st->stopped) return;
    if (st->peers || st->files_out) {
        /* A disk slower than the interval: skip a turn rather than queue
         * saves (each holds a copy of the table). */
        struct log_field f[] = {LOG_STR("reason", "last-save-unfinished")};
        log_event(LOG_DEBUG, LOG_CAT_NODE, -1, "save skipped", f, 1);
        return;
    }
    save_begin(st, PEERS_SLICE_SLOTS);
}

/* A whole file encoded elsewhere (broadcast.dat): to the writer as it
 * is, sealed there. Takes w. */
void node_state_write(struct node *n, const char *name, const char *what, size_t count,
                      struct buf_writer *w)
{
    struct node_state *st = n->state;
    struct file_job *f = st->writer ? file_job_new(st, name, what) : NULL;
    if (!f) {
        buf_writer_free(w);
        return;
    }
    f->w = *w;
    buf_writer_init(w);
    f->count = count;
    f->seal = true;
    hand_over(st, f);
}

/* ---- headers.dat ---- */

static void headers_flush_begin(struct node_state *st);

static void headers_job_run(struct diskwriter_job *job)
{
    headerstore_flush_run(&((struct headers_job *)job)->flush);
}

static void headers_job_done(struct diskwriter_job *job)
{
    struct headers_job *h = (struct headers_job *)job;
    struct node_state *st = h->st;
    /* On failure the file still ends at the last good flush and the
     * headers stay buffered for the next one: the next batch's (no retry
     * of our own, which a full disk would turn into a loop). */
    bool ok = headerstore_flush_end(st->n->headers, &h->flush) == HEADERSTORE_OK;
    if (!ok) {
        log_error(LOG_CAT_CHAIN, "cannot write headers.dat: %s", strerror(h->flush.err_no));
    } else if (h->flush.all) {
        /* Only a flush of all that was buffered says the chain is on disk. */
        struct log_field f[] = {LOG_INT("height", h->height), LOG_UINT("headers", h->headers)};
        log_event(LOG_DEBUG, LOG_CAT_CHAIN, -1, "headers.dat flushed", f, 2);
    }
    if (st->headers_again || (ok && headerstore_unwritten(st->n->headers))) {
        st->headers_again = false;
        headers_flush_begin(st);
    }
}

static void headers_flush_begin(struct node_state *st)
{
    struct node *n = st->n;
    struct headers_job *h = &st->headers_job;
    h->height = chain_height(n->chain);
    h->headers = chain_count(n->chain) - 1;
    enum headerstore_err err = headerstore_flush_begin(n->headers, &h->flush);
    if (err != HEADERSTORE_OK) {
        log_error(LOG_CAT_CHAIN, "cannot write headers.dat: %s", headerstore_err_str(err));
        return;
    }
    diskwriter_submit(st->writer, &h->job);
}

struct diskwriter *node_state_writer(struct node *n)
{
    return n->state ? n->state->writer : NULL;
}

void node_state_headers_flush(struct node *n)
{
    struct node_state *st = n->state;
    if (!n->headers) return;
    if (headerstore_flushing(n->headers)) {
        st->headers_again = true; /* one flush at a time: the next takes these too */
        return;
    }
    headers_flush_begin(st);
}

/* ---- life cycle ---- */

struct node_state *node_state_new(struct node *n)
{
    struct node_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->n = n;
    st->headers_job.job.run = headers_job_run;
    st->headers_job.job.done = headers_job_done;
    st->headers_job.st = st;
    st->save_timer = event_new(n->base, -1, EV_PERSIST, on_save_timer, st);
    st->slice_ev = evtimer_new(n->base, on_slice, st);
    if (n->cfg->datadir[0]) st->writer = diskwriter_new(n->base);
    if (!st->save_timer || !st->slice_ev || (n->cfg->datadir[0] && !st->writer)) {
        node_state_free(st);
        return NULL;
    }
    return st;
}

enum node_err node_state_open(struct node *n)
{
    if (!n->cfg->datadir[0]) return NODE_OK;
    load_state(n, "peers.dat", parse_peers);
    load_state(n, "banlist.dat", parse_bans);
    load_state(n, "broadcast.dat", node_broadcast_parse);
    node_anchors_load(n);
    if (open_headers(n) != NODE_OK) return NODE_ERR_STORE;
    remove_stale_block_temps(n);
    uint32_t ms = n->cfg->save_interval_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(n->state->save_timer, &tv);
    return NODE_OK;
}

void node_state_shutdown(struct node *n)
{
    struct node_state *st = n->state;
    if (st->stopped || !st->writer) return;
    st->stopped = true;
    event_del(st->save_timer);
    /* A save being encoded is dropped for a whole one, encoded at once:
     * the loop is ending, and it must be the last state. */
    if (st->peers) {
        event_del(st->slice_ev);
        buf_writer_free(&st->peers->w);
        free(st->peers);
        st->peers = NULL;
    }
    save_begin(st, SIZE_MAX);
    /* The one wait on the disk: shutdown is what it waits for, so the log
     * says the files are saved before it says the shutdown is complete. */
    diskwriter_drain(st->writer);
}

void node_state_free(struct node_state *st)
{
    if (!st) return;
    /* Whatever is out comes back (and is logged) before the tables go. */
    diskwriter_free(st->writer);
    if (st->peers) {
        buf_writer_free(&st->peers->w);
        free(st->peers);
    }
    if (st->slice_ev) event_free(st->slice_ev);
    if (st->save_timer) event_free(st->save_timer);
    free(st);
}
