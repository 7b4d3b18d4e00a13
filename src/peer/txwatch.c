/* The transactions the node watches for (its own broadcasts), so an
 * ordinary peer's inv can be filtered where it is read: a lookup per
 * entry, no allocation. Keyed by the hash's first 8 bytes (our own
 * transactions, not a peer's choice: a collision between two of them
 * replaces one, and it is then confirmed by getdata or not at all). */
#include "peer_internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t key_of(const uint8_t hash[32])
{
    uint64_t k;
    memcpy(&k, hash, 8);
    return k ? k : 1;
}

bool peer_table_watch_tx(struct peer_table *t, const uint8_t hash[32])
{
    uint64_t k = key_of(hash);
    uint8_t *copy = idmap_get(&t->watched_tx, k);
    if (copy) {
        memcpy(copy, hash, 32);
        return true;
    }
    copy = malloc(32);
    if (!copy) return false;
    memcpy(copy, hash, 32);
    if (!idmap_put(&t->watched_tx, k, copy)) {
        free(copy);
        return false;
    }
    return true;
}

void peer_table_unwatch_tx(struct peer_table *t, const uint8_t hash[32])
{
    uint64_t k = key_of(hash);
    const uint8_t *copy = idmap_get(&t->watched_tx, k);
    if (copy && memcmp(copy, hash, 32) == 0) free(idmap_del(&t->watched_tx, k));
}

bool peer_tx_watched(const struct peer_table *t, const uint8_t hash[32])
{
    const uint8_t *copy = idmap_get(&t->watched_tx, key_of(hash));
    return copy && memcmp(copy, hash, 32) == 0;
}

void peer_txwatch_free(struct peer_table *t)
{
    size_t pos = 0;
    void *value;
    while (idmap_next(&t->watched_tx, &pos, NULL, &value)) free(value);
    idmap_free(&t->watched_tx);
}
