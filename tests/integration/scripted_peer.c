/* The scripted peer. */
#include "scripted_peer.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sp_init(struct sp *s, int fd, const uint8_t magic[4])
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    memcpy(s->magic, magic, 4);
    transport_v1_init(&s->rx, magic, WIRE_MAX_PAYLOAD);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void sp_adopt(struct sp *s, int fd, const uint8_t magic[4])
{
    sp_init(s, fd, magic);
}

bool sp_connect(struct sp *s, uint16_t port, const uint8_t magic[4])
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return false;
    }
    sp_init(s, fd, magic);
    return true;
}

bool sp_connect_from(struct sp *s, const char *from_ip, uint16_t port, const uint8_t magic[4])
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = 0};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (inet_pton(AF_INET, from_ip, &local.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&local, sizeof local) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return false;
    }
    sp_init(s, fd, magic);
    return true;
}

int sp_listen_on(const char *ip, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sp_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Like a v1-only node: a connection whose first bytes are not our magic
 * (a BIP324 key) is closed, and the next one is taken. */
bool sp_accept(struct sp *s, int listen_fd, const uint8_t magic[4], unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(deadline - now)) != 1) return false;
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) return false;
        uint8_t first[4];
        struct pollfd in = {.fd = fd, .events = POLLIN};
        ssize_t n = 0;
        now = clock_mono_ms();
        if (now < deadline && poll(&in, 1, (int)(deadline - now)) == 1)
            n = recv(fd, first, sizeof first, MSG_PEEK | MSG_WAITALL);
        if (n == 4 && memcmp(first, magic, 4) == 0) {
            sp_init(s, fd, magic);
            return true;
        }
        close(fd);
    }
}

void sp_close(struct sp *s)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    transport_v1_clear(&s->rx);
}

bool sp_send_raw(struct sp *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

size_t sp_send_some(struct sp *s, const void *data, size_t len)
{
    ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? (size_t)n : 0;
}

/* Feed what was read to the transport and drop the frames. */
static void discard_pending(struct sp *s)
{
    while (s->pending_off < s->pending_len) {
        size_t used = 0;
        struct transport_frame f;
        enum transport_status st = transport_v1_read(&s->rx, s->pending + s->pending_off,
                                                     s->pending_len - s->pending_off, &used, &f);
        s->pending_off += used;
        if (st == TRANSPORT_FRAME) transport_frame_free(&f);
        if (transport_status_fatal(st)) break;
    }
}

bool sp_send_draining(struct sp *s, const void *data, size_t len, unsigned timeout_ms)
{
    const uint8_t *p = data;
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (len) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN | POLLOUT};
        if (poll(&pfd, 1, (int)(deadline - now)) <= 0) continue;
        if (pfd.revents & POLLIN) {
            discard_pending(s);
            ssize_t n = recv(s->fd, s->pending, sizeof s->pending, MSG_DONTWAIT);
            if (n == 0) return false;
            if (n > 0) {
                s->pending_len = (size_t)n;
                s->pending_off = 0;
                discard_pending(s);
            }
        }
        if (pfd.revents & POLLOUT) {
            size_t n = sp_send_some(s, p, len);
            p += n;
            len -= n;
        }
    }
    return true;
}

bool sp_send_frame(struct sp *s, const char *command, const uint8_t *payload, size_t len)
{
    struct buf_writer w;
    buf_writer_init(&w);
    bool ok = transport_v1_write(s->magic, command, payload, len, WIRE_MAX_PAYLOAD, &w) ==
                  TRANSPORT_OK &&
              sp_send_raw(s, w.data, w.len);
    buf_writer_free(&w);
    return ok;
}

bool sp_send(struct sp *s, const struct wire_msg *msg)
{
    struct buf_writer w;
    buf_writer_init(&w);
    bool ok = wire_encode(msg, &w) == WIRE_OK &&
              sp_send_frame(s, wire_msg_command(msg), w.data, w.len);
    buf_writer_free(&w);
    return ok;
}

bool sp_send_empty(struct sp *s, enum wire_type type)
{
    struct wire_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.type = type;
    return sp_send(s, &msg);
}

enum sp_result sp_recv(struct sp *s, struct wire_msg *msg, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        while (s->pending_off < s->pending_len) {
            size_t used = 0;
            struct transport_frame f;
            enum transport_status st = transport_v1_read(&s->rx, s->pending + s->pending_off,
                                                         s->pending_len - s->pending_off, &used, &f);
            s->pending_off += used;
            if (st == TRANSPORT_FRAME) {
                enum wire_err err = wire_decode(f.command, f.payload, f.len, msg);
                transport_frame_free(&f);
                return err == WIRE_OK ? SP_FRAME : SP_BAD;
            }
            if (st != TRANSPORT_NEED_MORE) return SP_BAD;
        }
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return SP_TIMEOUT;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)(deadline - now));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return SP_TIMEOUT;
        ssize_t n = recv(s->fd, s->pending, sizeof s->pending, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return SP_CLOSED;
        s->pending_len = (size_t)n;
        s->pending_off = 0;
    }
}

bool sp_expect(struct sp *s, enum wire_type type, struct wire_msg *msg, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct wire_msg m;
        enum sp_result r = sp_recv(s, &m, (unsigned)(deadline - now));
        if (r == SP_BAD) continue;
        if (r != SP_FRAME) return false;
        if (m.type == type) {
            if (msg)
                *msg = m;
            else
                wire_msg_free(&m);
            return true;
        }
        wire_msg_free(&m);
    }
}

bool sp_ping_pong(struct sp *s, uint64_t nonce, unsigned timeout_ms)
{
    struct wire_msg ping = {.type = WIRE_PING, .u.ping = {.nonce = nonce}}, pong;
    if (!sp_send(s, &ping) || !sp_expect(s, WIRE_PONG, &pong, timeout_ms)) return false;
    return pong.u.ping.nonce == nonce;
}

bool sp_wait_closed(struct sp *s, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)(deadline - now));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return false;
        uint8_t buf[4096];
        ssize_t n = recv(s->fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    }
}

void sp_make_version(struct wire_msg *msg, uint64_t nonce, int32_t start_height)
{
    memset(msg, 0, sizeof *msg);
    msg->type = WIRE_VERSION;
    struct wire_version *v = &msg->u.version;
    v->version = PROTOCOL_VERSION;
    v->services = NODE_NETWORK | NODE_WITNESS;
    v->timestamp = clock_unix_s();
    uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    wire_netaddr_from_v1(&v->addr_recv, ip);
    wire_netaddr_from_v1(&v->addr_from, ip);
    v->nonce = nonce;
    static const char ua[] = "/scripted-peer:1.0/";
    memcpy(v->user_agent, ua, sizeof ua - 1);
    v->user_agent_len = sizeof ua - 1;
    v->start_height = start_height;
    v->relay = true;
    v->n_optional = WIRE_VERSION_OPT_RELAY;
}

bool sp_handshake(struct sp *s, bool initiator, struct wire_version *theirs, unsigned timeout_ms)
{
    return sp_handshake_services(s, initiator, NODE_NETWORK | NODE_WITNESS, theirs, timeout_ms);
}

bool sp_handshake_services(struct sp *s, bool initiator, uint64_t services,
                           struct wire_version *theirs, unsigned timeout_ms)
{
    struct wire_msg ours, msg;
    sp_make_version(&ours, 0x5eed5eed5eed5eedull, 0);
    ours.u.version.services = services;
    if (initiator && !sp_send(s, &ours)) return false;
    if (!sp_expect(s, WIRE_VERSION, &msg, timeout_ms)) return false;
    if (theirs) *theirs = msg.u.version;
    wire_msg_free(&msg);
    if (!initiator && !sp_send(s, &ours)) return false;
    if (!sp_send_empty(s, WIRE_VERACK)) return false;
    return sp_expect(s, WIRE_VERACK, NULL, timeout_ms);
}
