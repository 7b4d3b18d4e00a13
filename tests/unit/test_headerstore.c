/* headers.dat: records and checkpoints written as the daemon writes them,
 * read back by index, and every way a start can find the file: whole, with
 * a torn tail, with a damaged checkpoint, with a damaged header, with a
 * duplicate; a write that fails (a full disk) leaving the file as the
 * last good flush left it; and the flush split in steps as the daemon's
 * disk writer runs it, with appends and reads while it is out. */
#include "testutil.h"

#include "node/headerstore.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/netparams.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1800000000
#define N 4500 /* two checkpoints, and some */

static struct wire_header headers[N];

/* Regtest headers at the easy target, a minute apart. */
static void mine_all(void)
{
    const struct netparams *np = netparams_get(NET_REGTEST);
    struct wire_header g;
    wire_header_parse(np->genesis_header, &g);
    uint8_t prev[32];
    memcpy(prev, np->genesis_hash, 32);
    for (size_t i = 0; i < N; i++) {
        struct wire_header *h = &headers[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, prev, 32);
        memset(h->merkle_root, (int)(i & 0xff), 32);
        h->time = g.time + (uint32_t)((i + 1) * 60);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, prev);
            if (prev[31] < 0x7f) break;
        }
    }
}

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state)
{
    static bool mined;
    if (!mined) mine_all();
    mined = true;
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/btcpeerd-hs-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/headers.dat", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Open path into a fresh regtest chain. */
static struct headerstore *open_store(const char *path, struct chain **c, struct headerstore_load *load)
{
    *c = chain_new(netparams_get(NET_REGTEST));
    assert_non_null(*c);
    struct headerstore *hs = NULL;
    assert_int_equal(headerstore_open(path, *c, &hs, load), HEADERSTORE_OK);
    return hs;
}

/* Accept headers [from, to) and append them. */
static void append_range(struct chain *c, struct headerstore *hs, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const struct chain_entry *e;
        assert_int_equal(chain_add_header(c, &headers[i], NOW, &e), CHAIN_OK);
        assert_int_equal(headerstore_append(hs, &headers[i], e), HEADERSTORE_OK);
    }
}

static void write_all(const char *path)
{
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(path, &c, &load);
    assert_int_equal(load.loaded, 0);
    append_range(c, hs, 0, N);
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    headerstore_close(hs);
    chain_free(c);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Flip one byte of the file at off. */
static void flip(const char *path, off_t off)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseeko(fp, off, SEEK_SET), 0);
    int b = fgetc(fp);
    assert_int_equal(fseeko(fp, off, SEEK_SET), 0);
    fputc(b ^ 0x01, fp);
    fclose(fp);
}

static void test_roundtrip_with_checkpoints(void **state)
{
    struct fixture *f = *state;
    write_all(f->path);
    const size_t ckpts = N / HEADERSTORE_CHECKPOINT_EVERY;
    assert_int_equal(file_size(f->path), (off_t)((N + ckpts) * 80));

    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, N);
    assert_int_equal(load.checkpoints, ckpts);
    assert_int_equal(load.cut_bytes, 0);
    assert_false(load.damaged);
    assert_int_equal(chain_height(c), N);
    /* Records by acceptance order, across the checkpoints. */
    const uint32_t probe[] = {0, 1, 1999, 2000, 2001, 3999, 4000, N - 1};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        uint8_t raw[80], want[80];
        assert_int_equal(headerstore_read(hs, probe[k], raw), HEADERSTORE_OK);
        wire_header_serialize(&headers[probe[k]], want);
        assert_memory_equal(raw, want, 80);
        assert_int_equal(chain_entry_seq(c, chain_at_height(c, (int32_t)probe[k] + 1)), probe[k] + 1);
    }
    uint8_t raw[80];
    assert_int_equal(headerstore_read(hs, N, raw), HEADERSTORE_ERR_IO);
    headerstore_close(hs);
    chain_free(c);
}

static void test_torn_tail_cut_and_appends_continue(void **state)
{
    struct fixture *f = *state;
    write_all(f->path);
    off_t size = file_size(f->path);
    assert_int_equal(truncate(f->path, size - 30), 0);

    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, N - 1);
    assert_int_equal(load.cut_bytes, 50);
    assert_false(load.damaged);
    assert_int_equal(file_size(f->path), size - 80);
    /* The last header again, then a restart sees the whole chain. */
    append_range(c, hs, N - 1, N);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, N);
    assert_int_equal(load.checkpoints, N / HEADERSTORE_CHECKPOINT_EVERY);
    assert_false(load.damaged);
    headerstore_close(hs);
    chain_free(c);
}

static void test_cut_through_a_checkpoint_rewrites_it(void **state)
{
    struct fixture *f = *state;
    write_all(f->path);
    /* A crash right after header 2,000 went out, before its checkpoint. */
    assert_int_equal(truncate(f->path, 2000 * 80), 0);
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 2000);
    assert_int_equal(load.checkpoints, 0);
    append_range(c, hs, 2000, 2100);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 2100);
    assert_int_equal(load.checkpoints, 1);
    assert_false(load.damaged);
    headerstore_close(hs);
    chain_free(c);
}

static void test_damaged_checkpoint_cuts_there(void **state)
{
    struct fixture *f = *state;
    write_all(f->path);
    off_t size = file_size(f->path);
    flip(f->path, 2000 * 80 + 50); /* in the first checkpoint's hash */
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    assert_true(load.damaged);
    assert_int_equal(load.loaded, 2000);
    assert_int_equal(load.checkpoints, 0);
    assert_int_equal(load.cut_bytes, (size_t)(size - 2000 * 80));
    headerstore_close(hs);
    chain_free(c);
}

static void test_damaged_header_cuts_there(void **state)
{
    struct fixture *f = *state;
    write_all(f->path);
    flip(f->path, (3000 + 1) * 80 + 76); /* header 3,000's nonce: its hash changes */
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    assert_true(load.damaged);
    /* Header 3,000 may still meet the easy target; 3,001 then no longer
     * links. Either way nothing from 3,001 on is kept. */
    assert_in_range(load.loaded, 3000, 3001);
    assert_int_equal(load.checkpoints, 1);
    headerstore_close(hs);
    chain_free(c);
}

static void test_duplicate_record_is_damage(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    append_range(c, hs, 0, 10);
    const struct chain_entry *e = chain_lookup(c, headers[9].prev_hash);
    assert_int_equal(headerstore_append(hs, &headers[8], e), HEADERSTORE_OK);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_true(load.damaged);
    assert_int_equal(load.loaded, 10);
    assert_int_equal(load.cut_bytes, 80);
    headerstore_close(hs);
    chain_free(c);
}

/* Headers stamped far ahead of this machine's clock (as if it had been
 * set back after they came): the replay keeps them all. */
static void test_replay_ignores_a_clock_that_is_behind(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    const struct chain_entry *tip = chain_tip(c);
    const int64_t later = 4000000000; /* 2096 */
    for (int i = 0; i < 10; i++) {
        struct wire_header h = {.version = 0x20000000, .time = (uint32_t)later + (uint32_t)i * 600u,
                                .bits = 0x207fffff};
        memcpy(h.prev_hash, tip->hash, 32);
        uint8_t hash[32];
        for (h.nonce = 0;; h.nonce++) {
            wire_header_hash(&h, hash);
            if (hash[31] < 0x7f) break;
        }
        assert_int_equal(chain_add_header(c, &h, later + 7200, &tip), CHAIN_OK);
        assert_int_equal(headerstore_append(hs, &h, tip), HEADERSTORE_OK);
    }
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 10);
    assert_false(load.damaged);
    assert_int_equal(load.cut_bytes, 0);
    headerstore_close(hs);
    chain_free(c);
}

/* A full disk, played by RLIMIT_FSIZE: write() fails with EFBIG part way
 * through a flush. */
static void test_failed_flush_leaves_last_good_file(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    append_range(c, hs, 0, 100);
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    off_t good = file_size(f->path);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)good + 200; /* half of the next flush fits */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    append_range(c, hs, 100, 105);
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_ERR_IO);
    assert_int_equal(file_size(f->path), good);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);

    /* Room again: the buffered headers go out on the next flush. */
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 105);
    assert_false(load.damaged);
    headerstore_close(hs);
    chain_free(c);
}

/* The flush in three steps, as the daemon's disk writer runs it: while a
 * flush is out, headers go on being appended and every record stays
 * readable (from the file, or from the buffer the flush copied); a second
 * flush waits its turn; the file then holds exactly what each flush wrote. */
static void test_split_flush_with_appends_in_between(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    append_range(c, hs, 0, 1500);
    struct headerstore_flush_job job, other;
    assert_int_equal(headerstore_flush_begin(hs, &job), HEADERSTORE_OK);
    assert_true(headerstore_flushing(hs));
    assert_int_equal(headerstore_flush_begin(hs, &other), HEADERSTORE_ERR_BUSY);
    append_range(c, hs, 1500, 2500); /* across the first checkpoint */
    const uint32_t probe[] = {0, 1499, 1500, 1999, 2000, 2499};
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        uint8_t raw[80], want[80];
        assert_int_equal(headerstore_read(hs, probe[k], raw), HEADERSTORE_OK);
        wire_header_serialize(&headers[probe[k]], want);
        assert_memory_equal(raw, want, 80);
    }
    headerstore_flush_run(&job);
    assert_int_equal(file_size(f->path), 1500 * 80);
    append_range(c, hs, 2500, 2600);
    assert_int_equal(headerstore_flush_end(hs, &job), HEADERSTORE_OK);
    assert_false(headerstore_flushing(hs));
    for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++) {
        uint8_t raw[80], want[80];
        assert_int_equal(headerstore_read(hs, probe[k], raw), HEADERSTORE_OK);
        wire_header_serialize(&headers[probe[k]], want);
        assert_memory_equal(raw, want, 80);
    }
    /* The rest (1,100 headers and a checkpoint) in the next flush. */
    assert_int_equal(headerstore_flush_begin(hs, &job), HEADERSTORE_OK);
    assert_int_equal(job.len, 1101 * 80);
    assert_true(job.all);
    headerstore_flush_run(&job);
    assert_int_equal(headerstore_flush_end(hs, &job), HEADERSTORE_OK);
    assert_int_equal(file_size(f->path), 2601 * 80);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 2600);
    assert_int_equal(load.checkpoints, 1);
    assert_false(load.damaged);
    headerstore_close(hs);
    chain_free(c);
}

/* A flush that fails on the writer's side while headers keep coming: the
 * file is left as the last good flush left it, nothing is lost from the
 * buffer, and the next flush writes all of it in order. */
static void test_failed_split_flush_keeps_everything_for_the_next(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    append_range(c, hs, 0, 100);
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    off_t good = file_size(f->path);

    append_range(c, hs, 100, 110);
    struct headerstore_flush_job job;
    assert_int_equal(headerstore_flush_begin(hs, &job), HEADERSTORE_OK);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)good + 200; /* part of this flush fits */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    headerstore_flush_run(&job);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_false(job.written);
    assert_int_equal(file_size(f->path), good);
    append_range(c, hs, 110, 120); /* came while the flush was out */
    assert_int_equal(headerstore_flush_end(hs, &job), HEADERSTORE_ERR_IO);
    uint8_t raw[80], want[80];
    assert_int_equal(headerstore_read(hs, 105, raw), HEADERSTORE_OK);
    wire_header_serialize(&headers[105], want);
    assert_memory_equal(raw, want, 80);

    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    assert_int_equal(file_size(f->path), 120 * 80);
    headerstore_close(hs);
    chain_free(c);
    hs = open_store(f->path, &c, &load);
    assert_int_equal(load.loaded, 120);
    assert_false(load.damaged);
    assert_int_equal(load.cut_bytes, 0);
    headerstore_close(hs);
    chain_free(c);
}

/* A backlog behind a slow disk goes out a megabyte per flush, the rest
 * waiting in the buffer (and readable) for the next; a whole flush loops. */
static void test_flush_takes_at_most_a_megabyte(void **state)
{
    struct fixture *f = *state;
    struct chain *c;
    struct headerstore_load load;
    struct headerstore *hs = open_store(f->path, &c, &load);
    append_range(c, hs, 0, 1);
    const struct chain_entry *e = chain_tip(c);
    /* Records only: the same header over and over (not a valid file). */
    for (int i = 1; i < 13000; i++)
        assert_int_equal(headerstore_append(hs, &headers[0], e), HEADERSTORE_OK);
    const size_t records = 13000 + 13000 / HEADERSTORE_CHECKPOINT_EVERY;
    assert_int_equal(headerstore_unwritten(hs), records * 80);
    struct headerstore_flush_job job;
    assert_int_equal(headerstore_flush_begin(hs, &job), HEADERSTORE_OK);
    assert_false(job.all);
    assert_int_equal(job.len, 12800 * 80);
    headerstore_flush_run(&job);
    assert_int_equal(headerstore_flush_end(hs, &job), HEADERSTORE_OK);
    assert_int_equal(file_size(f->path), 12800 * 80);
    assert_int_equal(headerstore_unwritten(hs), (records - 12800) * 80);
    uint8_t raw[80], want[80];
    wire_header_serialize(&headers[0], want);
    assert_int_equal(headerstore_read(hs, 12999, raw), HEADERSTORE_OK); /* still buffered */
    assert_memory_equal(raw, want, 80);
    assert_int_equal(headerstore_flush(hs), HEADERSTORE_OK);
    assert_int_equal(file_size(f->path), (off_t)(records * 80));
    assert_int_equal(headerstore_unwritten(hs), 0);
    assert_int_equal(headerstore_read(hs, 12999, raw), HEADERSTORE_OK); /* from the file */
    assert_memory_equal(raw, want, 80);
    headerstore_close(hs);
    chain_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_with_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_cut_and_appends_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_through_a_checkpoint_rewrites_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_checkpoint_cuts_there, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_header_cuts_there, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_record_is_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_flush_leaves_last_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_ignores_a_clock_that_is_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_flush_with_appends_in_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_split_flush_keeps_everything_for_the_next, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_takes_at_most_a_megabyte, setup, teardown),
    };
    return test_run_group(tests);
}
