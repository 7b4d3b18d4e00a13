/* Clocks. Timeouts and rates use the monotonic clock (never jumps); protocol
 * timestamps use wall time. */
#ifndef BTCPEERD_CLOCK_H
#define BTCPEERD_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_us(void);
uint64_t clock_mono_ms(void);
int64_t clock_unix_s(void);
/* Wall clock in milliseconds since the epoch, for log timestamps. */
int64_t clock_unix_ms(void);

#endif
