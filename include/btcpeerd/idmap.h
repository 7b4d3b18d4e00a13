/* A hash map from non-zero 64-bit ids to pointers (open addressing, linear
 * probing, backward-shift deletion so no tombstones pile up). The peer
 * table looks peers up by id with it on every node request. */
#ifndef BTCPEERD_IDMAP_H
#define BTCPEERD_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
    uint64_t key; /* 0 = empty */
    void *value;
};

struct idmap {
    struct idmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

void idmap_init(struct idmap *m);
void idmap_free(struct idmap *m);
/* Insert or replace; false only when memory runs out. key must be non-zero. */
bool idmap_put(struct idmap *m, uint64_t key, void *value);
void *idmap_get(const struct idmap *m, uint64_t key);
/* Remove and return the value (NULL if absent). */
void *idmap_del(struct idmap *m, uint64_t key);
static inline size_t idmap_len(const struct idmap *m) { return m->len; }

/* Iterate: for (size_t i = 0; idmap_next(m, &i, &key, &value);) ...
 * Do not insert or delete while iterating. */
bool idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **value);

#endif
