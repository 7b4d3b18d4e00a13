/* DNS seed look-ups through libevent's evdns: asynchronous, never a
 * blocking resolver on the loop. Each query asks for A and AAAA records of
 * one seed name and reports the addresses (with the network's port). */
#ifndef BTCPEERD_NET_DNSSEED_H
#define BTCPEERD_NET_DNSSEED_H

#include <btcpeerd/wire.h>

#include <stddef.h>
#include <stdint.h>

struct evdns_base;
struct dnsseed;

/* n == 0 means the seed answered nothing, or failed: err is then a token
 * (dnsseed_err_token) naming why, for the log. */
typedef void (*dnsseed_cb)(const char *seed, const struct wire_netaddr *addrs, size_t n,
                           const char *err, void *arg);

struct dnsseed *dnsseed_new(struct evdns_base *dns, dnsseed_cb cb, void *arg);
/* Queries still in flight are cancelled and stop reporting. */
void dnsseed_free(struct dnsseed *ds);
/* Start a query; false if it could not be started. */
bool dnsseed_query(struct dnsseed *ds, const char *seed, uint16_t port);
size_t dnsseed_in_flight(const struct dnsseed *ds);
/* An evdns result (DNS_ERR_*) as a short token: "nxdomain", "timeout",
 * "servfail", "refused", ... (NULL for DNS_ERR_NONE). */
const char *dnsseed_err_token(int evdns_err);

#endif
