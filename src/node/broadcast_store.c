/* broadcast.dat: the broadcasts, so pending ones survive a restart (and
 * finished ones stay in getbroadcastinfo). Encoded on the loop thread
 * after a change (at most once per loop turn), written atomically by the
 * disk writer like peers.dat; a file that does not read is moved aside as
 * broadcast.dat.bad and the node starts without it.
 *
 * Layout, inside the store envelope ("BTBC", version 1, SHA-256d):
 *   u32 count, then per broadcast:
 *   txid[32] wtxid[32] u8 state i64 submitted i64 finished u64 total_attempts
 *   u32 round u8 seen (0, 1 announced, 2 served) [i64 seen_at u16 len seen_by]
 *   u8 n_attempts, each: i64 time u8 net addr[32] u16 port u8 flags u32 round
 *   u32 raw_len raw (0 bytes once it is finished)
 * Every count and length is checked against what remains before use; a
 * pending transaction must hash to its wtxid and decode to its txid. */
#include "node_internal.h"

#include "store.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/log.h>
#include <btcpeerd/sha256.h>
#include <btcpeerd/tx.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAGIC "BTBC"
#define FILE_VERSION 1
/* A transaction bigger than a block's weight allows cannot be one. */
#define RAW_MAX 4000000u

static void encode(const struct broadcast_set *s, struct buf_writer *w)
{
    store_envelope_begin(w, FILE_MAGIC, FILE_VERSION);
    buf_write_u32le(w, (uint32_t)s->count);
    for (const struct broadcast *b = s->head; b; b = b->next) {
        buf_write_bytes(w, b->txid, 32);
        buf_write_bytes(w, b->wtxid, 32);
        buf_write_u8(w, (uint8_t)b->state);
        buf_write_i64le(w, b->submitted);
        buf_write_i64le(w, b->finished);
        buf_write_u64le(w, b->total_attempts);
        buf_write_u32le(w, b->round);
        uint8_t seen = !b->seen_how ? 0 : strcmp(b->seen_how, "served") == 0 ? 2 : 1;
        buf_write_u8(w, seen);
        if (seen) {
            size_t len = strnlen(b->seen_by, sizeof b->seen_by);
            buf_write_i64le(w, b->seen_at);
            buf_write_u16le(w, (uint16_t)len);
            buf_write_bytes(w, b->seen_by, len);
        }
        buf_write_u8(w, (uint8_t)b->n_attempts);
        for (size_t i = 0; i < b->n_attempts; i++) {
            const struct broadcast_attempt *a = &b->attempts[i];
            buf_write_i64le(w, a->time);
            buf_write_u8(w, a->addr.net);
            buf_write_bytes(w, a->addr.addr, 32);
            buf_write_u16le(w, a->addr.port);
            buf_write_u8(w, (uint8_t)(a->done | a->taken << 1));
            buf_write_u32le(w, a->round);
        }
        buf_write_u32le(w, (uint32_t)b->raw_len);
        if (b->raw_len) buf_write_bytes(w, b->raw, b->raw_len);
    }
}

void node_broadcast_save_now(struct node *n)
{
    if (!n->cfg->datadir[0]) return;
    if (n->broadcast_save_ev) event_del(n->broadcast_save_ev);
    struct buf_writer w;
    buf_writer_init(&w);
    encode(&n->broadcasts, &w);
    if (!buf_writer_ok(&w)) {
        log_error(LOG_CAT_NODE, "cannot encode broadcast.dat: out of memory; the old file is kept");
        buf_writer_free(&w);
        return;
    }
    node_state_write(n, "broadcast.dat", "broadcasts", n->broadcasts.count, &w);
}

static void on_save(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    node_broadcast_save_now(arg);
}

void node_broadcast_dirty(struct node *n)
{
    if (!n->cfg->datadir[0] || n->shutting_down) return;
    if (!n->broadcast_save_ev) n->broadcast_save_ev = evtimer_new(n->base, on_save, n);
    if (!n->broadcast_save_ev) return;
    static const struct timeval now = {0, 0};
    event_add(n->broadcast_save_ev, &now);
}

/* ---- reading ---- */

static bool read_attempt(struct buf_reader *r, struct broadcast_attempt *a, struct node *n)
{
    uint8_t flags;
    memset(a, 0, sizeof *a);
    if (!buf_read_i64le(r, &a->time) || !buf_read_u8(r, &a->addr.net) ||
        !buf_read_bytes(r, a->addr.addr, 32) || !buf_read_u16le(r, &a->addr.port) ||
        !buf_read_u8(r, &flags) || !buf_read_u32le(r, &a->round))
        return false;
    if (flags > 3 || (a->addr.net != WIRE_NET_IPV4 && a->addr.net != WIRE_NET_IPV6 &&
                      a->addr.net != WIRE_NET_TORV3))
        return false;
    a->done = true; /* its connection did not survive the restart */
    a->taken = (flags & 2) != 0;
    a->group_len = netaddr_group(&a->addr, n->cfg->local_groups, n->asmap, a->group);
    return true;
}

/* The transaction is what its hashes say. */
static bool tx_matches(const uint8_t *raw, size_t len, const uint8_t txid[32], const uint8_t wtxid[32])
{
    uint8_t h[32];
    sha256d(raw, len, h);
    if (memcmp(h, wtxid, 32) != 0) return false;
    struct tx tx;
    if (tx_decode_any(raw, len, &tx) != WIRE_OK) return false;
    tx_txid(&tx, h);
    tx_free(&tx);
    return memcmp(h, txid, 32) == 0;
}

/* One entry; NULL or why not. */
static const char *read_one(struct node *n, struct buf_reader *r, uint64_t now_ms, int64_t now)
{
    struct broadcast tmp;
    memset(&tmp, 0, sizeof tmp);
    uint8_t state, seen, n_att;
    if (!buf_read_bytes(r, tmp.txid, 32) || !buf_read_bytes(r, tmp.wtxid, 32) ||
        !buf_read_u8(r, &state) || !buf_read_i64le(r, &tmp.submitted) ||
        !buf_read_i64le(r, &tmp.finished) || !buf_read_u64le(r, &tmp.total_attempts) ||
        !buf_read_u32le(r, &tmp.round) || !buf_read_u8(r, &seen))
        return "truncated";
    if (state > NODE_BROADCAST_ABANDONED || seen > 2) return "bad-value";
    if (seen) {
        uint16_t len;
        if (!buf_read_i64le(r, &tmp.seen_at) || !buf_read_u16le(r, &len)) return "truncated";
        if (len >= sizeof tmp.seen_by) return "bad-value";
        if (!buf_read_bytes(r, tmp.seen_by, len)) return "truncated";
        tmp.seen_how = seen == 2 ? "served" : "announced";
    }
    if (!buf_read_u8(r, &n_att)) return "truncated";
    if (n_att > BROADCAST_MAX_ATTEMPTS) return "bad-value";
    for (size_t i = 0; i < n_att; i++)
        if (!read_attempt(r, &tmp.attempts[i], n)) return "bad-attempt";
    tmp.n_attempts = n_att;
    uint32_t raw_len;
    const uint8_t *raw;
    if (!buf_read_u32le(r, &raw_len)) return "truncated";
    if (raw_len > RAW_MAX || !buf_read_view(r, raw_len, &raw)) return "truncated";
    /* a finished one keeps no bytes; a pending one must have its own */
    bool pending = state == NODE_BROADCAST_PENDING;
    if (pending ? !tx_matches(raw, raw_len, tmp.txid, tmp.wtxid) : raw_len != 0)
        return "transaction-mismatch";
    if (broadcast_find_txid(&n->broadcasts, tmp.txid)) return "duplicate";
    uint8_t *copy = NULL;
    if (pending) {
        copy = malloc(raw_len);
        if (!copy) return "out-of-memory";
        memcpy(copy, raw, raw_len);
    }
    struct broadcast *b;
    if (broadcast_add(&n->broadcasts, copy, raw_len, tmp.txid, tmp.wtxid, tmp.submitted, &b) != NODE_OK)
        return "too-many";
    struct broadcast *next = b->next;
    uint8_t *keep = b->raw;
    *b = tmp;
    b->raw = keep;
    b->raw_len = raw_len;
    b->next = next;
    b->state = (enum node_broadcast_state)state;
    /* the expiry runs from the submission, across restarts */
    int64_t age_s = now > b->submitted ? now - b->submitted : 0;
    uint64_t age_ms = (uint64_t)age_s * 1000u;
    b->submitted_ms = age_ms < now_ms ? now_ms - age_ms : 0;
    b->round_len_ms = n->cfg->broadcast_round_ms;
    if (b->state == NODE_BROADCAST_PENDING) {
        /* the connections of its last round are gone: a fresh round */
        if (b->n_attempts) b->round++;
        peer_table_watch_tx(n->peers, b->txid);
        peer_table_watch_tx(n->peers, b->wtxid);
    }
    return NULL;
}

const char *node_broadcast_parse(struct node *n, const uint8_t *data, size_t len)
{
    const uint8_t *body;
    size_t body_len;
    switch (store_envelope_open(data, len, FILE_MAGIC, FILE_VERSION, &body, &body_len)) {
    case STORE_ENVELOPE_OK: break;
    case STORE_ENVELOPE_TRUNCATED: return "truncated";
    case STORE_ENVELOPE_FORMAT: return "not-a-broadcast-file";
    case STORE_ENVELOPE_CHECKSUM: return "checksum";
    }
    struct buf_reader r;
    buf_reader_init(&r, body, body_len);
    uint32_t count;
    if (!buf_read_u32le(&r, &count)) return "truncated";
    if (count > BROADCAST_MAX) return "too-many";
    uint64_t now_ms = clock_mono_ms();
    int64_t now = node_now();
    const char *why = NULL;
    for (uint32_t i = 0; i < count && !why; i++) why = read_one(n, &r, now_ms, now);
    if (!why && buf_remaining(&r)) why = "trailing-bytes";
    if (why) { /* nothing of a bad file is kept */
        for (struct broadcast *b = n->broadcasts.head; b; b = b->next) {
            peer_table_unwatch_tx(n->peers, b->txid);
            peer_table_unwatch_tx(n->peers, b->wtxid);
        }
        broadcast_set_free(&n->broadcasts);
        return why;
    }
    /* read newest first, added at the head: put them back in order */
    struct broadcast *rev = NULL;
    while (n->broadcasts.head) {
        struct broadcast *b = n->broadcasts.head;
        n->broadcasts.head = b->next;
        b->next = rev;
        rev = b;
    }
    n->broadcasts.head = rev;
    size_t pending = 0;
    for (const struct broadcast *b = n->broadcasts.head; b; b = b->next)
        pending += b->state == NODE_BROADCAST_PENDING;
    log_info(LOG_CAT_NODE, "loaded %zu broadcasts (%zu pending) from broadcast.dat",
             n->broadcasts.count, pending);
    return NULL;
}
