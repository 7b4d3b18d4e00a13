/* anchors.dat, Bitcoin Core's anchors: at a clean shutdown the addresses of
 * the block-relay-only peers (at most two) are saved; at the next start
 * they are read, the file deleted at once (even a bad one: an anchor is
 * tried once, never again after a crash in between), and dialled as
 * block-relay-only before any other outbound connection. An attacker who
 * poisons the address table while we are down still finds us back on two
 * peers he did not choose. Not with --connect (no automatic peers).
 *
 * Our envelope (store.h: magic, version, body, SHA-256d) around an addrv2
 * payload (count, then time, services, network id, address, port each),
 * like our other files, rather than Core's byte layout: nothing but
 * btcpeerd reads the file, and one envelope and one address codec serve
 * every file we keep (docs/RELIABILITY.md). */
#include "node_internal.h"

#include "store.h"

#include <btcpeerd/log.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_MAGIC "BTAN"
#define FILE_VERSION 1
#define FILE_MAX 4096u

static bool anchors_path(const struct node *n, char *out, size_t cap)
{
    return n->cfg->datadir[0] && snprintf(out, cap, "%s/anchors.dat", n->cfg->datadir) < (int)cap;
}

/* Why the file is unusable, or NULL with the anchors taken. */
static const char *parse(struct node *n, const uint8_t *data, size_t len)
{
    const uint8_t *body;
    size_t body_len;
    switch (store_envelope_open(data, len, FILE_MAGIC, FILE_VERSION, &body, &body_len)) {
    case STORE_ENVELOPE_OK: break;
    case STORE_ENVELOPE_TRUNCATED: return "truncated";
    case STORE_ENVELOPE_FORMAT: return "format";
    case STORE_ENVELOPE_CHECKSUM: return "checksum";
    }
    struct wire_addr a;
    if (wire_addrv2_decode(body, body_len, &a) != WIRE_OK) return "addresses";
    for (size_t i = 0; i < a.count && n->n_anchors < NODE_ANCHORS_MAX; i++) {
        const struct wire_netaddr *x = &a.addrs[i];
        if (x->net == WIRE_NET_IPV4 || x->net == WIRE_NET_IPV6 || x->net == WIRE_NET_TORV3)
            n->anchors[n->n_anchors++] = *x;
    }
    free(a.addrs);
    return NULL;
}

void node_anchors_load(struct node *n)
{
    char path[PATH_MAX + 16];
    if (!anchors_path(n, path, sizeof path)) return;
    uint8_t *data = NULL;
    size_t len = 0;
    enum store_err serr = store_read(path, FILE_MAX, &data, &len);
    if (serr == STORE_ERR_NOT_FOUND) return;
    /* Read once, whatever it holds. */
    if (unlink(path) != 0)
        log_warn(LOG_CAT_NODE, "cannot delete %s: %s", path, strerror(errno));
    const char *why = serr == STORE_OK ? parse(n, data, len) : store_err_str(serr);
    free(data);
    if (why) {
        n->n_anchors = 0;
        log_warn(LOG_CAT_NODE, "anchors.dat is unreadable (%s): deleted, starting without anchors", why);
        return;
    }
    size_t loaded = n->n_anchors;
    /* --connect: read and deleted all the same, but never dialled */
    if (!n->cfg->max_outbound || !n->cfg->max_block_relay) n->n_anchors = 0;
    log_info(LOG_CAT_NODE, "loaded %zu anchors from anchors.dat (deleted); %zu to dial first as block-relay-only",
             loaded, n->n_anchors);
}

bool node_anchors_next(struct node *n, struct wire_netaddr *out)
{
    if (!n->n_anchors) return false;
    *out = n->anchors[0];
    n->n_anchors--;
    memmove(n->anchors, n->anchors + 1, n->n_anchors * sizeof *n->anchors);
    return true;
}

void node_anchors_save(struct node *n)
{
    if (!n->cfg->datadir[0] || !n->cfg->max_outbound) return;
    struct wire_netaddr out[NODE_ANCHORS_MAX];
    size_t count = 0, pos = 0;
    void *value;
    /* The block-relay-only peers up at shutdown, in the order they came. */
    uint64_t last = 0;
    while (count < NODE_ANCHORS_MAX) {
        const struct node_peer *best = NULL;
        pos = 0;
        while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
            const struct node_peer *np = value;
            if (np->kind != CONN_BLOCK_RELAY || !np->ready || np->id <= last) continue;
            if (!best || np->id < best->id) best = np;
        }
        if (!best) break;
        out[count++] = best->addr;
        last = best->id;
    }
    if (!count) return;
    struct buf_writer w;
    buf_writer_init(&w);
    store_envelope_begin(&w, FILE_MAGIC, FILE_VERSION);
    struct wire_addr a = {.count = count, .addrs = out};
    if (wire_addrv2_encode(&a, &w) != WIRE_OK || !buf_writer_ok(&w)) {
        buf_writer_free(&w);
        log_warn(LOG_CAT_NODE, "anchors.dat: cannot encode");
        return;
    }
    log_info(LOG_CAT_NODE, "saving %zu block-relay-only peers to anchors.dat", count);
    node_state_write(n, "anchors.dat", "anchors", count, &w);
}
