/* Ascending sort of (value, index) pairs: insertion sort for a handful,
 * else an LSD radix sort on the bytes the largest value uses. A wallet
 * matching 10,000 scripts sorts 10,000 values per filter; radix passes
 * over uniform hashes beat qsort's comparisons there by about ten times. */
#include "sort.h"

#include <stdlib.h>
#include <string.h>

#define SMALL 32u

static void insertion_sort(struct gcs_pair *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct gcs_pair x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].value > x.value; j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

static int pair_cmp(const void *a, const void *b)
{
    const struct gcs_pair *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

void gcs_sort_pairs(struct gcs_pair *pairs, size_t n)
{
    if (n <= SMALL) {
        insertion_sort(pairs, n);
        return;
    }
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (pairs[i].value > max) max = pairs[i].value;
    struct gcs_pair *tmp = malloc(n * sizeof *tmp);
    if (!tmp) {
        qsort(pairs, n, sizeof *pairs, pair_cmp);
        return;
    }
    struct gcs_pair *src = pairs, *dst = tmp;
    for (unsigned shift = 0; shift < 64 && (max >> shift); shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((src[i].value >> shift) & 0xff) + 1]++;
        for (size_t b = 1; b < 257; b++) count[b] += count[b - 1];
        for (size_t i = 0; i < n; i++) dst[count[(src[i].value >> shift) & 0xff]++] = src[i];
        struct gcs_pair *t = src;
        src = dst;
        dst = t;
    }
    if (src != pairs) memcpy(pairs, src, n * sizeof *pairs);
    free(tmp);
}
