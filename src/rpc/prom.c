/* The Prometheus text exposition format, version 0.0.4: family headers,
 * samples with escaped label values, numbers that read back exactly, and
 * histograms with cumulative buckets. Appends to an evbuffer; knows nothing
 * of what it is formatting (metrics.c decides that). */
#include "rpc/metrics.h"

#include <event2/buffer.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escape \ and newline, and " too when in_label (HELP text keeps quotes). */
static void escape(struct evbuffer *out, const char *s, bool in_label)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\') rep = "\\\\";
        else if (*s == '\n') rep = "\\n";
        else if (*s == '"' && in_label) rep = "\\\"";
        if (!rep) continue;
        evbuffer_add(out, run, (size_t)(s - run));
        evbuffer_add(out, rep, strlen(rep));
        run = s + 1;
    }
    evbuffer_add(out, run, (size_t)(s - run));
}

void prom_escape_label_value(struct evbuffer *out, const char *value)
{
    escape(out, value, true);
}

void prom_family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s ", name);
    escape(out, help, false);
    evbuffer_add_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* name{a="x",b="y"<extra>} with extra a preformatted label (le) or NULL. */
static void sample_name(struct evbuffer *out, const char *name, const char *suffix,
                        const struct prom_label *labels, size_t n_labels, const char *le)
{
    evbuffer_add_printf(out, "%s%s", name, suffix);
    if (!n_labels && !le) return;
    evbuffer_add(out, "{", 1);
    for (size_t i = 0; i < n_labels; i++) {
        evbuffer_add_printf(out, "%s%s=\"", i ? "," : "", labels[i].name);
        prom_escape_label_value(out, labels[i].value);
        evbuffer_add(out, "\"", 1);
    }
    if (le) evbuffer_add_printf(out, "%sle=\"%s\"", n_labels ? "," : "", le);
    evbuffer_add(out, "}", 1);
}

/* The shortest of %.15g..%.17g that parses back to the same double (Go's
 * strconv does the same for Prometheus' own clients). */
static void format_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

void prom_sample_u64(struct evbuffer *out, const char *name, const struct prom_label *labels,
                     size_t n_labels, uint64_t value)
{
    sample_name(out, name, "", labels, n_labels, NULL);
    evbuffer_add_printf(out, " %" PRIu64 "\n", value);
}

void prom_sample_double(struct evbuffer *out, const char *name, const struct prom_label *labels,
                        size_t n_labels, double value)
{
    char num[40];
    format_double(value, num, sizeof num);
    sample_name(out, name, "", labels, n_labels, NULL);
    evbuffer_add_printf(out, " %s\n", num);
}

void prom_histogram(struct evbuffer *out, const char *name, const struct prom_label *labels,
                    size_t n_labels, const struct histogram *h)
{
    char le[40], num[40];
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += h->counts[i];
        if (i < h->n_bounds)
            format_double(h->bounds[i], le, sizeof le);
        else
            snprintf(le, sizeof le, "+Inf");
        sample_name(out, name, "_bucket", labels, n_labels, le);
        evbuffer_add_printf(out, " %" PRIu64 "\n", cumulative);
    }
    format_double(h->sum, num, sizeof num);
    sample_name(out, name, "_sum", labels, n_labels, NULL);
    evbuffer_add_printf(out, " %s\n", num);
    sample_name(out, name, "_count", labels, n_labels, NULL);
    evbuffer_add_printf(out, " %" PRIu64 "\n", h->count);
}
