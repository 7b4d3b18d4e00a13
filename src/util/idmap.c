/* Open-addressing hash map from 64-bit ids to pointers. */
#include <btcpeerd/idmap.h>

#include <stdlib.h>

/* Peer ids are sequential and nonces random: a multiplicative mix spreads
 * both over the table. */
static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

void idmap_init(struct idmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->len = 0;
}

void idmap_free(struct idmap *m)
{
    free(m->slots);
    idmap_init(m);
}

static bool grow(struct idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct idmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        size_t j = slot_of(m->slots[i].key, cap);
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

bool idmap_put(struct idmap *m, uint64_t key, void *value)
{
    if (!key) return false;
    if ((m->len + 1) * 4 > m->cap * 3 && !grow(m)) return false; /* load ≤ 3/4 */
    size_t i = slot_of(key, m->cap);
    while (m->slots[i].key && m->slots[i].key != key) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key) m->len++;
    m->slots[i].key = key;
    m->slots[i].value = value;
    return true;
}

static size_t find(const struct idmap *m, uint64_t key)
{
    if (!m->cap || !key) return SIZE_MAX;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key) return i;
        if (!m->slots[i].key) return SIZE_MAX;
    }
}

void *idmap_get(const struct idmap *m, uint64_t key)
{
    size_t i = find(m, key);
    return i == SIZE_MAX ? NULL : m->slots[i].value;
}

void *idmap_del(struct idmap *m, uint64_t key)
{
    size_t i = find(m, key);
    if (i == SIZE_MAX) return NULL;
    void *value = m->slots[i].value;
    size_t mask = m->cap - 1;
    /* Backward shift: pull later entries of the probe run into the hole if
     * their home slot does not lie strictly between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = slot_of(m->slots[j].key, m->cap);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between) continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i].key = 0;
    m->slots[i].value = NULL;
    m->len--;
    return value;
}

bool idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **value)
{
    for (; *pos < m->cap; (*pos)++) {
        if (!m->slots[*pos].key) continue;
        if (key) *key = m->slots[*pos].key;
        if (value) *value = m->slots[*pos].value;
        (*pos)++;
        return true;
    }
    return false;
}
