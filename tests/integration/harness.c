/* Process control for integration tests. A child's stdout and stderr go to
 * a file that the harness tails: a pipe would fill when a test does not read
 * for a while, and a daemon blocked on its own log is not what we test. */
#include "harness.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How often the log file is looked at while waiting. */
#define PUMP_STEP_MS 2

/* Every child started, so that a failed assertion (cmocka jumps out of the
 * test, past its cleanup) never leaves a daemon running: they are all
 * killed when the test program exits. */
#define MAX_CHILDREN 256
static pid_t children[MAX_CHILDREN];
static size_t n_children;

static void kill_children(void)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] > 0 && kill(children[i], SIGKILL) == 0) waitpid(children[i], NULL, 0);
}

static void remember_child(pid_t pid)
{
    static bool registered;
    if (!registered) {
        atexit(kill_children);
        registered = true;
    }
    if (n_children < MAX_CHILDREN) children[n_children++] = pid;
}

void harness_forget_child(pid_t pid)
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid) children[i] = 0;
}

void harness_track_child(pid_t pid)
{
    remember_child(pid);
}

static void append(struct daemon_proc *d, const char *buf, size_t n)
{
    if (d->log_len + n + 1 > d->log_cap) {
        size_t cap = d->log_cap ? d->log_cap : 4096;
        while (cap < d->log_len + n + 1) cap *= 2;
        char *p = realloc(d->log, cap);
        if (!p) abort();
        d->log = p;
        d->log_cap = cap;
    }
    memcpy(d->log + d->log_len, buf, n);
    d->log_len += n;
    d->log[d->log_len] = '\0';
}

static bool read_new(struct daemon_proc *d)
{
    bool got = false;
    char buf[65536];
    ssize_t n;
    while ((n = read(d->log_fd, buf, sizeof buf)) > 0) {
        append(d, buf, (size_t)n);
        got = true;
    }
    return got;
}

static void nap(void)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = PUMP_STEP_MS * 1000000L};
    nanosleep(&ts, NULL);
}

static bool exited(struct daemon_proc *d)
{
    if (d->pid <= 0) return true;
    if (d->exited) return true;
    int status;
    if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
        d->exited = true;
        d->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return d->exited;
}

/* Read what the process writes within wait_ms: returns as soon as something
 * new arrives; false once the process has exited and all is read. */
static bool pump(struct daemon_proc *d, unsigned wait_ms)
{
    uint64_t deadline = clock_mono_ms() + wait_ms;
    for (;;) {
        if (read_new(d)) return true;
        if (exited(d)) return read_new(d);
        if (clock_mono_ms() >= deadline) return true;
        nap();
    }
}

/* Fork and exec argv (argv[0] looked up in PATH) with stdout and stderr
 * appended to out_path; the harness reads that file from the start. */
static bool spawn_argv(struct daemon_proc *d, const char *const *argv, const char *out_path)
{
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (out < 0) return false;
    d->log_fd = open(out_path, O_RDONLY | O_CLOEXEC);
    if (d->log_fd < 0) {
        close(out);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out);
    d->pid = pid;
    if (pid > 0) remember_child(pid);
    return pid > 0;
}

static bool make_tmpdir(struct daemon_proc *d)
{
    snprintf(d->datadir, sizeof d->datadir, "/tmp/btcpeerd-it-XXXXXX");
    return mkdtemp(d->datadir) != NULL;
}

static bool start_btcpeerd(struct daemon_proc *d, const char *const *args, bool with_datadir)
{
    memset(d, 0, sizeof *d);
    d->log_fd = -1;
    if (!make_tmpdir(d)) return false;
    char datadir_arg[160], out_path[192];
    snprintf(datadir_arg, sizeof datadir_arg, "--datadir=%s/data", d->datadir);
    snprintf(out_path, sizeof out_path, "%s/output.log", d->datadir);
    const char *argv[80];
    size_t n = 0;
    /* BTCPEERD_TEST_WRAPPER runs every daemon under a tool, e.g.
     * "valgrind -q --error-exitcode=99 --leak-check=full". */
    char wrapper[512] = "";
    const char *w = getenv("BTCPEERD_TEST_WRAPPER");
    if (w) snprintf(wrapper, sizeof wrapper, "%s", w);
    for (char *tok = strtok(wrapper, " "); tok && n < 16; tok = strtok(NULL, " ")) argv[n++] = tok;
    argv[n++] = BTCPEERD_BIN;
    /* The JSON-RPC server is on by default: a free port, so daemons of
     * parallel tests never fight over the network's fixed RPC port. First,
     * so a flag of the test that lacks its value still takes the next one. */
    bool rpc_chosen = false;
    for (size_t i = 0; args && args[i]; i++)
        rpc_chosen |= strncmp(args[i], "--rpcport", 9) == 0 || strncmp(args[i], "--server", 8) == 0;
    if (!rpc_chosen) argv[n++] = "--rpcport=0";
    for (size_t i = 0; args && args[i] && n < 76; i++) argv[n++] = args[i];
    if (with_datadir) {
        argv[n++] = datadir_arg;
        argv[n++] = "--log-file=-";
    }
    argv[n] = NULL;
    return spawn_argv(d, argv, out_path);
}

bool daemon_start(struct daemon_proc *d, const char *const *args)
{
    return start_btcpeerd(d, args, true);
}

bool process_start_btcpeerd(struct daemon_proc *d, const char *const *args)
{
    return start_btcpeerd(d, args, false);
}

bool process_start(struct daemon_proc *d, const char *const *argv)
{
    memset(d, 0, sizeof *d);
    d->log_fd = -1;
    char out_path[192];
    if (!make_tmpdir(d)) return false;
    snprintf(out_path, sizeof out_path, "%s/output.log", d->datadir);
    return spawn_argv(d, argv, out_path);
}

bool daemon_wait_log(struct daemon_proc *d, const char *needle, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    for (;;) {
        if (d->log && strstr(d->log, needle)) return true;
        uint64_t now = clock_mono_ms();
        if (now >= deadline) return false;
        if (!pump(d, (unsigned)(deadline - now))) return d->log && strstr(d->log, needle);
    }
}

void daemon_pump(struct daemon_proc *d, unsigned wait_ms)
{
    pump(d, wait_ms);
}

/* Wait for the exit (reading the log meanwhile); kill it past the deadline. */
static int wait_exit(struct daemon_proc *d, unsigned timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (!exited(d)) {
        if (clock_mono_ms() >= deadline) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
            d->pid = 0;
            read_new(d);
            return -1;
        }
        pump(d, 50);
    }
    read_new(d);
    harness_forget_child(d->pid);
    d->pid = 0;
    return d->status;
}

int daemon_stop(struct daemon_proc *d, int sig, unsigned timeout_ms)
{
    if (d->pid <= 0) return -1;
    if (!exited(d)) kill(d->pid, sig);
    return wait_exit(d, timeout_ms);
}

static void remove_tree(const char *path)
{
    char cmd[300];
    /* Only ever our own mkdtemp directory under /tmp. */
    if (strncmp(path, "/tmp/btcpeerd-it-", 17) != 0) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", path);
}

void daemon_cleanup(struct daemon_proc *d)
{
    if (d->pid > 0 && !exited(d)) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
    }
    if (d->log_fd >= 0) close(d->log_fd);
    if (d->datadir[0]) remove_tree(d->datadir);
    free(d->log);
    memset(d, 0, sizeof *d);
    d->log_fd = -1;
}

int run_btcpeerd(const char *const *args, char **out, unsigned timeout_ms)
{
    struct daemon_proc d;
    if (!start_btcpeerd(&d, args, false)) return -1;
    int rc = wait_exit(&d, timeout_ms);
    *out = d.log ? d.log : strdup("");
    d.log = NULL;
    daemon_cleanup(&d);
    return rc;
}

uint16_t daemon_start_listening(struct daemon_proc *d, const char *const *extra)
{
    const char *args[16] = {"--network=regtest", "--bind=127.0.0.1", "--port=0", "--log-level=debug"};
    size_t n = 4;
    for (size_t i = 0; extra && extra[i] && n < 15; i++) args[n++] = extra[i];
    args[n] = NULL;
    if (!daemon_start(d, args)) return 0;
    return daemon_port(d, 8000);
}

uint16_t daemon_port(struct daemon_proc *d, unsigned timeout_ms)
{
    static const char needle[] = "listening on 127.0.0.1:";
    if (!daemon_wait_log(d, needle, timeout_ms)) return 0;
    return (uint16_t)atoi(strstr(d->log, needle) + sizeof needle - 1);
}

size_t daemon_log_count(const struct daemon_proc *d, const char *needle)
{
    size_t n = 0;
    for (const char *p = d->log; p && (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}
