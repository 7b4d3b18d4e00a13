/* Outbound connections through a SOCKS5 proxy: the peer's bufferevent
 * connects to the proxy, the SOCKS5 codec (net/socks5.c, pure) negotiates
 * the tunnel to the target, and only then does the transport (v1 or v2)
 * start, as if TCP had just connected. The handshake timer runs from the
 * TCP connect to the proxy, so a proxy that stalls is a handshake timeout.
 * Negotiation bytes are not counted as P2P traffic: the BIP324 fallback
 * ("closed before answering our key") must see only the tunnel's bytes.
 * With proxy_randomize each connection offers fresh random credentials,
 * which Tor takes as a reason to use a separate circuit (stream isolation). */
#include "peer_internal.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/random.h>
#include <btcpeerd/socks5.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>

enum peer_err peer_proxy_prepare(struct peer *p, const struct peer_proxy *px, const char *host,
                                 uint16_t port)
{
    struct socks5_addr target;
    if (socks5_addr_from_host(&target, host, port) != SOCKS5_OK) return PEER_ERR_BAD_REQUEST;
    p->socks = calloc(1, sizeof *p->socks);
    if (!p->socks) return PEER_ERR_NOMEM;
    char user[33], pass[33];
    const char *u = NULL, *pw = NULL;
    if (p->table->cfg->proxy_randomize) {
        uint8_t r[32];
        random_bytes(r, sizeof r);
        hex_encode(r, 16, user);
        hex_encode(r + 16, 16, pass);
        u = user;
        pw = pass;
    }
    if (socks5_init(p->socks, &target, u, pw) != SOCKS5_OK) {
        free(p->socks);
        p->socks = NULL;
        return PEER_ERR_BAD_REQUEST;
    }
    p->proxy = px;
    return PEER_OK;
}

void peer_proxy_free(struct peer *p)
{
    free(p->socks);
    p->socks = NULL;
}

void peer_proxy_begin(struct peer *p)
{
    struct buf_writer *out = &p->table->frame;
    buf_writer_reset(out);
    p->state = PEER_PROXY;
    LOG_AT(LOG_DEBUG, LOG_CAT_PEER, (int64_t)p->id, "proxy connected addr=%s proxy=%s",
           p->addr_str, p->proxy->str);
    enum socks5_err err = socks5_start(p->socks, out);
    if (err != SOCKS5_OK || bufferevent_write(p->bev, out->data, out->len) != 0) {
        p->proxy_err = (int)err;
        peer_disconnect(p, PEER_REASON_IO_ERROR);
    }
}

void peer_proxy_read(struct peer *p, struct evbuffer *in)
{
    struct buf_writer *out = &p->table->frame;
    while (p->socks && p->state == PEER_PROXY && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec vec;
        if (evbuffer_peek(in, -1, NULL, &vec, 1) < 1) return;
        size_t used = 0;
        buf_writer_reset(out);
        enum socks5_status st = socks5_read(p->socks, vec.iov_base, vec.iov_len, &used, out);
        evbuffer_drain(in, used);
        if (out->len && bufferevent_write(p->bev, out->data, out->len) != 0) {
            peer_disconnect(p, PEER_REASON_IO_ERROR);
            return;
        }
        LOG_AT(LOG_TRACE, LOG_CAT_PEER, (int64_t)p->id, "proxy: %zu bytes in, %zu out, state %s", used,
               out->len, socks5_state_str(p->socks->state));
        if (st == SOCKS5_FAILED) {
            p->proxy_err = (int)p->socks->err;
            peer_disconnect(p, PEER_REASON_PROXY_ERROR);
            return;
        }
        if (st == SOCKS5_DONE) {
            peer_proxy_free(p);
            p->state = PEER_NONE;
            peer_outbound_open(p);
            return;
        }
    }
}
