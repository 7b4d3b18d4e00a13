/* Bitcoin Core's headers download deadline (net_processing.cpp,
 * HEADERS_DOWNLOAD_TIMEOUT_BASE and _PER_HEADER): set once, when a header
 * sync with a peer starts, to base + per-header × the headers we expect to
 * be missing ((now - best header time) / target spacing, whole headers).
 * The header time came off the wire, so every step saturates. Pure: the
 * caller passes both clocks. */
#ifndef BTCPEERD_HDRDEADLINE_H
#define BTCPEERD_HDRDEADLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Core: 15 minutes, and 1 ms a missing header. */
#define HDRDEADLINE_BASE_MS_DEFAULT (15u * 60 * 1000)
#define HDRDEADLINE_PER_HEADER_MS_DEFAULT 1u
/* A best header younger than this ends the deadline for good (Core: 24 h). */
#define HDRDEADLINE_RECENT_S (24 * 60 * 60)

/* Headers a chain whose best header has header_time is missing at now_s:
 * 0 when that time is not in the past; spacing_s <= 0 counts as 1 s. */
uint64_t hdrdeadline_missing(int64_t now_s, uint32_t header_time, int64_t spacing_s);
/* The deadline (monotonic ms) for a sync starting at now_ms; UINT64_MAX
 * when it would not fit. */
uint64_t hdrdeadline_at(uint64_t now_ms, uint32_t base_ms, uint32_t per_header_ms,
                        uint64_t missing);
/* Is the best header within 24 h of now (the deadline no longer applies)? */
bool hdrdeadline_caught_up(int64_t now_s, uint32_t header_time);

#endif
