/* The node: drains the peer queue and decides. It owns the peer table, the
 * manual connections (--connect, --addnode) with their reconnect backoff,
 * and answers what peers ask of it. Later: address manager, header chain,
 * block requests, bans. */
#ifndef BTCPEERD_NODE_H
#define BTCPEERD_NODE_H

#include "peer/peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;

#define NODE_MAX_MANUAL 64

struct node_config {
    struct peer_config peer;
    unsigned max_connections;   /* --maxconnections (125) */
    unsigned max_outbound;      /* automatic outbound slots kept for later (8; 0 with --connect) */
    uint32_t reconnect_min_ms;  /* manual peers: first retry (1 s) */
    uint32_t reconnect_max_ms;  /* ... doubling up to (5 min) */
    size_t n_connect, n_addnode;
    char connect[NODE_MAX_MANUAL][256];
    char addnode[NODE_MAX_MANUAL][256];
};

void node_config_default(struct node_config *cfg, const struct netparams *net);

enum node_err { NODE_OK = 0, NODE_ERR_NOMEM, NODE_ERR_BAD_ADDRESS };
const char *node_err_str(enum node_err err);

struct node;

struct node *node_new(struct event_base *base, struct evdns_base *dns,
                      const struct node_config *cfg);
/* Start the manual connections. */
enum node_err node_start(struct node *n);
/* Disconnect every peer (reason shutdown) and stop reconnecting. */
void node_shutdown(struct node *n);
void node_free(struct node *n);

/* For the listener: may another inbound peer come in? */
bool node_inbound_has_room(const struct node *n);
struct peer_table *node_peers(struct node *n);

#endif
