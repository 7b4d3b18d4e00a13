/* Chain methods over the node's header chain: getblockchaininfo,
 * getblockcount, getbestblockhash, getblockhash, getblockheader, getblock.
 * btcpeerd validates headers, not blocks: "blocks" is the height of the
 * best valid header chain. getblock reads <datadir>/blocks/<hash>.blk, and
 * when the block is not there asks the node to fetch it from a peer and
 * answers once it arrives (or with an error after --rpc-getblock-timeout). */
#include "rpc_internal.h"

#include <btcpeerd/buf.h>
#include <btcpeerd/chain.h>
#include <btcpeerd/clock.h>
#include <btcpeerd/hex.h>
#include <btcpeerd/log.h>
#include <btcpeerd/pow.h>

#include "node/view.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BLOCK_FILE_MAX (4u * 1000u * 1000u + 1000u)

struct getblock_wait {
    struct rpc_server *srv;
    struct rpc_call *call;
    uint8_t hash[32];
    int verbosity;
    uint64_t started_us;    /* monotonic: getrpcinfo's duration */
    struct event *timer;
    struct getblock_wait *next;
};

static const char *chain_name(enum net_id id)
{
    switch (id) {
    case NET_MAIN: return "main";
    case NET_TESTNET3: return "test";
    case NET_TESTNET4: return "testnet4";
    case NET_SIGNET: return "signet";
    case NET_REGTEST: return "regtest";
    case NET_COUNT: break;
    }
    return "main";
}

/* Core's GetDifficulty: the pow limit of main over the target, in floating point. */
double rpc_difficulty(uint32_t bits)
{
    int shift = (int)((bits >> 24) & 0xff);
    uint32_t mant = bits & 0x00ffffffu;
    if (!mant) return 0.0;
    double d = (double)0x0000ffff / (double)mant;
    while (shift < 29) {
        d *= 256.0;
        shift++;
    }
    while (shift > 29) {
        d /= 256.0;
        shift--;
    }
    return d;
}

static json_t *hash_json(const uint8_t hash[32])
{
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    return json_string(hex);
}

static void target_hex(uint32_t bits, char out[65])
{
    struct u256 t;
    bool neg, over;
    pow_set_compact(&t, bits, &neg, &over);
    u256_to_hex(&t, out);
}

/* verificationprogress: Core guesses it from transaction counts we do not
 * have; with headers only, the share of the time since genesis the header
 * chain covers, and 1 once the initial header sync is over. On regtest
 * Core's guess is always 1 (no transaction rate to extrapolate), so ours
 * is too. */
static double sync_progress(const struct chain *ch, bool ibd, enum net_id net)
{
    if (!ibd || net == NET_REGTEST) return 1.0;
    double genesis = (double)chain_at_height(ch, 0)->time, tip = (double)chain_tip(ch)->time;
    double now = (double)time(NULL);
    if (now <= genesis || tip >= now) return 1.0;
    double p = (tip - genesis) / (now - genesis);
    return p < 0 ? 0.0 : p > 1 ? 1.0 : p;
}

static enum rpc_status m_getblockchaininfo(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    const struct chain *ch = node_chain_view(s->node);
    const struct chain_entry *tip = chain_tip(ch);
    char target[65], work[65], bits[9];
    target_hex(tip->bits, target);
    u256_to_hex(&tip->work, work);
    snprintf(bits, sizeof bits, "%08x", tip->bits);
    json_t *o = json_object();
    json_object_set_new(o, "chain", json_string(chain_name(s->cfg.net->id)));
    json_object_set_new(o, "blocks", json_integer(tip->height));
    json_object_set_new(o, "headers", json_integer(tip->height));
    json_object_set_new(o, "bestblockhash", hash_json(tip->hash));
    json_object_set_new(o, "bits", json_string(bits));
    json_object_set_new(o, "target", json_string(target));
    json_object_set_new(o, "difficulty", json_real(rpc_difficulty(tip->bits)));
    json_object_set_new(o, "time", json_integer(tip->time));
    json_object_set_new(o, "mediantime", json_integer(chain_median_time_past(tip)));
    bool ibd = node_in_initial_sync(s->node);
    json_object_set_new(o, "verificationprogress", json_real(sync_progress(ch, ibd, s->cfg.net->id)));
    json_object_set_new(o, "initialblockdownload", json_boolean(ibd));
    json_object_set_new(o, "chainwork", json_string(work));
    json_object_set_new(o, "size_on_disk", json_integer((json_int_t)node_size_on_disk(s->node)));
    json_object_set_new(o, "pruned", json_false());
    json_object_set_new(o, "warnings", json_array());
    struct node_filter_view fv;
    node_filter_info(s->node, &fv);
    if (fv.enabled) /* btcpeerd's own: the filter header chain (--blockfilters) */
        json_object_set_new(o, "filterheaders", json_integer(fv.synced_height));
    rpc_call_result(c, o);
    return RPC_DONE;
}

static enum rpc_status m_getblockcount(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    rpc_call_result(c, json_integer(chain_height(node_chain_view(s->node))));
    return RPC_DONE;
}

static enum rpc_status m_getbestblockhash(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    rpc_call_result(c, hash_json(chain_tip(node_chain_view(s->node))->hash));
    return RPC_DONE;
}

static enum rpc_status m_getblockhash(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    int64_t h;
    if (!rpc_param(params, 0)) {
        rpc_call_help_error(c);
        return RPC_DONE;
    }
    if (!rpc_get_int(c, params, 0, 0, &h)) return RPC_DONE;
    const struct chain *ch = node_chain_view(s->node);
    if (h < 0 || h > chain_height(ch)) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Block height out of range");
        return RPC_DONE;
    }
    rpc_call_result(c, hash_json(chain_at_height(ch, (int32_t)h)->hash));
    return RPC_DONE;
}

/* The transaction count of a stored block, from its first bytes (the
 * header and the count's compact size); 0 when the block is not stored,
 * as bitcoind says for a header whose block it lacks. */
static uint64_t stored_tx_count(struct rpc_server *s, const uint8_t hash[32])
{
    char path[PATH_MAX + 96];
    if (!node_block_path(s->node, hash, path, sizeof path)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint8_t head[80 + 9];
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    uint64_t n = 0;
    if (got <= 80) return 0;
    struct buf_reader r;
    buf_reader_init(&r, head + 80, got - 80);
    return buf_read_compact(&r, &n) ? n : 0;
}

/* The fields getblockheader and getblock share. */
static json_t *header_json(struct rpc_server *s, const struct chain_entry *e)
{
    const struct chain *ch = node_chain_view(s->node);
    struct wire_header h;
    bool have = node_header(s->node, e, &h);
    char hex[16], target[65], work[65];
    json_t *o = json_object();
    json_object_set_new(o, "hash", hash_json(e->hash));
    json_object_set_new(o, "confirmations",
                        json_integer(chain_contains(ch, e) ? chain_height(ch) - e->height + 1 : -1));
    json_object_set_new(o, "height", json_integer(e->height));
    json_object_set_new(o, "version", json_integer(e->version));
    snprintf(hex, sizeof hex, "%08x", (uint32_t)e->version);
    json_object_set_new(o, "versionHex", json_string(hex));
    if (have) json_object_set_new(o, "merkleroot", hash_json(h.merkle_root));
    json_object_set_new(o, "time", json_integer(e->time));
    json_object_set_new(o, "mediantime", json_integer(chain_median_time_past(e)));
    if (have) json_object_set_new(o, "nonce", json_integer(h.nonce));
    snprintf(hex, sizeof hex, "%08x", e->bits);
    json_object_set_new(o, "bits", json_string(hex));
    target_hex(e->bits, target);
    json_object_set_new(o, "target", json_string(target));
    json_object_set_new(o, "difficulty", json_real(rpc_difficulty(e->bits)));
    u256_to_hex(&e->work, work);
    json_object_set_new(o, "chainwork", json_string(work));
    json_object_set_new(o, "nTx", json_integer((json_int_t)stored_tx_count(s, e->hash)));
    if (e->parent) json_object_set_new(o, "previousblockhash", hash_json(e->parent->hash));
    if (chain_contains(ch, e)) {
        const struct chain_entry *next = chain_at_height(ch, e->height + 1);
        if (next) json_object_set_new(o, "nextblockhash", hash_json(next->hash));
    }
    return o;
}

static enum rpc_status m_getblockheader(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    uint8_t hash[32];
    bool verbose;
    if (!rpc_get_hash(c, params, 0, true, "hash", hash, NULL) || !rpc_get_bool(c, params, 1, true, &verbose))
        return RPC_DONE;
    const struct chain_entry *e = chain_lookup(node_chain_view(s->node), hash);
    if (!e) {
        rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return RPC_DONE;
    }
    if (verbose) {
        rpc_call_result(c, header_json(s, e));
        return RPC_DONE;
    }
    struct wire_header h;
    if (!node_header(s->node, e, &h)) {
        rpc_call_error(c, RPC_DATABASE_ERROR, "Header not readable");
        return RPC_DONE;
    }
    uint8_t raw[80];
    char hex[161];
    wire_header_serialize(&h, raw);
    hex_encode(raw, sizeof raw, hex);
    rpc_call_result(c, json_string(hex));
    return RPC_DONE;
}

/* ---- getblock ---- */

static bool read_block(struct rpc_server *s, const uint8_t hash[32], uint8_t **data, size_t *len)
{
    char path[PATH_MAX + 96];
    *data = NULL;
    if (!node_block_path(s->node, hash, path, sizeof path)) return false;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    struct stat st;
    bool ok = fstat(fileno(f), &st) == 0 && st.st_size > 80 && (size_t)st.st_size <= BLOCK_FILE_MAX;
    if (ok) {
        *len = (size_t)st.st_size;
        *data = malloc(*len);
        ok = *data && fread(*data, 1, *len, f) == *len;
    }
    fclose(f);
    if (!ok) {
        free(*data);
        *data = NULL;
    }
    return ok;
}

static size_t compact_len(size_t n)
{
    return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffffu ? 5 : 9;
}

/* Answer c with the block in the asked verbosity. */
static void answer_block(struct rpc_server *s, struct rpc_call *c, const uint8_t hash[32],
                         const uint8_t *data, size_t len, int verbosity)
{
    if (verbosity == 0) {
        char *hex = malloc(len * 2 + 1);
        if (!hex) {
            rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
            return;
        }
        hex_encode(data, len, hex);
        rpc_call_result(c, json_string(hex));
        free(hex);
        return;
    }
    struct wire_block b;
    if (wire_block_decode(data, len, &b) != WIRE_OK) {
        rpc_call_error(c, RPC_DATABASE_ERROR, "Block not readable from disk");
        return;
    }
    const struct chain_entry *e = chain_lookup(node_chain_view(s->node), hash);
    json_t *o = e ? header_json(s, e) : json_object();
    size_t stripped = 80 + compact_len(b.tx_count);
    json_t *txs = json_array();
    for (size_t i = 0; i < b.tx_count; i++) {
        uint8_t txid[32];
        wire_tx_txid(b.raw, &b.txs[i], txid);
        json_array_append_new(txs, hash_json(txid));
        stripped += 8 + b.txs[i].io_len;
    }
    json_object_set_new(o, "nTx", json_integer((json_int_t)b.tx_count));
    json_object_set_new(o, "strippedsize", json_integer((json_int_t)stripped));
    json_object_set_new(o, "size", json_integer((json_int_t)len));
    json_object_set_new(o, "weight", json_integer((json_int_t)(stripped * 3 + len)));
    json_object_set_new(o, "tx", txs);
    wire_block_free(&b);
    rpc_call_result(c, o);
}

static void wait_free(struct getblock_wait *w)
{
    struct rpc_server *s = w->srv;
    for (struct getblock_wait **pp = &s->waits; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    if (w->timer) event_free(w->timer);
    free(w);
}

static void on_wait_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct getblock_wait *w = arg;
    char hex[65];
    hex_encode_rev(w->hash, 32, hex);
    log_info(LOG_CAT_RPC, "getblock %s: no peer delivered it in time", hex);
    rpc_call_error(w->call, RPC_MISC_ERROR, "Block not available (not fetched from any peer in time)");
    struct rpc_call *c = w->call;
    wait_free(w);
    rpc_call_finish(c);
}

void rpc_chain_block_arrived(void *ctx, const uint8_t hash[32])
{
    struct rpc_server *s = ctx;
    struct getblock_wait *w = s->waits;
    while (w) {
        struct getblock_wait *next = w->next;
        if (memcmp(w->hash, hash, 32) == 0) {
            uint8_t *data;
            size_t len;
            if (read_block(s, hash, &data, &len))
                answer_block(s, w->call, hash, data, len, w->verbosity);
            else
                rpc_call_error(w->call, RPC_DATABASE_ERROR, "Block not readable from disk");
            free(data);
            struct rpc_call *c = w->call;
            wait_free(w);
            rpc_call_finish(c);
        }
        w = next;
    }
}

void rpc_chain_active_calls(struct rpc_server *s, json_t *arr)
{
    uint64_t now = clock_mono_us();
    for (const struct getblock_wait *w = s->waits; w; w = w->next)
        json_array_append_new(arr, json_pack("{s:s,s:I}", "method", "getblock", "duration",
                                             (json_int_t)(now - w->started_us)));
}

void rpc_chain_fail_waits(struct rpc_server *s, const char *why)
{
    while (s->waits) {
        struct getblock_wait *w = s->waits;
        struct rpc_call *c = w->call;
        rpc_call_error(c, RPC_MISC_ERROR, "%s", why);
        wait_free(w);
        rpc_call_finish(c);
    }
}

static enum rpc_status m_getblock(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    uint8_t hash[32];
    int64_t verbosity = 1;
    json_t *v = rpc_param(params, 1);
    if (!rpc_get_hash(c, params, 0, true, "blockhash", hash, NULL)) return RPC_DONE;
    if (json_is_boolean(v)) /* Core still takes the old verbose flag */
        verbosity = json_is_true(v) ? 1 : 0;
    else if (!rpc_get_int(c, params, 1, 1, &verbosity))
        return RPC_DONE;
    if (verbosity < 0 || verbosity > 1) {
        rpc_call_error(c, RPC_INVALID_PARAMETER,
                       "verbosity %lld not supported (btcpeerd keeps no transaction details: 0 or 1)",
                       (long long)verbosity);
        return RPC_DONE;
    }
    if (!chain_lookup(node_chain_view(s->node), hash)) {
        rpc_call_error(c, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return RPC_DONE;
    }
    uint8_t *data;
    size_t len;
    if (read_block(s, hash, &data, &len)) {
        answer_block(s, c, hash, data, len, (int)verbosity);
        free(data);
        return RPC_DONE;
    }
    struct getblock_wait *w = calloc(1, sizeof *w);
    if (w) w->timer = evtimer_new(s->base, on_wait_timeout, w);
    if (!w || !w->timer) {
        free(w);
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    w->srv = s;
    w->call = c;
    memcpy(w->hash, hash, 32);
    w->verbosity = (int)verbosity;
    w->started_us = clock_mono_us();
    w->next = s->waits;
    s->waits = w;
    uint32_t ms = s->cfg.getblock_timeout_ms;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(w->timer, &tv);
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    log_info(LOG_CAT_RPC, "getblock %s: not stored, fetching it from a peer", hex);
    node_fetch_block(s->node, hash);
    return RPC_PENDING;
}

static const char *const args_hash_verbose[] = {"blockhash", "verbose", NULL};
static const char *const args_getblock[] = {"blockhash", "verbosity", NULL};
static const char *const args_height[] = {"height", NULL};

const struct rpc_method rpc_methods_chain[] = {
    {"getbestblockhash", "Blockchain", m_getbestblockhash, NULL,
     "Returns the hash of the best (tip) header in the most-work header chain."},
    {"getblock", "Blockchain", m_getblock, args_getblock,
     "verbosity 0: the block as hex; 1 (default): an object with the header and txids. A block "
     "not stored yet is fetched from a peer first."},
    {"getblockchaininfo", "Blockchain", m_getblockchaininfo, NULL,
     "Returns an object with the state of the header chain (blocks = headers: btcpeerd validates headers)."},
    {"getblockcount", "Blockchain", m_getblockcount, NULL,
     "Returns the height of the most-work valid header chain."},
    {"getblockhash", "Blockchain", m_getblockhash, args_height,
     "Returns the hash of the block at the height in the best chain."},
    {"getblockheader", "Blockchain", m_getblockheader, args_hash_verbose,
     "verbose true (default): an object; false: the 80-byte header as hex."},
};
const size_t rpc_methods_chain_count = sizeof rpc_methods_chain / sizeof rpc_methods_chain[0];
