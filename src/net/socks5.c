/* SOCKS5 client codec (RFC 1928 CONNECT, RFC 1929 username/password).
 * Pure: the caller moves the bytes. Each reply is assembled in s->rx until
 * it is whole (its length is known from its first bytes), then acted on;
 * a bad version or an error code fails at once, without waiting for the
 * rest of a reply some proxies never send. */
#include <btcpeerd/socks5.h>

#include <arpa/inet.h>
#include <string.h>

const char *socks5_err_str(enum socks5_err err)
{
    switch (err) {
    case SOCKS5_OK: return "ok";
    case SOCKS5_ERR_BAD_VERSION: return "bad-version";
    case SOCKS5_ERR_NO_METHOD: return "no-acceptable-method";
    case SOCKS5_ERR_BAD_METHOD: return "unoffered-method";
    case SOCKS5_ERR_AUTH_VERSION: return "bad-auth-version";
    case SOCKS5_ERR_AUTH_FAILED: return "auth-failed";
    case SOCKS5_ERR_GENERAL: return "general-failure";
    case SOCKS5_ERR_NOT_ALLOWED: return "not-allowed";
    case SOCKS5_ERR_NET_UNREACHABLE: return "network-unreachable";
    case SOCKS5_ERR_HOST_UNREACHABLE: return "host-unreachable";
    case SOCKS5_ERR_REFUSED: return "connection-refused";
    case SOCKS5_ERR_TTL_EXPIRED: return "ttl-expired";
    case SOCKS5_ERR_CMD_UNSUPPORTED: return "command-unsupported";
    case SOCKS5_ERR_ATYP_UNSUPPORTED: return "address-type-unsupported";
    case SOCKS5_ERR_ONION_NOT_FOUND: return "onion-descriptor-not-found";
    case SOCKS5_ERR_ONION_INVALID: return "onion-descriptor-invalid";
    case SOCKS5_ERR_ONION_INTRO_FAILED: return "onion-intro-failed";
    case SOCKS5_ERR_ONION_REND_FAILED: return "onion-rendezvous-failed";
    case SOCKS5_ERR_ONION_AUTH_MISSING: return "onion-auth-missing";
    case SOCKS5_ERR_ONION_AUTH_WRONG: return "onion-auth-wrong";
    case SOCKS5_ERR_ONION_BAD_ADDRESS: return "onion-bad-address";
    case SOCKS5_ERR_ONION_INTRO_TIMEOUT: return "onion-intro-timeout";
    case SOCKS5_ERR_UNKNOWN_REPLY: return "unknown-reply";
    case SOCKS5_ERR_BAD_RESERVED: return "bad-reserved";
    case SOCKS5_ERR_BAD_ATYP: return "bad-address-type";
    case SOCKS5_ERR_BAD_TARGET: return "bad-target";
    case SOCKS5_ERR_STATE: return "bad-state";
    case SOCKS5_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

const char *socks5_state_str(enum socks5_state state)
{
    switch (state) {
    case SOCKS5_STATE_INIT: return "init";
    case SOCKS5_STATE_METHOD: return "method";
    case SOCKS5_STATE_AUTH: return "auth";
    case SOCKS5_STATE_CONNECT: return "connect";
    case SOCKS5_STATE_DONE: return "done";
    case SOCKS5_STATE_FAILED: return "failed";
    }
    return "unknown";
}

static enum socks5_err reply_err(uint8_t rep)
{
    switch (rep) {
    case 0x01: return SOCKS5_ERR_GENERAL;
    case 0x02: return SOCKS5_ERR_NOT_ALLOWED;
    case 0x03: return SOCKS5_ERR_NET_UNREACHABLE;
    case 0x04: return SOCKS5_ERR_HOST_UNREACHABLE;
    case 0x05: return SOCKS5_ERR_REFUSED;
    case 0x06: return SOCKS5_ERR_TTL_EXPIRED;
    case 0x07: return SOCKS5_ERR_CMD_UNSUPPORTED;
    case 0x08: return SOCKS5_ERR_ATYP_UNSUPPORTED;
    case 0xf0: return SOCKS5_ERR_ONION_NOT_FOUND;
    case 0xf1: return SOCKS5_ERR_ONION_INVALID;
    case 0xf2: return SOCKS5_ERR_ONION_INTRO_FAILED;
    case 0xf3: return SOCKS5_ERR_ONION_REND_FAILED;
    case 0xf4: return SOCKS5_ERR_ONION_AUTH_MISSING;
    case 0xf5: return SOCKS5_ERR_ONION_AUTH_WRONG;
    case 0xf6: return SOCKS5_ERR_ONION_BAD_ADDRESS;
    case 0xf7: return SOCKS5_ERR_ONION_INTRO_TIMEOUT;
    default: return SOCKS5_ERR_UNKNOWN_REPLY;
    }
}

enum socks5_err socks5_addr_from_host(struct socks5_addr *a, const char *host, uint16_t port)
{
    memset(a, 0, sizeof *a);
    a->port = port;
    size_t len = strlen(host);
    if (len == 0 || len > SOCKS5_MAX_NAME) return SOCKS5_ERR_BAD_TARGET;
    if (inet_pton(AF_INET, host, a->ip) == 1) {
        a->atyp = SOCKS5_ATYP_IPV4;
    } else if (inet_pton(AF_INET6, host, a->ip) == 1) {
        a->atyp = SOCKS5_ATYP_IPV6;
    } else {
        a->atyp = SOCKS5_ATYP_DOMAIN;
        memcpy(a->name, host, len + 1);
    }
    return SOCKS5_OK;
}

enum socks5_err socks5_init(struct socks5 *s, const struct socks5_addr *target, const char *user,
                            const char *pass)
{
    memset(s, 0, sizeof *s);
    s->target = *target;
    if (target->atyp == SOCKS5_ATYP_DOMAIN) {
        size_t n = strlen(target->name);
        if (n == 0 || n > SOCKS5_MAX_NAME) return SOCKS5_ERR_BAD_TARGET;
    } else if (target->atyp != SOCKS5_ATYP_IPV4 && target->atyp != SOCKS5_ATYP_IPV6) {
        return SOCKS5_ERR_BAD_TARGET;
    }
    if (user && pass) {
        /* RFC 1929: both 1..255 bytes. */
        size_t ul = strlen(user), pl = strlen(pass);
        if (ul == 0 || ul > SOCKS5_MAX_NAME || pl == 0 || pl > SOCKS5_MAX_NAME)
            return SOCKS5_ERR_BAD_TARGET;
        memcpy(s->user, user, ul);
        memcpy(s->pass, pass, pl);
        s->user_len = (uint8_t)ul;
        s->pass_len = (uint8_t)pl;
        s->offer_userpass = true;
    }
    return SOCKS5_OK;
}

static enum socks5_err fail(struct socks5 *s, enum socks5_err err)
{
    s->state = SOCKS5_STATE_FAILED;
    s->err = err;
    return err;
}

enum socks5_err socks5_start(struct socks5 *s, struct buf_writer *out)
{
    if (s->state != SOCKS5_STATE_INIT) return SOCKS5_ERR_STATE;
    buf_write_u8(out, SOCKS5_VERSION);
    if (s->offer_userpass) {
        buf_write_u8(out, 2);
        buf_write_u8(out, SOCKS5_METHOD_NONE);
        buf_write_u8(out, SOCKS5_METHOD_USERPASS);
    } else {
        buf_write_u8(out, 1);
        buf_write_u8(out, SOCKS5_METHOD_NONE);
    }
    if (!buf_writer_ok(out)) return fail(s, SOCKS5_ERR_NOMEM);
    s->state = SOCKS5_STATE_METHOD;
    return SOCKS5_OK;
}

static enum socks5_err write_connect(struct socks5 *s, struct buf_writer *out)
{
    const struct socks5_addr *t = &s->target;
    uint8_t head[4] = {SOCKS5_VERSION, SOCKS5_CMD_CONNECT, 0x00, t->atyp};
    buf_write_bytes(out, head, sizeof head);
    if (t->atyp == SOCKS5_ATYP_IPV4) {
        buf_write_bytes(out, t->ip, 4);
    } else if (t->atyp == SOCKS5_ATYP_IPV6) {
        buf_write_bytes(out, t->ip, 16);
    } else {
        size_t n = strlen(t->name);
        buf_write_u8(out, (uint8_t)n);
        buf_write_bytes(out, t->name, n);
    }
    buf_write_u16be(out, t->port);
    if (!buf_writer_ok(out)) return fail(s, SOCKS5_ERR_NOMEM);
    s->state = SOCKS5_STATE_CONNECT;
    return SOCKS5_OK;
}

static enum socks5_err write_auth(struct socks5 *s, struct buf_writer *out)
{
    buf_write_u8(out, SOCKS5_AUTH_VERSION);
    buf_write_u8(out, s->user_len);
    buf_write_bytes(out, s->user, s->user_len);
    buf_write_u8(out, s->pass_len);
    buf_write_bytes(out, s->pass, s->pass_len);
    if (!buf_writer_ok(out)) return fail(s, SOCKS5_ERR_NOMEM);
    s->state = SOCKS5_STATE_AUTH;
    return SOCKS5_OK;
}

/* How long the reply being assembled is, judged from what is in s->rx;
 * 0 with *err set if what is there already fails. */
static size_t reply_len(struct socks5 *s, enum socks5_err *err)
{
    *err = SOCKS5_OK;
    if (s->state != SOCKS5_STATE_CONNECT) return 2; /* method choice, auth status */
    if (s->rx_len >= 1 && s->rx[0] != SOCKS5_VERSION) *err = SOCKS5_ERR_BAD_VERSION;
    else if (s->rx_len >= 2 && s->rx[1] != 0x00) *err = reply_err(s->rx[1]);
    else if (s->rx_len >= 3 && s->rx[2] != 0x00) *err = SOCKS5_ERR_BAD_RESERVED;
    if (*err != SOCKS5_OK) return 0;
    if (s->rx_len < 4) return s->rx_len + 1; /* a byte at a time: fail early */
    switch (s->rx[3]) {
    case SOCKS5_ATYP_IPV4: return 4 + 4 + 2;
    case SOCKS5_ATYP_IPV6: return 4 + 16 + 2;
    case SOCKS5_ATYP_DOMAIN: return s->rx_len < 5 ? 5 : 4 + 1 + (size_t)s->rx[4] + 2;
    default: *err = SOCKS5_ERR_BAD_ATYP; return 0;
    }
}

static void parse_bound(struct socks5 *s)
{
    struct socks5_addr *b = &s->bound;
    memset(b, 0, sizeof *b);
    b->atyp = s->rx[3];
    const uint8_t *p = s->rx + 4;
    size_t n;
    if (b->atyp == SOCKS5_ATYP_IPV4) {
        memcpy(b->ip, p, 4);
        n = 4;
    } else if (b->atyp == SOCKS5_ATYP_IPV6) {
        memcpy(b->ip, p, 16);
        n = 16;
    } else {
        n = p[0];
        memcpy(b->name, p + 1, n);
        b->name[n] = '\0';
        n += 1;
    }
    b->port = (uint16_t)(p[n] << 8 | p[n + 1]);
}

/* A whole reply is in s->rx: act on it. */
static enum socks5_err handle_reply(struct socks5 *s, struct buf_writer *out)
{
    switch (s->state) {
    case SOCKS5_STATE_METHOD:
        if (s->rx[0] != SOCKS5_VERSION) return fail(s, SOCKS5_ERR_BAD_VERSION);
        s->method = s->rx[1];
        if (s->method == SOCKS5_METHOD_REFUSED) return fail(s, SOCKS5_ERR_NO_METHOD);
        if (s->method == SOCKS5_METHOD_USERPASS && s->offer_userpass) return write_auth(s, out);
        if (s->method == SOCKS5_METHOD_NONE) return write_connect(s, out);
        return fail(s, SOCKS5_ERR_BAD_METHOD);
    case SOCKS5_STATE_AUTH:
        if (s->rx[0] != SOCKS5_AUTH_VERSION) return fail(s, SOCKS5_ERR_AUTH_VERSION);
        if (s->rx[1] != 0x00) return fail(s, SOCKS5_ERR_AUTH_FAILED);
        return write_connect(s, out);
    case SOCKS5_STATE_CONNECT:
        parse_bound(s);
        s->state = SOCKS5_STATE_DONE;
        return SOCKS5_OK;
    default:
        return fail(s, SOCKS5_ERR_STATE);
    }
}

enum socks5_status socks5_read(struct socks5 *s, const uint8_t *in, size_t len, size_t *consumed,
                               struct buf_writer *out)
{
    *consumed = 0;
    if (s->state == SOCKS5_STATE_DONE) return SOCKS5_DONE;
    if (s->state == SOCKS5_STATE_FAILED) return SOCKS5_FAILED;
    if (s->state == SOCKS5_STATE_INIT) {
        fail(s, SOCKS5_ERR_STATE);
        return SOCKS5_FAILED;
    }
    for (;;) {
        enum socks5_err err;
        size_t want = reply_len(s, &err);
        if (err != SOCKS5_OK) {
            fail(s, err);
            return SOCKS5_FAILED;
        }
        if (s->rx_len == want) {
            s->rx_len = 0; /* rx stays intact until the next byte is copied in */
            if (handle_reply(s, out) != SOCKS5_OK) return SOCKS5_FAILED;
            if (s->state == SOCKS5_STATE_DONE) return SOCKS5_DONE;
            continue;
        }
        if (*consumed == len) break;
        size_t take = want - s->rx_len;
        if (take > len - *consumed) take = len - *consumed;
        memcpy(s->rx + s->rx_len, in + *consumed, take);
        s->rx_len += take;
        *consumed += take;
    }
    return SOCKS5_NEED_MORE;
}
