/* A scripted SOCKS5 proxy for tests (RFC 1928, RFC 1929): it takes one
 * connection, records what the client asked for, answers success, and
 * hands back the open tunnel, behind which the test plays the remote
 * peer. Loopback only: nothing is ever connected onward. */
#ifndef BTCPEERD_SOCKS5_SCRIPT_H
#define BTCPEERD_SOCKS5_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the proxy saw: the credentials, when offered (username/password
 * chosen then), and the CONNECT target as the proxy would see it. */
struct socks5_seen {
    char user[256], pass[256];
    uint8_t atyp;   /* 1 IPv4, 3 a name (e.g. "x.onion") */
    char host[256]; /* "a.b.c.d" or the name */
    uint16_t port;
};

/* Exactly n bytes, or false (closed, an error, or timeout_ms passed). */
bool socks5_read_full(int fd, void *buf, size_t n, unsigned timeout_ms);
/* Accept one client on the listening lfd and run the exchange: IPv4 and
 * name targets are taken, anything else refused. The open tunnel, or -1. */
int socks5_accept(int lfd, struct socks5_seen *seen, unsigned timeout_ms);

/* The private-broadcast conversation over an open tunnel, as a v1 peer
 * playing the far end: our version (nonce), wtxidrelay and verack; the
 * inv awaited, the wtxid asked for, the tx taken, the ping answered, the
 * close awaited. The fd is closed either way; false if a step failed. */
bool socks5_serve_private_broadcast(int fd, const uint8_t magic[4], uint64_t nonce,
                                    const uint8_t wtxid[32], unsigned timeout_ms);

#endif
