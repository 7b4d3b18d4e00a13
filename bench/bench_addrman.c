/* What grouping by ASMap costs the address manager: netaddr_group, the
 * tried-bucket hash and addrman_add per address (each address from its own
 * source, or 1,000 from one peer as in an addr message), with no map (/16, the
 * code path of before --asmap), with Bitcoin Core's 59-byte test map, and
 * with a synthetic map of 50,000 random IPv4 /24s (a trie as deep as a
 * real map's, built by the test encoder tests/unit/asmap_build.c). CPU
 * time of this thread, so other processes on a shared machine do not enter
 * the figures.
 *
 *   bench_addrman [--quick]     (run from the build directory) */
#include "asmap_build.h"
#include "benchutil.h"

#include "node/addrman.h"

#include <btcpeerd/asmap.h>
#include <btcpeerd/netaddr.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ADDRS 4096u
#define N_PREFIXES 50000u

struct ctx {
    const struct asmap *map;
    struct wire_netaddr addrs[N_ADDRS];
    struct addrman *am;
};

static volatile uint64_t sink;

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void run_group(void *arg)
{
    struct ctx *c = arg;
    uint8_t g[NETADDR_GROUP_MAX];
    for (size_t i = 0; i < N_ADDRS; i++) sink += netaddr_group(&c->addrs[i], false, c->map, g) + g[1];
}

static void run_tried_bucket(void *arg)
{
    struct ctx *c = arg;
    for (size_t i = 0; i < N_ADDRS; i++) sink += addrman_tried_bucket(c->am, &c->addrs[i]);
}

/* Each address from its own source (DNS seeds, a self-announcement) or,
 * as from an addr message, 1,000 from one peer. */
static void add_all(struct ctx *c, bool per_message)
{
    static const uint8_t key[32] = {7};
    struct addrman *am = addrman_new(key, false);
    addrman_set_asmap(am, c->map);
    for (size_t i = 0; i < N_ADDRS; i++) {
        size_t src = per_message ? (i / 1000) * 1000 + 1 : (i * 7) % N_ADDRS;
        addrman_add(am, &c->addrs[i], &c->addrs[src], 0, 1760000000);
    }
    sink += addrman_size(am);
    addrman_free(am);
}

static void run_add(void *arg) { add_all(arg, false); }
static void run_add_message(void *arg) { add_all(arg, true); }

static struct asmap *synthetic_map(size_t *bytes)
{
    struct asmap_entry *e = calloc(N_PREFIXES, sizeof *e);
    uint8_t *seen = calloc(1u << 24, 1);
    uint64_t s = 42;
    size_t n = 0;
    while (e && seen && n < N_PREFIXES) {
        uint32_t p = (uint32_t)(xorshift(&s) & 0xffffff);
        if (seen[p] || (p >> 16) == 0 || (p >> 16) >= 224) continue;
        seen[p] = 1;
        e[n++] = asmap_entry_v4((uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p, 0, 24,
                                1 + (uint32_t)(xorshift(&s) % 400000));
    }
    size_t len = 0;
    uint8_t *b = e && seen ? asmap_build(e, n, &len) : NULL;
    struct asmap *m = NULL;
    if (!b || asmap_new(b, len, &m) != ASMAP_OK) m = NULL;
    *bytes = len;
    free(b);
    free(e);
    free(seen);
    return m;
}

int main(int argc, char **argv)
{
    unsigned ms = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 200 : 2000;
    static struct ctx c;
    uint64_t s = 7;
    /* routable IPv4 addresses, half of them in the synthetic map's /24s would
     * be luck: most fall outside any prefix and stop early, as unmapped
     * addresses do in a real map's sparse regions */
    for (size_t i = 0; i < N_ADDRS; i++) {
        struct wire_netaddr *a = &c.addrs[i];
        a->net = WIRE_NET_IPV4;
        a->port = 8333;
        a->time = 1760000000 - 3600;
        uint32_t v = (uint32_t)xorshift(&s);
        a->addr[0] = (uint8_t)(1 + v % 222);
        a->addr[1] = (uint8_t)(v >> 8);
        a->addr[2] = (uint8_t)(v >> 16);
        a->addr[3] = (uint8_t)(v >> 24);
    }
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    FILE *f = fopen(BTCPEERD_VECTORS_DIR "/asmap/asmap.raw", "rb");
    if (f) {
        raw = malloc(64);
        raw_len = raw ? fread(raw, 1, 64, f) : 0;
        fclose(f);
    }
    struct asmap *core = NULL;
    if (!raw || asmap_new(raw, raw_len, &core) != ASMAP_OK) {
        fprintf(stderr, "cannot read the vectors' asmap.raw\n");
        return 1;
    }
    free(raw);
    size_t big_len;
    struct asmap *big = synthetic_map(&big_len);
    if (!big) {
        fprintf(stderr, "cannot build the synthetic map\n");
        return 1;
    }
    static const uint8_t key[32] = {1};
    c.am = addrman_new(key, false);
    const struct {
        const char *name;
        const struct asmap *map;
    } maps[] = {{"no map (/16)", NULL}, {"Core test map (59 B)", core}, {"50k /24s", big}};
    printf("synthetic map: %zu prefixes, %zu bytes\n", (size_t)N_PREFIXES, big_len);
    printf("%-22s %14s %16s %16s %18s\n", "grouping", "group ns/addr", "tried bucket ns",
           "add ns (own src)", "add ns (1 src/1k)");
    for (size_t k = 0; k < 3; k++) {
        c.map = maps[k].map;
        addrman_set_asmap(c.am, c.map);
        double g = bench_run_cpu(run_group, &c, ms) / N_ADDRS * 1e9;
        double t = bench_run_cpu(run_tried_bucket, &c, ms) / N_ADDRS * 1e9;
        double a = bench_run_cpu(run_add, &c, ms) / N_ADDRS * 1e9;
        double am = bench_run_cpu(run_add_message, &c, ms) / N_ADDRS * 1e9;
        printf("%-22s %14.0f %16.0f %16.0f %18.0f\n", maps[k].name, g, t, a, am);
    }
    addrman_free(c.am);
    asmap_free(core);
    asmap_free(big);
    return 0;
}
