/* libFuzzer targets for the files btcpeerd reads back at start: peers.dat
 * (FUZZ_FILE_ADDRMAN), banlist.dat (FUZZ_FILE_BANLIST), built once each from
 * this file. The files carry a SHA-256d checksum the fuzzer would never
 * guess, so the input's first byte chooses: even, the input is the body and
 * the target seals it in a valid envelope (reaching the body's parser);
 * odd, the rest is the whole file as found on disk (the envelope's own
 * checks). Whatever loads must serialize again and load back to the same. */
#include "node/addrman.h"
#include "node/banman.h"
#include "node/store.h"

#include <btcpeerd/buf.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1700000000

#if defined(FUZZ_FILE_ADDRMAN)
static void *file_new(void)
{
    static const uint8_t key[32] = {1};
    return addrman_new(key, true);
}
static void file_free(void *f) { addrman_free(f); }
static bool file_load(void *f, const uint8_t *d, size_t n) { return addrman_deserialize(f, d, n) == ADDRMAN_OK; }
static bool file_save(void *f, struct buf_writer *w) { return addrman_serialize(f, w) == ADDRMAN_OK; }
#elif defined(FUZZ_FILE_BANLIST)
static void *file_new(void) { return banman_new(); }
static void file_free(void *f) { banman_free(f); }
static bool file_load(void *f, const uint8_t *d, size_t n) { return banman_deserialize(f, d, n, NOW) == BANMAN_OK; }
static bool file_save(void *f, struct buf_writer *w) { return banman_serialize(f, w) == BANMAN_OK; }
#else
#error "define FUZZ_FILE_ADDRMAN or FUZZ_FILE_BANLIST"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    void *f = file_new();
    if (!f) return 0;
    struct buf_writer w;
    buf_writer_init(&w);
    if (data[0] % 2 == 0) {
        /* The magic and version the saver writes: the first five bytes of
         * an empty file of this kind. */
        struct buf_writer empty;
        buf_writer_init(&empty);
        if (file_save(f, &empty) && empty.len >= 5) {
            store_envelope_begin(&w, (const char *)empty.data, empty.data[4]);
            buf_write_bytes(&w, data + 1, size - 1);
            store_envelope_seal(&w, 0);
        }
        buf_writer_free(&empty);
    } else {
        buf_write_bytes(&w, data + 1, size - 1);
    }
    if (buf_writer_ok(&w) && file_load(f, w.data, w.len)) {
        struct buf_writer again;
        buf_writer_init(&again);
        if (!file_save(f, &again) || !file_load(f, again.data, again.len)) abort();
        struct buf_writer third;
        buf_writer_init(&third);
        /* Saving what was loaded from a save gives the same bytes. */
        if (!file_save(f, &third) || third.len != again.len || memcmp(third.data, again.data, again.len) != 0)
            abort();
        buf_writer_free(&third);
        buf_writer_free(&again);
    }
    buf_writer_free(&w);
    file_free(f);
    return 0;
}
