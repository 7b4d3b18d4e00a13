/* DNS seeds over evdns_getaddrinfo. Queries in flight are tracked so that
 * shutting down cancels them instead of letting a late answer reach a node
 * that is gone. */
#include "net/dnsseed.h"

#include <btcpeerd/netaddr.h>

#include <event2/dns.h>
#include <event2/util.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#define DNSSEED_MAX_ADDRS 256

struct query {
    struct dnsseed *ds;
    struct evdns_getaddrinfo_request *req;
    char seed[256];
    uint16_t port;
    bool cancelled; /* the dnsseed is gone: only free the query */
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

static void on_answer(int result, struct evutil_addrinfo *res, void *arg)
{
    struct query *q = arg;
    if (q->cancelled || result == EVUTIL_EAI_CANCEL) {
        if (res) evutil_freeaddrinfo(res);
        free(q);
        return;
    }
    struct dnsseed *ds = q->ds;
    unlink_query(ds, q);
    struct wire_netaddr addrs[DNSSEED_MAX_ADDRS];
    size_t n = 0;
    for (struct evutil_addrinfo *ai = res; ai && n < DNSSEED_MAX_ADDRS; ai = ai->ai_next) {
        struct wire_netaddr a;
        if (!netaddr_from_sockaddr(ai->ai_addr, &a)) continue;
        a.port = q->port;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++) dup = netaddr_equal(&addrs[i], &a);
        if (!dup) addrs[n++] = a;
    }
    if (res) evutil_freeaddrinfo(res);
    ds->cb(q->seed, addrs, n, result ? evutil_gai_strerror(result) : NULL, ds->arg);
    free(q);
}

bool dnsseed_query(struct dnsseed *ds, const char *seed, uint16_t port)
{
    struct query *q = calloc(1, sizeof *q);
    if (!q) return false;
    q->ds = ds;
    q->port = port;
    snprintf(q->seed, sizeof q->seed, "%s", seed);
    q->next = ds->queries;
    ds->queries = q;
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    /* The callback may run at once (cached, or a literal address); it then
     * unlinks and frees q itself. */
    struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(ds->dns, seed, NULL, &hints, on_answer, q);
    bool still_pending = false;
    for (struct query *it = ds->queries; it; it = it->next) still_pending |= it == q;
    if (still_pending) q->req = req;
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
    /* A cancelled query's callback still runs (now or later) and frees it;
     * it no longer looks at ds. */
    while (ds->queries) {
        struct query *q = ds->queries;
        ds->queries = q->next;
        q->cancelled = true;
        if (q->req)
            evdns_getaddrinfo_cancel(q->req);
        else
            free(q);
    }
    free(ds);
}
