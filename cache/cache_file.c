/* cache_file.c - whole files as entries: the bytes of a written deliverable under its output
 * key (see cache.h). Same header, payload and seal as every entry; the payload is streamed
 * through a buffer, never held whole. */
#define _GNU_SOURCE
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_BYTES (1u << 20)

int lathe_cache_put_file(lathe_cache *c, lathe_key key, const char *path)
{
    char final[LATHE_CACHE_PATH_MAX], tmp[LATHE_CACHE_PATH_MAX];
    unsigned char head[LATHE_CACHE_HEADER_SIZE], trail[LATHE_CACHE_TRAILER_SIZE];
    struct stat sb;
    if (!lathe_cache_remote_takes(c))
        return LATHE_CACHE_MISS; /* kept for other machines only (see cache.h) */
    lathe_cache_entry_path(c, key, LATHE_CACHE_KIND_FILE, 0, final);
    if (access(final, F_OK) == 0)
        return LATHE_CACHE_OK; /* one key, one content: stored already */
    int in = open(path, O_RDONLY | O_CLOEXEC), fd = -1;
    unsigned char *buf = lathe_cache_alloc(BUF_BYTES);
    lathe_cache_seal seal;
    int sealing = 0, rc = LATHE_CACHE_ERR_IO;
    if (in < 0 || fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode) || !buf)
        goto done;
    if (lathe_cache_entry_create(c, final, tmp, &fd) != LATHE_CACHE_OK)
        goto done;
    lathe_cache_header h = { .format = LATHE_CACHE_FORMAT, .kind = LATHE_CACHE_KIND_FILE,
                             .lathe_version = lathe_cache_lathe_version(),
                             .payload_bytes = (uint64_t)sb.st_size, .key = key };
    lathe_cache_header_encode(&h, head);
    if (lathe_cache_seal_begin(c, &seal) != LATHE_CACHE_OK)
        goto done;
    sealing = 1;
    int ok = lathe_cache_write_full(fd, head, sizeof head) == LATHE_CACHE_OK;
    uint64_t done = 0;
    while (ok && done < h.payload_bytes) {
        uint64_t left = h.payload_bytes - done;
        size_t n = left < BUF_BYTES ? (size_t)left : BUF_BYTES;
        ok = lathe_cache_pread_full(in, buf, n, done) == LATHE_CACHE_OK &&
             lathe_cache_write_full(fd, buf, n) == LATHE_CACHE_OK;
        lathe_cache_seal_update(&seal, buf, n);
        done += n;
    }
    sealing = 0;
    lathe_cache_put_le64(trail, lathe_cache_seal_finish(&seal, head));
    if (!ok || lathe_cache_write_full(fd, trail, sizeof trail) != LATHE_CACHE_OK) {
        lathe_cache_note(c, "cache: cannot store '%s': %s", path, strerror(errno));
        goto done;
    }
    rc = lathe_cache_entry_publish(c, fd, tmp, final, 0);
    fd = -1; /* closed by publish */
    if (rc == LATHE_CACHE_OK) {
        LATHE_CACHE_COUNT(c, bytes_written, sizeof head + h.payload_bytes + sizeof trail);
        lathe_cache_remote_push(c, key, LATHE_CACHE_KIND_FILE);
    }
    rc = rc < 0 ? rc : LATHE_CACHE_OK;
done:
    if (sealing)
        lathe_cache_seal_abort(&seal);
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (in >= 0)
        close(in);
    lathe_cache_dealloc(buf);
    return rc;
}

int lathe_cache_get_file(lathe_cache *c, lathe_key key, int out_fd)
{
    char path[LATHE_CACHE_PATH_MAX];
    unsigned char head[LATHE_CACHE_HEADER_SIZE], trail[LATHE_CACHE_TRAILER_SIZE];
    lathe_cache_header h;
    lathe_cache_seal seal;
    int fd;
    if (lathe_cache_entry_open(c, key, LATHE_CACHE_KIND_FILE, &fd, &h, path) != LATHE_CACHE_OK) {
        LATHE_CACHE_COUNT(c, misses, 1);
        return LATHE_CACHE_MISS;
    }
    unsigned char *buf = lathe_cache_alloc(BUF_BYTES);
    if (!buf || lathe_cache_seal_begin(c, &seal) != LATHE_CACHE_OK) {
        lathe_cache_dealloc(buf);
        close(fd);
        return LATHE_CACHE_ERR_NOMEM;
    }
    int rc = LATHE_CACHE_OK;
    for (uint64_t done = 0; rc == LATHE_CACHE_OK && done < h.payload_bytes;) {
        uint64_t left = h.payload_bytes - done;
        size_t n = left < BUF_BYTES ? (size_t)left : BUF_BYTES;
        rc = lathe_cache_pread_full(fd, buf, n, LATHE_CACHE_HEADER_SIZE + done);
        if (rc == LATHE_CACHE_OK && out_fd >= 0)
            rc = lathe_cache_write_full(out_fd, buf, n) == LATHE_CACHE_OK ? LATHE_CACHE_OK
                                                                         : LATHE_CACHE_ERR_IO;
        lathe_cache_seal_update(&seal, buf, n);
        done += n;
    }
    if (rc == LATHE_CACHE_OK)
        rc = lathe_cache_pread_full(fd, trail, sizeof trail,
                                    LATHE_CACHE_HEADER_SIZE + h.payload_bytes);
    lathe_cache_header_encode(&h, head); /* bytes 0..63 as read: every field was decoded */
    uint64_t sealed = lathe_cache_seal_finish(&seal, head);
    lathe_cache_dealloc(buf);
    if (rc == LATHE_CACHE_MISS || (rc == LATHE_CACHE_OK && lathe_cache_get_le64(trail) != sealed)) {
        lathe_cache_entry_corrupt(c, fd, path, rc == LATHE_CACHE_MISS ? "truncated"
                                  : lathe_cache_keyed(c) ? "not sealed with this cache's key"
                                                         : "checksum mismatch");
        LATHE_CACHE_COUNT(c, misses, 1);
        return LATHE_CACHE_MISS;
    }
    if (rc != LATHE_CACHE_OK) { /* our side failed to write: the entry is fine */
        close(fd);
        return LATHE_CACHE_ERR_IO;
    }
    futimens(fd, NULL); /* LRU: a hit makes the entry young again */
    close(fd);
    LATHE_CACHE_COUNT(c, hits, 1);
    LATHE_CACHE_COUNT(c, bytes_read, h.payload_bytes);
    return LATHE_CACHE_OK;
}
