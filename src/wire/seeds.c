/* Fixed seed addresses: a few dozen reachable nodes per network, taken
 * from Bitcoin Core v29.0rc3's contrib/seeds lists (IPv4 and IPv6 only).
 * Used when DNS seeds give nothing for a minute. Data: refresh it from a
 * newer Core release when it goes stale. The DNS seed names are Core's. */
#include <btcpeerd/seeds.h>

#include <stddef.h>

static const struct fixed_seed seeds_main[] = {
    {WIRE_NET_IPV4, {1, 1, 189, 28}, 8333},
    {WIRE_NET_IPV4, {1, 34, 178, 212}, 8333},
    {WIRE_NET_IPV4, {2, 13, 146, 228}, 8333},
    {WIRE_NET_IPV4, {2, 56, 245, 204}, 8333},
    {WIRE_NET_IPV4, {2, 86, 50, 136}, 8333},
    {WIRE_NET_IPV4, {3, 123, 190, 28}, 8333},
    {WIRE_NET_IPV4, {5, 35, 15, 93}, 8333},
    {WIRE_NET_IPV4, {5, 78, 108, 233}, 8333},
    {WIRE_NET_IPV4, {5, 79, 71, 147}, 8333},
    {WIRE_NET_IPV4, {5, 149, 248, 152}, 8333},
    {WIRE_NET_IPV4, {5, 186, 60, 13}, 8333},
    {WIRE_NET_IPV4, {8, 209, 97, 98}, 8333},
    {WIRE_NET_IPV4, {12, 221, 144, 189}, 8333},
    {WIRE_NET_IPV4, {14, 203, 57, 50}, 8333},
    {WIRE_NET_IPV4, {18, 169, 180, 38}, 8333},
    {WIRE_NET_IPV4, {20, 74, 80, 10}, 8333},
    {WIRE_NET_IPV4, {23, 111, 172, 18}, 8333},
    {WIRE_NET_IPV4, {23, 142, 145, 238}, 8333},
    {WIRE_NET_IPV4, {23, 175, 0, 202}, 8333},
    {WIRE_NET_IPV4, {23, 242, 4, 83}, 8333},
    {WIRE_NET_IPV4, {24, 0, 172, 162}, 8333},
    {WIRE_NET_IPV4, {24, 49, 240, 218}, 8333},
    {WIRE_NET_IPV4, {24, 90, 140, 41}, 8333},
    {WIRE_NET_IPV4, {24, 118, 34, 69}, 8333},
    {WIRE_NET_IPV4, {24, 125, 96, 34}, 8333},
    {WIRE_NET_IPV4, {24, 146, 33, 13}, 8333},
    {WIRE_NET_IPV4, {24, 152, 147, 11}, 8333},
    {WIRE_NET_IPV4, {24, 164, 176, 84}, 8333},
    {WIRE_NET_IPV4, {24, 210, 23, 136}, 8333},
    {WIRE_NET_IPV4, {24, 220, 72, 43}, 8333},
    {WIRE_NET_IPV4, {31, 18, 200, 28}, 8333},
    {WIRE_NET_IPV4, {31, 47, 202, 112}, 8333},
    {WIRE_NET_IPV4, {31, 164, 229, 252}, 8333},
    {WIRE_NET_IPV4, {31, 189, 53, 251}, 8333},
    {WIRE_NET_IPV4, {31, 207, 53, 11}, 8333},
    {WIRE_NET_IPV4, {32, 220, 61, 208}, 8333},
    {WIRE_NET_IPV4, {34, 40, 131, 0}, 8333},
    {WIRE_NET_IPV4, {35, 204, 253, 254}, 8333},
    {WIRE_NET_IPV4, {35, 214, 111, 72}, 8333},
    {WIRE_NET_IPV4, {35, 217, 18, 242}, 8333},
    {WIRE_NET_IPV6, {32, 1, 19, 216, 28, 1, 0, 33, 2, 21, 23, 255, 254, 99, 42, 126}, 8333},
    {WIRE_NET_IPV6, {32, 1, 22, 32, 84, 44, 2, 16, 0, 0, 0, 0, 0, 0, 1, 0}, 8333},
    {WIRE_NET_IPV6, {32, 1, 22, 32, 85, 102, 1, 0, 0, 0, 0, 0, 0, 0, 6, 44}, 8333},
    {WIRE_NET_IPV6, {32, 1, 24, 184, 0, 0, 1, 0, 0, 0, 176, 11, 4, 32, 0, 105}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 112, 90, 34, 69, 0, 0, 0, 0, 0, 0, 0, 79, 156}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 68, 1, 14, 138, 84, 0, 4, 255, 254, 142, 211, 152}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 80, 0, 26, 128, 84, 0, 4, 255, 254, 113, 170, 197}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 0, 5, 43, 18, 84, 0, 4, 255, 254, 110, 58, 254}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 0, 5, 91, 129, 94, 111, 105, 255, 254, 87, 148, 208}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 104, 1, 6, 236, 0, 2, 0, 0, 0, 0, 0, 1}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 200, 0, 44, 229, 84, 0, 4, 255, 254, 215, 102, 61}, 8333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 0, 12, 6, 218, 94, 111, 105, 255, 254, 86, 166, 80}, 8333},
};

static const struct fixed_seed seeds_testnet3[] = {
    {WIRE_NET_IPV4, {2, 59, 133, 20}, 18333},
    {WIRE_NET_IPV4, {2, 86, 50, 136}, 18333},
    {WIRE_NET_IPV4, {4, 246, 195, 240}, 18333},
    {WIRE_NET_IPV4, {5, 39, 218, 162}, 18333},
    {WIRE_NET_IPV4, {5, 255, 97, 91}, 18333},
    {WIRE_NET_IPV4, {5, 255, 97, 92}, 18333},
    {WIRE_NET_IPV4, {8, 217, 160, 32}, 18333},
    {WIRE_NET_IPV4, {18, 168, 119, 254}, 18333},
    {WIRE_NET_IPV4, {18, 209, 9, 240}, 18333},
    {WIRE_NET_IPV4, {23, 227, 223, 209}, 18333},
    {WIRE_NET_IPV4, {27, 148, 206, 140}, 18333},
    {WIRE_NET_IPV4, {34, 65, 45, 157}, 18333},
    {WIRE_NET_IPV4, {34, 69, 221, 24}, 18333},
    {WIRE_NET_IPV4, {34, 254, 97, 244}, 18333},
    {WIRE_NET_IPV4, {43, 133, 47, 138}, 18333},
    {WIRE_NET_IPV4, {43, 247, 184, 50}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 3, 20, 110, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 6, 69, 5, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 6, 10, 58, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 7, 0, 84, 76, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 8, 0, 29, 85, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 8, 0, 62, 127, 0, 0, 0, 0, 0, 0, 0, 0}, 18333},
    {WIRE_NET_IPV6, {32, 1, 4, 112, 31, 5, 4, 229, 0, 0, 0, 0, 0, 0, 32, 32}, 18333},
    {WIRE_NET_IPV6, {32, 1, 5, 168, 65, 100, 122, 0, 0, 0, 0, 0, 0, 0, 5, 6}, 18333},
};

static const struct fixed_seed seeds_testnet4[] = {
    {WIRE_NET_IPV4, {2, 59, 134, 244}, 48333},
    {WIRE_NET_IPV4, {3, 235, 188, 91}, 48333},
    {WIRE_NET_IPV4, {3, 250, 145, 197}, 48333},
    {WIRE_NET_IPV4, {5, 182, 4, 106}, 48333},
    {WIRE_NET_IPV4, {18, 175, 220, 215}, 48333},
    {WIRE_NET_IPV4, {18, 189, 156, 102}, 48333},
    {WIRE_NET_IPV4, {34, 232, 31, 111}, 48333},
    {WIRE_NET_IPV4, {38, 242, 219, 220}, 48333},
    {WIRE_NET_IPV4, {45, 94, 168, 5}, 48333},
    {WIRE_NET_IPV4, {45, 142, 17, 140}, 48333},
    {WIRE_NET_IPV4, {50, 126, 96, 22}, 48333},
    {WIRE_NET_IPV4, {51, 79, 29, 216}, 48333},
    {WIRE_NET_IPV4, {51, 81, 245, 218}, 48333},
    {WIRE_NET_IPV4, {54, 78, 90, 72}, 48333},
    {WIRE_NET_IPV4, {65, 108, 39, 171}, 48333},
    {WIRE_NET_IPV4, {66, 94, 123, 141}, 48333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 0, 10, 85, 92, 0, 0, 0, 0, 0, 0, 0, 1}, 48333},
    {WIRE_NET_IPV6, {32, 1, 5, 168, 65, 100, 122, 0, 0, 0, 0, 0, 0, 0, 5, 6}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 2}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 3}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 4}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 5}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 7}, 48333},
    {WIRE_NET_IPV6, {32, 1, 13, 246, 114, 128, 0, 0, 0, 0, 0, 0, 0, 146, 2, 8}, 48333},
};

static const struct fixed_seed seeds_signet[] = {
    {WIRE_NET_IPV4, {5, 189, 136, 209}, 38333},
    {WIRE_NET_IPV4, {15, 235, 55, 158}, 38333},
    {WIRE_NET_IPV4, {18, 141, 143, 94}, 38333},
    {WIRE_NET_IPV4, {18, 216, 1, 71}, 38333},
    {WIRE_NET_IPV4, {23, 137, 57, 100}, 38333},
    {WIRE_NET_IPV4, {23, 226, 164, 192}, 38333},
    {WIRE_NET_IPV4, {34, 16, 103, 64}, 38333},
    {WIRE_NET_IPV4, {35, 217, 29, 66}, 38333},
    {WIRE_NET_IPV4, {37, 27, 45, 224}, 38333},
    {WIRE_NET_IPV4, {38, 88, 125, 238}, 38333},
    {WIRE_NET_IPV4, {44, 210, 109, 64}, 38333},
    {WIRE_NET_IPV4, {45, 32, 127, 199}, 38333},
    {WIRE_NET_IPV4, {51, 79, 29, 216}, 38333},
    {WIRE_NET_IPV4, {54, 255, 186, 152}, 38333},
    {WIRE_NET_IPV4, {63, 34, 82, 20}, 38333},
    {WIRE_NET_IPV4, {65, 109, 54, 101}, 38333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 68, 0, 99, 199, 84, 0, 4, 255, 254, 204, 252, 30}, 38333},
    {WIRE_NET_IPV6, {32, 1, 25, 240, 112, 1, 72, 178, 84, 0, 4, 255, 254, 207, 6, 229}, 38333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 4, 4, 0, 0, 0, 0, 0, 0, 0, 13, 10}, 38333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 6, 69, 5, 0, 0, 0, 0, 0, 0, 0, 0}, 38333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 3, 71, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 38333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 4, 3, 78, 203, 0, 0, 0, 0, 0, 0, 0, 0}, 38333},
    {WIRE_NET_IPV6, {32, 1, 65, 208, 8, 0, 51, 15, 0, 0, 0, 0, 0, 0, 0, 0}, 38333},
    {WIRE_NET_IPV6, {32, 1, 5, 168, 65, 100, 122, 0, 0, 0, 0, 0, 0, 0, 5, 6}, 38333},
};

static const char *const dns_main[] = {
    "seed.bitcoin.sipa.be", "dnsseed.bluematt.me", "dnsseed.bitcoin.dashjr-list-of-p2p-nodes.us",
    "seed.bitcoin.jonasschnelli.ch", "seed.btc.petertodd.net", "seed.bitcoin.sprovoost.nl",
    "dnsseed.emzy.de", "seed.bitcoin.wiz.biz", "seed.mainnet.achownodes.xyz", NULL};
static const char *const dns_testnet3[] = {
    "testnet-seed.bitcoin.jonasschnelli.ch", "seed.tbtc.petertodd.net",
    "seed.testnet.bitcoin.sprovoost.nl", "testnet-seed.bluematt.me", "seed.testnet.achownodes.xyz",
    NULL};
static const char *const dns_testnet4[] = {"seed.testnet4.bitcoin.sprovoost.nl",
                                           "seed.testnet4.wiz.biz", NULL};
static const char *const dns_signet[] = {"seed.signet.bitcoin.sprovoost.nl",
                                         "seed.signet.achownodes.xyz", NULL};
static const char *const dns_none[] = {NULL};

const char *const *seeds_dns(enum net_id id)
{
    switch (id) {
    case NET_MAIN: return dns_main;
    case NET_TESTNET3: return dns_testnet3;
    case NET_TESTNET4: return dns_testnet4;
    case NET_SIGNET: return dns_signet;
    default: return dns_none;
    }
}

const struct fixed_seed *seeds_fixed(enum net_id id, size_t *n)
{
    switch (id) {
    case NET_MAIN: *n = sizeof seeds_main / sizeof seeds_main[0]; return seeds_main;
    case NET_TESTNET3: *n = sizeof seeds_testnet3 / sizeof seeds_testnet3[0]; return seeds_testnet3;
    case NET_TESTNET4: *n = sizeof seeds_testnet4 / sizeof seeds_testnet4[0]; return seeds_testnet4;
    case NET_SIGNET: *n = sizeof seeds_signet / sizeof seeds_signet[0]; return seeds_signet;
    default: *n = 0; return NULL;
    }
}
