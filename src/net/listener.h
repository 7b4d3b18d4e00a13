/* Accepting inbound connections: an evconnlistener per bound address,
 * handing each accepted socket (non-blocking, TCP_NODELAY) up through the
 * callback it was given; whoever registered it (the node, wired by main)
 * adopts the socket or closes it. */
#ifndef BTCPEERD_NET_LISTENER_H
#define BTCPEERD_NET_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct listener;
struct sockaddr;

/* A new connection: fd is the taker's to keep or close. */
typedef void (*listener_accept_fn)(void *arg, int fd, const struct sockaddr *sa, int salen);

enum listener_err { LISTENER_OK = 0, LISTENER_ERR_ADDRESS, LISTENER_ERR_BIND, LISTENER_ERR_NOMEM };
const char *listener_err_str(enum listener_err err);

/* Listen on bind ("HOST[:PORT]", or NULL for every address) with port as the
 * default; port 0 picks a free port (logged, and returned by
 * listener_port). */
enum listener_err listener_new(struct event_base *base, listener_accept_fn accept_fn, void *arg,
                               const char *bind, uint16_t port, struct listener **out);
uint16_t listener_port(const struct listener *l);
void listener_free(struct listener *l);

#endif
