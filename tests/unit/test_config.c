/* btcpeerd's option table (src/config/config_table.c) and config_load: every
 * row sound and documented, --help listing every row with its default,
 * each row's range and limit on the command line with the message that
 * names it, the defaults that follow --connect, and the config file's
 * rules (file_ok, the command line wins). */
#include "config/config_table.h"
#include "testutil.h"

#include <btcpeerd/config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char home[] = "/tmp/btcpeerd-test-config-XXXXXX";
static struct config cfg;
static char msg[512];

static int setup(void **state)
{
    (void)state;
    strcpy(home, "/tmp/btcpeerd-test-config-XXXXXX");
    if (!mkdtemp(home)) return -1;
    /* no ~/.btcpeerd/btcpeerd.conf of anyone's is read */
    return setenv("HOME", home, 1);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    return system(cmd) == 0 ? 0 : -1;
}

#define MAX_ARGS 80

/* config_load on the NULL-terminated args, after the program name. */
static enum config_err load_v(const char *const *args)
{
    char *argv[MAX_ARGS + 2] = {(char *)"btcpeerd"};
    int argc = 1;
    for (; args[argc - 1]; argc++) {
        assert_true(argc <= MAX_ARGS);
        argv[argc] = (char *)args[argc - 1];
    }
    msg[0] = '\0';
    return config_load(&cfg, argc, argv, msg, sizeof msg);
}

#define LOAD(...) load_v((const char *const[]){__VA_ARGS__, NULL})

static const struct option_row *row(const char *name)
{
    int i = option_find(config_options, config_n_options, name, strlen(name));
    if (i < 0) fail_msg("no row %s", name);
    return &config_options[i];
}

static void expect_bad_value(const char *arg, const char *needle)
{
    assert_int_equal(LOAD(arg), CONFIG_ERR_BAD_VALUE);
    if (!strstr(msg, needle)) fail_msg("%s: expected '%s' in '%s'", arg, needle, msg);
}

static void test_table_is_sound(void **state)
{
    (void)state;
    char why[256] = "";
    if (!option_table_check(config_options, config_n_options, why, sizeof why)) fail_msg("%s", why);
    assert_true(config_n_options >= 40);
}

static void test_every_option_has_help_and_default(void **state)
{
    (void)state;
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *r = &config_options[i];
        char buf[256];
        if (!r->help || strlen(r->help) < 10) fail_msg("--%s: no help", r->name);
        const char *def = option_default_text(r, buf, sizeof buf);
        /* only the two actions have no default */
        bool action = strcmp(r->name, "help") == 0 || strcmp(r->name, "version") == 0;
        assert_int_equal(r->action, action);
        if (!action && (!def || !def[0])) fail_msg("--%s: no default text", r->name);
    }
}

static char *help_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    config_print_help(f);
    fclose(f);
    return text;
}

static void test_help_lists_every_row_with_its_default(void **state)
{
    (void)state;
    char *text = help_text();
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *r = &config_options[i];
        char arg[128], def[256], expect[1024];
        const char *a = option_arg_text(r, arg, sizeof arg);
        const char *d = option_default_text(r, def, sizeof def);
        int n = snprintf(expect, sizeof expect, "\n  --%s%s%s\n      %s", r->name, a ? "=" : "",
                         a ? a : "", r->help);
        if (d) snprintf(expect + n, sizeof expect - (size_t)n, " (default: %s)\n", d);
        if (!strstr(text, expect)) fail_msg("--help lacks:%s", expect);
    }
    /* and nothing else: one "  --" line per row */
    size_t flags = 0;
    for (const char *p = text; (p = strstr(p, "\n  --")); p++) flags++;
    assert_int_equal(flags, config_n_options);
    /* spot checks of texts the operator and the man page know */
    assert_non_null(strstr(text, "  --network=main|testnet3|testnet4|signet|regtest\n"));
    assert_non_null(strstr(text, "(default: 1, or 0 with --connect)"));
    assert_non_null(strstr(text, "  --max-outbound=N\n      automatic outbound peers to keep "
                                 "(default: 8, or 0 with --connect)"));
    assert_non_null(strstr(text, "  --feeler-interval=SEC\n"));
    assert_non_null(strstr(text, "(default: 120)"));
    free(text);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(LOAD("--log-file=-"), CONFIG_OK);
    assert_int_equal(cfg.network, NET_MAIN);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_format, LOG_FORMAT_TEXT);
    assert_int_equal(cfg.listen, 1);
    assert_int_equal(cfg.dnsseed, 1);
    assert_int_equal(cfg.max_outbound, 8);
    assert_int_equal(cfg.max_connections, 125);
    assert_int_equal(cfg.max_inbound_per_group, 16);
    assert_int_equal(cfg.port, -1);
    assert_int_equal(cfg.rpcport, -1);
    assert_int_equal(cfg.bantime_s, 86400);
    assert_int_equal(cfg.handshake_timeout_ms, 10000);
    assert_int_equal(cfg.ping_interval_ms, 60000);
    assert_int_equal(cfg.ping_timeout_ms, 30000);
    assert_int_equal(cfg.feeler_interval_ms, 120000);
    assert_int_equal(cfg.save_interval_ms, 900000);
    assert_int_equal(cfg.rpc_servertimeout_s, 30);
    assert_int_equal(cfg.v2transport, 1);
    assert_int_equal(cfg.server, 1);
    assert_false(cfg.daemon);
    assert_false(cfg.test_discourage_loopback); /* production: loopback never discouraged */
    assert_int_equal(cfg.n_connect, 0);
    char expect[PATH_MAX];
    snprintf(expect, sizeof expect, "%s/.btcpeerd", home);
    assert_string_equal(cfg.datadir, expect);
    snprintf(expect, sizeof expect, "%s/.btcpeerd/.cookie", home);
    assert_string_equal(cfg.rpccookiefile, expect);
}

static void test_connect_changes_three_defaults(void **state)
{
    (void)state;
    assert_int_equal(LOAD("--connect=127.0.0.1"), CONFIG_OK);
    assert_int_equal(cfg.listen, 0);
    assert_int_equal(cfg.dnsseed, 0);
    assert_int_equal(cfg.max_outbound, 0);
    /* given explicitly, they stay */
    assert_int_equal(LOAD("--connect=127.0.0.1", "--listen=1", "--max-outbound=3"), CONFIG_OK);
    assert_int_equal(cfg.listen, 1);
    assert_int_equal(cfg.max_outbound, 3);
    assert_int_equal(cfg.dnsseed, 0);
    /* --connect from the file counts too, and the file's listen=1 as well */
    char path[128], arg[160];
    snprintf(path, sizeof path, "%s/c.conf", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("connect=127.0.0.1\nlisten=1\n", f);
    fclose(f);
    snprintf(arg, sizeof arg, "--conf=%s", path);
    assert_int_equal(LOAD(arg), CONFIG_OK);
    assert_int_equal(cfg.n_connect, 1);
    assert_int_equal(cfg.listen, 1);
    assert_int_equal(cfg.dnsseed, 0);
    assert_int_equal(cfg.max_outbound, 0);
}

/* --name=value on the command line: accepted and stored as expect, or
 * refused with the message that names the flag. */
static void expect_number(const struct option_row *r, const char *value, bool ok, int64_t expect)
{
    char arg[160], needle[200];
    snprintf(arg, sizeof arg, "--%s=%s", r->name, value);
    enum config_err err = LOAD(arg);
    if (!ok) {
        snprintf(needle, sizeof needle, "--%s: bad value '%s'", r->name, value);
        if (err != CONFIG_ERR_BAD_VALUE || strcmp(msg, needle) != 0)
            fail_msg("%s: expected refusal '%s', got %d '%s'", arg, needle, err, msg);
        return;
    }
    if (err != CONFIG_OK) fail_msg("%s: refused: %s", arg, msg);
    if (option_get_number(r, &cfg) != expect)
        fail_msg("%s: stored %lld, expected %lld", arg, (long long)option_get_number(r, &cfg),
                 (long long)expect);
}

static void test_every_number_row_checks_its_range(void **state)
{
    (void)state;
    size_t tested = 0;
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *r = &config_options[i];
        char v[64];
        switch (r->type) {
        case OPTION_UINT:
            snprintf(v, sizeof v, "%lld", (long long)r->min);
            expect_number(r, v, true, r->min);
            snprintf(v, sizeof v, "%lld", (long long)r->max);
            expect_number(r, v, true, r->max);
            snprintf(v, sizeof v, "%lld", (long long)r->max + 1);
            expect_number(r, v, false, 0);
            if (r->min > 0) {
                snprintf(v, sizeof v, "%lld", (long long)r->min - 1);
                expect_number(r, v, false, 0);
            }
            expect_number(r, "-1", false, 0);
            expect_number(r, "1x", false, 0);
            break;
        case OPTION_MS:
            snprintf(v, sizeof v, "%.3f", (double)r->min / 1000.0);
            expect_number(r, v, true, r->min);
            snprintf(v, sizeof v, "%.3f", (double)r->max / 1000.0);
            expect_number(r, v, true, r->max);
            snprintf(v, sizeof v, "%.3f", (double)(r->max + 1) / 1000.0);
            expect_number(r, v, false, 0);
            expect_number(r, "0", r->min == 0, 0); /* 0 only where the row allows it */
            expect_number(r, "0.25", true, 250);
            expect_number(r, "x", false, 0);
            break;
        case OPTION_BOOL:
            expect_number(r, "0", true, 0);
            expect_number(r, "1", true, 1);
            expect_number(r, "2", false, 0);
            expect_number(r, "yes", false, 0);
            break;
        case OPTION_ENUM:
            for (unsigned k = 0; r->names(k); k++) expect_number(r, r->names(k), true, k);
            expect_number(r, "nosuch", false, 0);
            break;
        default: continue;
        }
        tested++;
    }
    assert_true(tested >= 20);
}

/* The limits the operator knows (and the previous parser had), pinned. */
static void test_documented_limits(void **state)
{
    (void)state;
    const char *bad[] = {"--maxconnections=100001", "--max-outbound=1001",
                         "--max-inbound-per-group=100001", "--bantime=315360001",
                         "--max-msg-rate=1000001", "--rpcservertimeout=0",
                         "--rpcservertimeout=86401", "--port=65536", "--rpcport=65536",
                         "--ping-interval=86400.5", "--handshake-timeout=0.0004"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (LOAD(bad[i]) != CONFIG_ERR_BAD_VALUE) fail_msg("%s accepted", bad[i]);
    assert_int_equal(LOAD("--maxconnections=100000", "--max-outbound=1000", "--bantime=315360000",
                          "--max-msg-rate=1000000", "--rpcservertimeout=86400",
                          "--handshake-timeout=0.001", "--ping-interval=86400"),
                     CONFIG_OK);
    assert_int_equal(cfg.max_connections, 100000);
    assert_int_equal(cfg.bantime_s, 315360000);
    assert_int_equal(cfg.handshake_timeout_ms, 1);
    assert_int_equal(cfg.ping_interval_ms, 86400000);
    assert_int_equal(LOAD("--port=0", "--rpcport=0"), CONFIG_OK);
    assert_int_equal(cfg.port, 0);
    assert_int_equal(cfg.rpcport, 0);
}

/* A valid value for each repeatable option. A new list row needs one. */
static const char *list_sample(const char *name)
{
    static const struct {
        const char *name, *value;
    } samples[] = {
        {"connect", "h"},
        {"addnode", "h"},
        {"dnsseed-name", "seed.example"},
        {"whitelist", "10.0.0.0/8"},
        {"rpcbind", "127.0.0.1"},
        {"rpcallowip", "10.0.0.0/8"},
        {"fetch-block", "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        if (strcmp(samples[i].name, name) == 0) return samples[i].value;
    fail_msg("--%s: no sample value in this test", name);
    return NULL;
}

static void test_every_list_row_has_a_limit(void **state)
{
    (void)state;
    size_t lists = 0;
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *r = &config_options[i];
        if (r->type != OPTION_LIST) continue;
        lists++;
        assert_true(r->max_count < MAX_ARGS);
        char arg[200];
        snprintf(arg, sizeof arg, "--%s=%s", r->name, list_sample(r->name));
        const char *args[MAX_ARGS + 1];
        for (size_t k = 0; k < r->max_count; k++) args[k] = arg;
        args[r->max_count] = NULL;
        if (load_v(args) != CONFIG_OK) fail_msg("%zu x --%s: %s", r->max_count, r->name, msg);
        size_t count;
        memcpy(&count, (const char *)&cfg + r->count_offset, sizeof count);
        assert_int_equal(count, r->max_count);
        /* one more is a bad value, named */
        args[r->max_count] = arg;
        args[r->max_count + 1] = NULL;
        assert_int_equal(load_v(args), CONFIG_ERR_BAD_VALUE);
        char needle[256];
        snprintf(needle, sizeof needle, "--%s: bad value '%s'", r->name, list_sample(r->name));
        assert_string_equal(msg, needle);
    }
    assert_true(lists >= 7);
}

static void test_too_many_connects(void **state)
{
    (void)state;
    const char *args[CONFIG_MAX_PEERS + 2];
    for (size_t k = 0; k <= CONFIG_MAX_PEERS; k++) args[k] = "--connect=127.0.0.1:8333";
    args[CONFIG_MAX_PEERS + 1] = NULL;
    assert_int_equal(load_v(args), CONFIG_ERR_BAD_VALUE);
    assert_string_equal(msg, "--connect: bad value '127.0.0.1:8333'");
}

static void test_every_text_row_checks_its_length(void **state)
{
    (void)state;
    static struct config c;
    char *value = malloc(PATH_MAX + 2);
    assert_non_null(value);
    for (size_t i = 0; i < config_n_options; i++) {
        const struct option_row *r = &config_options[i];
        if (r->type != OPTION_TEXT && r->type != OPTION_LIST) continue;
        option_defaults(config_options, config_n_options, &c, sizeof c);
        assert_int_equal(option_apply(r, &c, ""), OPTION_ERR_EMPTY);
        if (r->store) continue; /* its own check: see test_checked_values */
        assert_true(r->size <= PATH_MAX);
        memset(value, 'a', r->size);
        value[r->size] = '\0';
        assert_int_equal(option_apply(r, &c, value), OPTION_ERR_TOO_LONG);
        value[r->size - 1] = '\0';
        if (option_apply(r, &c, value) != OPTION_OK) fail_msg("--%s: longest value refused", r->name);
    }
    free(value);
}

static void test_checked_values(void **state)
{
    (void)state;
    const char *ok[] = {"--proxy=127.0.0.1",        "--proxy=[::1]:9050",
                        "--onion=127.0.0.1:9150",   "--metrics-bind=127.0.0.1:0",
                        "--metrics-bind=[::1]:9332", "--user-agent-comment=a b.c",
                        "--whitelist=::1/128",      "--rpcallowip=192.168.0.0/16",
                        "--debug=net",              "--debug=all",
                        "--minimumchainwork=0x1f", "--minimumchainwork=00000000000000000000000000000000000000000000000000000000000000ff"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (LOAD(ok[i]) != CONFIG_OK) fail_msg("%s refused: %s", ok[i], msg);
    expect_bad_value("--proxy=127.0.0.1:0", "--proxy: bad value '127.0.0.1:0'");
    expect_bad_value("--proxy=localhost", "--proxy: bad value 'localhost'");
    expect_bad_value("--onion=tor.example:9050", "--onion: bad value");
    expect_bad_value("--minimumchainwork=0xzz", "--minimumchainwork: bad value");
    expect_bad_value("--minimumchainwork=10000000000000000000000000000000000000000000000000000000000000000",
                     "--minimumchainwork: bad value");
    expect_bad_value("--metrics-bind=127.0.0.1", "--metrics-bind: bad value");
    expect_bad_value("--metrics-bind=::1", "--metrics-bind: bad value");
    expect_bad_value("--metrics-bind=localhost:9332", "--metrics-bind: bad value");
    expect_bad_value("--user-agent-comment=a/b", "--user-agent-comment: bad value");
    expect_bad_value("--user-agent-comment=a(b", "--user-agent-comment: bad value");
    expect_bad_value("--rpcuser=al:ice", "--rpcuser: bad value 'al:ice'");
    expect_bad_value("--whitelist=10.0.0.0/99", "--whitelist: bad value");
    expect_bad_value("--fetch-block=00", "--fetch-block: bad value '00'");
    expect_bad_value("--debug=wallet", "--debug: bad value 'wallet'");

    assert_int_equal(LOAD("--debug=net", "--debug=rpc"), CONFIG_OK);
    assert_int_equal(cfg.debug_cats, (1u << LOG_CAT_NET) | (1u << LOG_CAT_RPC));
    assert_int_equal(LOAD("--debug=net", "--debug=all"), CONFIG_OK);
    assert_int_equal(cfg.debug_cats, 0); /* no filter */
    assert_int_equal(LOAD("--user-agent-comment=ok",
                          "--fetch-block="
                          "00000000000000000001c0d1a2b3c4d5e6f708090a0b0c0d0e0f101112131415"),
                     CONFIG_OK);
    assert_string_equal(cfg.user_agent_comment, "ok");
    assert_int_equal(cfg.n_fetch_blocks, 1);
    assert_int_equal(cfg.fetch_blocks[0][0], 0x15); /* displayed order reversed */
    assert_int_equal(cfg.fetch_blocks[0][31], 0x00);
}

static void test_command_line_errors(void **state)
{
    (void)state;
    assert_int_equal(LOAD("--no-such-flag"), CONFIG_ERR_UNKNOWN_OPTION);
    assert_string_equal(msg, "unknown option '--no-such-flag'");
    assert_int_equal(LOAD("--network"), CONFIG_ERR_MISSING_VALUE);
    assert_string_equal(msg, "option '--network' needs a value");
    assert_int_equal(LOAD("--daemon=1"), CONFIG_ERR_UNKNOWN_OPTION); /* a flag takes none */
    assert_int_equal(LOAD("stray"), CONFIG_ERR_UNKNOWN_OPTION);
    assert_string_equal(msg, "unexpected argument 'stray'");
    assert_int_equal(LOAD("-h"), CONFIG_OK);
    assert_true(cfg.help);
    assert_int_equal(LOAD("--version"), CONFIG_OK);
    assert_true(cfg.version);
    assert_false(cfg.help);
    /* the separate-argument form getopt_long allows */
    assert_int_equal(LOAD("--network", "regtest", "--log-file=-"), CONFIG_OK);
    assert_int_equal(cfg.network, NET_REGTEST);
}

static void write_conf(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_config_file_rules(void **state)
{
    (void)state;
    char path[128], arg[160];
    snprintf(path, sizeof path, "%s/b.conf", home);
    snprintf(arg, sizeof arg, "--conf=%s", path);

    /* a flag in the file says which way it goes: daemon=0 is off */
    write_conf(path, "daemon=0\ntest-local-groups=0\n");
    assert_int_equal(LOAD(arg), CONFIG_OK);
    assert_false(cfg.daemon);
    assert_false(cfg.test_local_groups);
    write_conf(path, "test-discourage-loopback=1\n");
    assert_int_equal(LOAD(arg), CONFIG_OK);
    assert_true(cfg.test_discourage_loopback);
    write_conf(path, "daemon=yes\n");
    assert_int_equal(LOAD(arg), CONFIG_ERR_BAD_VALUE);
    write_conf(path, "network=signet\nport=1234\ndaemon=1\ndebug=net\ndebug=peer\n");
    assert_int_equal(LOAD(arg, "--port=99"), CONFIG_OK);
    assert_int_equal(cfg.network, NET_SIGNET);
    assert_int_equal(cfg.port, 99); /* the command line wins */
    assert_true(cfg.daemon);
    assert_int_equal(cfg.debug_cats, (1u << LOG_CAT_NET) | (1u << LOG_CAT_PEER));

    /* every row the file may not set is refused there as unknown */
    for (size_t i = 0; i < config_n_options; i++) {
        if (config_options[i].file_ok) continue;
        char line[96], needle[160];
        snprintf(line, sizeof line, "%s=1\n", config_options[i].name);
        write_conf(path, line);
        assert_int_equal(LOAD(arg), CONFIG_ERR_UNKNOWN_OPTION);
        snprintf(needle, sizeof needle, "%s: unknown option '%s'", path, config_options[i].name);
        assert_string_equal(msg, needle);
    }
    assert_false(row("datadir")->file_ok);
    assert_true(row("network")->file_ok);

    write_conf(path, "port=99999\n");
    assert_int_equal(LOAD(arg), CONFIG_ERR_BAD_VALUE);
    char needle[160];
    snprintf(needle, sizeof needle, "%s: bad value for 'port'", path);
    assert_string_equal(msg, needle);
    assert_int_equal(LOAD(arg, "--port=1"), CONFIG_OK); /* not read when the command line set it */

    write_conf(path, "network=testnet4\nthis line is wrong\n");
    assert_int_equal(LOAD(arg), CONFIG_ERR_FILE_SYNTAX);
    assert_non_null(strstr(msg, ":2: expected key=value"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sound),
        cmocka_unit_test(test_every_option_has_help_and_default),
        cmocka_unit_test(test_help_lists_every_row_with_its_default),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_connect_changes_three_defaults),
        cmocka_unit_test(test_every_number_row_checks_its_range),
        cmocka_unit_test(test_documented_limits),
        cmocka_unit_test(test_every_list_row_has_a_limit),
        cmocka_unit_test(test_too_many_connects),
        cmocka_unit_test(test_every_text_row_checks_its_length),
        cmocka_unit_test(test_checked_values),
        cmocka_unit_test(test_command_line_errors),
        cmocka_unit_test(test_config_file_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
