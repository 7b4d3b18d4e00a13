/* A private-broadcast connection's own state (peer_internal.h points to
 * it; NULL for every other peer): the one transaction it carries, what
 * became of it, and the deadline of the whole connection. */
#ifndef BTCPEERD_PBROADCAST_H
#define BTCPEERD_PBROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct peer;
struct wire_msg;

struct peer_pb {
    uint8_t txid[32], wtxid[32];
    uint8_t *raw;            /* the transaction, owned (a copy per connection) */
    size_t raw_len;
    struct event *deadline;  /* the whole connection, from its creation */
    bool announced;          /* inv sent */
    bool taken;              /* the peer asked for it and we sent it */
};

/* After the handshake: announce the transaction (inv MSG_WTX). */
void peer_pb_connected(struct peer *p);
/* A message after the handshake: getdata is answered, the pong to our
 * ping ends the connection, everything else is ignored. Consumes msg. */
void peer_pb_message(struct peer *p, struct wire_msg *msg);
void peer_pb_free(struct peer_pb *pb);

#endif
