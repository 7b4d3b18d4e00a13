/* The daemon as an operator meets it: --help, --version, bad values exit 2
 * naming the flag, the config file, and a clean stop on SIGTERM/SIGINT. */
#include "harness.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static void test_help_lists_every_flag_with_default(void **state)
{
    (void)state;
    char *out;
    const char *args[] = {"--help", NULL};
    assert_int_equal(run_btcpeerd(args, &out, 5000), 0);
    const char *flags[] = {"--network=", "--datadir=", "--conf=", "--log-level=", "--debug=",
                           "--log-file=", "--log-format=", "--help", "--version"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(out, flags[i])) fail_msg("--help lacks %s", flags[i]);
    assert_non_null(strstr(out, "(default: main)"));
    free(out);
}

static void test_version_prints_version(void **state)
{
    (void)state;
    char *out;
    const char *args[] = {"--version", NULL};
    assert_int_equal(run_btcpeerd(args, &out, 5000), 0);
    assert_non_null(strstr(out, "btcpeerd " BTCPEERD_VERSION_STRING));
    free(out);
}

static void expect_usage_error(const char *const *args, const char *needle)
{
    char *out;
    assert_int_equal(run_btcpeerd(args, &out, 5000), 2);
    if (!strstr(out, needle)) fail_msg("expected '%s' in: %s", needle, out);
    free(out);
}

static void test_bad_values_exit_2_naming_the_flag(void **state)
{
    (void)state;
    const char *a1[] = {"--network=moon", NULL};
    expect_usage_error(a1, "--network: bad value 'moon'");
    const char *a2[] = {"--log-level=loud", NULL};
    expect_usage_error(a2, "--log-level: bad value 'loud'");
    const char *a3[] = {"--log-format=xml", NULL};
    expect_usage_error(a3, "--log-format: bad value 'xml'");
    const char *a4[] = {"--debug=wallet", NULL};
    expect_usage_error(a4, "--debug: bad value 'wallet'");
    const char *a5[] = {"--no-such-flag", NULL};
    expect_usage_error(a5, "unknown option '--no-such-flag'");
    const char *a6[] = {"--network", NULL};
    expect_usage_error(a6, "needs a value");
}

static void test_sigterm_stops_cleanly_with_exit_0(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "started network=regtest port=18444", 5000));
    assert_int_equal(daemon_stop(&d, SIGTERM, 5000), 0);
    assert_non_null(strstr(d.log, "shutdown complete"));
    daemon_cleanup(&d);
}

static void test_sigint_stops_cleanly_with_exit_0(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *args[] = {"--network=signet", "--log-format=json", NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "\"msg\":\"btcpeerd", 5000));
    assert_int_equal(daemon_stop(&d, SIGINT, 5000), 0);
    assert_non_null(strstr(d.log, "\"level\":\"info\""));
    daemon_cleanup(&d);
}

static void test_config_file_applies_and_cli_wins(void **state)
{
    (void)state;
    char conf[] = "/tmp/btcpeerd-conf-XXXXXX";
    int fd = mkstemp(conf);
    assert_true(fd >= 0);
    const char text[] = "# a comment\nnetwork = testnet4\nlog-format=json\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char conf_arg[64];
    snprintf(conf_arg, sizeof conf_arg, "--conf=%s", conf);

    struct daemon_proc d;
    const char *args[] = {conf_arg, "--log-format=text", NULL};
    assert_true(daemon_start(&d, args));
    /* network from the file, format from the command line */
    assert_true(daemon_wait_log(&d, "started network=testnet4 port=48333", 5000));
    assert_null(strstr(d.log, "{\"ts\""));
    assert_int_equal(daemon_stop(&d, SIGTERM, 5000), 0);
    daemon_cleanup(&d);

    const char bad[] = "network=testnet4\nthis line is wrong\n";
    fd = open(conf, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(fd);
    const char *bad_args[] = {conf_arg, NULL};
    expect_usage_error(bad_args, ":2: expected key=value");
    unlink(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_lists_every_flag_with_default),
        cmocka_unit_test(test_version_prints_version),
        cmocka_unit_test(test_bad_values_exit_2_naming_the_flag),
        cmocka_unit_test(test_sigterm_stops_cleanly_with_exit_0),
        cmocka_unit_test(test_sigint_stops_cleanly_with_exit_0),
        cmocka_unit_test(test_config_file_applies_and_cli_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
