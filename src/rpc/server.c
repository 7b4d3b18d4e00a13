/* The HTTP side of JSON-RPC (libevent evhttp): bind, the allow-list (403),
 * POST only (405), HTTP Basic auth against the cookie and --rpcuser (401),
 * the body cap (413), then the body to jsonrpc_handle. A reply may come
 * later (getblock waiting for peers): the request stays in a list, and a
 * client that hangs up first abandons its batch. */
#include "rpc_internal.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include "node/view.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct rpc_http_req {
    struct rpc_server *srv;
    struct evhttp_request *req;   /* NULL once the client went away */
    struct rpc_batch *batch;
    struct rpc_http_req *next;
};

const char *rpc_err_str(enum rpc_err err)
{
    switch (err) {
    case RPC_OK: return "ok";
    case RPC_ERR_NOMEM: return "out-of-memory";
    case RPC_ERR_BIND: return "cannot-bind";
    case RPC_ERR_COOKIE: return "cannot-write-cookie";
    case RPC_ERR_ADDRESS: return "bad-address";
    }
    return "unknown";
}

void rpc_config_default(struct rpc_config *cfg, const struct netparams *net)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->net = net;
    cfg->port = -1;
    cfg->getblock_timeout_ms = 120000;
    cfg->idle_timeout_s = 30;
    cfg->max_body = RPC_DEFAULT_MAX_BODY;
    cfg->auth_fail_delay_ms = RPC_AUTH_FAIL_DELAY_MS;
}

/* ---- requests and replies ---- */

static void unlink_req(struct rpc_server *s, struct rpc_http_req *r)
{
    for (struct rpc_http_req **pp = &s->requests; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            return;
        }
    }
}

static void on_stop_sent(struct evhttp_request *req, void *arg)
{
    (void)req;
    struct rpc_server *s = arg;
    event_active(s->stop_ev, EV_TIMEOUT, 0);
}

static void on_stop_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rpc_server *s = arg;
    if (s->cfg.stop) s->cfg.stop(s->cfg.stop_arg); /* closes s; freed after the loop */
}

void rpc_server_arm_stop(struct rpc_server *s)
{
    static const struct timeval fallback = {2, 0};
    if (!evtimer_pending(s->stop_ev, NULL)) evtimer_add(s->stop_ev, &fallback);
}

static void send_reply(struct rpc_server *s, struct evhttp_request *req, int status,
                       const char *body, const char *reason)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (body) {
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    }
    if (s->stop_requested) {
        /* stop: shut down once this reply is out (or in 2 s at most). */
        rpc_server_arm_stop(s);
        evhttp_request_set_on_complete_cb(req, on_stop_sent, s);
    }
    evhttp_send_reply(req, status, reason, NULL);
    s->replies_sent++;
}

static const char *status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    default: return "Internal Server Error";
    }
}

static void on_reply(void *arg, int status, const char *body)
{
    struct rpc_http_req *r = arg;
    struct rpc_server *s = r->srv;
    if (r->req) {
        struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
        if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
        send_reply(s, r->req, status, body, status_reason(status));
    } else if (s->stop_requested) {
        event_active(s->stop_ev, EV_TIMEOUT, 0); /* nobody to tell: stop now */
    }
    unlink_req(s, r);
    free(r);
}

static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct rpc_http_req *r = arg;
    log_debug(LOG_CAT_RPC, "client went away before its reply");
    jsonrpc_abandon(r->batch);
    unlink_req(r->srv, r);
    free(r);
}

/* ---- checks before the body (access.c) ---- */

static bool client_allowed(const struct rpc_server *s, struct evhttp_request *req, char *who,
                           size_t cap)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
    snprintf(who, cap, "?");
    if (sa) hostport_format(sa, who, cap);
    return sa && rpc_client_allowed(&s->cfg, sa);
}

static bool authorized(const struct rpc_server *s, struct evhttp_request *req)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    return rpc_auth_ok(auth, s->cookie, s->cfg.user, s->cfg.password);
}

struct auth_delay {
    struct rpc_server *srv;
    struct evhttp_request *req;
    struct event *timer;
    struct auth_delay *next;
};

static void auth_delay_unlink(struct auth_delay *d)
{
    for (struct auth_delay **pp = &d->srv->delays; *pp; pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    }
    event_free(d->timer);
    free(d);
}

static void send_401(struct evhttp_request *req)
{
    /* evhttp_send_error would drop the header */
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Basic realm=\"jsonrpc\"");
    evhttp_send_reply(req, 401, "Unauthorized", NULL);
}

static void on_auth_delay(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct auth_delay *d = arg;
    log_debug(LOG_CAT_RPC, "wrong-password reply sent after the pause");
    send_401(d->req);
    auth_delay_unlink(d);
}

static void reply_401_later(struct rpc_server *s, struct evhttp_request *req)
{
    struct auth_delay *d = calloc(1, sizeof *d);
    if (d) d->timer = evtimer_new(s->base, on_auth_delay, d);
    if (!d || !d->timer) {
        free(d);
        send_401(req);
        return;
    }
    d->srv = s;
    d->req = req;
    d->next = s->delays;
    s->delays = d;
    uint32_t ms = s->cfg.auth_fail_delay_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(d->timer, &tv);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct rpc_server *s = arg;
    if (s->closing) {
        evhttp_send_error(req, 503, "Shutting down");
        return;
    }
    char who[64];
    if (!client_allowed(s, req, who, sizeof who)) {
        log_warn(LOG_CAT_RPC, "refused RPC client %s: not in --rpcallowip", who);
        evhttp_send_error(req, 403, "Forbidden");
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        evhttp_send_error(req, 405, "JSONRPC server handles only POST requests");
        return;
    }
    if (!authorized(s, req)) {
        log_warn(LOG_CAT_RPC, "RPC client %s: incorrect password", who);
        reply_401_later(s, req);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > s->cfg.max_body) {
        evhttp_send_error(req, 413, "Payload Too Large");
        return;
    }
    struct rpc_http_req *r = calloc(1, sizeof *r);
    char *body = malloc(len + 1);
    if (!r || !body) {
        free(r);
        free(body);
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    r->srv = s;
    r->req = req;
    r->next = s->requests;
    s->requests = r;
    log_debug(LOG_CAT_RPC, "request from %s (%zu bytes)", who, len);
    struct rpc_batch *b = jsonrpc_handle(body, len, s->methods, s->n_methods, s, on_reply, r);
    free(body);
    if (b) { /* answered later: r is still ours */
        r->batch = b;
        struct evhttp_connection *conn = evhttp_request_get_connection(req);
        if (conn) evhttp_connection_set_closecb(conn, on_conn_close, r);
    }
}

/* ---- cookie ---- */

static bool write_cookie(struct rpc_server *s)
{
    uint8_t rnd[32];
    char hex[65], tmp[PATH_MAX + 8];
    random_bytes(rnd, sizeof rnd);
    hex_encode(rnd, sizeof rnd, hex);
    snprintf(s->cookie, sizeof s->cookie, "__cookie__:%s", hex);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", s->cfg.cookie_file) >= (int)sizeof tmp) return false;
    /* A fresh file, never through a link someone planted at the .tmp name
     * (it would get the cookie, and rename would move the link in place). */
    if (unlink(tmp) != 0 && errno != ENOENT) return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    size_t len = strlen(s->cookie);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, s->cookie, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, s->cfg.cookie_file) != 0) ok = false;
    if (!ok) unlink(tmp);
    return ok;
}

/* Does the cookie file still hold what this server wrote? Another daemon
 * may have replaced it since: that one is not ours to remove. */
static bool cookie_is_ours(const struct rpc_server *s)
{
    char buf[sizeof s->cookie];
    int fd = open(s->cfg.cookie_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    bool same = n >= 0 && (size_t)n == strlen(s->cookie) && CRYPTO_memcmp(buf, s->cookie, (size_t)n) == 0;
    OPENSSL_cleanse(buf, sizeof buf);
    return same;
}

/* ---- bind ---- */

/* Bind spec (its own port, else *port). With *port 0 the first bind picks
 * a free port and *port becomes it, so 127.0.0.1 and ::1 share one. */
static enum rpc_err bind_one(struct rpc_server *s, const char *spec, uint16_t *port, bool optional)
{
    char host[256];
    uint16_t p;
    if (!hostport_parse(spec, host, sizeof host, &p, *port)) return RPC_ERR_ADDRESS;
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, host, p);
    if (!bs) {
        if (optional) {
            log_info(LOG_CAT_RPC, "RPC server not bound to %s (%s)", host, strerror(errno));
            return RPC_OK;
        }
        log_error(LOG_CAT_RPC, "cannot bind RPC to %s port %u: %s", host, p, strerror(errno));
        return RPC_ERR_BIND;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char where[96] = "?";
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        hostport_format((struct sockaddr *)&ss, where, sizeof where);
        if (p == 0 && *port == 0)
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
    log_info(LOG_CAT_RPC, "RPC server bound to %s", where);
    return RPC_OK;
}

static enum rpc_err bind_all(struct rpc_server *s)
{
    uint16_t port = s->cfg.port >= 0 ? (uint16_t)s->cfg.port : s->cfg.net->rpc_port;
    if (s->cfg.n_bind == 0) {
        enum rpc_err err = bind_one(s, "127.0.0.1", &port, false);
        if (err == RPC_OK) err = bind_one(s, "[::1]", &port, true); /* if the host has IPv6 */
        return err;
    }
    for (size_t i = 0; i < s->cfg.n_bind; i++) {
        enum rpc_err err = bind_one(s, s->cfg.bind[i], &port, false);
        if (err != RPC_OK) return err;
    }
    return RPC_OK;
}

static bool collect_methods(struct rpc_server *s)
{
    /* Each area's table; a new area is one row here. */
    const struct {
        const struct rpc_method *methods;
        size_t count;
    } areas[] = {
        {rpc_methods_chain, rpc_methods_chain_count},
        {rpc_methods_control, rpc_methods_control_count},
        {rpc_methods_net, rpc_methods_net_count},
        {rpc_methods_chaintips, rpc_methods_chaintips_count},
        {rpc_methods_filters, rpc_methods_filters_count},
        {rpc_methods_tx, rpc_methods_tx_count},
        {rpc_methods_peeraddr, rpc_methods_peeraddr_count},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) n += areas[i].count;
    s->methods = calloc(n, sizeof *s->methods);
    if (!s->methods) return false;
    size_t at = 0;
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        memcpy(s->methods + at, areas[i].methods, areas[i].count * sizeof *s->methods);
        at += areas[i].count;
    }
    s->n_methods = n;
    return true;
}

enum rpc_err rpc_server_start(struct event_base *base, struct node *node,
                              const struct rpc_config *cfg, struct rpc_server **out)
{
    *out = NULL;
    struct rpc_server *s = calloc(1, sizeof *s);
    if (!s) return RPC_ERR_NOMEM;
    s->base = base;
    s->node = node;
    s->cfg = *cfg;
    s->started = (int64_t)time(NULL);
    s->http = evhttp_new(base);
    s->stop_ev = evtimer_new(base, on_stop_event, s);
    if (!s->http || !s->stop_ev || !collect_methods(s)) {
        rpc_server_free(s);
        return RPC_ERR_NOMEM;
    }
    evhttp_set_max_body_size(s->http, (ev_ssize_t)cfg->max_body);
    evhttp_set_max_headers_size(s->http, 8192);
    evhttp_set_timeout(s->http, (int)cfg->idle_timeout_s);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_HEAD | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(s->http, on_request, s);
    /* Bind first: a second daemon on this datadir fails here, before it
     * would overwrite (and on its way out remove) the first one's cookie. */
    enum rpc_err err = bind_all(s);
    if (err != RPC_OK) {
        rpc_server_free(s);
        return err;
    }
    if (!write_cookie(s)) {
        log_error(LOG_CAT_RPC, "cannot write the RPC cookie %s: %s", cfg->cookie_file, strerror(errno));
        rpc_server_free(s);
        return RPC_ERR_COOKIE;
    }
    s->cookie_written = true;
    node_set_block_listener(node, rpc_chain_block_arrived, s);
    log_info(LOG_CAT_RPC, "RPC cookie written to %s", cfg->cookie_file);
    log_info(LOG_CAT_RPC, "RPC requests up to %zu bytes, connections closed after %u s idle",
             cfg->max_body, cfg->idle_timeout_s);
    *out = s;
    return RPC_OK;
}

bool rpc_server_close(struct rpc_server *s)
{
    if (!s || s->closing) return false;
    s->closing = true;
    unsigned before = s->replies_sent;
    rpc_chain_fail_waits(s, "Shutting down");
    rpc_filters_close(s);
    bool sent = s->replies_sent != before || s->delays;
    while (s->delays) { /* owed a 401: send it now */
        send_401(s->delays->req);
        auth_delay_unlink(s->delays);
    }
    return sent;
}

void rpc_server_free(struct rpc_server *s)
{
    if (!s) return;
    rpc_server_close(s);
    if (s->node) node_set_block_listener(s->node, NULL, NULL);
    /* Replies still owed (none once the waits are answered, but be sure). */
    while (s->requests) {
        struct rpc_http_req *r = s->requests;
        s->requests = r->next;
        if (r->req) {
            struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
            if (conn) evhttp_connection_set_closecb(conn, NULL, NULL);
        }
        jsonrpc_abandon(r->batch);
        free(r);
    }
    if (s->http) evhttp_free(s->http);
    if (s->stop_ev) event_free(s->stop_ev);
    if (s->cookie_written && cookie_is_ours(s) && unlink(s->cfg.cookie_file) == 0)
        log_info(LOG_CAT_RPC, "RPC cookie removed");
    OPENSSL_cleanse(s->cookie, sizeof s->cookie);
    free(s->methods);
    free(s);
}
