/* What the transports share behind include/btcpeerd/transport.h: the
 * operations table each version fills in, and the part of every transport
 * that the generic calls (src/transport/transport.c) own: the queue of
 * bytes to send and the message the last feed completed. Only
 * src/transport/ includes this. */
#ifndef BTCPEERD_TRANSPORT_IMPL_H
#define BTCPEERD_TRANSPORT_IMPL_H

#include <btcpeerd/buf.h>
#include <btcpeerd/transport.h>

struct transport_ops {
    /* Consume bytes up to the end of one message (frame or drop, written
     * to *out); bytes to answer are appended to t->out. */
    enum transport_status (*feed)(struct transport *t, const uint8_t *in, size_t len,
                                  size_t *consumed, struct transport_frame *out);
    /* Append one framed message to t->out. */
    enum transport_status (*send)(struct transport *t, const char *command,
                                  const uint8_t *payload, size_t len);
    bool (*can_send)(const struct transport *t);
    size_t (*recv_buffered)(const struct transport *t);
    size_t (*framed_len)(const struct transport *t, const char *command, size_t payload_len);
    unsigned (*version)(const struct transport *t);
    bool (*session_id)(const struct transport *t, uint8_t out32[32]);
    bool (*should_reconnect_v1)(const struct transport *t);
    /* Free what the version owns, the struct included (not t->out). */
    void (*destroy)(struct transport *t);
};

/* The first member of each version's struct. */
struct transport {
    const struct transport_ops *ops;
    struct buf_writer out;         /* bytes ready to send; released once all are sent */
    size_t out_sent;               /* of out, the bytes already marked sent */
    enum transport_status held;    /* FRAME or DROP_* not yet taken; TRANSPORT_OK if none */
    struct transport_frame frame;  /* the held message */
};

void transport_base_init(struct transport *t, const struct transport_ops *ops);

#endif
