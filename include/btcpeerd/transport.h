/* The transport interface: how one connection's bytes become messages and
 * messages become bytes, whatever protocol version the connection speaks.
 * Bitcoin Core's Transport (net.h) is the model: the owner feeds the bytes
 * it received, takes each complete message, queues messages to send, and
 * writes out the bytes the transport has ready, marking them sent. Pure:
 * no sockets, no clock, no libevent; the owner moves the bytes.
 *
 * Two transports implement it behind one operations table:
 *   v1 (src/transport/v1.c): magic, command, length, checksum, payload;
 *   v2 (src/transport/v2.c): BIP324. An inbound v2 transport tells a v1
 *        peer by its first 16 bytes and turns itself into v1, and an
 *        outbound one notices a v1 answer to its key, as Core's V2Transport
 *        does; so the owner never asks which version it holds, except to
 *        report it (transport_name, transport_session_id).
 * The codecs underneath (transport_v1.h, transport_v2.h) are public for
 * tests, vectors, fuzzers and scripted peers. */
#ifndef BTCPEERD_TRANSPORT_H
#define BTCPEERD_TRANSPORT_H

#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every result of every transport call, v1 and v2 alike. Reading: the DROP
 * results mean one message was discarded and the stream goes on; the FATAL
 * results mean the stream cannot be trusted any more (disconnect), and they
 * stick. Sending: the ERR results refuse one message and leave the
 * transport as it was. */
enum transport_status {
    TRANSPORT_OK = 0,          /* a send or a start succeeded */
    TRANSPORT_NEED_MORE,       /* all input consumed, no complete message */
    TRANSPORT_FRAME,           /* a message is complete (transport_take) */
    TRANSPORT_DROP_CHECKSUM,   /* v1: payload did not match its checksum */
    TRANSPORT_DROP_COMMAND,    /* command not printable / not NUL-padded, or an unknown v2 short id */
    TRANSPORT_FATAL_MAGIC,     /* wrong network magic */
    TRANSPORT_FATAL_OVERSIZE,  /* declared length over the payload limit */
    TRANSPORT_FATAL_NOMEM,
    TRANSPORT_FATAL_HANDSHAKE, /* v2: no garbage terminator within 4095 bytes */
    TRANSPORT_FATAL_DECRYPT,   /* v2: a packet's tag did not verify */
    TRANSPORT_FATAL_CRYPTO,    /* v2: key generation, ECDH, key derivation or a cipher failed */
    TRANSPORT_FATAL_V1_ANSWER, /* v2 outbound: the peer answered our key in v1 */
    TRANSPORT_ERR_COMMAND,     /* send: command empty, over 12 bytes, or unprintable */
    TRANSPORT_ERR_TOO_LONG,    /* send: payload over the limit */
    TRANSPORT_ERR_NOMEM,
    TRANSPORT_ERR_NOT_READY,   /* send: v2 before the peer's key arrived */
    TRANSPORT_ERR_CRYPTO,      /* send: encryption failed */
};

const char *transport_status_str(enum transport_status status);
bool transport_status_fatal(enum transport_status status);

struct transport_frame {
    char command[WIRE_COMMAND_LEN + 1]; /* sanitized for logs when dropped */
    uint8_t *payload;                   /* owned by whoever took the frame; NULL when empty */
    size_t len;
};

void transport_frame_free(struct transport_frame *f);

struct transport;

/* v1 from the first byte, either direction. NULL when out of memory. */
struct transport *transport_v1_new(const uint8_t magic[4]);
/* BIP324. initiator: our key and garbage are queued at once. Responder: it
 * waits for the peer's first 16 bytes: our magic ‖ "version" ‖ NULs is a v1
 * peer (the transport speaks v1 from then on), the same with another
 * network's magic is TRANSPORT_FATAL_MAGIC, anything else is a v2 key (ours
 * is queued then). NULL when out of memory or key generation failed. */
struct transport *transport_v2_new(const uint8_t magic[4], bool initiator);
void transport_free(struct transport *t);

/* ---- receiving ---- */

/* Consume up to len bytes of in, stopping right after the first message
 * completed or dropped; *consumed says how many bytes were used, call
 * again with the rest. FRAME and DROP_* hold that message until
 * transport_take (a feed before then consumes nothing and returns the same
 * status). Handshake bytes the transport must answer (v2) are queued for
 * sending. */
enum transport_status transport_feed(struct transport *t, const uint8_t *in, size_t len,
                                     size_t *consumed);
/* The message the last feed completed (out owns its payload), or the name
 * of the one it dropped (payload NULL); false when there is none. */
bool transport_take(struct transport *t, struct transport_frame *out);
/* Bytes held for a message (or key, or prefix) not yet complete. */
size_t transport_recv_buffered(const struct transport *t);

/* ---- sending ---- */

/* False until messages may be queued (v2: until the peer's key arrived and
 * our version packet is out). */
bool transport_can_send(const struct transport *t);
/* Frame one message and queue its bytes. TRANSPORT_OK or an ERR_*. */
enum transport_status transport_send(struct transport *t, const char *command,
                                     const uint8_t *payload, size_t len);
/* The bytes queued for the wire (handshake bytes and framed messages, in
 * order); NULL and 0 when none. Valid until the next call on t. */
const uint8_t *transport_bytes_to_send(const struct transport *t, size_t *len);
/* The first n of those bytes went out. */
void transport_mark_sent(struct transport *t, size_t n);
/* All the bytes to send handed over: the caller owns them (free()) and
 * they count as sent. Lets an owner pass a big frame on without copying
 * it (evbuffer_add_reference). NULL and 0 when none (or out of memory). */
uint8_t *transport_take_bytes_to_send(struct transport *t, size_t *len);
/* The bytes a message of this command and payload length takes on this
 * connection's wire (v1 header; v2 length, header, type and tag). */
size_t transport_framed_len(const struct transport *t, const char *command, size_t payload_len);

/* ---- reporting ---- */

/* "v1" or "v2": what the connection speaks now (an inbound v2 transport
 * still reading the first 16 bytes says "v1"). */
const char *transport_name(const struct transport *t);
/* 1 or 2, the same as a number (for counting by transport). */
unsigned transport_version(const struct transport *t);
/* The BIP324 session id; false for v1 and before the keys exist. */
bool transport_session_id(const struct transport *t, uint8_t out32[32]);
/* Core's ShouldReconnectV1: an outbound v2 connection that got nothing back
 * yet, or a v1 answer: a v1 node that closes on our key is worth a v1 try. */
bool transport_should_reconnect_v1(const struct transport *t);

#endif
