/* cache_audio.c - audio entries: a node's output stream as interleaved float32 little-endian
 * frames. Both directions stream through a fixed 256 KiB buffer, so memory stays bounded for
 * any length; the reader verifies the whole payload at open (one sequential pass, then served
 * from the page cache) so no byte of a bad entry ever reaches the caller. */
#define _POSIX_C_SOURCE 200809L
#include "cache_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define IO_BYTES (256u << 10)
#define IO_FLOATS (IO_BYTES / 4)

struct lathe_cache_writer {
    void *mem; /* the allocation this 64-byte aligned writer sits in */
    lathe_cache *c;
    int fd;
    int failed;
    lathe_cache_header h;
    lathe_cache_seal seal;
    size_t used; /* floats in buf */
    float buf[IO_FLOATS];
    char final[LATHE_CACHE_PATH_MAX];
    char tmp[LATHE_CACHE_PATH_MAX];
};

struct lathe_cache_reader {
    lathe_cache *c;       /* counts the bytes read */
    int fd;
    lathe_cache_format fmt;
    uint32_t node_version;
    uint64_t pos; /* frames */
    float buf[IO_FLOATS];
};

/* Whether fd is the file of key that this process verified or wrote (see cache_int.h). */
static int trusted(lathe_cache *c, lathe_key key, int fd)
{
    struct stat sb;
    int yes = 0;
    if (fstat(fd, &sb) != 0)
        return 0;
    pthread_mutex_lock(&c->lock);
    unsigned n = c->n_trusted < LATHE_CACHE_TRUSTED ? c->n_trusted : LATHE_CACHE_TRUSTED;
    for (unsigned i = 0; i < n && !yes; i++) {
        const lathe_cache_trusted *t = &c->trusted[i];
        yes = lathe_key_equal(t->key, key) && t->dev == (uint64_t)sb.st_dev &&
              t->ino == (uint64_t)sb.st_ino;
    }
    pthread_mutex_unlock(&c->lock);
    return yes;
}

static void trust(lathe_cache *c, lathe_key key, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return;
    pthread_mutex_lock(&c->lock);
    c->trusted[c->n_trusted++ % LATHE_CACHE_TRUSTED] =
        (lathe_cache_trusted){key, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino};
    pthread_mutex_unlock(&c->lock);
}

int lathe_cache_writer_begin(lathe_cache *c, lathe_key key, uint32_t rate, uint32_t channels,
                             uint32_t node_version, lathe_cache_writer **out)
{
    static const unsigned char zeros[LATHE_CACHE_HEADER_SIZE];
    if (channels == 0 || channels > LATHE_CACHE_MAX_CHANNELS || rate == 0)
        return LATHE_CACHE_ERR_FORMAT;
    /* the seal's XXH3 state wants 64-byte alignment, which the cache's allocator does not
     * promise */
    void *mem = lathe_cache_alloc(sizeof(lathe_cache_writer) + 63);
    if (!mem)
        return LATHE_CACHE_ERR_NOMEM;
    lathe_cache_writer *w = (void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    w->mem = mem;
    memset(&w->h, 0, sizeof w->h);
    w->c = c;
    w->failed = 0;
    w->used = 0;
    w->h.format = LATHE_CACHE_FORMAT;
    w->h.kind = LATHE_CACHE_KIND_AUDIO;
    w->h.lathe_version = lathe_cache_lathe_version();
    w->h.node_version = node_version;
    w->h.rate = rate;
    w->h.channels = channels;
    w->h.key = key;
    if (lathe_cache_seal_begin(c, &w->seal) != LATHE_CACHE_OK) {
        lathe_cache_dealloc(w->mem);
        return LATHE_CACHE_ERR_NOMEM;
    }
    lathe_cache_entry_path(c, key, LATHE_CACHE_KIND_AUDIO, 0, w->final);
    if (lathe_cache_entry_create(c, w->final, w->tmp, &w->fd) != LATHE_CACHE_OK) {
        lathe_cache_seal_abort(&w->seal);
        lathe_cache_dealloc(w->mem);
        return LATHE_CACHE_ERR_IO;
    }
    /* The header is rewritten at commit, once the length is known. */
    if (lathe_cache_write_full(w->fd, zeros, sizeof zeros) != LATHE_CACHE_OK) {
        lathe_cache_writer_abort(w);
        return LATHE_CACHE_ERR_IO;
    }
    *out = w;
    return LATHE_CACHE_OK;
}

static void flush(lathe_cache_writer *w)
{
    if (!w->used)
        return;
    if (!lathe_cache_host_le())
        lathe_cache_swap32(w->buf, w->used);
    lathe_cache_seal_update(&w->seal, w->buf, w->used * 4);
    if (!w->failed && lathe_cache_write_full(w->fd, w->buf, w->used * 4) != LATHE_CACHE_OK) {
        lathe_cache_note(w->c, "cache: cannot write '%s': %s", w->tmp, strerror(errno));
        w->failed = 1;
    }
    w->used = 0;
}

static void interleave(float *restrict dst, const float *const *bufs, uint32_t ch, uint32_t off,
                       uint32_t n)
{
    if (ch == 2) {
        const float *restrict l = bufs[0] + off, *restrict r = bufs[1] + off;
        for (uint32_t i = 0; i < n; i++) {
            dst[2 * i] = l[i];
            dst[2 * i + 1] = r[i];
        }
        return;
    }
    for (uint32_t c = 0; c < ch; c++) {
        const float *restrict src = bufs[c] + off;
        for (uint32_t i = 0; i < n; i++)
            dst[(size_t)i * ch + c] = src[i];
    }
}

int lathe_cache_writer_append(lathe_cache_writer *w, const float *const *bufs, uint32_t n_frames)
{
    uint32_t ch = w->h.channels;
    uint32_t cap_frames = IO_FLOATS / ch;
    uint32_t done = 0;
    while (done < n_frames) {
        uint32_t room = cap_frames - (uint32_t)(w->used / ch);
        uint32_t n = n_frames - done < room ? n_frames - done : room;
        interleave(w->buf + w->used, bufs, ch, done, n);
        w->used += (size_t)n * ch;
        done += n;
        if (w->used / ch == cap_frames)
            flush(w);
    }
    w->h.frames += n_frames;
    return w->failed ? LATHE_CACHE_ERR_IO : LATHE_CACHE_OK;
}

int lathe_cache_writer_commit(lathe_cache_writer *w)
{
    lathe_cache *c = w->c;
    unsigned char head[LATHE_CACHE_HEADER_SIZE], trail[LATHE_CACHE_TRAILER_SIZE];
    flush(w);
    w->h.payload_bytes = w->h.frames * w->h.channels * 4;
    lathe_cache_header_encode(&w->h, head);
    lathe_cache_put_le64(trail, lathe_cache_seal_finish(&w->seal, head));
    if (w->failed || lathe_cache_write_full(w->fd, trail, sizeof trail) != LATHE_CACHE_OK ||
        pwrite(w->fd, head, sizeof head, 0) != (ssize_t)sizeof head) {
        if (!w->failed)
            lathe_cache_note(c, "cache: cannot write '%s': %s", w->tmp, strerror(errno));
        lathe_cache_writer_abort(w);
        return LATHE_CACHE_ERR_IO;
    }
    lathe_key key = w->h.key;
    int fd = dup(w->fd); /* publish closes w->fd; the inode is the published entry's */
    int rc = lathe_cache_entry_publish(c, w->fd, w->tmp, w->final, 0);
    if (fd >= 0) {
        if (rc == LATHE_CACHE_OK)
            trust(c, key, fd);
        close(fd);
    }
    if (rc == LATHE_CACHE_OK)
        LATHE_CACHE_COUNT(c, bytes_written, sizeof head + w->h.payload_bytes + sizeof trail);
    lathe_cache_dealloc(w->mem);
    if (rc == LATHE_CACHE_OK)
        lathe_cache_remote_push(c, key, LATHE_CACHE_KIND_AUDIO);
    return rc < 0 ? rc : LATHE_CACHE_OK;
}

void lathe_cache_writer_abort(lathe_cache_writer *w)
{
    if (!w)
        return;
    close(w->fd);
    unlink(w->tmp);
    lathe_cache_seal_abort(&w->seal); /* a no-op once commit sealed it */
    lathe_cache_dealloc(w->mem);
}

/* Streams the payload through the seal (cache_seal.c) and compares with the trailer. */
static int verify_payload(lathe_cache_reader *r, const lathe_cache_header *h)
{
    lathe_cache_seal seal;
    if (lathe_cache_seal_begin(r->c, &seal) != LATHE_CACHE_OK)
        return LATHE_CACHE_ERR_NOMEM;
    uint64_t off = LATHE_CACHE_HEADER_SIZE, left = h->payload_bytes;
    while (left) {
        size_t n = left < IO_BYTES ? (size_t)left : IO_BYTES;
        int rc = lathe_cache_pread_full(r->fd, r->buf, n, off);
        if (rc != LATHE_CACHE_OK) {
            lathe_cache_seal_abort(&seal);
            return rc;
        }
        lathe_cache_seal_update(&seal, r->buf, n);
        LATHE_CACHE_COUNT(r->c, bytes_read, n);
        off += n;
        left -= n;
    }
    unsigned char trail[LATHE_CACHE_TRAILER_SIZE], head[LATHE_CACHE_HEADER_SIZE];
    lathe_cache_header_encode(h, head); /* bytes 0..63 as read: every field was decoded */
    uint64_t want = lathe_cache_seal_finish(&seal, head);
    int rc = lathe_cache_pread_full(r->fd, trail, sizeof trail, off);
    if (rc != LATHE_CACHE_OK)
        return rc;
    return lathe_cache_get_le64(trail) == want ? LATHE_CACHE_OK : LATHE_CACHE_MISS;
}

int lathe_cache_reader_open(lathe_cache *c, lathe_key key, lathe_cache_reader **out)
{
    char path[LATHE_CACHE_PATH_MAX];
    lathe_cache_header h;
    int fd;
    if (lathe_cache_entry_open(c, key, LATHE_CACHE_KIND_AUDIO, &fd, &h, path) != LATHE_CACHE_OK) {
        LATHE_CACHE_COUNT(c, misses, 1);
        return LATHE_CACHE_MISS;
    }
    lathe_cache_reader *r = lathe_cache_alloc(sizeof *r);
    if (!r) {
        close(fd);
        return LATHE_CACHE_ERR_NOMEM;
    }
    r->fd = fd;
    r->c = c;
    int rc = trusted(c, key, fd) ? LATHE_CACHE_OK : verify_payload(r, &h);
    if (rc == LATHE_CACHE_OK)
        trust(c, key, fd);
    if (rc != LATHE_CACHE_OK) {
        if (rc == LATHE_CACHE_MISS)
            lathe_cache_entry_corrupt(c, fd, path, lathe_cache_keyed(c)
                                                       ? "not sealed with this cache's key"
                                                       : "payload checksum mismatch");
        else
            close(fd); /* read error: maybe transient, keep the entry */
        lathe_cache_dealloc(r);
        LATHE_CACHE_COUNT(c, misses, 1);
        return LATHE_CACHE_MISS;
    }
    futimens(fd, NULL); /* LRU: a hit makes the entry young again (works on noatime mounts) */
    r->fmt.rate = h.rate;
    r->fmt.channels = h.channels;
    r->fmt.frames = h.frames;
    r->node_version = h.node_version;
    r->pos = 0;
    LATHE_CACHE_COUNT(c, hits, 1);
    *out = r;
    return LATHE_CACHE_OK;
}

const lathe_cache_format *lathe_cache_reader_format(const lathe_cache_reader *r)
{
    return &r->fmt;
}

uint32_t lathe_cache_reader_node_version(const lathe_cache_reader *r)
{
    return r->node_version;
}

static void deinterleave(float *const *bufs, const float *restrict src, uint32_t ch, uint32_t off,
                         uint32_t n)
{
    if (ch == 2) {
        float *restrict l = bufs[0] + off, *restrict r = bufs[1] + off;
        for (uint32_t i = 0; i < n; i++) {
            l[i] = src[2 * i];
            r[i] = src[2 * i + 1];
        }
        return;
    }
    for (uint32_t c = 0; c < ch; c++) {
        float *restrict dst = bufs[c] + off;
        for (uint32_t i = 0; i < n; i++)
            dst[i] = src[(size_t)i * ch + c];
    }
}

long lathe_cache_reader_read(lathe_cache_reader *r, float *const *bufs, uint32_t max)
{
    uint32_t ch = r->fmt.channels;
    uint64_t left = r->fmt.frames - r->pos;
    uint32_t want = left < max ? (uint32_t)left : max;
    if (want > (1u << 30)) /* the count must fit a long on 32-bit hosts too */
        want = 1u << 30;
    uint32_t done = 0;
    while (done < want) {
        uint32_t n = want - done;
        if (n > IO_FLOATS / ch)
            n = IO_FLOATS / ch;
        uint64_t off = LATHE_CACHE_HEADER_SIZE + (r->pos + done) * ch * 4;
        if (lathe_cache_pread_full(r->fd, r->buf, (size_t)n * ch * 4, off) != LATHE_CACHE_OK)
            return LATHE_CACHE_ERR_IO;
        if (!lathe_cache_host_le())
            lathe_cache_swap32(r->buf, (size_t)n * ch);
        deinterleave(bufs, r->buf, ch, done, n);
        LATHE_CACHE_COUNT(r->c, bytes_read, (size_t)n * ch * 4);
        done += n;
    }
    r->pos += done;
    return (long)done;
}

int lathe_cache_reader_seek(lathe_cache_reader *r, uint64_t frame)
{
    if (frame > r->fmt.frames)
        return LATHE_CACHE_ERR_PARAM;
    r->pos = frame;
    return LATHE_CACHE_OK;
}

void lathe_cache_reader_free(lathe_cache_reader *r)
{
    if (!r)
        return;
    close(r->fd);
    lathe_cache_dealloc(r);
}
