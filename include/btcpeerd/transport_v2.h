/* The BIP324 v2 codec under transport_v2_new: the encrypted handshake and
 * packet framing as a pure state machine. Bytes in, frames out, and
 * whatever the handshake has to say back appended to a caller's buffer: no
 * sockets, no clock, no libevent. The cipher suite itself lives in
 * bip324_crypto.h. Public for tests, vectors, fuzzers and benches.
 *
 * Stream layout, each direction:
 *   ellswift key[64] ‖ garbage[0..4095] ‖ garbage terminator[16] ‖
 *   version packet (AAD = the sender's garbage) ‖ packets...
 * and each packet is
 *   length[3] (FSChaCha20) ‖ AEAD(header[1] ‖ contents) ‖ tag[16]
 * where header bit 0x80 marks a decoy and contents are a message type (a
 * 1-byte short id, or 0x00 and a 12-byte command) followed by the payload.
 *
 * Both sides send their key and garbage from transport_v2_init. BIP324 lets
 * a responder do that at once too; a real node's responder waits for the
 * initiator's first 16 bytes first, to tell a v1 peer apart: the
 * transport interface's v2 (transport_v2_new) does that, and only then
 * calls init. */
#ifndef BTCPEERD_TRANSPORT_V2_H
#define BTCPEERD_TRANSPORT_V2_H

#include <btcpeerd/bip324_crypto.h>
#include <btcpeerd/buf.h>
#include <btcpeerd/transport.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_V2_MAX_GARBAGE 4095u
#define TRANSPORT_V2_LENGTH_LEN 3u
#define TRANSPORT_V2_HEADER_LEN 1u
#define TRANSPORT_V2_DECOY_BIT 0x80u
/* Largest contents a peer may announce: the long message-type encoding and
 * the largest payload. Anything longer is fatal before it is buffered. */
#define TRANSPORT_V2_MAX_CONTENTS (1u + WIRE_COMMAND_LEN + WIRE_MAX_PAYLOAD)

enum transport_v2_state {
    TRANSPORT_V2_RECV_KEY = 0, /* collecting the peer's 64-byte key */
    TRANSPORT_V2_RECV_GARBAGE, /* searching for the peer's terminator */
    TRANSPORT_V2_RECV_VERSION, /* packets until the peer's version packet */
    TRANSPORT_V2_RECV_APP,     /* application packets */
};

struct transport_v2 {
    bool initiator;
    uint8_t magic[4];
    enum transport_v2_state state;
    enum transport_status fatal; /* TRANSPORT_OK until a fatal status, which is then returned again */

    /* Ours until the peer's key arrives; the private key is wiped then. */
    uint8_t our_priv[32];
    uint8_t our_ell[BIP324_ELLSWIFT_LEN];
    uint8_t our_garbage[TRANSPORT_V2_MAX_GARBAGE]; /* AAD of our version packet */
    size_t our_garbage_len;

    /* Handshake receive buffer: the peer's key, then its garbage and
     * terminator; the garbage stays as the AAD of its first packet. */
    uint8_t their_ell[BIP324_ELLSWIFT_LEN];
    size_t their_ell_have;
    uint8_t hs[TRANSPORT_V2_MAX_GARBAGE + BIP324_GARBAGE_TERMINATOR_LEN];
    size_t hs_have;
    size_t their_garbage_len;
    bool their_aad_pending; /* the next packet authenticates their garbage */

    /* Packet receive state. buf grows with the bytes that arrive. */
    uint8_t len_bytes[TRANSPORT_V2_LENGTH_LEN];
    size_t len_have;
    uint32_t contents_len; /* decrypted length, once len_have == 3 */
    uint8_t *buf;          /* header ‖ contents ‖ tag, ciphertext then plaintext */
    size_t buf_have;
    size_t buf_cap;

    /* Keys, once the peer's key arrived. */
    bool keyed;
    uint8_t their_terminator[BIP324_GARBAGE_TERMINATOR_LEN];
    uint8_t session_id[BIP324_SESSION_ID_LEN];
    struct fschacha20 send_l, recv_l;
    struct fschacha20poly1305 send_p, recv_p;
};

/* Fresh key, random garbage (0..4095 random bytes), and our key ‖ garbage
 * appended to out. Returns TRANSPORT_OK, TRANSPORT_ERR_NOMEM or
 * TRANSPORT_ERR_CRYPTO; on failure nothing needs freeing. */
enum transport_status transport_v2_init(struct transport_v2 *t, const uint8_t magic[4],
                                        bool initiator, struct buf_writer *out);
/* The same with the caller's key and garbage: for test vectors and tests
 * that need a chosen garbage length (TRANSPORT_ERR_TOO_LONG past 4095). */
enum transport_status transport_v2_init_with(struct transport_v2 *t, const uint8_t magic[4],
                                             bool initiator, const uint8_t priv32[32],
                                             const uint8_t ell64[BIP324_ELLSWIFT_LEN],
                                             const uint8_t *garbage, size_t garbage_len,
                                             struct buf_writer *out);
/* transport_v2_new with the caller's key and garbage (a responder uses them
 * once it has seen a v2 key), so tests and fuzzers are reproducible. */
struct transport *transport_v2_new_with(const uint8_t magic[4], bool initiator,
                                        const uint8_t priv32[32],
                                        const uint8_t ell64[BIP324_ELLSWIFT_LEN],
                                        const uint8_t *garbage, size_t garbage_len);

/* Wipe every secret and free the receive buffer. */
void transport_v2_clear(struct transport_v2 *t);

/* Consume up to len bytes, stopping right after the first frame or drop,
 * like transport_v1_read. When the peer's key completes, our garbage
 * terminator and version packet are appended to out. Returns NEED_MORE,
 * FRAME, DROP_COMMAND (an unknown short id or a malformed command),
 * FATAL_OVERSIZE, FATAL_NOMEM, FATAL_HANDSHAKE, FATAL_DECRYPT or
 * FATAL_CRYPTO. Decoys and the peer's version packet are consumed
 * silently. On TRANSPORT_FRAME, frame owns its payload (NULL when empty). */
enum transport_status transport_v2_read(struct transport_v2 *t, const uint8_t *in, size_t len,
                                        size_t *consumed, struct transport_frame *frame,
                                        struct buf_writer *out);

/* True once the handshake is through on both directions' receive side:
 * the peer's version packet has arrived. */
bool transport_v2_established(const struct transport_v2 *t);
/* Bytes held for an incomplete key, garbage or packet. */
size_t transport_v2_buffered(const struct transport_v2 *t);

/* Encrypt one message into a packet appended to out; the short id when the
 * command has one. Allowed once the peer's key has been read (our version
 * packet is out by then). Returns TRANSPORT_OK, TRANSPORT_ERR_COMMAND,
 * TRANSPORT_ERR_TOO_LONG, TRANSPORT_ERR_NOMEM, TRANSPORT_ERR_NOT_READY or
 * TRANSPORT_ERR_CRYPTO. */
enum transport_status transport_v2_write(struct transport_v2 *t, const char *command,
                                         const uint8_t *payload, size_t len,
                                         struct buf_writer *out);
/* A packet (not a decoy) whose contents are exactly these bytes, type
 * byte included: what a peer from the future, or a broken one, may send
 * (an unassigned short id, empty contents). For tests and fuzzing. */
enum transport_status transport_v2_write_contents(struct transport_v2 *t, const uint8_t *contents,
                                                  size_t len, struct buf_writer *out);
/* A decoy packet of len random content bytes, which the peer ignores. */
enum transport_status transport_v2_write_decoy(struct transport_v2 *t, size_t len,
                                               struct buf_writer *out);

/* The session id, identical on both ends; false before the keys exist. */
bool transport_v2_session_id(const struct transport_v2 *t, uint8_t out32[BIP324_SESSION_ID_LEN]);

/* BIP324 short message ids: 1..28 for a command, 0 if it has none. */
uint8_t transport_v2_short_id(const char *command);
/* The command for a short id, NULL if the id is unassigned. */
const char *transport_v2_short_command(uint8_t id);

#endif
