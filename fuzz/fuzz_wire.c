/* libFuzzer target for one message type's decoder (built once per command
 * with -DFUZZ_COMMAND="..."). Whatever decodes must encode, and that
 * encoding must decode to the same encoding again (a canonical fixpoint);
 * nothing may crash, leak or read out of bounds. The BIP157 commands go
 * through their own generic (wire_cf_*), with the same rules. */
#include <btcpeerd/wire.h>

#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_COMMAND
#error "build with -DFUZZ_COMMAND=\"<command>\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_cf(const uint8_t *data, size_t size)
{
    struct wire_cf_msg msg;
    if (wire_cf_decode(FUZZ_COMMAND, data, size, &msg) != WIRE_OK) return 0;
    struct buf_writer first, second;
    buf_writer_init(&first);
    buf_writer_init(&second);
    /* every field is kept as sent: the encoding is the input itself */
    if (wire_cf_encode(&msg, &first) != WIRE_OK || first.len != size ||
        (size && memcmp(first.data, data, size)))
        abort();
    struct wire_cf_msg again;
    if (wire_cf_decode(FUZZ_COMMAND, first.data, first.len, &again) != WIRE_OK) abort();
    if (wire_cf_encode(&again, &second) != WIRE_OK || second.len != first.len ||
        (first.len && memcmp(first.data, second.data, first.len)))
        abort();
    wire_cf_msg_free(&again);
    buf_writer_free(&first);
    buf_writer_free(&second);
    wire_cf_msg_free(&msg);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum wire_cf_type cf;
    if (wire_cf_type_from_command(FUZZ_COMMAND, strlen(FUZZ_COMMAND), &cf)) return fuzz_cf(data, size);
    struct wire_msg msg;
    if (wire_decode(FUZZ_COMMAND, data, size, &msg) != WIRE_OK) return 0;
    struct buf_writer first, second;
    buf_writer_init(&first);
    buf_writer_init(&second);
    if (wire_encode(&msg, &first) == WIRE_OK) {
        struct wire_msg again;
        if (wire_decode(FUZZ_COMMAND, first.data, first.len, &again) != WIRE_OK) abort();
        if (wire_encode(&again, &second) != WIRE_OK) abort();
        if (first.len != second.len || (first.len && memcmp(first.data, second.data, first.len)))
            abort();
        wire_msg_free(&again);
    }
    buf_writer_free(&first);
    buf_writer_free(&second);
    wire_msg_free(&msg);
    return 0;
}
