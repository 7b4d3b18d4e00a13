/* The private-broadcast connection kind: a fresh short-lived outbound
 * connection that carries one transaction and nothing else. Its version
 * links to nothing (no address of ours, a random nonce, no services, no
 * height, relay=0); after the handshake it announces the transaction (by
 * wtxid, or by txid to a peer without wtxidrelay), answers a getdata for it with the tx, sends a ping and closes on
 * the pong, or on its deadline. Whatever else the peer says is ignored:
 * nothing goes to the node but the DISCONNECTED event, which says whether
 * the peer took the transaction. Bitcoin Core's private broadcast
 * (bitcoin/bitcoin#29415) works the same way. */
#include "peer_internal.h"
#include "pbroadcast.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

void peer_pb_free(struct peer_pb *pb)
{
    if (!pb) return;
    if (pb->deadline) event_free(pb->deadline);
    free(pb->raw);
    free(pb);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer *p = arg;
    if (p->state != PEER_DEAD) peer_disconnect(p, PEER_REASON_BROADCAST_TIMEOUT);
}

enum peer_err peer_connect_private_broadcast(struct peer_table *t, const struct wire_netaddr *addr,
                                             bool offer_v2, const struct peer_pb_tx *tx,
                                             uint64_t *id)
{
    struct peer_pb *pb = calloc(1, sizeof *pb);
    if (!pb) return PEER_ERR_NOMEM;
    pb->raw = malloc(tx->raw_len ? tx->raw_len : 1);
    if (!pb->raw) {
        free(pb);
        return PEER_ERR_NOMEM;
    }
    memcpy(pb->raw, tx->raw, tx->raw_len);
    pb->raw_len = tx->raw_len;
    memcpy(pb->txid, tx->txid, 32);
    memcpy(pb->wtxid, tx->wtxid, 32);
    enum peer_err err = peer_connect_addr_isolated(t, addr, offer_v2, true, id);
    if (err != PEER_OK) {
        peer_pb_free(pb);
        return err;
    }
    /* The connect may have failed already (the peer is dead, its
     * DISCONNECTED queued): it has no table entry left to carry the state. */
    struct peer *p = peer_lookup(t, *id);
    if (!p) {
        peer_pb_free(pb);
        return PEER_OK;
    }
    p->pb = pb;
    pb->deadline = evtimer_new(t->base, on_deadline, p);
    if (pb->deadline) {
        uint32_t ms = t->cfg->private_broadcast_timeout_ms;
        struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
        event_add(pb->deadline, &tv);
    }
    if (!pb->deadline) peer_disconnect(p, PEER_REASON_IO_ERROR);
    return PEER_OK;
}

void peer_pb_connected(struct peer *p)
{
    struct peer_pb *pb = p->pb;
    /* BIP339: by wtxid only when both sides sent wtxidrelay; a peer that
     * did not (bcoin, older nodes) knows transactions by txid */
    bool wtx = p->remote.wtxidrelay;
    struct wire_inv_entry entry = {.type = wtx ? WIRE_INV_WTX : WIRE_INV_TX};
    memcpy(entry.hash, wtx ? pb->wtxid : pb->txid, 32);
    struct wire_msg msg = {.type = WIRE_INV, .u.inv = {.count = 1, .entries = &entry}};
    if (peer_send(p, &msg) != PEER_SENT) return;
    pb->announced = true;
    char hex[65];
    hex_encode_rev(entry.hash, 32, hex);
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "private broadcast: announced %s=%s",
           wtx ? "wtxid" : "txid", hex);
}

/* Does a getdata entry ask for our transaction? By wtxid (MSG_WTX), or by
 * txid (MSG_TX, MSG_WITNESS_TX) from a peer that did not take wtxidrelay. */
static bool asks_for_ours(const struct peer_pb *pb, const struct wire_inv_entry *e)
{
    uint32_t type = e->type & ~WIRE_INV_WITNESS_FLAG;
    if (type == WIRE_INV_WTX) return memcmp(e->hash, pb->wtxid, 32) == 0;
    if (type == WIRE_INV_TX) return memcmp(e->hash, pb->txid, 32) == 0;
    return false;
}

static void handle_getdata(struct peer *p, const struct wire_inv *inv)
{
    struct peer_pb *pb = p->pb;
    if (pb->taken) return; /* sent once; the ping is out */
    bool ours = false;
    for (size_t i = 0; i < inv->count && !ours; i++) ours = asks_for_ours(pb, &inv->entries[i]);
    if (!ours) return;
    struct wire_msg msg = {.type = WIRE_TX, .u.tx = {.raw = pb->raw, .raw_len = pb->raw_len}};
    if (peer_send(p, &msg) != PEER_SENT) return;
    pb->taken = true;
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "private broadcast: tx sent, ping");
    /* the pong says every byte before it arrived: then we may close */
    peer_ping_now(p);
}

void peer_pb_message(struct peer *p, struct wire_msg *msg)
{
    switch (msg->type) {
    case WIRE_GETDATA: handle_getdata(p, &msg->u.inv); break;
    case WIRE_PONG:
        if (p->pb->taken && p->ping.outstanding && msg->u.ping.nonce == p->ping.nonce) {
            p->ping.outstanding = false;
            peer_disconnect(p, PEER_REASON_BROADCAST_DONE);
        }
        break;
    default:
        LOG_AT(LOG_TRACE, LOG_CAT_PEER, (int64_t)p->id, "private broadcast: ignoring %s",
               wire_msg_command(msg));
        break;
    }
    wire_msg_free(msg);
}
