/* The logger: format of text and JSON lines, level and category filters. */
#include "testutil.h"

#include <btcpeerd/log.h>

#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char log_path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(log_path, sizeof log_path, "/tmp/btcpeerd-test-log-%d.log", (int)getpid());
    unlink(log_path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_close();
    unlink(log_path);
    return 0;
}

static void open_log(enum log_level level, uint32_t cats, enum log_format format)
{
    unlink(log_path);
    struct log_config cfg = {.level = level, .debug_cats = cats, .format = format, .path = log_path};
    assert_int_equal(log_open(&cfg), LOG_OK);
}

/* The log's contents as one string (caller frees). */
static char *read_log(void)
{
    log_close();
    size_t n;
    return (char *)test_read_file(log_path, &n);
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
    int rc = regexec(&re, text, 0, NULL, 0);
    regfree(&re);
    if (rc != 0) fail_msg("'%s' does not match /%s/", text, pattern);
}

static void test_text_line_has_iso_time_level_category_peer(void **state)
{
    (void)state;
    open_log(LOG_INFO, 0, LOG_FORMAT_TEXT);
    LOG_AT(LOG_INFO, LOG_CAT_PEER, 7, "connected addr=%s", "1.2.3.4:8333");
    log_warn(LOG_CAT_NET, "listening on %d", 8333);
    char *text = read_log();
    assert_matches(text, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z info  "
                         "peer    peer=7 connected addr=1\\.2\\.3\\.4:8333$");
    assert_matches(text, "Z warn  net     listening on 8333$");
    free(text);
}

static void test_level_threshold_drops_lower_levels(void **state)
{
    (void)state;
    open_log(LOG_WARN, 0, LOG_FORMAT_TEXT);
    log_info(LOG_CAT_NODE, "hidden");
    log_debug(LOG_CAT_NODE, "hidden too");
    log_error(LOG_CAT_NODE, "shown");
    char *text = read_log();
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "shown"));
    free(text);
}

static void test_debug_categories_filter_debug_only(void **state)
{
    (void)state;
    open_log(LOG_TRACE, 1u << LOG_CAT_CHAIN, LOG_FORMAT_TEXT);
    log_debug(LOG_CAT_CHAIN, "chain detail");
    log_debug(LOG_CAT_PEER, "peer detail");
    log_info(LOG_CAT_PEER, "peer info");
    char *text = read_log();
    assert_non_null(strstr(text, "chain detail"));
    assert_null(strstr(text, "peer detail"));
    assert_non_null(strstr(text, "peer info"));
    free(text);
}

static void test_json_lines_are_one_object_each(void **state)
{
    (void)state;
    open_log(LOG_DEBUG, 0, LOG_FORMAT_JSON);
    LOG_AT(LOG_INFO, LOG_CAT_PEER, 3, "user agent \"%s\"\nnext", "/evil\\ua/");
    log_debug(LOG_CAT_RPC, "plain");
    char *text = read_log();
    char *save = NULL;
    int lines = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        json_t *obj = json_loads(line, 0, &err);
        if (!obj) fail_msg("not JSON: %s (%s)", line, err.text);
        assert_non_null(json_object_get(obj, "ts"));
        const char *level = json_string_value(json_object_get(obj, "level"));
        const char *cat = json_string_value(json_object_get(obj, "cat"));
        const char *msg = json_string_value(json_object_get(obj, "msg"));
        if (lines == 0) {
            assert_string_equal(level, "info");
            assert_string_equal(cat, "peer");
            assert_int_equal(json_integer_value(json_object_get(obj, "peer")), 3);
            assert_string_equal(msg, "user agent \"/evil\\ua/\" next");
        } else {
            assert_string_equal(cat, "rpc");
            assert_null(json_object_get(obj, "peer"));
        }
        json_decref(obj);
        lines++;
    }
    assert_int_equal(lines, 2);
    free(text);
}

static void test_structured_event_fields_in_text_and_json(void **state)
{
    (void)state;
    struct log_field f[] = {LOG_STR("addr", "127.0.0.1:18444"), LOG_STR("reason", "ping-timeout"),
                            LOG_UINT("bytes_in", 1234), LOG_INT("offset", -5),
                            LOG_BOOL("inbound", true), LOG_STR("ua", "/a b/")};
    open_log(LOG_INFO, 0, LOG_FORMAT_TEXT);
    log_event(LOG_INFO, LOG_CAT_PEER, 9, "disconnected", f, 6);
    char *text = read_log();
    assert_matches(text, "peer=9 disconnected addr=127\\.0\\.0\\.1:18444 reason=ping-timeout "
                         "bytes_in=1234 offset=-5 inbound=1 ua=\"/a b/\"$");
    free(text);

    open_log(LOG_INFO, 0, LOG_FORMAT_JSON);
    log_event(LOG_INFO, LOG_CAT_PEER, 9, "disconnected", f, 6);
    text = read_log();
    json_error_t err;
    json_t *obj = json_loads(text, 0, &err);
    assert_non_null(obj);
    assert_string_equal(json_string_value(json_object_get(obj, "reason")), "ping-timeout");
    assert_int_equal(json_integer_value(json_object_get(obj, "bytes_in")), 1234);
    assert_int_equal(json_integer_value(json_object_get(obj, "offset")), -5);
    assert_true(json_is_true(json_object_get(obj, "inbound")));
    assert_string_equal(json_string_value(json_object_get(obj, "msg")), "disconnected");
    json_decref(obj);
    free(text);
}

static void test_names_parse_both_ways(void **state)
{
    (void)state;
    enum log_level level;
    enum log_cat cat;
    assert_true(log_level_parse("trace", &level));
    assert_int_equal(level, LOG_TRACE);
    assert_false(log_level_parse("loud", &level));
    assert_true(log_cat_parse("addrman", &cat));
    assert_string_equal(log_cat_str(cat), "addrman");
    assert_false(log_cat_parse("wallet", &cat));
}

static void test_sanitize_replaces_unprintable(void **state)
{
    (void)state;
    const uint8_t ua[] = {'/', 'x', 0x00, 0x1b, '[', 0xff, '/'};
    char out[sizeof ua + 1];
    log_sanitize(ua, sizeof ua, out);
    assert_string_equal(out, "/x??[?/");
}

static void test_time_format_milliseconds(void **state)
{
    (void)state;
    char ts[25];
    log_format_time(1231006505123, ts);
    assert_string_equal(ts, "2009-01-03T18:15:05.123Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_line_has_iso_time_level_category_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_threshold_drops_lower_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_categories_filter_debug_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_lines_are_one_object_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structured_event_fields_in_text_and_json, setup, teardown),
        cmocka_unit_test(test_names_parse_both_ways),
        cmocka_unit_test(test_sanitize_replaces_unprintable),
        cmocka_unit_test(test_time_format_milliseconds),
    };
    return test_run_group(tests);
}
