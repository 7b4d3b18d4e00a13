/* Accepting inbound connections: an evconnlistener per bound address,
 * handing sockets to the node's peer table, or closing them at once when
 * the node has no inbound room. */
#ifndef BTCPEERD_NET_LISTENER_H
#define BTCPEERD_NET_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct node;
struct listener;

enum listener_err { LISTENER_OK = 0, LISTENER_ERR_ADDRESS, LISTENER_ERR_BIND, LISTENER_ERR_NOMEM };
const char *listener_err_str(enum listener_err err);

/* Listen on bind ("HOST[:PORT]", or NULL for every address) with port as the
 * default; port 0 picks a free port (logged, and returned by
 * listener_port). */
enum listener_err listener_new(struct event_base *base, struct node *node, const char *bind,
                               uint16_t port, struct listener **out);
uint16_t listener_port(const struct listener *l);
void listener_free(struct listener *l);

#endif
