/* Synthetic regtest header chains for sync tests: mined from the regtest
 * genesis at its easy target (about two tries a header), ten minutes apart,
 * optionally with one broken header. And a scripted peer that serves them
 * to a btcpeerd's getheaders. */
#ifndef BTCPEERD_TEST_HEADER_CHAIN_H
#define BTCPEERD_TEST_HEADER_CHAIN_H

#include "scripted_peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct header_chain {
    struct wire_header *headers; /* [0] is genesis */
    uint8_t (*hashes)[32];
    size_t count;
};

/* n headers after genesis. bad_at > 0: that header's proof of work fails
 * (its hash is above the target); the ones after it still link to it. */
void header_chain_make(struct header_chain *c, size_t n, size_t bad_at);
/* The same with another chain for each seed (0 is header_chain_make's). */
void header_chain_make_seeded(struct header_chain *c, size_t n, size_t bad_at, uint8_t seed);
/* The same with header 1 at first_time (unix s), the next ones ten
 * minutes apart: a recent tip for rules that look at the tip's age. */
void header_chain_make_timed(struct header_chain *c, size_t n, size_t bad_at, uint8_t seed,
                             uint32_t first_time);
void header_chain_free(struct header_chain *c);

/* Answer getheaders from the peer until it stops asking (a short batch was
 * sent and no request follows within quiet_ms), or timeout_ms passes.
 * Pings are answered. Returns the number of getheaders served. */
size_t header_chain_serve(struct sp *s, const struct header_chain *c, unsigned quiet_ms,
                          unsigned timeout_ms);

#endif
