/* Per-peer timing with a single libevent timer per peer, armed for the
 * earliest thing that can happen next:
 *   before CONNECTED: the handshake deadline;
 *   CONNECTED, ping outstanding: the ping deadline;
 *   CONNECTED, no ping: last message + ping interval.
 * Messages do not re-arm the timer (that would cost a heap update per
 * message); when it fires early because traffic moved last_recv on, it
 * re-arms for the new time. An idle daemon wakes only when something is due. */
#include "peer_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/random.h>

#include <event2/event.h>
#include <string.h>

static uint64_t next_deadline(const struct peer *p)
{
    const struct peer_config *cfg = p->table->cfg;
    if (p->state != PEER_CONNECTED) return p->handshake_deadline_us;
    if (p->ping.outstanding) return p->ping.sent_us + (uint64_t)cfg->ping_timeout_ms * 1000u;
    return p->last_recv_us + (uint64_t)cfg->ping_interval_ms * 1000u;
}

void peer_timer_schedule(struct peer *p)
{
    if (p->state == PEER_DEAD || p->connecting) return;
    uint64_t now = clock_mono_us(), due = next_deadline(p);
    uint64_t wait = due > now ? due - now : 0;
    struct timeval tv = {.tv_sec = (time_t)(wait / 1000000u),
                         .tv_usec = (suseconds_t)(wait % 1000000u)};
    event_add(p->timer, &tv);
}

void peer_ping_now(struct peer *p)
{
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = WIRE_PING;
    msg.u.ping.nonce = random_u64();
    p->ping.nonce = msg.u.ping.nonce;
    p->ping.sent_us = clock_mono_us();
    p->ping.outstanding = true;
    if (peer_send(p, &msg) != PEER_SEND_PEER_GONE) peer_timer_schedule(p);
}

static void peer_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct peer *p = arg;
    uint64_t now = clock_mono_us();
    const struct peer_config *cfg = p->table->cfg;
    if (p->state == PEER_DEAD) return;
    if (p->state != PEER_CONNECTED) {
        if (now >= p->handshake_deadline_us) {
            peer_disconnect(p, PEER_REASON_HANDSHAKE_TIMEOUT);
            return;
        }
    } else if (p->ping.outstanding) {
        if (now >= p->ping.sent_us + (uint64_t)cfg->ping_timeout_ms * 1000u) {
            peer_disconnect(p, PEER_REASON_PING_TIMEOUT);
            return;
        }
    } else if (now >= p->last_recv_us + (uint64_t)cfg->ping_interval_ms * 1000u) {
        peer_ping_now(p);
        if (p->state == PEER_DEAD) return;
    }
    peer_timer_schedule(p);
}

bool peer_timer_init(struct peer *p)
{
    p->timer = evtimer_new(p->table->base, peer_on_timer, p);
    return p->timer != NULL;
}

/* The seed's rule: counted messages ÷ whole seconds connected > limit →
 * disconnect, with the seconds counted as at least PEER_RATE_MIN_WINDOW_S
 * so that a flood in the first second is judged too. */
bool peer_rate_check(struct peer *p)
{
    uint32_t limit = p->table->cfg->max_msg_rate;
    if (limit == 0) return true;
    uint64_t secs = (clock_mono_us() - p->connected_us) / 1000000u;
    if (secs < PEER_RATE_MIN_WINDOW_S) secs = PEER_RATE_MIN_WINDOW_S;
    if (p->stats.rate_counted / secs > limit) {
        peer_disconnect(p, PEER_REASON_RATE_LIMIT);
        return false;
    }
    return true;
}
