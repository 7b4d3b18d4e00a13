/* Discouragement, as Bitcoin Core v28+ has it: a peer that breaks a
 * protocol rule is disconnected and its address (the exact IP, no port, no
 * subnet) remembered in memory for a while, in a rolling Bloom filter of
 * 50,000 entries at a false-positive rate of one in a million (539 KB,
 * fixed). A discouraged address is not a ban: it is never written to
 * banlist.dat nor shown by listbanned, and a restart forgets it. It is
 * never dialled, and an inbound connection from it is taken only while at
 * least two inbound slots are free, and is the first evicted among the
 * peers not protected. Local addresses (127.0.0.0/8, 0.0.0.0/8, ::1: the
 * operator's own tools, and inbound Tor, which arrives from the local
 * proxy) are disconnected but never discouraged.
 *
 * The filter and the pure rules; node/misbehave.c applies them. */
#ifndef BTCPEERD_DISCOURAGE_H
#define BTCPEERD_DISCOURAGE_H

#include <btcpeerd/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bitcoin Core's BanMan::m_discouraged. */
#define DISCOURAGE_ENTRIES 50000u
#define DISCOURAGE_FP_RATE 0.000001

struct discourage;

/* key: 32 bytes for tests, NULL for a random one. */
struct discourage *discourage_new(const uint8_t *key);
void discourage_free(struct discourage *d);
/* Remember the address; false if it could not be hashed (then it is not
 * remembered). */
bool discourage_add(struct discourage *d, const struct wire_netaddr *a);
bool discourage_has(const struct discourage *d, const struct wire_netaddr *a);
size_t discourage_memory(const struct discourage *d);

/* Core's IsLocal: 127.0.0.0/8, 0.0.0.0/8, ::1 (IPv4-mapped forms arrive as
 * IPv4). Disconnected for misbehaviour, never discouraged. */
bool discourage_is_local(const struct wire_netaddr *a);

/* May an inbound peer from a discouraged address take a slot, with
 * `inbound` inbound peers already and `max_inbound` slots? Only while two
 * are free (Core: refused when inbound + 1 >= max). */
bool discourage_inbound_admit(size_t inbound, size_t max_inbound);

#endif
