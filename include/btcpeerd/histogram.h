/* A fixed-bucket histogram of durations (or any non-negative value), as
 * Prometheus histograms count them: per-bucket counts, their sum and their
 * number. Observing never allocates: the buckets are an array in the
 * struct, the bounds a constant array the caller owns. */
#ifndef BTCPEERD_HISTOGRAM_H
#define BTCPEERD_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BOUNDS 16

struct histogram {
    const double *bounds; /* upper bounds, ascending; +Inf is implicit */
    size_t n_bounds;      /* at most HISTOGRAM_MAX_BOUNDS */
    uint64_t counts[HISTOGRAM_MAX_BOUNDS + 1]; /* per bucket (not cumulative); last = +Inf */
    uint64_t count;
    double sum;
};

/* Latency buckets in seconds, 1 ms to 10 s: a loopback handshake and a
 * transatlantic ping both land inside them. */
extern const double histogram_seconds_bounds[];
extern const size_t histogram_seconds_n_bounds;

void histogram_init(struct histogram *h, const double *bounds, size_t n_bounds);
/* Count v in the first bucket whose bound is >= v (Prometheus' "le"). */
void histogram_observe(struct histogram *h, double v);
/* Observations <= bounds[i] (i == n_bounds: all of them). */
uint64_t histogram_cumulative(const struct histogram *h, size_t i);

#endif
