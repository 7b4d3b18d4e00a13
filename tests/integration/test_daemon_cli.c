/* The daemon as an operator meets it: --help, --version, bad values exit 2
 * naming the flag, the config file, and a clean stop on SIGTERM/SIGINT. */
#include "harness.h"
#include "testutil.h"

#include <btcpeerd/clock.h>

#include <signal.h>
#include <time.h>
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
    /* --listen=0 throughout: other tests use the regtest port on 127.x */
    const char *args[] = {"--network=regtest", "--listen=0", NULL};
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
    /* no DNS seeds, no dialling: tests stay on 127.0.0.1 */
    const char *args[] = {"--network=signet", "--log-format=json", "--listen=0", "--dnsseed=0",
                          "--max-outbound=0", NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "\"msg\":\"btcpeerd", 5000));
    assert_int_equal(daemon_stop(&d, SIGINT, 5000), 0);
    assert_non_null(strstr(d.log, "\"level\":\"info\""));
    daemon_cleanup(&d);
}

/* A second daemon on a data directory in use stops at once (exit 1) and
 * leaves the first one's files alone, its RPC cookie among them. */
static void test_second_daemon_on_the_same_datadir_refused(void **state)
{
    (void)state;
    struct daemon_proc a, b;
    const char *args[] = {"--network=regtest", "--listen=0", NULL};
    assert_true(daemon_start(&a, args));
    assert_true(daemon_wait_log(&a, "RPC cookie written", 5000));
    char datadir[192], cookie[224];
    snprintf(datadir, sizeof datadir, "--datadir=%s/data", a.datadir);
    snprintf(cookie, sizeof cookie, "%s/data/regtest/.cookie", a.datadir);
    const char *bargs[] = {"--network=regtest", "--listen=0", "--rpcport=0", datadir, "--log-file=-",
                           NULL};
    assert_true(process_start_btcpeerd(&b, bargs));
    assert_int_equal(daemon_stop(&b, 0, 5000), 1);
    assert_non_null(strstr(b.log, "cannot lock data directory"));
    assert_non_null(strstr(b.log, "another btcpeerd is probably using it"));
    daemon_cleanup(&b);
    assert_int_equal(access(cookie, R_OK), 0);
    assert_int_equal(daemon_stop(&a, SIGTERM, 5000), 0);
    daemon_cleanup(&a);
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
    const char *args[] = {conf_arg, "--log-format=text", "--listen=0", "--dnsseed=0",
                          "--max-outbound=0", NULL};
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

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* Wait for a file to contain needle, with a deadline (the daemon writes it). */
static bool wait_file(const char *path, const char *needle, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (!file_contains(path, needle)) {
        if (clock_mono_ms() > deadline) return false;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return true;
}

static void test_sighup_reopens_log_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/btcpeerd-hup-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char log_path[64], rotated[64], log_arg[80], datadir_arg[80];
    snprintf(log_path, sizeof log_path, "%s/debug.log", dir);
    snprintf(rotated, sizeof rotated, "%s/debug.log.1", dir);
    snprintf(log_arg, sizeof log_arg, "--log-file=%s", log_path);
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s", dir);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", datadir_arg, log_arg, NULL};
    assert_true(process_start_btcpeerd(&d, args));
    assert_true(wait_file(log_path, "started network=regtest", 5000));
    assert_int_equal(rename(log_path, rotated), 0); /* logrotate's move */
    kill(d.pid, SIGHUP);
    assert_true(wait_file(log_path, "log file reopened", 5000));
    assert_int_equal(daemon_stop(&d, SIGTERM, 5000), 0);
    assert_true(file_contains(log_path, "shutdown complete"));
    assert_false(file_contains(rotated, "shutdown complete"));
    daemon_cleanup(&d);
    unlink(log_path);
    unlink(rotated);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_daemon_mode_writes_and_removes_pid_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/btcpeerd-pid-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pid_path[64], pid_arg[80], datadir_arg[80], log_arg[80], log_path[64];
    snprintf(pid_path, sizeof pid_path, "%s/btcpeerd.pid", dir);
    snprintf(log_path, sizeof log_path, "%s/debug.log", dir);
    snprintf(pid_arg, sizeof pid_arg, "--pid-file=%s", pid_path);
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s", dir);
    snprintf(log_arg, sizeof log_arg, "--log-file=%s", log_path);
    char *out;
    const char *args[] = {"--network=regtest", "--listen=0", "--daemon", pid_arg, datadir_arg,
                          log_arg, NULL};
    /* the launcher returns at once; the daemon lives on */
    assert_int_equal(run_btcpeerd(args, &out, 5000), 0);
    free(out);
    assert_true(wait_file(log_path, "started network=regtest", 5000));
    assert_true(wait_file(pid_path, "\n", 5000));
    FILE *f = fopen(pid_path, "r");
    long pid = 0;
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    assert_true(pid > 1);
    assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
    /* gone: the pid file is removed on the way out */
    uint64_t deadline = clock_mono_ms() + 5000;
    while (access(pid_path, F_OK) == 0 && clock_mono_ms() < deadline) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    assert_int_not_equal(access(pid_path, F_OK), 0);
    assert_true(wait_file(log_path, "shutdown complete", 5000));
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
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
        cmocka_unit_test(test_second_daemon_on_the_same_datadir_refused),
        cmocka_unit_test(test_sighup_reopens_log_file),
        cmocka_unit_test(test_daemon_mode_writes_and_removes_pid_file),
    };
    return test_run_group(tests);
}
