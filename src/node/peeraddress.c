/* The operator's own addresses for the address manager: addpeeraddress,
 * Bitcoin Core's test RPC, so that tests (and operators) can give outbound
 * and private-broadcast connections somewhere to go. */
#include "node_internal.h"

#include <btcpeerd/hostport.h>
#include <btcpeerd/log.h>

#include <string.h>

/* Core's LookupHost without DNS: a numeric IPv4 or IPv6 address, IPv6
 * optionally in brackets. */
static bool parse_numeric(const char *address, uint16_t port, struct wire_netaddr *out)
{
    char host[64];
    size_t len = strlen(address);
    if (len >= 2 && address[0] == '[' && address[len - 1] == ']') {
        address++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof host) return false;
    memcpy(host, address, len);
    host[len] = '\0';
    struct sockaddr_storage ss;
    socklen_t sl;
    if (!hostport_numeric(host, port, &ss, &sl)) return false;
    return netaddr_from_sockaddr((struct sockaddr *)&ss, out);
}

enum node_err node_add_peer_address(struct node *n, const char *address, uint16_t port, bool tried,
                                    const char **error)
{
    *error = NULL;
    struct wire_netaddr a;
    memset(&a, 0, sizeof a);
    if (!parse_numeric(address, port, &a)) return NODE_ERR_BAD_ADDRESS;
    int64_t now = node_now();
    a.services = NODE_NETWORK | NODE_WITNESS;
    a.time = (uint32_t)now;
    char s[NETADDR_STR_MAX];
    netaddr_str(&a, s);
    /* its own source, as if it had announced itself (Core does the same) */
    if (!addrman_add(n->addrman, &a, &a, 0, now)) {
        *error = "failed-adding-to-new";
        log_info(LOG_CAT_ADDRMAN, "addpeeraddress %s: not added to new", s);
        return NODE_OK;
    }
    bool in_tried = false;
    if (tried) {
        addrman_good(n->addrman, &a, now);
        if (!addrman_contains(n->addrman, &a, &in_tried) || !in_tried)
            *error = "failed-adding-to-tried";
    }
    log_info(LOG_CAT_ADDRMAN, "addpeeraddress %s added to %s", s, in_tried ? "tried" : "new");
    return NODE_OK;
}
