/* btcpeerd-cli against a fake JSON-RPC server in this process (evhttp on
 * 127.0.0.1, port 0): what it sends (POST /, Basic auth from the cookie or
 * -rpcuser/-rpcpassword, the JSON params) and what it prints and exits with
 * for a result, a JSON-RPC error, 401, a refused connection and a server
 * that never answers. A case against the real daemon needs only cli_run()
 * and the daemon's datadir and RPC port. */
#include "cli_runner.h"
#include "harness.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLI_TIMEOUT_MS 20000

/* The fake server: answers every request with reply_status/reply_body (or
 * never, with hold) and remembers the last request. */
struct fake_rpc {
    struct event_base *base;
    struct evhttp *http;
    uint16_t port;
    int reply_status;
    const char *reply_body;
    bool hold;
    int n_requests;
    enum evhttp_cmd_type method;
    char uri[128];
    char auth[512];
    char content_type[128];
    json_t *request; /* the body, parsed */
};

struct fixture {
    struct fake_rpc rpc;
    char datadir[64];      /* base data directory: regtest/.cookie inside */
    char cookie_auth[128]; /* the Authorization header the cookie gives */
    char arg_datadir[96], arg_port[32];
};

static void on_request(struct evhttp_request *req, void *arg)
{
    struct fake_rpc *f = arg;
    f->n_requests++;
    f->method = evhttp_request_get_command(req);
    snprintf(f->uri, sizeof f->uri, "%s", evhttp_request_get_uri(req));
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *auth = evhttp_find_header(h, "Authorization");
    const char *ct = evhttp_find_header(h, "Content-Type");
    snprintf(f->auth, sizeof f->auth, "%s", auth ? auth : "");
    snprintf(f->content_type, sizeof f->content_type, "%s", ct ? ct : "");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    json_decref(f->request);
    f->request = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0, NULL);
    if (f->hold) return; /* evhttp frees the request when the client goes */
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, f->reply_body, strlen(f->reply_body));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    if (f->reply_status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Basic realm=\"jsonrpc\"");
    evhttp_send_reply(req, f->reply_status, "x", out);
    evbuffer_free(out);
}

static uint16_t bound_port(evutil_socket_t fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    return ntohs(sin.sin_port);
}

static void fake_rpc_start(struct fake_rpc *f)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    f->http = evhttp_new(f->base);
    assert_non_null(f->http);
    evhttp_set_allowed_methods(f->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
    evhttp_set_gencb(f->http, on_request, f);
    struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
    assert_non_null(s);
    f->port = bound_port(evhttp_bound_socket_get_fd(s));
    f->reply_status = 200;
    f->reply_body = "{\"result\":null,\"error\":null,\"id\":1}";
}

static void fake_rpc_stop(struct fake_rpc *f)
{
    evhttp_free(f->http);
    event_base_free(f->base);
    json_decref(f->request);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    fake_rpc_start(&fx->rpc);
    strcpy(fx->datadir, "/tmp/btcpeerd-test-cli-XXXXXX");
    if (!mkdtemp(fx->datadir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/regtest", fx->datadir);
    if (mkdir(path, 0700) != 0) return -1;
    /* A cookie as the daemon writes it: __cookie__:<64 hex> */
    uint64_t seed = (uint64_t)getpid();
    uint8_t secret[32];
    test_random_bytes(&seed, secret, sizeof secret);
    char cookie[128] = "__cookie__:";
    for (size_t i = 0; i < sizeof secret; i++)
        snprintf(cookie + strlen(cookie), 3, "%02x", secret[i]);
    snprintf(path, sizeof path, "%s/regtest/.cookie", fx->datadir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(cookie, f);
    fclose(f);
    /* The header, encoded here independently of the CLI's code. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = fx->cookie_auth + sprintf(fx->cookie_auth, "Basic ");
    size_t len = strlen(cookie);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)cookie[i] << 16;
        if (i + 1 < len) v |= (uint32_t)(uint8_t)cookie[i + 1] << 8;
        if (i + 2 < len) v |= (uint8_t)cookie[i + 2];
        *o++ = b64[(v >> 18) & 63];
        *o++ = b64[(v >> 12) & 63];
        *o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *o = '\0';
    snprintf(fx->arg_datadir, sizeof fx->arg_datadir, "-datadir=%s", fx->datadir);
    snprintf(fx->arg_port, sizeof fx->arg_port, "-rpcport=%u", fx->rpc.port);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    fake_rpc_stop(&fx->rpc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->datadir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Run the CLI with -datadir, -regtest and -rpcport pointing at the fake,
 * then args. */
static struct cli_run run(struct fixture *fx, const char *const *args, const char *stdin_text)
{
    const char *all[40] = {fx->arg_datadir, "-regtest", fx->arg_port};
    size_t n = 3;
    for (size_t i = 0; args[i] && n < 39; i++) all[n++] = args[i];
    all[n] = NULL;
    struct cli_run r;
    assert_true(cli_run(fx->rpc.base, all, stdin_text, CLI_TIMEOUT_MS, &r));
    return r;
}

static void expect_params(const struct fake_rpc *f, const char *method, const char *params_json)
{
    assert_non_null(f->request);
    assert_string_equal(json_string_value(json_object_get(f->request, "method")), method);
    json_t *want = json_loads(params_json, 0, NULL);
    assert_non_null(want);
    if (!json_equal(json_object_get(f->request, "params"), want)) {
        char *got = json_dumps(f->request, JSON_COMPACT);
        fail_msg("params: got %s, want %s", got, params_json);
    }
    json_decref(want);
}

static void test_result_request_and_output(void **state)
{
    struct fixture *fx = *state;
    fx->rpc.reply_body = "{\"result\":[{\"id\":7,\"addr\":\"1.2.3.4:8333\"}],\"error\":null,\"id\":1}";
    const char *args[] = {"addnode", "1.2.3.4", "onetry", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, "[\n  {\n    \"id\": 7,\n    \"addr\": \"1.2.3.4:8333\"\n  }\n]\n");
    assert_int_equal(fx->rpc.n_requests, 1);
    assert_int_equal(fx->rpc.method, EVHTTP_REQ_POST);
    assert_string_equal(fx->rpc.uri, "/");
    assert_string_equal(fx->rpc.content_type, "application/json");
    assert_string_equal(fx->rpc.auth, fx->cookie_auth);
    expect_params(&fx->rpc, "addnode", "[\"1.2.3.4\", \"onetry\"]");
    assert_int_equal(json_integer_value(json_object_get(fx->rpc.request, "id")), 1);
    cli_run_free(&r);
}

static void test_json_params_and_string_result(void **state)
{
    struct fixture *fx = *state;
    fx->rpc.reply_body = "{\"result\":\"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206\","
                         "\"error\":null,\"id\":1}";
    const char *args[] = {"getblockhash", "0", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206\n");
    expect_params(&fx->rpc, "getblockhash", "[0]");
    cli_run_free(&r);

    fx->rpc.reply_body = "{\"result\":1.5,\"id\":1}";
    const char *more[] = {"m", "true", "null", "-3", "{\"a\":[1]}", "x y", NULL};
    r = run(fx, more, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1.5\n");
    expect_params(&fx->rpc, "m", "[true, null, -3, {\"a\":[1]}, \"x y\"]");
    cli_run_free(&r);
}

static void test_named_and_stdin(void **state)
{
    struct fixture *fx = *state;
    const char *args[] = {"-named", "-stdin", "getblockhash", "height=5", NULL};
    struct cli_run r = run(fx, args, "verbose=true\nlabel=a b\n");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, ""); /* a null result prints nothing */
    expect_params(&fx->rpc, "getblockhash", "{\"height\":5,\"verbose\":true,\"label\":\"a b\"}");
    cli_run_free(&r);
}

static void test_rpc_error_exit_code(void **state)
{
    struct fixture *fx = *state;
    fx->rpc.reply_body =
        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-8,\"message\":\"Block height out of range\"},\"id\":1}";
    const char *args[] = {"getblockhash", "99", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 8);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "error code: -8\nerror message:\nBlock height out of range\n");
    cli_run_free(&r);

    /* bitcoind's 1.0 style: 404 for an unknown method; exit |code| mod 256 */
    fx->rpc.reply_status = 404;
    fx->rpc.reply_body =
        "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}";
    const char *nope[] = {"nosuchmethod", NULL};
    r = run(fx, nope, NULL);
    assert_int_equal(r.status, 32601 & 0xff);
    assert_string_equal(r.err, "error code: -32601\nerror message:\nMethod not found\n");
    cli_run_free(&r);
}

static void test_401_says_credentials(void **state)
{
    struct fixture *fx = *state;
    fx->rpc.reply_status = 401;
    fx->rpc.reply_body = "";
    const char *args[] = {"-rpcuser=alice", "-rpcpassword=wrong", "getpeerinfo", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(fx->rpc.auth, "Basic YWxpY2U6d3Jvbmc="); /* alice:wrong, not the cookie */
    if (!strstr(r.err, "incorrect rpcuser or rpcpassword")) fail_msg("stderr: %s", r.err);
    assert_string_equal(r.out, "");
    cli_run_free(&r);
}

static void test_connection_refused(void **state)
{
    struct fixture *fx = *state;
    /* A bound socket that does not listen: its port refuses connections
     * and nobody else can take it meanwhile. */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
    char port[32];
    snprintf(port, sizeof port, "-rpcport=%u", bound_port(s));
    const char *args[] = {port, "getpeerinfo", NULL};
    struct cli_run r = run(fx, args, NULL);
    close(s);
    assert_int_equal(r.status, 1);
    assert_int_equal(fx->rpc.n_requests, 0);
    char where[64];
    snprintf(where, sizeof where, "cannot connect to the server 127.0.0.1:%s", port + 9);
    if (!strstr(r.err, where) || !strstr(r.err, "refused")) fail_msg("stderr: %s", r.err);
    cli_run_free(&r);
}

static void test_no_cookie_no_password(void **state)
{
    struct fixture *fx = *state;
    const char *args[] = {"-rpccookiefile=/nonexistent/.cookie", "getpeerinfo", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 1);
    assert_int_equal(fx->rpc.n_requests, 0);
    if (!strstr(r.err, "no RPC credentials") || !strstr(r.err, "/nonexistent/.cookie"))
        fail_msg("stderr: %s", r.err);
    cli_run_free(&r);
}

static void test_server_that_never_answers_times_out(void **state)
{
    struct fixture *fx = *state;
    fx->rpc.hold = true;
    const char *args[] = {"-rpcclienttimeout=0.3", "getpeerinfo", NULL};
    struct cli_run r = run(fx, args, NULL);
    assert_int_equal(r.status, 1);
    assert_int_equal(fx->rpc.n_requests, 1);
    if (!strstr(r.err, "timed out")) fail_msg("stderr: %s", r.err);
    cli_run_free(&r);
}

static void test_usage_errors(void **state)
{
    struct fixture *fx = *state;
    const char *none[] = {NULL};
    struct cli_run r = run(fx, none, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no method"));
    cli_run_free(&r);
    const char *bad[] = {"-nosuch", "getpeerinfo", NULL};
    r = run(fx, bad, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "unknown option '-nosuch'"));
    cli_run_free(&r);
    const char *help[] = {"-help", NULL};
    assert_true(cli_run(NULL, help, NULL, CLI_TIMEOUT_MS, &r));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: btcpeerd-cli"));
    cli_run_free(&r);
    assert_int_equal(fx->rpc.n_requests, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_result_request_and_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_params_and_string_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_and_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpc_error_exit_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_401_says_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_cookie_no_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_that_never_answers_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
    };
    return test_run_group(tests);
}
