/* Synthetic header chains and a scripted header server. */
#include "header_chain.h"

#include <btcpeerd/clock.h>
#include <btcpeerd/netparams.h>

#include <stdlib.h>
#include <string.h>

static bool meets_easy_target(const uint8_t hash[32])
{
    return hash[31] < 0x7f; /* below 0x7fffff << 232, regtest's pow limit */
}

void header_chain_make(struct header_chain *c, size_t n, size_t bad_at)
{
    header_chain_make_seeded(c, n, bad_at, 0);
}

void header_chain_make_seeded(struct header_chain *c, size_t n, size_t bad_at, uint8_t seed)
{
    const struct netparams *np = netparams_get(NET_REGTEST);
    struct wire_header genesis;
    wire_header_parse(np->genesis_header, &genesis);
    header_chain_make_timed(c, n, bad_at, seed, genesis.time + 600);
}

void header_chain_make_timed(struct header_chain *c, size_t n, size_t bad_at, uint8_t seed,
                             uint32_t first_time)
{
    c->count = n + 1;
    c->headers = calloc(c->count, sizeof *c->headers);
    c->hashes = calloc(c->count, 32);
    const struct netparams *np = netparams_get(NET_REGTEST);
    wire_header_parse(np->genesis_header, &c->headers[0]);
    memcpy(c->hashes[0], np->genesis_hash, 32);
    for (size_t i = 1; i < c->count; i++) {
        struct wire_header *h = &c->headers[i];
        h->version = 0x20000000;
        memcpy(h->prev_hash, c->hashes[i - 1], 32);
        memset(h->merkle_root, (int)(i & 0xff), 32);
        h->merkle_root[31] ^= seed; /* seed 0: the chain header_chain_make always made */
        h->time = first_time + (uint32_t)((i - 1) * 600);
        h->bits = 0x207fffff;
        for (h->nonce = 0;; h->nonce++) {
            wire_header_hash(h, c->hashes[i]);
            bool ok = meets_easy_target(c->hashes[i]);
            if (i == bad_at ? !ok : ok) break;
        }
    }
}

void header_chain_free(struct header_chain *c)
{
    free(c->headers);
    free(c->hashes);
    memset(c, 0, sizeof *c);
}

static size_t fork_point(const struct header_chain *c, const struct wire_locator *loc)
{
    for (size_t i = 0; i < loc->count; i++)
        for (size_t k = c->count; k > 0; k--)
            if (memcmp(c->hashes[k - 1], loc->hashes[i], 32) == 0) return k - 1;
    return 0;
}

size_t header_chain_serve(struct sp *s, const struct header_chain *c, unsigned quiet_ms,
                          unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    size_t served = 0;
    bool sent_short = false;
    while (clock_mono_ms() < deadline) {
        struct wire_msg m;
        enum sp_result r = sp_recv(s, &m, sent_short ? quiet_ms : (unsigned)(deadline - clock_mono_ms()));
        if (r == SP_TIMEOUT && sent_short) break;
        if (r != SP_FRAME) break;
        if (m.type == WIRE_PING) {
            struct wire_msg pong = {.type = WIRE_PONG, .u.ping = m.u.ping};
            sp_send(s, &pong);
        } else if (m.type == WIRE_GETHEADERS) {
            size_t from = fork_point(c, &m.u.locator) + 1;
            size_t n = c->count - from < WIRE_MAX_HEADERS ? c->count - from : WIRE_MAX_HEADERS;
            struct wire_msg reply = {.type = WIRE_HEADERS, .u.headers = {.count = n, .headers = c->headers + from}};
            sp_send(s, &reply);
            served++;
            sent_short = n < WIRE_MAX_HEADERS;
        }
        wire_msg_free(&m);
    }
    return served;
}
