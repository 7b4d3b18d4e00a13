/* Bans: subnets (a single address is a full-length subnet) refused until an
 * absolute expiry time, so a restart neither lifts nor extends them.
 * Persisted as banlist.dat ("BTPB", version, entries, SHA-256d). Pure: the
 * caller passes `now`. */
#ifndef BTCPEERD_BANMAN_H
#define BTCPEERD_BANMAN_H

#include <btcpeerd/buf.h>
#include <btcpeerd/netaddr.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BANMAN_MAX 100000u

struct ban_entry {
    struct netaddr_subnet subnet;
    int64_t created, until; /* unix seconds */
};

enum banman_err { BANMAN_OK = 0, BANMAN_ERR_FORMAT, BANMAN_ERR_CHECKSUM, BANMAN_ERR_TRUNCATED, BANMAN_ERR_NOMEM, BANMAN_ERR_FULL };
const char *banman_err_str(enum banman_err err);

struct banman;

struct banman *banman_new(void);
void banman_free(struct banman *bm);
/* Ban (or extend a ban) until the given time. */
enum banman_err banman_ban(struct banman *bm, const struct netaddr_subnet *sn, int64_t until,
                           int64_t now);
bool banman_unban(struct banman *bm, const struct netaddr_subnet *sn);
void banman_clear(struct banman *bm);
bool banman_is_banned(const struct banman *bm, const struct wire_netaddr *a, int64_t now);
/* The entry for exactly this subnet (expired or not), or NULL. */
const struct ban_entry *banman_find(const struct banman *bm, const struct netaddr_subnet *sn);
/* Drop expired bans; how many went. */
size_t banman_sweep(struct banman *bm, int64_t now);
size_t banman_count(const struct banman *bm);
const struct ban_entry *banman_get(const struct banman *bm, size_t i);

enum banman_err banman_serialize(const struct banman *bm, struct buf_writer *out);
/* Expired entries are dropped while loading. */
enum banman_err banman_deserialize(struct banman *bm, const uint8_t *data, size_t len, int64_t now);

#endif
