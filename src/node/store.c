/* Atomic state files. */
#include "store.h"

#include <btcpeerd/sha256.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *store_err_str(enum store_err err)
{
    switch (err) {
    case STORE_OK: return "ok";
    case STORE_ERR_NOT_FOUND: return "not-found";
    case STORE_ERR_IO: return "io-error";
    case STORE_ERR_NOMEM: return "out-of-memory";
    case STORE_ERR_TOO_BIG: return "too-big";
    }
    return "unknown";
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

enum store_err store_sync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) return STORE_ERR_IO;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return STORE_ERR_IO;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0 ? STORE_OK : STORE_ERR_IO;
}

enum store_err store_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return STORE_ERR_IO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return STORE_ERR_IO;
    int rc = write_all(fd, data, len);
    if (rc == 0) rc = fsync(fd);
    if (close(fd) != 0) rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp); /* the old file is untouched */
        errno = saved;
        return STORE_ERR_IO;
    }
    /* The rename is durable only once the directory entry is on disk; the
     * new contents are in place either way, so a failure here is not an
     * error of this write (the next fsync of the directory catches up). */
    (void)store_sync_dir_of(path);
    return STORE_OK;
}

enum store_err store_read(const char *path, size_t max_len, uint8_t **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? STORE_ERR_NOT_FOUND : STORE_ERR_IO;
    struct stat st;
    enum store_err err = STORE_OK;
    uint8_t *buf = NULL;
    size_t have = 0;
    if (fstat(fd, &st) != 0) {
        err = STORE_ERR_IO;
        goto out;
    }
    if ((uint64_t)st.st_size > max_len) {
        err = STORE_ERR_TOO_BIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        err = STORE_ERR_NOMEM;
        goto out;
    }
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += (size_t)n;
    }
    *data = buf;
    *len = have;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return err;
}

enum store_err store_move_aside(const char *path)
{
    char bad[PATH_MAX];
    if (snprintf(bad, sizeof bad, "%s.bad", path) >= (int)sizeof bad) return STORE_ERR_IO;
    return rename(path, bad) == 0 ? STORE_OK : STORE_ERR_IO;
}

void store_envelope_begin(struct buf_writer *w, const char magic[4], uint8_t version)
{
    buf_write_bytes(w, magic, 4);
    buf_write_u8(w, version);
}

bool store_envelope_seal(struct buf_writer *w, size_t start)
{
    if (!buf_writer_ok(w)) return false;
    uint8_t sum[32];
    sha256d(w->data + start, w->len - start, sum);
    return buf_write_bytes(w, sum, 32);
}

enum store_envelope store_envelope_open(const uint8_t *data, size_t len, const char magic[4],
                                        uint8_t version, const uint8_t **body, size_t *body_len)
{
    if (len < 4 + 1 + 32) return STORE_ENVELOPE_TRUNCATED;
    if (memcmp(data, magic, 4) != 0 || data[4] != version) return STORE_ENVELOPE_FORMAT;
    uint8_t sum[32];
    sha256d(data, len - 32, sum);
    if (memcmp(sum, data + len - 32, 32) != 0) return STORE_ENVELOPE_CHECKSUM;
    *body = data + 5;
    *body_len = len - 5 - 32;
    return STORE_ENVELOPE_OK;
}
