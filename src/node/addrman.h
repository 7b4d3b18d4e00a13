/* The address manager: Bitcoin Core's design, reimplemented. Addresses we
 * have only heard of live in a "new" table of 1,024 buckets, addresses we
 * have connected to in a "tried" table of 256 buckets, 64 slots each. Where
 * an address may go is fixed by a keyed hash of its network group and (for
 * "new") the group of the peer that told us, so one source can reach only a
 * few buckets and cannot fill the table (eclipse resistance). The key is
 * random and saved with the table.
 *
 * Pure: no sockets, no clock (callers pass `now`, unix seconds), randomness
 * from random.h (tests may install a deterministic source). */
#ifndef BTCPEERD_ADDRMAN_H
#define BTCPEERD_ADDRMAN_H

#include <btcpeerd/asmap.h>
#include <btcpeerd/buf.h>
#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDRMAN_NEW_BUCKETS 1024u
#define ADDRMAN_TRIED_BUCKETS 256u
#define ADDRMAN_BUCKET_SIZE 64u
#define ADDRMAN_GETADDR_MAX 1000u
#define ADDRMAN_GETADDR_PCT 23u

enum addrman_err {
    ADDRMAN_OK = 0,
    ADDRMAN_ERR_FORMAT,   /* not a peers.dat, or a version we do not read */
    ADDRMAN_ERR_CHECKSUM, /* corrupt */
    ADDRMAN_ERR_TRUNCATED,
    ADDRMAN_ERR_NOMEM,
};
const char *addrman_err_str(enum addrman_err err);

struct addrman;

/* A source of random numbers in [0, n): random_range by default; tests
 * install a seeded one so bucket placement and selection are repeatable. */
typedef uint64_t (*addrman_rand_fn)(uint64_t n, void *arg);

/* key: 32 bytes, or NULL for a random one. allow_unroutable: keep private
 * and loopback addresses (regtest and tests). */
struct addrman *addrman_new(const uint8_t key[32], bool allow_unroutable);
void addrman_free(struct addrman *am);
void addrman_set_rand(struct addrman *am, addrman_rand_fn fn, void *arg);
/* Group addresses by this map (borrowed: it must outlive the table, or be
 * replaced first) instead of by /16; NULL for none. Set it before adding or
 * loading: entries already placed stay where the old grouping put them. */
void addrman_set_asmap(struct addrman *am, const struct asmap *map);
/* The checksum of our map (asmap_checksum), all zeros without one. */
void addrman_asmap_checksum(const struct addrman *am, uint8_t out[32]);

/* Learned from `source` (a peer's address, or the address itself for DNS
 * seeds and fixed seeds). time_penalty (seconds) ages addresses relayed by
 * others. True if the address was new to the table. */
bool addrman_add(struct addrman *am, const struct wire_netaddr *addr,
                 const struct wire_netaddr *source, int64_t time_penalty, int64_t now);
/* An outbound handshake with it completed: move it to "tried". If its tried
 * slot is taken, the move waits until the occupant has been tested
 * (addrman_tried_collision / addrman_resolve_collisions). */
void addrman_good(struct addrman *am, const struct wire_netaddr *addr, int64_t now);
/* We tried to connect. count_failure: the attempt failed and counts. */
void addrman_attempt(struct addrman *am, const struct wire_netaddr *addr, bool count_failure,
                     int64_t now);
/* Still connected: refresh its timestamp (at most every 20 minutes). */
void addrman_connected(struct addrman *am, const struct wire_netaddr *addr, int64_t now);

/* An address to dial: 50/50 from new and tried (only new if new_only),
 * biased away from recently tried and often failed ones. False if empty. */
bool addrman_select(struct addrman *am, bool new_only, int64_t now, struct wire_netaddr *out);
/* Up to max_count (and at most max_pct % of the table) random addresses,
 * none terrible, for a `getaddr` answer. Returns how many were written. */
size_t addrman_get_addr(struct addrman *am, size_t max_count, unsigned max_pct, int64_t now,
                        struct wire_netaddr *out);

/* A tried-table occupant that a newly good address wants to replace, for a
 * feeler to test; false if none. */
bool addrman_tried_collision(struct addrman *am, struct wire_netaddr *old_out);
/* Settle waiting collisions: keep an occupant that answered within 4 hours,
 * replace one that failed its test, or that was not tested in 40 minutes. */
void addrman_resolve_collisions(struct addrman *am, int64_t now);

size_t addrman_size(const struct addrman *am);
size_t addrman_size_new(const struct addrman *am);
size_t addrman_size_tried(const struct addrman *am);
/* Addresses of one network (enum wire_net) in each table. */
void addrman_count_net(const struct addrman *am, uint8_t net, size_t *n_new, size_t *n_tried);
/* Up to max addresses of one network, none terrible, copied to out in no
 * particular order: one pass, no random draws. Returns how many. */
size_t addrman_net_entries(const struct addrman *am, uint8_t net, int64_t now, struct wire_netaddr *out,
                           size_t max);
bool addrman_contains(const struct addrman *am, const struct wire_netaddr *addr, bool *in_tried);

/* Bitcoin Core's "terrible": not worth keeping or relaying. */
bool addrman_is_terrible(const struct addrman *am, const struct wire_netaddr *addr, int64_t now);

/* peers.dat: "BTPA", version 2, key, the asmap checksum the table was
 * bucketed with (zeros: /16 groups), entries, SHA-256d checksum. Version 1
 * (no asmap checksum) still loads, as bucketed without a map. */
enum addrman_err addrman_serialize(const struct addrman *am, struct buf_writer *out);
/* The same bytes a slice at a time, for the daemon: a full table (80,000
 * addresses, 5 MB) takes milliseconds to encode, too long to hold the
 * event loop. begin writes the head; each step encodes the entries of the
 * next max_slots slots of the table (used or not, so a step's work is
 * bounded) and returns true once all are written; then the caller seals
 * the envelope (store_envelope_seal from s->start), on any thread. Between
 * steps the table may change: the file holds each address as it was when
 * its slice was encoded; one added after its slot was passed is left out,
 * one removed after is kept, and one removed and added back may be there
 * twice (loading keeps one). A table of at most max_slots slots is encoded
 * in one step: an exact snapshot. */
/* The most one entry of the file takes (both addresses Tor v3 or I2P). */
#define ADDRMAN_FILE_ENTRY_MAX (1u + 32 + 2 + 4 + 8 + 1 + 32 + 8 + 8 + 4 + 1)
struct addrman_save {
    size_t start;    /* where the envelope begins in out */
    size_t count_at; /* the entry count, written by the last step */
    size_t next;     /* the next slot */
    uint32_t count;
};
void addrman_save_begin(const struct addrman *am, struct buf_writer *out, struct addrman_save *s);
bool addrman_save_step(const struct addrman *am, struct buf_writer *out, struct addrman_save *s,
                       size_t max_slots);
/* Replace the contents with the file's; on error the table is left empty.
 * Every entry is placed again from the key and the current grouping (the
 * file holds no bucket numbers): new ones by their source, tried ones by
 * their own group; a tried entry whose slot is taken goes back to "new", a
 * new one whose slot is taken by a better one is dropped. */
enum addrman_err addrman_deserialize(struct addrman *am, const uint8_t *data, size_t len);
/* After a load: the asmap checksum the file was bucketed with (zeros for
 * none), and whether it differs from ours, so that the placement changed
 * (Core's "bucketing method was updated"). */
void addrman_file_asmap(const struct addrman *am, uint8_t out[32]);
bool addrman_rebucketed(const struct addrman *am);
/* A keyed hash of a network group: an order among groups that a remote
 * peer cannot predict (for eviction). */
uint64_t addrman_group_key(const struct addrman *am, const uint8_t *group, size_t len);
/* Which new/tried bucket an address falls in (for tests of the placement). */
uint32_t addrman_new_bucket(const struct addrman *am, const struct wire_netaddr *addr,
                            const struct wire_netaddr *source);
uint32_t addrman_tried_bucket(const struct addrman *am, const struct wire_netaddr *addr);
/* The address sits where the current grouping puts it: its tried slot, or
 * (new) the slot its source picks. False if absent or elsewhere (tests of
 * re-bucketing). */
bool addrman_at_home(const struct addrman *am, const struct wire_netaddr *addr);

#endif
