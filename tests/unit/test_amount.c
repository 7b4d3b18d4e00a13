/* Amounts as bitcoind's RPC reads them (src/util/amount.c): the texts and
 * answers of Bitcoin Core v29's util_tests (ParseFixedPoint, FormatMoney)
 * and rpc_tests (AmountFromValue), JSON numbers that arrive as integers or
 * doubles, and ParseFeeRate's 1 BTC/kvB limit. */
#include "testutil.h"

#include <btcpeerd/amount.h>

#include <string.h>

static bool parse(const char *text, int decimals, int64_t *out)
{
    return amount_parse_fixed(text, strlen(text), decimals, out);
}

static void test_parse_fixed_point_core_cases(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t want;
    } ok[] = {
        {"0", 0}, {"1", 100000000}, {"0.0", 0}, {"-0.1", -10000000}, {"1.1", 110000000},
        {"1.10000000000000000", 110000000}, {"1.1e1", 1100000000}, {"1.1e-1", 11000000},
        {"1000", 100000000000}, {"-1000", -100000000000}, {"0.00000001", 1},
        {"0.0000000100000000", 1}, {"-0.00000001", -1}, {"1000000000.00000001", 100000000000000001},
        {"9999999999.99999999", 999999999999999999}, {"-9999999999.99999999", -999999999999999999},
        {"1E2", 10000000000}, {"1e+2", 10000000000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 12345;
        if (!parse(ok[i].text, 8, &v)) fail_msg("refused %s", ok[i].text);
        assert_int_equal(v, ok[i].want);
    }
    static const char *const bad[] = {
        "", "-", "a-1000", "-a1000", "-1000a", "-01000", "00.1", ".1", "--0.1", "0.000000001",
        "-0.000000001", "0.00000001000000001", "-10000000000.00000000", "10000000000.00000000",
        "-10000000000.00000001", "10000000000.00000001", "-10000000000.00000009",
        "10000000000.00000009", "-99999999999.99999999", "99999909999.09999999",
        "92233720368.54775807", "92233720368.54775808", "-92233720368.54775808",
        "-92233720368.54775809", "1.1e", "1.1e-", "1.", "+1", " 1", "1 ", "1e99999999999999999999",
        "0x10", "1,5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 12345;
        if (parse(bad[i], 8, &v)) fail_msg("accepted %s", bad[i]);
        assert_int_equal(v, 12345); /* untouched on failure */
    }
    int64_t v;
    assert_true(parse("0.001", 3, &v));
    assert_int_equal(v, 1);
    assert_false(parse("0.0009", 3, &v));
    assert_false(parse("31.00100001", 3, &v));
    assert_false(parse("31.0011", 3, &v));
    assert_false(parse("31.99999999", 3, &v));
    assert_false(parse("31.999999999999999999999", 3, &v));
    /* a NUL inside the text is not the end of it */
    assert_false(amount_parse_fixed("1\0" "5", 3, 8, &v));
}

static enum amount_err from_string(const char *text, int64_t *sat)
{
    struct amount_arg a = {.kind = AMOUNT_ARG_STRING, .text = text, .text_len = strlen(text)};
    return amount_from_arg(&a, -1, sat);
}

static void test_amount_from_value_core_cases(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t want;
    } ok[] = {
        {"0", 0}, {"0.00000000", 0}, {"0.00000001", 1}, {"0.17622195", 17622195},
        {"0.5", 50000000}, {"0.50000000", 50000000}, {"0.89898989", 89898989},
        {"1.00000000", 100000000}, {"20999999.9999999", 2099999999999990},
        {"20999999.99999999", 2099999999999999}, {"21000000", AMOUNT_MAX_MONEY}, {"1e-8", 1},
        {"0.1e-7", 1}, {"0.01e-6", 1}, {"0.00000000000000000000000000000000000001e+30", 1},
        {"0.0000000000000000000000000000000000000000000000000000000000000000000000000001e+68", 1},
        {"10000000000000000000000000000000000000000000000000000000000000000e-64", AMOUNT_COIN},
        {"0.000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000e64",
         AMOUNT_COIN},
        {"0.00000001000000", 1}, {"0.19e-6", 19}, {"-0", 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v;
        if (from_string(ok[i].text, &v) != AMOUNT_OK) fail_msg("refused %s", ok[i].text);
        assert_int_equal(v, ok[i].want);
    }
    static const struct {
        const char *text;
        enum amount_err err;
    } bad[] = {
        {"-0.00000001", AMOUNT_ERR_RANGE}, {"21000000.00000001", AMOUNT_ERR_RANGE},
        {"1e-9", AMOUNT_ERR_INVALID}, {"0.000000019", AMOUNT_ERR_INVALID},
        {"19e-9", AMOUNT_ERR_INVALID}, {".19e-6", AMOUNT_ERR_INVALID},
        {"92233720368.54775808", AMOUNT_ERR_INVALID}, {"1e+11", AMOUNT_ERR_INVALID},
        {"1e11", AMOUNT_ERR_INVALID}, {"93e+9", AMOUNT_ERR_INVALID}, {"abc", AMOUNT_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 7;
        enum amount_err err = from_string(bad[i].text, &v);
        if (err != bad[i].err) fail_msg("%s: %s", bad[i].text, amount_err_str(err));
        assert_int_equal(v, 7);
        assert_int_equal(amount_err_rpc_code(err), -3);
    }
    assert_string_equal(amount_err_message(AMOUNT_ERR_INVALID), "Invalid amount");
    assert_string_equal(amount_err_message(AMOUNT_ERR_RANGE), "Amount out of range");
    assert_string_equal(amount_err_message(AMOUNT_ERR_TYPE), "Amount is not a number or string");
}

static void test_json_kinds(void **state)
{
    (void)state;
    int64_t v;
    struct amount_arg a = {.kind = AMOUNT_ARG_ABSENT};
    assert_int_equal(amount_from_arg(&a, 42, &v), AMOUNT_OK);
    assert_int_equal(v, 42);
    assert_int_equal(amount_from_arg(NULL, 43, &v), AMOUNT_OK);
    assert_int_equal(v, 43);
    a.kind = AMOUNT_ARG_OTHER;
    assert_int_equal(amount_from_arg(&a, 0, &v), AMOUNT_ERR_TYPE);

    static const struct {
        int64_t integer;
        enum amount_err err;
        int64_t want;
    } ints[] = {
        {0, AMOUNT_OK, 0}, {1, AMOUNT_OK, AMOUNT_COIN}, {21000000, AMOUNT_OK, AMOUNT_MAX_MONEY},
        {21000001, AMOUNT_ERR_RANGE, 0}, {-1, AMOUNT_ERR_RANGE, 0},
        {10000000000, AMOUNT_ERR_INVALID, 0}, {INT64_MAX, AMOUNT_ERR_INVALID, 0},
        {INT64_MIN, AMOUNT_ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        a = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = ints[i].integer};
        v = -7;
        assert_int_equal(amount_from_arg(&a, 0, &v), ints[i].err);
        if (ints[i].err == AMOUNT_OK) assert_int_equal(v, ints[i].want);
    }

    /* a JSON real keeps only its double: read back from its shortest text */
    static const struct {
        double real;
        enum amount_err err;
        int64_t want;
    } reals[] = {
        {0.1, AMOUNT_OK, 10000000}, {1e-8, AMOUNT_OK, 1}, {0.00001, AMOUNT_OK, 1000},
        {0.3, AMOUNT_OK, 30000000}, {20999999.99999999, AMOUNT_OK, 2099999999999999},
        {21000000.0, AMOUNT_OK, AMOUNT_MAX_MONEY}, {5.0, AMOUNT_OK, 5 * AMOUNT_COIN},
        {-0.0, AMOUNT_OK, 0}, {0.123456789, AMOUNT_ERR_INVALID, 0}, {1e-9, AMOUNT_ERR_INVALID, 0},
        {-0.5, AMOUNT_ERR_RANGE, 0}, {1e300, AMOUNT_ERR_INVALID, 0},
        {21000000.00000001, AMOUNT_ERR_RANGE, 0},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        a = (struct amount_arg){.kind = AMOUNT_ARG_REAL, .real = reals[i].real};
        v = -7;
        enum amount_err err = amount_from_arg(&a, 0, &v);
        if (err != reals[i].err) fail_msg("real %.17g: %s", reals[i].real, amount_err_str(err));
        if (err == AMOUNT_OK) assert_int_equal(v, reals[i].want);
    }
}

static void test_fee_rate(void **state)
{
    (void)state;
    int64_t v;
    struct amount_arg a = {.kind = AMOUNT_ARG_ABSENT};
    assert_int_equal(amount_feerate_from_arg(&a, AMOUNT_DEFAULT_MAX_FEE_RATE, &v), AMOUNT_OK);
    assert_int_equal(v, 10000000); /* 0.10 BTC/kvB */
    a = (struct amount_arg){.kind = AMOUNT_ARG_STRING, .text = "0.99999999", .text_len = 10};
    assert_int_equal(amount_feerate_from_arg(&a, 0, &v), AMOUNT_OK);
    assert_int_equal(v, AMOUNT_COIN - 1);
    a = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = 1};
    assert_int_equal(amount_feerate_from_arg(&a, 0, &v), AMOUNT_ERR_FEERATE_TOO_HIGH);
    assert_int_equal(amount_err_rpc_code(AMOUNT_ERR_FEERATE_TOO_HIGH), -8);
    assert_string_equal(amount_err_message(AMOUNT_ERR_FEERATE_TOO_HIGH),
                        "Fee rates larger than or equal to 1BTC/kvB are not accepted");
    a = (struct amount_arg){.kind = AMOUNT_ARG_INTEGER, .integer = 0};
    assert_int_equal(amount_feerate_from_arg(&a, 5, &v), AMOUNT_OK);
    assert_int_equal(v, 0); /* 0: any fee rate */
    a = (struct amount_arg){.kind = AMOUNT_ARG_STRING, .text = "-1", .text_len = 2};
    assert_int_equal(amount_feerate_from_arg(&a, 0, &v), AMOUNT_ERR_RANGE);
}

static void test_format_money_core_cases(void **state)
{
    (void)state;
    static const struct {
        int64_t sat;
        const char *text;
    } cases[] = {
        {0, "0.00"}, {(AMOUNT_COIN / 10000) * 123456789, "12345.6789"}, {-AMOUNT_COIN, "-1.00"},
        {AMOUNT_COIN * 100000000, "100000000.00"}, {AMOUNT_COIN * 10, "10.00"},
        {AMOUNT_COIN, "1.00"}, {AMOUNT_COIN / 10, "0.10"}, {AMOUNT_COIN / 100, "0.01"},
        {AMOUNT_COIN / 1000, "0.001"}, {AMOUNT_COIN / 10000000, "0.0000001"}, {1, "0.00000001"},
        {INT64_MAX, "92233720368.54775807"}, {INT64_MAX - 3, "92233720368.54775804"},
        {INT64_MIN + 1, "-92233720368.54775807"}, {INT64_MIN, "-92233720368.54775808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        size_t n = amount_format(cases[i].sat, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
        assert_int_equal(n, strlen(cases[i].text));
        /* what is formatted in range parses back to itself */
        int64_t back;
        if (amount_in_money_range(cases[i].sat)) {
            assert_true(parse(buf, 8, &back));
            assert_int_equal(back, cases[i].sat);
        }
    }
    char small[5];
    assert_int_equal(amount_format(AMOUNT_COIN, small, sizeof small), 4);
    assert_string_equal(small, "1.00");
    assert_int_equal(amount_format(AMOUNT_MAX_MONEY, small, sizeof small), 4); /* truncated */
    assert_string_equal(small, "2100");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fixed_point_core_cases),
        cmocka_unit_test(test_amount_from_value_core_cases),
        cmocka_unit_test(test_json_kinds),
        cmocka_unit_test(test_fee_rate),
        cmocka_unit_test(test_format_money_core_cases),
    };
    return test_run_group(tests);
}
