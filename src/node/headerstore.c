/* headers.dat (see headerstore.h). Writes are buffered and flushed after
 * each accepted batch, so a 2,000-header batch costs one write and one
 * fsync, off the per-header path. */
#include "headerstore.h"

#include <btcpeerd/buf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD 80u
#define READ_CHUNK (RECORD * 8192u)

struct headerstore {
    int fd;
    struct buf_writer pending;
};

const char *headerstore_err_str(enum headerstore_err err)
{
    switch (err) {
    case HEADERSTORE_OK: return "ok";
    case HEADERSTORE_ERR_IO: return "io-error";
    case HEADERSTORE_ERR_NOMEM: return "out-of-memory";
    }
    return "unknown";
}

/* Replay records into the chain; returns the length of the good prefix:
 * it ends at the first record that does not validate, or at a torn tail. */
static off_t replay(int fd, struct chain *c, int64_t now, size_t *loaded)
{
    uint8_t *buf = malloc(READ_CHUNK);
    if (!buf) return 0;
    off_t good = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, READ_CHUNK, good);
        size_t whole = n > 0 ? (size_t)n / RECORD * RECORD : 0;
        if (whole == 0) break;
        for (size_t off = 0; off < whole; off += RECORD) {
            struct wire_header h;
            wire_header_parse(buf + off, &h);
            enum chain_err err = chain_add_header(c, &h, now, NULL);
            if (err != CHAIN_OK && err != CHAIN_DUPLICATE) goto out;
            if (err == CHAIN_OK) (*loaded)++;
            good += RECORD;
        }
    }
out:
    free(buf);
    return good;
}

enum headerstore_err headerstore_open(const char *path, struct chain *c, int64_t now,
                                      struct headerstore **out, size_t *loaded, size_t *cut_bytes)
{
    *loaded = 0;
    *cut_bytes = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return HEADERSTORE_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return HEADERSTORE_ERR_IO;
    }
    off_t good = replay(fd, c, now, loaded);
    if (good < st.st_size) {
        *cut_bytes = (size_t)(st.st_size - good);
        if (ftruncate(fd, good) != 0 || fsync(fd) != 0) {
            close(fd);
            return HEADERSTORE_ERR_IO;
        }
    }
    if (lseek(fd, good, SEEK_SET) < 0) {
        close(fd);
        return HEADERSTORE_ERR_IO;
    }
    struct headerstore *hs = calloc(1, sizeof *hs);
    if (!hs) {
        close(fd);
        return HEADERSTORE_ERR_NOMEM;
    }
    hs->fd = fd;
    buf_writer_init(&hs->pending);
    *out = hs;
    return HEADERSTORE_OK;
}

enum headerstore_err headerstore_append(struct headerstore *hs, const struct wire_header *h)
{
    uint8_t raw[RECORD];
    wire_header_serialize(h, raw);
    return buf_write_bytes(&hs->pending, raw, RECORD) ? HEADERSTORE_OK : HEADERSTORE_ERR_NOMEM;
}

enum headerstore_err headerstore_flush(struct headerstore *hs)
{
    const uint8_t *p = hs->pending.data;
    size_t left = hs->pending.len;
    while (left) {
        ssize_t n = write(hs->fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            /* Drop the partial tail we wrote: the next start must not see
             * half a batch followed by a gap. */
            off_t end = lseek(hs->fd, 0, SEEK_CUR);
            if (end >= 0) {
                off_t whole = end / RECORD * RECORD;
                if (ftruncate(hs->fd, whole) == 0) lseek(hs->fd, whole, SEEK_SET);
            }
            return HEADERSTORE_ERR_IO;
        }
        p += n;
        left -= (size_t)n;
    }
    buf_writer_reset(&hs->pending);
    return fsync(hs->fd) == 0 ? HEADERSTORE_OK : HEADERSTORE_ERR_IO;
}

enum headerstore_err headerstore_read(const struct headerstore *hs, uint32_t i, uint8_t out[80])
{
    /* Records still in the write buffer are at the end of the file. */
    off_t on_disk = lseek(hs->fd, 0, SEEK_CUR);
    off_t at = (off_t)i * RECORD;
    if (on_disk >= 0 && at >= on_disk) {
        size_t off = (size_t)(at - on_disk);
        if (off + RECORD > hs->pending.len) return HEADERSTORE_ERR_IO;
        memcpy(out, hs->pending.data + off, RECORD);
        return HEADERSTORE_OK;
    }
    return pread(hs->fd, out, RECORD, at) == RECORD ? HEADERSTORE_OK : HEADERSTORE_ERR_IO;
}

void headerstore_close(struct headerstore *hs)
{
    if (!hs) return;
    headerstore_flush(hs);
    close(hs->fd);
    buf_writer_free(&hs->pending);
    free(hs);
}
