/* The parameter helpers every method file uses: one positional parameter
 * read as an integer, a bool or a string, with bitcoind's error wording
 * when it is missing or of the wrong type. */
#include "rpc_internal.h"

#include <btcpeerd/hex.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: break;
    }
    return "null";
}

/* bitcoind's RPCHelpMan argument check: -3, "Wrong type passed:" and the
 * argument's position and name in a JSON object indented by four. */
static void type_error(struct rpc_call *c, size_t i, const json_t *v, const char *expected)
{
    const struct rpc_method *m = rpc_call_method_def(c);
    const char *name = NULL;
    for (size_t k = 0; m && m->arg_names && m->arg_names[k] && !name; k++)
        if (k == i) name = m->arg_names[k];
    rpc_call_error(c, RPC_TYPE_ERROR,
                   "Wrong type passed:\n{\n    \"Position %zu (%s)\": \"JSON value of type %s is not of "
                   "expected type %s\"\n}",
                   i + 1, name ? name : "?", json_type_name(v), expected);
}

bool rpc_get_int(struct rpc_call *c, json_t *params, size_t i, int64_t def, int64_t *out)
{
    json_t *v = rpc_param(params, i);
    if (!v) {
        *out = def;
        return true;
    }
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        /* the cast of a double outside int64_t is undefined: range first */
        double d = json_real_value(v);
        if (!(d >= -0x1p63 && d < 0x1p63)) {
            rpc_call_error(c, RPC_TYPE_ERROR, "JSON integer out of range");
            return false;
        }
        if (d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    if (json_is_real(v)) { /* a number, but not a whole one */
        rpc_call_error(c, RPC_TYPE_ERROR, "JSON integer out of range");
        return false;
    }
    type_error(c, i, v, "number");
    return false;
}

bool rpc_get_bool(struct rpc_call *c, json_t *params, size_t i, bool def, bool *out)
{
    json_t *v = rpc_param(params, i);
    if (!v) {
        *out = def;
        return true;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return true;
    }
    type_error(c, i, v, "bool");
    return false;
}

bool rpc_get_str(struct rpc_call *c, json_t *params, size_t i, bool required, const char **out)
{
    json_t *v = rpc_param(params, i);
    *out = NULL;
    if (!v) {
        if (!required) return true;
        rpc_call_help_error(c);
        return false;
    }
    if (!json_is_string(v)) {
        type_error(c, i, v, "string");
        return false;
    }
    *out = json_string_value(v);
    return true;
}

void rpc_call_help_error(struct rpc_call *c)
{
    char *help = rpc_call_method_def(c) ? rpc_help_text(rpc_call_method_def(c)) : NULL;
    if (help)
        rpc_call_error_text(c, RPC_MISC_ERROR, help);
    else
        rpc_call_error(c, RPC_MISC_ERROR, "%s: wrong arguments", rpc_call_method(c));
    free(help);
}

bool rpc_get_hash(struct rpc_call *c, json_t *params, size_t i, bool required, const char *name,
                  uint8_t out[32], bool *given)
{
    const char *s;
    if (!rpc_get_str(c, params, i, required, &s)) return false;
    if (given) *given = s != NULL;
    if (!s) return true;
    /* Core's ParseHashV: the length first, then the digits */
    if (strlen(s) != 64) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "%s must be of length 64 (not %zu, for '%s')", name,
                       strlen(s), s);
        return false;
    }
    if (!hex_decode_hash(s, out)) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%s')", name, s);
        return false;
    }
    return true;
}
