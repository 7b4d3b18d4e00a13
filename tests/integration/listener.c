/* The test listeners of listener.h. */
#include "listener.h"

#include "scripted_peer.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

void listener_open(struct listener *l, const char *ip)
{
    snprintf(l->ip, sizeof l->ip, "%s", ip);
    l->fd = sp_listen_on(l->ip, 0);
    assert_true(l->fd >= 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(l->fd, (struct sockaddr *)&sa, &len), 0);
    l->port = ntohs(sa.sin_port);
}

void listener_open_group(struct listener *l, unsigned second_octet)
{
    char ip[16];
    snprintf(ip, sizeof ip, "127.%u.0.1", second_octet & 0xffu);
    listener_open(l, ip);
}

void listener_add(const struct rpc_daemon *r, const struct listener *l)
{
    json_t *reply = rpc_call(r, "addpeeraddress", json_pack("[s,i]", l->ip, l->port));
    assert_true(json_is_true(json_object_get(rpc_result(reply), "success")));
    json_decref(reply);
}
