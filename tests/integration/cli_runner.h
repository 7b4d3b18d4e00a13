/* Run the real btcpeerd-cli (BTCPEERD_CLI_BIN) to completion and keep its
 * stdout, stderr and exit status apart. While it runs, an event base of the
 * test's own (a fake server, say) keeps turning, so the CLI can talk to
 * something in the test process; a daemon started by the harness needs no
 * base (pass NULL). */
#ifndef BTCPEERD_CLI_RUNNER_H
#define BTCPEERD_CLI_RUNNER_H

#include <event2/event.h>
#include <stdbool.h>

struct cli_run {
    int status;    /* exit status; 128+N if killed by signal N; -1 on timeout */
    char *out;     /* stdout, NUL-terminated */
    char *err;     /* stderr, NUL-terminated */
};

/* args: the CLI's arguments (NULL-terminated, without argv[0]); stdin_text
 * (may be NULL) is its standard input. False if it could not be started. */
bool cli_run(struct event_base *base, const char *const *args, const char *stdin_text,
             unsigned timeout_ms, struct cli_run *r);
void cli_run_free(struct cli_run *r);

#endif
