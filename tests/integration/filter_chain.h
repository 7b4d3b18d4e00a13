/* Regtest blocks with their BIP158 filters, for filter tests: block i has
 * one coinbase paying to a script of its own, plus a watched script in the
 * blocks the test chooses, so the test knows every script in every filter.
 * The filters are built by src/filter (blockfilter_build_basic), the
 * headers mined at regtest's easy target. And a scripted peer that serves
 * them (headers, blocks, checkpoints, filter headers, filters) honestly,
 * or with a lie, or slowly, or not at all. */
#ifndef BTCPEERD_TEST_FILTER_CHAIN_H
#define BTCPEERD_TEST_FILTER_CHAIN_H

#include "header_chain.h"
#include "scripted_peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILTER_CHAIN_WATCHED_LEN 22

struct filter_chain {
    struct header_chain hc;          /* hc.headers[0] is genesis */
    uint8_t **blocks;                /* raw block i (genesis included) */
    size_t *block_len;
    uint8_t **filters;               /* serialized basic filter of block i */
    size_t *filter_len;
    uint8_t (*fheaders)[32];         /* filter header of block i */
    uint8_t (*fhashes)[32];          /* filter hash of block i */
    bool *watched;                   /* block i pays to the watched script */
    uint8_t watched_script[FILTER_CHAIN_WATCHED_LEN];
    size_t count;                    /* blocks, genesis included */
};

/* n blocks after genesis; block i pays to the watched script when
 * (i % every) == 0 (every 0: none). */
void filter_chain_make(struct filter_chain *c, size_t n, size_t every);
/* A lying copy: from height `at` on, every filter leaves out block's own
 * output (so the block proves it wrong) and the filter headers follow from
 * the lie, consistently: only a block can tell. */
void filter_chain_make_liar(struct filter_chain *liar, const struct filter_chain *honest, size_t at);
void filter_chain_free(struct filter_chain *c);
/* The script block i's coinbase pays to (22 bytes, P2WPKH-shaped). */
void filter_chain_own_script(size_t i, uint8_t out[22]);

enum filter_peer_mode {
    FILTER_PEER_HONEST = 0,
    FILTER_PEER_SILENT,   /* never answers a filter request (answers the rest) */
    FILTER_PEER_HOLD,     /* holds filter answers until filter_peer_release */
    FILTER_PEER_NO_FILTERS, /* answers checkpoints and headers, never getcfilters */
};

struct filter_peer {
    struct sp sp;
    const struct filter_chain *c;
    enum filter_peer_mode mode;
    const struct filter_chain *filters_from; /* cfilter answers from here (NULL: c) */
    bool no_blocks;       /* getdata for blocks goes unanswered */
    bool open;
    size_t cf_requests;   /* BIP157 requests received */
    size_t blocks_served;
    /* FILTER_PEER_HOLD: the held requests' raw messages (their answers are
     * sent, in order, by filter_peer_release). */
    struct wire_msg held[16];
    size_t n_held;
};

/* Serve what arrives on each open peer for up to ms (ping, getheaders,
 * getdata, getcfcheckpt, getcfheaders, getcfilters). A peer that closes
 * is marked closed. Returns when ms has passed. */
void filter_peers_pump(struct filter_peer *peers, size_t n, unsigned ms);
/* Answer what a HOLD peer kept, late, and serve it honestly from now on. */
void filter_peer_release(struct filter_peer *p);

#endif
