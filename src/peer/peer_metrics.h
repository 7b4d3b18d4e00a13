/* What the peer layer counts for the operator's metrics: messages and bytes
 * by command, disconnects by reason, handshake and ping durations, and a
 * census of the live peers. The counters are fixed arrays inside the peer
 * table, bumped where the events happen (no allocation, no lookup beyond an
 * array index); the node copies them through the const views below for
 * the operator (node/rpcview.c), and rpc/metrics.c formats the copies. */
#ifndef BTCPEERD_PEER_METRICS_H
#define BTCPEERD_PEER_METRICS_H

#include "peer.h"

#include <btcpeerd/histogram.h>
#include <btcpeerd/wire.h>

#include <stddef.h>
#include <stdint.h>

/* Indexed by enum wire_type: every command we know has its own slot, and
 * WIRE_UNKNOWN ("other") takes the rest, so a peer inventing commands
 * cannot grow the label set. */
struct peer_metrics {
    uint64_t msgs_in[WIRE_TYPE_COUNT], msgs_out[WIRE_TYPE_COUNT];
    uint64_t bytes_in[WIRE_TYPE_COUNT], bytes_out[WIRE_TYPE_COUNT]; /* framed size */
    uint64_t net_bytes_in, net_bytes_out; /* every byte on the sockets, handshakes included */
    uint64_t disconnects[PEER_REASON_COUNT];
    struct histogram handshake_seconds; /* TCP established/accepted → CONNECTED */
    struct histogram ping_seconds;      /* ping sent → matching pong */
};

/* Census slots: PEER_NONE..PEER_CONNECTED, then PEER_PROXY (dead peers
 * awaiting the reaper are not counted). */
enum { PEER_CENSUS_STATES = PEER_CONNECTED + 2, PEER_CENSUS_TRANSPORTS = 2 };
/* The state a census slot counts. */
enum peer_state peer_census_state(size_t slot);

/* Live peers by direction (0 outbound, 1 inbound), census slot and
 * transport (0 v1, 1 v2). */
struct peer_census {
    size_t n[2][PEER_CENSUS_STATES][PEER_CENSUS_TRANSPORTS];
};

void peer_metrics_init(struct peer_metrics *m);
const struct peer_metrics *peer_table_metrics(const struct peer_table *t);
void peer_table_census(const struct peer_table *t, struct peer_census *out);
/* The label for a census state: "none", "sent_version", "sent_verack", "connected". */
const char *peer_metrics_state(enum peer_state state);

#endif
