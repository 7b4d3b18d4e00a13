/* peers.dat: the address manager's table on disk (format in addrman.h and
 * docs/WIRE.md). The file carries no bucket numbers: loading places every
 * entry again from the table's key, so the placement always follows the
 * current rules. */
#include "addrman_internal.h"

#include "store.h"

#include <btcpeerd/netaddr.h>
#include <btcpeerd/satmath.h>

#include <string.h>

/* ---- persistence ---- */
static void write_netaddr(struct buf_writer *w, const struct wire_netaddr *a, bool full)
{
    buf_write_u8(w, a->net);
    buf_write_bytes(w, a->addr, wire_net_addr_len(a->net));
    if (!full) return;
    buf_write_u16be(w, a->port);
    buf_write_u32le(w, a->time);
    buf_write_u64le(w, a->services);
}

static bool read_netaddr(struct buf_reader *r, struct wire_netaddr *a, bool full)
{
    memset(a, 0, sizeof *a);
    if (!buf_read_u8(r, &a->net)) return false;
    size_t n = wire_net_addr_len(a->net);
    if (!n) return false;
    if (!buf_read_bytes(r, a->addr, n)) return false;
    if (!full) return true;
    return buf_read_u16be(r, &a->port) && buf_read_u32le(r, &a->time) && buf_read_u64le(r, &a->services);
}

void addrman_save_begin(const struct addrman *am, struct buf_writer *out, struct addrman_save *s)
{
    *s = (struct addrman_save){.start = out->len};
    store_envelope_begin(out, FILE_MAGIC, FILE_VERSION);
    buf_write_bytes(out, am->key, 32);
    uint8_t sum[32];
    addrman_asmap_checksum(am, sum);
    buf_write_bytes(out, sum, 32);
    s->count_at = out->len;
    buf_write_u32le(out, 0);
}

bool addrman_save_step(const struct addrman *am, struct buf_writer *out, struct addrman_save *s,
                       size_t max_slots)
{
    /* In slot order, not random[]'s: memory read front to back. */
    size_t end = s->next < am->n_info && am->n_info - s->next > max_slots ? s->next + max_slots
                                                                          : am->n_info;
    for (; s->next < end; s->next++) {
        const struct addr_info *info = &am->info[s->next];
        if (!info->used) continue;
        write_netaddr(out, &info->addr, true);
        write_netaddr(out, &info->source, false);
        buf_write_i64le(out, info->last_success);
        buf_write_i64le(out, info->last_try);
        buf_write_i32le(out, info->attempts);
        buf_write_u8(out, info->in_tried ? 1 : 0);
        s->count++;
    }
    if (s->next < am->n_info && buf_writer_ok(out)) return false;
    if (buf_writer_ok(out)) le32_write(out->data + s->count_at, s->count);
    return true;
}

enum addrman_err addrman_serialize(const struct addrman *am, struct buf_writer *out)
{
    struct addrman_save s;
    addrman_save_begin(am, out, &s);
    addrman_save_step(am, out, &s, SIZE_MAX);
    return store_envelope_seal(out, s.start) ? ADDRMAN_OK : ADDRMAN_ERR_NOMEM;
}

static void clear(struct addrman *am)
{
    am->n_info = am->n_random = am->n_free = am->n_new = am->n_tried = am->n_collisions = 0;
    idmap_free(&am->by_hash);
    idmap_init(&am->by_hash);
    memset(am->new_table, 0xff, sizeof am->new_table);
    memset(am->tried_table, 0xff, sizeof am->tried_table);
    memset(am->file_asmap, 0, sizeof am->file_asmap);
    am->rebucketed = false;
}

enum addrman_err addrman_deserialize(struct addrman *am, const uint8_t *data, size_t len)
{
    clear(am);
    const uint8_t *body;
    size_t body_len;
    /* A version 1 file was written before asmap support: bucketed by /16. */
    uint8_t version = len > 4 && data[4] == FILE_VERSION_NO_ASMAP ? FILE_VERSION_NO_ASMAP : FILE_VERSION;
    switch (store_envelope_open(data, len, FILE_MAGIC, version, &body, &body_len)) {
    case STORE_ENVELOPE_OK: break;
    case STORE_ENVELOPE_TRUNCATED: return ADDRMAN_ERR_TRUNCATED;
    case STORE_ENVELOPE_FORMAT: return ADDRMAN_ERR_FORMAT;
    case STORE_ENVELOPE_CHECKSUM: return ADDRMAN_ERR_CHECKSUM;
    }
    struct buf_reader r;
    buf_reader_init(&r, body, body_len);
    buf_read_bytes(&r, am->key, 32);
    uint8_t ours[32];
    memset(am->file_asmap, 0, 32);
    if (version != FILE_VERSION_NO_ASMAP) buf_read_bytes(&r, am->file_asmap, 32);
    addrman_asmap_checksum(am, ours);
    am->rebucketed = memcmp(ours, am->file_asmap, 32) != 0;
    uint32_t n = 0;
    buf_read_u32le(&r, &n);
    /* The placement is recomputed from the key: the file carries no bucket
     * numbers, so a table of another size would load too. */
    for (uint32_t i = 0; i < n && buf_ok(&r); i++) {
        struct wire_netaddr addr, source;
        int64_t last_success = 0, last_try = 0;
        int32_t attempts = 0;
        uint8_t tried = 0;
        if (!read_netaddr(&r, &addr, true) || !read_netaddr(&r, &source, false)) break;
        buf_read_i64le(&r, &last_success);
        buf_read_i64le(&r, &last_try);
        buf_read_i32le(&r, &attempts);
        if (!buf_read_u8(&r, &tried)) break;
        if (addrman_find(am, &addr) >= 0) continue;
        int32_t id = addrman_create(am, &addr, &source);
        if (id < 0) continue;
        am->n_new++;
        struct addr_info *info = &am->info[id];
        info->last_success = time_bounded(last_success); /* from the file: now - t stays defined */
        info->last_try = last_try = time_bounded(last_try);
        info->attempts = (int32_t)clamp_i64(attempts, 0, 1000); /* ++ stays defined; > 10 weigh alike */
        uint32_t b = addrman_tried_bucket(am, &addr);
        uint32_t p = addrman_bucket_position(am, false, b, &addr);
        if (tried && am->tried_table[b][p] < 0) {
            am->tried_table[b][p] = id;
            info->in_tried = true;
            am->n_new--;
            am->n_tried++;
        } else if (!addrman_place_new(am, id, &source, last_try)) {
            addrman_delete_entry(am, id);
        }
    }
    if (!buf_ok(&r) || buf_remaining(&r)) {
        clear(am);
        return ADDRMAN_ERR_TRUNCATED;
    }
    return ADDRMAN_OK;
}

void addrman_file_asmap(const struct addrman *am, uint8_t out[32])
{
    memcpy(out, am->file_asmap, 32);
}

bool addrman_rebucketed(const struct addrman *am) { return am->rebucketed; }
