/* The headers download deadline's arithmetic (hdrdeadline.h): saturating,
 * since the best header's time is whatever a peer put on the wire. */
#include "hdrdeadline.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

uint64_t hdrdeadline_missing(int64_t now_s, uint32_t header_time, int64_t spacing_s)
{
    /* header_time fits an int64_t, and now_s - header_time cannot
     * overflow when now_s is above it */
    if (now_s <= (int64_t)header_time) return 0;
    uint64_t age = (uint64_t)(now_s - (int64_t)header_time);
    return age / (uint64_t)(spacing_s > 0 ? spacing_s : 1);
}

uint64_t hdrdeadline_at(uint64_t now_ms, uint32_t base_ms, uint32_t per_header_ms,
                        uint64_t missing)
{
    return sat_add(sat_add(now_ms, base_ms), sat_mul(per_header_ms, missing));
}

bool hdrdeadline_caught_up(int64_t now_s, uint32_t header_time)
{
    /* Core: the timeout holds while best header time <= now - 24 h */
    return (int64_t)header_time > now_s - HDRDEADLINE_RECENT_S;
}
