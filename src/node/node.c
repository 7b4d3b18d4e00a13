/* Node core: the queue drain and the dispatch of what peers report. */
#include "node.h"

#include "node_internal.h"

#include <btcpeerd/log.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

const char *node_err_str(enum node_err err)
{
    switch (err) {
    case NODE_OK: return "ok";
    case NODE_ERR_NOMEM: return "out-of-memory";
    case NODE_ERR_BAD_ADDRESS: return "bad-address";
    }
    return "unknown";
}

void node_config_default(struct node_config *cfg, const struct netparams *net)
{
    memset(cfg, 0, sizeof *cfg);
    peer_config_default(&cfg->peer, net);
    cfg->max_connections = 125;
    cfg->max_outbound = 8;
    cfg->reconnect_min_ms = 1000;
    cfg->reconnect_max_ms = 5 * 60 * 1000;
}

/* Until the header chain exists we know only genesis: an empty `headers`
 * tells the asker we have nothing after its locator. */
static void node_answer_getheaders(struct node *n, uint64_t peer_id)
{
    struct wire_headers none = {0};
    struct node_request req = {.type = NODE_REQ_SEND_HEADERS, .u.headers = &none};
    peer_request(n->peers, peer_id, &req);
}

static void node_on_event(struct peer_event *ev, void *arg)
{
    struct node *n = arg;
    LOG_AT(LOG_TRACE, LOG_CAT_NODE, (int64_t)ev->peer_id, "event %s",
           peer_event_type_str(ev->type));
    switch (ev->type) {
    case PEER_EV_READY: node_manual_ready(n, ev->peer_id); break;
    case PEER_EV_DISCONNECTED: node_manual_disconnected(n, ev->peer_id); break;
    case PEER_EV_GETHEADERS: node_answer_getheaders(n, ev->peer_id); break;
    case PEER_EV_GETADDR:   /* no address manager yet: nothing to offer */
    case PEER_EV_HEADERS:   /* no header chain yet */
    case PEER_EV_BLOCK:
    case PEER_EV_NEW_BLOCK:
    case PEER_EV_ADDR:
    case PEER_EV_NOT_FOUND:
    case PEER_EV_TX: break;
    }
    peer_event_free(ev);
}

struct node *node_new(struct event_base *base, struct evdns_base *dns,
                      const struct node_config *cfg)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->base = base;
    n->dns = dns;
    n->cfg = cfg;
    n->queue = node_queue_new(base, 64, node_on_event, n);
    if (n->queue) n->peers = peer_table_new(base, dns, &cfg->peer, n->queue);
    if (!n->queue || !n->peers) {
        node_free(n);
        return NULL;
    }
    return n;
}

enum node_err node_start(struct node *n)
{
    return node_manual_start(n);
}

void node_shutdown(struct node *n)
{
    n->shutting_down = true;
    node_manual_stop(n);
    peer_table_disconnect_all(n->peers, PEER_REASON_SHUTDOWN);
}

void node_free(struct node *n)
{
    if (!n) return;
    node_manual_stop(n);
    peer_table_free(n->peers);
    node_queue_free(n->queue);
    free(n);
}

bool node_inbound_has_room(const struct node *n)
{
    if (n->shutting_down) return false;
    unsigned reserved = n->cfg->max_outbound + (unsigned)n->n_manual;
    unsigned limit = n->cfg->max_connections > reserved ? n->cfg->max_connections - reserved : 0;
    return peer_table_count_dir(n->peers, true) < limit;
}

struct peer_table *node_peers(struct node *n)
{
    return n->peers;
}
