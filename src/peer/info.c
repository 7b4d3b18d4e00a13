/* What the peer layer shows of a peer: its stats and the getpeerinfo
 * view (copies, by id), the table's totals and ids, and the address the
 * node knows the peer by. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>

#include <event2/bufferevent.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum peer_err peer_get_stats(const struct peer_table *t, uint64_t id, struct peer_stats *out,
                             enum peer_state *state)
{
    const struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    if (out) *out = p->stats;
    if (state) *state = p->state;
    return PEER_OK;
}

/* A monotonic time in the past as unix seconds. */
static int64_t mono_to_unix(uint64_t then_us, uint64_t now_us)
{
    if (!then_us) return 0;
    return clock_unix_s() - (int64_t)((now_us - then_us) / 1000000u);
}

_Static_assert(PEER_MSG_KINDS >= WIRE_TYPE_COUNT, "a row for every message type");

/* The nonzero counts as named rows, bitcoind's "*other*" for the rest. */
static size_t msg_rows(const uint64_t bytes[WIRE_TYPE_COUNT], struct peer_msg_bytes *rows)
{
    size_t n = 0;
    for (int t = 0; t < WIRE_TYPE_COUNT; t++) {
        if (!bytes[t]) continue;
        snprintf(rows[n].command, sizeof rows[n].command, "%s",
                 t == WIRE_UNKNOWN ? "*other*" : wire_type_command((enum wire_type)t));
        rows[n++].bytes = bytes[t];
    }
    return n;
}

enum peer_err peer_get_info(const struct peer_table *t, uint64_t id, struct peer_info *out)
{
    const struct peer *p = peer_lookup(t, id);
    if (!p) return PEER_ERR_UNKNOWN_ID;
    memset(out, 0, sizeof *out);
    uint64_t now = clock_mono_us();
    out->id = p->id;
    out->state = p->state;
    out->inbound = p->inbound;
    out->manual = p->manual;
    snprintf(out->addr, sizeof out->addr, "%s", p->addr_str);
    evutil_socket_t fd = p->bev ? bufferevent_getfd(p->bev) : -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        hostport_format((struct sockaddr *)&ss, out->addrbind, sizeof out->addrbind);
    out->transport = peer_transport_name(p);
    peer_transport_session_hex(p, out->session_id);
    out->version = p->remote.version;
    out->services = p->remote.services;
    out->relay = p->remote.relay;
    log_sanitize(p->remote.user_agent, p->remote.user_agent_len, out->subver);
    out->start_height = p->remote.start_height;
    out->feefilter = p->remote.feefilter;
    out->cmpct_hb_from = p->remote.cmpct_announce && p->remote.cmpct_version == 2;
    out->time_offset = p->remote.time_offset;
    out->conn_time = mono_to_unix(p->connected_us, now);
    out->last_send = mono_to_unix(p->last_send_us, now);
    out->last_recv = mono_to_unix(p->last_msg_in_us, now);
    out->ping_wait_us = p->ping.outstanding ? now - p->ping.sent_us : 0;
    out->stats = p->stats;
    out->n_sent_per_msg = msg_rows(p->sent_bytes, out->sent_per_msg);
    out->n_recv_per_msg = msg_rows(p->recv_bytes, out->recv_per_msg);
    return PEER_OK;
}

void peer_table_totals(const struct peer_table *t, uint64_t *in, uint64_t *out)
{
    *in = t->metrics.net_bytes_in;
    *out = t->metrics.net_bytes_out;
}

void peer_netaddr(const struct peer *p, struct wire_netaddr *out)
{
    if (p->has_target) {
        *out = p->target;
        out->time = 0;
        out->services = 0;
        return;
    }
    if (!netaddr_from_sockaddr((const struct sockaddr *)&p->addr, out)) memset(out, 0, sizeof *out);
}
