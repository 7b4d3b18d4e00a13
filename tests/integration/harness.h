/* Integration harness: start a real btcpeerd process with a fresh data
 * directory, read its log as it is written (stdout/stderr to a file), wait for
 * lines with a deadline, signal it, and reap it. No fixed sleeps: every wait
 * is "until this happens or the deadline passes". */
#ifndef BTCPEERD_HARNESS_H
#define BTCPEERD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon_proc {
    pid_t pid;
    bool exited;
    int status;          /* exit status once exited */
    int log_fd;          /* the file its stdout and stderr go to, read side */
    char datadir[128];   /* a fresh temp dir: data/ and output.log */
    char *log;           /* everything read so far, NUL-terminated */
    size_t log_len, log_cap;
};

/* Start BTCPEERD_BIN with args (NULL-terminated) plus --datadir=<fresh temp
 * dir> and --log-file=-. Every start_ function adds --rpcport=0 unless args
 * name --rpcport or --server. */
bool daemon_start(struct daemon_proc *d, const char *const *args);
/* BTCPEERD_BIN with exactly these args (the caller picks datadir and log). */
bool process_start_btcpeerd(struct daemon_proc *d, const char *const *args);
/* Any other program (argv[0] looked up in PATH), its output read as the log. */
bool process_start(struct daemon_proc *d, const char *const *argv);
/* Wait until the log contains needle; false on timeout or exit. */
bool daemon_wait_log(struct daemon_proc *d, const char *needle, unsigned timeout_ms);
/* A regtest daemon at debug level listening on 127.0.0.1 with a free port
 * (plus extra flags, NULL-terminated, at most 10): its port. Fails the
 * test if it does not come up. */
uint16_t daemon_start_listening(struct daemon_proc *d, const char *const *extra);
/* The port the daemon logged "listening on 127.0.0.1:PORT" for (waits up to
 * timeout_ms); 0 if none. */
uint16_t daemon_port(struct daemon_proc *d, unsigned timeout_ms);
/* Read whatever the daemon logs within wait_ms. */
void daemon_pump(struct daemon_proc *d, unsigned wait_ms);
/* How many times needle occurs in the log so far. */
size_t daemon_log_count(const struct daemon_proc *d, const char *needle);
/* A port that was free a moment ago (for a daemon that must know its own
 * port before it starts). */
uint16_t free_port(void);

/* Signal and wait for exit; returns the exit status (or -1 on timeout, after
 * which the process is killed). */
int daemon_stop(struct daemon_proc *d, int sig, unsigned timeout_ms);
void daemon_cleanup(struct daemon_proc *d);

/* Run BTCPEERD_BIN with args to completion; its exit status, and stdout and
 * stderr together in out (caller frees). */
int run_btcpeerd(const char *const *args, char **out, unsigned timeout_ms);

/* Children (daemons, servers) are killed when the test program exits, even
 * after a failed assertion; a child started elsewhere can join the list. */
void harness_track_child(pid_t pid);
void harness_forget_child(pid_t pid);

#endif
