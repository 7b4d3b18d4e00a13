/* A table-driven runner for hostile-peer cases. A case is data: the daemon's
 * options (start), then steps; each step is a connection made some way
 * (handshake), what is sent on it (attack: v1 frames as data, and a small
 * function where data cannot say it), and what must hold afterwards
 * (aftermath: the connection closed with a reason token in a state, and the
 * disconnect counted in the metrics by that token; or still
 * open and answering a ping; a log token logged N more times; a token never
 * logged during the step). A case marked .aftermath also warms the daemon up first and, at
 * the end, checks that a well-behaved peer is served and RSS is back at the
 * baseline (aftermath.h). Every wait has a deadline; nothing sleeps. */
#ifndef BTCPEERD_HOSTILE_RUNNER_H
#define BTCPEERD_HOSTILE_RUNNER_H

#include "aftermath.h"
#include "harness.h"
#include "scripted_peer.h"

#include <btcpeerd/buf.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HC_WAIT_MS 5000
#define HC_MAX_OPTS 6
#define HC_MAX_FRAMES 4
#define HC_MAX_STEPS 10
#define HC_MAX_COUNTS 2

/* How a step reaches the daemon. */
enum hc_conn {
    HC_V1 = 0, /* connect and complete a v1 handshake as the initiator */
    HC_RAW,    /* connect and send nothing yet */
    HC_SAME,   /* go on with the previous step's connection */
    HC_OWN,    /* the attack function opens its own connections */
};

/* What happens to the step's connection. */
enum hc_after {
    HC_ANY = 0,      /* nothing is said (the attack function judges) */
    HC_CLOSED,       /* the daemon closes it */
    HC_ANSWERS_PING, /* still framed and served: a ping gets its pong */
};

/* A v1 frame as data. The length field is the payload's unless claimed is
 * set (then only len bytes follow); the checksum is right unless
 * bad_checksum. */
struct hc_frame {
    const char *command;  /* NUL-padded to 12 bytes... */
    const uint8_t *cmd12; /* ...or exactly these 12 command bytes */
    const uint8_t *payload;
    size_t len;
    const uint8_t *magic; /* NULL: regtest */
    uint32_t claimed;
    bool bad_checksum;
    unsigned repeat; /* sent this many times (0: once) */
};

struct hc_run;
typedef void (*hc_attack_fn)(struct hc_run *r);

/* A log token that the step must leave logged n more times (exactly n if
 * exact). */
struct hc_count {
    const char *token;
    size_t n;
    bool exact;
};

struct hc_step {
    const char *what; /* for failure messages; none ends the list */
    enum hc_conn conn;
    struct hc_frame frames[HC_MAX_FRAMES]; /* sent in order; ends at one without a command */
    unsigned dribble_ms;                   /* send the frames a byte at a time, again and
                                            * again, this long apart, until the reason is
                                            * logged or the daemon closes (or a hang
                                            * guard, if no reason is named) */
    hc_attack_fn attack;                   /* then this, if any */
    enum hc_after after;
    const char *reason; /* "reason=<reason>" logged once more, and
                         * btcpeerd_peer_disconnects_total{reason}
                         * one higher */
    const char *state;  /* the reason logged as "state=<state>
                         * reason=<reason>" */
    bool at_accept;     /* refused at accept: no peer yet, so logged
                         * but not counted */
    struct hc_count counts[HC_MAX_COUNTS];
    const char *never; /* not logged during this step */
};

struct hostile_case {
    const char *test;                  /* the cmocka test name (the old function's) */
    const char *label;                 /* the aftermath's name for its figures */
    const char *opts[HC_MAX_OPTS + 1]; /* daemon options, NULL-terminated */
    bool aftermath;                    /* baseline first, served-and-RSS check last */
    struct hc_step steps[HC_MAX_STEPS];
};

/* A running case: what attack functions may use. */
struct hc_run {
    const struct hostile_case *hc;
    struct daemon_proc d;
    uint16_t port;
    uint16_t metrics_port;
    struct rss_mark mark;
    struct sp s; /* the step's connection (HC_V1, HC_RAW, HC_SAME) */
    bool open;
};

/* The cases as cmocka tests, into out (n of them). */
void hostile_tests(const struct hostile_case *cases, size_t n, struct CMUnitTest *out);
/* Run tests as one cmocka group (HOSTILE_ONLY=<glob> picks by name). */
int hostile_run_group(const struct CMUnitTest *tests, size_t n);
/* Run one step (built at run time by an attack function that makes its
 * cases from data, e.g. every message type cut short). */
void hc_run_step(struct hc_run *r, const struct hc_step *st);

/* ---- for attack functions ---- */
const uint8_t *hc_magic(void);
/* The log, whole, to stderr (cmocka cuts long messages), then fail. */
void hc_fail_with_log(const struct daemon_proc *d, const char *what);
/* Wait until needle is logged; until it is logged n times. */
void hc_expect_log(struct daemon_proc *d, const char *needle);
void hc_expect_count(struct daemon_proc *d, const char *needle, size_t n);
void hc_expect_count_within(struct daemon_proc *d, const char *needle, size_t n,
                            unsigned timeout_ms);
/* "reason=<reason>" logged. */
void hc_expect_reason(struct daemon_proc *d, const char *reason);
/* A ping with this nonce is answered with it: the stream is still framed. */
void hc_expect_pong(struct sp *s, uint64_t nonce);
/* Connect to the daemon and complete a v1 handshake. */
void hc_connect_v1(struct hc_run *r, struct sp *s);
/* Append a frame (see struct hc_frame) to w. */
void hc_frame_write(struct buf_writer *w, const struct hc_frame *f);
/* A frame for command with a right checksum. */
void hc_frame_named(struct buf_writer *w, const char *command, const uint8_t *payload, size_t len);
/* A getdata frame for 50,000 things the daemon does not have: each is
 * answered by a 1.8 MB notfound. */
void hc_frame_getdata_50000(struct buf_writer *w);
/* Send all that fits until the daemon closes or all is sent, never
 * reading; the bytes sent. */
size_t hc_send_until_closed(struct sp *s, const uint8_t *data, size_t len, unsigned timeout_ms);

#endif
