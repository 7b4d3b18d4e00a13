/* Helpers of the tests of the RPC server (test_rpc*.c): a regtest btcpeerd
 * with its RPC on a free port (rpct_start, plus extra flags), raw HTTP
 * requests (any method, any credentials, any length, sent and read apart),
 * calls with its cookie, and bitcoind's result shapes as key lists to check
 * a result against (SHAPE). Every wait has a deadline (RPCT_WAIT_MS). */
#ifndef BTCPEERD_RPC_TESTLIB_H
#define BTCPEERD_RPC_TESTLIB_H

#include "harness.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPCT_WAIT_MS 10000

struct rpct_daemon {
    struct daemon_proc d;
    uint16_t rpc_port;
    char cookie[128];
    char cookie_path[256];
};

/* A raw HTTP/1.1 exchange on 127.0.0.1 (Connection: close). */
struct rpct_http_reply {
    int status;
    char *head; /* status line and headers */
    char *body;
};
void rpct_http_reply_free(struct rpct_http_reply *h);
int rpct_http_connect(uint16_t port);
/* Send one request (auth "user:pass", or NULL for none) and return the
 * socket, so a test may hold it or read it later. */
int rpct_http_send(uint16_t port, const char *method, const char *auth, const char *body,
                   size_t len);
/* Read the whole reply (the server closes after it) and close fd. */
void rpct_http_recv(int fd, struct rpct_http_reply *h, unsigned timeout_ms);
/* POST body (a string) with auth; the reply within RPCT_WAIT_MS. */
void rpct_http_post(uint16_t port, const char *auth, const char *body, struct rpct_http_reply *h);

/* extra: more flags (NULL-terminated, at most 14), or NULL. */
void rpct_start(struct rpct_daemon *r, const char *const *extra);
void rpct_stop(struct rpct_daemon *r);
/* POST body with the cookie; the reply's body (caller frees). */
char *rpct_post(struct rpct_daemon *r, const char *body);
/* A 2.0 call (params: a JSON array or object text, NULL for none): HTTP
 * 200 (fails the test otherwise), the whole reply (caller decrefs). */
json_t *rpct_call(struct rpct_daemon *r, const char *method, const char *params);
/* The result of a call that must succeed; the code and message of one that
 * must fail (each fails the test otherwise). */
json_t *rpct_result(json_t *reply);
json_int_t rpct_error_code(json_t *reply);
const char *rpct_error_message(json_t *reply);

/* bitcoind's RPCResult types as JSON: NUM and NUM_TIME are numbers, which
 * UniValue does not split into integer and real (J_NUM takes either;
 * J_INT is a NUM bitcoind fills from an integer). */
enum jtype { J_STR, J_INT, J_NUM, J_BOOL, J_ARR, J_OBJ };
struct key_spec {
    const char *key;
    enum jtype type;
    bool optional;
};

/* obj has every required key with its type, optional ones typed when
 * present, and no key bitcoind does not document. */
void rpct_assert_shape(json_t *obj, const struct key_spec *spec, size_t n, const char *what);
#define SHAPE(obj, spec, what)                                                                     \
    rpct_assert_shape((obj), (spec), sizeof(spec) / sizeof((spec)[0]), (what))

#endif
