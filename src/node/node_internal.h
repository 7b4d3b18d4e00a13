/* The node's state, shared by its files (node.c, manual.c). */
#ifndef BTCPEERD_NODE_INTERNAL_H
#define BTCPEERD_NODE_INTERNAL_H

#include "node.h"

struct event;

/* One --connect or --addnode target. */
struct manual_peer {
    struct node *node;
    char host[256];
    uint16_t port;
    uint64_t peer_id;      /* current connection, 0 if none */
    uint32_t backoff_ms;   /* next retry delay */
    struct event *retry;
};

struct node {
    struct event_base *base;
    struct evdns_base *dns;
    const struct node_config *cfg;
    struct node_queue *queue;
    struct peer_table *peers;
    struct manual_peer *manual;
    size_t n_manual;
    bool shutting_down;
};

enum node_err node_manual_start(struct node *n);
void node_manual_stop(struct node *n);
void node_manual_ready(struct node *n, uint64_t peer_id);
void node_manual_disconnected(struct node *n, uint64_t peer_id);

#endif
