/* The RPC server's door, on a real daemon over real HTTP on 127.0.0.1:
 * cookie and user/password authentication (401 after a pause that does not
 * block the loop, 405), the cookie file (0600, removed at shutdown, kept
 * from a second daemon, written without following a planted symlink),
 * --server=0, and the RPC flags from the command line and the config file
 * (--help, bad values, loopback-only binds). The rest of the server is in
 * test_rpc.c; the HTTP client and daemon are rpc_testlib's. */
#include "harness.h"
#include "rpc_testlib.h"
#include "testutil.h"

#include <btcpeerd/clock.h>

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A wrong password's 401 is held on a timer while the loop goes on: with
 * a pause far longer than the test (--test-rpc-auth-delay), a right
 * password on another connection is answered while the 401 is still
 * owed; at shutdown the held 401 goes out. The order is the proof, not a
 * clock: the default pause's timer path is pinned by
 * test_cookie_and_password_auth's log lines. */
static void test_wrong_password_reply_waits_without_blocking(void **state)
{
    (void)state;
    struct rpct_daemon r;
    const char *extra[] = {"--test-rpc-auth-delay=3600", NULL};
    rpct_start(&r, extra);
    const char *body = "{\"method\":\"getblockcount\",\"id\":1}";
    int held = rpct_http_send(r.rpc_port, "POST", "bob:guess", body, strlen(body));
    if (!daemon_wait_log(&r.d, "incorrect password", RPCT_WAIT_MS)) fail_msg("%s", r.d.log);
    struct rpct_http_reply h;
    rpct_http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    rpct_http_reply_free(&h);
    /* answered after the guess came in, and the guess still waits */
    struct pollfd p = {.fd = held, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(daemon_log_count(&r.d, "wrong-password reply sent after the pause"), 0);
    assert_int_equal(kill(r.d.pid, SIGTERM), 0);
    rpct_http_recv(held, &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 401);
    rpct_http_reply_free(&h);
    rpct_stop(&r);
}

static void test_cookie_and_password_auth(void **state)
{
    (void)state;
    struct rpct_daemon r;
    const char *extra[] = {"--rpcuser=alice", "--rpcpassword=s3cret", NULL};
    rpct_start(&r, extra);
    struct stat st;
    assert_int_equal(stat(r.cookie_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(strlen(r.cookie), strlen("__cookie__:") + 64);
    assert_memory_equal(r.cookie, "__cookie__:", 11);

    const char *body = "{\"method\":\"getblockcount\",\"id\":1}";
    struct rpct_http_reply h;
    rpct_http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "\"result\":0"));
    rpct_http_reply_free(&h);
    rpct_http_post(r.rpc_port, "alice:s3cret", body, &h);
    assert_int_equal(h.status, 200);
    rpct_http_reply_free(&h);

    static const char *const wrong[] = {"alice:s3cres", "alice:s3cret2", "bob:s3cret", "__cookie__:00",
                                        "", NULL};
    size_t n_wrong = sizeof wrong / sizeof wrong[0];
    for (size_t i = 0; i < n_wrong; i++) {
        rpct_http_post(r.rpc_port, wrong[i], body, &h);
        assert_int_equal(h.status, 401);
        assert_non_null(strstr(h.head, "WWW-Authenticate: Basic realm=\"jsonrpc\""));
        rpct_http_reply_free(&h);
        /* each 401 went out from the pause's timer, none at once (the
         * line is written before the reply, but may reach us after it) */
        uint64_t deadline = clock_mono_ms() + RPCT_WAIT_MS;
        while (daemon_log_count(&r.d, "wrong-password reply sent after the pause") < i + 1 &&
               clock_mono_ms() < deadline)
            daemon_pump(&r.d, 20);
        assert_int_equal(daemon_log_count(&r.d, "wrong-password reply sent after the pause"), i + 1);
    }
    /* a guesser that hangs up during the pause leaves nothing behind */
    for (int i = 0; i < 5; i++) close(rpct_http_send(r.rpc_port, "POST", "bob:guess", body, strlen(body)));
    rpct_http_post(r.rpc_port, r.cookie, body, &h);
    assert_int_equal(h.status, 200);
    rpct_http_reply_free(&h);
    rpct_http_recv(rpct_http_send(r.rpc_port, "GET", r.cookie, "", 0), &h, RPCT_WAIT_MS);
    assert_int_equal(h.status, 405);
    rpct_http_reply_free(&h);

    rpct_stop(&r);
    assert_int_not_equal(stat(r.cookie_path, &st), 0); /* removed at shutdown */
}

/* A second daemon on the same datadir cannot lock it (nor bind the RPC port):
 * it exits without touching the running daemon's cookie. */
static void test_second_daemon_keeps_the_first_ones_cookie(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    char datadir[256], port[32];
    snprintf(datadir, sizeof datadir, "--datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "--rpcport=%u", r.rpc_port);
    const char *args[] = {"--network=regtest", "--listen=0", datadir, port, "--log-file=-", NULL};
    char *out;
    assert_int_not_equal(run_btcpeerd(args, &out, RPCT_WAIT_MS), 0);
    /* the data directory lock stops it first (before: the RPC bind) */
    if (!strstr(out, "cannot lock data directory")) fail_msg("expected a lock failure: %s", out);
    free(out);
    char cookie[128] = "";
    FILE *f = fopen(r.cookie_path, "r");
    if (!f) fail_msg("the running daemon's cookie is gone");
    assert_non_null(fgets(cookie, sizeof cookie, f));
    fclose(f);
    assert_string_equal(cookie, r.cookie);
    json_t *rep = rpct_call(&r, "getblockcount", NULL);
    json_decref(rep);
    rpct_stop(&r);
}

/* A symlink planted at <cookie>.tmp is not followed: its target keeps its
 * text and the cookie is a regular 0600 file. */
static void test_cookie_tmp_symlink_not_followed(void **state)
{
    (void)state;
    char dir[] = "/tmp/btcpeerd-cookie-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char victim[128], tmp[128], cookie[128], arg[160];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(cookie, sizeof cookie, "%s/c", dir);
    snprintf(tmp, sizeof tmp, "%s/c.tmp", dir);
    snprintf(arg, sizeof arg, "--rpccookiefile=%s", cookie);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    assert_int_equal(symlink(victim, tmp), 0);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", arg, NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "RPC cookie written", RPCT_WAIT_MS));
    char text[64] = "";
    f = fopen(victim, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "keep");
    struct stat st;
    assert_int_equal(lstat(cookie, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_not_equal(lstat(tmp, &st), 0);
    assert_int_equal(daemon_stop(&d, SIGTERM, RPCT_WAIT_MS), 0);
    daemon_cleanup(&d);
    unlink(victim);
    unlink(cookie);
    unlink(tmp);
    rmdir(dir);
}

static void test_server_0_serves_nothing(void **state)
{
    (void)state;
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", "--server=0", NULL};
    assert_true(daemon_start(&d, args));
    assert_true(daemon_wait_log(&d, "started network=regtest", RPCT_WAIT_MS));
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/data/regtest/.cookie", d.datadir);
    assert_int_equal(daemon_stop(&d, SIGTERM, RPCT_WAIT_MS), 0);
    assert_true(daemon_wait_log(&d, "shutdown complete", RPCT_WAIT_MS));
    assert_null(strstr(d.log, "RPC"));
    assert_int_not_equal(stat(path, &st), 0);
    daemon_cleanup(&d);
}

static void expect_exit_2(const char *arg, const char *needle)
{
    const char *args[] = {arg, NULL};
    char *out;
    assert_int_equal(run_btcpeerd(args, &out, RPCT_WAIT_MS), 2);
    if (!strstr(out, needle)) fail_msg("expected '%s' in: %s", needle, out);
    free(out);
}

static void test_rpc_flags_help_bad_values_and_config_file(void **state)
{
    (void)state;
    const char *help[] = {"--help", NULL};
    char *out;
    assert_int_equal(run_btcpeerd(help, &out, RPCT_WAIT_MS), 0);
    static const char *const flags[] = {"--server=0|1", "--rpcbind=ADDR[:PORT]", "--rpcport=N",
                                        "--rpcallowip=CIDR", "--rpcuser=", "--rpcpassword=",
                                        "--rpccookiefile=", "18449 regtest", "<datadir>/.cookie"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(out, flags[i])) fail_msg("--help lacks %s", flags[i]);
    free(out);
    expect_exit_2("--rpcport=70000", "--rpcport: bad value");
    expect_exit_2("--rpcallowip=10.0.0.0/99", "--rpcallowip: bad value");
    expect_exit_2("--server=yes", "--server: bad value");
    expect_exit_2("--rpcuser=al:ice", "--rpcuser: bad value");
    expect_exit_2("--rpcuser=alice", "--rpcuser and --rpcpassword go together");
    expect_exit_2("--rpcservertimeout=0", "--rpcservertimeout: bad value");
    /* beyond loopback only with --rpcallowip */
    expect_exit_2("--rpcbind=0.0.0.0", "--rpcbind=0.0.0.0: not a loopback address");
    expect_exit_2("--rpcbind=[::]:8332", "--rpcbind=[::]:8332: not a loopback address");
    expect_exit_2("--rpcbind=192.168.1.1", "give --rpcallowip too");
    expect_exit_2("--rpcbind=example.com", "--rpcbind=example.com: not a loopback");

    /* the same settings from the config file */
    char conf[] = "/tmp/btcpeerd-rpc-conf-XXXXXX";
    int fd = mkstemp(conf);
    assert_true(fd >= 0);
    static const char text[] = "rpcuser=carol\nrpcpassword=hunter2\nrpccookiefile=my.cookie\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char conf_arg[64];
    snprintf(conf_arg, sizeof conf_arg, "--conf=%s", conf);
    struct daemon_proc d;
    const char *args[] = {"--network=regtest", "--listen=0", conf_arg, NULL};
    assert_true(daemon_start(&d, args));
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    assert_true(daemon_wait_log(&d, needle, RPCT_WAIT_MS));
    uint16_t port = (uint16_t)atoi(strstr(d.log, needle) + sizeof needle - 1);
    assert_true(daemon_wait_log(&d, "data/regtest/my.cookie", RPCT_WAIT_MS));
    struct rpct_http_reply h;
    rpct_http_post(port, "carol:hunter2", "{\"id\":1,\"method\":\"uptime\"}", &h);
    assert_int_equal(h.status, 200);
    rpct_http_reply_free(&h);
    assert_int_equal(daemon_stop(&d, SIGTERM, RPCT_WAIT_MS), 0);
    daemon_cleanup(&d);
    unlink(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_and_password_auth),
        cmocka_unit_test(test_wrong_password_reply_waits_without_blocking),
        cmocka_unit_test(test_second_daemon_keeps_the_first_ones_cookie),
        cmocka_unit_test(test_cookie_tmp_symlink_not_followed),
        cmocka_unit_test(test_server_0_serves_nothing),
        cmocka_unit_test(test_rpc_flags_help_bad_values_and_config_file),
    };
    return test_run_group(tests);
}
