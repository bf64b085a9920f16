/* cache_entry.c - one entry's life cycle: header coding, temp file, publish by rename, open and
 * check, and what happens to a bad entry. Shared by audio entries and small entries. */
#define _POSIX_C_SOURCE 200809L
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static const unsigned char magic[8] = { 'L', 'A', 'T', 'H', 'E', 'C', 'E', '\n' };

void lathe_cache_put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t lathe_cache_get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int lathe_cache_host_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

void lathe_cache_swap32(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++, b += 4) {
        unsigned char t0 = b[0], t1 = b[1];
        b[0] = b[3];
        b[1] = b[2];
        b[2] = t1;
        b[3] = t0;
    }
}

uint32_t lathe_cache_lathe_version(void)
{
#ifdef LATHE_VERSION_STRING
    unsigned a = 0, b = 0, v = 0;
    if (sscanf(LATHE_VERSION_STRING, "%u.%u.%u", &a, &b, &v) >= 1)
        return a * 10000u + b * 100u + v;
#endif
    return 0; /* informational only: the key, not this field, decides a hit */
}

uint64_t lathe_cache_checksum(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

void lathe_cache_header_encode(const lathe_cache_header *h, unsigned char out[72])
{
    memcpy(out, magic, 8);
    put_le32(out + 8, h->format);
    put_le32(out + 12, h->kind);
    put_le32(out + 16, h->lathe_version);
    put_le32(out + 20, h->node_version);
    put_le32(out + 24, h->rate);
    put_le32(out + 28, h->channels);
    lathe_cache_put_le64(out + 32, h->frames);
    lathe_cache_put_le64(out + 40, h->payload_bytes);
    lathe_cache_put_le64(out + 48, h->key.lo);
    lathe_cache_put_le64(out + 56, h->key.hi);
    lathe_cache_put_le64(out + 64, XXH3_64bits(out, 64));
}

const char *lathe_cache_header_decode(const unsigned char in[72], lathe_cache_header *h)
{
    if (memcmp(in, magic, 8) != 0)
        return "bad magic";
    if (lathe_cache_get_le64(in + 64) != XXH3_64bits(in, 64))
        return "header checksum mismatch";
    h->format = get_le32(in + 8);
    h->kind = get_le32(in + 12);
    h->lathe_version = get_le32(in + 16);
    h->node_version = get_le32(in + 20);
    h->rate = get_le32(in + 24);
    h->channels = get_le32(in + 28);
    h->frames = lathe_cache_get_le64(in + 32);
    h->payload_bytes = lathe_cache_get_le64(in + 40);
    h->key.lo = lathe_cache_get_le64(in + 48);
    h->key.hi = lathe_cache_get_le64(in + 56);
    if (h->format != LATHE_CACHE_FORMAT)
        return "cache format version mismatch";
    return NULL;
}

void lathe_cache_entry_path(const lathe_cache *c, lathe_key key, int kind, int dir_only,
                            char out[LATHE_CACHE_PATH_MAX])
{
    char hex[33];
    lathe_key_to_hex(key, hex);
    if (dir_only)
        snprintf(out, LATHE_CACHE_PATH_MAX, "%s/" LATHE_CACHE_VDIR "/%.2s", c->dir, hex);
    else
        snprintf(out, LATHE_CACHE_PATH_MAX, "%s/" LATHE_CACHE_VDIR "/%.2s/%s.%c", c->dir, hex, hex,
                 kind);
}

void lathe_cache_note(lathe_cache *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&c->lock);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    pthread_mutex_unlock(&c->lock);
    va_end(ap);
}

uint64_t lathe_cache_random(lathe_cache *c)
{
    /* splitmix64: temp names only need to differ between concurrent writers. */
    uint64_t z = atomic_fetch_add(&c->rng, UINT64_C(0x9e3779b97f4a7c15)) +
                 UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int open_temp(lathe_cache *c, const char *final, char tmp[LATHE_CACHE_PATH_MAX])
{
    snprintf(tmp, LATHE_CACHE_PATH_MAX, "%s.tmp.%ld.%016llx", final, (long)getpid(),
             (unsigned long long)lathe_cache_random(c));
    return open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
}

int lathe_cache_entry_create(lathe_cache *c, const char *final, char tmp[LATHE_CACHE_PATH_MAX],
                             int *fd)
{
    char dir[LATHE_CACHE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", final);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    /* A concurrent `cache clear` may remove the folders between our mkdir and open: retry. */
    for (int attempt = 0; attempt < 4; attempt++) {
        int f = open_temp(c, final, tmp);
        if (f >= 0) {
            *fd = f;
            return LATHE_CACHE_OK;
        }
        if (errno == ENOENT) {
            char vdir[LATHE_CACHE_PATH_MAX];
            snprintf(vdir, sizeof vdir, "%s/" LATHE_CACHE_VDIR, c->dir);
            mkdir(c->dir, 0777);
            mkdir(vdir, 0777);
            mkdir(dir, 0777);
        } else if (errno != EEXIST && errno != EINTR) {
            break;
        }
    }
    lathe_cache_note(c, "cache: cannot create an entry in '%s': %s", dir, strerror(errno));
    return LATHE_CACHE_ERR_IO;
}

int lathe_cache_entry_publish(lathe_cache *c, int fd, const char *tmp, const char *final,
                              int replace)
{
    int ok = 1;
    if (c->fsync && fsync(fd) != 0)
        ok = 0;
    if (close(fd) != 0)
        ok = 0;
    /* Entries of one key are identical by construction, so an existing one is kept: readers on
     * other NFS clients then never see the file they hold replaced (ESTALE). Otherwise rename()
     * publishes atomically: a reader sees no file or a complete one. */
    if (ok && !replace && access(final, F_OK) == 0) {
        unlink(tmp);
        return LATHE_CACHE_MISS; /* not an error: the key is present */
    }
    if (ok && rename(tmp, final) == 0)
        return LATHE_CACHE_OK;
    lathe_cache_note(c, "cache: cannot write '%s': %s", final, strerror(errno));
    unlink(tmp);
    return LATHE_CACHE_ERR_IO;
}

int lathe_cache_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LATHE_CACHE_ERR_IO;
        if (r == 0)
            return LATHE_CACHE_MISS;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return LATHE_CACHE_OK;
}

int lathe_cache_write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LATHE_CACHE_ERR_IO;
        p += r;
        n -= (size_t)r;
    }
    return LATHE_CACHE_OK;
}

void lathe_cache_entry_corrupt(lathe_cache *c, int fd, const char *path, const char *why)
{
    struct stat open_st, path_st;
    int same = fstat(fd, &open_st) == 0 && stat(path, &path_st) == 0 &&
               open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino;
    if (same)
        unlink(path);
    close(fd);
    LATHE_CACHE_COUNT(c, corrupt, 1);
    lathe_cache_note(c, "cache: bad entry '%s' (%s) removed, recomputing", path, why);
}

/* Header consistency beyond decoding: the entry is what was asked for and its sizes add up. */
static const char *check_header(const lathe_cache_header *h, lathe_key key, int kind,
                                uint64_t file_size)
{
    if (h->kind != (uint32_t)kind)
        return "wrong entry kind";
    if (!lathe_key_equal(h->key, key))
        return "key mismatch";
    if (kind == LATHE_CACHE_KIND_AUDIO) {
        if (h->channels == 0 || h->channels > LATHE_CACHE_MAX_CHANNELS || h->rate == 0)
            return "bad stream format";
        if (h->frames > (UINT64_MAX / 4) / h->channels ||
            h->payload_bytes != h->frames * h->channels * 4)
            return "payload size does not match the format";
    } else if (kind != LATHE_CACHE_KIND_FILE &&
               h->payload_bytes > LATHE_CACHE_BLOB_MAX + LATHE_CACHE_PATH_MAX) {
        return "payload too large for a small entry";
    }
    if (h->payload_bytes > UINT64_MAX - 80 ||
        file_size != LATHE_CACHE_HEADER_SIZE + h->payload_bytes + LATHE_CACHE_TRAILER_SIZE)
        return "file length does not match the header";
    return NULL;
}

int lathe_cache_entry_open(lathe_cache *c, lathe_key key, int kind, int *fd,
                           lathe_cache_header *h, char path[LATHE_CACHE_PATH_MAX])
{
    lathe_cache_entry_path(c, key, kind, 0, path);
    int f = open(path, O_RDONLY);
    /* Only content-addressed entries are shared: a remote copy is checked below like ours. */
    if (f < 0 && errno == ENOENT && (kind == LATHE_CACHE_KIND_AUDIO || kind == LATHE_CACHE_KIND_BLOB
                                     || kind == LATHE_CACHE_KIND_FILE)
        && lathe_cache_remote_fetch(c, key, kind) == LATHE_CACHE_OK)
        f = open(path, O_RDONLY);
    if (f < 0)
        return LATHE_CACHE_MISS;
    struct stat sb;
    unsigned char raw[LATHE_CACHE_HEADER_SIZE];
    if (fstat(f, &sb) != 0) {
        close(f);
        return LATHE_CACHE_MISS;
    }
    int rc = lathe_cache_pread_full(f, raw, sizeof raw, 0);
    if (rc == LATHE_CACHE_ERR_IO) {
        /* A read error may be transient (network filesystem): miss, but keep the entry. */
        lathe_cache_note(c, "cache: cannot read '%s': %s", path, strerror(errno));
        close(f);
        return LATHE_CACHE_MISS;
    }
    const char *why = rc == LATHE_CACHE_MISS ? "shorter than a header"
                                             : lathe_cache_header_decode(raw, h);
    if (!why)
        why = check_header(h, key, kind, (uint64_t)sb.st_size);
    if (why) {
        lathe_cache_entry_corrupt(c, f, path, why);
        return LATHE_CACHE_MISS;
    }
    *fd = f;
    return LATHE_CACHE_OK;
}

int lathe_cache_small_put(lathe_cache *c, int kind, lathe_key key, const void *data, size_t n)
{
    char final[LATHE_CACHE_PATH_MAX], tmp[LATHE_CACHE_PATH_MAX];
    unsigned char head[LATHE_CACHE_HEADER_SIZE], trail[LATHE_CACHE_TRAILER_SIZE];
    lathe_cache_header h = { .format = LATHE_CACHE_FORMAT, .kind = (uint32_t)kind,
                             .lathe_version = lathe_cache_lathe_version(),
                             .payload_bytes = n, .key = key };
    int fd;
    if (n > LATHE_CACHE_BLOB_MAX + LATHE_CACHE_PATH_MAX)
        return LATHE_CACHE_ERR_PARAM;
    lathe_cache_entry_path(c, key, kind, 0, final);
    if (lathe_cache_entry_create(c, final, tmp, &fd) != LATHE_CACHE_OK)
        return LATHE_CACHE_ERR_IO;
    lathe_cache_header_encode(&h, head);
    lathe_cache_seal seal;
    if (lathe_cache_seal_begin(c, &seal) != LATHE_CACHE_OK) {
        close(fd);
        unlink(tmp);
        return LATHE_CACHE_ERR_NOMEM;
    }
    lathe_cache_seal_update(&seal, data, n);
    lathe_cache_put_le64(trail, lathe_cache_seal_finish(&seal, head));
    if (lathe_cache_write_full(fd, head, sizeof head) != LATHE_CACHE_OK ||
        lathe_cache_write_full(fd, data, n) != LATHE_CACHE_OK ||
        lathe_cache_write_full(fd, trail, sizeof trail) != LATHE_CACHE_OK) {
        lathe_cache_note(c, "cache: cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return LATHE_CACHE_ERR_IO;
    }
    int rc = lathe_cache_entry_publish(c, fd, tmp, final,
                                       kind == LATHE_CACHE_KIND_OUTPUT || kind == LATHE_CACHE_KIND_FILEKEY
                                           || kind == LATHE_CACHE_KIND_NOTE);
    if (rc == LATHE_CACHE_OK)
        LATHE_CACHE_COUNT(c, bytes_written, sizeof head + n + sizeof trail);
    if (rc == LATHE_CACHE_OK && kind == LATHE_CACHE_KIND_BLOB)
        lathe_cache_remote_push(c, key, kind);
    return rc < 0 ? rc : LATHE_CACHE_OK;
}

int lathe_cache_small_get(lathe_cache *c, int kind, lathe_key key, void *buf, size_t cap,
                          size_t *len)
{
    char path[LATHE_CACHE_PATH_MAX];
    lathe_cache_header h;
    unsigned char trail[LATHE_CACHE_TRAILER_SIZE];
    int fd;
    if (lathe_cache_entry_open(c, key, kind, &fd, &h, path) != LATHE_CACHE_OK)
        return LATHE_CACHE_MISS;
    if (h.payload_bytes > cap) {
        close(fd);
        *len = (size_t)h.payload_bytes;
        return LATHE_CACHE_ERR_PARAM;
    }
    size_t n = (size_t)h.payload_bytes;
    int rc = lathe_cache_pread_full(fd, buf, n, LATHE_CACHE_HEADER_SIZE);
    if (rc == LATHE_CACHE_OK)
        rc = lathe_cache_pread_full(fd, trail, sizeof trail, LATHE_CACHE_HEADER_SIZE + n);
    if (rc == LATHE_CACHE_ERR_IO) {
        close(fd);
        return LATHE_CACHE_MISS;
    }
    if (rc != LATHE_CACHE_OK) {
        lathe_cache_entry_corrupt(c, fd, path, "truncated");
        return LATHE_CACHE_MISS;
    }
    lathe_cache_seal seal;
    if (lathe_cache_seal_begin(c, &seal) != LATHE_CACHE_OK) {
        close(fd);
        return LATHE_CACHE_ERR_NOMEM;
    }
    unsigned char head[LATHE_CACHE_HEADER_SIZE];
    lathe_cache_header_encode(&h, head); /* bytes 0..63 as read: every field was decoded */
    lathe_cache_seal_update(&seal, buf, n);
    if (lathe_cache_get_le64(trail) != lathe_cache_seal_finish(&seal, head)) {
        lathe_cache_entry_corrupt(c, fd, path, lathe_cache_keyed(c)
                                                   ? "not sealed with this cache's key"
                                                   : "checksum mismatch");
        return LATHE_CACHE_MISS;
    }
    futimens(fd, NULL); /* LRU: a hit makes the entry young again */
    close(fd);
    *len = n;
    return LATHE_CACHE_OK;
}
