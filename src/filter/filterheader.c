/* BIP157 filter hashes and headers: the chain of commitments a light
 * client syncs behind the block headers and checks filters against. */
#include <btcpeerd/blockfilter.h>
#include <btcpeerd/sha256.h>

#include <string.h>

void blockfilter_hash(const uint8_t *filter, size_t len, uint8_t out[32])
{
    sha256d(filter, len, out);
}

void blockfilter_header(const uint8_t filter_hash[32], const uint8_t prev_header[32],
                        uint8_t out[32])
{
    uint8_t pair[64];
    memcpy(pair, filter_hash, 32);
    memcpy(pair + 32, prev_header, 32);
    sha256d(pair, sizeof pair, out);
}

void blockfilter_header_chain(const uint8_t prev_header[32], const uint8_t (*filter_hashes)[32],
                              size_t n, uint8_t (*headers)[32])
{
    const uint8_t *prev = prev_header;
    for (size_t i = 0; i < n; i++) {
        blockfilter_header(filter_hashes[i], prev, headers[i]);
        prev = headers[i];
    }
}
