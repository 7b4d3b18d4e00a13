/* Which transport a peer speaks, and the calls that hide the difference
 * from the rest of the peer layer.
 *   outbound: v2 (BIP324) when we want it for this peer, else v1; the
 *             version message waits until the v2 keys exist.
 *   inbound:  the first 16 bytes decide, as Bitcoin Core does: our magic ‖
 *             "version" ‖ NULs is v1; the same for another network's magic
 *             is a peer on the wrong network (bad-magic); anything else is
 *             a v2 initiator's key (when v2 is on). */
#include "peer_internal.h"

#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netparams.h>

#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>

#define V1_PREFIX_LEN 16u

static const uint8_t version_command[WIRE_COMMAND_LEN] = "version";

/* Send what the v2 state machine produced (key, garbage, terminator,
 * version packet). */
static bool flush_v2_out(struct peer *p)
{
    struct buf_writer *out = &p->table->frame;
    if (!out->len) return true;
    bool ok = bufferevent_write(p->bev, out->data, out->len) == 0;
    p->stats.bytes_out += out->len;
    p->table->total_out += out->len;
    buf_writer_reset(out);
    return ok;
}

static bool start_v2(struct peer *p, bool initiator)
{
    p->v2 = calloc(1, sizeof *p->v2);
    if (!p->v2) return false;
    buf_writer_reset(&p->table->frame);
    if (transport_v2_init(p->v2, p->table->cfg->net->magic, initiator, &p->table->frame) != TRANSPORT_OK) {
        free(p->v2);
        p->v2 = NULL;
        return false;
    }
    return flush_v2_out(p);
}

bool peer_transport_start_outbound(struct peer *p)
{
    if (!p->want_v2) {
        if (peer_send_version(p)) p->state = PEER_SENT_VERSION;
        return true;
    }
    if (!start_v2(p, true)) {
        peer_disconnect(p, PEER_REASON_IO_ERROR);
        return false;
    }
    return true;
}

void peer_transport_free(struct peer *p)
{
    transport_v1_clear(&p->transport);
    if (p->v2) {
        transport_v2_clear(p->v2);
        free(p->v2);
        p->v2 = NULL;
    }
}

const char *peer_transport_name(const struct peer *p)
{
    return p->v2 ? "v2" : "v1";
}

/* Inbound, first bytes: buffer until the 16-byte v1 prefix either matches
 * or cannot. Returns the status to report, with *consumed set. */
static int detect(struct peer *p, const uint8_t *in, size_t len, size_t *consumed)
{
    const struct peer_config *cfg = p->table->cfg;
    size_t take = V1_PREFIX_LEN - p->detect_have;
    if (take > len) take = len;
    memcpy(p->detect + p->detect_have, in, take);
    p->detect_have = (uint8_t)(p->detect_have + take);
    *consumed = take;
    size_t have = p->detect_have;
    bool v1 = memcmp(p->detect, cfg->net->magic, have < 4 ? have : 4) == 0 &&
              (have <= 4 || memcmp(p->detect + 4, version_command, have - 4) == 0);
    bool other_net = false;
    if (!v1 && have >= 4 && (have <= 4 || memcmp(p->detect + 4, version_command, have - 4) == 0))
        other_net = netparams_by_magic(p->detect) != NULL;
    if ((v1 || other_net) && have < V1_PREFIX_LEN) return TRANSPORT_NEED_MORE; /* wait and see */
    p->detecting = false;
    if (other_net) return TRANSPORT_FATAL_MAGIC; /* a v1 peer of another network */
    if (!v1 && !start_v2(p, false)) return TRANSPORT_FATAL_NOMEM;
    /* Replay what was buffered through the chosen transport. */
    size_t used = 0;
    struct transport_frame frame;
    int st = peer_transport_feed(p, p->detect, have, &used, &frame);
    if (st == TRANSPORT_FRAME) transport_frame_free(&frame); /* cannot happen in 16 bytes */
    return st == TRANSPORT_FRAME ? TRANSPORT_NEED_MORE : st;
}

int peer_transport_feed(struct peer *p, const uint8_t *in, size_t len, size_t *consumed,
                        struct transport_frame *frame)
{
    if (!p->v2) return (int)transport_v1_read(&p->transport, in, len, consumed, frame);
    bool had_keys = p->v2_keys;
    buf_writer_reset(&p->table->frame);
    int st = transport_v2_read(p->v2, in, len, consumed, frame, &p->table->frame);
    if (!flush_v2_out(p)) return TRANSPORT_FATAL_NOMEM;
    uint8_t sid[BIP324_SESSION_ID_LEN];
    p->v2_keys = transport_v2_session_id(p->v2, sid);
    if (!had_keys && p->v2_keys && !p->inbound) {
        /* Our version rides the encrypted channel, once it exists. */
        if (peer_send_version(p)) p->state = PEER_SENT_VERSION;
    }
    return st;
}

int peer_transport_read(struct peer *p, const uint8_t *in, size_t len, size_t *consumed,
                        struct transport_frame *frame)
{
    if (p->detecting) return detect(p, in, len, consumed);
    /* We opened with a BIP324 key and the answer starts with our v1 magic:
     * a v1 node that speaks first (bcoin does). BIP324 keys never start so. */
    if (p->v2 && !p->inbound && !p->v2_keys && p->stats.bytes_in == 0 && len >= 4 &&
        memcmp(in, p->table->cfg->net->magic, 4) == 0) {
        p->v1_reply = true;
        *consumed = 0;
        return TRANSPORT_V2_FATAL_HANDSHAKE;
    }
    return peer_transport_feed(p, in, len, consumed, frame);
}

int peer_transport_write(struct peer *p, const char *command, const uint8_t *payload, size_t len,
                         struct buf_writer *out)
{
    if (p->v2) return transport_v2_write(p->v2, command, payload, len, out);
    return (int)transport_v1_write(p->table->cfg->net->magic, command, payload, len, WIRE_MAX_PAYLOAD, out);
}

void peer_transport_session_hex(const struct peer *p, char out[65])
{
    uint8_t sid[BIP324_SESSION_ID_LEN];
    if (p->v2 && transport_v2_session_id(p->v2, sid))
        hex_encode(sid, sizeof sid, out);
    else
        out[0] = '\0';
}
