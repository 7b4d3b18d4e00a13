/* Inbound connections. Without --bind we listen on 0.0.0.0 and, if the
 * system has IPv6, on [::] (v6-only, so the two do not clash). */
#include "net/listener.h"

#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>

#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#define LISTENER_MAX 2

struct listener {
    listener_accept_fn accept_fn;
    void *arg;
    struct evconnlistener *lev[LISTENER_MAX];
    size_t n;
    uint16_t port;
};

const char *listener_err_str(enum listener_err err)
{
    switch (err) {
    case LISTENER_OK: return "ok";
    case LISTENER_ERR_ADDRESS: return "bad bind address";
    case LISTENER_ERR_BIND: return "cannot bind";
    case LISTENER_ERR_NOMEM: return "out of memory";
    }
    return "unknown";
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)lev;
    struct listener *l = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->accept_fn(l->arg, fd, sa, salen);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)lev;
    (void)arg;
    /* EMFILE and friends: log and keep listening; the loop goes on. */
    int err = EVUTIL_SOCKET_ERROR();
    log_warn(LOG_CAT_NET, "accept failed: %s", evutil_socket_error_to_string(err));
}

static enum listener_err bind_one(struct event_base *base, struct listener *l,
                                  const struct sockaddr *sa, socklen_t len, bool v6only)
{
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    if (v6only) flags |= LEV_OPT_BIND_IPV6ONLY;
    struct evconnlistener *lev =
        evconnlistener_new_bind(base, on_accept, l, flags, SOMAXCONN, sa, (int)len);
    if (!lev) return LISTENER_ERR_BIND;
    evconnlistener_set_error_cb(lev, on_accept_error);
    l->lev[l->n++] = lev;

    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    evutil_socket_t fd = evconnlistener_get_fd(lev);
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
        char addr[64];
        hostport_format((struct sockaddr *)&bound, addr, sizeof addr);
        l->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                   : ((struct sockaddr_in6 *)&bound)->sin6_port);
        log_info(LOG_CAT_NET, "listening on %s", addr);
    }
    return LISTENER_OK;
}

enum listener_err listener_new(struct event_base *base, listener_accept_fn accept_fn, void *arg,
                               const char *bind, uint16_t port, struct listener **out)
{
    struct listener *l = calloc(1, sizeof *l);
    if (!l) return LISTENER_ERR_NOMEM;
    l->accept_fn = accept_fn;
    l->arg = arg;
    struct sockaddr_storage ss;
    socklen_t len;
    enum listener_err err = LISTENER_OK;
    if (bind) {
        char host[256];
        uint16_t p;
        if (!hostport_parse(bind, host, sizeof host, &p, port) ||
            !hostport_numeric(host, p, &ss, &len))
            err = LISTENER_ERR_ADDRESS;
        else
            err = bind_one(base, l, (struct sockaddr *)&ss, len, ss.ss_family == AF_INET6);
    } else {
        hostport_numeric("0.0.0.0", port, &ss, &len);
        err = bind_one(base, l, (struct sockaddr *)&ss, len, false);
        if (err == LISTENER_OK) {
            /* Same port as IPv4 (port 0 picked one). No IPv6: fine. */
            hostport_numeric("::", l->port, &ss, &len);
            if (bind_one(base, l, (struct sockaddr *)&ss, len, true) != LISTENER_OK)
                log_info(LOG_CAT_NET, "not listening on IPv6");
        }
    }
    if (err != LISTENER_OK) {
        listener_free(l);
        return err;
    }
    *out = l;
    return LISTENER_OK;
}

uint16_t listener_port(const struct listener *l)
{
    return l->port;
}

void listener_free(struct listener *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) evconnlistener_free(l->lev[i]);
    free(l);
}
