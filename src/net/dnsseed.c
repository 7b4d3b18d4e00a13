/* DNS seeds over evdns: an A and an AAAA query per seed, answered together.
 * Queries in flight are tracked: main lets them finish before it stops
 * (bounded), and what is still in flight then is cancelled so that no late
 * answer reaches a node that is gone. */
#include "net/dnsseed.h"

#include <btcpeerd/netaddr.h>

#include <event2/dns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNSSEED_MAX_ADDRS 256

struct query {
    struct dnsseed *ds;
    struct evdns_request *req4, *req6;
    char seed[256];
    uint16_t port;
    struct wire_netaddr addrs[DNSSEED_MAX_ADDRS];
    size_t n;
    bool pending4, pending6; /* answers still to come */
    int err;           /* first error seen, DNS_ERR_NONE if none */
    struct query *next;
};

struct dnsseed {
    struct evdns_base *dns;
    dnsseed_cb cb;
    void *arg;
    struct query *queries;
};

struct dnsseed *dnsseed_new(struct evdns_base *dns, dnsseed_cb cb, void *arg)
{
    struct dnsseed *ds = calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->dns = dns;
    ds->cb = cb;
    ds->arg = arg;
    return ds;
}

static void unlink_query(struct dnsseed *ds, struct query *q)
{
    for (struct query **pp = &ds->queries; *pp; pp = &(*pp)->next) {
        if (*pp == q) {
            *pp = q->next;
            return;
        }
    }
}

static void add_answers(struct query *q, char type, int count, const void *addresses)
{
    for (int i = 0; i < count && q->n < DNSSEED_MAX_ADDRS; i++) {
        struct wire_netaddr a = {.port = q->port};
        if (type == DNS_IPv4_A) {
            a.net = WIRE_NET_IPV4;
            memcpy(a.addr, (const uint8_t *)addresses + 4 * i, 4);
        } else if (type == DNS_IPv6_AAAA) {
            wire_netaddr_from_v1(&a, (const uint8_t *)addresses + 16 * i);
            a.port = q->port;
        } else {
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < q->n && !dup; k++) dup = netaddr_equal(&q->addrs[k], &a);
        if (!dup) q->addrs[q->n++] = a;
    }
}

const char *dnsseed_err_token(int evdns_err)
{
    switch (evdns_err) {
    case DNS_ERR_NONE: return NULL;
    case DNS_ERR_FORMAT: return "format-error";
    case DNS_ERR_SERVERFAILED: return "servfail";
    case DNS_ERR_NOTEXIST: return "nxdomain";
    case DNS_ERR_NOTIMPL: return "not-implemented";
    case DNS_ERR_REFUSED: return "refused";
    case DNS_ERR_TRUNCATED: return "truncated";
    case DNS_ERR_TIMEOUT: return "timeout";
    case DNS_ERR_SHUTDOWN: return "shutdown";
    case DNS_ERR_CANCEL: return "cancelled";
    case DNS_ERR_NODATA: return "no-data";
    }
    return "unknown";
}

/* One of the two answers. Which one it is comes from the callback, not
 * from `type`: evdns reports every failure with type 0. */
static void on_answer(struct query *q, bool ipv4, int result, char type, int count,
                      const void *addresses)
{
    if (result == DNS_ERR_NONE)
        add_answers(q, type, count, addresses);
    else if (q->err == DNS_ERR_NONE)
        q->err = result;
    if (ipv4)
        q->pending4 = false;
    else
        q->pending6 = false;
    if (q->pending4 || q->pending6) return;
    struct dnsseed *ds = q->ds;
    if (ds && result != DNS_ERR_CANCEL) {
        unlink_query(ds, q);
        const char *err = q->n == 0 ? dnsseed_err_token(q->err) : NULL;
        ds->cb(q->seed, q->addrs, q->n, err, ds->arg);
    }
    free(q);
}

static void on_answer4(int result, char type, int count, int ttl, void *addresses, void *arg)
{
    (void)ttl;
    on_answer(arg, true, result, type, count, addresses);
}

static void on_answer6(int result, char type, int count, int ttl, void *addresses, void *arg)
{
    (void)ttl;
    on_answer(arg, false, result, type, count, addresses);
}

bool dnsseed_query(struct dnsseed *ds, const char *seed, uint16_t port)
{
    struct query *q = calloc(1, sizeof *q);
    if (!q) return false;
    q->ds = ds;
    q->port = port;
    q->pending4 = q->pending6 = true;
    snprintf(q->seed, sizeof q->seed, "%s", seed);
    q->next = ds->queries;
    ds->queries = q;
    q->req4 = evdns_base_resolve_ipv4(ds->dns, seed, 0, on_answer4, q);
    if (!q->req4) q->pending4 = false;
    q->req6 = evdns_base_resolve_ipv6(ds->dns, seed, 0, on_answer6, q);
    if (!q->req6) q->pending6 = false;
    if (!q->pending4 && !q->pending6) {
        unlink_query(ds, q);
        free(q);
        return false;
    }
    return true;
}

size_t dnsseed_in_flight(const struct dnsseed *ds)
{
    size_t n = 0;
    for (const struct query *q = ds->queries; q; q = q->next) n++;
    return n;
}

void dnsseed_free(struct dnsseed *ds)
{
    if (!ds) return;
    /* Queries still in flight (main waits for them before it stops) are
     * cancelled: their callbacks, whenever they run, free the query, which
     * no longer points back at ds. */
    while (ds->queries) {
        struct query *q = ds->queries;
        ds->queries = q->next;
        q->ds = NULL;
        struct evdns_request *r6 = q->pending6 ? q->req6 : NULL;
        if (q->pending4) evdns_cancel_request(ds->dns, q->req4);
        if (r6) evdns_cancel_request(ds->dns, r6);
    }
    free(ds);
}
