/* Outbound connections: TCP to a numeric address, to a name looked up with
 * evdns, or to a SOCKS5 proxy that opens a tunnel to the target (the
 * SOCKS5 codec, net/socks5.c, is pure; this drives it on the socket). The
 * connection layer under the peer: it knows nothing of peers and reports
 * through the callbacks it is given.
 *
 * The caller owns the bufferevent from the start (it frees it); the
 * net_connect only drives it (its callbacks, its connect timeout) until
 * the stream to the target is open or the attempt failed, and is gone
 * after either callback. */
#ifndef BTCPEERD_NET_CONNECT_H
#define BTCPEERD_NET_CONNECT_H

#include <btcpeerd/socks5.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct bufferevent;
struct event_base;
struct evdns_base;
struct net_connect;

/* A SOCKS5 proxy (numeric address: resolving it would be a DNS look-up of
 * our own). */
struct net_proxy {
    bool set;
    struct sockaddr_storage addr;
    socklen_t len;
    char str[64]; /* "127.0.0.1:9050", for logs */
};

/* The way to host: *proxy NULL (direct) or the proxy to go through: the
 * onion proxy for "*.onion", else the proxy when one is set. False when
 * there is none (an onion name without an onion proxy). */
bool net_connect_route(const char *host, const struct net_proxy *proxy,
                       const struct net_proxy *onion_proxy, const struct net_proxy **via);

enum net_connect_err {
    NET_CONNECT_OK = 0,
    NET_CONNECT_ERR_NOMEM,
    NET_CONNECT_ERR_TARGET,   /* a target SOCKS5 cannot carry (name over 255 bytes, ...) */
    NET_CONNECT_ERR_FAILED,   /* TCP connect refused or failed, or the name did not resolve */
    NET_CONNECT_ERR_TIMEOUT,  /* TCP connect took longer than the timeout */
    NET_CONNECT_ERR_EOF,      /* the proxy closed during the negotiation */
    NET_CONNECT_ERR_IO,       /* the proxy connection failed during the negotiation */
    NET_CONNECT_ERR_PROXY,    /* the proxy refused (its socks5_err says how) */
};
const char *net_connect_err_str(enum net_connect_err err);

struct net_connect_cbs {
    /* TCP is up to the proxy; the SOCKS5 negotiation starts. */
    void (*proxy_connected)(void *arg);
    /* The stream to the target is open. remote is the socket's peer for a
     * direct connection, NULL through a tunnel (the proxy's address says
     * nothing of the target). Bytes after the proxy's reply may already
     * wait in the input buffer. The callbacks of the bufferevent are the
     * caller's to set now. */
    void (*open)(void *arg, const struct sockaddr *remote, socklen_t remote_len);
    /* The attempt failed; proxy_err says how the proxy refused (or what
     * failed while talking to it), SOCKS5_OK otherwise. */
    void (*failed)(void *arg, enum net_connect_err err, enum socks5_err proxy_err);
};

/* Start connecting to host:port, directly or through via (see
 * net_connect_route); random_credentials offers fresh random SOCKS5
 * credentials, which Tor takes as a reason for a circuit of its own. With
 * NET_CONNECT_OK or NET_CONNECT_ERR_FAILED, *bev is set and the caller's:
 * on NET_CONNECT_OK one of the callbacks will come (not from inside this
 * call), on FAILED none will. log_id tags the negotiation's trace lines
 * (the peer's id). */
enum net_connect_err net_connect_start(struct event_base *base, struct evdns_base *dns,
                                       const char *host, uint16_t port,
                                       const struct net_proxy *via, bool random_credentials,
                                       uint32_t timeout_ms, int64_t log_id,
                                       const struct net_connect_cbs *cbs, void *arg,
                                       struct bufferevent **bev, struct net_connect **out);
/* Stop before either callback came: no callback will come; the
 * bufferevent stays the caller's, with no callbacks set. */
void net_connect_cancel(struct net_connect *c);

#endif
