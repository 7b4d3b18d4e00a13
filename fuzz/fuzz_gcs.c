/* libFuzzer target for BIP158 filters as a peer would send them: the
 * first 32 bytes are the block hash (the key), the rest the serialized
 * filter. Opening bounds N by the bytes; whatever opens is checked,
 * decoded and matched, and the answers must agree with each other: the
 * decoded values ascend, and the merged many-item pass says exactly what
 * one match per item says. Nothing may crash, leak or read out of
 * bounds. */
#include <btcpeerd/gcs.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t watched[][8] = {{0}, {1, 2}, {0x51}, {0x00, 0x14, 9, 9}, {0xff, 0xfe, 0xfd}};
static const size_t watched_len[] = {1, 2, 1, 4, 3};
#define N_WATCHED (sizeof watched_len / sizeof watched_len[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 32) return 0;
    struct gcs_params params;
    gcs_basic_params(data, &params);
    /* a small M too, so that matches happen */
    if (data[0] & 1) {
        params.m = 1 + data[1] % 8u;
        params.p = (uint8_t)(1 + data[2] % 4);
    }
    struct gcs_filter f;
    if (gcs_open(data + 32, size - 32, &params, &f) != GCS_OK) return 0;
    if (f.n * ((uint64_t)params.p + 1) > (uint64_t)f.bits_len * 8) abort();
    enum gcs_err check = gcs_check(&f);
    uint64_t *values = malloc(f.n ? (size_t)f.n * sizeof *values : 1);
    if (!values) abort();
    if (gcs_decode(&f, values) != check) abort();
    if (check == GCS_OK)
        for (uint64_t i = 1; i < f.n; i++)
            if (values[i - 1] > values[i]) abort();
    free(values);

    struct gcs_item items[N_WATCHED];
    for (size_t i = 0; i < N_WATCHED; i++) items[i] = (struct gcs_item){watched[i], watched_len[i]};
    bool matched[N_WATCHED];
    size_t hits = 0;
    enum gcs_err each = gcs_match_each(&f, items, N_WATCHED, matched, &hits);
    if (each != GCS_OK) return 0; /* malformed where it was read */
    size_t singles = 0;
    for (size_t i = 0; i < N_WATCHED; i++) {
        bool m;
        /* a single match stops earlier, so it cannot fail where the pass did not */
        if (gcs_match(&f, items[i].data, items[i].len, &m) != GCS_OK || m != matched[i]) abort();
        singles += m;
    }
    bool any;
    if (gcs_match_any(&f, items, N_WATCHED, &any) != GCS_OK || any != (hits > 0) || hits != singles)
        abort();
    return 0;
}
