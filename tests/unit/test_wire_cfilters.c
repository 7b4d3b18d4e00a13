/* BIP157 messages: layouts byte by byte (BIP157's field tables), Core's
 * limits (2,000 filter hashes, a cfilter within the payload), counts that
 * disagree with the bytes, every truncation, random garbage, and the
 * command names. Also the transaction output walk the filters use. */
#include "testutil.h"

#include <btcpeerd/blockfilter.h>
#include <btcpeerd/gcs.h>

#include <stdlib.h>
#include <string.h>

static void fill_hash(uint8_t h[32], uint8_t seed)
{
    for (int i = 0; i < 32; i++) h[i] = (uint8_t)(seed + i);
}

/* decode(bytes) then encode must give the bytes back. */
static void roundtrip(const char *command, const uint8_t *p, size_t len, struct wire_cf_msg *msg)
{
    assert_int_equal(wire_cf_decode(command, p, len, msg), WIRE_OK);
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_cf_encode(msg, &w), WIRE_OK);
    assert_int_equal(w.len, len);
    if (len) assert_memory_equal(w.data, p, len);
    buf_writer_free(&w);
}

/* Every proper prefix fails, each in a heap buffer of exactly its size. */
static void every_truncation_fails(const char *command, const uint8_t *p, size_t len)
{
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *pre = malloc(cut ? cut : 1);
        memcpy(pre, p, cut);
        struct wire_cf_msg msg;
        enum wire_err err = wire_cf_decode(command, pre, cut, &msg);
        assert_int_not_equal(err, WIRE_OK);
        free(pre);
    }
}

static void test_range_requests_layout(void **state)
{
    (void)state;
    /* type 0, start height 1000, stop hash */
    uint8_t p[37] = {0x00, 0xe8, 0x03, 0x00, 0x00};
    fill_hash(p + 5, 0x10);
    const char *cmds[] = {"getcfilters", "getcfheaders"};
    for (int i = 0; i < 2; i++) {
        struct wire_cf_msg msg;
        roundtrip(cmds[i], p, sizeof p, &msg);
        assert_int_equal(msg.type, i == 0 ? WIRE_CF_GETCFILTERS : WIRE_CF_GETCFHEADERS);
        assert_int_equal(msg.u.range.filter_type, WIRE_FILTER_BASIC);
        assert_int_equal(msg.u.range.start_height, 1000);
        assert_memory_equal(msg.u.range.stop_hash, p + 5, 32);
        wire_cf_msg_free(&msg);
        every_truncation_fails(cmds[i], p, sizeof p);
        uint8_t longer[38];
        memcpy(longer, p, sizeof p);
        longer[37] = 0;
        assert_int_equal(wire_cf_decode(cmds[i], longer, sizeof longer, &msg), WIRE_ERR_TRAILING);
    }
    /* an unknown filter type is kept: the node decides */
    p[0] = 0x07;
    struct wire_cf_msg msg;
    roundtrip("getcfilters", p, sizeof p, &msg);
    assert_int_equal(msg.u.range.filter_type, 7);
}

static void test_cfilter_layout_and_bounds(void **state)
{
    (void)state;
    /* type, block hash, then the filter as var bytes: BIP158's genesis filter */
    uint8_t p[1 + 32 + 1 + 4] = {0x00};
    fill_hash(p + 1, 0x40);
    p[33] = 4;
    memcpy(p + 34, "\x01\x9d\xfc\xa8", 4);
    struct wire_cf_msg msg;
    roundtrip("cfilter", p, sizeof p, &msg);
    assert_int_equal(msg.type, WIRE_CF_CFILTER);
    assert_memory_equal(msg.u.cfilter.block_hash, p + 1, 32);
    assert_int_equal(msg.u.cfilter.filter_len, 4);
    assert_memory_equal(msg.u.cfilter.filter, p + 34, 4);
    wire_cf_msg_free(&msg);
    every_truncation_fails("cfilter", p, sizeof p);

    uint8_t longer[sizeof p + 1];
    memcpy(longer, p, sizeof p);
    longer[sizeof p] = 0;
    assert_int_equal(wire_cf_decode("cfilter", longer, sizeof longer, &msg), WIRE_ERR_TRAILING);

    /* a length over the payload limit, one over MAX_SIZE, one over the bytes */
    uint8_t hdr[33 + 9 + 8] = {0};
    memcpy(hdr + 33, "\xfe\x40\x4b\x4c\x00", 5); /* 5,000,000 */
    assert_int_equal(wire_cf_decode("cfilter", hdr, 33 + 5 + 8, &msg), WIRE_ERR_TOO_LONG);
    memcpy(hdr + 33, "\xfe\x00\xe1\xf5\x05", 5); /* 100,000,000 */
    assert_int_equal(wire_cf_decode("cfilter", hdr, 33 + 5 + 8, &msg), WIRE_ERR_TOO_MANY);
    memcpy(hdr + 33, "\xfd\xe8\x03", 3); /* 1,000 claimed, 8 present */
    assert_int_equal(wire_cf_decode("cfilter", hdr, 33 + 3 + 8, &msg), WIRE_ERR_TRUNCATED);
    memcpy(hdr + 33, "\xfd\x08\x00", 3); /* non-canonical 8 */
    assert_int_equal(wire_cf_decode("cfilter", hdr, 33 + 3 + 8, &msg), WIRE_ERR_NONCANONICAL);

    /* the encoder refuses what no payload can carry */
    struct wire_cf_msg big = {.type = WIRE_CF_CFILTER,
                              .u.cfilter = {.filter = p, .filter_len = WIRE_MAX_PAYLOAD + 1}};
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_cf_encode(&big, &w), WIRE_ERR_TOO_LONG);
    buf_writer_free(&w);
}

/* The hostile case the issue names: a cfilter whose filter claims 100 M
 * elements. The message is within limits, so it decodes (the copy is its
 * 13 bytes); the filter is refused before anything is sized from N. */
static void test_filter_claiming_100m_elements_allocates_nothing(void **state)
{
    (void)state;
    uint8_t p[1 + 32 + 1 + 13] = {0};
    p[33] = 13;
    memcpy(p + 34, "\xfe\x00\xe1\xf5\x05\xff\xff\xff\xff\xff\xff\xff\xff", 13);
    struct wire_cf_msg msg;
    assert_int_equal(wire_cf_decode("cfilter", p, sizeof p, &msg), WIRE_OK);
    assert_int_equal(msg.u.cfilter.filter_len, 13);
    struct gcs_params params;
    gcs_basic_params(msg.u.cfilter.block_hash, &params);
    struct gcs_filter f;
    assert_int_equal(gcs_open(msg.u.cfilter.filter, msg.u.cfilter.filter_len, &params, &f),
                     GCS_ERR_TOO_MANY);
    /* 20 M, under Core's MAX_SIZE: refused by the bytes instead */
    memcpy(msg.u.cfilter.filter, "\xfe\x00\x2d\x31\x01", 5);
    assert_int_equal(gcs_open(msg.u.cfilter.filter, msg.u.cfilter.filter_len, &params, &f),
                     GCS_ERR_TRUNCATED);
    wire_cf_msg_free(&msg);
}

static uint8_t *cfheaders_payload(size_t count, size_t hashes_present, size_t *len)
{
    struct buf_writer w;
    buf_writer_init(&w);
    uint8_t h[32];
    buf_write_u8(&w, 0);
    fill_hash(h, 1);
    buf_write_bytes(&w, h, 32); /* stop hash */
    fill_hash(h, 2);
    buf_write_bytes(&w, h, 32); /* previous filter header */
    buf_write_compact(&w, count);
    for (size_t i = 0; i < hashes_present; i++) {
        fill_hash(h, (uint8_t)(i + 3));
        buf_write_bytes(&w, h, 32);
    }
    return buf_writer_steal(&w, len);
}

static void test_cfheaders_layout_and_limits(void **state)
{
    (void)state;
    size_t len;
    uint8_t *p = cfheaders_payload(3, 3, &len);
    assert_int_equal(len, 1 + 32 + 32 + 1 + 96);
    struct wire_cf_msg msg;
    roundtrip("cfheaders", p, len, &msg);
    assert_int_equal(msg.u.cfheaders.count, 3);
    assert_memory_equal(msg.u.cfheaders.stop_hash, p + 1, 32);
    assert_memory_equal(msg.u.cfheaders.prev_header, p + 33, 32);
    assert_memory_equal(msg.u.cfheaders.filter_hashes[2], p + 66 + 64, 32);
    wire_cf_msg_free(&msg);
    every_truncation_fails("cfheaders", p, len);
    free(p);

    /* counts that disagree with the bytes */
    p = cfheaders_payload(4, 3, &len);
    assert_int_equal(wire_cf_decode("cfheaders", p, len, &msg), WIRE_ERR_TRUNCATED);
    free(p);
    p = cfheaders_payload(2, 3, &len);
    assert_int_equal(wire_cf_decode("cfheaders", p, len, &msg), WIRE_ERR_TRAILING);
    free(p);
    /* Core's 2,000, and one more */
    p = cfheaders_payload(WIRE_MAX_CFHEADERS, WIRE_MAX_CFHEADERS, &len);
    roundtrip("cfheaders", p, len, &msg);
    assert_int_equal(msg.u.cfheaders.count, WIRE_MAX_CFHEADERS);
    wire_cf_msg_free(&msg);
    free(p);
    p = cfheaders_payload(WIRE_MAX_CFHEADERS + 1, WIRE_MAX_CFHEADERS + 1, &len);
    assert_int_equal(wire_cf_decode("cfheaders", p, len, &msg), WIRE_ERR_TOO_MANY);
    free(p);
    /* a huge count on a short payload fails before any allocation */
    p = cfheaders_payload(1000000, 1, &len);
    assert_int_equal(wire_cf_decode("cfheaders", p, len, &msg), WIRE_ERR_TOO_MANY);
    free(p);
    p = cfheaders_payload(1999, 1, &len);
    assert_int_equal(wire_cf_decode("cfheaders", p, len, &msg), WIRE_ERR_TRUNCATED);
    free(p);

    uint8_t (*many)[32] = calloc(WIRE_MAX_CFHEADERS + 1, 32);
    struct wire_cf_msg big = {.type = WIRE_CF_CFHEADERS,
                              .u.cfheaders = {.count = WIRE_MAX_CFHEADERS + 1, .filter_hashes = many}};
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_cf_encode(&big, &w), WIRE_ERR_TOO_MANY);
    assert_int_equal(w.len, 0);
    buf_writer_free(&w);
    free(many);
}

static void test_checkpoint_messages(void **state)
{
    (void)state;
    uint8_t g[33] = {0};
    fill_hash(g + 1, 9);
    struct wire_cf_msg msg;
    roundtrip("getcfcheckpt", g, sizeof g, &msg);
    assert_int_equal(msg.type, WIRE_CF_GETCFCHECKPT);
    assert_memory_equal(msg.u.getcfcheckpt.stop_hash, g + 1, 32);
    every_truncation_fails("getcfcheckpt", g, sizeof g);

    /* 930 checkpoints: a chain of 930,000+ blocks */
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_bytes(&w, g, sizeof g);
    buf_write_compact(&w, 930);
    for (int i = 0; i < 930; i++) {
        uint8_t h[32];
        fill_hash(h, (uint8_t)i);
        buf_write_bytes(&w, h, 32);
    }
    roundtrip("cfcheckpt", w.data, w.len, &msg);
    assert_int_equal(msg.type, WIRE_CF_CFCHECKPT);
    assert_int_equal(msg.u.cfcheckpt.count, 930);
    assert_memory_equal(msg.u.cfcheckpt.headers[929], w.data + w.len - 32, 32);
    wire_cf_msg_free(&msg);
    /* one hash short, one too many */
    assert_int_equal(wire_cf_decode("cfcheckpt", w.data, w.len - 32, &msg), WIRE_ERR_TRUNCATED);
    buf_write_bytes(&w, g, 32);
    assert_int_equal(wire_cf_decode("cfcheckpt", w.data, w.len, &msg), WIRE_ERR_TRAILING);
    /* empty: a chain shorter than 1,000 blocks */
    uint8_t e[34] = {0};
    roundtrip("cfcheckpt", e, sizeof e, &msg);
    assert_int_equal(msg.u.cfcheckpt.count, 0);
    wire_cf_msg_free(&msg);
    buf_writer_free(&w);
}

static void test_commands_map_both_ways(void **state)
{
    (void)state;
    for (unsigned t = 0; t < WIRE_CF_TYPE_COUNT; t++) {
        const char *cmd = wire_cf_command((enum wire_cf_type)t);
        assert_true(strlen(cmd) > 0 && strlen(cmd) <= WIRE_COMMAND_LEN);
        enum wire_cf_type got;
        assert_true(wire_cf_type_from_command(cmd, strlen(cmd), &got));
        assert_int_equal(got, t);
        char field[WIRE_COMMAND_LEN] = {0};
        memcpy(field, cmd, strlen(cmd));
        assert_true(wire_cf_type_from_command(field, sizeof field, &got));
        assert_int_equal(got, t);
        /* the same command is a wire_type, in the same order */
        enum wire_type wt = wire_type_from_command(cmd, strlen(cmd));
        assert_int_equal(wt, WIRE_GETCFILTERS + t);
        assert_string_equal(wire_type_command(wt), cmd);
    }
    enum wire_cf_type got;
    assert_false(wire_cf_type_from_command("cfilte", 6, &got));
    assert_false(wire_cf_type_from_command("headers", 7, &got));
    assert_false(wire_cf_type_from_command("", 0, &got));
    assert_string_equal(wire_cf_command(WIRE_CF_TYPE_COUNT), "");
    struct wire_cf_msg msg;
    assert_int_equal(wire_cf_decode("ping", (const uint8_t *)"12345678", 8, &msg),
                     WIRE_ERR_BAD_COMMAND);
}

/* wire_decode knows them too: the same bytes give the same fields, and
 * wire_encode gives the bytes back; wire_msg_free releases the arrays. */
static void test_generic_decoder_carries_them(void **state)
{
    (void)state;
    uint8_t p[1 + 32 + 32 + 1 + 2 * 32];
    p[0] = WIRE_FILTER_BASIC;
    fill_hash(p + 1, 0x40);
    fill_hash(p + 33, 0x60);
    p[65] = 2;
    fill_hash(p + 66, 0x80);
    fill_hash(p + 98, 0xa0);
    struct wire_msg msg;
    assert_int_equal(wire_decode("cfheaders", p, sizeof p, &msg), WIRE_OK);
    assert_int_equal(msg.type, WIRE_CFHEADERS);
    assert_true(wire_type_is_cf_answer(msg.type));
    assert_int_equal(msg.u.cfheaders.count, 2);
    assert_memory_equal(msg.u.cfheaders.filter_hashes[1], p + 98, 32);
    assert_string_equal(wire_msg_command(&msg), "cfheaders");
    struct buf_writer w;
    buf_writer_init(&w);
    assert_int_equal(wire_encode(&msg, &w), WIRE_OK);
    assert_int_equal(w.len, sizeof p);
    assert_memory_equal(w.data, p, sizeof p);
    buf_writer_free(&w);
    wire_msg_free(&msg);
    /* a count over Core's 2,000 is refused by the generic decoder as well */
    uint8_t big[1 + 32 + 32 + 3] = {0};
    big[65] = 0xfd;
    big[66] = 0xd1; /* 2001 */
    big[67] = 0x07;
    assert_int_equal(wire_decode("cfheaders", big, sizeof big, &msg), WIRE_ERR_TOO_MANY);
    assert_int_equal(msg.type, WIRE_UNKNOWN);
    assert_false(wire_type_is_cf_answer(WIRE_GETCFILTERS));
    assert_false(wire_type_is_cf_answer(WIRE_HEADERS));
}

static void test_random_garbage_never_crashes(void **state)
{
    (void)state;
    uint64_t seed = 1234;
    for (unsigned t = 0; t < WIRE_CF_TYPE_COUNT; t++) {
        const char *cmd = wire_cf_command((enum wire_cf_type)t);
        for (int round = 0; round < 2000; round++) {
            uint8_t lb[2];
            test_random_bytes(&seed, lb, 2);
            size_t len = (size_t)(lb[0] | lb[1] << 8) % 300;
            uint8_t *buf = malloc(len ? len : 1);
            test_random_bytes(&seed, buf, len);
            if (len > 66 && (t == WIRE_CF_CFHEADERS)) buf[65] = (uint8_t)((len - 66) / 32);
            if (len > 33 && (t == WIRE_CF_CFCHECKPT || t == WIRE_CF_CFILTER))
                buf[33] = (uint8_t)(t == WIRE_CF_CFILTER ? len - 34 : (len - 34) / 32);
            struct wire_cf_msg msg;
            if (wire_cf_decode(cmd, buf, len, &msg) == WIRE_OK) {
                struct buf_writer w;
                buf_writer_init(&w);
                assert_int_equal(wire_cf_encode(&msg, &w), WIRE_OK);
                assert_int_equal(w.len, len);
                assert_memory_equal(w.data, buf, len);
                buf_writer_free(&w);
                wire_cf_msg_free(&msg);
            }
            free(buf);
        }
    }
}

/* The output walk over a parsed transaction: values, scripts (empty and
 * OP_RETURN ones included, the filter decides), and the input count. */
static void test_txouts_walk_a_transaction(void **state)
{
    (void)state;
    struct buf_writer w;
    buf_writer_init(&w);
    buf_write_u32le(&w, 2);
    buf_write_compact(&w, 2); /* two inputs */
    for (int i = 0; i < 2; i++) {
        uint8_t outpoint[36] = {(uint8_t)i};
        buf_write_bytes(&w, outpoint, 36);
        buf_write_compact(&w, 0);
        buf_write_u32le(&w, 0xffffffff);
    }
    buf_write_compact(&w, 3);
    buf_write_u64le(&w, 5000);
    buf_write_bytes(&w, "\x03\x51\x52\x53", 4);
    buf_write_u64le(&w, 0);
    buf_write_bytes(&w, "\x02\x6a\x00", 3);
    buf_write_u64le(&w, 1);
    buf_write_compact(&w, 0);
    buf_write_u32le(&w, 0);
    struct wire_tx tx;
    assert_int_equal(wire_tx_decode(w.data, w.len, &tx), WIRE_OK);
    struct wire_txout_iter it;
    struct wire_txout o;
    size_t n_in = 0;
    assert_int_equal(wire_txouts_begin(tx.raw, &tx.span, &it, &n_in), WIRE_OK);
    assert_int_equal(n_in, 2);
    assert_true(wire_txouts_next(&it, &o));
    assert_true(o.value == 5000 && o.script_len == 3 && o.script[0] == 0x51);
    assert_true(wire_txouts_next(&it, &o));
    assert_true(o.value == 0 && o.script_len == 2 && o.script[0] == BLOCKFILTER_OP_RETURN);
    assert_true(wire_txouts_next(&it, &o));
    assert_true(o.value == 1 && o.script_len == 0);
    assert_false(wire_txouts_next(&it, &o));
    wire_tx_free(&tx);
    buf_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_requests_layout),
        cmocka_unit_test(test_cfilter_layout_and_bounds),
        cmocka_unit_test(test_filter_claiming_100m_elements_allocates_nothing),
        cmocka_unit_test(test_cfheaders_layout_and_limits),
        cmocka_unit_test(test_checkpoint_messages),
        cmocka_unit_test(test_commands_map_both_ways),
        cmocka_unit_test(test_generic_decoder_carries_them),
        cmocka_unit_test(test_random_garbage_never_crashes),
        cmocka_unit_test(test_txouts_walk_a_transaction),
    };
    return test_run_group(tests);
}
