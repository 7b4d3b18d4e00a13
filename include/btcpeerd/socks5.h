/* A SOCKS5 client (RFC 1928, with RFC 1929 username/password) as a pure
 * state machine: bytes in, bytes out, no sockets, no clock. The peer layer
 * drives it on a connection to the proxy before the P2P transport starts.
 *
 *   socks5_start     → greeting (methods: no-auth, and user/pass if given)
 *   socks5_read      ← method choice   → auth request (method 0x02 only)
 *   socks5_read      ← auth status     → CONNECT request
 *   socks5_read      ← CONNECT reply   → done (bound address kept)
 *
 * socks5_read never consumes a byte past the CONNECT reply: what follows
 * belongs to the tunnelled stream. Messages may arrive in any split. */
#ifndef BTCPEERD_SOCKS5_H
#define BTCPEERD_SOCKS5_H

#include <btcpeerd/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOCKS5_VERSION 0x05
#define SOCKS5_METHOD_NONE 0x00
#define SOCKS5_METHOD_USERPASS 0x02
#define SOCKS5_METHOD_REFUSED 0xff
#define SOCKS5_AUTH_VERSION 0x01
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_DOMAIN 0x03
#define SOCKS5_ATYP_IPV6 0x04
#define SOCKS5_MAX_NAME 255u   /* a domain name, a user name, a password */
/* The longest reply: VER REP RSV ATYP, a 255-byte name with its length, port. */
#define SOCKS5_MAX_REPLY (4u + 1u + SOCKS5_MAX_NAME + 2u)

/* Every way a negotiation can fail; the reply codes (RFC 1928 section 6,
 * and Tor's extended codes for onion services) keep their own names. */
enum socks5_err {
    SOCKS5_OK = 0,
    SOCKS5_ERR_BAD_VERSION,       /* a reply that is not SOCKS version 5 */
    SOCKS5_ERR_NO_METHOD,         /* 0xff: the proxy takes none of our methods */
    SOCKS5_ERR_BAD_METHOD,        /* it chose a method we did not offer */
    SOCKS5_ERR_AUTH_VERSION,      /* an RFC 1929 reply whose version is not 1 */
    SOCKS5_ERR_AUTH_FAILED,       /* credentials refused */
    SOCKS5_ERR_GENERAL,           /* 0x01 general SOCKS server failure */
    SOCKS5_ERR_NOT_ALLOWED,       /* 0x02 connection not allowed by ruleset */
    SOCKS5_ERR_NET_UNREACHABLE,   /* 0x03 */
    SOCKS5_ERR_HOST_UNREACHABLE,  /* 0x04 */
    SOCKS5_ERR_REFUSED,           /* 0x05 connection refused */
    SOCKS5_ERR_TTL_EXPIRED,       /* 0x06 */
    SOCKS5_ERR_CMD_UNSUPPORTED,   /* 0x07 */
    SOCKS5_ERR_ATYP_UNSUPPORTED,  /* 0x08 */
    SOCKS5_ERR_ONION_NOT_FOUND,   /* Tor 0xf0: onion service descriptor not found */
    SOCKS5_ERR_ONION_INVALID,     /* Tor 0xf1: descriptor invalid */
    SOCKS5_ERR_ONION_INTRO_FAILED,/* Tor 0xf2: introduction failed */
    SOCKS5_ERR_ONION_REND_FAILED, /* Tor 0xf3: rendezvous failed */
    SOCKS5_ERR_ONION_AUTH_MISSING,/* Tor 0xf4: client authorization missing */
    SOCKS5_ERR_ONION_AUTH_WRONG,  /* Tor 0xf5: client authorization wrong */
    SOCKS5_ERR_ONION_BAD_ADDRESS, /* Tor 0xf6: invalid onion address */
    SOCKS5_ERR_ONION_INTRO_TIMEOUT,/* Tor 0xf7: introduction timed out */
    SOCKS5_ERR_UNKNOWN_REPLY,     /* any other reply code */
    SOCKS5_ERR_BAD_RESERVED,      /* the reserved byte of a reply is not 0 */
    SOCKS5_ERR_BAD_ATYP,          /* a bound address of an unknown type */
    SOCKS5_ERR_BAD_TARGET,        /* ours: empty or over-long host name or credentials */
    SOCKS5_ERR_STATE,             /* ours: a call that does not fit the state */
    SOCKS5_ERR_NOMEM,
};
const char *socks5_err_str(enum socks5_err err);

enum socks5_state {
    SOCKS5_STATE_INIT = 0,
    SOCKS5_STATE_METHOD,   /* greeting sent, waiting for the method choice */
    SOCKS5_STATE_AUTH,     /* credentials sent, waiting for their status */
    SOCKS5_STATE_CONNECT,  /* CONNECT sent, waiting for the reply */
    SOCKS5_STATE_DONE,     /* tunnel open */
    SOCKS5_STATE_FAILED,
};
const char *socks5_state_str(enum socks5_state state);

/* What socks5_read returns. */
enum socks5_status { SOCKS5_NEED_MORE = 0, SOCKS5_DONE, SOCKS5_FAILED };

/* An address as SOCKS5 carries it: IPv4, IPv6 or a name (which the proxy
 * resolves; a Tor onion name goes this way too). */
struct socks5_addr {
    uint8_t atyp;                    /* SOCKS5_ATYP_* */
    uint8_t ip[16];                  /* 4 or 16 bytes used */
    char name[SOCKS5_MAX_NAME + 1];  /* NUL-terminated */
    uint16_t port;
};

/* The target: a numeric IPv4/IPv6 host becomes an address, anything else
 * a name sent to the proxy as it is (never resolved here). */
enum socks5_err socks5_addr_from_host(struct socks5_addr *a, const char *host, uint16_t port);

struct socks5 {
    enum socks5_state state;
    enum socks5_err err;
    struct socks5_addr target;
    bool offer_userpass;
    uint8_t user_len, pass_len;
    char user[SOCKS5_MAX_NAME], pass[SOCKS5_MAX_NAME];
    uint8_t method;                  /* the proxy's choice */
    struct socks5_addr bound;        /* BND.ADDR and BND.PORT of the reply */
    uint8_t rx[SOCKS5_MAX_REPLY];    /* the reply being assembled */
    size_t rx_len;
};

/* user and pass may be NULL (offer no-auth only); otherwise both methods
 * are offered and the proxy chooses. Fails on over-long credentials. */
enum socks5_err socks5_init(struct socks5 *s, const struct socks5_addr *target, const char *user,
                            const char *pass);
/* The greeting, appended to out. */
enum socks5_err socks5_start(struct socks5 *s, struct buf_writer *out);
/* Feed what the proxy sent. *consumed says how much of in was used (never
 * past the end of the CONNECT reply); requests to send are appended to out.
 * On SOCKS5_FAILED, s->err says why; on SOCKS5_DONE, s->bound is set. */
enum socks5_status socks5_read(struct socks5 *s, const uint8_t *in, size_t len, size_t *consumed,
                               struct buf_writer *out);

#endif
