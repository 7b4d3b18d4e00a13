/* Helpers of the tests of the RPC server (test_rpc.c, test_rpc_auth.c,
 * test_rpc_shapes.c): a regtest daemon with its RPC on a free port, raw
 * HTTP requests and calls with its cookie, and the check of a result's keys
 * and JSON types against bitcoind's documented ones. */
#include "rpc_testlib.h"

#include "testutil.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void rpct_http_reply_free(struct rpct_http_reply *h)
{
    free(h->head);
    free(h->body);
    memset(h, 0, sizeof *h);
}

int rpct_http_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

int rpct_http_send(uint16_t port, const char *method, const char *auth, const char *body,
                   size_t len)
{
    char head[1024], authline[512] = "";
    if (auth) {
        unsigned char b64[400];
        EVP_EncodeBlock(b64, (const unsigned char *)auth, (int)strlen(auth));
        snprintf(authline, sizeof authline, "Authorization: Basic %s\r\n", b64);
    }
    int n = snprintf(head, sizeof head,
                     "%s / HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     method, authline, len);
    int fd = rpct_http_connect(port);
    assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    size_t off = 0;
    while (off < len) { /* the server may answer (413) and close before reading it all */
        ssize_t w = send(fd, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    return fd;
}

void rpct_http_recv(int fd, struct rpct_http_reply *h, unsigned timeout_ms)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) fail_msg("no HTTP reply in time");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - now)) <= 0) continue;
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    *sep = '\0';
    h->head = strdup(buf);
    h->body = strdup(sep + 4);
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &h->status), 1);
    free(buf);
}

void rpct_http_post(uint16_t port, const char *auth, const char *body, struct rpct_http_reply *h)
{
    rpct_http_recv(rpct_http_send(port, "POST", auth, body, strlen(body)), h, RPCT_WAIT_MS);
}

void rpct_start(struct rpct_daemon *r, const char *const *extra)
{
    const char *args[20] = {"--network=regtest", "--bind=127.0.0.1", "--port=0",
                            "--log-level=debug", "--rpcport=0"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 19; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    assert_true(daemon_start(&r->d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(&r->d, needle, RPCT_WAIT_MS)) fail_msg("no RPC server:\n%s", r->d.log);
    r->rpc_port = (uint16_t)atoi(strstr(r->d.log, needle) + sizeof needle - 1);
    assert_true(daemon_wait_log(&r->d, "RPC cookie written", RPCT_WAIT_MS));
    snprintf(r->cookie_path, sizeof r->cookie_path, "%s/data/regtest/.cookie", r->d.datadir);
    FILE *f = fopen(r->cookie_path, "r");
    assert_non_null(f);
    assert_non_null(fgets(r->cookie, sizeof r->cookie, f));
    fclose(f);
}

void rpct_stop(struct rpct_daemon *r)
{
    assert_int_equal(daemon_stop(&r->d, SIGTERM, RPCT_WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

/* POST body with the cookie; the reply body (caller frees). */
char *rpct_post(struct rpct_daemon *r, const char *body)
{
    struct rpct_http_reply h;
    rpct_http_post(r->rpc_port, r->cookie, body, &h);
    char *out = h.body;
    h.body = NULL;
    rpct_http_reply_free(&h);
    return out;
}

/* A 2.0 call; the whole reply object (caller decrefs). */
json_t *rpct_call(struct rpct_daemon *r, const char *method, const char *params)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
             method, params ? params : "[]");
    struct rpct_http_reply h;
    rpct_http_post(r->rpc_port, r->cookie, body, &h);
    assert_int_equal(h.status, 200);
    json_error_t err;
    json_t *reply = json_loads(h.body, 0, &err);
    if (!reply) fail_msg("not JSON: %s", h.body);
    rpct_http_reply_free(&h);
    return reply;
}

json_t *rpct_result(json_t *reply)
{
    json_t *res = json_object_get(reply, "result");
    if (!res) fail_msg("error: %s", json_dumps(reply, 0));
    return res;
}

json_int_t rpct_error_code(json_t *reply)
{
    json_t *e = json_object_get(reply, "error");
    if (!e) fail_msg("expected an error: %s", json_dumps(reply, 0));
    return json_integer_value(json_object_get(e, "code"));
}

const char *rpct_error_message(json_t *reply)
{
    return json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
}

static bool rpct_type_ok(json_t *v, enum jtype t)
{
    switch (t) {
    case J_STR: return json_is_string(v);
    case J_INT: return json_is_integer(v);
    case J_NUM: return json_is_number(v);
    case J_BOOL: return json_is_boolean(v);
    case J_ARR: return json_is_array(v);
    case J_OBJ: return json_is_object(v);
    }
    return false;
}

/* obj has every required key with its type, optional ones typed when
 * present, and no key bitcoind does not document. */
void rpct_assert_shape(json_t *obj, const struct key_spec *spec, size_t n, const char *what)
{
    if (!json_is_object(obj)) fail_msg("%s: not an object", what);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(obj, spec[i].key);
        if (!v && !spec[i].optional) fail_msg("%s: no \"%s\"", what, spec[i].key);
        if (v && !rpct_type_ok(v, spec[i].type))
            fail_msg("%s: \"%s\" has the wrong JSON type", what, spec[i].key);
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (i < n && strcmp(spec[i].key, key) != 0)
            i++;
        if (i == n) fail_msg("%s: \"%s\" is not one of bitcoind's keys", what, key);
    }
}
