/* Who may use the RPC: loopback always, --rpcallowip subnets, nobody else
 * (403); HTTP Basic credentials against the cookie and user:password. */
#include "rpc/rpc_internal.h"
#include "testutil.h"

#include <btcpeerd/hostport.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static bool allowed(const struct rpc_config *cfg, const char *ip)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_true(hostport_numeric(ip, 5555, &ss, &len));
    return rpc_client_allowed(cfg, (struct sockaddr *)&ss);
}

static void test_loopback_always_others_only_when_listed(void **state)
{
    (void)state;
    struct rpc_config cfg;
    rpc_config_default(&cfg, netparams_get(NET_REGTEST));
    assert_true(allowed(&cfg, "127.0.0.1"));
    assert_true(allowed(&cfg, "127.3.4.5"));
    assert_true(allowed(&cfg, "::1"));
    assert_true(allowed(&cfg, "::ffff:127.0.0.1"));
    assert_false(allowed(&cfg, "10.1.2.3"));
    assert_false(allowed(&cfg, "192.168.1.1"));
    assert_false(allowed(&cfg, "2001:db8::1"));

    assert_true(netaddr_subnet_parse("10.0.0.0/8", &cfg.allow[cfg.n_allow++]));
    assert_true(netaddr_subnet_parse("2001:db8::/32", &cfg.allow[cfg.n_allow++]));
    assert_true(allowed(&cfg, "10.1.2.3"));
    assert_true(allowed(&cfg, "::ffff:10.9.9.9"));
    assert_true(allowed(&cfg, "2001:db8::1"));
    assert_false(allowed(&cfg, "11.0.0.1"));
    assert_false(allowed(&cfg, "2001:db9::1"));
}

static void basic(const char *creds, char *out, size_t cap)
{
    unsigned char b64[512];
    EVP_EncodeBlock(b64, (const unsigned char *)creds, (int)strlen(creds));
    snprintf(out, cap, "Basic %s", b64);
}

static void test_basic_auth_cookie_and_user(void **state)
{
    (void)state;
    const char *cookie = "__cookie__:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char h[600];
    basic(cookie, h, sizeof h);
    assert_true(rpc_auth_ok(h, cookie, "", ""));
    assert_true(rpc_auth_ok(h, cookie, "alice", "pw"));
    basic("alice:pw", h, sizeof h);
    assert_true(rpc_auth_ok(h, cookie, "alice", "pw"));
    assert_false(rpc_auth_ok(h, cookie, "", ""));   /* no user configured */
    /* every length of padding decodes to exactly the credentials */
    static const char *const near[] = {"alice:p", "alice:pw2", "alice:pwx!", "alic:pw", "Alice:pw",
                                       "alice:", ":pw", "alice", ""};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
        basic(near[i], h, sizeof h);
        assert_false(rpc_auth_ok(h, cookie, "alice", "pw"));
    }
    static const char *const bad[] = {NULL, "", "Basic", "Basic ", "Bearer abc", "Basic !!!!",
                                      "Basic YWxpY2U6cHc", "basic YWxpY2U6cHc="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rpc_auth_ok(bad[i], cookie, "alice", "pw"));
    assert_true(rpc_auth_ok("Basic YWxpY2U6cHc= ", cookie, "alice", "pw")); /* "alice:pw" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_always_others_only_when_listed),
        cmocka_unit_test(test_basic_auth_cookie_and_user),
    };
    return test_run_group(tests);
}
