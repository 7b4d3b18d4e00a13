/* JSON-RPC parse and dispatch without sockets: 1.0 and 2.0 envelopes and
 * ids, notifications, batches, named parameters, bitcoind's HTTP statuses,
 * malformed bodies, and calls answered later (a pending method). */
#include "rpc/jsonrpc.h"
#include "rpc/rpc_internal.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

struct reply {
    int calls;
    int status;
    json_t *body; /* NULL for 204 */
};

static void on_reply(void *arg, int status, const char *body)
{
    struct reply *r = arg;
    r->calls++;
    r->status = status;
    json_decref(r->body);
    r->body = NULL;
    if (body) {
        json_error_t err;
        r->body = json_loads(body, 0, &err);
        assert_non_null(r->body);
        assert_true(body[strlen(body) - 1] == '\n');
    }
}

static struct rpc_call *held; /* the pending method's call */

static enum rpc_status m_echo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)ctx;
    rpc_call_result(c, json_incref(params));
    return RPC_DONE;
}

static enum rpc_status m_fail(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    (void)ctx;
    rpc_call_error(c, RPC_INVALID_PARAMETER, "bad %s", "thing");
    return RPC_DONE;
}

/* An error quoting its parameter, as getblockheader quotes a bad hash. */
static enum rpc_status m_quote(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)ctx;
    rpc_call_error(c, RPC_INVALID_PARAMETER, "bad '%s'", json_string_value(json_array_get(params, 0)));
    return RPC_DONE;
}

/* Its first parameter through rpc_get_int. */
static enum rpc_status m_int(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)ctx;
    int64_t v;
    if (rpc_get_int(c, params, 0, 0, &v)) rpc_call_result(c, json_integer((json_int_t)v));
    return RPC_DONE;
}

static enum rpc_status m_later(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    (void)ctx;
    held = c;
    return RPC_PENDING;
}

static const char *const echo_args[] = {"a", "b", "c", NULL};

static const struct rpc_method methods[] = {
    {"echo", "Test", m_echo, echo_args, "returns its parameters"},
    {"fail", "Test", m_fail, NULL, "always an error"},
    {"later", "Test", m_later, NULL, "answers later"},
    {"quote", "Test", m_quote, echo_args, "an error quoting its parameter"},
    {"int", "Test", m_int, echo_args, "its integer parameter"},
};
#define N_METHODS (sizeof methods / sizeof methods[0])

static void run(const char *body, struct reply *r)
{
    memset(r, 0, sizeof *r);
    struct rpc_batch *b = jsonrpc_handle(body, strlen(body), methods, N_METHODS, NULL, on_reply, r);
    assert_null(b);
    assert_int_equal(r->calls, 1);
}

static void test_v1_request_has_result_error_and_id(void **state)
{
    (void)state;
    struct reply r;
    run("{\"jsonrpc\":\"1.0\",\"id\":\"curltest\",\"method\":\"echo\",\"params\":[1,\"x\"]}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.body, "id")), "curltest");
    assert_true(json_is_null(json_object_get(r.body, "error")));
    assert_int_equal(json_array_size(json_object_get(r.body, "result")), 2);
    assert_null(json_object_get(r.body, "jsonrpc"));
    json_decref(r.body);

    /* no "jsonrpc" at all is 1.0 too; no id gives id null, still a reply */
    run("{\"method\":\"echo\"}", &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_null(json_object_get(r.body, "id")));
    assert_int_equal(json_array_size(json_object_get(r.body, "result")), 0);
    json_decref(r.body);
}

static void test_v1_errors_use_bitcoinds_http_statuses(void **state)
{
    (void)state;
    struct reply r;
    run("{\"id\":1,\"method\":\"fail\"}", &r);
    assert_int_equal(r.status, 500);
    assert_true(json_is_null(json_object_get(r.body, "result")));
    json_t *e = json_object_get(r.body, "error");
    assert_int_equal(json_integer_value(json_object_get(e, "code")), RPC_INVALID_PARAMETER);
    assert_string_equal(json_string_value(json_object_get(e, "message")), "bad thing");
    json_decref(r.body);

    run("{\"id\":1,\"method\":\"nosuch\"}", &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                     RPC_METHOD_NOT_FOUND);
    json_decref(r.body);

    run("{\"id\":1}", &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                     RPC_INVALID_REQUEST);
    json_decref(r.body);

    run("{\"id\":1,\"method\":\"echo\",\"params\":\"notanarray\"}", &r);
    assert_int_equal(r.status, 400);
    json_decref(r.body);
}

/* A message cut at 512 bytes in the middle of a 2-byte character (300 "é"
 * after "bad '": the cut lands inside one) stays an error with its code and
 * 500, its text cut on a character boundary. */
static void test_long_error_is_cut_on_a_utf8_boundary(void **state)
{
    (void)state;
    for (size_t prefix = 0; prefix < 4; prefix++) { /* every parity of the cut */
        char body[1024];
        size_t len = (size_t)snprintf(body, sizeof body, "{\"id\":1,\"method\":\"quote\",\"params\":[\"");
        for (size_t i = 0; i < prefix; i++) body[len++] = 'x';
        for (size_t i = 0; i < 300; i++) len += (size_t)snprintf(body + len, sizeof body - len, "\xc3\xa9");
        snprintf(body + len, sizeof body - len, "\"]}");
        struct reply r;
        run(body, &r);
        assert_int_equal(r.status, 500);
        json_t *e = json_object_get(r.body, "error");
        if (json_integer_value(json_object_get(e, "code")) != RPC_INVALID_PARAMETER)
            fail_msg("%s", json_dumps(r.body, 0));
        const char *msg = json_string_value(json_object_get(e, "message"));
        assert_non_null(msg);
        assert_true(strlen(msg) >= 509 && strlen(msg) <= 511);
        assert_memory_equal(msg, "bad '", 5);
        json_decref(r.body);
    }
}

/* Integers given as doubles: whole ones inside int64_t are taken, others
 * (outside the range, where a cast is undefined) refused. */
static void test_int_parameter_as_double_checks_the_range(void **state)
{
    (void)state;
    static const struct {
        const char *param;
        bool ok;
        json_int_t value;
    } cases[] = {
        {"3.0", true, 3},
        {"-9223372036854775808.0", true, INT64_MIN},
        {"9.2233720368547748e18", true, 9223372036854774784},
        {"9223372036854775808.0", false, 0},
        {"1e19", false, 0},
        {"-1e300", false, 0},
        {"1e300", false, 0},
        {"2.5", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"int\",\"params\":[%s]}",
                 cases[i].param);
        struct reply r;
        run(body, &r);
        json_t *res = json_object_get(r.body, "result");
        if (cases[i].ok) {
            if (!json_is_integer(res)) fail_msg("%s: %s", cases[i].param, json_dumps(r.body, 0));
            assert_true(json_integer_value(res) == cases[i].value);
        } else {
            if (res) fail_msg("%s accepted: %s", cases[i].param, json_dumps(r.body, 0));
            assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                             RPC_TYPE_ERROR);
        }
        json_decref(r.body);
    }
}

static void test_v2_request_has_result_or_error_and_200(void **state)
{
    (void)state;
    struct reply r;
    run("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\",\"params\":[true]}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.body, "jsonrpc")), "2.0");
    assert_int_equal(json_integer_value(json_object_get(r.body, "id")), 7);
    assert_non_null(json_object_get(r.body, "result"));
    assert_null(json_object_get(r.body, "error"));
    json_decref(r.body);

    run("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"nosuch\"}", &r);
    assert_int_equal(r.status, 200);
    assert_null(json_object_get(r.body, "result"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                     RPC_METHOD_NOT_FOUND);
    json_decref(r.body);

    /* a notification (2.0 without id) runs but gets no body */
    run("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}", &r);
    assert_int_equal(r.status, 204);
    assert_null(r.body);

    run("{\"jsonrpc\":\"3.0\",\"id\":1,\"method\":\"echo\"}", &r);
    assert_int_equal(r.status, 400);
    json_decref(r.body);
}

static void test_batch_mixes_versions_and_skips_notifications(void **state)
{
    (void)state;
    struct reply r;
    run("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1]},"
        "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
        "{\"id\":\"b\",\"method\":\"fail\"},"
        "42,"
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"nosuch\"}]",
        &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_array(r.body));
    assert_int_equal(json_array_size(r.body), 4);
    json_t *a = json_array_get(r.body, 0), *b = json_array_get(r.body, 1);
    json_t *c = json_array_get(r.body, 2), *d = json_array_get(r.body, 3);
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "jsonrpc")), "2.0");
    assert_string_equal(json_string_value(json_object_get(b, "id")), "b");
    assert_true(json_is_null(json_object_get(b, "result"))); /* 1.0 shape in a batch */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "error"), "code")),
                     RPC_INVALID_REQUEST);
    assert_true(json_is_null(json_object_get(d, "id"))); /* id null is not a notification */
    json_decref(r.body);

    run("[]", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(r.body), 0);
    json_decref(r.body);
}

static void test_malformed_bodies_get_parse_error(void **state)
{
    (void)state;
    static const char *const bodies[] = {"", "{", "{\"id\":1,", "nul", "[1,2", "\"just a string\"",
                                         "12", "{\"a\":1,\"a\":2}", "\xff\xfe"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct reply r;
        run(bodies[i], &r);
        assert_int_equal(r.status, 500);
        assert_true(json_is_null(json_object_get(r.body, "id")));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                         RPC_PARSE_ERROR);
        json_decref(r.body);
    }
    /* embedded NUL: the body is taken by length, not as a C string */
    struct reply r = {0};
    assert_null(jsonrpc_handle("{\"method\":\"echo\"}\0xx", 20, methods, 3, NULL, on_reply, &r));
    assert_int_equal(r.status, 500);
    json_decref(r.body);
}

static void test_named_parameters_take_their_positions(void **state)
{
    (void)state;
    struct reply r;
    run("{\"id\":1,\"method\":\"echo\",\"params\":{\"c\":3,\"a\":1}}", &r);
    json_t *res = json_object_get(r.body, "result");
    assert_int_equal(json_array_size(res), 3);
    assert_int_equal(json_integer_value(json_array_get(res, 0)), 1);
    assert_true(json_is_null(json_array_get(res, 1)));
    assert_int_equal(json_integer_value(json_array_get(res, 2)), 3);
    json_decref(r.body);

    run("{\"id\":1,\"method\":\"echo\",\"params\":{\"zzz\":1}}", &r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                     RPC_INVALID_PARAMETER);
    json_decref(r.body);

    run("{\"id\":1,\"method\":\"echo\",\"params\":[1,2,3,4]}", &r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.body, "error"), "code")),
                     RPC_MISC_ERROR);
    json_decref(r.body);
}

static void test_pending_call_replies_when_finished(void **state)
{
    (void)state;
    struct reply r = {0};
    const char *body = "[{\"id\":1,\"method\":\"later\"},{\"id\":2,\"method\":\"echo\",\"params\":[5]}]";
    held = NULL;
    struct rpc_batch *b = jsonrpc_handle(body, strlen(body), methods, 3, NULL, on_reply, &r);
    assert_non_null(b);
    assert_non_null(held);
    assert_int_equal(r.calls, 0);
    assert_string_equal(rpc_call_method(held), "later");
    rpc_call_result(held, json_string("done"));
    rpc_call_finish(held);
    assert_int_equal(r.calls, 1);
    assert_int_equal(json_array_size(r.body), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r.body, 0), "result")), "done");
    json_decref(r.body);
}

static void test_abandoned_batch_frees_without_reply(void **state)
{
    (void)state;
    struct reply r = {0};
    const char *body = "{\"id\":1,\"method\":\"later\"}";
    struct rpc_batch *b = jsonrpc_handle(body, strlen(body), methods, 3, NULL, on_reply, &r);
    assert_non_null(b);
    jsonrpc_abandon(b);
    rpc_call_error(held, RPC_MISC_ERROR, "too late");
    rpc_call_finish(held);
    assert_int_equal(r.calls, 0); /* and ASan/valgrind see no leak */
}

static void test_random_bodies_never_crash(void **state)
{
    (void)state;
    uint64_t seed = 7;
    static const char alphabet[] = "{}[]\":,0123456789.-eE truefalsnl\\u\"methodparamsidjsonrpc2";
    for (int round = 0; round < 2000; round++) {
        uint8_t rnd[64];
        char body[65];
        test_random_bytes(&seed, rnd, sizeof rnd);
        size_t len = rnd[0] % 64;
        for (size_t i = 0; i < len; i++) body[i] = alphabet[rnd[i + 1 > 63 ? 63 : i + 1] % (sizeof alphabet - 1)];
        body[len] = '\0';
        struct reply r = {0};
        struct rpc_batch *b = jsonrpc_handle(body, len, methods, 2, NULL, on_reply, &r);
        assert_null(b);
        assert_int_equal(r.calls, 1);
        json_decref(r.body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_request_has_result_error_and_id),
        cmocka_unit_test(test_v1_errors_use_bitcoinds_http_statuses),
        cmocka_unit_test(test_long_error_is_cut_on_a_utf8_boundary),
        cmocka_unit_test(test_int_parameter_as_double_checks_the_range),
        cmocka_unit_test(test_v2_request_has_result_or_error_and_200),
        cmocka_unit_test(test_batch_mixes_versions_and_skips_notifications),
        cmocka_unit_test(test_malformed_bodies_get_parse_error),
        cmocka_unit_test(test_named_parameters_take_their_positions),
        cmocka_unit_test(test_pending_call_replies_when_finished),
        cmocka_unit_test(test_abandoned_batch_frees_without_reply),
        cmocka_unit_test(test_random_bodies_never_crash),
    };
    return test_run_group(tests);
}
