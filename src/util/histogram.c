/* Fixed-bucket histograms for the metrics: see histogram.h. */
#include <btcpeerd/histogram.h>

#include <string.h>

const double histogram_seconds_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
const size_t histogram_seconds_n_bounds =
    sizeof histogram_seconds_bounds / sizeof histogram_seconds_bounds[0];

void histogram_init(struct histogram *h, const double *bounds, size_t n_bounds)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n_bounds > HISTOGRAM_MAX_BOUNDS ? HISTOGRAM_MAX_BOUNDS : n_bounds;
}

void histogram_observe(struct histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i]) i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

uint64_t histogram_cumulative(const struct histogram *h, size_t i)
{
    uint64_t total = 0;
    for (size_t k = 0; k <= i && k <= h->n_bounds; k++) total += h->counts[k];
    return total;
}
