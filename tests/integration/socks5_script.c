/* The scripted SOCKS5 proxy of socks5_script.h, shared by the tests that
 * check what private broadcast asks a proxy for. */
#include "socks5_script.h"

#include "scripted_peer.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool socks5_read_full(int fd, void *buf, size_t n, unsigned timeout_ms)
{
    uint8_t *p = buf;
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (n) {
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(deadline - now)) != 1) continue;
        ssize_t got = recv(fd, p, n, 0);
        if (got <= 0) return false;
        p += got;
        n -= (size_t)got;
    }
    return true;
}

/* A length-prefixed string (RFC 1929's fields, RFC 1928's name). */
static bool read_str(int fd, char out[256], unsigned timeout_ms)
{
    uint8_t len;
    if (!socks5_read_full(fd, &len, 1, timeout_ms) || !socks5_read_full(fd, out, len, timeout_ms))
        return false;
    out[len] = '\0';
    return true;
}

int socks5_accept(int lfd, struct socks5_seen *r, unsigned timeout_ms)
{
    memset(r, 0, sizeof *r);
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    if (poll(&pfd, 1, (int)timeout_ms) != 1) return -1;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return -1;
    uint8_t head[2], methods[255];
    if (!socks5_read_full(fd, head, 2, timeout_ms) || head[0] != 5 ||
        !socks5_read_full(fd, methods, head[1], timeout_ms))
        goto fail;
    bool userpass = memchr(methods, 2, head[1]) != NULL;
    uint8_t choice[2] = {5, userpass ? 2 : 0};
    if (send(fd, choice, 2, 0) != 2) goto fail;
    if (userpass) {
        uint8_t ver;
        if (!socks5_read_full(fd, &ver, 1, timeout_ms) || !read_str(fd, r->user, timeout_ms) ||
            !read_str(fd, r->pass, timeout_ms))
            goto fail;
        uint8_t ok[2] = {1, 0};
        if (send(fd, ok, 2, 0) != 2) goto fail;
    }
    uint8_t req[4], ip[4], port[2];
    if (!socks5_read_full(fd, req, 4, timeout_ms) || req[1] != 1) goto fail;
    r->atyp = req[3];
    if (req[3] == 1) {
        if (!socks5_read_full(fd, ip, 4, timeout_ms)) goto fail;
        inet_ntop(AF_INET, ip, r->host, sizeof r->host);
    } else if (req[3] == 3) {
        if (!read_str(fd, r->host, timeout_ms)) goto fail;
    } else {
        goto fail;
    }
    if (!socks5_read_full(fd, port, 2, timeout_ms)) goto fail;
    r->port = (uint16_t)(port[0] << 8 | port[1]);
    uint8_t reply[] = {5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};
    if (send(fd, reply, sizeof reply, 0) != (ssize_t)sizeof reply) goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

bool socks5_serve_private_broadcast(int fd, const uint8_t magic[4], uint64_t nonce,
                                    const uint8_t wtxid[32], unsigned timeout_ms)
{
    struct sp s;
    sp_adopt(&s, fd, magic);
    struct wire_msg ours, ping;
    sp_make_version(&ours, nonce, 1);
    struct wire_inv_entry e = {.type = WIRE_INV_WTX};
    memcpy(e.hash, wtxid, 32);
    struct wire_msg gd = {.type = WIRE_GETDATA, .u.inv = {.count = 1, .entries = &e}};
    bool ok = sp_expect(&s, WIRE_VERSION, NULL, timeout_ms) && sp_send(&s, &ours) &&
              sp_send_empty(&s, WIRE_WTXIDRELAY) && sp_send_empty(&s, WIRE_VERACK) &&
              sp_expect(&s, WIRE_INV, NULL, timeout_ms) && sp_send(&s, &gd) &&
              sp_expect(&s, WIRE_TX, NULL, timeout_ms) && sp_expect(&s, WIRE_PING, &ping, timeout_ms);
    if (ok) {
        struct wire_msg pong = {.type = WIRE_PONG, .u.ping = ping.u.ping};
        wire_msg_free(&ping);
        ok = sp_send(&s, &pong) && sp_wait_closed(&s, timeout_ms);
    }
    sp_close(&s);
    return ok;
}
