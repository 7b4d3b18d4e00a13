/* When the outbound loop may dial a host again. Bitcoin Core's rule: an
 * address tried in the last 10 minutes is passed over until the round has
 * made 30 selections; on a thin table (one gossiped address) that still
 * lets it through on every round, twice a second. So, on top: a host we
 * failed to reach (the connection failed or closed before the handshake)
 * is not dialled again until the back-off has passed, whatever the round,
 * so gossip cannot steer us into hammering one target.
 *
 * Keyed by host (network and address, no port): many ports of one victim
 * gossiped at us are one target. Entries live as long as either rule can
 * use them; each dial adds at most one, so the book holds at most the
 * dials of the last max(10 min, back-off). Pure: the caller passes the
 * monotonic time in milliseconds. */
#ifndef BTCPEERD_REDIAL_H
#define BTCPEERD_REDIAL_H

#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Core's ThreadOpenConnections: "recently tried", and after how many
 * selections of a round such an address may be taken anyway. */
#define REDIAL_RECENT_MS (10u * 60 * 1000)
#define REDIAL_RECENT_SELECTIONS 30u
/* Our back-off after a failure (--redial-backoff): two minutes. Core
 * retries a failed -addnode peer after a minute; an address merely
 * gossiped to us deserves no more, and at one dial per two minutes per
 * host a target sees 240 times fewer attempts than Core's 500 ms loop
 * gives it, while a thin table still recovers from a passing outage
 * within two minutes (a success is never held back). */
#define REDIAL_BACKOFF_MS_DEFAULT (2u * 60 * 1000)

enum redial_verdict {
    REDIAL_OK = 0,
    REDIAL_RECENT,  /* tried in the last 10 minutes, and the round is young (Core) */
    REDIAL_BACKOFF, /* failed less than the back-off ago */
};
const char *redial_verdict_str(enum redial_verdict v);

struct redial;

struct redial *redial_new(uint32_t backoff_ms);
void redial_free(struct redial *r);
/* We dialled it / it failed before its handshake / its handshake passed. */
void redial_dialled(struct redial *r, const struct wire_netaddr *a, uint64_t now_ms);
void redial_failed(struct redial *r, const struct wire_netaddr *a, uint64_t now_ms);
void redial_succeeded(struct redial *r, const struct wire_netaddr *a);
/* selections: how many the round has made before this one. */
enum redial_verdict redial_check(const struct redial *r, const struct wire_netaddr *a,
                                 uint64_t now_ms, unsigned selections);
/* Forget what neither rule needs any more. */
void redial_prune(struct redial *r, uint64_t now_ms);
size_t redial_size(const struct redial *r);

#endif
