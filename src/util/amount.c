/* Amounts as bitcoind's RPC parses them. The fixed-point reader follows
 * Core's ParseFixedPoint rule for rule (which texts are numbers, where a
 * value stops being representable), so an amount bitcoind refuses is
 * refused here with the same message; every step is bounded so no text
 * can overflow it. */
#include <btcpeerd/amount.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Core's bound: 10^18 - 1, the largest mantissa it accepts. */
#define FIXED_UPPER_BOUND (1000000000000000000LL - 1LL)
/* Longer texts would let the digit counters pass int32 in Core; refusing
 * them keeps every counter here far from int64's limits. */
#define FIXED_MAX_TEXT ((size_t)INT32_MAX)

const char *amount_err_str(enum amount_err err)
{
    switch (err) {
    case AMOUNT_OK: return "ok";
    case AMOUNT_ERR_TYPE: return "amount-not-number-or-string";
    case AMOUNT_ERR_INVALID: return "invalid-amount";
    case AMOUNT_ERR_RANGE: return "amount-out-of-range";
    case AMOUNT_ERR_FEERATE_TOO_HIGH: return "feerate-too-high";
    }
    return "unknown";
}

int amount_err_rpc_code(enum amount_err err)
{
    switch (err) {
    case AMOUNT_OK: return 0;
    case AMOUNT_ERR_TYPE:
    case AMOUNT_ERR_INVALID:
    case AMOUNT_ERR_RANGE: return -3; /* RPC_TYPE_ERROR */
    case AMOUNT_ERR_FEERATE_TOO_HIGH: return -8; /* RPC_INVALID_PARAMETER */
    }
    return -3;
}

const char *amount_err_message(enum amount_err err)
{
    switch (err) {
    case AMOUNT_OK: return "";
    case AMOUNT_ERR_TYPE: return "Amount is not a number or string";
    case AMOUNT_ERR_INVALID: return "Invalid amount";
    case AMOUNT_ERR_RANGE: return "Amount out of range";
    case AMOUNT_ERR_FEERATE_TOO_HIGH:
        return "Fee rates larger than or equal to 1BTC/kvB are not accepted";
    }
    return "Invalid amount";
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* One mantissa digit. Zeros are only counted until a non-zero digit shows
 * they are significant, so "1000" and "1e3" reach the same mantissa. */
static bool push_digit(char c, int64_t *mantissa, int64_t *pending_zeros)
{
    if (c == '0') {
        (*pending_zeros)++;
        return true;
    }
    if (*mantissa != 0) {
        for (int64_t i = 0; i <= *pending_zeros; i++) {
            if (*mantissa > FIXED_UPPER_BOUND / 10) return false;
            *mantissa *= 10;
        }
    }
    *mantissa += c - '0';
    *pending_zeros = 0;
    return true;
}

bool amount_parse_fixed(const char *s, size_t len, int decimals, int64_t *out)
{
    if (len > FIXED_MAX_TEXT || decimals < 0 || decimals > 18) return false;
    int64_t mantissa = 0, exponent = 0, pending_zeros = 0, frac_digits = 0;
    bool negative = false, exp_negative = false;
    size_t i = 0;

    if (i < len && s[i] == '-') {
        negative = true;
        i++;
    }
    if (i >= len) return false;
    if (s[i] == '0') {
        i++; /* a single leading zero, never followed by more digits */
    } else if (s[i] >= '1' && s[i] <= '9') {
        for (; i < len && is_digit(s[i]); i++)
            if (!push_digit(s[i], &mantissa, &pending_zeros)) return false;
    } else {
        return false;
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i])) return false;
        for (; i < len && is_digit(s[i]); i++, frac_digits++)
            if (!push_digit(s[i], &mantissa, &pending_zeros)) return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && s[i] == '+') {
            i++;
        } else if (i < len && s[i] == '-') {
            exp_negative = true;
            i++;
        }
        if (i >= len || !is_digit(s[i])) return false;
        for (; i < len && is_digit(s[i]); i++) {
            if (exponent > FIXED_UPPER_BOUND / 10) return false;
            exponent = exponent * 10 + (s[i] - '0');
        }
    }
    if (i != len) return false; /* trailing garbage */

    /* |exponent| < 10^18 and both counters < 2^31: no overflow. */
    if (exp_negative) exponent = -exponent;
    exponent = exponent - frac_digits + pending_zeros + decimals;
    if (negative) mantissa = -mantissa;
    if (exponent < 0) return false;   /* finer than 10^-decimals */
    if (exponent >= 18) return false; /* 10^(18-decimals) or more */
    for (int64_t k = 0; k < exponent; k++) {
        if (mantissa > FIXED_UPPER_BOUND / 10 || mantissa < -(FIXED_UPPER_BOUND / 10)) return false;
        mantissa *= 10;
    }
    if (mantissa > FIXED_UPPER_BOUND || mantissa < -FIXED_UPPER_BOUND) return false;
    if (out) *out = mantissa;
    return true;
}

/* The shortest "%.*g" text that reads back as the same double: what the
 * user most likely typed. */
static void real_to_text(double v, char *buf, size_t cap)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static enum amount_err amount_from_value(const struct amount_arg *arg, int64_t *sat)
{
    char buf[40];
    const char *text;
    size_t len;
    switch (arg->kind) {
    case AMOUNT_ARG_STRING:
        text = arg->text;
        len = arg->text ? arg->text_len : 0;
        break;
    case AMOUNT_ARG_INTEGER:
        snprintf(buf, sizeof buf, "%" PRId64, arg->integer);
        text = buf;
        len = strlen(buf);
        break;
    case AMOUNT_ARG_REAL:
        real_to_text(arg->real, buf, sizeof buf);
        text = buf;
        len = strlen(buf);
        break;
    default:
        return AMOUNT_ERR_TYPE;
    }
    int64_t v;
    if (!amount_parse_fixed(text, len, 8, &v)) return AMOUNT_ERR_INVALID;
    if (!amount_in_money_range(v)) return AMOUNT_ERR_RANGE;
    *sat = v;
    return AMOUNT_OK;
}

enum amount_err amount_from_arg(const struct amount_arg *arg, int64_t def, int64_t *sat)
{
    if (!arg || arg->kind == AMOUNT_ARG_ABSENT) {
        *sat = def;
        return AMOUNT_OK;
    }
    return amount_from_value(arg, sat);
}

enum amount_err amount_feerate_from_arg(const struct amount_arg *arg, int64_t def,
                                        int64_t *sat_per_kvb)
{
    int64_t v;
    enum amount_err err = amount_from_arg(arg, def, &v);
    if (err != AMOUNT_OK) return err;
    if (v >= AMOUNT_COIN) return AMOUNT_ERR_FEERATE_TOO_HIGH;
    *sat_per_kvb = v;
    return AMOUNT_OK;
}

size_t amount_format(int64_t sat, char *out, size_t cap)
{
    char buf[40];
    /* Division first: negating INT64_MIN itself would overflow. */
    int64_t whole = sat / AMOUNT_COIN, frac = sat % AMOUNT_COIN;
    if (sat < 0) {
        whole = -whole;
        frac = -frac;
    }
    int n = snprintf(buf, sizeof buf, "%s%" PRId64 ".%08" PRId64, sat < 0 ? "-" : "", whole, frac);
    size_t len = n > 0 ? (size_t)n : 0;
    /* Trim trailing zeros but keep two decimals. */
    while (len >= 3 && buf[len - 1] == '0' && is_digit(buf[len - 3])) len--;
    buf[len] = '\0';
    if (cap == 0) return 0;
    if (len >= cap) len = cap - 1;
    memcpy(out, buf, len);
    out[len] = '\0';
    return len;
}
