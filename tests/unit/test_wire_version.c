/* `version`: real bytes from Bitcoin Core v29 and from the Bitcoin developer
 * reference, the optional tail groups, the user-agent limit, and every
 * truncation. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* The example version message of the Bitcoin developer reference
 * (protocol 70002, /Satoshi:0.9.3/, height 329167). */
static const char devref_version_hex[] =
    "72110100"                         /* version 70002 */
    "0100000000000000"                 /* services NODE_NETWORK */
    "bc8f5e5400000000"                 /* time 1415483324 */
    "0100000000000000"                 /* addr_recv services */
    "00000000000000000000ffffc61b6409" /* 198.27.100.9 */
    "208d"                             /* port 8333 */
    "0100000000000000"                 /* addr_from services */
    "00000000000000000000ffffcb0071c0" /* 203.0.113.192 */
    "208d"
    "128035cbc97953f8"                 /* nonce */
    "0f2f5361746f7368693a302e392e332f" /* "/Satoshi:0.9.3/" */
    "cf050500"                         /* start height 329167 */
    "01";                              /* relay */

static void test_developer_reference_example(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = test_unhex(devref_version_hex, &len);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", p, len, &msg), WIRE_OK);
    const struct wire_version *v = &msg.u.version;
    assert_int_equal(v->version, 70002);
    assert_true(v->services == NODE_NETWORK);
    assert_int_equal(v->timestamp, 1415483324);
    assert_int_equal(v->addr_recv.net, WIRE_NET_IPV4);
    assert_memory_equal(v->addr_recv.addr, "\xc6\x1b\x64\x09", 4);
    assert_int_equal(v->addr_recv.port, 8333);
    assert_memory_equal(v->addr_from.addr, "\xcb\x00\x71\xc0", 4);
    assert_true(v->nonce == 0xf85379c9cb358012ull);
    assert_int_equal(v->user_agent_len, 15);
    assert_memory_equal(v->user_agent, "/Satoshi:0.9.3/", 15);
    assert_int_equal(v->start_height, 329167);
    assert_true(v->relay);
    assert_int_equal(v->n_optional, WIRE_VERSION_OPT_RELAY);
    wire_msg_free(&msg);
    test_roundtrip_bytes("version", p, len);
    free(p);
}

static void test_core_v29_version_frame(void **state)
{
    (void)state;
    size_t len;
    uint8_t *frame = test_core_frame("version", &len);
    assert_non_null(frame);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", frame + 24, len - 24, &msg), WIRE_OK);
    const struct wire_version *v = &msg.u.version;
    assert_int_equal(v->version, 70016);
    assert_true(v->services == 0x0c09);
    assert_memory_equal(v->user_agent, "/Satoshi:29.0.0/", v->user_agent_len);
    assert_int_equal(v->user_agent_len, 16);
    assert_int_equal(v->start_height, 12);
    assert_true(v->relay);
    char names[128];
    wire_services_str(v->services, names, sizeof names);
    assert_string_equal(names, "NETWORK|WITNESS|NETWORK_LIMITED|P2P_V2");
    wire_msg_free(&msg);
    test_roundtrip_bytes("version", frame + 24, len - 24);
    free(frame);
}

static void test_every_truncation_fails_except_group_boundaries(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = test_unhex(devref_version_hex, &len);
    /* fixed part 46; +addr_from+nonce 80; +ua 96; +height 100; (relay 101 = whole) */
    const size_t ok[] = {46, 80, 96, 100};
    test_every_truncation("version", p, len, ok, 4);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", p, 80, &msg), WIRE_OK);
    assert_int_equal(msg.u.version.n_optional, WIRE_VERSION_OPT_FROM_NONCE);
    test_roundtrip_bytes("version", p, 80);
    assert_int_equal(wire_decode("version", p, 96, &msg), WIRE_OK);
    assert_int_equal(msg.u.version.n_optional, WIRE_VERSION_OPT_USER_AGENT);
    /* a peer before BIP37 has no relay field */
    assert_int_equal(wire_decode("version", p, 100, &msg), WIRE_OK);
    assert_int_equal(msg.u.version.n_optional, WIRE_VERSION_OPT_START_HEIGHT);
    assert_false(msg.u.version.relay);
    free(p);
}

static void test_trailing_bytes_ignored_as_future_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = test_unhex(devref_version_hex, &len);
    uint8_t *longer = malloc(len + 5);
    memcpy(longer, p, len);
    memcpy(longer + len, "\x01\x02\x03\x04\x05", 5);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", longer, len + 5, &msg), WIRE_OK);
    assert_int_equal(msg.u.version.start_height, 329167);
    free(longer);
    free(p);
}

static void build_with_user_agent(struct buf_writer *w, size_t ua_len)
{
    size_t len;
    uint8_t *p = test_unhex(devref_version_hex, &len);
    buf_write_bytes(w, p, 80);
    buf_write_compact(w, ua_len);
    for (size_t i = 0; i < ua_len; i++) buf_write_u8(w, 'a');
    buf_write_i32le(w, 1);
    buf_write_u8(w, 0);
    free(p);
}

static void test_user_agent_limit_256(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    build_with_user_agent(&w, 256);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", w.data, w.len, &msg), WIRE_OK);
    assert_int_equal(msg.u.version.user_agent_len, 256);
    test_roundtrip_bytes("version", w.data, w.len);
    buf_writer_reset(&w);
    build_with_user_agent(&w, 257);
    assert_int_equal(wire_decode("version", w.data, w.len, &msg), WIRE_ERR_TOO_LONG);
    buf_writer_free(&w);
}

static void test_non_canonical_user_agent_length_rejected(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = test_unhex(devref_version_hex, &len);
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_bytes(&w, p, 80);
    buf_write_bytes(&w, "\xfd\x0f\x00", 3); /* 15 in three bytes */
    buf_write_bytes(&w, p + 81, len - 81);
    struct wire_msg msg;
    assert_int_equal(wire_decode("version", w.data, w.len, &msg), WIRE_ERR_NONCANONICAL);
    buf_writer_free(&w);
    free(p);
}

static void test_struct_roundtrip_including_ipv6(void **state)
{
    (void)state;
    struct wire_msg in;
    memset(&in, 0, sizeof in);
    in.type = WIRE_VERSION;
    struct wire_version *v = &in.u.version;
    v->version = 70016;
    v->services = NODE_WITNESS | NODE_P2P_V2;
    v->timestamp = -5;
    uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    wire_netaddr_from_v1(&v->addr_recv, ip6);
    v->addr_recv.port = 18444;
    uint8_t ip4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    wire_netaddr_from_v1(&v->addr_from, ip4);
    v->nonce = 0x0123456789abcdefull;
    memcpy(v->user_agent, "/x/", 3);
    v->user_agent_len = 3;
    v->start_height = -1;
    v->relay = true;
    v->n_optional = WIRE_VERSION_OPT_RELAY;
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&in, &w), WIRE_OK);
    struct wire_msg out;
    assert_int_equal(wire_decode("version", w.data, w.len, &out), WIRE_OK);
    assert_memory_equal(&out.u.version, v, sizeof *v);
    buf_writer_free(&w);

    /* TorV3 cannot ride in version's 16-byte field */
    v->addr_recv.net = WIRE_NET_TORV3;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&in, &w), WIRE_ERR_UNREPRESENTABLE);
    buf_writer_free(&w);
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    test_random_garbage("version", 20000, 140, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_developer_reference_example),
        cmocka_unit_test(test_core_v29_version_frame),
        cmocka_unit_test(test_every_truncation_fails_except_group_boundaries),
        cmocka_unit_test(test_trailing_bytes_ignored_as_future_fields),
        cmocka_unit_test(test_user_agent_limit_256),
        cmocka_unit_test(test_non_canonical_user_agent_length_rejected),
        cmocka_unit_test(test_struct_roundtrip_including_ipv6),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
