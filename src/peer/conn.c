/* A peer's connection: made outbound (direct, by name through evdns, or
 * through a SOCKS5 proxy) or accepted inbound, and the bufferevent's
 * connection events (connected, closed, failed) until the transport takes
 * over. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void peer_connected_tcp(struct peer *p)
{
    p->connecting = false;
    p->connected_us = clock_mono_us();
    p->last_recv_us = p->connected_us;
    p->handshake_deadline_us = p->connected_us + (uint64_t)p->table->cfg->handshake_timeout_ms * 1000u;
    bufferevent_set_timeouts(p->bev, NULL, NULL);
    evutil_socket_t fd = bufferevent_getfd(p->bev);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (p->socks) {
        /* Connected to the proxy, not the peer: addr stays the target. */
        peer_timer_schedule(p);
        peer_proxy_begin(p);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        p->addr = ss;
        hostport_format((struct sockaddr *)&ss, p->addr_str, sizeof p->addr_str);
    }
    peer_timer_schedule(p);
    peer_outbound_open(p);
}

void peer_outbound_open(struct peer *p)
{
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
}

static void peer_on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    if (p->state == PEER_DEAD) return;
    if (what & BEV_EVENT_CONNECTED) {
        peer_connected_tcp(p);
        return;
    }
    if (p->connecting) {
        peer_disconnect(p, (what & BEV_EVENT_TIMEOUT) ? PEER_REASON_CONNECT_TIMEOUT
                                                      : PEER_REASON_CONNECT_FAILED);
    } else if (what & BEV_EVENT_EOF) {
        peer_disconnect(p, PEER_REASON_EOF);
    } else {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
    }
}

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
    bufferevent_setcb(bev, peer_on_read, peer_on_write, peer_on_event, p);
    bufferevent_setwatermark(bev, EV_READ, 0, PEER_RECV_HIGH_WATER);
    peer_output_attach(p);
    return p;
}

enum peer_err peer_connect(struct peer_table *t, const char *host, uint16_t port, bool manual,
                           uint64_t *id)
{
    return peer_connect_v(t, host, port, manual, t->cfg->v2_enabled, id);
}

static bool is_onion(const char *host)
{
    size_t n = strlen(host);
    return n > 6 && strcasecmp(host + n - 6, ".onion") == 0;
}

static enum peer_err peer_connect_target(struct peer_table *t, const char *host, uint16_t port,
                                         bool manual, bool v2, const struct wire_netaddr *target,
                                         uint64_t *id)
{
    const struct peer_proxy *px = NULL;
    if (is_onion(host)) {
        if (!t->cfg->onion_proxy.set) return PEER_ERR_UNREACHABLE;
        px = &t->cfg->onion_proxy;
    } else if (t->cfg->proxy.set) {
        px = &t->cfg->proxy;
    }
    struct bufferevent *bev = bufferevent_socket_new(t->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) return PEER_ERR_NOMEM;
    struct peer *p = peer_new(t, false, bev);
    if (!p) {
        bufferevent_free(bev);
        return PEER_ERR_NOMEM;
    }
    p->manual = manual;
    p->want_v2 = v2 && t->cfg->v2_enabled;
    p->connecting = true;
    snprintf(p->addr_str, sizeof p->addr_str, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
    if (target) {
        p->has_target = true;
        p->target = *target;
    }
    if (px) {
        enum peer_err err = peer_proxy_prepare(p, px, host, port);
        if (err != PEER_OK) {
            peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
            *id = p->id;
            return PEER_OK; /* reported as a failed connect, like any other */
        }
    }
    struct timeval tv = {.tv_sec = t->cfg->connect_timeout_ms / 1000,
                         .tv_usec = (suseconds_t)(t->cfg->connect_timeout_ms % 1000) * 1000};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    *id = p->id;
    struct sockaddr_storage ss;
    socklen_t len;
    bool numeric = hostport_numeric(host, port, &ss, &len);
    if (numeric) p->addr = ss; /* known before the connect completes */
    int rc;
    if (px) {
        /* The proxy resolves names: no look-up of ours may leak them. */
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s proxy=%s",
               p->addr_str, px->str);
        rc = bufferevent_socket_connect(bev, (const struct sockaddr *)&px->addr, (int)px->len);
    } else {
        LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connecting addr=%s", p->addr_str);
        rc = numeric ? bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len)
                     : bufferevent_socket_connect_hostname(bev, t->dns, AF_UNSPEC, host, port);
    }
    if (rc != 0) {
        /* Reported like any failed connect: the caller sees DISCONNECTED. */
        peer_disconnect(p, PEER_REASON_CONNECT_FAILED);
    }
    return PEER_OK;
}

enum peer_err peer_connect_v(struct peer_table *t, const char *host, uint16_t port, bool manual,
                             bool v2, uint64_t *id)
{
    return peer_connect_target(t, host, port, manual, v2, NULL, id);
}

enum peer_err peer_connect_addr(struct peer_table *t, const struct wire_netaddr *addr, bool v2,
                                uint64_t *id)
{
    char host[NETADDR_STR_MAX];
    if (addr->net == WIRE_NET_TORV3) {
        /* "<56 chars>.onion:port" without its port: the name for the proxy */
        netaddr_str(addr, host);
        char *colon = strrchr(host, ':');
        if (colon) *colon = '\0';
        return peer_connect_target(t, host, addr->port, false, v2, addr, id);
    }
    int family = addr->net == WIRE_NET_IPV4 ? AF_INET : addr->net == WIRE_NET_IPV6 ? AF_INET6 : 0;
    if (!family || !inet_ntop(family, addr->addr, host, sizeof host)) return PEER_ERR_BAD_REQUEST;
    return peer_connect_target(t, host, addr->port, false, v2, addr, id);
}

enum peer_err peer_accept(struct peer_table *t, int fd, const struct sockaddr *sa, int salen,
                          uint64_t *id)
{
    struct bufferevent *bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return PEER_ERR_NOMEM;
    }
    struct peer *p = peer_new(t, true, bev);
    if (!p) {
        bufferevent_free(bev);
        return PEER_ERR_NOMEM;
    }
    if (salen > 0 && (size_t)salen <= sizeof p->addr) memcpy(&p->addr, sa, (size_t)salen);
    hostport_format(sa, p->addr_str, sizeof p->addr_str);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->connected_us = clock_mono_us();
    p->last_recv_us = p->connected_us;
    p->handshake_deadline_us = p->connected_us + (uint64_t)t->cfg->handshake_timeout_ms * 1000u;
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    peer_timer_schedule(p);
    *id = p->id;
    LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "connected addr=%s direction=inbound",
           p->addr_str);
    return PEER_OK;
}
