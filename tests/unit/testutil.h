/* Helpers shared by the unit tests: files, hex, the shared vectors, and
 * generic "feed the decoder bad input" loops. */
#ifndef BTCPEERD_TESTUTIL_H
#define BTCPEERD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <btcpeerd/wire.h>

/* ---- skips are reported, never passed ----
 * cmocka's skip() leaves the program's exit status 0, so ctest would count
 * a test that checked nothing as passed. Every test program includes this
 * header: skip() is redefined to count the skip (and say why), and main
 * returns test_run_group(tests), which exits with TEST_SKIP_CODE when
 * something was skipped and nothing failed. ctest maps that code to
 * "Skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt) and scripts/test.sh
 * fails on any skip unless BTCPEERD_ALLOW_SKIPS=1. */
#define TEST_SKIP_CODE 77
/* Skip the running test (a longjmp, as cmocka's), with a reason. */
#undef skip
#define skip() test_skip_here(NULL, __FILE__, __LINE__)
#define test_skip(...) test_skip_here(test_fmt(__VA_ARGS__), __FILE__, __LINE__)
void test_skip_here(const char *why, const char *file, int line);
/* Record that part of a test was not checked (e.g. a missing external
 * tool), and carry on with the rest: the program still reports a skip. */
void test_partial_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *test_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cmocka's result turned into the exit status ctest reads. */
int test_exit_status(int failed);
#define test_run_group(tests) test_exit_status(cmocka_run_group_tests(tests, NULL, NULL))

/* Whole file into memory (fails the test if it cannot). */
uint8_t *test_read_file(const char *path, size_t *len);
/* "<BTCPEERD_VECTORS_DIR>/<rel>" */
const char *test_vector_path(const char *rel);
/* Hex string to a new buffer (fails the test on bad hex). */
uint8_t *test_unhex(const char *hex, size_t *len);
/* The whole v1 frame Bitcoin Core v29 sent for `command`, from
 * vectors/p2p/core-v29-regtest-session.txt; NULL if absent. */
uint8_t *test_core_frame(const char *command, size_t *len);
/* Deterministic pseudo-random bytes for garbage tests. */
void test_random_bytes(uint64_t *state, uint8_t *out, size_t n);

/* Every proper prefix of a valid payload must fail to decode cleanly (or, for
 * prefixes listed in ok_lens, succeed). Uses wire_decode. */
void test_every_truncation(const char *command, const uint8_t *payload, size_t len,
                           const size_t *ok_lens, size_t n_ok);
/* Feed `rounds` random payloads of random lengths (< max_len); any result is
 * fine as long as nothing crashes and successes free cleanly. */
void test_random_garbage(const char *command, size_t rounds, size_t max_len, uint64_t seed);
/* decode(payload) must succeed and encode back to exactly payload. */
void test_roundtrip_bytes(const char *command, const uint8_t *payload, size_t len);

#endif
