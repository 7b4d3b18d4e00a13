/* btcpeerd-cli -getinfo (tools/cli_getinfo.c): the batch it sends and the
 * lines it prints, which are bitcoin-cli v29's (ParseGetInfoResult in its
 * bitcoin-cli.cpp, uncoloured), from replies shaped as bitcoind's. */
#include "cli.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

struct printed {
    int rc;
    char *out, *err;
};

static struct printed run(int status, const char *body)
{
    struct printed p;
    size_t out_len, err_len;
    FILE *out = open_memstream(&p.out, &out_len);
    FILE *err = open_memstream(&p.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    p.rc = cli_print_getinfo(status, body, strlen(body), out, err);
    fclose(out);
    fclose(err);
    return p;
}

static void test_request_is_bitcoin_clis_batch(void **state)
{
    (void)state;
    char *body = cli_getinfo_request();
    json_error_t err;
    json_t *batch = json_loads(body, 0, &err);
    assert_true(json_is_array(batch));
    assert_int_equal(json_array_size(batch), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(batch, 0), "method")),
                        "getnetworkinfo");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(batch, 0), "id")), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(batch, 1), "method")),
                        "getblockchaininfo");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(batch, 1), "id")), 1);
    json_decref(batch);
    free(body);
}

/* A mainnet bitcoind half synced, one proxy for two networks. The replies
 * come in either order: bitcoin-cli matches them by id. */
static void test_summary_lines(void **state)
{
    (void)state;
    struct printed p = run(
        200,
        "[{\"result\":{\"chain\":\"main\",\"blocks\":840000,\"headers\":840010,"
        "\"verificationprogress\":0.5,\"difficulty\":86388558925171.02,\"warnings\":[]},\"id\":1},"
        "{\"result\":{\"version\":290000,\"connections_in\":1,\"connections_out\":2,"
        "\"connections\":3,"
        "\"timeoffset\":-1,\"networks\":[{\"name\":\"ipv4\",\"proxy\":\"\"},"
        "{\"name\":\"onion\",\"proxy\":\"127.0.0.1:9050\"},{\"name\":\"i2p\",\"proxy\":\"127.0.0.1:"
        "9050\"},"
        "{\"name\":\"cjdns\",\"proxy\":\"10.0.0.1:1080\"}],"
        "\"relayfee\":0.00001000,\"warnings\":[]},\"id\":0}]");
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.err, "");
    assert_string_equal(
        p.out, "Chain: main\n"
               "Blocks: 840000\n"
               "Headers: 840010\n"
               "Verification progress: \u2592\u2592\u2592\u2592\u2592\u2592\u2592\u2592\u2592\u2592"
               "\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591 50.0000%\n"
               "Difficulty: 86388558925171.02\n"
               "\n"
               "Network: in 1, out 2, total 3\n"
               "Version: 290000\n"
               "Time offset (s): -1\n"
               "Proxies: 127.0.0.1:9050 (onion, i2p), 10.0.0.1:1080 (cjdns)\n"
               "Min tx relay fee rate (BTC/kvB): 0.00001000\n"
               "\n"
               "Warnings: (none)\n");
    free(p.out);
    free(p.err);

    /* synced: no bar; no proxy; a warning as the old string form */
    p = run(
        200,
        "[{\"result\":{\"version\":290000,\"connections_in\":0,\"connections_out\":0,"
        "\"connections\":0,\"timeoffset\":0,\"networks\":[{\"name\":\"ipv4\",\"proxy\":\"\"}],"
        "\"relayfee\":1e-5,\"warnings\":\"low disk\"},\"id\":0},"
        "{\"result\":{\"chain\":\"regtest\",\"blocks\":0,\"headers\":0,\"verificationprogress\":1,"
        "\"difficulty\":4.656542373906925e-10},\"id\":1}]");
    assert_int_equal(p.rc, 0);
    assert_non_null(
        strstr(p.out, "Verification progress: 100.0000%\nDifficulty: 4.656542373906925e-10\n"));
    assert_non_null(strstr(p.out, "Proxies: n/a\nMin tx relay fee rate (BTC/kvB): 0.00001000\n"));
    assert_non_null(strstr(p.out, "\nWarnings: low disk\n"));
    free(p.out);
    free(p.err);
}

/* An error of either call is printed as that call's error, exit |code|;
 * a non-batch reply (a 401, say) as any reply. */
static void test_errors_pass_through(void **state)
{
    (void)state;
    struct printed p =
        run(200, "[{\"result\":null,\"error\":{\"code\":-28,\"message\":\"Loading\"},\"id\":0},"
                 "{\"result\":{\"chain\":\"main\"},\"id\":1}]");
    assert_int_equal(p.rc, 28);
    assert_string_equal(p.out, "");
    assert_non_null(strstr(p.err, "error code: -28\nerror message:\nLoading\n"));
    free(p.out);
    free(p.err);
    p = run(200, "[{\"result\":{\"version\":1},\"id\":0}]");
    assert_int_equal(p.rc, 1);
    free(p.out);
    free(p.err);
    p = run(401, "");
    assert_int_equal(p.rc, 1);
    assert_non_null(strstr(p.err, "authorization failed"));
    free(p.out);
    free(p.err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_is_bitcoin_clis_batch),
        cmocka_unit_test(test_summary_lines),
        cmocka_unit_test(test_errors_pass_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
