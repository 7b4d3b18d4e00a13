/* What btcpeerd-cli prints and exits with for each kind of reply
 * (tools/cli_reply.c): results, JSON-RPC errors, HTTP errors. */
#include "cli.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

struct printed {
    int rc;
    char *out, *err;
};

static struct printed reply(int status, const char *body)
{
    struct printed p;
    size_t out_len, err_len;
    FILE *out = open_memstream(&p.out, &out_len);
    FILE *err = open_memstream(&p.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    p.rc = cli_print_reply(status, body, strlen(body), out, err);
    fclose(out);
    fclose(err);
    return p;
}

static void expect(int status, const char *body, int rc, const char *out, const char *err)
{
    struct printed p = reply(status, body);
    if (p.rc != rc || strcmp(p.out, out) != 0 || (err ? !strstr(p.err, err) : p.err[0] != '\0'))
        fail_msg("HTTP %d %s\n gave rc=%d out=[%s] err=[%s]\n expected rc=%d out=[%s] err~[%s]",
                 status, body, p.rc, p.out, p.err, rc, out, err ? err : "");
    free(p.out);
    free(p.err);
}

static void test_results_print_like_bitcoin_cli(void **state)
{
    (void)state;
    expect(200, "{\"result\":\"000000000019d6\",\"error\":null,\"id\":1}", 0, "000000000019d6\n", NULL);
    expect(200, "{\"result\":12,\"error\":null,\"id\":1}", 0, "12\n", NULL);
    expect(200, "{\"result\":-0.5,\"error\":null,\"id\":1}", 0, "-0.5\n", NULL);
    expect(200, "{\"result\":0.1,\"id\":1}", 0, "0.1\n", NULL);
    expect(200, "{\"result\":4.656542373906925e-10,\"id\":1}", 0, "4.656542373906925e-10\n", NULL);
    expect(200, "{\"result\":2.0,\"id\":1}", 0, "2.0\n", NULL);
    expect(200, "{\"result\":true,\"id\":1}", 0, "true\n", NULL);
    expect(200, "{\"result\":null,\"error\":null,\"id\":1}", 0, "", NULL);
    expect(200, "{\"result\":[],\"id\":1}", 0, "[]\n", NULL);
    expect(200, "{\"result\":{},\"id\":1}", 0, "{}\n", NULL);
    expect(200, "{\"result\":\"line1\\nline2 \\\"q\\\"\",\"id\":1}", 0, "line1\nline2 \"q\"\n", NULL);
    expect(200,
           "{\"result\":[{\"id\":1,\"addr\":\"127.0.0.1:8333\",\"inbound\":false,"
           "\"pingtime\":0.25,\"services\":[\"NETWORK\",\"WITNESS\"],\"x\":{\"y\":null}}],"
           "\"error\":null,\"id\":1}",
           0,
           "[\n"
           "  {\n"
           "    \"id\": 1,\n"
           "    \"addr\": \"127.0.0.1:8333\",\n"
           "    \"inbound\": false,\n"
           "    \"pingtime\": 0.25,\n"
           "    \"services\": [\n"
           "      \"NETWORK\",\n"
           "      \"WITNESS\"\n"
           "    ],\n"
           "    \"x\": {\n"
           "      \"y\": null\n"
           "    }\n"
           "  }\n"
           "]\n",
           NULL);
    /* JSON-RPC 2.0 replies omit "error" */
    expect(200, "{\"jsonrpc\":\"2.0\",\"result\":\"ok\",\"id\":1}", 0, "ok\n", NULL);
}

static void test_rpc_errors_exit_with_the_code(void **state)
{
    (void)state;
    /* 2.0 style: HTTP 200 carrying the error; 1.0 style: 404/500 */
    expect(200, "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-8,\"message\":\"bad height\"},\"id\":1}",
           8, "", "error code: -8\nerror message:\nbad height\n");
    expect(404, "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}",
           32601, "", "error code: -32601\nerror message:\nMethod not found\n");
    expect(500, "{\"result\":null,\"error\":{\"code\":-1,\"message\":\"x\"},\"id\":1}", 1, "",
           "error code: -1\n");
    expect(400, "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}",
           32700, "", "error message:\nParse error\n");
    expect(200, "{\"result\":null,\"error\":\"plain\",\"id\":1}", 1, "", "error: \"plain\"\n");
    expect(200, "{\"error\":{\"code\":0,\"message\":\"zero\"},\"id\":1}", 1, "", "error code: 0\n");
}

static void test_http_and_reply_failures_exit_1(void **state)
{
    (void)state;
    expect(401, "", 1, "", "incorrect rpcuser or rpcpassword");
    expect(403, "", 1, "", "rpcallowip");
    expect(503, "warming up", 1, "", "error: server response: warming up\n");
    expect(502, "{}", 1, "", "error: server returned HTTP error 502\n");
    expect(404, "", 1, "", "error: server returned HTTP error 404\n");
    expect(200, "", 1, "", "error: no response from server\n");
    expect(200, "<html>", 1, "", "cannot parse");
    expect(200, "[1]", 1, "", "cannot parse");
    expect(200, "{}", 1, "", "cannot parse");
    expect(200, "{\"id\":1}", 1, "", "neither result nor error");
}

static void test_connect_error_names_the_server(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(cli_print_connect_error(f, "::1", 18449, "connection refused"), 1);
    fclose(f);
    assert_non_null(strstr(buf, "error: cannot connect to the server [::1]:18449: connection refused"));
    assert_non_null(strstr(buf, "--server=1"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_print_like_bitcoin_cli),
        cmocka_unit_test(test_rpc_errors_exit_with_the_code),
        cmocka_unit_test(test_http_and_reply_failures_exit_1),
        cmocka_unit_test(test_connect_error_names_the_server),
    };
    return test_run_group(tests);
}
