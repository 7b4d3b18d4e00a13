/* See rpc_daemon.h. Blocking sockets with poll and a deadline: the daemon
 * is another process, so the test may wait on it. */
#include "rpc_daemon.h"

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

#define RPC_WAIT_MS 20000

static void start_common(struct rpc_daemon *r, const char *datadir, const char *const *extra)
{
    const char *args[28] = {"--network=regtest", "--bind=127.0.0.1", "--port=0",
                            "--log-level=debug", "--rpcport=0"};
    size_t n = 5;
    char dd[256];
    if (datadir) {
        snprintf(dd, sizeof dd, "--datadir=%s", datadir);
        args[n++] = dd;
        args[n++] = "--log-file=-";
    }
    for (size_t i = 0; extra && extra[i] && n < 27; i++) args[n++] = extra[i];
    args[n] = NULL;
    memset(r, 0, sizeof *r);
    assert_true(datadir ? process_start_btcpeerd(&r->d, args) : daemon_start(&r->d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(&r->d, needle, RPC_WAIT_MS)) fail_msg("no RPC server:\n%s", r->d.log);
    r->rpc_port = (uint16_t)atoi(strstr(r->d.log, needle) + sizeof needle - 1);
    assert_true(daemon_wait_log(&r->d, "RPC cookie written", RPC_WAIT_MS));
    char path[300];
    if (datadir)
        snprintf(path, sizeof path, "%s/regtest/.cookie", datadir);
    else
        snprintf(path, sizeof path, "%s/data/regtest/.cookie", r->d.datadir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(r->cookie, sizeof r->cookie, f));
    fclose(f);
}

void rpc_daemon_start(struct rpc_daemon *r, const char *const *extra)
{
    start_common(r, NULL, extra);
}

void rpc_daemon_start_in(struct rpc_daemon *r, const char *datadir, const char *const *extra)
{
    start_common(r, datadir, extra);
}

void rpc_daemon_stop(struct rpc_daemon *r)
{
    assert_int_equal(daemon_stop(&r->d, SIGTERM, RPC_WAIT_MS), 0);
    daemon_cleanup(&r->d);
}

int rpc_post(const struct rpc_daemon *r, const char *body, size_t len, char **reply)
{
    unsigned char b64[256];
    EVP_EncodeBlock(b64, (const unsigned char *)r->cookie, (int)strlen(r->cookie));
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      b64, len);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->rpc_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, head, (size_t)hl, MSG_NOSIGNAL), hl);
    for (size_t off = 0; off < len;) { /* a 413 may come and close before all is sent */
        ssize_t w = send(fd, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    size_t cap = 65536, got = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    uint64_t deadline = clock_mono_ms() + RPC_WAIT_MS;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) fail_msg("no HTTP reply in time");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - now)) <= 0) continue;
        if (got + 4096 > cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + got, cap - got - 1, 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    int status = 0;
    if (sscanf(buf, "HTTP/1.1 %d", &status) != 1) fail_msg("not HTTP: %s", buf);
    char *sep = strstr(buf, "\r\n\r\n");
    *reply = strdup(sep ? sep + 4 : "");
    free(buf);
    return status;
}

json_t *rpc_call(const struct rpc_daemon *r, const char *method, json_t *params)
{
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method,
                            "params", params ? params : json_array());
    assert_non_null(req);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    assert_non_null(body);
    char *reply;
    int status = rpc_post(r, body, strlen(body), &reply);
    free(body);
    if (status != 200) fail_msg("%s: HTTP %d %s", method, status, reply);
    json_t *v = json_loads(reply, 0, NULL);
    if (!v) fail_msg("%s: not JSON: %s", method, reply);
    free(reply);
    return v;
}

json_t *rpc_result(json_t *reply)
{
    json_t *res = json_object_get(reply, "result");
    if (!res || json_object_get(reply, "error")) {
        char *s = json_dumps(reply, 0);
        fail_msg("expected a result: %s", s);
    }
    return res;
}

int64_t rpc_error_code(json_t *reply, const char **message)
{
    json_t *e = json_object_get(reply, "error");
    if (!e || json_is_null(e)) {
        char *s = json_dumps(reply, 0);
        fail_msg("expected an error: %s", s);
    }
    if (message) *message = json_string_value(json_object_get(e, "message"));
    return json_integer_value(json_object_get(e, "code"));
}
