/* sfio.c - buffered virtual I/O for libsndfile's readers (see sfio.h). */
#define _POSIX_C_SOURCE 200809L
#include "sfio.h"

#include "lathe/lathe_node.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_BYTES (256 * 1024)

struct lathe_sfio {
    int fd;
    sf_count_t size, pos;       /* file length; libsndfile's position */
    sf_count_t buf_off, buf_len; /* the file bytes [buf_off, buf_off + buf_len) are in buf */
    unsigned char *buf;
};

lathe_sfio *lathe_sfio_open(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    lathe_sfio *io = lathe_calloc(1, sizeof *io);
    if (!io || fstat(fd, &st) != 0 || !(io->buf = lathe_alloc(BUF_BYTES))) {
        int e = io ? errno : ENOMEM;
        if (io)
            lathe_dealloc(io);
        close(fd);
        errno = e;
        return NULL;
    }
    io->fd = fd;
    io->size = (sf_count_t)st.st_size;
    return io;
}

static sf_count_t vio_length(void *user)
{
    return ((lathe_sfio *)user)->size;
}

static sf_count_t vio_seek(sf_count_t offset, int whence, void *user)
{
    lathe_sfio *io = user;
    sf_count_t base = whence == SEEK_CUR ? io->pos : whence == SEEK_END ? io->size : 0;
    if (base + offset < 0)
        return -1;
    io->pos = base + offset;
    return io->pos;
}

/* pread until n bytes or the end of the file; the bytes read, -1 on an error. */
static sf_count_t read_at(int fd, void *dst, sf_count_t n, sf_count_t off)
{
    sf_count_t done = 0;
    while (done < n) {
        ssize_t got = pread(fd, (char *)dst + done, (size_t)(n - done), (off_t)(off + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return done ? done : -1;
        if (got == 0)
            break;
        done += got;
    }
    return done;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    lathe_sfio *io = user;
    unsigned char *dst = ptr;
    sf_count_t done = 0;
    while (done < count && io->pos < io->size) {
        if (io->pos >= io->buf_off && io->pos < io->buf_off + io->buf_len) {
            sf_count_t k = io->buf_off + io->buf_len - io->pos;
            k = k < count - done ? k : count - done;
            memcpy(dst + done, io->buf + (io->pos - io->buf_off), (size_t)k);
            done += k;
            io->pos += k;
        } else if (count - done >= BUF_BYTES) { /* a large read skips the buffer */
            sf_count_t got = read_at(io->fd, dst + done, count - done, io->pos);
            if (got <= 0)
                break;
            done += got;
            io->pos += got;
        } else {
            sf_count_t got = read_at(io->fd, io->buf, BUF_BYTES, io->pos);
            if (got <= 0)
                break;
            io->buf_off = io->pos;
            io->buf_len = got;
        }
    }
    return done;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr, (void)count, (void)user;
    return 0; /* read-only */
}

static sf_count_t vio_tell(void *user)
{
    return ((lathe_sfio *)user)->pos;
}

SNDFILE *lathe_sfio_sndfile(lathe_sfio *io, SF_INFO *info)
{
    static SF_VIRTUAL_IO vio = {vio_length, vio_seek, vio_read, vio_write, vio_tell};
    return sf_open_virtual(&vio, SFM_READ, info, io);
}

void lathe_sfio_free(lathe_sfio *io)
{
    if (!io)
        return;
    close(io->fd);
    lathe_dealloc(io->buf);
    lathe_dealloc(io);
}
