/* The SOCKS5 client codec: every request it writes, byte for byte; every
 * bound-address type in a reply; replies split at every byte; every reply
 * code; bad versions, methods and address types; and that it never eats
 * the tunnelled bytes after the CONNECT reply. */
#include "testutil.h"

#include <btcpeerd/socks5.h>

#include <string.h>

static const uint8_t ok_v4_reply[] = {5, 0, 0, 1, 127, 0, 0, 1, 0x20, 0x8d};

static void start(struct socks5 *s, const char *host, uint16_t port, const char *user,
                  const char *pass, struct buf_writer *out)
{
    struct socks5_addr t;
    assert_int_equal(socks5_addr_from_host(&t, host, port), SOCKS5_OK);
    assert_int_equal(socks5_init(s, &t, user, pass), SOCKS5_OK);
    buf_writer_init(out);
    assert_int_equal(socks5_start(s, out), SOCKS5_OK);
}

static enum socks5_status feed(struct socks5 *s, const uint8_t *in, size_t len,
                               struct buf_writer *out)
{
    size_t used = 0;
    enum socks5_status st = socks5_read(s, in, len, &used, out);
    if (st == SOCKS5_NEED_MORE) assert_int_equal(used, len);
    return st;
}

static void expect_bytes(struct buf_writer *out, const uint8_t *want, size_t len)
{
    assert_int_equal(out->len, len);
    assert_memory_equal(out->data, want, len);
    buf_writer_reset(out);
}

static void test_greeting_noauth_then_connect_ipv4(void **state)
{
    (void)state;
    struct socks5 s;
    struct buf_writer out;
    start(&s, "1.2.3.4", 8333, NULL, NULL, &out);
    expect_bytes(&out, (const uint8_t[]){5, 1, 0}, 3);
    assert_int_equal(feed(&s, (const uint8_t[]){5, 0}, 2, &out), SOCKS5_NEED_MORE);
    expect_bytes(&out, (const uint8_t[]){5, 1, 0, 1, 1, 2, 3, 4, 0x20, 0x8d}, 10);
    assert_int_equal(s.state, SOCKS5_STATE_CONNECT);
    assert_int_equal(feed(&s, ok_v4_reply, sizeof ok_v4_reply, &out), SOCKS5_DONE);
    assert_int_equal(s.bound.atyp, SOCKS5_ATYP_IPV4);
    assert_memory_equal(s.bound.ip, ((const uint8_t[]){127, 0, 0, 1}), 4);
    assert_int_equal(s.bound.port, 8333);
    assert_int_equal(out.len, 0);
    buf_writer_free(&out);
}

static void test_connect_ipv6(void **state)
{
    (void)state;
    struct socks5 s;
    struct buf_writer out;
    start(&s, "2001:db8::1", 18444, NULL, NULL, &out);
    buf_writer_reset(&out);
    assert_int_equal(feed(&s, (const uint8_t[]){5, 0}, 2, &out), SOCKS5_NEED_MORE);
    uint8_t want[4 + 16 + 2] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8};
    want[19] = 1;
    want[20] = 0x48;
    want[21] = 0x0c;
    expect_bytes(&out, want, sizeof want);
    /* a bound IPv6 address */
    uint8_t reply[22] = {5, 0, 0, 4, 0xfe, 0x80};
    reply[19] = 9;
    reply[20] = 0x01;
    reply[21] = 0x02;
    assert_int_equal(feed(&s, reply, sizeof reply, &out), SOCKS5_DONE);
    assert_int_equal(s.bound.atyp, SOCKS5_ATYP_IPV6);
    assert_int_equal(s.bound.ip[0], 0xfe);
    assert_int_equal(s.bound.ip[15], 9);
    assert_int_equal(s.bound.port, 0x0102);
    buf_writer_free(&out);
}

static void test_connect_domain_and_onion(void **state)
{
    (void)state;
    const char *names[] = {"localhost", "seed.bitcoin.sipa.be",
                           "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"};
    for (size_t i = 0; i < 3; i++) {
        struct socks5 s;
        struct buf_writer out;
        start(&s, names[i], 8333, NULL, NULL, &out);
        assert_int_equal(s.target.atyp, SOCKS5_ATYP_DOMAIN);
        buf_writer_reset(&out);
        assert_int_equal(feed(&s, (const uint8_t[]){5, 0}, 2, &out), SOCKS5_NEED_MORE);
        size_t n = strlen(names[i]);
        assert_int_equal(out.len, 4 + 1 + n + 2);
        assert_memory_equal(out.data, ((const uint8_t[]){5, 1, 0, 3}), 4);
        assert_int_equal(out.data[4], n);
        assert_memory_equal(out.data + 5, names[i], n);
        assert_int_equal(out.data[5 + n], 0x20);
        assert_int_equal(out.data[6 + n], 0x8d);
        /* a bound domain name */
        uint8_t reply[] = {5, 0, 0, 3, 4, 'a', 'b', 'c', 'd', 0, 80};
        assert_int_equal(feed(&s, reply, sizeof reply, &out), SOCKS5_DONE);
        assert_int_equal(s.bound.atyp, SOCKS5_ATYP_DOMAIN);
        assert_string_equal(s.bound.name, "abcd");
        assert_int_equal(s.bound.port, 80);
        buf_writer_free(&out);
    }
}

static void test_userpass_auth(void **state)
{
    (void)state;
    struct socks5 s;
    struct buf_writer out;
    start(&s, "10.0.0.1", 8333, "alice", "secret", &out);
    expect_bytes(&out, (const uint8_t[]){5, 2, 0, 2}, 4);
    assert_int_equal(feed(&s, (const uint8_t[]){5, 2}, 2, &out), SOCKS5_NEED_MORE);
    expect_bytes(&out, (const uint8_t *)"\x01\x05" "alice" "\x06" "secret", 14);
    assert_int_equal(s.state, SOCKS5_STATE_AUTH);
    assert_int_equal(feed(&s, (const uint8_t[]){1, 0}, 2, &out), SOCKS5_NEED_MORE);
    assert_int_equal(s.state, SOCKS5_STATE_CONNECT);
    assert_int_equal(out.len, 10);
    assert_int_equal(feed(&s, ok_v4_reply, sizeof ok_v4_reply, &out), SOCKS5_DONE);
    buf_writer_free(&out);
}

static void test_userpass_offered_noauth_chosen(void **state)
{
    (void)state;
    struct socks5 s;
    struct buf_writer out;
    start(&s, "10.0.0.1", 8333, "u", "p", &out);
    buf_writer_reset(&out);
    assert_int_equal(feed(&s, (const uint8_t[]){5, 0}, 2, &out), SOCKS5_NEED_MORE);
    assert_int_equal(s.state, SOCKS5_STATE_CONNECT); /* straight to CONNECT */
    assert_int_equal(out.data[0], 5);
    assert_int_equal(out.data[1], 1);
    buf_writer_free(&out);
}

/* The whole conversation, the proxy's bytes cut into pieces of every size. */
static void test_partial_reads(void **state)
{
    (void)state;
    uint8_t proxy[2 + 2 + 4 + 1 + 255 + 2];
    size_t plen = 0;
    proxy[plen++] = 5;
    proxy[plen++] = 2;
    proxy[plen++] = 1;
    proxy[plen++] = 0;
    memcpy(proxy + plen, (const uint8_t[]){5, 0, 0, 3, 255}, 5);
    plen += 5;
    memset(proxy + plen, 'x', 255);
    plen += 255;
    proxy[plen++] = 1;
    proxy[plen++] = 2;
    for (size_t chunk = 1; chunk <= plen; chunk++) {
        struct socks5 s;
        struct buf_writer out;
        start(&s, "example.org", 8333, "u", "p", &out);
        enum socks5_status st = SOCKS5_NEED_MORE;
        size_t at = 0;
        while (at < plen) {
            size_t n = plen - at < chunk ? plen - at : chunk, used = 0;
            st = socks5_read(&s, proxy + at, n, &used, &out);
            assert_int_not_equal(st, SOCKS5_FAILED);
            at += used;
            if (st == SOCKS5_DONE) break;
            assert_int_equal(used, n);
        }
        assert_int_equal(st, SOCKS5_DONE);
        assert_int_equal(at, plen);
        assert_int_equal(strlen(s.bound.name), 255);
        assert_int_equal(s.bound.port, 0x0102);
        /* greeting, auth, connect */
        assert_int_equal(out.len, 4 + 5 + (5 + 11 + 2));
        buf_writer_free(&out);
    }
}

static void test_stops_at_end_of_reply(void **state)
{
    (void)state;
    struct socks5 s;
    struct buf_writer out;
    start(&s, "1.2.3.4", 8333, NULL, NULL, &out);
    uint8_t in[2 + sizeof ok_v4_reply + 3];
    in[0] = 5;
    in[1] = 0;
    memcpy(in + 2, ok_v4_reply, sizeof ok_v4_reply);
    memcpy(in + 2 + sizeof ok_v4_reply, "\xf9\xbe\xb4", 3); /* the tunnel's first bytes */
    size_t used = 0;
    assert_int_equal(socks5_read(&s, in, sizeof in, &used, &out), SOCKS5_DONE);
    assert_int_equal(used, 2 + sizeof ok_v4_reply);
    /* Done stays done and eats nothing. */
    assert_int_equal(socks5_read(&s, in, sizeof in, &used, &out), SOCKS5_DONE);
    assert_int_equal(used, 0);
    buf_writer_free(&out);
}

static void test_every_reply_code(void **state)
{
    (void)state;
    static const struct {
        uint8_t rep;
        enum socks5_err err;
    } codes[] = {
        {1, SOCKS5_ERR_GENERAL},           {2, SOCKS5_ERR_NOT_ALLOWED},
        {3, SOCKS5_ERR_NET_UNREACHABLE},   {4, SOCKS5_ERR_HOST_UNREACHABLE},
        {5, SOCKS5_ERR_REFUSED},           {6, SOCKS5_ERR_TTL_EXPIRED},
        {7, SOCKS5_ERR_CMD_UNSUPPORTED},   {8, SOCKS5_ERR_ATYP_UNSUPPORTED},
        {9, SOCKS5_ERR_UNKNOWN_REPLY},     {0x42, SOCKS5_ERR_UNKNOWN_REPLY},
        {0xf0, SOCKS5_ERR_ONION_NOT_FOUND}, {0xf1, SOCKS5_ERR_ONION_INVALID},
        {0xf2, SOCKS5_ERR_ONION_INTRO_FAILED}, {0xf3, SOCKS5_ERR_ONION_REND_FAILED},
        {0xf4, SOCKS5_ERR_ONION_AUTH_MISSING}, {0xf5, SOCKS5_ERR_ONION_AUTH_WRONG},
        {0xf6, SOCKS5_ERR_ONION_BAD_ADDRESS}, {0xf7, SOCKS5_ERR_ONION_INTRO_TIMEOUT},
        {0xff, SOCKS5_ERR_UNKNOWN_REPLY},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct socks5 s;
        struct buf_writer out;
        start(&s, "1.2.3.4", 8333, NULL, NULL, &out);
        assert_int_equal(feed(&s, (const uint8_t[]){5, 0}, 2, &out), SOCKS5_NEED_MORE);
        /* Two bytes are enough to fail: proxies often close after them. */
        assert_int_equal(feed(&s, (const uint8_t[]){5, codes[i].rep}, 2, &out), SOCKS5_FAILED);
        assert_int_equal(s.err, codes[i].err);
        assert_int_equal(s.state, SOCKS5_STATE_FAILED);
        assert_string_not_equal(socks5_err_str(s.err), "unknown");
        /* Failed stays failed. */
        size_t used = 9;
        assert_int_equal(socks5_read(&s, ok_v4_reply, sizeof ok_v4_reply, &used, &out), SOCKS5_FAILED);
        assert_int_equal(used, 0);
        buf_writer_free(&out);
    }
}

static void expect_fail(const char *user, const uint8_t *first, size_t first_len,
                        const uint8_t *second, size_t second_len, enum socks5_err err)
{
    struct socks5 s;
    struct buf_writer out;
    start(&s, "1.2.3.4", 8333, user, user ? "pw" : NULL, &out);
    enum socks5_status st = feed(&s, first, first_len, &out);
    if (second) {
        assert_int_equal(st, SOCKS5_NEED_MORE);
        st = feed(&s, second, second_len, &out);
    }
    assert_int_equal(st, SOCKS5_FAILED);
    assert_int_equal(s.err, err);
    buf_writer_free(&out);
}

static void test_bad_versions_methods_and_types(void **state)
{
    (void)state;
    /* method choice: SOCKS4 answer, refused, unoffered methods */
    expect_fail(NULL, (const uint8_t[]){4, 0}, 2, NULL, 0, SOCKS5_ERR_BAD_VERSION);
    expect_fail(NULL, (const uint8_t[]){5, 0xff}, 2, NULL, 0, SOCKS5_ERR_NO_METHOD);
    expect_fail(NULL, (const uint8_t[]){5, 2}, 2, NULL, 0, SOCKS5_ERR_BAD_METHOD);
    expect_fail("u", (const uint8_t[]){5, 1}, 2, NULL, 0, SOCKS5_ERR_BAD_METHOD);
    /* auth status */
    expect_fail("u", (const uint8_t[]){5, 2}, 2, (const uint8_t[]){5, 0}, 2, SOCKS5_ERR_AUTH_VERSION);
    expect_fail("u", (const uint8_t[]){5, 2}, 2, (const uint8_t[]){1, 1}, 2, SOCKS5_ERR_AUTH_FAILED);
    /* CONNECT reply: version, reserved byte, address type */
    expect_fail(NULL, (const uint8_t[]){5, 0}, 2, (const uint8_t[]){4}, 1, SOCKS5_ERR_BAD_VERSION);
    expect_fail(NULL, (const uint8_t[]){5, 0}, 2, (const uint8_t[]){5, 0, 1}, 3, SOCKS5_ERR_BAD_RESERVED);
    expect_fail(NULL, (const uint8_t[]){5, 0}, 2, (const uint8_t[]){5, 0, 0, 2}, 4, SOCKS5_ERR_BAD_ATYP);
}

static void test_bad_targets_and_calls(void **state)
{
    (void)state;
    struct socks5_addr t;
    assert_int_equal(socks5_addr_from_host(&t, "", 1), SOCKS5_ERR_BAD_TARGET);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(socks5_addr_from_host(&t, longname, 1), SOCKS5_ERR_BAD_TARGET);
    longname[255] = '\0';
    assert_int_equal(socks5_addr_from_host(&t, longname, 1), SOCKS5_OK);
    struct socks5 s;
    assert_int_equal(socks5_init(&s, &t, "", "x"), SOCKS5_ERR_BAD_TARGET);
    assert_int_equal(socks5_init(&s, &t, longname, "x"), SOCKS5_OK);
    longname[255] = 'a';
    longname[256] = '\0';
    assert_int_equal(socks5_init(&s, &t, "x", longname), SOCKS5_ERR_BAD_TARGET);
    /* read before start, start twice */
    assert_int_equal(socks5_init(&s, &t, NULL, NULL), SOCKS5_OK);
    size_t used;
    struct buf_writer out;
    buf_writer_init(&out);
    assert_int_equal(socks5_read(&s, (const uint8_t[]){5, 0}, 2, &used, &out), SOCKS5_FAILED);
    assert_int_equal(s.err, SOCKS5_ERR_STATE);
    assert_int_equal(socks5_init(&s, &t, NULL, NULL), SOCKS5_OK);
    assert_int_equal(socks5_start(&s, &out), SOCKS5_OK);
    assert_int_equal(socks5_start(&s, &out), SOCKS5_ERR_STATE);
    buf_writer_free(&out);
    assert_string_equal(socks5_state_str(SOCKS5_STATE_AUTH), "auth");
    assert_string_equal(socks5_err_str(SOCKS5_ERR_REFUSED), "connection-refused");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_noauth_then_connect_ipv4),
        cmocka_unit_test(test_connect_ipv6),
        cmocka_unit_test(test_connect_domain_and_onion),
        cmocka_unit_test(test_userpass_auth),
        cmocka_unit_test(test_userpass_offered_noauth_chosen),
        cmocka_unit_test(test_partial_reads),
        cmocka_unit_test(test_stops_at_end_of_reply),
        cmocka_unit_test(test_every_reply_code),
        cmocka_unit_test(test_bad_versions_methods_and_types),
        cmocka_unit_test(test_bad_targets_and_calls),
    };
    return test_run_group(tests);
}
