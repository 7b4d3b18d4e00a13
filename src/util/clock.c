/* Clock wrappers: monotonic for timeouts and rates, wall for timestamps. */
#include <btcpeerd/clock.h>

#include <time.h>

static uint64_t timespec_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t clock_mono_us(void) { return timespec_us(CLOCK_MONOTONIC); }
uint64_t clock_mono_ms(void) { return timespec_us(CLOCK_MONOTONIC) / 1000u; }
int64_t clock_unix_s(void) { return (int64_t)(timespec_us(CLOCK_REALTIME) / 1000000u); }
int64_t clock_unix_ms(void) { return (int64_t)(timespec_us(CLOCK_REALTIME) / 1000u); }
