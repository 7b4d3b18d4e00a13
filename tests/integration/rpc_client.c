/* The test RPC client (see rpc_client.h): blocking socket, poll deadlines. */
#include "rpc_client.h"

#include "harness.h"

#include <btcpeerd/clock.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

uint16_t rpc_client_port(struct daemon_proc *d, unsigned timeout_ms)
{
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(d, needle, timeout_ms)) return 0;
    return (uint16_t)atoi(strstr(d->log, needle) + sizeof needle - 1);
}

static bool read_cookie(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (ok) out[strcspn(out, "\r\n")] = '\0';
    return ok;
}

static bool send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

char *rpc_client_post(uint16_t port, const char *cookie_path, const char *body, int *status,
                      unsigned timeout_ms)
{
    char cookie[256];
    unsigned char auth[400];
    if (!read_cookie(cookie_path, cookie, sizeof cookie)) {
        fprintf(stderr, "rpc_client: cannot read %s\n", cookie_path);
        return NULL;
    }
    EVP_EncodeBlock(auth, (const unsigned char *)cookie, (int)strlen(cookie));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char head[768];
    int hl = snprintf(
        head, sizeof head,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
        auth, strlen(body));
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || !send_all(fd, head, (size_t)hl) ||
        !send_all(fd, body, strlen(body))) {
        perror("rpc_client: connect or send");
        close(fd);
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    while (buf && clock_mono_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        if (len + 4096 > cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) break;
            buf = bigger;
        }
        ssize_t got = recv(fd, buf + len, cap - len - 1, 0);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fd);
    if (!buf) return NULL;
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.1 %d", status) != 1) {
        fprintf(stderr,
                "rpc_client: no HTTP reply (%zu bytes: %.80s) after %llu ms, port %u, body %.60s\n",
                len, buf, (unsigned long long)(clock_mono_ms() + timeout_ms - deadline), port,
                body);
        free(buf);
        return NULL;
    }
    char *reply = strdup(sep + 4);
    free(buf);
    return reply;
}
