/* Transports turn a byte stream into frames (command + payload) and frames
 * into bytes. Pure state machines: no sockets, no clock, no libevent. The
 * peer feeds whatever bytes arrived, as many or as few as it has, and takes
 * frames out one at a time.
 *
 * v1 (src/transport/v1.c): 24-byte header of magic, command, length and
 * checksum, then the payload. BIP324 v2 will sit behind the same calls. */
#ifndef BTCPEERD_TRANSPORT_H
#define BTCPEERD_TRANSPORT_H

#include <btcpeerd/buf.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_V1_HEADER_LEN 24u

/* What one read step produced. The DROP results mean one message was
 * discarded and the stream goes on; FATAL results mean the stream cannot be
 * trusted any more: disconnect. */
enum transport_status {
    TRANSPORT_NEED_MORE = 0,  /* all input consumed, no complete frame */
    TRANSPORT_FRAME,          /* a frame was taken out */
    TRANSPORT_DROP_CHECKSUM,  /* payload did not match its checksum */
    TRANSPORT_DROP_COMMAND,   /* command field not printable / not NUL-padded */
    TRANSPORT_FATAL_MAGIC,    /* wrong network magic */
    TRANSPORT_FATAL_OVERSIZE, /* declared length over the payload limit */
    TRANSPORT_FATAL_NOMEM,
};

const char *transport_status_str(enum transport_status status);
bool transport_status_fatal(enum transport_status status);

struct transport_frame {
    char command[WIRE_COMMAND_LEN + 1]; /* sanitized for logs when dropped */
    uint8_t *payload;                   /* owned by whoever took the frame */
    size_t len;
};

void transport_frame_free(struct transport_frame *f);

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
    enum transport_status fatal; /* once a fatal status was returned, it is returned again */
};

void transport_v1_init(struct transport_v1 *t, const uint8_t magic[4], size_t max_payload);
/* Release buffered bytes. The struct may be re-initialised afterwards. */
void transport_v1_clear(struct transport_v1 *t);
/* Bytes held for an incomplete message. */
size_t transport_v1_buffered(const struct transport_v1 *t);

/* Consume up to len bytes of in, stopping right after the first frame or
 * drop. *consumed says how many bytes were used; call again with the rest.
 * On TRANSPORT_FRAME, out owns its payload. On a DROP, out->command names
 * the message (sanitized) and out->payload is NULL. */
enum transport_status transport_v1_read(struct transport_v1 *t, const uint8_t *in, size_t len,
                                        size_t *consumed, struct transport_frame *out);

enum transport_err {
    TRANSPORT_OK = 0,
    TRANSPORT_ERR_COMMAND,  /* empty, over 12 bytes, or unprintable */
    TRANSPORT_ERR_TOO_LONG, /* payload over the limit */
    TRANSPORT_ERR_NOMEM,
};
const char *transport_err_str(enum transport_err err);

/* Append one framed message to out. */
enum transport_err transport_v1_write(const uint8_t magic[4], const char *command,
                                      const uint8_t *payload, size_t len, size_t max_payload,
                                      struct buf_writer *out);

#endif
