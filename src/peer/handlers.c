/* Messages in CONNECTED, and what the node asks of a peer. Pings are
 * answered here, never queued behind the node; what the node needs to know
 * goes on the queue with the decoded message moved into the event. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>

#include <stdlib.h>
#include <string.h>

bool peer_is_solicited(struct peer *p, const struct wire_msg *msg)
{
    switch (msg->type) {
    case WIRE_PONG:
        /* Only the answer to our ping: pongs with other nonces answer
         * nothing and count like any unsolicited message. */
        return p->ping.outstanding && msg->u.ping.nonce == p->ping.nonce;
    case WIRE_HEADERS:
        if (!p->pending.headers) return false;
        p->pending.headers--;
        return true;
    case WIRE_BLOCK:
    case WIRE_TX: /* a block or a transaction we asked for */
        if (!p->pending.getdata) return false;
        p->pending.getdata--;
        return true;
    case WIRE_NOTFOUND: {
        if (!p->pending.getdata) return false;
        size_t n = msg->u.inv.count;
        p->pending.getdata = n >= p->pending.getdata ? 0 : p->pending.getdata - (uint32_t)n;
        return true;
    }
    case WIRE_ADDR:
    case WIRE_ADDRV2:
        if (!p->pending.addr) return false;
        p->pending.addr = false; /* one answer per getaddr */
        return true;
    case WIRE_CFILTER:
    case WIRE_CFHEADERS:
    case WIRE_CFCHECKPT:
        if (!p->pending.cf) return false;
        p->pending.cf--;
        return true;
    default: return false;
    }
}

/* Move the message into a new event for the node. */
static void post_msg(struct peer *p, enum peer_event_type type, struct wire_msg *msg)
{
    struct peer_event *ev = peer_event_new(type, p->id);
    if (!ev) return;
    ev->u.msg = *msg;
    memset(msg, 0, sizeof *msg);
    msg->type = WIRE_UNKNOWN;
    peer_post(p, ev);
}

static void handle_pong(struct peer *p, const struct wire_ping *pong)
{
    /* A pong with another nonce changes nothing: the ping stays due. */
    if (!p->ping.outstanding || pong->nonce != p->ping.nonce) {
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "pong with unexpected nonce");
        return;
    }
    p->ping.outstanding = false;
    p->stats.ping_rtt_us = clock_mono_us() - p->ping.sent_us;
    peer_metrics_ping(p, p->stats.ping_rtt_us);
    if (!p->stats.min_ping_us || p->stats.ping_rtt_us < p->stats.min_ping_us)
        p->stats.min_ping_us = p->stats.ping_rtt_us;
    peer_timer_schedule(p);
}

/* Our own transactions seen announced: a small event of their entries
 * (allocated only for those, which are rare). */
static void post_tx_seen(struct peer *p, const struct wire_inv_entry *seen, size_t n)
{
    struct peer_event *ev = peer_event_new(PEER_EV_TX_SEEN, p->id);
    struct wire_inv_entry *copy = malloc(n * sizeof *copy);
    if (!ev || !copy) {
        free(copy);
        peer_event_free(ev);
        return;
    }
    memcpy(copy, seen, n * sizeof *copy);
    ev->u.msg.type = WIRE_INV;
    ev->u.msg.u.inv = (struct wire_inv){.count = n, .entries = copy};
    peer_post(p, ev);
}

/* Core's RejectIncomingTxs: our version told a block-relay-only peer
 * relay=0, so a transaction, or an inv naming one, breaks what it agreed
 * to. Core disconnects without discouraging ("transaction sent in
 * violation of protocol"); the peer layer is the one that knows the link's
 * kind and what our version said, so it decides, and the node never sees
 * the message. True if the peer was disconnected. */
static bool tx_on_block_relay(struct peer *p, const struct wire_msg *msg)
{
    if (!p->block_relay) return false;
    bool tx = msg->type == WIRE_TX;
    for (size_t i = 0; !tx && msg->type == WIRE_INV && i < msg->u.inv.count; i++) {
        uint32_t type = msg->u.inv.entries[i].type & ~WIRE_INV_WITNESS_FLAG;
        tx = type == WIRE_INV_TX || type == WIRE_INV_WTX;
    }
    if (!tx) return false;
    LOG_AT(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id,
           "transaction %s sent in violation of protocol on a block-relay-only connection",
           wire_msg_command(msg));
    peer_disconnect(p, PEER_REASON_BLOCK_RELAY_TX);
    return true;
}

/* Block entries go to the node as NEW_BLOCK, transaction entries naming
 * one of our broadcasts as TX_SEEN; the other transactions (an honest
 * peer announces up to 1,000 every few seconds once we ask for tx relay)
 * are dropped here: we keep no mempool. */
static void handle_inv(struct peer *p, struct wire_msg *msg)
{
    struct wire_inv *inv = &msg->u.inv;
    size_t blocks = 0, n_seen = 0;
    struct wire_inv_entry seen[4];
    bool any_watched = idmap_len(&p->table->watched_tx) != 0;
    for (size_t i = 0; i < inv->count; i++) {
        uint32_t type = inv->entries[i].type & ~WIRE_INV_WITNESS_FLAG;
        if (type == WIRE_INV_BLOCK) {
            inv->entries[blocks++] = inv->entries[i];
        } else if (any_watched && (type == WIRE_INV_TX || type == WIRE_INV_WTX) &&
                   n_seen < sizeof seen / sizeof seen[0] &&
                   peer_tx_watched(p->table, inv->entries[i].hash)) {
            seen[n_seen++] = inv->entries[i];
        }
    }
    if (n_seen) post_tx_seen(p, seen, n_seen);
    if (!blocks || p->state == PEER_DEAD) return;
    inv->count = blocks;
    post_msg(p, PEER_EV_NEW_BLOCK, msg);
}

/* We keep no blocks or transactions to serve: everything asked is not found. */
static void handle_getdata(struct peer *p, struct wire_msg *msg)
{
    msg->type = WIRE_NOTFOUND;
    peer_send(p, msg);
}

void peer_connected_message(struct peer *p, struct wire_msg *msg)
{
    if (p->pb) {
        peer_pb_message(p, msg);
        return;
    }
    switch (msg->type) {
    case WIRE_PING: {
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = msg->u.ping};
        peer_send(p, &pong);
        break;
    }
    case WIRE_PONG: handle_pong(p, &msg->u.ping); break;
    case WIRE_VERSION:
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "duplicate version");
        peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        break;
    case WIRE_VERACK: break; /* redundant, as Core: ignored */
    case WIRE_WTXIDRELAY:
    case WIRE_SENDADDRV2:
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "%s after verack", wire_msg_command(msg));
        peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        break;
    case WIRE_SENDHEADERS: p->remote.wants_headers_announce = true; break;
    case WIRE_FEEFILTER: p->remote.feefilter = msg->u.feefilter.feerate; break;
    case WIRE_SENDCMPCT:
        p->remote.cmpct_announce = msg->u.sendcmpct.announce;
        p->remote.cmpct_version = msg->u.sendcmpct.version;
        break;
    case WIRE_GETHEADERS: post_msg(p, PEER_EV_GETHEADERS, msg); break;
    case WIRE_HEADERS:
        /* BIP130, when Core does it: once headers flow between us, ask for
         * new blocks to be announced as headers rather than inv. */
        if (!p->sent_sendheaders && p->remote.version >= 70012) {
            p->sent_sendheaders = true;
            if (peer_send_empty(p, WIRE_SENDHEADERS) == PEER_SEND_PEER_GONE) break;
        }
        post_msg(p, PEER_EV_HEADERS, msg);
        break;
    case WIRE_BLOCK: post_msg(p, PEER_EV_BLOCK, msg); break;
    case WIRE_NOTFOUND: post_msg(p, PEER_EV_NOT_FOUND, msg); break;
    case WIRE_TX:
        if (!tx_on_block_relay(p, msg)) post_msg(p, PEER_EV_TX, msg);
        break;
    case WIRE_INV:
        if (!tx_on_block_relay(p, msg)) handle_inv(p, msg);
        break;
    case WIRE_ADDR:
    case WIRE_ADDRV2:
        /* defence in depth: the node ignores them too */
        if (p->block_relay) {
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "ignoring %s from a block-relay-only peer",
                   wire_msg_command(msg));
            break;
        }
        post_msg(p, PEER_EV_ADDR, msg);
        break;
    case WIRE_GETADDR:
        /* Core answers one getaddr per inbound connection and ignores it
         * from outbound peers (a fingerprinting defence). */
        if (p->inbound && !p->sent_getaddr_to_node) {
            p->sent_getaddr_to_node = true;
            peer_post(p, peer_event_new(PEER_EV_GETADDR, p->id));
        }
        break;
    case WIRE_GETDATA: handle_getdata(p, msg); break;
    case WIRE_CFILTER:
    case WIRE_CFHEADERS:
    case WIRE_CFCHECKPT: post_msg(p, PEER_EV_CF_ANSWER, msg); break; /* the node judges them */
    case WIRE_GETCFILTERS:
    case WIRE_GETCFHEADERS:
    case WIRE_GETCFCHECKPT:
        /* We keep no filters to serve and never advertise NODE_COMPACT_
         * FILTERS; Core disconnects a peer asking for a filter type it
         * does not serve. */
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "%s: we serve no filters",
               wire_msg_command(msg));
        peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        break;
    case WIRE_GETBLOCKS:
    case WIRE_UNKNOWN:
    case WIRE_TYPE_COUNT: break; /* unknown or unserved: ignored */
    }
    wire_msg_free(msg);
}

static bool send_inv_request(struct peer *p, uint32_t type, const uint8_t hash[32])
{
    struct wire_inv_entry entry = {.type = type};
    memcpy(entry.hash, hash, 32);
    struct wire_msg msg = {.type = WIRE_GETDATA, .u.inv = {.count = 1, .entries = &entry}};
    if (p->pending.getdata >= PEER_MAX_PENDING_GETDATA) return false;
    if (peer_send(p, &msg) == PEER_SEND_PEER_GONE) return false;
    p->pending.getdata++;
    return true;
}

/* addrv2 to peers that asked for it (BIP155); plain addr, IPv4 and IPv6
 * only, to the rest. */
static void send_addrs(struct peer *p, const struct wire_addr *addrs)
{
    struct wire_msg msg = {.type = WIRE_ADDRV2, .u.addr = *addrs};
    if (p->remote.wants_addrv2) {
        peer_send(p, &msg);
        return;
    }
    struct wire_netaddr *v1 = malloc((addrs->count ? addrs->count : 1) * sizeof *v1);
    if (!v1) return;
    size_t n = 0;
    for (size_t i = 0; i < addrs->count; i++)
        if (addrs->addrs[i].net == WIRE_NET_IPV4 || addrs->addrs[i].net == WIRE_NET_IPV6)
            v1[n++] = addrs->addrs[i];
    msg.type = WIRE_ADDR;
    msg.u.addr = (struct wire_addr){.count = n, .addrs = v1};
    if (n) peer_send(p, &msg);
    free(v1);
}

/* BIP130: headers to a peer that sent sendheaders, an inv of the tip to
 * the rest. */
static void announce_tip(struct peer *p, const struct wire_headers *hdrs)
{
    if (p->remote.wants_headers_announce) {
        struct wire_msg msg = {.type = WIRE_HEADERS, .u.headers = *hdrs};
        peer_send(p, &msg);
        return;
    }
    struct wire_inv_entry entry = {.type = WIRE_INV_BLOCK};
    wire_header_hash(&hdrs->headers[hdrs->count - 1], entry.hash);
    struct wire_msg msg = {.type = WIRE_INV, .u.inv = {.count = 1, .entries = &entry}};
    peer_send(p, &msg);
}

enum peer_err peer_request(struct peer_table *t, uint64_t id, const struct node_request *req)
{
    struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    if (p->state != PEER_CONNECTED) return PEER_ERR_NOT_CONNECTED;
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    switch (req->type) {
    case NODE_REQ_GET_HEADERS: {
        if (!req->u.locator) return PEER_ERR_BAD_REQUEST;
        uint64_t now = clock_mono_us();
        if (p->pending.headers >= PEER_MAX_PENDING_HEADERS) {
            /* Core's HEADERS_RESPONSE_TIME: an answer owed this long is
             * not coming; the peer may be asked again. */
            if (now - p->pending.headers_asked_us < PEER_HEADERS_RESPONSE_US) return PEER_ERR_BUSY;
            p->pending.headers = 0;
        }
        msg.type = WIRE_GETHEADERS;
        msg.u.locator = *req->u.locator;
        if (peer_send(p, &msg) != PEER_SEND_PEER_GONE) {
            p->pending.headers++;
            p->pending.headers_asked_us = now;
        }
        break;
    }
    case NODE_REQ_GET_BLOCK:
        if (p->pending.getdata >= PEER_MAX_PENDING_GETDATA) return PEER_ERR_BUSY;
        send_inv_request(p, WIRE_INV_WITNESS_BLOCK, req->u.hash);
        break;
    case NODE_REQ_GET_TX:
        if (p->block_relay) return PEER_ERR_BAD_REQUEST; /* it may not send us one */
        if (p->pending.getdata >= PEER_MAX_PENDING_GETDATA) return PEER_ERR_BUSY;
        send_inv_request(p, WIRE_INV_WTX, req->u.hash);
        break;
    case NODE_REQ_GET_ADDR:
        if (p->block_relay) return PEER_ERR_BAD_REQUEST;
        if (peer_send_empty(p, WIRE_GETADDR) != PEER_SEND_PEER_GONE) p->pending.addr = true;
        break;
    case NODE_REQ_SEND_ADDR:
        if (!req->u.addrs || p->block_relay) return PEER_ERR_BAD_REQUEST;
        send_addrs(p, req->u.addrs);
        break;
    case NODE_REQ_SEND_HEADERS:
        if (!req->u.headers) return PEER_ERR_BAD_REQUEST;
        msg.type = WIRE_HEADERS;
        msg.u.headers = *req->u.headers;
        peer_send(p, &msg);
        break;
    case NODE_REQ_PING:
        /* An explicit ping still follows the one-outstanding rule. */
        if (!p->ping.outstanding) peer_ping_now(p);
        break;
    case NODE_REQ_SHUTDOWN: peer_disconnect(p, PEER_REASON_REQUESTED); break;
    case NODE_REQ_GET_CF: {
        const struct node_cf_request *cf = req->u.cf;
        if (!cf || (cf->msg.type != WIRE_GETCFILTERS && cf->msg.type != WIRE_GETCFHEADERS &&
                    cf->msg.type != WIRE_GETCFCHECKPT))
            return PEER_ERR_BAD_REQUEST;
        if (cf->answers > PEER_MAX_PENDING_CF || p->pending.cf > PEER_MAX_PENDING_CF - cf->answers)
            return PEER_ERR_BUSY;
        if (peer_send(p, &cf->msg) != PEER_SEND_PEER_GONE) p->pending.cf += cf->answers;
        break;
    }
    case NODE_REQ_ANNOUNCE:
        if (!req->u.headers || !req->u.headers->count) return PEER_ERR_BAD_REQUEST;
        announce_tip(p, req->u.headers);
        break;
    default: return PEER_ERR_BAD_REQUEST;
    }
    return PEER_OK;
}
