/* The v1 codec under transport_v1_new: a 24-byte header of magic, command,
 * length and checksum, then the payload. A pure state machine: the caller
 * feeds whatever bytes arrived, as many or as few as it has, and takes
 * frames out one at a time. Public for tests, benches, fuzzers and the
 * scripted peers that play the remote end. */
#ifndef BTCPEERD_TRANSPORT_V1_H
#define BTCPEERD_TRANSPORT_V1_H

#include <btcpeerd/buf.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_V1_HEADER_LEN 24u

/* The v1 receive state. Payload memory grows with the bytes that actually
 * arrive, never with the length a header claims, so a peer that announces
 * 4 MB and sends one byte a second costs what it sent. */
struct transport_v1 {
    uint8_t magic[4];
    size_t max_payload;
    uint8_t header[TRANSPORT_V1_HEADER_LEN];
    size_t header_have;
    uint32_t payload_len; /* from the header, once complete */
    uint8_t *payload;
    size_t payload_have;
    size_t payload_cap;
    enum transport_status fatal; /* TRANSPORT_OK until a fatal status, which is then returned again */
};

void transport_v1_init(struct transport_v1 *t, const uint8_t magic[4], size_t max_payload);
/* Release buffered bytes. The struct may be re-initialised afterwards. */
void transport_v1_clear(struct transport_v1 *t);
/* Bytes held for an incomplete message. */
size_t transport_v1_buffered(const struct transport_v1 *t);

/* Consume up to len bytes of in, stopping right after the first frame or
 * drop. *consumed says how many bytes were used; call again with the rest.
 * Returns NEED_MORE, FRAME, DROP_CHECKSUM, DROP_COMMAND, FATAL_MAGIC,
 * FATAL_OVERSIZE or FATAL_NOMEM. On TRANSPORT_FRAME, out owns its payload.
 * On a DROP, out->command names the message (sanitized) and out->payload
 * is NULL. */
enum transport_status transport_v1_read(struct transport_v1 *t, const uint8_t *in, size_t len,
                                        size_t *consumed, struct transport_frame *out);

/* Append one framed message to out: TRANSPORT_OK, TRANSPORT_ERR_COMMAND,
 * TRANSPORT_ERR_TOO_LONG or TRANSPORT_ERR_NOMEM. */
enum transport_status transport_v1_write(const uint8_t magic[4], const char *command,
                                         const uint8_t *payload, size_t len, size_t max_payload,
                                         struct buf_writer *out);

#endif
