/* The clock check of Bitcoin Core v27+ (node/timeoffsets): the offsets
 * (their clock minus ours) our outbound peers showed in their version
 * messages, the last TIME_OFFSETS_MAX of them, and their median. Inbound
 * peers are not sampled: anyone can connect to us, many times, and say
 * anything, while outbound peers are the ones we chose. The median is used
 * for one thing only, a warning when our clock looks wrong; nothing else
 * (no adjusted time) depends on it. Pure: no clock, no log. */
#ifndef BTCPEERD_TIMEOFFSETS_H
#define BTCPEERD_TIMEOFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's MAX_SIZE: the oldest sample goes when a new one comes. */
#define TIME_OFFSETS_MAX 50
/* Core: below this many samples the median is 0 (not enough to say). */
#define TIME_OFFSETS_MIN 5
/* Core v27+'s WARN_THRESHOLD (10 min; it was 70 min before adjusted time
 * was removed): a median strictly beyond it warns. */
#define TIME_OFFSETS_WARN_S (10 * 60)

struct time_offsets {
    int64_t samples[TIME_OFFSETS_MAX]; /* a ring: next is where the next one goes */
    size_t n, next;
};

void time_offsets_init(struct time_offsets *t);
void time_offsets_add(struct time_offsets *t, int64_t offset);
/* The upper median of the samples (sorted[n/2], as Core), or 0 with fewer
 * than TIME_OFFSETS_MIN. */
int64_t time_offsets_median(const struct time_offsets *t);
/* Does the median say our clock is out of sync (|median| > 10 min)? */
bool time_offsets_out_of_sync(const struct time_offsets *t);

#endif
