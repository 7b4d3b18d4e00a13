/* The peer's side of its transport (include/btcpeerd/transport.h): which
 * one a connection gets, moving the bytes it has ready into the
 * bufferevent, and the few facts the peer reports about it. Which version
 * the connection ends up speaking is the transport's business: an inbound
 * v2 transport falls back to v1 by itself, an outbound one notices a v1
 * answer. */
#include "peer_internal.h"

#include <btcpeerd/hex.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>

/* Frames this big are handed to libevent as they are, not copied (each
 * frame has a buffer of its own, as in Core's transports); smaller ones
 * are copied, which costs less than a reference. */
#define PEER_SEND_BY_REFERENCE (16u * 1024)

static void free_frame(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

bool peer_transport_flush(struct peer *p)
{
    size_t n;
    const uint8_t *bytes = transport_bytes_to_send(p->transport, &n);
    if (!n) return true;
    bool ok;
    if (n >= PEER_SEND_BY_REFERENCE) {
        uint8_t *frame = transport_take_bytes_to_send(p->transport, &n);
        ok = frame && evbuffer_add_reference(bufferevent_get_output(p->bev), frame, n, free_frame,
                                             NULL) == 0;
        if (frame && !ok) free(frame);
    } else {
        ok = bufferevent_write(p->bev, bytes, n) == 0;
        transport_mark_sent(p->transport, n);
    }
    if (!ok) return false;
    p->stats.bytes_out += n;
    p->table->metrics.net_bytes_out += n;
    return true;
}

bool peer_transport_start(struct peer *p, bool offer_v2)
{
    const uint8_t *magic = p->table->cfg->net->magic;
    /* Outbound v2 queues our key now; inbound v2 waits for the first bytes. */
    p->transport = offer_v2 ? transport_v2_new(magic, !p->inbound) : transport_v1_new(magic);
    return p->transport && peer_transport_flush(p);
}

void peer_transport_maybe_send_version(struct peer *p)
{
    /* Ours goes first on an outbound connection, once the transport can
     * carry it (v2: on the encrypted channel, once it exists). */
    if (p->inbound || p->state != PEER_NONE || !transport_can_send(p->transport)) return;
    if (peer_send_version(p) != PEER_SEND_PEER_GONE) p->state = PEER_SENT_VERSION;
}

void peer_transport_free(struct peer *p)
{
    transport_free(p->transport);
    p->transport = NULL;
}

const char *peer_transport_name(const struct peer *p)
{
    /* An outbound connection not yet open has none: v1, as it would be
     * counted before. */
    return p->transport ? transport_name(p->transport) : "v1";
}

void peer_transport_session_hex(const struct peer *p, char out[65])
{
    uint8_t sid[32];
    if (p->transport && transport_session_id(p->transport, sid))
        hex_encode(sid, sizeof sid, out);
    else
        out[0] = '\0';
}

bool peer_transport_v1_retry_worth(const struct peer *p, enum peer_reason reason)
{
    /* Core's ShouldReconnectV1: our v2 key went out and the peer closed,
     * failed or timed out without a byte, or answered in v1 (which ends
     * the connection as v2-handshake). */
    if (!p->transport || !transport_should_reconnect_v1(p->transport)) return false;
    return reason == PEER_REASON_EOF || reason == PEER_REASON_IO_ERROR ||
           reason == PEER_REASON_HANDSHAKE_TIMEOUT || reason == PEER_REASON_V2_HANDSHAKE;
}
