/* btcpeerd-cli's options, config file, data directory, credentials and
 * parameter conversion (tools/cli_args.c), without a server. */
#include "cli.h"
#include "testutil.h"

#include <btcpeerd/config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/btcpeerd-test-cli-XXXXXX";

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/btcpeerd-test-cli-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static enum cli_err parse(struct cli_options *o, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"btcpeerd-cli";
    for (; args[argc - 1]; argc++) argv[argc] = (char *)args[argc - 1];
    char msg[256];
    return cli_parse_options(o, argc, argv, msg, sizeof msg);
}

static void test_options_stop_at_the_method(void **state)
{
    (void)state;
    struct cli_options o;
    const char *a[] = {"-regtest", "--rpcport=1234", "-rpcuser=u", "-rpcpassword=p", "getblockhash",
                       "-1", "-named", NULL};
    assert_int_equal(parse(&o, a), CLI_OK);
    assert_int_equal(o.network, NET_REGTEST);
    assert_int_equal(o.rpcport, 1234);
    assert_string_equal(o.rpcuser, "u");
    assert_string_equal(o.rpcpassword, "p");
    assert_int_equal(o.first_arg, 5); /* argv[5] = getblockhash */
    assert_false(o.named);            /* after the method: a parameter */
}

static void test_network_spellings(void **state)
{
    (void)state;
    struct cli_options o;
    const struct {
        const char *arg;
        int net;
    } cases[] = {{"-testnet", NET_TESTNET3},        {"-testnet4", NET_TESTNET4},
                 {"-signet", NET_SIGNET},           {"-regtest=1", NET_REGTEST},
                 {"-chain=test", NET_TESTNET3},     {"-chain=testnet3", NET_TESTNET3},
                 {"-chain=main", NET_MAIN},         {"-chain=regtest", NET_REGTEST},
                 {"-regtest=0", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *a[] = {cases[i].arg, "m", NULL};
        assert_int_equal(parse(&o, a), CLI_OK);
        assert_int_equal(o.network, cases[i].net);
    }
}

static void test_bad_options_are_usage_errors(void **state)
{
    (void)state;
    struct cli_options o;
    const char *bad[][2] = {{"-nosuch", NULL},   {"-chain=moon", NULL}, {"-rpcport=0", NULL},
                            {"-rpcport=70000", NULL}, {"-rpcport", NULL}, {"-regtest=yes", NULL},
                            {"-rpcclienttimeout=x", NULL}, {"-datadir=", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *a[] = {bad[i][0], "m", NULL};
        assert_int_equal(parse(&o, a), CLI_ERR_USAGE);
    }
    const char *h[] = {"-h", NULL};
    assert_int_equal(parse(&o, h), CLI_OK);
    assert_true(o.help);
}

static void test_option_table_is_sound(void **state)
{
    (void)state;
    size_t n;
    const struct option_row *rows = cli_option_table(&n);
    char why[256] = "";
    if (!option_table_check(rows, n, why, sizeof why)) fail_msg("%s", why);
    assert_true(n >= 15);
}

/* -help shows every row: "  -name" at a line's start, or ", -name" after
 * the rows that share its line, followed by its help. */
static void test_help_lists_every_option(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0, n;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_print_options(f);
    fclose(f);
    const struct option_row *rows = cli_option_table(&n);
    for (size_t i = 0; i < n; i++) {
        char at_start[64], shared[64];
        snprintf(at_start, sizeof at_start, "  -%s%s", rows[i].name,
                 rows[i].type == OPTION_FLAG ? "" : "=");
        snprintf(shared, sizeof shared, ", -%s", rows[i].name);
        char *p = strstr(text, at_start);
        if (!p) p = strstr(text, shared);
        if (!p) fail_msg("-help lacks -%s", rows[i].name);
        char first_word[32];
        sscanf(rows[i].help, "%31s", first_word);
        if (!strstr(p, first_word)) fail_msg("-%s: help text missing", rows[i].name);
    }
    assert_non_null(strstr(text, "  -rpcclienttimeout=SEC  give up after SEC seconds; 0 = never "
                                 "(default: 900)\n"));
    assert_non_null(strstr(text, "  -testnet, -testnet4, -signet, -regtest  the same as -chain=...\n"));
    free(text);
}

static void test_value_ranges(void **state)
{
    (void)state;
    struct cli_options o;
    const struct {
        const char *arg;
        bool ok;
    } cases[] = {{"-rpcport=1", true},          {"-rpcport=65535", true},
                 {"-rpcport=0", false},         {"-rpcport=65536", false},
                 {"-rpcport=+1", false},        {"-rpcclienttimeout=0", true},
                 {"-rpcclienttimeout=0.5", true}, {"-rpcclienttimeout=1000000", true},
                 {"-rpcclienttimeout=1000001", false}, {"-rpcclienttimeout=-1", false},
                 {"-rpcclienttimeout=nan", false}, {"-rpcclienttimeout=", false},
                 {"-rpcuser=", true},           {"-rpcconnect=", false},
                 {"-named=1", true},            {"-named=2", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *a[] = {cases[i].arg, "m", NULL};
        if ((parse(&o, a) == CLI_OK) != cases[i].ok) fail_msg("%s", cases[i].arg);
    }
    const char *t[] = {"-rpcclienttimeout=0.5", "m", NULL};
    assert_int_equal(parse(&o, t), CLI_OK);
    assert_true(o.timeout_s == 0.5);
    const char *d[] = {"m", NULL};
    assert_int_equal(parse(&o, d), CLI_OK);
    assert_true(o.timeout_s == 900);
    assert_int_equal(o.network, -1);
    assert_int_equal(o.rpcport, -1);
    char msg[128];
    char *argv[] = {(char *)"btcpeerd-cli", (char *)"-rpcport=0", NULL};
    assert_int_equal(cli_parse_options(&o, 2, argv, msg, sizeof msg), CLI_ERR_USAGE);
    assert_string_equal(msg, "-rpcport: bad value '0'");
    argv[1] = (char *)"-rpcport";
    assert_int_equal(cli_parse_options(&o, 2, argv, msg, sizeof msg), CLI_ERR_USAGE);
    assert_string_equal(msg, "option '-rpcport' needs a value (-rpcport=...)");
}

static void test_default_ports_and_datadir(void **state)
{
    (void)state;
    const uint16_t ports[NET_COUNT] = {[NET_MAIN] = 8339, [NET_TESTNET3] = 18339,
                                       [NET_TESTNET4] = 48339, [NET_SIGNET] = 38339,
                                       [NET_REGTEST] = 18449};
    for (int n = 0; n < NET_COUNT; n++) {
        struct cli_options o;
        char chain[64];
        snprintf(chain, sizeof chain, "-chain=%s", netparams_get((enum net_id)n)->name);
        const char *a[] = {"-datadir=/data", chain, "m", NULL};
        assert_int_equal(parse(&o, a), CLI_OK);
        struct cli_target t;
        assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
        assert_int_equal(t.port, ports[n]);
        assert_string_equal(t.host, "127.0.0.1");
        /* the daemon's own resolution: same directory, .cookie inside */
        char expect[PATH_MAX];
        assert_true(config_network_datadir("/data", (enum net_id)n, expect, sizeof expect));
        assert_string_equal(t.datadir, expect);
        if (n != NET_MAIN) {
            char sub[PATH_MAX];
            snprintf(sub, sizeof sub, "/data/%s", netparams_get((enum net_id)n)->name);
            assert_string_equal(t.datadir, sub);
        } else {
            assert_string_equal(t.datadir, "/data");
        }
        strcat(expect, "/.cookie");
        assert_string_equal(t.cookie_path, expect);
    }
}

static void test_default_datadir_is_home(void **state)
{
    (void)state;
    setenv("HOME", "/home/op", 1);
    struct cli_options o;
    const char *a[] = {"-signet", "m", NULL};
    assert_int_equal(parse(&o, a), CLI_OK);
    struct cli_target t;
    assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
    assert_string_equal(t.datadir, "/home/op/.btcpeerd/signet");
    assert_string_equal(t.cookie_path, "/home/op/.btcpeerd/signet/.cookie");
    char conf[PATH_MAX];
    assert_true(cli_conf_path(&o, conf, sizeof conf));
    assert_string_equal(conf, "/home/op/.btcpeerd/btcpeerd.conf");
}

static void test_rpcconnect_and_rpcport(void **state)
{
    (void)state;
    struct cli_options o;
    struct cli_target t;
    const char *a[] = {"-rpcconnect=[::1]:9000", "m", NULL};
    assert_int_equal(parse(&o, a), CLI_OK);
    assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 9000);
    const char *b[] = {"-rpcconnect=node.example:9000", "-rpcport=9001", "m", NULL};
    assert_int_equal(parse(&o, b), CLI_OK);
    assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
    assert_string_equal(t.host, "node.example");
    assert_int_equal(t.port, 9001); /* -rpcport wins */
    const char *c[] = {"-rpccookiefile=my.cookie", "-datadir=/d", "-regtest", "m", NULL};
    assert_int_equal(parse(&o, c), CLI_OK);
    assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
    assert_string_equal(t.cookie_path, "/d/regtest/my.cookie");
}

static void test_conf_file_fills_what_the_command_line_left(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/btcpeerd.conf", tmpdir);
    write_file(path, "# daemon settings\nnetwork=testnet4\nmaxconnections=10\n"
                     "rpcuser=alice\nrpcpassword = s3cret \nrpcport=5000\nnot a key value line\n");
    struct cli_options o;
    char datadir[300];
    snprintf(datadir, sizeof datadir, "-datadir=%s", tmpdir);
    const char *a[] = {datadir, "-rpcport=6000", "m", NULL};
    assert_int_equal(parse(&o, a), CLI_OK);
    char conf[PATH_MAX], msg[256];
    assert_true(cli_conf_path(&o, conf, sizeof conf));
    assert_string_equal(conf, path);
    assert_int_equal(cli_read_conf(&o, conf, false, msg, sizeof msg), CLI_OK);
    assert_int_equal(o.network, NET_TESTNET4);
    assert_string_equal(o.rpcuser, "alice");
    assert_string_equal(o.rpcpassword, "s3cret");
    assert_int_equal(o.rpcport, 6000); /* the command line wins */

    const char *b[] = {datadir, "-regtest", "m", NULL};
    assert_int_equal(parse(&o, b), CLI_OK);
    assert_int_equal(cli_read_conf(&o, conf, false, msg, sizeof msg), CLI_OK);
    assert_int_equal(o.network, NET_REGTEST); /* -regtest wins over network= */

    write_file(path, "rpcport=banana\n");
    assert_int_equal(cli_read_conf(&o, conf, false, msg, sizeof msg), CLI_ERR_CONF);
    assert_non_null(strstr(msg, "rpcport"));
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.conf", tmpdir);
    assert_int_equal(cli_read_conf(&o, missing, false, msg, sizeof msg), CLI_OK);
    assert_int_equal(cli_read_conf(&o, missing, true, msg, sizeof msg), CLI_ERR_CONF);
}

static void test_auth_from_cookie_or_password(void **state)
{
    (void)state;
    char dir[300], cookie[320], datadir[320];
    snprintf(dir, sizeof dir, "%s/regtest", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(cookie, sizeof cookie, "%s/.cookie", dir);
    snprintf(datadir, sizeof datadir, "-datadir=%s", tmpdir);
    struct cli_options o;
    struct cli_target t;
    char auth[512], msg[512];
    const char *a[] = {datadir, "-regtest", "m", NULL};
    assert_int_equal(parse(&o, a), CLI_OK);
    assert_int_equal(cli_resolve(&o, &t, NULL, 0), CLI_OK);
    assert_int_equal(cli_auth_header(&o, &t, auth, sizeof auth, msg, sizeof msg), CLI_ERR_CREDENTIALS);
    assert_non_null(strstr(msg, cookie));

    write_file(cookie, "__cookie__:abcd\n");
    assert_int_equal(cli_auth_header(&o, &t, auth, sizeof auth, msg, sizeof msg), CLI_OK);
    assert_string_equal(auth, "Basic X19jb29raWVfXzphYmNk"); /* base64("__cookie__:abcd") */

    const char *b[] = {datadir, "-regtest", "-rpcuser=Aladdin", "-rpcpassword=open sesame", "m", NULL};
    assert_int_equal(parse(&o, b), CLI_OK);
    assert_int_equal(cli_auth_header(&o, &t, auth, sizeof auth, msg, sizeof msg), CLI_OK);
    assert_string_equal(auth, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

static void expect_param(const char *arg, const char *json)
{
    json_t *v = cli_convert_param(arg);
    assert_non_null(v);
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (strcmp(s, json) != 0) fail_msg("param '%s' became %s, expected %s", arg, s, json);
    free(s);
    json_decref(v);
}

static void test_params_json_or_string(void **state)
{
    (void)state;
    expect_param("0", "0");
    expect_param("-12", "-12");
    expect_param("1.5", "1.5");
    expect_param("true", "true");
    expect_param("false", "false");
    expect_param("null", "null");
    expect_param("[1,\"a\"]", "[1,\"a\"]");
    expect_param("{\"a\":{\"b\":[]}}", "{\"a\":{\"b\":[]}}");
    expect_param("\"quoted\"", "\"quoted\"");
    expect_param("1.2.3.4", "\"1.2.3.4\"");
    expect_param("onetry", "\"onetry\"");
    expect_param("[::1]:8333", "\"[::1]:8333\"");
    expect_param("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                 "\"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f\"");
    expect_param("", "\"\"");
    expect_param("True", "\"True\"");
    expect_param("{broken", "\"{broken\"");
    expect_param("1 2", "\"1 2\"");
    expect_param("h\xc3\xa9", "\"h\xc3\xa9\"");
    assert_null(cli_convert_param("bad\xff"));
}

static void test_request_body_positional_and_named(void **state)
{
    (void)state;
    char *args[] = {"1.2.3.4", "onetry"};
    json_t *p = cli_build_params(args, 2, false, NULL, 0);
    char *body = cli_build_request("addnode", p);
    assert_string_equal(body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"addnode\","
                              "\"params\":[\"1.2.3.4\",\"onetry\"]}");
    free(body);

    body = cli_build_request("getpeerinfo", cli_build_params(NULL, 0, false, NULL, 0));
    assert_string_equal(body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getpeerinfo\",\"params\":[]}");
    free(body);

    char *named[] = {"height=0", "verbose=true", "label=a=b"};
    body = cli_build_request("m", cli_build_params(named, 3, true, NULL, 0));
    assert_string_equal(body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\","
                              "\"params\":{\"height\":0,\"verbose\":true,\"label\":\"a=b\"}}");
    free(body);

    char msg[128];
    char *bad[] = {"noequals"};
    assert_null(cli_build_params(bad, 1, true, msg, sizeof msg));
    assert_non_null(strstr(msg, "noequals"));
    char *bad8[] = {"\xff"};
    assert_null(cli_build_params(bad8, 1, false, msg, sizeof msg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_stop_at_the_method),
        cmocka_unit_test(test_network_spellings),
        cmocka_unit_test(test_bad_options_are_usage_errors),
        cmocka_unit_test(test_option_table_is_sound),
        cmocka_unit_test(test_help_lists_every_option),
        cmocka_unit_test(test_value_ranges),
        cmocka_unit_test(test_default_ports_and_datadir),
        cmocka_unit_test(test_default_datadir_is_home),
        cmocka_unit_test(test_rpcconnect_and_rpcport),
        cmocka_unit_test_setup_teardown(test_conf_file_fills_what_the_command_line_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_from_cookie_or_password, setup, teardown),
        cmocka_unit_test(test_params_json_or_string),
        cmocka_unit_test(test_request_body_positional_and_named),
    };
    return test_run_group(tests);
}
