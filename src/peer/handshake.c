/* The handshake state machine, NONE → SENT_VERSION → SENT_VERACK →
 * CONNECTED, for both directions:
 *   outbound: connect → send version (SENT_VERSION) → their version → send
 *             verack (SENT_VERACK) → their verack → CONNECTED
 *   inbound:  accept (NONE) → their version → send version + verack
 *             (SENT_VERACK) → their verack → CONNECTED
 * version must come first and only once; wtxidrelay and sendaddrv2 belong
 * between version and verack (Bitcoin Core's rule); anything else before
 * CONNECTED is ignored. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/random.h>
#include <btcpeerd/satmath.h>

#include <stdio.h>
#include <string.h>

enum peer_send_result peer_send_version(struct peer *p)
{
    struct peer_table *t = p->table;
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = WIRE_VERSION;
    struct wire_version *v = &msg.u.version;
    v->version = PROTOCOL_VERSION;
    v->services = t->cfg->services;
    v->timestamp = clock_unix_s();
    uint8_t ip16[16] = {0};
    uint16_t port = 0;
    if (hostport_to_ip16((const struct sockaddr *)&p->addr, ip16, &port)) {
        wire_netaddr_from_v1(&v->addr_recv, ip16);
        v->addr_recv.port = port;
    } else {
        wire_netaddr_from_v1(&v->addr_recv, ip16);
    }
    /* addr_from: Core sends an empty address with our services. */
    uint8_t zero[16] = {0};
    wire_netaddr_from_v1(&v->addr_from, zero);
    v->addr_from.services = t->cfg->services;
    do p->local_nonce = random_u64();
    while (p->local_nonce == 0);
    v->nonce = p->local_nonce;
    size_t ua_len = strlen(t->cfg->user_agent);
    memcpy(v->user_agent, t->cfg->user_agent, ua_len);
    v->user_agent_len = ua_len;
    v->start_height = t->best_height;
    /* ordinary connections ask for transaction announcements: one of
     * ours announced back is how a broadcast is seen to have propagated */
    v->relay = !p->block_relay;
    if (p->pb) {
        /* private broadcast: nothing that ties this connection to us or
         * to our other connections (the nonce is fresh; addr_from empty) */
        v->services = 0;
        v->addr_from.services = 0;
        v->start_height = 0;
        v->relay = false;
    }
    v->n_optional = WIRE_VERSION_OPT_RELAY;
    /* Outbound nonces are remembered until the handshake ends, so our own
     * version coming back on an inbound connection is recognised. */
    if (!p->inbound) idmap_put(&t->local_nonces, p->local_nonce, (void *)(uintptr_t)p->id);
    return peer_send(p, &msg);
}

static void log_handshake(const struct peer *p)
{
    /* Formatting the fields costs more than the rest of the handshake's
     * user time; skip it when the line would be dropped. */
    if (!log_enabled(LOG_INFO, LOG_CAT_PEER)) return;
    char ua[WIRE_MAX_USER_AGENT + 1];
    log_sanitize(p->remote.user_agent, p->remote.user_agent_len, ua);
    char services[160], session[65];
    wire_services_str(p->remote.services, services, sizeof services);
    peer_transport_session_hex(p, session);
    struct log_field f[] = {
        LOG_STR("addr", p->addr_str),
        LOG_STR("direction", p->inbound ? "inbound" : "outbound"),
        LOG_INT("version", p->remote.version),
        LOG_STR("services", services),
        LOG_STR("user_agent", ua),
        LOG_INT("start_height", p->remote.start_height),
        LOG_BOOL("relay", p->remote.relay),
        LOG_INT("time_offset", p->remote.time_offset),
        LOG_STR("transport", peer_transport_name(p)),
        LOG_STR("session_id", session),
    };
    size_t n = sizeof f / sizeof f[0];
    if (!session[0]) n--; /* v1 has no session id */
    log_event(LOG_INFO, LOG_CAT_PEER, (int64_t)p->id, "handshake complete", f, n);
}

static void peer_become_connected(struct peer *p)
{
    struct peer_table *t = p->table;
    p->state = PEER_CONNECTED;
    if (p->local_nonce && !p->inbound) idmap_del(&t->local_nonces, p->local_nonce);
    p->last_recv_us = clock_mono_us(); /* the idle-ping clock starts now */
    peer_metrics_handshake_done(p);
    log_handshake(p);
    peer_timer_schedule(p);
    if (p->pb) { /* the node hears of it only when it is gone */
        peer_pb_connected(p);
        return;
    }

    struct peer_event *ev = peer_event_new(PEER_EV_READY, p->id);
    if (!ev) return;
    struct peer_ready_info *r = &ev->u.ready;
    r->inbound = p->inbound;
    r->manual = p->manual;
    r->version = p->remote.version;
    r->services = p->remote.services;
    r->start_height = p->remote.start_height;
    r->relay = p->remote.relay;
    r->time_offset = p->remote.time_offset;
    snprintf(r->addr, sizeof r->addr, "%s", p->addr_str);
    peer_netaddr(p, &r->netaddr);
    log_sanitize(p->remote.user_agent, p->remote.user_agent_len, r->user_agent);
    r->transport = peer_transport_name(p);
    peer_post(p, ev);
}

int64_t peer_time_offset(int64_t their_time, int64_t now)
{
    /* Bitcoin Core reads a negative nTime as 0 and leaves the top open, so
     * a peer's INT64_MAX shows as an offset of 9.2e18 s there; we also cap
     * it where the protocol's other clocks end (time_bounded), so the
     * offset stays a number a reader and a JSON parser take as it is. The
     * subtraction then cannot overflow for a sane local clock; saturating
     * keeps it defined even for an absurd one. */
    return sat_sub_i64(time_bounded(their_time), now);
}

static void peer_handle_version(struct peer *p, const struct wire_version *v)
{
    struct peer_table *t = p->table;
    if (v->version < MIN_PEER_PROTO_VERSION) {
        LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "obsolete protocol version %d",
               v->version);
        peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        return;
    }
    if (p->inbound && v->n_optional >= WIRE_VERSION_OPT_FROM_NONCE &&
        idmap_get(&t->local_nonces, v->nonce)) {
        peer_disconnect(p, PEER_REASON_SELF_CONNECTION);
        return;
    }
    p->remote.version = v->version;
    p->remote.services = v->services;
    p->remote.start_height = v->start_height;
    /* Peers that predate BIP37 have no relay field and always relay. */
    p->remote.relay = v->n_optional >= WIRE_VERSION_OPT_RELAY ? v->relay : true;
    p->remote.time_offset = peer_time_offset(v->timestamp, clock_unix_s());
    memcpy(p->remote.user_agent, v->user_agent, v->user_agent_len);
    p->remote.user_agent_len = v->user_agent_len;

    if (p->inbound && peer_send_version(p) == PEER_SEND_PEER_GONE) return;
    if (p->pb) {
        /* BIP339: an inv of type MSG_WTX counts only after wtxidrelay; no
         * sendaddrv2, we want no addresses from it */
        if (v->version >= 70016 && peer_send_empty(p, WIRE_WTXIDRELAY) == PEER_SEND_PEER_GONE) return;
    } else if (v->version >= 70016) {
        /* BIP339 and BIP155 go between version and verack: transactions
         * announced by wtxid, addresses in addrv2 */
        if (peer_send_empty(p, WIRE_WTXIDRELAY) == PEER_SEND_PEER_GONE) return;
        if (peer_send_empty(p, WIRE_SENDADDRV2) == PEER_SEND_PEER_GONE) return;
    }
    if (peer_send_empty(p, WIRE_VERACK) == PEER_SEND_PEER_GONE) return;
    p->state = PEER_SENT_VERACK;
}

void peer_handshake_message(struct peer *p, struct wire_msg *msg)
{
    bool version_seen = p->state == PEER_SENT_VERACK;
    switch (msg->type) {
    case WIRE_VERSION:
        if (version_seen) {
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "duplicate version");
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        } else {
            peer_handle_version(p, &msg->u.version);
        }
        break;
    case WIRE_VERACK:
        if (!version_seen) {
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "verack before version");
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        } else {
            peer_become_connected(p);
        }
        break;
    case WIRE_WTXIDRELAY:
    case WIRE_SENDADDRV2:
        if (!version_seen) {
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        } else if (msg->type == WIRE_WTXIDRELAY) {
            p->remote.wtxidrelay = true;
        } else {
            p->remote.wants_addrv2 = true;
        }
        break;
    default:
        if (!version_seen) {
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "%s before version",
                   wire_msg_command(msg));
            peer_disconnect(p, PEER_REASON_PROTOCOL_VIOLATION);
        } else {
            /* Core ignores other messages before verack; so do we. */
            LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "ignoring %s before verack",
                   wire_msg_command(msg));
        }
        break;
    }
    wire_msg_free(msg);
}
