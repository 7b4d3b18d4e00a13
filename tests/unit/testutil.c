/* Shared unit-test helpers. */
#include "testutil.h"

#include <btcpeerd/hex.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned skipped;

const char *test_fmt(const char *fmt, ...)
{
    static char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

void test_skip_here(const char *why, const char *file, int line)
{
    skipped++;
    print_message("SKIP (%s:%d): %s\n", file, line, why ? why : "skipped");
    _skip(file, line);
}

void test_partial_skip(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    skipped++;
    print_message("SKIP (part of this test): %s\n", buf);
}

int test_exit_status(int failed)
{
    if (failed) return failed;
    return skipped ? TEST_SKIP_CODE : 0;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    data[n] = 0;
    *len = (size_t)n;
    return data;
}

const char *test_vector_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", BTCPEERD_VECTORS_DIR, rel);
    return path;
}

uint8_t *test_unhex(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    if (!hex_decode(hex, out, cap, len)) fail_msg("bad hex: %.40s", hex);
    return out;
}

uint8_t *test_core_frame(const char *command, size_t *len)
{
    size_t flen;
    char *text = (char *)test_read_file(test_vector_path("p2p/core-v29-regtest-session.txt"), &flen);
    uint8_t *result = NULL;
    size_t clen = strlen(command);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        if (strncmp(line, command, clen) == 0 && line[clen] == ' ') {
            result = test_unhex(line + clen + 1, len);
            break;
        }
    }
    free(text);
    return result;
}

void test_random_bytes(uint64_t *state, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* xorshift64*: fast, deterministic, good enough for garbage */
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        out[i] = (uint8_t)((*state * 0x2545F4914F6CDD1Dull) >> 56);
    }
}

void test_every_truncation(const char *command, const uint8_t *payload, size_t len,
                           const size_t *ok_lens, size_t n_ok)
{
    for (size_t cut = 0; cut < len; cut++) {
        /* A fresh heap copy of exactly `cut` bytes so ASan sees any overread. */
        uint8_t *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, payload, cut);
        struct wire_msg msg;
        enum wire_err err = wire_decode(command, copy, cut, &msg);
        int allowed = 0;
        for (size_t i = 0; i < n_ok; i++) allowed |= ok_lens[i] == cut;
        if (allowed) {
            if (err != WIRE_OK) fail_msg("%s: prefix %zu should decode: %s", command, cut, wire_err_str(err));
            wire_msg_free(&msg);
        } else if (err == WIRE_OK) {
            wire_msg_free(&msg);
            fail_msg("%s: prefix of %zu/%zu bytes decoded", command, cut, len);
        }
        free(copy);
    }
}

void test_random_garbage(const char *command, size_t rounds, size_t max_len, uint64_t seed)
{
    uint64_t state = seed | 1;
    uint8_t *buf = malloc(max_len ? max_len : 1);
    assert_non_null(buf);
    for (size_t i = 0; i < rounds; i++) {
        uint8_t lb[4];
        test_random_bytes(&state, lb, sizeof lb);
        size_t n = max_len ? (size_t)(((uint32_t)lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16) % max_len) : 0;
        test_random_bytes(&state, buf, n);
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        struct wire_msg msg;
        if (wire_decode(command, copy, n, &msg) == WIRE_OK) wire_msg_free(&msg);
        free(copy);
    }
    free(buf);
}

void test_roundtrip_bytes(const char *command, const uint8_t *payload, size_t len)
{
    struct wire_msg msg;
    enum wire_err err = wire_decode(command, payload, len, &msg);
    if (err != WIRE_OK) fail_msg("%s: decode failed: %s", command, wire_err_str(err));
    struct buf_writer w;
    buf_writer_init(&w);
    err = wire_encode(&msg, &w);
    if (err != WIRE_OK) fail_msg("%s: encode failed: %s", command, wire_err_str(err));
    assert_int_equal(w.len, len);
    assert_memory_equal(w.data, payload, len);
    assert_string_equal(wire_msg_command(&msg), command);
    buf_writer_free(&w);
    wire_msg_free(&msg);
}
