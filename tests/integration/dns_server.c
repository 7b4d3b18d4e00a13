/* The test DNS server (see dns_server.h). The child owns its own event base
 * and exits when killed; the parent knows the port before forking. */
#include "dns_server.h"

#include "harness.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct answers {
    const char *name;
    const char *const *ips;
};

static void on_request(struct evdns_server_request *req, void *arg)
{
    const struct answers *a = arg;
    bool ours = false;
    for (int i = 0; i < req->nquestions; i++) {
        if (strncasecmp(req->questions[i]->name, "silent.", 7) == 0) {
            evdns_server_request_drop(req);
            return;
        }
        ours = ours || strcasecmp(req->questions[i]->name, a->name) == 0;
    }
    if (!ours) {
        evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
        return;
    }
    for (int i = 0; i < req->nquestions; i++) {
        const struct evdns_server_question *q = req->questions[i];
        if (q->type != EVDNS_TYPE_A || strcasecmp(q->name, a->name) != 0) continue;
        for (const char *const *ip = a->ips; *ip; ip++) {
            struct in_addr in;
            if (inet_pton(AF_INET, *ip, &in) == 1)
                evdns_server_request_add_a_reply(req, q->name, 1, &in.s_addr, 60);
        }
    }
    evdns_server_request_respond(req, 0);
}

int dns_server_start(struct dns_server *s, const char *name, const char *const *ips)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    s->pid = fork();
    if (s->pid == 0) {
        struct event_base *base = event_base_new();
        static struct answers a;
        a.name = name;
        a.ips = ips;
        evutil_make_socket_nonblocking(fd);
        if (!base || !evdns_add_server_port_with_base(base, fd, 0, on_request, &a)) _exit(1);
        event_base_dispatch(base);
        _exit(0);
    }
    close(fd); /* the child has it; the socket was bound before the fork */
    if (s->pid > 0) harness_track_child(s->pid);
    return s->pid > 0 ? 0 : -1;
}

void dns_server_stop(struct dns_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        harness_forget_child(s->pid);
    }
    s->pid = 0;
}
