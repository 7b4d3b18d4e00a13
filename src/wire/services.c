/* Service bits as names for logs and RPC. */
#include <btcpeerd/wire.h>

#include <stdio.h>
#include <string.h>

static const char *service_name(unsigned bit)
{
    switch (bit) {
    case 0: return "NETWORK";
    case 2: return "BLOOM";
    case 3: return "WITNESS";
    case 6: return "COMPACT_FILTERS";
    case 10: return "NETWORK_LIMITED";
    case 11: return "P2P_V2";
    default: return NULL;
    }
}

void wire_services_str(uint64_t services, char *out, size_t cap)
{
    if (!cap) return;
    out[0] = '\0';
    if (!services) {
        snprintf(out, cap, "NONE");
        return;
    }
    size_t len = 0;
    for (unsigned bit = 0; bit < 64 && len < cap; bit++) {
        if (!(services >> bit & 1)) continue;
        const char *name = service_name(bit);
        char unknown[16];
        if (!name) {
            snprintf(unknown, sizeof unknown, "BIT%u", bit);
            name = unknown;
        }
        int n = snprintf(out + len, cap - len, "%s%s", len ? "|" : "", name);
        if (n < 0) break;
        len += (size_t)n;
    }
}
