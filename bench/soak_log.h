/* The soak's account of the daemon's side, read from its log after the run:
 * which inbound connections it accepted or refused (by address), which
 * accepted ones it logged a disconnect for and with what reason, and any
 * sanitizer report. soak.c compares it with the connections it opened. */
#ifndef BTCPEERD_SOAK_LOG_H
#define BTCPEERD_SOAK_LOG_H

#include <stddef.h>
#include <stdint.h>

struct soak_tally {
    uint64_t *seen; /* accepted or refused, by addr (ip << 16 | port) */
    size_t n_seen, cap_seen;
    unsigned char *state; /* by peer id: 1 connected, 2 disconnected */
    size_t cap_state;
    size_t connected, refused, handshakes, disconnected, no_reason;
    char reasons[32][32];
    size_t reason_count[32], n_reasons;
    size_t leak_reports;
};

/* Add what the log at path says to t (zeroed by the caller the first time). */
void soak_log_read(const char *path, struct soak_tally *t);
void soak_log_free(struct soak_tally *t);
/* How many of the opened keys the log never mentions; sorts opened and
 * t->seen in place. */
size_t soak_log_unseen(struct soak_tally *t, uint64_t *opened, size_t n_opened);
/* Accepted connections without a disconnect line. */
size_t soak_log_open_at_end(const struct soak_tally *t);

#endif
