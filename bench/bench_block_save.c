/* What a fetched block costs the event loop: before 2026-12-03 the loop
 * wrote it itself (store_write_atomic: temporary file, write, fsync,
 * rename, fsync of the directory); now it copies the bytes into a job for
 * the disk writer and goes on. This times both, in this process, on the
 * disk that holds --dir (default: a new directory under /tmp), for blocks
 * of --mb megabytes: the median and the longest of --count blocks.
 *
 *   bench_block_save [--dir DIR] [--mb MB] [--count N]
 *
 * "before" times the write on this thread, as the loop did it; "after"
 * times what the loop does now: allocate the job and hand it (the block's
 * bytes move with it, uncopied) to a real disk writer (diskwriter.c),
 * whose thread then writes the same way while this one waits in the event
 * loop for its done callback, untimed. Nothing here touches the network. */
#include "benchutil.h"

#include "node/diskwriter.h"
#include "node/store.h"

#include <btcpeerd/clock.h>

#include <event2/event.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct save_job {
    struct diskwriter_job job; /* first */
    struct event_base *base;
    char path[4096];
    const uint8_t *data;
    size_t len;
    bool ok;
};

static void save_run(struct diskwriter_job *job)
{
    struct save_job *j = (struct save_job *)job;
    j->ok = store_write_atomic(j->path, j->data, j->len) == STORE_OK;
}

static void save_done(struct diskwriter_job *job)
{
    struct save_job *j = (struct save_job *)job;
    if (!j->ok) perror(j->path);
    unlink(j->path);
    event_base_loopbreak(j->base);
    free(j);
}

static void report(const char *what, uint64_t *us, size_t n)
{
    qsort(us, n, sizeof *us, cmp_u64);
    printf("%-44s median %8.3f ms   max %8.3f ms\n", what, (double)us[n / 2] / 1000.0,
           (double)us[n - 1] / 1000.0);
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/bench_block_save.XXXXXX";
    const char *dir = NULL;
    size_t mb = 4, count = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
        else if (strcmp(argv[i], "--mb") == 0) mb = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--count") == 0) count = strtoul(argv[i + 1], NULL, 10);
    }
    if (!dir && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    if (mb == 0 || mb > 64 || count == 0 || count > 1000) {
        fprintf(stderr, "--mb 1..64, --count 1..1000\n");
        return 2;
    }
    size_t len = mb << 20;
    uint8_t *block = malloc(len);
    uint64_t *write_us = calloc(count, sizeof *write_us), *submit_us = calloc(count, sizeof *submit_us);
    struct event_base *base = event_base_new();
    struct diskwriter *dw = base ? diskwriter_new(base) : NULL;
    if (!block || !write_us || !submit_us || !dw) return 1;
    for (size_t i = 0; i < len; i++) block[i] = (uint8_t)(i * 2654435761u >> 13);
    char path[4096];
    for (size_t i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/%zu.blk", dir, i);
        block[0] = (uint8_t)i;
        uint64_t t0 = clock_mono_us();
        if (store_write_atomic(path, block, len) != STORE_OK) {
            perror(path);
            return 1;
        }
        write_us[i] = clock_mono_us() - t0;
        unlink(path);
        t0 = clock_mono_us();
        struct save_job *j = calloc(1, sizeof *j);
        if (!j) return 1;
        j->base = base;
        memcpy(j->path, path, sizeof j->path);
        j->data = block;
        j->len = len;
        j->job.run = save_run;
        j->job.done = save_done;
        diskwriter_submit(dw, &j->job);
        submit_us[i] = clock_mono_us() - t0;
        event_base_dispatch(base); /* until save_done: untimed */
    }
    printf("%zu blocks of %zu MB in %s\n", count, mb, dir);
    report("before: write+fsync+rename on the loop", write_us, count);
    report("after: hand-over to the disk writer", submit_us, count);
    if (dir == tmpl) rmdir(dir);
    diskwriter_free(dw);
    event_base_free(base);
    free(block);
    free(write_us);
    free(submit_us);
    return 0;
}
