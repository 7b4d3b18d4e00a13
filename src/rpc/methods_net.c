/* Network methods, with bitcoind's names, arguments and result shapes:
 * getpeerinfo, getconnectioncount, getnetworkinfo, getnettotals, addnode,
 * disconnectnode, setban, listbanned, clearbanned, getaddrmaninfo,
 * getnodeaddresses, ping. Only what the node truly knows is shown: fields
 * Core fills from a mempool or from block validation are left out. */
#include "rpc_internal.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>
#include <btcpeerd/netaddr.h>
#include <btcpeerd/satmath.h>
#include <btcpeerd/wire.h>

#include "node/view.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *net_name(const struct wire_netaddr *a)
{
    if (!netaddr_is_routable(a)) return "not_publicly_routable";
    switch (a->net) {
    case WIRE_NET_IPV4: return "ipv4";
    case WIRE_NET_IPV6: return "ipv6";
    case WIRE_NET_TORV3: return "onion";
    case WIRE_NET_I2P: return "i2p";
    case WIRE_NET_CJDNS: return "cjdns";
    default: return "not_publicly_routable";
    }
}

/* The network of "ip:port" as getpeerinfo's addr holds it. */
static const char *addr_net_name(const char *addr)
{
    char host[128];
    uint16_t port;
    struct sockaddr_storage ss;
    socklen_t len;
    struct wire_netaddr a;
    if (!hostport_parse(addr, host, sizeof host, &port, 0) || !hostport_numeric(host, port, &ss, &len) ||
        !netaddr_from_sockaddr((struct sockaddr *)&ss, &a))
        return "not_publicly_routable";
    return net_name(&a);
}

static json_t *services_hex(uint64_t services)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)services);
    return json_string(hex);
}

static json_t *services_names(uint64_t services)
{
    json_t *arr = json_array();
    if (!services) return arr;
    char text[512];
    wire_services_str(services, text, sizeof text);
    for (char *tok = strtok(text, "|"); tok; tok = strtok(NULL, "|"))
        json_array_append_new(arr, json_string(tok));
    return arr;
}

static json_t *per_msg(const struct node_msg_bytes *rows, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        if (rows[i].bytes) json_object_set_new(o, rows[i].command, json_integer((json_int_t)rows[i].bytes));
    return o;
}

static json_t *peer_json(const struct node_peer_view *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)p->id));
    json_object_set_new(o, "addr", json_string(p->addr));
    if (p->addrbind[0]) json_object_set_new(o, "addrbind", json_string(p->addrbind));
    json_object_set_new(o, "network", json_string(addr_net_name(p->addr)));
    /* as bitcoind: present only for a peer the --asmap map covers */
    if (p->mapped_as) json_object_set_new(o, "mapped_as", json_integer((json_int_t)p->mapped_as));
    json_object_set_new(o, "services", services_hex(p->services));
    json_object_set_new(o, "servicesnames", services_names(p->services));
    json_object_set_new(o, "relaytxes", json_boolean(p->relay));
    json_object_set_new(o, "lastsend", json_integer(p->last_send));
    json_object_set_new(o, "lastrecv", json_integer(p->last_recv));
    /* no mempool: no transaction is ever taken from a peer */
    json_object_set_new(o, "last_transaction", json_integer(0));
    json_object_set_new(o, "last_block", json_integer(p->last_block));
    json_object_set_new(o, "bytessent", json_integer((json_int_t)p->bytes_sent));
    json_object_set_new(o, "bytesrecv", json_integer((json_int_t)p->bytes_recv));
    json_object_set_new(o, "conntime", json_integer(p->conn_time));
    json_object_set_new(o, "timeoffset", json_integer(p->time_offset));
    if (p->ping_rtt_us)
        json_object_set_new(o, "pingtime", json_real((double)p->ping_rtt_us / 1e6));
    if (p->min_ping_us)
        json_object_set_new(o, "minping", json_real((double)p->min_ping_us / 1e6));
    if (p->ping_wait_us) json_object_set_new(o, "pingwait", json_real((double)p->ping_wait_us / 1e6));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "subver", json_string(p->subver));
    json_object_set_new(o, "inbound", json_boolean(p->inbound));
    /* we never pick a high-bandwidth compact-block peer: no compact blocks */
    json_object_set_new(o, "bip152_hb_to", json_false());
    json_object_set_new(o, "bip152_hb_from", json_boolean(p->bip152_hb_from));
    json_object_set_new(o, "startingheight", json_integer(p->start_height));
    /* -1 outside a low-work headers presync, as Core */
    json_object_set_new(o, "presynced_headers", json_integer(p->presynced_headers));
    json_object_set_new(o, "synced_headers", json_integer(p->synced_headers));
    /* blocks = headers here (getblockchaininfo): the last one in common is
     * the best header it has shown us */
    json_object_set_new(o, "synced_blocks", json_integer(p->synced_headers));
    json_t *inflight = json_array();
    for (size_t i = 0; i < p->n_inflight; i++) json_array_append_new(inflight, json_integer(p->inflight[i]));
    json_object_set_new(o, "inflight", inflight);
    json_object_set_new(o, "addr_relay_enabled", json_boolean(p->addr_relay));
    json_object_set_new(o, "addr_processed", json_integer((json_int_t)p->addr_processed));
    json_object_set_new(o, "addr_rate_limited", json_integer((json_int_t)p->addr_rate_limited));
    /* --whitelist gives what Core's implicit -whitelist gives that means
     * something here: noban (which implies download) */
    json_t *perms = json_array();
    if (p->noban) {
        json_array_append_new(perms, json_string("noban"));
        json_array_append_new(perms, json_string("download"));
    }
    json_object_set_new(o, "permissions", perms);
    json_object_set_new(o, "minfeefilter", json_real((double)p->feefilter / 1e8));
    json_object_set_new(o, "bytessent_per_msg", per_msg(p->sent_per_msg, p->n_sent_per_msg));
    json_object_set_new(o, "bytesrecv_per_msg", per_msg(p->recv_per_msg, p->n_recv_per_msg));
    json_object_set_new(o, "connection_type", json_string(p->connection_type));
    json_object_set_new(o, "transport_protocol_type",
                        json_string(p->connected || p->version ? p->transport : "detecting"));
    json_object_set_new(o, "session_id", json_string(p->session_id));
    return o;
}

static enum rpc_status m_getpeerinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    struct node_peer_view *v;
    size_t n;
    if (node_peer_infos(s->node, &v, &n) != NODE_OK) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, peer_json(&v[i]));
    free(v);
    rpc_call_result(c, arr);
    return RPC_DONE;
}

static enum rpc_status m_getconnectioncount(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    size_t in, out;
    node_connection_counts(s->node, &in, &out);
    rpc_call_result(c, json_integer((json_int_t)(in + out)));
    return RPC_DONE;
}

static enum rpc_status m_getnetworkinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    struct node_network_view nv;
    node_network_info(s->node, &nv);
    size_t in, out;
    node_connection_counts(s->node, &in, &out);
    json_t *o = json_object();
    /* The bitcoind RPC interface we answer as (bitcoin-cli -netinfo needs at
     * least 209900); btcpeerd's own version is in subversion. */
    json_object_set_new(o, "version", json_integer(RPC_COMPAT_VERSION));
    json_object_set_new(o, "subversion", json_string(nv.user_agent));
    json_object_set_new(o, "protocolversion", json_integer(PROTOCOL_VERSION));
    json_object_set_new(o, "localservices", services_hex(nv.services));
    json_object_set_new(o, "localservicesnames", services_names(nv.services));
    json_object_set_new(o, "localrelay", json_false());
    /* Core v27+: outbound peers' median only, inbound peers cannot move it. */
    struct node_clock_view clock;
    node_clock_info(s->node, &clock);
    json_object_set_new(o, "timeoffset", json_integer(clock.median));
    json_object_set_new(o, "networkactive", json_true());
    /* btcpeerd's own key, only with --asmap (so that without one the keys
     * are bitcoind's): which map groups peers (bitcoind says it only in its log) */
    if (nv.asmap[0]) json_object_set_new(o, "asmap", json_string(nv.asmap));
    json_object_set_new(o, "connections", json_integer((json_int_t)(in + out)));
    json_object_set_new(o, "connections_in", json_integer((json_int_t)in));
    json_object_set_new(o, "connections_out", json_integer((json_int_t)out));
    json_t *nets = json_array();
    static const char *const names[] = {"ipv4", "ipv6", "onion", "i2p", "cjdns"};
    for (size_t i = 0; i < 5; i++) {
        /* IP directly or through --proxy; onion only through a proxy
         * (--onion, which defaults to --proxy); no I2P or CJDNS. */
        const struct node_proxy_view *px = i < 2 ? &nv.proxy : i == 2 ? &nv.onion_proxy : NULL;
        bool reachable = i < 2 || (px && px->set);
        bool proxied = px && px->set;
        json_array_append_new(nets, json_pack("{s:s,s:b,s:b,s:s,s:b}", "name", names[i], "limited",
                                              !reachable, "reachable", reachable, "proxy",
                                              proxied ? px->str : "", "proxy_randomize_credentials",
                                              proxied && nv.proxy_randomize));
    }
    json_object_set_new(o, "networks", nets);
    /* No mempool: Core's defaults (-minrelaytxfee, -incrementalrelayfee),
     * the floor sendrawtransaction's peers apply. */
    json_object_set_new(o, "relayfee", json_real(RPC_MIN_RELAY_FEE_SAT_KVB / 1e8));
    json_object_set_new(o, "incrementalfee", json_real(RPC_INCREMENTAL_FEE_SAT_KVB / 1e8));
    json_object_set_new(o, "localaddresses", json_array());
    json_t *warnings = json_array();
    if (clock.out_of_sync) {
        char text[200];
        snprintf(text, sizeof text,
                 "Clock out of sync: outbound peers' clocks are %lld s from ours (median), more "
                 "than 10 minutes; check this computer's date and time.",
                 (long long)clock.median);
        json_array_append_new(warnings, json_string(text));
    }
    json_object_set_new(o, "warnings", warnings);
    rpc_call_result(c, o);
    return RPC_DONE;
}

static enum rpc_status m_getnettotals(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    uint64_t recv, sent;
    node_net_totals(s->node, &recv, &sent);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "totalbytesrecv", json_integer((json_int_t)recv));
    json_object_set_new(o, "totalbytessent", json_integer((json_int_t)sent));
    json_object_set_new(o, "timemillis", json_integer((json_int_t)tv.tv_sec * 1000 + tv.tv_usec / 1000));
    json_object_set_new(o, "uploadtarget",
                        json_pack("{s:i,s:i,s:b,s:b,s:i,s:i}", "timeframe", 86400, "target", 0,
                                  "target_reached", 0, "serve_historical_blocks", 0,
                                  "bytes_left_in_cycle", 0, "time_left_in_cycle", 0));
    rpc_call_result(c, o);
    return RPC_DONE;
}

static enum rpc_status m_addnode(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *node, *cmd;
    struct node_network_view nv;
    node_network_info(s->node, &nv);
    bool v2;
    if (!rpc_get_str(c, params, 0, true, &node) || !rpc_get_str(c, params, 1, true, &cmd) ||
        !rpc_get_bool(c, params, 2, nv.v2_enabled, &v2))
        return RPC_DONE;
    enum node_addnode_cmd which;
    if (strcmp(cmd, "add") == 0)
        which = NODE_ADDNODE_ADD;
    else if (strcmp(cmd, "remove") == 0)
        which = NODE_ADDNODE_REMOVE;
    else if (strcmp(cmd, "onetry") == 0)
        which = NODE_ADDNODE_ONETRY;
    else {
        rpc_call_help_error(c); /* bitcoind: the help text, -1 */
        return RPC_DONE;
    }
    if (v2 && !nv.v2_enabled) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Error: v2transport requested but not enabled (see -v2transport)");
        return RPC_DONE;
    }
    enum node_err err = node_addnode(s->node, node, which, v2);
    switch (err) {
    case NODE_OK: rpc_call_result(c, json_null()); break;
    case NODE_ERR_EXISTS:
        rpc_call_error(c, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added");
        break;
    case NODE_ERR_NOT_FOUND:
        rpc_call_error(c, RPC_CLIENT_NODE_NOT_ADDED,
                       "Error: Node could not be removed. It has not been added previously.");
        break;
    case NODE_ERR_FULL:
        rpc_call_error(c, RPC_CLIENT_NODE_CAPACITY_REACHED, "Error: too many added nodes");
        break;
    default: rpc_call_error(c, RPC_INVALID_PARAMETER, "Error: %s", node_err_str(err)); break;
    }
    return RPC_DONE;
}

static enum rpc_status m_getaddednodeinfo(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *only;
    if (!rpc_get_str(c, params, 0, false, &only)) return RPC_DONE;
    size_t n = node_added_nodes(s->node, NULL, 0);
    struct node_added *added = calloc(n ? n : 1, sizeof *added);
    if (!added) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    n = node_added_nodes(s->node, added, n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, added[i].node) != 0) continue;
        json_t *addrs = json_array();
        if (added[i].connected)
            json_array_append_new(addrs, json_pack("{s:s,s:s}", "address", added[i].address,
                                                   "connected", "outbound"));
        json_array_append_new(arr, json_pack("{s:s,s:b,s:o}", "addednode", added[i].node, "connected",
                                             added[i].connected, "addresses", addrs));
    }
    free(added);
    if (only && json_array_size(arr) == 0) {
        json_decref(arr);
        rpc_call_error(c, RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.");
        return RPC_DONE;
    }
    rpc_call_result(c, arr);
    return RPC_DONE;
}

static enum rpc_status m_disconnectnode(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *addr;
    int64_t id = -1;
    if (!rpc_get_str(c, params, 0, false, &addr) || !rpc_get_int(c, params, 1, -1, &id)) return RPC_DONE;
    if (addr && !addr[0]) addr = NULL;
    if ((addr != NULL) == (id >= 0)) {
        rpc_call_error(c, RPC_INVALID_PARAMS, "Only one of address and nodeid should be provided.");
        return RPC_DONE;
    }
    if (node_disconnect(s->node, addr, addr ? 0 : (uint64_t)id) != NODE_OK) {
        rpc_call_error(c, RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes");
        return RPC_DONE;
    }
    rpc_call_result(c, json_null());
    return RPC_DONE;
}

static enum rpc_status m_setban(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    const char *subnet, *cmd;
    int64_t bantime;
    bool absolute;
    if (!rpc_get_str(c, params, 0, true, &subnet) || !rpc_get_str(c, params, 1, true, &cmd) ||
        !rpc_get_int(c, params, 2, 0, &bantime) || !rpc_get_bool(c, params, 3, false, &absolute))
        return RPC_DONE;
    bool add = strcmp(cmd, "add") == 0;
    if (!add && strcmp(cmd, "remove") != 0) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "command must be add or remove");
        return RPC_DONE;
    }
    struct netaddr_subnet sn;
    if (!netaddr_subnet_parse(subnet, &sn)) {
        rpc_call_error(c, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet");
        return RPC_DONE;
    }
    if (!add) {
        if (node_unban(s->node, &sn) != NODE_OK)
            rpc_call_error(c, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                           "Error: Unban failed. Requested address/subnet was not previously manually banned.");
        else
            rpc_call_result(c, json_null());
        return RPC_DONE;
    }
    if (node_has_ban(s->node, &sn)) {
        rpc_call_error(c, RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned");
        return RPC_DONE;
    }
    int64_t now = clock_unix_s(); /* the node's clock (time(2) may lag it by a tick) */
    if (bantime < 0) bantime = 0;
    if (bantime == 0) bantime = node_default_bantime_s(s->node);
    /* bantime comes from the client: now + INT64_MAX would overflow */
    int64_t until = absolute ? bantime : bantime > INT64_MAX - now ? INT64_MAX : now + bantime;
    if (until <= now) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past");
        return RPC_DONE;
    }
    enum node_err err = node_ban(s->node, &sn, until, now);
    if (err != NODE_OK)
        rpc_call_error(c, RPC_MISC_ERROR, "Error: %s", node_err_str(err));
    else
        rpc_call_result(c, json_null());
    return RPC_DONE;
}

static enum rpc_status m_listbanned(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    struct node_ban *bans;
    size_t n;
    if (node_list_bans(s->node, &bans, &n) != NODE_OK) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    int64_t now = clock_unix_s();
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char addr[NETADDR_STR_MAX];
        netaddr_subnet_str(&bans[i].subnet, addr);
        json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:I}", "address", addr, "ban_created",
                                             (json_int_t)bans[i].created, "banned_until",
                                             (json_int_t)bans[i].until, "ban_duration",
                                             /* both times may come from banlist.dat: saturate */
                                             (json_int_t)sat_sub_i64(bans[i].until, bans[i].created),
                                             "time_remaining", (json_int_t)sat_sub_i64(bans[i].until, now)));
    }
    free(bans);
    rpc_call_result(c, arr);
    return RPC_DONE;
}

static enum rpc_status m_clearbanned(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    node_clear_bans(s->node);
    rpc_call_result(c, json_null());
    return RPC_DONE;
}

static const struct {
    const char *name;
    uint8_t net;
} networks[] = {{"ipv4", WIRE_NET_IPV4}, {"ipv6", WIRE_NET_IPV6}, {"onion", WIRE_NET_TORV3},
                {"i2p", WIRE_NET_I2P},   {"cjdns", WIRE_NET_CJDNS}};

static enum rpc_status m_getaddrmaninfo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    size_t nw[8], tr[8], all_new = 0, all_tried = 0;
    node_addrman_info(s->node, nw, tr);
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof networks / sizeof networks[0]; i++) {
        uint8_t net = networks[i].net;
        json_object_set_new(o, networks[i].name,
                            json_pack("{s:I,s:I,s:I}", "new", (json_int_t)nw[net], "tried",
                                      (json_int_t)tr[net], "total", (json_int_t)(nw[net] + tr[net])));
    }
    for (size_t net = 0; net < 8; net++) {
        all_new += nw[net];
        all_tried += tr[net];
    }
    json_object_set_new(o, "all_networks",
                        json_pack("{s:I,s:I,s:I}", "new", (json_int_t)all_new, "tried",
                                  (json_int_t)all_tried, "total", (json_int_t)(all_new + all_tried)));
    rpc_call_result(c, o);
    return RPC_DONE;
}

static enum rpc_status m_getnodeaddresses(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    int64_t count;
    const char *network;
    if (!rpc_get_int(c, params, 0, 1, &count) || !rpc_get_str(c, params, 1, false, &network))
        return RPC_DONE;
    if (count < 0) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Address count out of range");
        return RPC_DONE;
    }
    int filter = -1;
    for (size_t i = 0; network && i < sizeof networks / sizeof networks[0]; i++)
        if (strcmp(network, networks[i].name) == 0) filter = networks[i].net;
    if (network && filter < 0) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Network not recognized: %s", network);
        return RPC_DONE;
    }
    size_t total = node_addrman_size(s->node);
    struct wire_netaddr *addrs = calloc(total ? total : 1, sizeof *addrs);
    if (!addrs) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    /* Every address when filtering, so the count applies after the filter. */
    size_t n = node_addresses(s->node, filter >= 0 || count == 0 ? total : (size_t)count, addrs);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct wire_netaddr *a = &addrs[i];
        if (filter >= 0 && a->net != filter) continue;
        if (count && json_array_size(arr) >= (size_t)count) break;
        char str[NETADDR_STR_MAX], host[NETADDR_STR_MAX];
        uint16_t port;
        netaddr_str(a, str);
        if (!hostport_parse(str, host, sizeof host, &port, 0)) continue;
        json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:i,s:s}", "time", (json_int_t)a->time,
                                             "services", (json_int_t)a->services, "address", host,
                                             "port", (int)a->port, "network", net_name(a)));
    }
    free(addrs);
    rpc_call_result(c, arr);
    return RPC_DONE;
}

static enum rpc_status m_ping(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    node_ping_all(s->node);
    rpc_call_result(c, json_null());
    return RPC_DONE;
}

static const char *const args_addnode[] = {"node", "command", "v2transport", NULL};
static const char *const args_node[] = {"node", NULL};
static const char *const args_disconnect[] = {"address", "nodeid", NULL};
static const char *const args_setban[] = {"subnet", "command", "bantime", "absolute", NULL};
static const char *const args_nodeaddresses[] = {"count", "network", NULL};

const struct rpc_method rpc_methods_net[] = {
    {"addnode", "Network", m_addnode, args_addnode,
     "Add a peer to keep connected (add), stop keeping it (remove), or connect once (onetry)."},
    {"clearbanned", "Network", m_clearbanned, NULL, "Clear all banned IPs."},
    {"disconnectnode", "Network", m_disconnectnode, args_disconnect,
     "Disconnect a peer by address (as getpeerinfo's addr) or by nodeid."},
    {"getaddednodeinfo", "Network", m_getaddednodeinfo, args_node,
     "The peers kept connected (--connect, --addnode, addnode add), or one of them, and whether "
     "each is connected."},
    {"getaddrmaninfo", "Network", m_getaddrmaninfo, NULL,
     "Addresses in the address manager's new and tried tables, per network."},
    {"getconnectioncount", "Network", m_getconnectioncount, NULL, "Returns the number of connections."},
    {"getnettotals", "Network", m_getnettotals, NULL, "Bytes received and sent since start."},
    {"getnetworkinfo", "Network", m_getnetworkinfo, NULL, "Returns an object with P2P networking state."},
    {"getnodeaddresses", "Network", m_getnodeaddresses, args_nodeaddresses,
     "Return known addresses (count 0 = all), optionally of one network."},
    {"getpeerinfo", "Network", m_getpeerinfo, NULL,
     "Returns data about each connected network peer as a json array of objects."},
    {"listbanned", "Network", m_listbanned, NULL, "List all banned IPs/Subnets."},
    {"ping", "Network", m_ping, NULL,
     "Send a ping to every peer; results show in getpeerinfo's pingtime and pingwait."},
    {"setban", "Network", m_setban, args_setban,
     "Add or remove an IP/Subnet from the banned list (bantime in seconds, or a unix time if "
     "absolute)."},
};
const size_t rpc_methods_net_count = sizeof rpc_methods_net / sizeof rpc_methods_net[0];
