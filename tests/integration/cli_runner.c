/* btcpeerd-cli as a child process: two pipes read on an event base until
 * both close, then the exit status. A deadline kills a CLI that hangs. */
#include "cli_runner.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct stream {
    char *buf;
    size_t len;
    struct event *ev;
    struct run_state *rs;
};

struct run_state {
    struct event_base *base;
    struct stream s[2];
    int open_streams;
    bool timed_out;
    pid_t pid;
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct stream *s = arg;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        event_del(s->ev);
        if (--s->rs->open_streams == 0) event_base_loopbreak(s->rs->base);
        return;
    }
    char *p = realloc(s->buf, s->len + (size_t)n + 1);
    if (!p) abort();
    memcpy(p + s->len, chunk, (size_t)n);
    s->len += (size_t)n;
    p[s->len] = '\0';
    s->buf = p;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct run_state *rs = arg;
    rs->timed_out = true;
    kill(rs->pid, SIGKILL);
    event_base_loopbreak(rs->base);
}

static bool cloexec_pipe(int fds[2])
{
    return pipe(fds) == 0 && fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 &&
           fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0;
}

bool cli_run(struct event_base *base, const char *const *args, const char *stdin_text,
             unsigned timeout_ms, struct cli_run *r)
{
    memset(r, 0, sizeof *r);
    int out[2], err[2], in[2];
    if (!cloexec_pipe(out) || !cloexec_pipe(err) || !cloexec_pipe(in)) return false;
    /* BTCPEERD_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99
     * --leak-check=full") runs the CLI under a tool, as the harness does
     * for daemons. */
    const char *argv[64];
    char wrapper[512] = "";
    size_t n = 0;
    const char *w = getenv("BTCPEERD_TEST_WRAPPER");
    if (w) snprintf(wrapper, sizeof wrapper, "%s", w);
    for (char *tok = strtok(wrapper, " "); tok && n < 16; tok = strtok(NULL, " ")) argv[n++] = tok;
    argv[n++] = BTCPEERD_CLI_BIN;
    for (size_t i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    harness_track_child(pid);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (stdin_text && write(in[1], stdin_text, strlen(stdin_text)) != (ssize_t)strlen(stdin_text))
        abort(); /* small texts only: they fit in the pipe */
    close(in[1]);

    bool own_base = base == NULL;
    if (own_base) base = event_base_new();
    struct run_state rs = {.base = base, .open_streams = 2, .pid = pid};
    int fds[2] = {out[0], err[0]};
    for (int i = 0; i < 2; i++) {
        evutil_make_socket_nonblocking(fds[i]);
        rs.s[i].rs = &rs;
        rs.s[i].ev = event_new(base, fds[i], EV_READ | EV_PERSIST, on_readable, &rs.s[i]);
        event_add(rs.s[i].ev, NULL);
    }
    struct event *deadline = evtimer_new(base, on_deadline, &rs);
    struct timeval tv = {timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000};
    evtimer_add(deadline, &tv);
    while (rs.open_streams > 0 && !rs.timed_out) event_base_loop(base, EVLOOP_ONCE);

    int st = 0;
    waitpid(pid, &st, 0); /* both pipes closed: it is exiting (or was killed) */
    harness_forget_child(pid);
    r->status = rs.timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    for (int i = 0; i < 2; i++) {
        event_free(rs.s[i].ev);
        close(fds[i]);
        if (!rs.s[i].buf) rs.s[i].buf = calloc(1, 1);
    }
    event_free(deadline);
    if (own_base) event_base_free(base);
    r->out = rs.s[0].buf;
    r->err = rs.s[1].buf;
    return true;
}

void cli_run_free(struct cli_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}
