/* JSON-RPC requests and batches: parse with jansson, check the envelope,
 * map named parameters onto positions, dispatch, and build the reply in the
 * request's version (1.0 legacy or 2.0) with bitcoind's HTTP statuses.
 * A batch keeps one reference for its own dispatch loop, so a call that
 * finishes while the loop still runs cannot send a half-built reply. */
#include "jsonrpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rpc_version { RPC_V1 = 1, RPC_V2 = 2 };

struct rpc_call {
    struct rpc_batch *batch;
    const struct rpc_method *method;
    json_t *id;          /* owned; NULL for a 2.0 notification */
    enum rpc_version version;
    bool notification;
    bool answered;
    json_t *result;      /* owned */
    json_t *error;       /* owned */
};

struct rpc_batch {
    bool is_batch;
    bool abandoned;
    size_t pending;      /* unfinished calls, plus one while dispatching */
    size_t n_calls;
    struct rpc_call *calls;
    rpc_reply_fn reply;
    void *arg;
};

void rpc_call_result(struct rpc_call *c, json_t *result)
{
    if (c->answered) {
        json_decref(result);
        return;
    }
    c->answered = true;
    c->result = result ? result : json_null();
}

/* A length <= len that does not split the UTF-8 character running past
 * len: a message cut mid-character is not a JSON string. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t start = len;
    while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xC0) == 0x80) start--;
    if (start == 0) return len;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (start - 1) < need ? start - 1 : len;
}

void rpc_call_error(struct rpc_call *c, int code, const char *fmt, ...)
{
    if (c->answered) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) msg[0] = '\0';
    else if ((size_t)n >= sizeof msg) msg[utf8_cut(msg, sizeof msg - 1)] = '\0';
    c->answered = true;
    c->error = json_pack("{s:i,s:s}", "code", code, "message", msg);
    /* Not UTF-8 even so (a client's bytes in the message): an error all the
     * same, with its code, so the reply keeps its status. */
    if (!c->error)
        c->error = json_pack("{s:i,s:s}", "code", code, "message", "(message not valid UTF-8)");
}

void rpc_call_error_text(struct rpc_call *c, int code, const char *msg)
{
    if (c->answered) return;
    c->answered = true;
    c->error = json_pack("{s:i,s:s}", "code", code, "message", msg);
    if (!c->error)
        c->error = json_pack("{s:i,s:s}", "code", code, "message", "(message not valid UTF-8)");
}

const char *rpc_call_method(const struct rpc_call *c)
{
    return c->method ? c->method->name : "";
}

const struct rpc_method *rpc_call_method_def(const struct rpc_call *c)
{
    return c->method;
}

json_t *rpc_param(json_t *params, size_t i)
{
    json_t *v = json_array_get(params, i);
    return v && !json_is_null(v) ? v : NULL;
}

void jsonrpc_usage(const struct rpc_method *m, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "%s", m->name);
    for (size_t i = 0; m->arg_names && m->arg_names[i] && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, " %s", m->arg_names[i]);
}

static size_t arg_count(const struct rpc_method *m)
{
    size_t n = 0;
    while (m->arg_names && m->arg_names[n]) n++;
    return n;
}

/* The envelope's reply for one call; NULL for a notification. */
static json_t *call_reply(const struct rpc_call *c)
{
    if (c->notification) return NULL;
    json_t *id = c->id ? json_incref(c->id) : json_null();
    json_t *result = c->result ? json_incref(c->result) : NULL;
    json_t *error = c->error ? json_incref(c->error) : NULL;
    if (!result && !error)
        error = json_pack("{s:i,s:s}", "code", RPC_INTERNAL_ERROR, "message", "no result");
    if (c->version == RPC_V2) {
        json_t *r = json_object();
        json_object_set_new(r, "jsonrpc", json_string("2.0"));
        json_object_set_new(r, result ? "result" : "error", result ? result : error);
        json_object_set_new(r, "id", id);
        return r;
    }
    json_t *r = json_object();
    json_object_set_new(r, "result", result ? result : json_null());
    json_object_set_new(r, "error", error ? error : json_null());
    json_object_set_new(r, "id", id);
    return r;
}

/* bitcoind: legacy errors are 500, but 400 for an invalid request and 404
 * for an unknown method; 2.0 replies are 200. */
static int call_status(const struct rpc_call *c)
{
    if (c->version == RPC_V2 || !c->error) return 200;
    json_int_t code = json_integer_value(json_object_get(c->error, "code"));
    if (code == RPC_INVALID_REQUEST) return 400;
    if (code == RPC_METHOD_NOT_FOUND) return 404;
    return 500;
}

static void batch_free(struct rpc_batch *b)
{
    for (size_t i = 0; i < b->n_calls; i++) {
        json_decref(b->calls[i].id);
        json_decref(b->calls[i].result);
        json_decref(b->calls[i].error);
    }
    free(b->calls);
    free(b);
}

static void send_json(rpc_reply_fn reply, void *arg, int status, json_t *body)
{
    /* bitcoind writes a double with 16 significant digits (UniValue's
     * setprecision(16)); jansson's default 17 differs in the last place. */
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(16)) : NULL;
    if (body && !text) {
        reply(arg, 500, "{\"result\":null,\"error\":{\"code\":-7,\"message\":\"Out of memory\"},\"id\":null}");
    } else if (text) {
        size_t n = strlen(text);
        char *line = malloc(n + 2); /* bitcoind ends the body with a newline */
        if (line) {
            memcpy(line, text, n);
            memcpy(line + n, "\n", 2);
        }
        reply(arg, status, line ? line : text);
        free(line);
    } else {
        reply(arg, status, NULL);
    }
    free(text);
    json_decref(body);
}

static void batch_complete(struct rpc_batch *b)
{
    if (!b->abandoned) {
        if (b->is_batch) {
            json_t *arr = json_array();
            for (size_t i = 0; i < b->n_calls; i++) {
                json_t *r = call_reply(&b->calls[i]);
                if (r) json_array_append_new(arr, r);
            }
            if (json_array_size(arr) == 0 && b->n_calls > 0) {
                json_decref(arr);
                send_json(b->reply, b->arg, 204, NULL);
            } else {
                send_json(b->reply, b->arg, 200, arr);
            }
        } else {
            json_t *r = call_reply(&b->calls[0]);
            send_json(b->reply, b->arg, r ? call_status(&b->calls[0]) : 204, r);
        }
    }
    batch_free(b);
}

static void batch_release(struct rpc_batch *b)
{
    if (--b->pending == 0) batch_complete(b);
}

void rpc_call_finish(struct rpc_call *c)
{
    if (!c->answered) rpc_call_error(c, RPC_INTERNAL_ERROR, "no result");
    batch_release(c->batch);
}

void jsonrpc_abandon(struct rpc_batch *b)
{
    if (b) b->abandoned = true;
}

static const struct rpc_method *find_method(const struct rpc_method *methods, size_t n,
                                            const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(methods[i].name, name) == 0) return &methods[i];
    return NULL;
}

/* Named parameters in the method's order; NULL with an error set if a name
 * is unknown. */
static json_t *positional(struct rpc_call *c, json_t *params)
{
    if (!params) return json_array();
    if (json_is_array(params)) return json_incref(params);
    size_t n = arg_count(c->method);
    json_t *arr = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value) {
        size_t i = 0;
        while (i < n && strcmp(c->method->arg_names[i], key) != 0) i++;
        if (i == n) {
            rpc_call_error(c, RPC_INVALID_PARAMETER, "Unknown named parameter %s", key);
            json_decref(arr);
            return NULL;
        }
        while (json_array_size(arr) <= i) json_array_append_new(arr, json_null());
        json_array_set(arr, i, value);
    }
    return arr;
}

/* Check one request object and run it. */
static void run_call(struct rpc_call *c, json_t *req, const struct rpc_method *methods,
                     size_t n_methods, void *ctx)
{
    c->version = RPC_V1;
    if (!json_is_object(req)) {
        rpc_call_error(c, RPC_INVALID_REQUEST, "Invalid Request object");
        return;
    }
    json_t *id = json_object_get(req, "id");
    c->id = id ? json_incref(id) : NULL;
    json_t *ver = json_object_get(req, "jsonrpc");
    if (ver) {
        if (json_is_string(ver) && strcmp(json_string_value(ver), "2.0") == 0) {
            c->version = RPC_V2;
            c->notification = id == NULL;
        } else if (!json_is_string(ver) || strcmp(json_string_value(ver), "1.0") != 0) {
            rpc_call_error(c, RPC_INVALID_REQUEST, "JSON-RPC version not supported");
            return;
        }
    }
    json_t *method = json_object_get(req, "method");
    if (!method) {
        rpc_call_error(c, RPC_INVALID_REQUEST, "Missing method");
        return;
    }
    if (!json_is_string(method)) {
        rpc_call_error(c, RPC_INVALID_REQUEST, "Method must be a string");
        return;
    }
    json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_object(params) && !json_is_null(params)) {
        rpc_call_error(c, RPC_INVALID_REQUEST, "Params must be an array or object");
        return;
    }
    if (json_is_null(params)) params = NULL;
    c->method = find_method(methods, n_methods, json_string_value(method));
    if (!c->method) {
        rpc_call_error(c, RPC_METHOD_NOT_FOUND, "Method not found");
        return;
    }
    json_t *args = positional(c, params);
    if (!args) return;
    if (json_array_size(args) > arg_count(c->method)) {
        char *help = rpc_help_text(c->method);
        if (help)
            rpc_call_error_text(c, RPC_MISC_ERROR, help);
        else
            rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        free(help);
        json_decref(args);
        return;
    }
    c->batch->pending++;
    enum rpc_status st = c->method->fn(c, args, ctx);
    json_decref(args);
    if (st == RPC_DONE) rpc_call_finish(c);
}

struct rpc_batch *jsonrpc_handle(const char *body, size_t len, const struct rpc_method *methods,
                                 size_t n_methods, void *ctx, rpc_reply_fn reply, void *arg)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root || (!json_is_object(root) && !json_is_array(root))) {
        json_decref(root);
        send_json(reply, arg, 500,
                  json_pack("{s:n,s:{s:i,s:s},s:n}", "result", "error", "code", RPC_PARSE_ERROR,
                            "message", root ? "Top-level object parse error" : "Parse error", "id"));
        return NULL;
    }
    struct rpc_batch *b = calloc(1, sizeof *b);
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    if (b) b->calls = calloc(n ? n : 1, sizeof *b->calls);
    if (!b || !b->calls) {
        free(b);
        json_decref(root);
        send_json(reply, arg, 500,
                  json_pack("{s:n,s:{s:i,s:s},s:n}", "result", "error", "code", RPC_OUT_OF_MEMORY,
                            "message", "Out of memory", "id"));
        return NULL;
    }
    b->is_batch = json_is_array(root);
    b->n_calls = n;
    b->reply = reply;
    b->arg = arg;
    b->pending = 1; /* the loop's own reference */
    for (size_t i = 0; i < n; i++) {
        b->calls[i].batch = b;
        run_call(&b->calls[i], b->is_batch ? json_array_get(root, i) : root, methods, n_methods, ctx);
    }
    json_decref(root);
    bool done = b->pending == 1;
    batch_release(b);
    return done ? NULL : b;
}
