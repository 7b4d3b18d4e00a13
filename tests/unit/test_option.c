/* The option-table engine (src/config/option.c) on a table of its own, one
 * row per type and field kind: parsing and range checks, list limits,
 * defaults (plain and dependent), --help's placeholder and default text,
 * and the table check catching rows that do not fit their fields. */
#include "testutil.h"

#include <btcpeerd/option.h>

#include <stdio.h>
#include <string.h>

enum color { RED, GREEN, BLUE };

struct opts {
    bool verbose;
    int switch_net;
    int on_off;
    unsigned count;
    int port;           /* -1 = not set */
    int64_t big;
    uint32_t wait_ms;
    enum color color;
    char name[8];
    char any[8];
    char even[8];
    size_t n_peers;
    char peers[3][8];
    unsigned custom;
    int follows;
};

static const char *color_name(unsigned i)
{
    static const char *const names[] = {"red", "green", "blue"};
    return i < 3 ? names[i] : NULL;
}

/* Text of even length only: a row check of its own. */
static bool store_even(const char *value, void *dst, size_t size)
{
    return strlen(value) % 2 == 0 && option_copy_text(value, dst, size);
}

static bool set_custom(void *base, const char *value)
{
    struct opts *o = base;
    if (strcmp(value, "seven") != 0) return false;
    o->custom = 7;
    return true;
}

#define F(f) OPTION_FIELD(struct opts, f)
static const struct option_row rows[] = {
    {.name = "verbose", .type = OPTION_FLAG, F(verbose), .help = "h"},
    {.name = "regtest", .type = OPTION_FLAG, F(switch_net), .on = 4, .help = "h"},
    {.name = "on-off", .type = OPTION_BOOL, F(on_off), .def = 1, .help = "h"},
    {.name = "count", .type = OPTION_UINT, .arg = "N", F(count), .min = 2, .max = 10, .def = 5,
     .help = "h"},
    {.name = "port", .type = OPTION_UINT, .arg = "N", F(port), .min = 0, .max = 65535, .def = -1,
     .default_text = "the network's", .help = "h"},
    {.name = "big", .type = OPTION_UINT, .arg = "N", F(big), .min = 0, .max = 5000000000,
     .def = 4000000000, .help = "h"},
    {.name = "wait", .type = OPTION_MS, .arg = "SEC", F(wait_ms), .min = 1, .max = 86400000,
     .def = 1500, .help = "h"},
    {.name = "color", .type = OPTION_ENUM, .names = color_name, F(color), .def = GREEN, .help = "h"},
    {.name = "name", .type = OPTION_TEXT, .arg = "TEXT", F(name), .default_text = "none",
     .help = "h"},
    {.name = "any", .type = OPTION_TEXT, .arg = "TEXT", F(any), .empty_ok = true,
     .default_text = "none", .help = "h"},
    {.name = "even", .type = OPTION_TEXT, .arg = "TEXT", F(even), .store = store_even,
     .default_text = "none", .help = "h"},
    {.name = "peer", .type = OPTION_LIST, .arg = "HOST", OPTION_LIST_FIELD(struct opts, peers, n_peers),
     .default_text = "none", .help = "h"},
    {.name = "custom", .type = OPTION_CUSTOM, .arg = "WORD", F(custom), .set = set_custom,
     .default_text = "0", .help = "h"},
    {.name = "follows", .type = OPTION_UINT, .arg = "N", F(follows), .min = 0, .max = 9, .def = 8,
     .dep_on = "peer", .dep_def = 0, .help = "h"},
    {.name = "help", .type = OPTION_FLAG, F(verbose), .action = true, .help = "h"},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static const struct option_row *row(const char *name)
{
    int i = option_find(rows, N_ROWS, name, strlen(name));
    assert_true(i >= 0);
    return &rows[i];
}

static enum option_err apply(struct opts *o, const char *name, const char *value)
{
    return option_apply(row(name), o, value);
}

static void fresh(struct opts *o)
{
    memset(o, 0xa5, sizeof *o); /* defaults must overwrite everything */
    option_defaults(rows, N_ROWS, o, sizeof *o);
}

static void test_the_test_table_is_sound(void **state)
{
    (void)state;
    char msg[128] = "";
    if (!option_table_check(rows, N_ROWS, msg, sizeof msg)) fail_msg("%s", msg);
}

static void test_defaults(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_false(o.verbose);
    assert_int_equal(o.switch_net, 0);
    assert_int_equal(o.on_off, 1);
    assert_int_equal(o.count, 5);
    assert_int_equal(o.port, -1);
    assert_true(o.big == 4000000000);
    assert_int_equal(o.wait_ms, 1500);
    assert_int_equal(o.color, GREEN);
    assert_string_equal(o.name, "");
    assert_int_equal(o.n_peers, 0);
    assert_int_equal(o.follows, 8);
}

static void test_flag_and_bool(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    /* a flag: bare ("") or 1 turns it on, 0 off (a config file's flag=0) */
    assert_int_equal(apply(&o, "verbose", ""), OPTION_OK);
    assert_true(o.verbose);
    assert_int_equal(apply(&o, "verbose", "0"), OPTION_OK);
    assert_false(o.verbose);
    assert_int_equal(apply(&o, "verbose", "1"), OPTION_OK);
    assert_true(o.verbose);
    assert_int_equal(apply(&o, "verbose", "anything"), OPTION_ERR_SYNTAX);
    assert_true(o.verbose);
    option_set_flag(row("verbose"), &o, false);
    assert_false(o.verbose);
    option_set_flag(row("regtest"), &o, false); /* off leaves a number alone */
    assert_int_equal(o.switch_net, 0);
    option_set_flag(row("regtest"), &o, true);
    assert_int_equal(o.switch_net, 4);

    assert_int_equal(apply(&o, "on-off", "0"), OPTION_OK);
    assert_int_equal(o.on_off, 0);
    assert_int_equal(apply(&o, "on-off", "1"), OPTION_OK);
    assert_int_equal(o.on_off, 1);
    const char *bad[] = {"", "2", "yes", "true", "01", " 1", "1 ", "-0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apply(&o, "on-off", bad[i]), OPTION_ERR_SYNTAX);
    assert_int_equal(o.on_off, 1);
}

static void test_uint_range_and_syntax(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_int_equal(apply(&o, "count", "2"), OPTION_OK);
    assert_int_equal(o.count, 2);
    assert_int_equal(apply(&o, "count", "10"), OPTION_OK);
    assert_int_equal(o.count, 10);
    assert_int_equal(apply(&o, "count", "1"), OPTION_ERR_RANGE);
    assert_int_equal(apply(&o, "count", "11"), OPTION_ERR_RANGE);
    assert_int_equal(apply(&o, "count", "0"), OPTION_ERR_RANGE);
    const char *bad[] = {"", "-1", "+3", " 3", "3 ", "3x", "0x3", "3.0", "1e1",
                         "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apply(&o, "count", bad[i]), OPTION_ERR_SYNTAX);
    assert_int_equal(apply(&o, "count", "18446744073709551615"), OPTION_ERR_RANGE);
    assert_int_equal(o.count, 10); /* untouched by the failures */

    assert_int_equal(apply(&o, "port", "0"), OPTION_OK);
    assert_int_equal(o.port, 0);
    assert_int_equal(apply(&o, "port", "65535"), OPTION_OK);
    assert_int_equal(o.port, 65535);
    assert_int_equal(apply(&o, "port", "65536"), OPTION_ERR_RANGE);

    /* an int64_t field past 32 bits */
    assert_int_equal(apply(&o, "big", "5000000000"), OPTION_OK);
    assert_true(o.big == 5000000000);
    assert_int_equal(option_get_number(row("big"), &o), 5000000000);
    assert_int_equal(apply(&o, "big", "5000000001"), OPTION_ERR_RANGE);
}

static void test_seconds_into_milliseconds(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    const struct {
        const char *text;
        uint32_t ms;
    } ok[] = {{"0.001", 1}, {".5", 500}, {"0.25", 250}, {"2", 2000}, {"86400", 86400000},
              {"86400.0", 86400000}, {"1.0004", 1000}, {"1.0006", 1001}, {"1e1", 10000}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(apply(&o, "wait", ok[i].text), OPTION_OK);
        assert_int_equal(o.wait_ms, ok[i].ms);
    }
    const char *range[] = {"0", "0.0", "0.0009", "86400.001", "86401", "1e9"};
    for (size_t i = 0; i < sizeof range / sizeof range[0]; i++)
        assert_int_equal(apply(&o, "wait", range[i]), OPTION_ERR_RANGE);
    const char *syntax[] = {"", "-1", "+1", " 1", "1s", "inf", "nan", "x", "1e-400"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        assert_int_equal(apply(&o, "wait", syntax[i]), OPTION_ERR_SYNTAX);
    assert_int_equal(o.wait_ms, 10000);
}

static void test_enum_by_name(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_int_equal(apply(&o, "color", "blue"), OPTION_OK);
    assert_int_equal(o.color, BLUE);
    assert_int_equal(apply(&o, "color", "red"), OPTION_OK);
    assert_int_equal(o.color, RED);
    const char *bad[] = {"", "Red", "purple", "0", "red "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apply(&o, "color", bad[i]), OPTION_ERR_SYNTAX);
    assert_int_equal(o.color, RED);
}

static void test_text_length_emptiness_and_check(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_int_equal(apply(&o, "name", "1234567"), OPTION_OK); /* 7 + NUL fills char[8] */
    assert_string_equal(o.name, "1234567");
    assert_int_equal(apply(&o, "name", "12345678"), OPTION_ERR_TOO_LONG);
    assert_int_equal(apply(&o, "name", ""), OPTION_ERR_EMPTY);
    assert_string_equal(o.name, "1234567");
    assert_int_equal(apply(&o, "any", "x"), OPTION_OK);
    assert_int_equal(apply(&o, "any", ""), OPTION_OK);
    assert_string_equal(o.any, "");
    assert_int_equal(apply(&o, "even", "ab"), OPTION_OK);
    assert_string_equal(o.even, "ab");
    assert_int_equal(apply(&o, "even", "abc"), OPTION_ERR_INVALID);
    assert_int_equal(apply(&o, "even", "12345678"), OPTION_ERR_INVALID); /* too long: the check's copy fails */
    assert_string_equal(o.even, "ab");
}

static void test_list_limit(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_int_equal(apply(&o, "peer", "a"), OPTION_OK);
    assert_int_equal(apply(&o, "peer", ""), OPTION_ERR_EMPTY);
    assert_int_equal(apply(&o, "peer", "12345678"), OPTION_ERR_TOO_LONG);
    assert_int_equal(o.n_peers, 1); /* a bad value is not counted */
    assert_int_equal(apply(&o, "peer", "b"), OPTION_OK);
    assert_int_equal(apply(&o, "peer", "1234567"), OPTION_OK);
    assert_int_equal(o.n_peers, 3);
    assert_int_equal(apply(&o, "peer", "d"), OPTION_ERR_FULL);
    assert_int_equal(o.n_peers, 3);
    assert_string_equal(o.peers[0], "a");
    assert_string_equal(o.peers[1], "b");
    assert_string_equal(o.peers[2], "1234567");
}

static void test_custom_row(void **state)
{
    (void)state;
    struct opts o;
    fresh(&o);
    assert_int_equal(o.custom, 0);
    assert_int_equal(apply(&o, "custom", "six"), OPTION_ERR_INVALID);
    assert_int_equal(apply(&o, "custom", "seven"), OPTION_OK);
    assert_int_equal(o.custom, 7);
}

static void test_dependent_default(void **state)
{
    (void)state;
    struct opts o;
    bool given[N_ROWS] = {false};
    size_t peer = (size_t)option_find(rows, N_ROWS, "peer", 4);
    size_t follows = (size_t)option_find(rows, N_ROWS, "follows", 7);

    fresh(&o);
    option_dependent_defaults(rows, N_ROWS, &o, given);
    assert_int_equal(o.follows, 8); /* peer not given */

    given[peer] = true;
    option_dependent_defaults(rows, N_ROWS, &o, given);
    assert_int_equal(o.follows, 0); /* peer given: the other default */

    fresh(&o);
    assert_int_equal(apply(&o, "follows", "3"), OPTION_OK);
    given[follows] = true;
    option_dependent_defaults(rows, N_ROWS, &o, given);
    assert_int_equal(o.follows, 3); /* given itself: kept */
}

static void test_help_texts(void **state)
{
    (void)state;
    char buf[128];
    assert_null(option_arg_text(row("verbose"), buf, sizeof buf));
    assert_string_equal(option_arg_text(row("on-off"), buf, sizeof buf), "0|1");
    assert_string_equal(option_arg_text(row("color"), buf, sizeof buf), "red|green|blue");
    assert_string_equal(option_arg_text(row("count"), buf, sizeof buf), "N");
    char small[8];
    assert_null(option_arg_text(row("color"), small, sizeof small)); /* does not fit */

    assert_string_equal(option_default_text(row("verbose"), buf, sizeof buf), "off");
    assert_string_equal(option_default_text(row("on-off"), buf, sizeof buf), "1");
    assert_string_equal(option_default_text(row("count"), buf, sizeof buf), "5");
    assert_string_equal(option_default_text(row("big"), buf, sizeof buf), "4000000000");
    assert_string_equal(option_default_text(row("wait"), buf, sizeof buf), "1.5");
    assert_string_equal(option_default_text(row("color"), buf, sizeof buf), "green");
    assert_string_equal(option_default_text(row("port"), buf, sizeof buf), "the network's");
    assert_string_equal(option_default_text(row("follows"), buf, sizeof buf), "8, or 0 with --peer");
    assert_null(option_default_text(row("help"), buf, sizeof buf));

    /* Each derived default, written back as a value, is the default. */
    const char *derived[] = {"on-off", "count", "big", "wait", "color"};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        struct opts a, b;
        fresh(&a);
        memcpy(&b, &a, sizeof b);
        assert_int_equal(apply(&b, derived[i], option_default_text(row(derived[i]), buf, sizeof buf)),
                         OPTION_OK);
        assert_int_equal(option_get_number(row(derived[i]), &b), option_get_number(row(derived[i]), &a));
    }
}

/* One bad row in an otherwise sound table: the check names it. */
static void expect_rejected(struct option_row bad, const char *why)
{
    struct option_row table[N_ROWS + 1];
    memcpy(table, rows, sizeof rows);
    table[N_ROWS] = bad;
    char msg[128] = "";
    assert_false(option_table_check(table, N_ROWS + 1, msg, sizeof msg));
    if (!strstr(msg, why)) fail_msg("expected '%s' in '%s'", why, msg);
}

static void test_table_check_catches_bad_rows(void **state)
{
    (void)state;
    const struct option_row ok = {.name = "x", .type = OPTION_UINT, .arg = "N", F(count), .min = 0,
                                  .max = 9, .def = 1, .help = "h"};
    char msg[128];
    struct option_row table[1] = {ok};
    assert_true(option_table_check(table, 1, msg, sizeof msg));

    struct option_row r = ok;
    r.name = "count";
    expect_rejected(r, "count: listed twice");
    r = ok, r.help = NULL;
    expect_rejected(r, "x: no help");
    r = ok, r.type = OPTION_TEXT;
    expect_rejected(r, "x: no default text");
    r = ok, r.max = 5000000000; /* an unsigned int cannot hold it */
    expect_rejected(r, "x: range does not fit");
    r = ok, r.def = 10;
    expect_rejected(r, "x: default outside the range");
    r = ok, r.def = -1; /* "not set" needs a signed field */
    expect_rejected(r, "x: default outside the range");
    r = ok, r.type = OPTION_MS;
    r.offset = offsetof(struct opts, big), r.size = sizeof(int64_t);
    r.kind = OPTION_KIND_OF(((struct opts *)0)->big);
    expect_rejected(r, "x: milliseconds not in a uint32_t");
    r = (struct option_row){.name = "x", .type = OPTION_LIST, .arg = "H", .default_text = "none",
                            .help = "h", OPTION_LIST_FIELD(struct opts, peers, count)};
    expect_rejected(r, "x: list without a size_t count");
    r = (struct option_row){.name = "x", .type = OPTION_TEXT, .arg = "T", .default_text = "none",
                            .help = "h", F(count)};
    expect_rejected(r, "x: text on a non-array field");
    r = (struct option_row){.name = "x", .type = OPTION_ENUM, .names = color_name, F(color),
                            .def = 3, .default_text = "purple", .help = "h"};
    expect_rejected(r, "x: enum default is not a name");
    r = ok, r.dep_on = "nosuch";
    expect_rejected(r, "x: depends on an option that does not exist");
    r = (struct option_row){.name = "x", .type = OPTION_BOOL, F(on_off), .def = 2, .help = "h"};
    expect_rejected(r, "x: 0|1 default not 0 or 1");
    r = (struct option_row){.name = "x", .type = OPTION_CUSTOM, .arg = "W", .default_text = "0",
                            .help = "h", F(custom)};
    expect_rejected(r, "x: custom row without a setter");
    r = (struct option_row){.name = "x", .type = OPTION_UINT, .help = "h", .action = true};
    expect_rejected(r, "x: an action that takes a value");
}

static void test_err_names(void **state)
{
    (void)state;
    for (int e = OPTION_OK; e <= OPTION_ERR_FULL; e++)
        assert_string_not_equal(option_err_str((enum option_err)e), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_test_table_is_sound),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flag_and_bool),
        cmocka_unit_test(test_uint_range_and_syntax),
        cmocka_unit_test(test_seconds_into_milliseconds),
        cmocka_unit_test(test_enum_by_name),
        cmocka_unit_test(test_text_length_emptiness_and_check),
        cmocka_unit_test(test_list_limit),
        cmocka_unit_test(test_custom_row),
        cmocka_unit_test(test_dependent_default),
        cmocka_unit_test(test_help_texts),
        cmocka_unit_test(test_table_check_catches_bad_rows),
        cmocka_unit_test(test_err_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
