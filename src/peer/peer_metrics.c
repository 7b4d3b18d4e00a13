/* The peer layer's counters for metrics (see peer_metrics.h): the hooks the
 * peer's files call where things happen, and the read-only views. Every
 * hook is an array increment or a histogram bucket: nothing here allocates
 * or takes more than a few instructions per message. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>

#include <string.h>

void peer_metrics_init(struct peer_metrics *m)
{
    memset(m, 0, sizeof *m);
    histogram_init(&m->handshake_seconds, histogram_seconds_bounds, histogram_seconds_n_bounds);
    histogram_init(&m->ping_seconds, histogram_seconds_bounds, histogram_seconds_n_bounds);
}

static size_t type_index(enum wire_type type)
{
    return (size_t)type < WIRE_TYPE_COUNT ? (size_t)type : (size_t)WIRE_UNKNOWN;
}

void peer_metrics_msg_in(struct peer *p, enum wire_type type, size_t framed_len)
{
    struct peer_metrics *m = &p->table->metrics;
    size_t i = type_index(type);
    m->msgs_in[i]++;
    m->bytes_in[i] += framed_len;
}

void peer_metrics_msg_out(struct peer *p, enum wire_type type, size_t framed_len)
{
    struct peer_metrics *m = &p->table->metrics;
    size_t i = type_index(type);
    m->msgs_out[i]++;
    m->bytes_out[i] += framed_len;
}

void peer_metrics_disconnect(struct peer *p, enum peer_reason reason)
{
    if ((size_t)reason < PEER_REASON_COUNT) p->table->metrics.disconnects[reason]++;
}

void peer_metrics_handshake_done(struct peer *p)
{
    if (!p->connected_us) return;
    uint64_t us = clock_mono_us() - p->connected_us;
    histogram_observe(&p->table->metrics.handshake_seconds, (double)us / 1e6);
}

void peer_metrics_ping(struct peer *p, uint64_t rtt_us)
{
    histogram_observe(&p->table->metrics.ping_seconds, (double)rtt_us / 1e6);
}

const struct peer_metrics *peer_table_metrics(const struct peer_table *t)
{
    return &t->metrics;
}

void peer_table_census(const struct peer_table *t, struct peer_census *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    void *value;
    while (idmap_next(&t->peers, &pos, NULL, &value)) {
        const struct peer *p = value;
        size_t slot;
        if (p->state == PEER_PROXY) slot = PEER_CENSUS_STATES - 1;
        else if (p->state <= PEER_CONNECTED) slot = (size_t)p->state;
        else continue; /* dead: leaving */
        out->n[p->inbound ? 1 : 0][slot][p->transport && transport_version(p->transport) == 2]++;
    }
}

enum peer_state peer_census_state(size_t slot)
{
    return slot == PEER_CENSUS_STATES - 1 ? PEER_PROXY : (enum peer_state)slot;
}

const char *peer_metrics_state(enum peer_state state)
{
    switch (state) {
    case PEER_NONE: return "none";
    case PEER_SENT_VERSION: return "sent_version";
    case PEER_SENT_VERACK: return "sent_verack";
    case PEER_CONNECTED: return "connected";
    case PEER_DEAD: return "dead";
    case PEER_PROXY: return "proxy";
    }
    return "unknown";
}
