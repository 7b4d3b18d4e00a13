/* Who may use the RPC: clients on loopback or in an --rpcallowip subnet,
 * with HTTP Basic credentials matching the cookie or --rpcuser and
 * --rpcpassword. Secrets are compared in constant time. */
#include "rpc_internal.h"

#include <btcpeerd/netaddr.h>
#include <btcpeerd/sha256.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

bool rpc_client_allowed(const struct rpc_config *cfg, const struct sockaddr *sa)
{
    struct wire_netaddr a;
    if (!netaddr_from_sockaddr(sa, &a)) return false;
    if (netaddr_is_loopback(&a)) return true;
    for (size_t i = 0; i < cfg->n_allow; i++)
        if (netaddr_subnet_match(&cfg->allow[i], &a)) return true;
    return false;
}

/* Both sides hashed first, so the comparison takes the same time whatever
 * the lengths. */
static bool secret_equal(const unsigned char *given, size_t given_len, const char *expected)
{
    uint8_t a[32], b[32];
    sha256(given, given_len, a);
    sha256(expected, strlen(expected), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

bool rpc_auth_ok(const char *authorization, const char *cookie, const char *user,
                 const char *password)
{
    if (!authorization || strncmp(authorization, "Basic ", 6) != 0) return false;
    const char *b64 = authorization + 6;
    while (*b64 == ' ') b64++;
    size_t len = strlen(b64);
    while (len && (b64[len - 1] == ' ' || b64[len - 1] == '\r')) len--;
    if (len == 0 || len % 4 != 0 || len > 1024) return false;
    unsigned char creds[800];
    int n = EVP_DecodeBlock(creds, (const unsigned char *)b64, (int)len);
    if (n < 0) return false;
    size_t clen = (size_t)n;
    for (size_t i = len; i > len - 2 && b64[i - 1] == '=' && clen > 0; i--) clen--; /* padding */
    bool ok = cookie && cookie[0] && secret_equal(creds, clen, cookie);
    if (user && user[0]) {
        char expected[400];
        snprintf(expected, sizeof expected, "%s:%s", user, password ? password : "");
        ok |= secret_equal(creds, clen, expected);
        OPENSSL_cleanse(expected, sizeof expected);
    }
    OPENSSL_cleanse(creds, sizeof creds);
    return ok;
}
