/* Bitcoin amounts as bitcoind's RPC reads and writes them: satoshis in an
 * int64, parsed from a JSON number or string with 8 decimals
 * (AmountFromValue, ParseFixedPoint), fee rates in sat per 1,000 vbytes
 * (ParseFeeRate), and FormatMoney's text. Pure: no JSON library here; the
 * RPC layer says what kind of JSON value it holds through struct
 * amount_arg. */
#ifndef BTCPEERD_AMOUNT_H
#define BTCPEERD_AMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AMOUNT_COIN 100000000LL                      /* satoshis per BTC */
#define AMOUNT_MAX_MONEY (21000000LL * AMOUNT_COIN)  /* Core's MAX_MONEY */
/* sendrawtransaction's defaults (Core v29 node/transaction.h): maxfeerate
 * 0.10 BTC/kvB, maxburnamount 0. */
#define AMOUNT_DEFAULT_MAX_FEE_RATE (AMOUNT_COIN / 10)
#define AMOUNT_DEFAULT_MAX_BURN 0LL

static inline bool amount_in_money_range(int64_t v) { return v >= 0 && v <= AMOUNT_MAX_MONEY; }

/* Each error is one of bitcoind's RPC errors: amount_err_rpc_code and
 * amount_err_message give its code and its exact message. */
enum amount_err {
    AMOUNT_OK = 0,
    AMOUNT_ERR_TYPE,             /* -3  "Amount is not a number or string" */
    AMOUNT_ERR_INVALID,          /* -3  "Invalid amount" */
    AMOUNT_ERR_RANGE,            /* -3  "Amount out of range" */
    AMOUNT_ERR_FEERATE_TOO_HIGH, /* -8  "Fee rates larger than or equal to 1BTC/kvB are not accepted" */
};

const char *amount_err_str(enum amount_err err); /* short name for logs */
int amount_err_rpc_code(enum amount_err err);     /* 0 for AMOUNT_OK */
const char *amount_err_message(enum amount_err err);

/* Core's ParseFixedPoint: "[-]digits[.digits][(e|E)[+|-]digits]" over
 * exactly len bytes (no spaces, no leading '+', no leading zeros but a
 * single "0"), scaled by 10^decimals; false unless the result is a whole
 * number of units with magnitude below 10^18. */
bool amount_parse_fixed(const char *text, size_t len, int decimals, int64_t *out);

/* A JSON value as the RPC layer found it. A JSON real keeps only its double
 * (jansson does not keep the text), which is turned back into the shortest
 * text that reads back as the same double before parsing: "0.1" stays 0.1,
 * not 0.10000000000000001. */
enum amount_arg_kind {
    AMOUNT_ARG_ABSENT = 0, /* not given, or JSON null: the caller's default */
    AMOUNT_ARG_STRING,
    AMOUNT_ARG_INTEGER,
    AMOUNT_ARG_REAL,
    AMOUNT_ARG_OTHER, /* bool, array, object */
};

struct amount_arg {
    enum amount_arg_kind kind;
    const char *text; /* AMOUNT_ARG_STRING: text_len bytes, NULs included */
    size_t text_len;
    int64_t integer; /* AMOUNT_ARG_INTEGER */
    double real;     /* AMOUNT_ARG_REAL */
};

/* AmountFromValue: a number or string in BTC (8 decimals) within 0..21M BTC.
 * An absent argument gives def. */
enum amount_err amount_from_arg(const struct amount_arg *arg, int64_t def, int64_t *sat);
/* ParseFeeRate: an amount in BTC/kvB below 1 BTC/kvB; *sat_per_kvb gets it
 * in sat per 1,000 vbytes. An absent argument gives def. */
enum amount_err amount_feerate_from_arg(const struct amount_arg *arg, int64_t def,
                                        int64_t *sat_per_kvb);

/* FormatMoney: "-"?, whole BTC, ".", at least two decimals, trailing zeros
 * after them trimmed ("0.10", "21000000.00", "0.00000001"). Returns the
 * length written (out always NUL-terminated; 24 bytes are always enough). */
size_t amount_format(int64_t sat, char *out, size_t cap);

#endif
