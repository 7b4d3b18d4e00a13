/* What the RPC layer may see of the node and ask of it (view.h): copies of
 * peer, traffic, ban and address-manager state in the node's own types
 * (never pointers into the node's tables or the peer layer's types, except
 * the header chain, which is read-only and outlives every call), and a few
 * commands (disconnect, ban). Peers are still named by id. */
#include "node_internal.h"

#include "peer/peer_metrics.h"

#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(NODE_ADDR_MAX == PEER_ADDR_MAX, "one address length on both sides");
_Static_assert(NODE_MSG_KINDS == PEER_MSG_KINDS, "one per-message row count on both sides");
_Static_assert(NODE_REASONS == PEER_REASON_COUNT, "a disconnect counter for every peer reason");
_Static_assert((int)NODE_CENSUS_STATES == (int)PEER_CENSUS_STATES, "a census slot for every peer state counted");
_Static_assert((int)NODE_CENSUS_TRANSPORTS == (int)PEER_CENSUS_TRANSPORTS, "v1 and v2");

_Static_assert(NODE_CONN_TYPES == CONN_BLOCK_RELAY + 1, "a census slot for every connection kind");

static const char *conn_type(enum node_conn_kind kind)
{
    switch (kind) {
    case CONN_INBOUND: return "inbound";
    case CONN_MANUAL: return "manual";
    case CONN_OUTBOUND: return "outbound-full-relay";
    case CONN_FEELER: return "feeler";
    case CONN_BLOCK_RELAY: return "block-relay-only";
    case CONN_ADDR_FETCH: return "addr-fetch";
    case CONN_PRIVATE_BROADCAST: return "private-broadcast";
    }
    return "inbound";
}

static void copy_rows(struct node_msg_bytes *to, const struct peer_msg_bytes *from, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(to[i].command, from[i].command, sizeof to[i].command);
        to[i].bytes = from[i].bytes;
    }
}

/* The node's copy of what the peer layer shows of one peer. */
static void view_from_info(struct node_peer_view *v, const struct peer_info *p)
{
    v->id = p->id;
    v->connected = p->state == PEER_CONNECTED;
    v->inbound = p->inbound;
    v->manual = p->manual;
    memcpy(v->addr, p->addr, sizeof v->addr);
    memcpy(v->addrbind, p->addrbind, sizeof v->addrbind);
    v->transport = p->transport;
    memcpy(v->session_id, p->session_id, sizeof v->session_id);
    v->version = p->version;
    v->services = p->services;
    v->relay = p->relay;
    memcpy(v->subver, p->subver, sizeof v->subver);
    v->start_height = p->start_height;
    v->time_offset = p->time_offset;
    v->conn_time = p->conn_time;
    v->last_send = p->last_send;
    v->last_recv = p->last_recv;
    v->bytes_sent = p->stats.bytes_out;
    v->bytes_recv = p->stats.bytes_in;
    v->ping_rtt_us = p->stats.ping_rtt_us;
    v->min_ping_us = p->stats.min_ping_us;
    v->ping_wait_us = p->ping_wait_us;
    v->n_sent_per_msg = p->n_sent_per_msg;
    v->n_recv_per_msg = p->n_recv_per_msg;
    copy_rows(v->sent_per_msg, p->sent_per_msg, p->n_sent_per_msg);
    copy_rows(v->recv_per_msg, p->recv_per_msg, p->n_recv_per_msg);
    v->feefilter = p->feefilter;
    v->bip152_hb_from = p->cmpct_hb_from;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const struct node_peer_view *)a)->id;
    uint64_t y = ((const struct node_peer_view *)b)->id;
    return x < y ? -1 : x > y;
}

enum node_err node_peer_infos(struct node *n, struct node_peer_view **out, size_t *count)
{
    size_t cap = idmap_len(&n->node_peers), got = 0, pos = 0;
    struct node_peer_view *v = calloc(cap ? cap : 1, sizeof *v);
    struct peer_info *info = malloc(sizeof *info);
    if (!v || !info) {
        free(v);
        free(info);
        return NODE_ERR_NOMEM;
    }
    void *value;
    while (got < cap && idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (peer_get_info(n->peers, np->id, info) != PEER_OK) continue;
        if (info->state == PEER_DEAD) continue;
        view_from_info(&v[got], info);
        v[got].connection_type = conn_type(np->kind);
        v[got].ready = np->ready;
        v[got].synced_headers = np->synced_headers;
        v[got].presynced_headers = node_presync_height(n, np->id);
        v[got].noban = node_is_whitelisted(n, &np->addr);
        v[got].last_block = np->last_block;
        v[got].mapped_as = netaddr_mapped_as(&np->addr, n->cfg->local_groups, n->asmap);
        /* feelers are dropped after the handshake; block-relay-only never
         * carries addresses; a private-broadcast connection ignores
         * everything but its one transaction */
        v[got].addr_relay = np->kind != CONN_FEELER && np->kind != CONN_BLOCK_RELAY &&
                            np->kind != CONN_PRIVATE_BROADCAST;
        v[got].addr_processed = np->addr_processed;
        v[got].addr_rate_limited = np->addr_rate_limited;
        v[got].n_inflight = node_blocks_inflight(n, np->id, v[got].inflight, NODE_INFLIGHT_MAX);
        got++;
    }
    free(info);
    qsort(v, got, sizeof *v, by_id);
    *out = v;
    *count = got;
    return NODE_OK;
}

void node_clock_info(const struct node *n, struct node_clock_view *out)
{
    out->median = time_offsets_median(&n->time_offsets);
    out->samples = n->time_offsets.n;
    out->out_of_sync = time_offsets_out_of_sync(&n->time_offsets);
    out->warnings = n->clock_warnings;
}

void node_connection_counts(const struct node *n, size_t *in, size_t *out)
{
    *in = peer_table_count_dir(n->peers, true);
    *out = peer_table_count_dir(n->peers, false);
}

void node_net_totals(const struct node *n, uint64_t *recv, uint64_t *sent)
{
    peer_table_totals(n->peers, recv, sent);
}

void node_ping_all(struct node *n)
{
    struct node_request req = {.type = NODE_REQ_PING};
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if (np->ready) peer_request(n->peers, np->id, &req);
    }
}

enum node_err node_disconnect(struct node *n, const char *addr, uint64_t id)
{
    if (addr) {
        id = 0;
        size_t pos = 0;
        void *value;
        struct peer_info info;
        while (!id && idmap_next(&n->node_peers, &pos, NULL, &value)) {
            const struct node_peer *np = value;
            if (peer_get_info(n->peers, np->id, &info) == PEER_OK && info.state != PEER_DEAD &&
                strcmp(info.addr, addr) == 0)
                id = np->id;
        }
    }
    if (!id) return NODE_ERR_NOT_FOUND;
    return peer_disconnect_id(n->peers, id, PEER_REASON_REQUESTED) == PEER_OK ? NODE_OK
                                                                              : NODE_ERR_NOT_FOUND;
}

/* The address a peer is connected to: the node's copy, or for a manual
 * peer dialled by name (which the node holds no address for) the one its
 * connection resolved to. */
static bool peer_netaddr(const struct node *n, const struct node_peer *np, struct wire_netaddr *out)
{
    if (np->addr.net) {
        *out = np->addr;
        return true;
    }
    struct peer_info *info = malloc(sizeof *info);
    char host[NODE_ADDR_MAX];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    bool ok = info && peer_get_info(n->peers, np->id, info) == PEER_OK && info->state != PEER_DEAD &&
              hostport_parse(info->addr, host, sizeof host, &port, 0) &&
              hostport_numeric(host, port, &ss, &len) &&
              netaddr_from_sockaddr((const struct sockaddr *)&ss, out);
    free(info);
    return ok;
}

enum node_err node_ban(struct node *n, const struct netaddr_subnet *sn, int64_t until, int64_t now)
{
    enum banman_err err = banman_ban(n->banman, sn, until, now);
    if (err != BANMAN_OK) return err == BANMAN_ERR_FULL ? NODE_ERR_FULL : NODE_ERR_NOMEM;
    char s[NETADDR_STR_MAX];
    netaddr_subnet_str(sn, s);
    log_info(LOG_CAT_NODE, "banned %s until %lld (rpc)", s, (long long)until);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        struct wire_netaddr a;
        if (peer_netaddr(n, np, &a) && netaddr_subnet_match(sn, &a))
            peer_disconnect_id(n->peers, np->id, PEER_REASON_REQUESTED);
    }
    return NODE_OK;
}

bool node_has_ban(const struct node *n, const struct netaddr_subnet *sn)
{
    const struct ban_entry *e = banman_find(n->banman, sn);
    return e && e->until > node_now();
}

enum node_err node_unban(struct node *n, const struct netaddr_subnet *sn)
{
    if (!banman_unban(n->banman, sn)) return NODE_ERR_NOT_FOUND;
    char s[NETADDR_STR_MAX];
    netaddr_subnet_str(sn, s);
    log_info(LOG_CAT_NODE, "unbanned %s (rpc)", s);
    return NODE_OK;
}

void node_clear_bans(struct node *n)
{
    banman_clear(n->banman);
    log_info(LOG_CAT_NODE, "ban list cleared (rpc)");
}

enum node_err node_list_bans(struct node *n, struct node_ban **out, size_t *count)
{
    banman_sweep(n->banman, node_now());
    size_t total = banman_count(n->banman);
    struct node_ban *b = calloc(total ? total : 1, sizeof *b);
    if (!b) return NODE_ERR_NOMEM;
    for (size_t i = 0; i < total; i++) {
        const struct ban_entry *e = banman_get(n->banman, i);
        b[i] = (struct node_ban){.subnet = e->subnet, .created = e->created, .until = e->until};
    }
    *out = b;
    *count = total;
    return NODE_OK;
}

void node_addrman_info(const struct node *n, size_t new_by_net[8], size_t tried_by_net[8])
{
    for (uint8_t net = 0; net < 8; net++)
        addrman_count_net(n->addrman, net, &new_by_net[net], &tried_by_net[net]);
}

size_t node_addresses(struct node *n, size_t max, struct wire_netaddr *out)
{
    return addrman_get_addr(n->addrman, max, 100, node_now(), out);
}

size_t node_addrman_size(const struct node *n)
{
    return addrman_size(n->addrman);
}

const struct chain *node_chain_view(const struct node *n)
{
    return n->chain;
}

bool node_header(const struct node *n, const struct chain_entry *e, struct wire_header *out)
{
    return node_header_at(n, e, out);
}

bool node_in_initial_sync(const struct node *n)
{
    return !n->sync.done;
}

/* ---- our configuration, as getnetworkinfo shows it ---- */

static void proxy_view(struct node_proxy_view *v, const struct net_proxy *px)
{
    v->set = px->set;
    snprintf(v->str, sizeof v->str, "%s", px->set ? px->str : "");
}

void node_network_info(const struct node *n, struct node_network_view *out)
{
    const struct peer_config *pc = &n->cfg->peer;
    memset(out, 0, sizeof *out);
    snprintf(out->user_agent, sizeof out->user_agent, "%s", pc->user_agent);
    out->services = pc->services;
    proxy_view(&out->proxy, &pc->proxy);
    proxy_view(&out->onion_proxy, &pc->onion_proxy);
    out->proxy_randomize = pc->proxy_randomize;
    out->v2_enabled = pc->v2_enabled;
    if (n->asmap) asmap_checksum_hex(n->asmap, out->asmap);
}

/* A directory listing and a few stats: blocks are fetched one by one on
 * request, so the directory stays small. */
uint64_t node_size_on_disk(const struct node *n)
{
    if (!n->cfg->datadir[0]) return 0;
    char path[PATH_MAX];
    struct stat st;
    uint64_t total = 0;
    if (snprintf(path, sizeof path, "%s/headers.dat", n->cfg->datadir) < (int)sizeof path &&
        stat(path, &st) == 0 && st.st_size > 0)
        total += (uint64_t)st.st_size;
    if (snprintf(path, sizeof path, "%s/blocks", n->cfg->datadir) >= (int)sizeof path) return total;
    DIR *d = opendir(path);
    if (!d) return total;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".blk") != 0) continue;
        if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

int64_t node_default_bantime_s(const struct node *n)
{
    return n->cfg->bantime_s;
}

/* ---- for metrics ---- */

void node_get_stats(const struct node *n, struct node_stats *out)
{
    memset(out, 0, sizeof *out);
    out->header_height = chain_height(n->chain);
    out->addrman_new = addrman_size_new(n->addrman);
    out->addrman_tried = addrman_size_tried(n->addrman);
    /* Expired bans wait for the next sweep; they no longer refuse anyone. */
    int64_t now = node_now();
    for (size_t i = 0; i < banman_count(n->banman); i++)
        if (banman_get(n->banman, i)->until > now) out->bans++;
    out->discouraged = n->n_discouraged;
    out->misbehaving_local = n->n_misbehaving_local;
    out->redial_held = n->n_redial_held;
    out->broadcast_submitted = n->broadcast_counts.submitted;
    out->broadcast_attempts = n->broadcast_counts.attempts;
    out->broadcast_taken = n->broadcast_counts.taken;
    out->broadcast_propagated = n->broadcast_counts.propagated;
    out->broadcast_abandoned = n->broadcast_counts.abandoned;
    for (const struct broadcast *b = n->broadcasts.head; b; b = b->next)
        out->broadcast_pending += b->state == NODE_BROADCAST_PENDING;
    out->stale_tips = n->stale.n_stale;
    out->extra_evicted_full = n->stale.n_evicted_full;
    out->extra_evicted_block_relay = n->stale.n_evicted_block_relay;
}

const char *node_reason_str(size_t reason)
{
    return reason < NODE_REASONS ? peer_reason_str((enum peer_reason)reason) : "unknown";
}

void node_traffic(const struct node *n, struct node_traffic *out)
{
    const struct peer_metrics *m = peer_table_metrics(n->peers);
    _Static_assert(sizeof out->msgs_in == sizeof m->msgs_in, "indexed by enum wire_type on both sides");
    memcpy(out->msgs_in, m->msgs_in, sizeof out->msgs_in);
    memcpy(out->msgs_out, m->msgs_out, sizeof out->msgs_out);
    memcpy(out->bytes_in, m->bytes_in, sizeof out->bytes_in);
    memcpy(out->bytes_out, m->bytes_out, sizeof out->bytes_out);
    out->net_bytes_in = m->net_bytes_in;
    out->net_bytes_out = m->net_bytes_out;
    memcpy(out->disconnects, m->disconnects, sizeof out->disconnects);
    out->handshake_seconds = m->handshake_seconds;
    out->ping_seconds = m->ping_seconds;
}

void node_census(const struct node *n, struct node_census *out)
{
    struct peer_census c;
    peer_table_census(n->peers, &c);
    _Static_assert(sizeof out->n == sizeof c.n, "the same census shape on both sides");
    memcpy(out->n, c.n, sizeof out->n);
}

const char *node_census_state(size_t slot)
{
    return slot < NODE_CENSUS_STATES ? peer_metrics_state(peer_census_state(slot)) : "unknown";
}

void node_conn_census(const struct node *n, struct node_conn_census *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    void *value;
    while (idmap_next(&n->node_peers, &pos, NULL, &value)) {
        const struct node_peer *np = value;
        if ((size_t)np->kind < NODE_CONN_TYPES) out->n[np->kind]++;
    }
}

const char *node_conn_type(size_t slot)
{
    return slot < NODE_CONN_TYPES ? conn_type((enum node_conn_kind)slot) : "unknown";
}
