/* Saturating and clamped integer arithmetic for values that come off the
 * wire or out of a file. A hostile peer chooses those values, so a plain
 * `a - b` on them is undefined behaviour waiting for INT64_MIN; these give
 * the nearest representable result instead (callers say why saturating is
 * the right answer where they use them). Pure, header-only, no state. */
#ifndef BTCPEERD_SATMATH_H
#define BTCPEERD_SATMATH_H

#include <stdint.h>

static inline int64_t sat_add_i64(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline int64_t sat_sub_i64(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static inline uint64_t sat_add_u64(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return UINT64_MAX;
    return r;
}

static inline uint64_t sat_mul_u64(uint64_t a, uint64_t b)
{
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return UINT64_MAX;
    return r;
}

static inline int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* |v| without the undefined -INT64_MIN: INT64_MIN gives INT64_MAX. */
static inline int64_t sat_abs_i64(int64_t v)
{
    return v >= 0 ? v : v == INT64_MIN ? INT64_MAX : -v;
}

/* The latest time the protocol's uint32 clocks (block headers, addr
 * entries) can say: 2106-02-07. */
#define PROTOCOL_TIME_MAX ((int64_t)UINT32_MAX)

/* A unix time off the wire or out of a file, clamped to [0,
 * PROTOCOL_TIME_MAX]: before 1970 means "never" (Core reads a negative
 * version time as 0), past 2106 is no more wrong than 2106, and `now - t`
 * is then defined for any local clock. */
static inline int64_t time_bounded(int64_t t)
{
    return clamp_i64(t, 0, PROTOCOL_TIME_MAX);
}

#endif
