/* Outbound connections, direct or through a SOCKS5 proxy (connect.h).
 * Direct: bufferevent_socket_connect to a numeric address, or
 * bufferevent_socket_connect_hostname through evdns for a name (the loop
 * never blocks on a resolver). Through a proxy: TCP to the proxy, then the
 * SOCKS5 codec negotiates the tunnel to the target, whose name the proxy
 * resolves (a look-up of ours would leak it). With random credentials each
 * connection offers fresh ones: Tor's stream isolation. */
#include "net/connect.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct net_connect {
    struct bufferevent *bev;
    struct net_connect_cbs cbs;
    void *arg;
    int64_t log_id;
    struct socks5 *socks;  /* NULL when direct */
    bool tcp_up;           /* connected to the proxy: failures are the negotiation's */
    bool starting;         /* inside net_connect_start: events wait until it returns */
    short early_event;     /* an event that came while starting */
};

const char *net_connect_err_str(enum net_connect_err err)
{
    switch (err) {
    case NET_CONNECT_OK: return "ok";
    case NET_CONNECT_ERR_NOMEM: return "out-of-memory";
    case NET_CONNECT_ERR_TARGET: return "bad-target";
    case NET_CONNECT_ERR_FAILED: return "connect-failed";
    case NET_CONNECT_ERR_TIMEOUT: return "connect-timeout";
    case NET_CONNECT_ERR_EOF: return "eof";
    case NET_CONNECT_ERR_IO: return "io-error";
    case NET_CONNECT_ERR_PROXY: return "proxy-error";
    }
    return "unknown";
}

static bool is_onion(const char *host)
{
    size_t n = strlen(host);
    return n > 6 && strcasecmp(host + n - 6, ".onion") == 0;
}

bool net_connect_route(const char *host, const struct net_proxy *proxy,
                       const struct net_proxy *onion_proxy, const struct net_proxy **via)
{
    *via = NULL;
    if (is_onion(host)) {
        if (!onion_proxy || !onion_proxy->set) return false;
        *via = onion_proxy;
    } else if (proxy && proxy->set) {
        *via = proxy;
    }
    return true;
}

static void release(struct net_connect *c)
{
    bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
    free(c->socks);
    free(c);
}

/* The attempt is over: the net_connect is freed before the caller hears
 * of it, so the caller may free the bufferevent from its callback. */
static void fail(struct net_connect *c, enum net_connect_err err, enum socks5_err proxy_err)
{
    struct net_connect_cbs cbs = c->cbs;
    void *arg = c->arg;
    release(c);
    cbs.failed(arg, err, proxy_err);
}

static void open_stream(struct net_connect *c, const struct sockaddr *remote, socklen_t len)
{
    struct net_connect_cbs cbs = c->cbs;
    void *arg = c->arg;
    release(c);
    cbs.open(arg, remote, len);
}

/* ---- SOCKS5 on the connection to the proxy ---- */

static void proxy_begin(struct net_connect *c)
{
    struct buf_writer out;
    buf_writer_init(&out);
    enum socks5_err err = socks5_start(c->socks, &out);
    bool ok = err == SOCKS5_OK && bufferevent_write(c->bev, out.data, out.len) == 0;
    buf_writer_free(&out);
    if (!ok) fail(c, NET_CONNECT_ERR_IO, err);
}

static void on_proxy_read(struct bufferevent *bev, void *arg)
{
    struct net_connect *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct buf_writer out;
    buf_writer_init(&out);
    while (evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec vec;
        if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1) break;
        size_t used = 0;
        buf_writer_reset(&out);
        enum socks5_status st = socks5_read(c->socks, vec.iov_base, vec.iov_len, &used, &out);
        evbuffer_drain(in, used);
        if (out.len && bufferevent_write(bev, out.data, out.len) != 0) {
            buf_writer_free(&out);
            fail(c, NET_CONNECT_ERR_IO, SOCKS5_OK);
            return;
        }
        /* The peer's category and id: these lines belong to its log. */
        LOG_AT(LOG_TRACE, LOG_CAT_PEER, c->log_id, "proxy: %zu bytes in, %zu out, state %s", used,
               out.len, socks5_state_str(c->socks->state));
        if (st == SOCKS5_FAILED) {
            buf_writer_free(&out);
            fail(c, NET_CONNECT_ERR_PROXY, c->socks->err);
            return;
        }
        if (st == SOCKS5_DONE) {
            buf_writer_free(&out);
            open_stream(c, NULL, 0); /* what follows the reply is the tunnel's */
            return;
        }
    }
    buf_writer_free(&out);
}

/* ---- TCP ---- */

static void on_connected(struct net_connect *c)
{
    struct bufferevent *bev = c->bev;
    bufferevent_set_timeouts(bev, NULL, NULL);
    evutil_socket_t fd = bufferevent_getfd(bev);
    int one = 1;
    if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->socks) {
        c->tcp_up = true;
        c->cbs.proxy_connected(c->arg);
        proxy_begin(c);
        return;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        open_stream(c, (const struct sockaddr *)&ss, len);
    else
        open_stream(c, NULL, 0);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct net_connect *c = arg;
    if (c->starting) {
        c->early_event = what;
        return;
    }
    if (what & BEV_EVENT_CONNECTED) {
        on_connected(c);
        return;
    }
    if (!c->tcp_up)
        fail(c, (what & BEV_EVENT_TIMEOUT) ? NET_CONNECT_ERR_TIMEOUT : NET_CONNECT_ERR_FAILED, SOCKS5_OK);
    else
        fail(c, (what & BEV_EVENT_EOF) ? NET_CONNECT_ERR_EOF : NET_CONNECT_ERR_IO, SOCKS5_OK);
}

static enum net_connect_err prepare_socks(struct net_connect *c, const char *host, uint16_t port,
                                          bool random_credentials)
{
    struct socks5_addr target;
    if (socks5_addr_from_host(&target, host, port) != SOCKS5_OK) return NET_CONNECT_ERR_TARGET;
    c->socks = calloc(1, sizeof *c->socks);
    if (!c->socks) return NET_CONNECT_ERR_NOMEM;
    char user[33], pass[33];
    const char *u = NULL, *pw = NULL;
    if (random_credentials) {
        uint8_t r[32];
        random_bytes(r, sizeof r);
        hex_encode(r, 16, user);
        hex_encode(r + 16, 16, pass);
        u = user;
        pw = pass;
    }
    if (socks5_init(c->socks, &target, u, pw) != SOCKS5_OK) return NET_CONNECT_ERR_TARGET;
    return NET_CONNECT_OK;
}

enum net_connect_err net_connect_start(struct event_base *base, struct evdns_base *dns,
                                       const char *host, uint16_t port,
                                       const struct net_proxy *via, bool random_credentials,
                                       uint32_t timeout_ms, int64_t log_id,
                                       const struct net_connect_cbs *cbs, void *arg,
                                       struct bufferevent **bev_out, struct net_connect **out)
{
    struct net_connect *c = calloc(1, sizeof *c);
    if (!c) return NET_CONNECT_ERR_NOMEM;
    c->cbs = *cbs;
    c->arg = arg;
    c->log_id = log_id;
    if (via) {
        enum net_connect_err err = prepare_socks(c, host, port, random_credentials);
        if (err != NET_CONNECT_OK) {
            free(c->socks);
            free(c);
            return err;
        }
    }
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        free(c->socks);
        free(c);
        return NET_CONNECT_ERR_NOMEM;
    }
    c->bev = bev;
    *bev_out = bev;
    bufferevent_setcb(bev, c->socks ? on_proxy_read : NULL, NULL, on_event, c);
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    c->starting = true;
    int rc;
    if (via) {
        rc = bufferevent_socket_connect(bev, (const struct sockaddr *)&via->addr, (int)via->len);
    } else {
        struct sockaddr_storage ss;
        socklen_t len;
        rc = hostport_numeric(host, port, &ss, &len)
                 ? bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len)
                 : bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, host, port);
    }
    c->starting = false;
    if (rc != 0) {
        release(c);
        return NET_CONNECT_ERR_FAILED;
    }
    /* A resolver that answered at once may have reported already: hand
     * that on from the loop, not from inside this call. */
    if (c->early_event) bufferevent_trigger_event(bev, c->early_event, BEV_TRIG_DEFER_CALLBACKS);
    *out = c;
    return NET_CONNECT_OK;
}

void net_connect_cancel(struct net_connect *c)
{
    if (c) release(c);
}
