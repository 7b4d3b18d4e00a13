/* A scripted remote peer for integration tests: plain blocking sockets with
 * poll deadlines, speaking v1 through our own codec (whose bytes are pinned
 * by Bitcoin Core's frames in the unit tests). Every wait has a deadline;
 * nothing sleeps for a fixed time. */
#ifndef BTCPEERD_SCRIPTED_PEER_H
#define BTCPEERD_SCRIPTED_PEER_H

#include <btcpeerd/transport_v1.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stdint.h>

struct sp {
    int fd;
    uint8_t magic[4];
    struct transport_v1 rx;
    uint8_t pending[65536]; /* read but not yet fed */
    size_t pending_len, pending_off;
};

enum sp_result { SP_FRAME = 0, SP_TIMEOUT, SP_CLOSED, SP_BAD };

/* Connect to 127.0.0.1:port. */
bool sp_connect(struct sp *s, uint16_t port, const uint8_t magic[4]);
/* Connect from a chosen local address (any 127.x.y.z on Linux). */
bool sp_connect_from(struct sp *s, const char *from_ip, uint16_t port, const uint8_t magic[4]);
/* A listening socket on 127.0.0.1 with a free port. */
int sp_listen(uint16_t *port);
/* A listening socket on ip:port (any 127.x.y.z works on Linux). */
int sp_listen_on(const char *ip, uint16_t port);
/* Accept one connection on a listening socket within timeout_ms. */
bool sp_accept(struct sp *s, int listen_fd, const uint8_t magic[4], unsigned timeout_ms);
void sp_close(struct sp *s);
/* Speak P2P on a socket opened elsewhere (e.g. after a SOCKS5 exchange). */
void sp_adopt(struct sp *s, int fd, const uint8_t magic[4]);

bool sp_send_raw(struct sp *s, const void *data, size_t len);
bool sp_send_frame(struct sp *s, const char *command, const uint8_t *payload, size_t len);
bool sp_send(struct sp *s, const struct wire_msg *msg);
bool sp_send_empty(struct sp *s, enum wire_type type);

/* Send without blocking: as much of data as the socket takes now; the
 * count sent. */
size_t sp_send_some(struct sp *s, const void *data, size_t len);
/* Send all of data while reading (and discarding) whatever arrives, so a
 * remote that only writes when we read cannot deadlock us. */
bool sp_send_draining(struct sp *s, const void *data, size_t len, unsigned timeout_ms);

/* The next frame, decoded (the caller frees msg). */
enum sp_result sp_recv(struct sp *s, struct wire_msg *msg, unsigned timeout_ms);
/* Read until a message of this type arrives (others are dropped); false on
 * timeout or close. msg may be NULL. */
bool sp_expect(struct sp *s, enum wire_type type, struct wire_msg *msg, unsigned timeout_ms);
/* Send a ping with this nonce and wait for the first pong: true if it
 * came within timeout_ms and carries the nonce. A pong answered means the
 * connection is up and the remote read everything sent before the ping. */
bool sp_ping_pong(struct sp *s, uint64_t nonce, unsigned timeout_ms);
/* True once the remote closes the connection within timeout_ms (anything it
 * sends meanwhile is discarded). */
bool sp_wait_closed(struct sp *s, unsigned timeout_ms);

/* A version as a modern node sends it. */
void sp_make_version(struct wire_msg *msg, uint64_t nonce, int32_t start_height);
/* Full handshake. initiator: we send version first (we connected to the
 * daemon). Leaves the daemon's version in *theirs if not NULL. */
bool sp_handshake(struct sp *s, bool initiator, struct wire_version *theirs, unsigned timeout_ms);
/* The same, announcing these services. */
bool sp_handshake_services(struct sp *s, bool initiator, uint64_t services,
                           struct wire_version *theirs, unsigned timeout_ms);

#endif
