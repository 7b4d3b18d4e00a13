/* The address manager's insides, shared by its three files: the table
 * (addrman.c), the placement hashes (addrman_bucket.c) and peers.dat
 * (addrman_file.c). Nothing outside src/node/addrman*.c includes this. */
#ifndef BTCPEERD_ADDRMAN_INTERNAL_H
#define BTCPEERD_ADDRMAN_INTERNAL_H

#include "addrman.h"

#include <btcpeerd/asmap.h>
#include <btcpeerd/idmap.h>
#include <btcpeerd/netaddr.h>

#define NEW_BUCKETS_PER_SOURCE_GROUP 64u
#define TRIED_BUCKETS_PER_GROUP 8u
#define NEW_BUCKETS_PER_ADDRESS 8
#define HORIZON_DAYS 30
#define RETRIES 3
#define MAX_FAILURES 10
#define MIN_FAIL_DAYS 7
#define REPLACEMENT_SECONDS (4 * 60 * 60)
#define TEST_WINDOW_SECONDS (40 * 60)
#define MAX_COLLISIONS 10
#define FILE_MAGIC "BTPA"
#define FILE_VERSION 2        /* 2: the asmap checksum after the key */
#define FILE_VERSION_NO_ASMAP 1

struct addr_info {
    struct wire_netaddr addr;   /* time and services included */
    struct wire_netaddr source; /* who told us (net + addr only) */
    int64_t last_success, last_try, last_count_attempt;
    int32_t attempts;
    int32_t ref_count;          /* new buckets holding it; 0 when tried */
    bool in_tried;
    bool used;
    size_t random_pos;          /* index in random[] */
};

struct addrman {
    uint8_t key[32];
    bool allow_unroutable;
    const struct asmap *asmap;  /* borrowed from the node; NULL = /16 groups */
    uint8_t file_asmap[32];     /* the checksum peers.dat was bucketed with */
    bool rebucketed;            /* ... and it was not ours */
    /* The group of the last source addrman_add saw: one addr message's
     * 1,000 addresses share their source, and with an ASMap a group costs
     * a run of the map (bench_addrman). Keyed by net and address bytes. */
    struct wire_netaddr source_cached;
    uint8_t source_group[NETADDR_GROUP_MAX];
    size_t source_group_len;    /* 0: nothing cached */
    struct addr_info *info;
    size_t n_info, cap_info;
    int32_t *free_ids;          /* recycled slots of info[] */
    size_t n_free;
    struct idmap by_hash;       /* hash of address key → id + 1 */
    int32_t *random;            /* ids, for uniform picks */
    size_t n_random;
    int32_t new_table[ADDRMAN_NEW_BUCKETS][ADDRMAN_BUCKET_SIZE];
    int32_t tried_table[ADDRMAN_TRIED_BUCKETS][ADDRMAN_BUCKET_SIZE];
    size_t n_new, n_tried;
    int64_t last_good;
    int32_t collisions[MAX_COLLISIONS];
    size_t n_collisions;
    addrman_rand_fn rand;
    void *rand_arg;
};

/* addrman_bucket.c: remember source's group for the next addrman_add
 * calls (dropped by addrman_set_asmap). */
void addrman_cache_source_group(struct addrman *am, const struct wire_netaddr *source);
/* addrman_bucket.c: the slot of an address in a bucket. */
uint32_t addrman_bucket_position(const struct addrman *am, bool is_new, uint32_t bucket,
                                 const struct wire_netaddr *addr);

/* addrman.c: entries, for the loader. */
int32_t addrman_find(const struct addrman *am, const struct wire_netaddr *a);
/* A new entry (counted in neither table yet); -1 if it cannot be made. */
int32_t addrman_create(struct addrman *am, const struct wire_netaddr *addr,
                       const struct wire_netaddr *source);
void addrman_delete_entry(struct addrman *am, int32_t id);
/* Place id in the new bucket chosen by source; true if it is there now. */
bool addrman_place_new(struct addrman *am, int32_t id, const struct wire_netaddr *source, int64_t now);

#endif
