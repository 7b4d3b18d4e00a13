/* What rpc may see and ask of the node's compact filters (--blockfilters):
 * progress of the filter header chain, one block's filter fetched on
 * demand (getblockfilter), and one scan at a time over a range of heights
 * (scanblocks). Filters come from filter peers and are checked against
 * the filter header chain before anyone sees them; they are not kept, but
 * for a small LRU cache (NODE_FILTER_CACHE_BYTES). Included by view.h. */
#ifndef BTCPEERD_VIEW_FILTERS_H
#define BTCPEERD_VIEW_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct node;

/* The cache of checked filters: at most this many bytes of filters (plus
 * 64 bytes of bookkeeping each). */
#define NODE_FILTER_CACHE_BYTES (16u * 1024 * 1024)
/* Scripts one scan may watch (Core has no limit; this bounds memory). */
#define NODE_SCAN_MAX_SCRIPTS 100000u

struct node_filter_view {
    bool enabled;            /* --blockfilters */
    int32_t synced_height;   /* filter headers known up to here (-1: none) */
    int32_t header_height;   /* the header chain's tip */
    size_t durable;          /* filter headers on disk */
    size_t filter_peers;     /* connected peers offering filters */
    size_t cache_filters, cache_bytes;
};
void node_filter_info(const struct node *n, struct node_filter_view *out);

/* getblockfilter. done is called once, on the loop: filter (serialized,
 * the caller copies) and its filter header, or filter NULL and why. */
typedef void (*node_filter_fn)(void *ctx, const uint8_t *filter, size_t len,
                               const uint8_t header[32], const char *why);
/* NODE_ERR_NOT_FOUND: not on the active chain; NODE_ERR_FULL: filter
 * headers not synced that far (why in neither case is called). */
enum node_err node_get_filter(struct node *n, const uint8_t block_hash[32], node_filter_fn done,
                              void *ctx);
/* Forget every pending call of ctx (its caller went away). */
void node_get_filter_cancel(struct node *n, void *ctx);

/* scanblocks. Scripts are copied. done is called once, on the loop, when
 * the scan finishes (completed) or is aborted (not completed), with the
 * hashes of the blocks whose filter matched a script, in height order. */
typedef void (*node_scan_fn)(void *ctx, int32_t from, int32_t to, const uint8_t (*hashes)[32],
                             size_t n, bool completed);
struct node_scan_script {
    const uint8_t *data;
    size_t len;
};
/* NODE_ERR_EXISTS: a scan runs; NODE_ERR_FULL: filter headers not synced
 * to `to`; NODE_ERR_BAD_ADDRESS: a bad range. */
enum node_err node_scan_start(struct node *n, int32_t from, int32_t to,
                              const struct node_scan_script *scripts, size_t n_scripts,
                              node_scan_fn done, void *ctx);
struct node_scan_view {
    bool running;
    int32_t from, to, current; /* current: every height below it has been matched */
    size_t relevant;
    double progress;           /* 0..100 */
};
void node_scan_status(const struct node *n, struct node_scan_view *out);
/* False if no scan runs. The scan's done is called (not completed). */
bool node_scan_abort(struct node *n);

#endif
