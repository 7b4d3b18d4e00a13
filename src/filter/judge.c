/* Settling a disagreement between two peers' filters for one block, the
 * pure part (the node's cfjudge.c fetches what it needs): where their
 * filter hashes part, and whether a peer's filter is its own (hashes to
 * what its cfheaders committed to) and consistent with the block. */
#include <btcpeerd/blockfilter.h>

#include <string.h>

size_t blockfilter_first_difference(const uint8_t (*a)[32], const uint8_t (*b)[32], size_t n)
{
    size_t i = 0;
    while (i < n && memcmp(a[i], b[i], 32) == 0) i++;
    return i;
}

const char *blockfilter_verdict_str(enum blockfilter_verdict v)
{
    switch (v) {
    case BLOCKFILTER_VERDICT_PASSES: return "passes";
    case BLOCKFILTER_VERDICT_NOT_ITS_HASH: return "cfilter-does-not-hash-to-its-cfheaders";
    case BLOCKFILTER_VERDICT_PROVEN_WRONG: return "filter-proven-wrong-by-block";
    case BLOCKFILTER_VERDICT_CANNOT_TELL: return "cannot-tell";
    }
    return "unknown";
}

enum blockfilter_verdict blockfilter_judge(const struct wire_block *b, const uint8_t *filter,
                                           size_t len, const uint8_t claimed_hash[32],
                                           enum blockfilter_err *why,
                                           struct blockfilter_detail *detail)
{
    enum blockfilter_err err = BLOCKFILTER_OK;
    uint8_t hash[32];
    blockfilter_hash(filter, len, hash);
    enum blockfilter_verdict v = BLOCKFILTER_VERDICT_NOT_ITS_HASH;
    if (memcmp(hash, claimed_hash, 32) == 0) {
        err = blockfilter_check(b, filter, len, detail);
        v = err == BLOCKFILTER_OK                   ? BLOCKFILTER_VERDICT_PASSES
            : blockfilter_err_proves_wrong(err)     ? BLOCKFILTER_VERDICT_PROVEN_WRONG
                                                    : BLOCKFILTER_VERDICT_CANNOT_TELL;
    }
    if (why) *why = err;
    return v;
}
