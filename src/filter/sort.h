/* Sorting hashed values with where they came from, for the GCS code.
 * Private to src/filter. */
#ifndef BTCPEERD_FILTER_SORT_H
#define BTCPEERD_FILTER_SORT_H

#include <stddef.h>
#include <stdint.h>

struct gcs_pair {
    uint64_t value; /* a hashed item, in [0, F) */
    size_t index;   /* the item it came from */
};

/* Ascending by value (equal values in any order). */
void gcs_sort_pairs(struct gcs_pair *pairs, size_t n);

#endif
