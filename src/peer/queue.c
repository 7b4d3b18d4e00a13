/* The node queue: a singly linked FIFO drained by one libevent event, a
 * bounded batch per loop turn so that peers are read between batches. */
#include "events.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

struct node_queue {
    struct peer_event *head, *tail;
    size_t len;
    size_t bytes;
    size_t batch;
    node_queue_pop_fn on_pop;
    void *pop_arg;
    struct event *drain_ev;
    node_queue_drain_fn fn;
    void *arg;
};

const char *peer_event_type_str(enum peer_event_type type)
{
    switch (type) {
    case PEER_EV_READY: return "ready";
    case PEER_EV_DISCONNECTED: return "disconnected";
    case PEER_EV_HEADERS: return "headers";
    case PEER_EV_BLOCK: return "block";
    case PEER_EV_NEW_BLOCK: return "new-block";
    case PEER_EV_ADDR: return "addr";
    case PEER_EV_GETADDR: return "getaddr";
    case PEER_EV_GETHEADERS: return "getheaders";
    case PEER_EV_NOT_FOUND: return "notfound";
    case PEER_EV_TX: return "tx";
    case PEER_EV_CF_ANSWER: return "cf-answer";
    case PEER_EV_TX_SEEN: return "tx-seen";
    }
    return "unknown";
}

static bool event_has_msg(enum peer_event_type type)
{
    return type != PEER_EV_READY && type != PEER_EV_DISCONNECTED && type != PEER_EV_GETADDR;
}

struct peer_event *peer_event_new(enum peer_event_type type, uint64_t peer_id)
{
    struct peer_event *ev = calloc(1, sizeof *ev);
    if (!ev) return NULL;
    ev->type = type;
    ev->peer_id = peer_id;
    if (event_has_msg(type)) ev->u.msg.type = WIRE_UNKNOWN;
    return ev;
}

void peer_event_free(struct peer_event *ev)
{
    if (!ev) return;
    if (event_has_msg(ev->type)) wire_msg_free(&ev->u.msg);
    free(ev);
}

/* What an event holds: itself and its message's heap arrays. */
static size_t event_cost(const struct peer_event *ev)
{
    size_t c = sizeof *ev;
    if (!event_has_msg(ev->type)) return c;
    const struct wire_msg *m = &ev->u.msg;
    switch (m->type) {
    case WIRE_BLOCK: return c + m->u.block.raw_len + m->u.block.tx_count * sizeof(struct wire_tx_span);
    case WIRE_TX: return c + m->u.tx.raw_len;
    case WIRE_HEADERS: return c + m->u.headers.count * sizeof(struct wire_header);
    case WIRE_INV:
    case WIRE_GETDATA:
    case WIRE_NOTFOUND: return c + m->u.inv.count * sizeof(struct wire_inv_entry);
    case WIRE_ADDR:
    case WIRE_ADDRV2: return c + m->u.addr.count * sizeof(struct wire_netaddr);
    case WIRE_GETHEADERS:
    case WIRE_GETBLOCKS: return c + m->u.locator.count * 32;
    case WIRE_CFILTER: return c + m->u.cfilter.filter_len;
    case WIRE_CFHEADERS: return c + m->u.cfheaders.count * 32;
    case WIRE_CFCHECKPT: return c + m->u.cfcheckpt.count * 32;
    case WIRE_UNKNOWN: return c + m->u.unknown.len;
    default: return c;
    }
}

static void queue_drain(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node_queue *q = arg;
    for (size_t n = 0; n < q->batch && q->head; n++) {
        struct peer_event *ev = q->head;
        q->head = ev->next;
        if (!q->head) q->tail = NULL;
        q->len--;
        q->bytes -= ev->cost;
        ev->next = NULL;
        if (q->on_pop) q->on_pop(ev->peer_id, ev->cost, q->pop_arg);
        q->fn(ev, q->arg); /* the callback owns ev now */
    }
    if (q->head) {
        /* A zero timeout, not event_active: libevent would run an event
         * activated from its own callback in the same pass, before any
         * socket is read again. A timer waits for the next loop turn. */
        static const struct timeval now = {0, 0};
        event_add(q->drain_ev, &now);
    }
}

struct node_queue *node_queue_new(struct event_base *base, size_t batch,
                                  node_queue_drain_fn fn, void *arg)
{
    struct node_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->batch = batch ? batch : 1;
    q->fn = fn;
    q->arg = arg;
    q->drain_ev = event_new(base, -1, 0, queue_drain, q);
    if (!q->drain_ev) {
        free(q);
        return NULL;
    }
    return q;
}

void node_queue_free(struct node_queue *q)
{
    if (!q) return;
    while (q->head) {
        struct peer_event *ev = q->head;
        q->head = ev->next;
        peer_event_free(ev);
    }
    event_free(q->drain_ev);
    free(q);
}

void node_queue_push(struct node_queue *q, struct peer_event *ev)
{
    ev->next = NULL;
    ev->cost = event_cost(ev);
    q->bytes += ev->cost;
    if (q->tail)
        q->tail->next = ev;
    else
        q->head = ev;
    q->tail = ev;
    q->len++;
    if (q->len == 1) event_active(q->drain_ev, EV_TIMEOUT, 0);
}

size_t node_queue_len(const struct node_queue *q)
{
    return q->len;
}

size_t node_queue_bytes(const struct node_queue *q)
{
    return q->bytes;
}

void node_queue_set_pop_hook(struct node_queue *q, node_queue_pop_fn fn, void *arg)
{
    q->on_pop = fn;
    q->pop_arg = arg;
}
