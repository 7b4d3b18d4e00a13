/* cfheaders.dat (src/node/cfstore.c): 32 bytes a block at offset 32·h,
 * written through the disk writer thread; at open a torn tail is cut and
 * only the records up to the last checkpoint height (a multiple of 1,000)
 * and up to the header chain's height are kept; a truncation (a reorg)
 * followed by new headers leaves the file equal to memory. */
#include "testutil.h"

#include "node/cfstore.h"
#include "node/diskwriter.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void header_of(size_t h, uint8_t seed, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)(h * 7 + (size_t)i + seed);
    memcpy(out, &h, sizeof h < 8 ? sizeof h : 8);
}

static void append_range(struct cfstore *s, size_t from, size_t to, uint8_t seed)
{
    uint8_t(*hdrs)[32] = malloc((to - from) * 32);
    for (size_t h = from; h < to; h++) header_of(h, seed, hdrs[h - from]);
    assert_int_equal(cfstore_append(s, (const uint8_t(*)[32])hdrs, to - from), CFSTORE_OK);
    free(hdrs);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

struct fixture {
    char dir[64], path[96];
    struct event_base *base;
    struct diskwriter *w;
};

static void fixture_init(struct fixture *f)
{
    strcpy(f->dir, "/tmp/btcpeerd-cfstore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cfheaders.dat", f->dir);
    f->base = event_base_new();
    f->w = diskwriter_new(f->base);
    assert_non_null(f->w);
}

static void fixture_free(struct fixture *f)
{
    diskwriter_free(f->w);
    event_base_free(f->base);
    unlink(f->path);
    rmdir(f->dir);
}

static void check_file(const char *path, const struct cfstore *s)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t n = cfstore_count(s);
    uint8_t *data = malloc(n * 32 + 1);
    assert_int_equal(fread(data, 1, n * 32 + 1, fp), n * 32);
    fclose(fp);
    for (size_t h = 0; h < n; h++) assert_memory_equal(data + h * 32, cfstore_get(s, (int32_t)h), 32);
    free(data);
}

static void test_flush_reopen_keeps_to_the_last_checkpoint(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct cfstore *s;
    size_t loaded, cut;
    assert_int_equal(cfstore_open(f.path, 3000, &s, &loaded, &cut), CFSTORE_OK);
    assert_int_equal(loaded, 0);
    append_range(s, 0, 2500, 1);
    cfstore_flush(s, f.w);
    cfstore_flush(s, f.w); /* asked while one is out: follows it */
    diskwriter_drain(f.w);
    assert_int_equal(cfstore_durable(s), 2500);
    assert_int_equal(file_size(f.path), 2500 * 32);
    check_file(f.path, s);
    cfstore_close(s);

    /* Heights 0..2000 stay (2,000 is a checkpoint height); 2001..2499 go. */
    assert_int_equal(cfstore_open(f.path, 3000, &s, &loaded, &cut), CFSTORE_OK);
    assert_int_equal(loaded, 2001);
    assert_int_equal(cut, 499);
    assert_int_equal(cfstore_count(s), 2001);
    uint8_t want[32];
    header_of(2000, 1, want);
    assert_memory_equal(cfstore_get(s, 2000), want, 32);
    assert_null(cfstore_get(s, 2001));
    assert_int_equal(file_size(f.path), 2001 * 32);
    cfstore_close(s);

    /* A header chain that is shorter now: no record above its height. */
    assert_int_equal(cfstore_open(f.path, 1500, &s, &loaded, &cut), CFSTORE_OK);
    assert_int_equal(loaded, 1001);
    cfstore_close(s);
    assert_int_equal(cfstore_open(f.path, 999, &s, &loaded, &cut), CFSTORE_OK);
    assert_int_equal(loaded, 0);
    assert_int_equal(file_size(f.path), 0);
    cfstore_close(s);
    fixture_free(&f);
}

static void test_torn_tail_is_cut(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct cfstore *s;
    size_t loaded, cut;
    assert_int_equal(cfstore_open(f.path, 5000, &s, &loaded, &cut), CFSTORE_OK);
    append_range(s, 0, 1001, 2);
    cfstore_flush(s, f.w);
    diskwriter_drain(f.w);
    cfstore_close(s);
    FILE *fp = fopen(f.path, "ab");
    assert_int_equal(fwrite("torn", 1, 4, fp), 4); /* a crash mid-record */
    fclose(fp);
    assert_int_equal(cfstore_open(f.path, 5000, &s, &loaded, &cut), CFSTORE_OK);
    assert_int_equal(loaded, 1001);
    assert_int_equal(cut, 1);
    assert_int_equal(file_size(f.path), 1001 * 32);
    check_file(f.path, s);
    cfstore_close(s);
    fixture_free(&f);
}

static void test_reorg_truncate_then_new_headers(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct cfstore *s;
    size_t loaded, cut;
    assert_int_equal(cfstore_open(f.path, 5000, &s, &loaded, &cut), CFSTORE_OK);
    append_range(s, 0, 1200, 3);
    cfstore_flush(s, f.w);
    diskwriter_drain(f.w);
    /* A reorg at 1,100: back to the fork, then the other branch, longer. */
    cfstore_truncate(s, 1100);
    append_range(s, 1100, 1300, 9);
    cfstore_flush(s, f.w);
    diskwriter_drain(f.w);
    assert_int_equal(file_size(f.path), 1300 * 32);
    check_file(f.path, s);
    uint8_t want[32];
    header_of(1150, 9, want);
    assert_memory_equal(cfstore_get(s, 1150), want, 32);
    /* A reorg to a shorter branch: the file shrinks. */
    cfstore_truncate(s, 1050);
    cfstore_flush(s, f.w);
    diskwriter_drain(f.w);
    assert_int_equal(file_size(f.path), 1050 * 32);
    check_file(f.path, s);
    cfstore_close(s);
    fixture_free(&f);
}

static void test_memory_only(void **state)
{
    (void)state;
    struct cfstore *s;
    size_t loaded, cut;
    assert_int_equal(cfstore_open(NULL, 10, &s, &loaded, &cut), CFSTORE_OK);
    append_range(s, 0, 5000, 4); /* grows past its first capacity */
    cfstore_flush(s, NULL);
    assert_int_equal(cfstore_count(s), 5000);
    assert_int_equal(cfstore_durable(s), 0);
    assert_true(cfstore_memory(s) >= 5000 * 32);
    assert_null(cfstore_get(s, -1));
    assert_null(cfstore_get(s, 5000));
    cfstore_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flush_reopen_keeps_to_the_last_checkpoint),
        cmocka_unit_test(test_torn_tail_is_cut),
        cmocka_unit_test(test_reorg_truncate_then_new_headers),
        cmocka_unit_test(test_memory_only),
    };
    return test_run_group(tests);
}
