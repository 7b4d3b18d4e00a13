/* A peer's connection: outbound through net/connect.c (direct, by name,
 * or through a SOCKS5 proxy; this file only says where to and hears how
 * it went), or an accepted socket the listener handed up; and the
 * bufferevent's events once the connection is the peer's (closed,
 * failed). The handshake timer runs from the TCP connect to a proxy, so a
 * proxy that stalls is a handshake timeout. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void start_handshake_clock(struct peer *p)
{
    p->connecting = false;
    p->connected_us = clock_mono_us();
    p->last_recv_us = p->connected_us;
    p->handshake_deadline_us = p->connected_us + (uint64_t)p->table->cfg->handshake_timeout_ms * 1000u;
    peer_timer_schedule(p);
}

static void peer_on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    if (p->state == PEER_DEAD) return;
    peer_disconnect(p, (what & BEV_EVENT_EOF) ? PEER_REASON_EOF : PEER_REASON_IO_ERROR);
}

/* The connection is the peer's from here: its callbacks, its caps. */
static void take_bufferevent(struct peer *p)
{
    bufferevent_setcb(p->bev, peer_on_read, peer_on_write, peer_on_event, p);
}

/* ---- outbound, as net/connect.c reports it ---- */

static void on_proxy_connected(void *arg)
{
    struct peer *p = arg;
    /* Connected to the proxy, not the peer: addr stays the target. */
    start_handshake_clock(p);
    p->state = PEER_PROXY;
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "proxy connected addr=%s proxy=%s",
           p->addr_str, p->proxy->str);
}

static void on_open(void *arg, const struct sockaddr *remote, socklen_t len)
{
    struct peer *p = arg;
    p->conn = NULL;
    take_bufferevent(p);
    if (p->state == PEER_PROXY) {
        p->state = PEER_NONE; /* the tunnel is open: the transport starts as on a TCP connect */
    } else {
        if (remote && (size_t)len <= sizeof p->addr) {
            memcpy(&p->addr, remote, (size_t)len);
            hostport_format(remote, p->addr_str, sizeof p->addr_str);
        }
        start_handshake_clock(p);
    }
    if (p->proxy)
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id,
               "connected addr=%s direction=outbound%s proxy=%s", p->addr_str,
               p->manual ? " manual=1" : "", p->proxy->str);
    else
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connected addr=%s direction=outbound%s",
               p->addr_str, p->manual ? " manual=1" : "");
    if (!peer_transport_start(p, p->want_v2)) {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
        return;
    }
    peer_transport_maybe_send_version(p);
    /* Bytes that followed the proxy's reply are the tunnel's first. */
    if (p->state != PEER_DEAD && evbuffer_get_length(bufferevent_get_input(p->bev)))
        peer_on_read(p->bev, p);
}

static enum peer_reason failed_reason(enum net_connect_err err)
{
    switch (err) {
    case NET_CONNECT_ERR_TIMEOUT: return PEER_REASON_CONNECT_TIMEOUT;
    case NET_CONNECT_ERR_EOF: return PEER_REASON_EOF;
    case NET_CONNECT_ERR_IO: return PEER_REASON_IO_ERROR;
    case NET_CONNECT_ERR_PROXY: return PEER_REASON_PROXY_ERROR;
    default: return PEER_REASON_CONNECT_FAILED;
    }
}

static void on_failed(void *arg, enum net_connect_err err, enum socks5_err proxy_err)
{
    struct peer *p = arg;
    p->conn = NULL;
    p->proxy_err = proxy_err;
    peer_disconnect(p, failed_reason(err));
}

static const struct net_connect_cbs connect_cbs = {
    .proxy_connected = on_proxy_connected,
    .open = on_open,
    .failed = on_failed,
};

/* ---- creation ---- */

static struct peer *peer_new(struct peer_table *t, bool inbound, struct bufferevent *bev)
{
    struct peer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id = t->next_id++;
    p->table = t;
    p->bev = bev;
    p->inbound = inbound;
    p->state = PEER_NONE;
    /* Inbound: BIP324 if we speak it, and the transport falls back to v1
     * by itself; outbound gets its transport once the connection is open. */
    if ((inbound && !peer_transport_start(p, t->cfg->v2_enabled)) || !peer_timer_init(p) ||
        !idmap_put(&t->peers, p->id, p)) {
        if (p->timer) event_free(p->timer);
        peer_transport_free(p);
        free(p);
        return NULL;
    }
    if (inbound) t->n_inbound++;
    return p;
}

/* Undo peer_new for a peer that never got a connection (out of memory):
 * nobody heard of it, so there is nothing to report. */
static void peer_discard(struct peer *p)
{
    idmap_del(&p->table->peers, p->id);
    event_free(p->timer);
    peer_transport_free(p);
    free(p);
}

/* The bufferevent is the peer's from the start, whatever happens to the
 * connect: its read cap and the count of bytes owed. */
static void adopt_bufferevent(struct peer *p, struct bufferevent *bev)
{
    p->bev = bev;
    bufferevent_setwatermark(bev, EV_READ, 0, PEER_RECV_HIGH_WATER);
    peer_output_attach(p);
}

static enum peer_err peer_connect_target(struct peer_table *t, const char *host, uint16_t port,
                                         bool manual, bool offer_v2,
                                         const struct wire_netaddr *target, bool isolate,
                                         uint64_t *id)
{
    const struct peer_config *cfg = t->cfg;
    const struct net_proxy *via;
    if (!net_connect_route(host, &cfg->proxy, &cfg->onion_proxy, &via)) return PEER_ERR_UNREACHABLE;
    struct peer *p = peer_new(t, false, NULL);
    if (!p) return PEER_ERR_NOMEM;
    p->manual = manual;
    p->want_v2 = offer_v2 && cfg->v2_enabled;
    p->connecting = true;
    snprintf(p->addr_str, sizeof p->addr_str, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    if (target) {
        p->has_target = true;
        p->target = *target;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    if (hostport_numeric(host, port, &ss, &len)) p->addr = ss; /* known before the connect completes */
    struct bufferevent *bev = NULL;
    enum net_connect_err err =
        net_connect_start(t->base, t->dns, host, port, via, cfg->proxy_randomize || isolate,
                          cfg->connect_timeout_ms, (int64_t)p->id, &connect_cbs, p, &bev, &p->conn);
    if (err == NET_CONNECT_ERR_NOMEM) {
        peer_discard(p);
        return PEER_ERR_NOMEM;
    }
    *id = p->id;
    if (bev) adopt_bufferevent(p, bev);
    if (err == NET_CONNECT_ERR_TARGET) {
        /* Reported as a failed connect, like any other. */
        peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
        return PEER_OK;
    }
    p->proxy = via;
    /* The proxy resolves names: no look-up of ours may leak them. */
    if (via)
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s proxy=%s", p->addr_str,
               via->str);
    else
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s", p->addr_str);
    if (err != NET_CONNECT_OK) {
        /* Reported like any failed connect: the caller sees DISCONNECTED. */
        peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
    }
    return PEER_OK;
}

enum peer_err peer_connect_host(struct peer_table *t, const char *host, uint16_t port, bool manual,
                                bool offer_v2, uint64_t *id)
{
    return peer_connect_target(t, host, port, manual, offer_v2, NULL, false, id);
}

/* isolate: fresh proxy credentials whatever --proxy-randomize says (a
 * private-broadcast connection must not share a Tor circuit). */
enum peer_err peer_connect_addr_isolated(struct peer_table *t, const struct wire_netaddr *addr,
                                         bool offer_v2, bool isolate, uint64_t *id)
{
    char host[NETADDR_STR_MAX];
    if (addr->net == WIRE_NET_TORV3) {
        /* "<56 chars>.onion:port" without its port: the name for the proxy */
        netaddr_str(addr, host);
        char *colon = strrchr(host, ':');
        if (colon) *colon = '\0';
        return peer_connect_target(t, host, addr->port, false, offer_v2, addr, isolate, id);
    }
    int family = addr->net == WIRE_NET_IPV4 ? AF_INET : addr->net == WIRE_NET_IPV6 ? AF_INET6 : 0;
    if (!family || !inet_ntop(family, addr->addr, host, sizeof host)) return PEER_ERR_BAD_REQUEST;
    return peer_connect_target(t, host, addr->port, false, offer_v2, addr, isolate, id);
}

enum peer_err peer_connect_addr(struct peer_table *t, const struct wire_netaddr *addr, bool offer_v2,
                                uint64_t *id)
{
    return peer_connect_addr_isolated(t, addr, offer_v2, false, id);
}

/* ---- inbound, and connections opened elsewhere ---- */

enum peer_err peer_adopt(struct peer_table *t, struct bufferevent *bev, bool inbound, bool manual,
                         const struct sockaddr *sa, int salen, uint64_t *id)
{
    struct peer *p = peer_new(t, inbound, bev);
    if (!p) return PEER_ERR_NOMEM;
    p->manual = manual && !inbound;
    adopt_bufferevent(p, bev);
    take_bufferevent(p);
    if (salen > 0 && (size_t)salen <= sizeof p->addr) memcpy(&p->addr, sa, (size_t)salen);
    hostport_format(sa, p->addr_str, sizeof p->addr_str);
    start_handshake_clock(p);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    *id = p->id;
    LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connected addr=%s direction=%s", p->addr_str,
           inbound ? "inbound" : "outbound");
    if (!inbound) {
        /* As a TCP connect that has just completed (on_open), v1. */
        if (!peer_transport_start(p, false)) {
            peer_disconnect(p, PEER_REASON_IO_ERROR);
            return PEER_OK;
        }
        peer_transport_maybe_send_version(p);
    }
    return PEER_OK;
}

enum peer_err peer_accept(struct peer_table *t, int fd, const struct sockaddr *sa, int salen,
                          uint64_t *id)
{
    struct bufferevent *bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return PEER_ERR_NOMEM;
    }
    enum peer_err err = peer_adopt(t, bev, true, false, sa, salen, id);
    if (err != PEER_OK) bufferevent_free(bev);
    return err;
}
