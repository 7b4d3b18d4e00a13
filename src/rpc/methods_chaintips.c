/* What bitcoind derives from its block index, here from the header chain:
 * getchaintips (every branch's tip; a fork is "headers-only", as bitcoind
 * says of a branch whose blocks it lacks), getdifficulty, and
 * getnetworkhashps (work over time across the last n headers, computed as
 * bitcoind's GetNetworkHashPS does, down to the double arithmetic). */
#include "rpc_internal.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/hex.h>

#include "node/view.h"

#include <stdint.h>
#include <stdlib.h>

static json_t *hash_json(const uint8_t hash[32])
{
    char hex[65];
    hex_encode_rev(hash, 32, hex);
    return json_string(hex);
}

static json_t *tip_json(const struct chain *ch, const struct chain_entry *e, const char *status)
{
    const struct chain_entry *fork = e;
    while (fork && !chain_contains(ch, fork))
        fork = fork->parent;
    int32_t branchlen = fork ? e->height - fork->height : e->height;
    return json_pack("{s:i,s:o,s:i,s:s}", "height", (int)e->height, "hash", hash_json(e->hash),
                     "branchlen", (int)branchlen, "status", status);
}

static int by_height_desc(const void *a, const void *b)
{
    const struct chain_entry *x = *(const struct chain_entry *const *)a;
    const struct chain_entry *y = *(const struct chain_entry *const *)b;
    return x->height > y->height ? -1 : x->height < y->height;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const struct chain_entry *const *)a;
    uintptr_t y = (uintptr_t) * (const struct chain_entry *const *)b;
    return x < y ? -1 : x > y;
}

/* Core: the entries off the active chain that no other off-chain entry
 * builds on, plus the active tip. Off-chain entries are few (stale forks),
 * so one pass collects them and the rest works on that short list. */
static enum rpc_status m_getchaintips(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    const struct chain *ch = node_chain_view(s->node);
    size_t total = chain_count(ch), n_off = 0, cap = 16;
    const struct chain_entry **off = malloc(cap * sizeof *off);
    for (size_t i = 0; off && i < total; i++) {
        const struct chain_entry *e = chain_entry_by_seq(ch, i);
        if (chain_contains(ch, e)) continue;
        if (n_off == cap) {
            const struct chain_entry **bigger = realloc(off, cap * 2 * sizeof *off);
            if (!bigger) {
                free(off);
                off = NULL;
                break;
            }
            off = bigger;
            cap *= 2;
        }
        off[n_off++] = e;
    }
    if (!off) {
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    /* the parents, sorted, to look each entry up in: n log n, however many
     * fork headers peers gave us */
    const struct chain_entry **tips = malloc((n_off ? n_off : 1) * sizeof *tips);
    const struct chain_entry **parents = malloc((n_off ? n_off : 1) * sizeof *parents);
    if (!tips || !parents) {
        free(off);
        free(tips);
        free(parents);
        rpc_call_error(c, RPC_OUT_OF_MEMORY, "Out of memory");
        return RPC_DONE;
    }
    for (size_t i = 0; i < n_off; i++)
        parents[i] = off[i]->parent;
    qsort(parents, n_off, sizeof *parents, by_address);
    size_t n_tips = 0;
    for (size_t i = 0; i < n_off; i++)
        if (!bsearch(&off[i], parents, n_off, sizeof *parents, by_address)) tips[n_tips++] = off[i];
    free(off);
    free(parents);
    qsort(tips, n_tips, sizeof *tips, by_height_desc);
    json_t *arr = json_array();
    json_array_append_new(arr, tip_json(ch, chain_tip(ch), "active"));
    for (size_t i = 0; i < n_tips; i++)
        json_array_append_new(arr, tip_json(ch, tips[i], "headers-only"));
    free(tips);
    rpc_call_result(c, arr);
    return RPC_DONE;
}

static enum rpc_status m_getdifficulty(struct rpc_call *c, json_t *params, void *ctx)
{
    (void)params;
    struct rpc_server *s = ctx;
    rpc_call_result(c, json_real(rpc_difficulty(chain_tip(node_chain_view(s->node))->bits)));
    return RPC_DONE;
}

/* arith_uint256::getdouble: the words summed from the least significant,
 * so the rounding is bitcoind's. */
static double u256_double(const struct u256 *a)
{
    double ret = 0.0, fact = 1.0;
    for (int i = 0; i < 8; i++) {
        ret += fact * (double)a->w[i];
        fact *= 4294967296.0;
    }
    return ret;
}

/* a - b for a >= b (chain work only grows along a branch). */
static void u256_minus(struct u256 *r, const struct u256 *a, const struct u256 *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
        r->w[i] = (uint32_t)d;
        borrow = (d >> 32) & 1;
    }
}

static enum rpc_status m_getnetworkhashps(struct rpc_call *c, json_t *params, void *ctx)
{
    struct rpc_server *s = ctx;
    int64_t lookup, height;
    if (!rpc_get_int(c, params, 0, 120, &lookup) || !rpc_get_int(c, params, 1, -1, &height))
        return RPC_DONE;
    const struct chain *ch = node_chain_view(s->node);
    if (lookup < -1 || lookup == 0) {
        rpc_call_error(c, RPC_INVALID_PARAMETER,
                       "Invalid nblocks. Must be a positive number or -1.");
        return RPC_DONE;
    }
    if (height < -1 || height > chain_height(ch)) {
        rpc_call_error(c, RPC_INVALID_PARAMETER, "Block does not exist at specified height");
        return RPC_DONE;
    }
    const struct chain_entry *pb =
        height >= 0 ? chain_at_height(ch, (int32_t)height) : chain_tip(ch);
    if (!pb || pb->height == 0) {
        rpc_call_result(c, json_integer(0));
        return RPC_DONE;
    }
    if (lookup == -1) lookup = pb->height % netparams_retarget_interval(chain_params(ch)) + 1;
    if (lookup > pb->height) lookup = pb->height;
    const struct chain_entry *pb0 = pb;
    int64_t min_time = pb0->time, max_time = min_time;
    for (int64_t i = 0; i < lookup; i++) {
        pb0 = pb0->parent;
        int64_t t = pb0->time;
        min_time = t < min_time ? t : min_time;
        max_time = t > max_time ? t : max_time;
    }
    if (min_time == max_time) {
        rpc_call_result(c, json_integer(0));
        return RPC_DONE;
    }
    struct u256 work;
    u256_minus(&work, &pb->work, &pb0->work);
    rpc_call_result(c, json_real(u256_double(&work) / (double)(max_time - min_time)));
    return RPC_DONE;
}

static const char *const args_hashps[] = {"nblocks", "height", NULL};

const struct rpc_method rpc_methods_chaintips[] = {
    {"getchaintips", "Blockchain", m_getchaintips, NULL,
     "Every known tip of the header tree: the active one and stale branches."},
    {"getdifficulty", "Blockchain", m_getdifficulty, NULL,
     "The proof-of-work difficulty as a multiple of the minimum difficulty."},
    {"getnetworkhashps", "Mining", m_getnetworkhashps, args_hashps,
     "The estimated network hashes per second over the last nblocks headers."},
};
const size_t rpc_methods_chaintips_count =
    sizeof rpc_methods_chaintips / sizeof rpc_methods_chaintips[0];
