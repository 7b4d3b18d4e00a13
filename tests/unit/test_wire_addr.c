/* addr and addrv2 (BIP155): every network, unknown ids skipped, wrong
 * lengths rejected, counts bounded before allocation. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static void put_v2_entry(struct buf_writer *w, uint32_t time, uint64_t services, uint8_t net,
                         const uint8_t *addr, size_t alen, uint16_t port)
{
    buf_write_u32le(w, time);
    buf_write_compact(w, services);
    buf_write_u8(w, net);
    buf_write_compact(w, alen);
    buf_write_bytes(w, addr, alen);
    buf_write_u16be(w, port);
}

static const uint8_t ipv4[4] = {1, 2, 3, 4};
static const uint8_t ipv6[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t cjdns[16] = {0xfc, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
static uint8_t torv3[32], i2p[32];

/* BIP155's five networks, one unknown network (0x42) and a retired TorV2
 * entry between them. */
static void build_bip155_example(struct buf_writer *w, bool with_unknown)
{
    for (int i = 0; i < 32; i++) {
        torv3[i] = (uint8_t)(0x53 + i);
        i2p[i] = (uint8_t)(0xa2 + i);
    }
    buf_write_compact(w, with_unknown ? 7 : 5);
    put_v2_entry(w, 1700000000, NODE_NETWORK | NODE_WITNESS, WIRE_NET_IPV4, ipv4, 4, 8333);
    if (with_unknown) put_v2_entry(w, 1, 1, 0x42, (const uint8_t *)"hello", 5, 1);
    put_v2_entry(w, 1700000001, NODE_WITNESS, WIRE_NET_IPV6, ipv6, 16, 8333);
    if (with_unknown) put_v2_entry(w, 2, 1, WIRE_NET_TORV2, (const uint8_t *)"0123456789", 10, 2);
    put_v2_entry(w, 1700000002, 0, WIRE_NET_TORV3, torv3, 32, 9050);
    put_v2_entry(w, 1700000003, 1ull << 63, WIRE_NET_I2P, i2p, 32, 0);
    put_v2_entry(w, 1700000004, 0x0c09, WIRE_NET_CJDNS, cjdns, 16, 8333);
}

static void test_bip155_every_network_decoded_unknown_skipped(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    build_bip155_example(&w, true);
    struct wire_msg msg;
    assert_int_equal(wire_decode("addrv2", w.data, w.len, &msg), WIRE_OK);
    const struct wire_addr *a = &msg.u.addr;
    assert_int_equal(a->count, 5);
    assert_int_equal(a->skipped, 2);
    assert_int_equal(a->addrs[0].net, WIRE_NET_IPV4);
    assert_memory_equal(a->addrs[0].addr, ipv4, 4);
    assert_int_equal(a->addrs[0].port, 8333);
    assert_true(a->addrs[0].time == 1700000000);
    assert_int_equal(a->addrs[1].net, WIRE_NET_IPV6);
    assert_memory_equal(a->addrs[1].addr, ipv6, 16);
    assert_int_equal(a->addrs[2].net, WIRE_NET_TORV3);
    assert_memory_equal(a->addrs[2].addr, torv3, 32);
    assert_int_equal(a->addrs[3].net, WIRE_NET_I2P);
    assert_true(a->addrs[3].services == 1ull << 63); /* 64-bit services as compact size */
    assert_int_equal(a->addrs[4].net, WIRE_NET_CJDNS);
    assert_memory_equal(a->addrs[4].addr, cjdns, 16);
    wire_msg_free(&msg);
    buf_writer_free(&w);

    /* without the unknown entries the bytes are canonical: exact roundtrip */
    buf_writer_init(&w);
    build_bip155_example(&w, false);
    test_roundtrip_bytes("addrv2", w.data, w.len);
    test_every_truncation("addrv2", w.data, w.len, NULL, 0);
    buf_writer_free(&w);
}

static void expect_v2_entry_error(uint8_t net, size_t alen, enum wire_err want)
{
    uint8_t addr[600] = {0};
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_compact(&w, 1);
    put_v2_entry(&w, 0, 0, net, addr, alen, 0);
    struct wire_msg msg;
    enum wire_err err = wire_decode("addrv2", w.data, w.len, &msg);
    if (err != want) fail_msg("net %u len %zu: %s, want %s", net, alen, wire_err_str(err), wire_err_str(want));
    if (err == WIRE_OK) wire_msg_free(&msg);
    buf_writer_free(&w);
}

static void test_wrong_lengths_rejected(void **state)
{
    (void)state;
    expect_v2_entry_error(WIRE_NET_IPV4, 5, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(WIRE_NET_IPV4, 16, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(WIRE_NET_IPV6, 4, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(WIRE_NET_TORV3, 31, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(WIRE_NET_I2P, 33, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(WIRE_NET_CJDNS, 0, WIRE_ERR_BAD_ADDR_LEN);
    expect_v2_entry_error(0x42, 513, WIRE_ERR_TOO_LONG); /* over BIP155's 512 */
    expect_v2_entry_error(0x42, 512, WIRE_OK);
}

static void test_non_canonical_compact_sizes_rejected(void **state)
{
    (void)state;
    struct wire_msg msg;
    /* count 1 as fd0100 */
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_bytes(&w, "\xfd\x01\x00", 3);
    put_v2_entry(&w, 0, 0, WIRE_NET_IPV4, ipv4, 4, 1);
    assert_int_equal(wire_decode("addrv2", w.data, w.len, &msg), WIRE_ERR_NONCANONICAL);
    /* services 1 as fd0100 */
    buf_writer_reset(&w);
    buf_write_compact(&w, 1);
    buf_write_u32le(&w, 0);
    buf_write_bytes(&w, "\xfd\x01\x00", 3);
    buf_write_u8(&w, WIRE_NET_IPV4);
    buf_write_compact(&w, 4);
    buf_write_bytes(&w, ipv4, 4);
    buf_write_u16be(&w, 1);
    assert_int_equal(wire_decode("addrv2", w.data, w.len, &msg), WIRE_ERR_NONCANONICAL);
    /* address length 4 as fe04000000 */
    buf_writer_reset(&w);
    buf_write_compact(&w, 1);
    buf_write_u32le(&w, 0);
    buf_write_compact(&w, 0);
    buf_write_u8(&w, WIRE_NET_IPV4);
    buf_write_bytes(&w, "\xfe\x04\x00\x00\x00", 5);
    buf_write_bytes(&w, ipv4, 4);
    buf_write_u16be(&w, 1);
    assert_int_equal(wire_decode("addrv2", w.data, w.len, &msg), WIRE_ERR_NONCANONICAL);
    buf_writer_free(&w);
}

static void test_counts_over_limit_or_over_bytes_rejected(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    struct wire_msg msg;
    const char *cmds[] = {"addr", "addrv2"};
    for (int c = 0; c < 2; c++) {
        /* 1,001 entries of real bytes: over the limit */
        buf_writer_reset(&w);
        buf_write_compact(&w, 1001);
        for (int i = 0; i < 1001; i++) {
            if (c == 0) {
                buf_write_u32le(&w, 0);
                buf_write_u64le(&w, 0);
                buf_write_bytes(&w, "\0\0\0\0\0\0\0\0\0\0\xff\xff\1\2\3\4", 16);
                buf_write_u16be(&w, 1);
            } else {
                put_v2_entry(&w, 0, 0, WIRE_NET_IPV4, ipv4, 4, 1);
            }
        }
        assert_int_equal(wire_decode(cmds[c], w.data, w.len, &msg), WIRE_ERR_TOO_MANY);
        /* 1,000 claimed with room for far fewer: caught before allocation */
        buf_writer_reset(&w);
        buf_write_compact(&w, 1000);
        buf_write_bytes(&w, "0123456789", 10);
        assert_int_equal(wire_decode(cmds[c], w.data, w.len, &msg), WIRE_ERR_TRUNCATED);
    }
    buf_writer_free(&w);
}

static void test_addr_v1_roundtrip_and_mapping(void **state)
{
    (void)state;
    struct wire_netaddr addrs[3];
    memset(addrs, 0, sizeof addrs);
    addrs[0] = (struct wire_netaddr){.time = 1, .services = NODE_NETWORK, .net = WIRE_NET_IPV4, .port = 8333};
    memcpy(addrs[0].addr, ipv4, 4);
    addrs[1] = (struct wire_netaddr){.time = 2, .services = 0, .net = WIRE_NET_IPV6, .port = 18333};
    memcpy(addrs[1].addr, ipv6, 16);
    addrs[2] = addrs[0];
    struct wire_msg in = {.type = WIRE_ADDR, .u.addr = {.count = 3, .addrs = addrs}};
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&in, &w), WIRE_OK);
    assert_int_equal(w.len, 1 + 3 * 30);
    /* IPv4 travels as ::ffff:a.b.c.d */
    assert_memory_equal(w.data + 1 + 12, "\0\0\0\0\0\0\0\0\0\0\xff\xff\1\2\3\4", 16);
    struct wire_msg out;
    assert_int_equal(wire_decode("addr", w.data, w.len, &out), WIRE_OK);
    assert_int_equal(out.u.addr.count, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(out.u.addr.addrs[i].net, addrs[i].net);
        assert_memory_equal(out.u.addr.addrs[i].addr, addrs[i].addr, wire_net_addr_len(addrs[i].net));
        assert_int_equal(out.u.addr.addrs[i].port, addrs[i].port);
        assert_true(out.u.addr.addrs[i].time == addrs[i].time);
        assert_true(out.u.addr.addrs[i].services == addrs[i].services);
    }
    wire_msg_free(&out);
    test_roundtrip_bytes("addr", w.data, w.len);
    test_every_truncation("addr", w.data, w.len, NULL, 0);
    /* trailing */
    buf_write_u8(&w, 0);
    assert_int_equal(wire_decode("addr", w.data, w.len, &out), WIRE_ERR_TRAILING);
    buf_writer_free(&w);

    /* TorV3 cannot be sent in v1 addr; it can in addrv2 */
    addrs[1].net = WIRE_NET_TORV3;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&in, &w), WIRE_ERR_UNREPRESENTABLE);
    buf_writer_reset(&w);
    in.type = WIRE_ADDRV2;
    assert_int_equal(wire_encode(&in, &w), WIRE_OK);
    buf_writer_free(&w);
}

static void test_empty_lists_roundtrip(void **state)
{
    (void)state;
    const uint8_t zero[1] = {0};
    test_roundtrip_bytes("addr", zero, 1);
    test_roundtrip_bytes("addrv2", zero, 1);
}

static void test_random_garbage_fails_cleanly(void **state)
{
    (void)state;
    test_random_garbage("addr", 5000, 200, 3);
    test_random_garbage("addrv2", 5000, 200, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip155_every_network_decoded_unknown_skipped),
        cmocka_unit_test(test_wrong_lengths_rejected),
        cmocka_unit_test(test_non_canonical_compact_sizes_rejected),
        cmocka_unit_test(test_counts_over_limit_or_over_bytes_rejected),
        cmocka_unit_test(test_addr_v1_roundtrip_and_mapping),
        cmocka_unit_test(test_empty_lists_roundtrip),
        cmocka_unit_test(test_random_garbage_fails_cleanly),
    };
    return test_run_group(tests);
}
