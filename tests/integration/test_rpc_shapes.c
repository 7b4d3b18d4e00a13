/* bitcoind's RPC shapes, pinned: for each method the keys and JSON types
 * bitcoind v29 documents (its RPCResult help in src/rpc/blockchain.cpp,
 * net.cpp, mining.cpp, server.cpp — written here from that help, not from
 * our output), and the calls bitcoin-cli v29 makes for
 * -getinfo and -netinfo with the keys it reads from them
 * (src/bitcoin-cli.cpp), so the real bitcoin-cli works unchanged against
 * btcpeerd. A real daemon on 127.0.0.1, scripted peers, raw HTTP. */
#include "cli_runner.h"
#include "header_chain.h"
#include "rpc_testlib.h"
#include "scripted_peer.h"
#include "testutil.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char regtest_genesis_hash[] =
    "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

/* getblockchaininfo (blockchain.cpp). pruneheight, automatic_pruning,
 * prune_target_size: only when pruned; signet_challenge: only on signet. */
static const struct key_spec blockchaininfo_keys[] = {
    {"chain", J_STR, false},
    {"blocks", J_INT, false},
    {"headers", J_INT, false},
    {"bestblockhash", J_STR, false},
    {"bits", J_STR, false},
    {"target", J_STR, false},
    {"difficulty", J_NUM, false},
    {"time", J_INT, false},
    {"mediantime", J_INT, false},
    {"verificationprogress", J_NUM, false},
    {"initialblockdownload", J_BOOL, false},
    {"chainwork", J_STR, false},
    {"size_on_disk", J_INT, false},
    {"pruned", J_BOOL, false},
    {"pruneheight", J_INT, true},
    {"automatic_pruning", J_BOOL, true},
    {"prune_target_size", J_INT, true},
    {"signet_challenge", J_STR, true},
    {"warnings", J_ARR, false},
};

/* getnetworkinfo (net.cpp), and btcpeerd's asmap. */
static const struct key_spec networkinfo_keys[] = {
    {"version", J_INT, false},
    {"subversion", J_STR, false},
    {"protocolversion", J_INT, false},
    {"localservices", J_STR, false},
    {"localservicesnames", J_ARR, false},
    {"localrelay", J_BOOL, false},
    {"timeoffset", J_INT, false},
    {"networkactive", J_BOOL, false},
    {"asmap", J_STR, true}, /* btcpeerd's own, only with --asmap (docs/RPC.md) */
    {"connections", J_INT, false},
    {"connections_in", J_INT, false},
    {"connections_out", J_INT, false},
    {"networks", J_ARR, false},
    {"relayfee", J_NUM, false},
    {"incrementalfee", J_NUM, false},
    {"localaddresses", J_ARR, false},
    {"warnings", J_ARR, false},
};
static const struct key_spec network_keys[] = {
    {"name", J_STR, false},
    {"limited", J_BOOL, false},
    {"reachable", J_BOOL, false},
    {"proxy", J_STR, false},
    {"proxy_randomize_credentials", J_BOOL, false},
};

/* getpeerinfo (net.cpp): addrbind, addrlocal, mapped_as and the ping
 * times are optional there. */
static const struct key_spec peer_keys[] = {
    {"id", J_INT, false},
    {"addr", J_STR, false},
    {"addrbind", J_STR, true},
    {"addrlocal", J_STR, true},
    {"network", J_STR, false},
    {"mapped_as", J_INT, true},
    {"services", J_STR, false},
    {"servicesnames", J_ARR, false},
    {"relaytxes", J_BOOL, false},
    {"lastsend", J_INT, false},
    {"lastrecv", J_INT, false},
    {"last_transaction", J_INT, false},
    {"last_block", J_INT, false},
    {"bytessent", J_INT, false},
    {"bytesrecv", J_INT, false},
    {"conntime", J_INT, false},
    {"timeoffset", J_INT, false},
    {"pingtime", J_NUM, true},
    {"minping", J_NUM, true},
    {"pingwait", J_NUM, true},
    {"version", J_INT, false},
    {"subver", J_STR, false},
    {"inbound", J_BOOL, false},
    {"bip152_hb_to", J_BOOL, false},
    {"bip152_hb_from", J_BOOL, false},
    {"startingheight", J_INT, false},
    {"presynced_headers", J_INT, false},
    {"synced_headers", J_INT, false},
    {"synced_blocks", J_INT, false},
    {"inflight", J_ARR, false},
    {"addr_relay_enabled", J_BOOL, false},
    {"addr_processed", J_INT, false},
    {"addr_rate_limited", J_INT, false},
    {"permissions", J_ARR, false},
    {"minfeefilter", J_NUM, false},
    {"bytessent_per_msg", J_OBJ, false},
    {"bytesrecv_per_msg", J_OBJ, false},
    {"connection_type", J_STR, false},
    {"transport_protocol_type", J_STR, false},
    {"session_id", J_STR, false},
};

/* getblockheader verbose (blockchain.cpp): merkleroot and nonce are not
 * optional there; previousblockhash and nextblockhash are. */
static const struct key_spec header_keys[] = {
    {"hash", J_STR, false},
    {"confirmations", J_INT, false},
    {"height", J_INT, false},
    {"version", J_INT, false},
    {"versionHex", J_STR, false},
    {"merkleroot", J_STR, false},
    {"time", J_INT, false},
    {"mediantime", J_INT, false},
    {"nonce", J_INT, false},
    {"bits", J_STR, false},
    {"target", J_STR, false},
    {"difficulty", J_NUM, false},
    {"chainwork", J_STR, false},
    {"nTx", J_INT, false},
    {"previousblockhash", J_STR, true},
    {"nextblockhash", J_STR, true},
};

/* getchaintips' elements (blockchain.cpp), getrpcinfo (server.cpp). */
static const struct key_spec tip_keys[] = {
    {"height", J_INT, false},
    {"hash", J_STR, false},
    {"branchlen", J_INT, false},
    {"status", J_STR, false},
};
static const struct key_spec rpcinfo_keys[] = {
    {"active_commands", J_ARR, false},
    {"logpath", J_STR, false},
};
static const struct key_spec command_keys[] = {
    {"method", J_STR, false},
    {"duration", J_INT, false},
};

/* getnettotals, listbanned, getaddrmaninfo, getnodeaddresses,
 * getaddednodeinfo (net.cpp). */
static const struct key_spec nettotals_keys[] = {
    {"totalbytesrecv", J_INT, false},
    {"totalbytessent", J_INT, false},
    {"timemillis", J_INT, false},
    {"uploadtarget", J_OBJ, false},
};
static const struct key_spec uploadtarget_keys[] = {
    {"timeframe", J_INT, false},           {"target", J_INT, false},
    {"target_reached", J_BOOL, false},     {"serve_historical_blocks", J_BOOL, false},
    {"bytes_left_in_cycle", J_INT, false}, {"time_left_in_cycle", J_INT, false},
};
static const struct key_spec banned_keys[] = {
    {"address", J_STR, false},        {"ban_created", J_INT, false},
    {"banned_until", J_INT, false},   {"ban_duration", J_INT, false},
    {"time_remaining", J_INT, false},
};
static const struct key_spec addrman_keys[] = {
    {"ipv4", J_OBJ, false}, {"ipv6", J_OBJ, false},  {"onion", J_OBJ, false},
    {"i2p", J_OBJ, false},  {"cjdns", J_OBJ, false}, {"all_networks", J_OBJ, false},
};
static const struct key_spec addrman_net_keys[] = {
    {"new", J_INT, false},
    {"tried", J_INT, false},
    {"total", J_INT, false},
};
static const struct key_spec nodeaddress_keys[] = {
    {"time", J_INT, false}, {"services", J_INT, false}, {"address", J_STR, false},
    {"port", J_INT, false}, {"network", J_STR, false},
};
static const struct key_spec addednode_keys[] = {
    {"addednode", J_STR, false},
    {"connected", J_BOOL, false},
    {"addresses", J_ARR, false},
};

/* ---- bitcoin-cli -getinfo and -netinfo ---- */

/* -getinfo (GetinfoRequestHandler) sends this batch and reads, from
 * getnetworkinfo: version, timeoffset, connections_in, connections_out,
 * connections, networks (each name, proxy), relayfee, warnings; from
 * getblockchaininfo: blocks, headers, verificationprogress (get_real: a
 * number in [0, 1] for its progress bar), difficulty, chain. getwalletinfo
 * and getbalances may fail (no wallet); the other two may not. */
static void assert_getinfo_batch(struct rpct_daemon *r)
{
    char *text = rpct_post(
        r, "[{\"jsonrpc\":\"2.0\",\"method\":\"getnetworkinfo\",\"params\":[],\"id\":0},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"getblockchaininfo\",\"params\":[],\"id\":1},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"getwalletinfo\",\"params\":[],\"id\":2},"
           "{\"jsonrpc\":\"2.0\",\"method\":\"getbalances\",\"params\":[],\"id\":3}]");
    json_error_t err;
    json_t *batch = json_loads(text, 0, &err);
    if (!json_is_array(batch)) fail_msg("not a batch reply: %s", text);
    free(text);
    assert_int_equal(json_array_size(batch), 4);
    json_t *net = NULL, *chain = NULL;
    for (size_t i = 0; i < 4; i++) {
        json_t *rep = json_array_get(batch, i);
        json_int_t id = json_integer_value(json_object_get(rep, "id"));
        if (id == 0) net = rpct_result(rep);
        if (id == 1) chain = rpct_result(rep);
        if (id >= 2) assert_int_equal(rpct_error_code(rep), -32601); /* no wallet */
    }
    assert_non_null(net);
    assert_non_null(chain);
    SHAPE(net, networkinfo_keys, "getnetworkinfo");
    SHAPE(chain, blockchaininfo_keys, "getblockchaininfo");
    double progress = json_number_value(json_object_get(chain, "verificationprogress"));
    assert_true(progress >= 0.0 && progress <= 1.0);
    size_t i;
    json_t *nw;
    json_array_foreach(json_object_get(net, "networks"), i, nw)
        SHAPE(nw, network_keys, "networks[]");
    json_decref(batch);
}

/* -netinfo, every level 0..4 (NetinfoRequestHandler: one batch of
 * getpeerinfo and getnetworkinfo, whatever the level; "-netinfo help" is
 * the client's own text). It refuses a server whose version is below
 * 209900, and reads getnetworkinfo's protocolversion, subversion,
 * networks[].reachable and name, localaddresses; and of every peer:
 * network, inbound, relaytxes (or null), connection_type, id, mapped_as
 * (or null), version, addr_processed and addr_rate_limited (or null),
 * conntime, last_block, lastrecv, lastsend, last_transaction, minping and
 * pingtime (or null), addr, servicesnames, subver, transport_protocol_type
 * (or null), addr_relay_enabled (or null), bip152_hb_from, bip152_hb_to. */
static void assert_netinfo_batch(struct rpct_daemon *r, size_t peers_expected)
{
    char *text =
        rpct_post(r, "[{\"jsonrpc\":\"2.0\",\"method\":\"getpeerinfo\",\"params\":[],\"id\":0},"
                     "{\"jsonrpc\":\"2.0\",\"method\":\"getnetworkinfo\",\"params\":[],\"id\":1}]");
    json_error_t err;
    json_t *batch = json_loads(text, 0, &err);
    if (!json_is_array(batch)) fail_msg("not a batch reply: %s", text);
    free(text);
    json_t *peers = rpct_result(json_array_get(batch, 0)),
           *net = rpct_result(json_array_get(batch, 1));
    assert_true(json_integer_value(json_object_get(net, "version")) >= 209900);
    assert_true(json_is_integer(json_object_get(net, "protocolversion")));
    assert_true(json_is_string(json_object_get(net, "subversion")));
    assert_true(json_is_array(json_object_get(net, "localaddresses")));
    if (peers_expected != SIZE_MAX) assert_int_equal(json_array_size(peers), peers_expected);
    size_t i;
    json_t *p;
    json_array_foreach(peers, i, p)
    {
        SHAPE(p, peer_keys, "getpeerinfo[]");
        static const char *const read_int[] = {
            "id",       "version",          "conntime",       "last_block",       "lastrecv",
            "lastsend", "last_transaction", "addr_processed", "addr_rate_limited"};
        for (size_t k = 0; k < sizeof read_int / sizeof read_int[0]; k++)
            if (!json_is_integer(json_object_get(p, read_int[k])))
                fail_msg("-netinfo reads %s", read_int[k]);
        static const char *const read_bool[] = {"inbound", "relaytxes", "addr_relay_enabled",
                                                "bip152_hb_from", "bip152_hb_to"};
        for (size_t k = 0; k < sizeof read_bool / sizeof read_bool[0]; k++)
            if (!json_is_boolean(json_object_get(p, read_bool[k])))
                fail_msg("-netinfo reads %s", read_bool[k]);
    }
    json_decref(batch);
}

/* ---- tests ---- */

/* Two peers: an outbound one (--connect) that served 30 headers, an
 * inbound one that sent addresses. -getinfo's and -netinfo's batches, and
 * getpeerinfo's sync and addr counters. */
static void test_getinfo_netinfo_and_peer_counters(void **state)
{
    (void)state;
    uint16_t lport;
    int lfd = sp_listen(&lport);
    char connect[64];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", lport);
    const char *extra[] = {connect, "--listen=1", "--v2transport=0", NULL};
    struct rpct_daemon r;
    rpct_start(&r, extra);
    /* the outbound peer still connecting: listed or not yet, but every
     * peer listed has bitcoind's keys from the start */
    assert_getinfo_batch(&r);
    assert_netinfo_batch(&r, SIZE_MAX);

    struct header_chain hc;
    header_chain_make(&hc, 30, 0);
    struct sp out;
    assert_true(sp_accept(&out, lfd, netparams_get(NET_REGTEST)->magic, RPCT_WAIT_MS));
    assert_true(sp_handshake(&out, false, NULL, RPCT_WAIT_MS));
    assert_true(header_chain_serve(&out, &hc, 300, RPCT_WAIT_MS) >= 1);
    if (!daemon_wait_log(&r.d, "caught up at height 30", RPCT_WAIT_MS)) fail_msg("%s", r.d.log);

    /* an inbound peer's token bucket starts with one address: of four
     * sent, at least two are dropped */
    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), netparams_get(NET_REGTEST)->magic));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    assert_true(daemon_wait_log(&r.d, "handshake complete", RPCT_WAIT_MS));
    struct wire_netaddr addrs[4];
    memset(addrs, 0, sizeof addrs);
    for (int i = 0; i < 4; i++) {
        addrs[i].net = WIRE_NET_IPV4;
        addrs[i].services = 1;
        addrs[i].time = (uint32_t)time(NULL);
        addrs[i].port = 18444;
        uint8_t ip[4] = {8, 8, 4, (uint8_t)(i + 1)};
        memcpy(addrs[i].addr, ip, 4);
    }
    struct wire_msg m = {.type = WIRE_ADDR};
    m.u.addr.count = 1;
    m.u.addr.addrs = addrs;
    assert_true(sp_send(&s, &m));
    m.u.addr.count = 3;
    m.u.addr.addrs = addrs + 1;
    assert_true(sp_send(&s, &m));
    uint64_t deadline = clock_mono_ms() + RPCT_WAIT_MS;
    while (daemon_log_count(&r.d, "dropped (token bucket)") < 2 && clock_mono_ms() < deadline)
        daemon_pump(&r.d, 20);
    assert_int_equal(daemon_log_count(&r.d, "dropped (token bucket)"), 2);

    json_t *rep = rpct_call(&r, "getpeerinfo", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 2);
    json_t *o = json_array_get(rpct_result(rep), 0), *p = json_array_get(rpct_result(rep), 1);
    if (json_is_true(json_object_get(o, "inbound"))) {
        json_t *t = o;
        o = p;
        p = t;
    }
    SHAPE(o, peer_keys, "getpeerinfo[]");
    SHAPE(p, peer_keys, "getpeerinfo[]");
    /* the headers it sent are headers it has (bitcoind: not -1) */
    assert_int_equal(json_integer_value(json_object_get(o, "synced_headers")), 30);
    assert_int_equal(json_integer_value(json_object_get(o, "synced_blocks")), 30);
    assert_int_equal(json_integer_value(json_object_get(o, "presynced_headers")), -1);
    assert_int_equal(json_integer_value(json_object_get(p, "synced_headers")), -1);
    json_int_t processed = json_integer_value(json_object_get(p, "addr_processed"));
    json_int_t limited = json_integer_value(json_object_get(p, "addr_rate_limited"));
    assert_int_equal(processed + limited, 4);
    assert_true(processed >= 1 && limited >= 2);
    assert_true(json_is_true(json_object_get(p, "addr_relay_enabled")));
    assert_int_equal(json_array_size(json_object_get(p, "permissions")), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "last_block")), 0);
    json_decref(rep);

    assert_getinfo_batch(&r);
    assert_netinfo_batch(&r, 2);
    /* btcpeerd-cli -getinfo prints bitcoin-cli -getinfo's lines */
    char datadir[192], port[32];
    snprintf(datadir, sizeof datadir, "-datadir=%s/data", r.d.datadir);
    snprintf(port, sizeof port, "-rpcport=%u", r.rpc_port);
    const char *getinfo[] = {"-regtest", datadir, port, "-getinfo", NULL};
    struct cli_run cr;
    assert_true(cli_run(NULL, getinfo, NULL, RPCT_WAIT_MS, &cr));
    assert_int_equal(cr.status, 0);
    if (strncmp(cr.out,
                "Chain: regtest\nBlocks: 30\nHeaders: 30\nVerification progress: 100.0000%\n"
                "Difficulty: 4.656542373906925e-10\n\nNetwork: in 1, out 1, total 2\n"
                "Version: 290000\nTime offset (s): ",
                169) != 0 ||
        !strstr(
            cr.out,
            "\nProxies: n/a\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\nWarnings: (none)\n"))
        fail_msg("-getinfo printed:\n%s", cr.out);
    cli_run_free(&cr);
    /* and -netinfo 4, bitcoin-cli's dashboard: the two peers, then the
     * counts (loopback is "npr", not publicly routable) */
    const char *netinfo[] = {"-regtest", datadir, port, "-netinfo", "4", NULL};
    assert_true(cli_run(NULL, netinfo, NULL, RPCT_WAIT_MS, &cr));
    assert_int_equal(cr.status, 0);
    if (strncmp(cr.out,
                "btcpeerd-cli client v" BTCPEERD_VERSION_STRING " regtest - server 70016/btcpeerd:",
                50) != 0 ||
        !strstr(cr.out,
                "\n<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  "
                "age id address") ||
        !strstr(cr.out, "\n in          npr") || !strstr(cr.out, "\nout manual   npr") ||
        !strstr(cr.out, "/scripted-peer:1.0/\n") ||
        !strstr(cr.out, "   total   block  manual\nin          0       0       1       1\n"
                        "out         0       0       1       1       0       1\n"
                        "total       0       0       2       2\n\nLocal addresses: n/a\n"))
        fail_msg("-netinfo 4 printed:\n%s", cr.out);
    cli_run_free(&cr);
    rep = rpct_call(&r, "getblockchaininfo", NULL);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "blocks")), 30);
    assert_true(json_integer_value(json_object_get(rpct_result(rep), "size_on_disk")) >= 30 * 80);
    json_decref(rep);
    rep = rpct_call(&r, "getnetworkinfo", NULL);
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "version")), 290000);
    assert_true(json_number_value(json_object_get(rpct_result(rep), "relayfee")) == 0.00001);
    assert_true(json_number_value(json_object_get(rpct_result(rep), "incrementalfee")) == 0.00001);
    json_decref(rep);

    /* the header tree: one active tip; hash rate from the headers */
    rep = rpct_call(&r, "getchaintips", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 1);
    json_t *tip = json_array_get(rpct_result(rep), 0);
    SHAPE(tip, tip_keys, "getchaintips[]");
    assert_int_equal(json_integer_value(json_object_get(tip, "height")), 30);
    assert_int_equal(json_integer_value(json_object_get(tip, "branchlen")), 0);
    assert_string_equal(json_string_value(json_object_get(tip, "status")), "active");
    json_decref(rep);

    /* the inbound peer sends a stale fork: a second child of genesis */
    struct wire_header fork = hc.headers[1];
    uint8_t fork_hash[32];
    memset(fork.merkle_root, 0xee, 32);
    for (fork.nonce = 0;; fork.nonce++) {
        wire_header_hash(&fork, fork_hash);
        if (fork_hash[31] < 0x7f) break; /* regtest's easy target, as header_chain.c mines */
    }
    struct wire_msg hm = {.type = WIRE_HEADERS};
    hm.u.headers.count = 1;
    hm.u.headers.headers = &fork;
    assert_true(sp_send(&s, &hm));
    deadline = clock_mono_ms() + RPCT_WAIT_MS;
    json_t *tips = NULL;
    rep = NULL;
    do { /* until the node has taken the header in */
        json_decref(rep);
        daemon_pump(&r.d, 20);
        rep = rpct_call(&r, "getchaintips", NULL);
        tips = rpct_result(rep);
    } while (json_array_size(tips) < 2 && clock_mono_ms() < deadline);
    assert_int_equal(json_array_size(tips), 2);
    tip = json_array_get(tips, 1);
    SHAPE(tip, tip_keys, "getchaintips[]");
    assert_int_equal(json_integer_value(json_object_get(tip, "height")), 1);
    assert_int_equal(json_integer_value(json_object_get(tip, "branchlen")), 1);
    assert_string_equal(json_string_value(json_object_get(tip, "status")), "headers-only");
    json_decref(rep);
    rep = rpct_call(&r, "getpeerinfo", NULL);
    p = json_array_get(rpct_result(rep), 0);
    if (!json_is_true(json_object_get(p, "inbound"))) p = json_array_get(rpct_result(rep), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "synced_headers")), 1);
    json_decref(rep);
    /* bitcoind's GetNetworkHashPS: the work of the last headers (2 each at
     * regtest's target) over the span of their times */
    uint32_t tmin = hc.headers[0].time, tmax = tmin;
    for (size_t i = 1; i <= 30; i++) {
        tmin = hc.headers[i].time < tmin ? hc.headers[i].time : tmin;
        tmax = hc.headers[i].time > tmax ? hc.headers[i].time : tmax;
    }
    rep = rpct_call(&r, "getnetworkhashps", "[-1]");
    char want[32]; /* as bitcoind writes a double: 16 significant digits */
    snprintf(want, sizeof want, "%.16g", 60.0 / (double)(tmax - tmin));
    assert_true(json_number_value(rpct_result(rep)) == strtod(want, NULL));
    json_decref(rep);
    rep = rpct_call(&r, "getnetworkhashps", "[0]");
    assert_int_equal(rpct_error_code(rep), -8);
    json_decref(rep);
    rep = rpct_call(&r, "getnetworkhashps", "[120,31]");
    assert_int_equal(rpct_error_code(rep), -8);
    json_decref(rep);
    rep = rpct_call(&r, "getnetworkhashps", "[120,0]");
    assert_int_equal(json_integer_value(rpct_result(rep)), 0);
    json_decref(rep);

    header_chain_free(&hc);
    sp_close(&s);
    sp_close(&out);
    close(lfd);
    rpct_stop(&r);
}

/* help METHOD starts with usage, has bitcoind's sections (a method with
 * no help entry gets one without Result:), and is in docs/RPC.md as is. */
static void check_help_and_doc(struct rpct_daemon *r, const char *method, const char *usage,
                               const char *doc)
{
    char params[96];
    snprintf(params, sizeof params, "[\"%s\"]", method);
    json_t *h = rpct_call(r, "help", params);
    const char *t = json_string_value(rpct_result(h));
    assert_non_null(t);
    if (strncmp(t, usage, strlen(usage)) != 0 || t[strlen(usage)] != '\n')
        fail_msg("help %s does not start with its usage line", method);
    if (!strstr(t, "\n\nResult") || !strstr(t, "\nExamples:\n> bitcoin-cli "))
        fail_msg("help %s lacks bitcoind's sections (no entry in src/rpc/help_*.c?):\n%s", method, t);
    char *block = malloc(strlen(t) + 16);
    snprintf(block, strlen(t) + 16, "```text\n%s\n```", t);
    if (!strstr(doc, block))
        fail_msg("docs/RPC.md differs from help %s: run scripts/rpc_doc.sh", method);
    free(block);
    json_decref(h);
}

/* Difficulty as bitcoind prints it (16 significant digits), nTx, the
 * header's keys, getdifficulty, getrpcinfo, and help. */
static void test_chain_shapes_difficulty_and_help(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    char body[256];
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblockheader\",\"params\":[\"%s\"]}",
             regtest_genesis_hash);
    char *text = rpct_post(&r, body);
    /* bitcoind: 4.656542373906925e-10; %.17g would give ...069247e-10 */
    if (!strstr(text, "\"difficulty\":4.656542373906925e-10")) fail_msg("difficulty: %s", text);
    json_error_t err;
    json_t *rep = json_loads(text, 0, &err);
    free(text);
    SHAPE(rpct_result(rep), header_keys, "getblockheader");
    /* the block is not stored: 0, as bitcoind for a header whose block it lacks */
    assert_int_equal(json_integer_value(json_object_get(rpct_result(rep), "nTx")), 0);
    json_decref(rep);
    text = rpct_post(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getdifficulty\"}");
    if (!strstr(text, "\"result\":4.656542373906925e-10")) fail_msg("getdifficulty: %s", text);
    free(text);
    text = rpct_post(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getblockchaininfo\"}");
    if (!strstr(text, "\"difficulty\":4.656542373906925e-10"))
        fail_msg("getblockchaininfo: %s", text);
    free(text);

    rep = rpct_call(&r, "getrpcinfo", NULL);
    SHAPE(rpct_result(rep), rpcinfo_keys, "getrpcinfo");
    json_t *cmds = json_object_get(rpct_result(rep), "active_commands");
    assert_int_equal(json_array_size(cmds), 1);
    SHAPE(json_array_get(cmds, 0), command_keys, "active_commands[]");
    assert_string_equal(json_string_value(json_object_get(json_array_get(cmds, 0), "method")),
                        "getrpcinfo");
    json_decref(rep);

    /* help <method>: bitcoind's layout, for every method in the list */
    rep = rpct_call(&r, "help", NULL);
    const char *list = json_string_value(rpct_result(rep));
    assert_non_null(
        strstr(list, "== Blockchain ==\ngetbestblockhash\ngetblock \"blockhash\" ( verbosity )\n"));
    assert_non_null(strstr(list, "== Mining ==\ngetnetworkhashps ( nblocks height )\n"));
    /* docs/RPC.md is made from help (scripts/rpc_doc.sh): the same text */
    FILE *f = fopen(BTCPEERD_DOCS_DIR "/RPC.md", "r");
    assert_non_null(f);
    char *doc = calloc(1, 1 << 20);
    size_t doc_len = fread(doc, 1, (1 << 20) - 1, f);
    fclose(f);
    assert_true(doc_len > 0);
    char *names = strdup(list);
    size_t methods = 0;
    for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '=' || line[0] == '\0') continue;
        char method[64];
        assert_int_equal(sscanf(line, "%63s", method), 1);
        check_help_and_doc(&r, method, line, doc);
        methods++;
    }
    free(names);
    assert_true(methods >= 33);
    /* bitcoind's hidden commands: out of the list, yet with their help
     * (and in docs/RPC.md, which rpc_doc.sh gives them by name) */
    assert_null(strstr(list, "Hidden"));
    assert_null(strstr(list, "addpeeraddress"));
    check_help_and_doc(&r, "addpeeraddress", "addpeeraddress \"address\" port ( tried )", doc);
    free(doc);
    json_decref(rep);
    rep = rpct_call(&r, "help", "[\"nosuchmethod\"]");
    assert_string_equal(json_string_value(rpct_result(rep)), "help: unknown command: nosuchmethod");
    json_decref(rep);
    rpct_stop(&r);
}
/* The other network methods' keys, each with something to show: a ban, an
 * address from a peer, an added node. */
static void test_network_method_shapes(void **state)
{
    (void)state;
    struct rpct_daemon r;
    rpct_start(&r, NULL);
    json_t *rep = rpct_call(&r, "getnettotals", NULL);
    SHAPE(rpct_result(rep), nettotals_keys, "getnettotals");
    SHAPE(json_object_get(rpct_result(rep), "uploadtarget"), uploadtarget_keys, "uploadtarget");
    json_decref(rep);

    rep = rpct_call(&r, "setban", "[\"10.0.0.0/8\",\"add\"]");
    json_decref(rep);
    rep = rpct_call(&r, "listbanned", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 1);
    SHAPE(json_array_get(rpct_result(rep), 0), banned_keys, "listbanned[]");
    json_decref(rep);

    struct sp s;
    assert_true(sp_connect(&s, daemon_port(&r.d, RPCT_WAIT_MS), netparams_get(NET_REGTEST)->magic));
    assert_true(sp_handshake(&s, true, NULL, RPCT_WAIT_MS));
    struct wire_netaddr a = {
        .time = (uint32_t)time(NULL), .services = 9, .net = WIRE_NET_IPV4, .port = 18444};
    memcpy(a.addr, (const uint8_t[]){8, 8, 4, 4}, 4);
    struct wire_msg m = {.type = WIRE_ADDR};
    m.u.addr.count = 1;
    m.u.addr.addrs = &a;
    assert_true(sp_send(&s, &m));
    assert_true(daemon_wait_log(&r.d, "1 accepted", RPCT_WAIT_MS));
    rep = rpct_call(&r, "getnodeaddresses", "[0]");
    assert_int_equal(json_array_size(rpct_result(rep)), 1);
    SHAPE(json_array_get(rpct_result(rep), 0), nodeaddress_keys, "getnodeaddresses[]");
    json_decref(rep);
    rep = rpct_call(&r, "getaddrmaninfo", NULL);
    SHAPE(rpct_result(rep), addrman_keys, "getaddrmaninfo");
    const char *key;
    json_t *v;
    json_object_foreach(rpct_result(rep), key, v) SHAPE(v, addrman_net_keys, key);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(rpct_result(rep), "ipv4"), "new")), 1);
    json_decref(rep);

    rep = rpct_call(&r, "addnode", "[\"127.0.0.1:1\",\"add\"]");
    json_decref(rep);
    rep = rpct_call(&r, "getaddednodeinfo", NULL);
    assert_int_equal(json_array_size(rpct_result(rep)), 1);
    SHAPE(json_array_get(rpct_result(rep), 0), addednode_keys, "getaddednodeinfo[]");
    json_decref(rep);
    sp_close(&s);
    rpct_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getinfo_netinfo_and_peer_counters),
        cmocka_unit_test(test_chain_shapes_difficulty_and_help),
        cmocka_unit_test(test_network_method_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
