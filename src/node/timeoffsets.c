/* The outbound peers' clock offsets and their median (timeoffsets.h). */
#include "timeoffsets.h"

#include <btcpeerd/satmath.h>

#include <stdlib.h>
#include <string.h>

void time_offsets_init(struct time_offsets *t)
{
    memset(t, 0, sizeof *t);
}

void time_offsets_add(struct time_offsets *t, int64_t offset)
{
    t->samples[t->next] = offset;
    t->next = (t->next + 1) % TIME_OFFSETS_MAX;
    if (t->n < TIME_OFFSETS_MAX) t->n++;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t time_offsets_median(const struct time_offsets *t)
{
    if (t->n < TIME_OFFSETS_MIN) return 0;
    int64_t sorted[TIME_OFFSETS_MAX];
    memcpy(sorted, t->samples, t->n * sizeof sorted[0]);
    qsort(sorted, t->n, sizeof sorted[0], cmp_i64);
    return sorted[t->n / 2];
}

bool time_offsets_out_of_sync(const struct time_offsets *t)
{
    /* sat_abs: a sample is bounded by the peer layer, but |INT64_MIN| must
     * not be this function's problem either. */
    return sat_abs_i64(time_offsets_median(t)) > TIME_OFFSETS_WARN_S;
}
