/* cache_key.c - canonical key builder over XXH3-128, key text form, file-content keys. */
#define _POSIX_C_SOURCE 200809L
#include "cache_key.h"
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

_Static_assert(sizeof(XXH3_state_t) <= sizeof(((lathe_key_builder *)0)->state),
               "lathe_key_builder too small for XXH3_state_t");
_Static_assert(_Alignof(XXH3_state_t) <= 64, "lathe_key_builder under-aligned");

/* Type tags: part of the canonical string so values of different types never alias. */
enum { TAG_FORMAT = 'F', TAG_U32 = 'u', TAG_U64 = 'U', TAG_I64 = 'I', TAG_F64 = 'd',
       TAG_STR = 's', TAG_NULL = 'n', TAG_BYTES = 'b', TAG_KEY = 'k' };

#define FILE_CHUNK (1u << 20)

static XXH3_state_t *st(lathe_key_builder *b)
{
    return (XXH3_state_t *)(void *)b->state;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void feed_tagged(lathe_key_builder *b, int tag, uint64_t v, int nbytes)
{
    unsigned char buf[9];
    buf[0] = (unsigned char)tag;
    put_le64(buf + 1, v);
    XXH3_128bits_update(st(b), buf, (size_t)(1 + nbytes));
}

void lathe_key_builder_init(lathe_key_builder *b)
{
    memset(b, 0, sizeof *b);
    XXH3_128bits_reset(st(b));
    feed_tagged(b, TAG_FORMAT, LATHE_CACHE_FORMAT, 4);
}

void lathe_key_builder_add_u32(lathe_key_builder *b, uint32_t v)
{
    feed_tagged(b, TAG_U32, v, 4);
}

void lathe_key_builder_add_u64(lathe_key_builder *b, uint64_t v)
{
    feed_tagged(b, TAG_U64, v, 8);
}

void lathe_key_builder_add_i64(lathe_key_builder *b, int64_t v)
{
    feed_tagged(b, TAG_I64, (uint64_t)v, 8);
}

void lathe_key_builder_add_f64(lathe_key_builder *b, double v)
{
    uint64_t bits;
    if (isnan(v))
        bits = UINT64_C(0x7ff8000000000000);
    else
        memcpy(&bits, &v, sizeof bits);
    feed_tagged(b, TAG_F64, bits, 8);
}

static void add_tagged_bytes(lathe_key_builder *b, int tag, const void *p, size_t n)
{
    feed_tagged(b, tag, (uint64_t)n, 8);
    if (n)
        XXH3_128bits_update(st(b), p, n);
}

void lathe_key_builder_add_str(lathe_key_builder *b, const char *s)
{
    if (!s) {
        feed_tagged(b, TAG_NULL, 0, 0);
        return;
    }
    add_tagged_bytes(b, TAG_STR, s, strlen(s));
}

void lathe_key_builder_add_bytes(lathe_key_builder *b, const void *p, size_t n)
{
    add_tagged_bytes(b, TAG_BYTES, p, n);
}

void lathe_key_builder_add_key(lathe_key_builder *b, lathe_key k)
{
    unsigned char buf[17];
    buf[0] = TAG_KEY;
    put_le64(buf + 1, k.lo);
    put_le64(buf + 9, k.hi);
    XXH3_128bits_update(st(b), buf, sizeof buf);
}

lathe_key lathe_key_builder_finish(const lathe_key_builder *b)
{
    XXH128_hash_t h = XXH3_128bits_digest((const XXH3_state_t *)(const void *)b->state);
    lathe_key k = { h.low64, h.high64 };
    return k;
}

void lathe_key_to_hex(lathe_key k, char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[i] = digits[(k.hi >> (60 - 4 * i)) & 15];
        out[16 + i] = digits[(k.lo >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int lathe_key_from_hex(const char *hex, lathe_key *out)
{
    uint64_t w[2] = { 0, 0 };
    for (int i = 0; i < 32; i++) {
        int d = hex_digit(hex[i]);
        if (d < 0)
            return LATHE_CACHE_ERR_PARAM;
        w[i / 16] = (w[i / 16] << 4) | (uint64_t)d;
    }
    if (hex[32] != '\0')
        return LATHE_CACHE_ERR_PARAM;
    out->hi = w[0];
    out->lo = w[1];
    return LATHE_CACHE_OK;
}

int lathe_key_equal(lathe_key a, lathe_key b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

static void file_id_from_stat(const struct stat *sb, lathe_file_id *id)
{
    id->dev = (uint64_t)sb->st_dev;
    id->ino = (uint64_t)sb->st_ino;
    id->size = (uint64_t)sb->st_size;
    id->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + (int64_t)sb->st_mtim.tv_nsec;
    id->ctime_ns = (int64_t)sb->st_ctim.tv_sec * 1000000000 + (int64_t)sb->st_ctim.tv_nsec;
}

int lathe_file_id_of(const char *path, lathe_file_id *id)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return LATHE_CACHE_ERR_IO;
    file_id_from_stat(&sb, id);
    return LATHE_CACHE_OK;
}

/* Hashes fd to the end; LATHE_CACHE_OK or LATHE_CACHE_ERR_IO / LATHE_CACHE_ERR_NOMEM. */
static int hash_fd(int fd, XXH3_state_t *s)
{
    unsigned char *buf = lathe_cache_alloc(FILE_CHUNK);
    if (!buf)
        return LATHE_CACHE_ERR_NOMEM;
    int rc = LATHE_CACHE_OK;
    for (;;) {
        ssize_t n = read(fd, buf, FILE_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = LATHE_CACHE_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(s, buf, (size_t)n);
    }
    lathe_cache_dealloc(buf);
    return rc;
}

int lathe_key_file(const char *path, lathe_key *out, lathe_file_id *id)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return LATHE_CACHE_ERR_IO;
    struct stat before, after;
    XXH3_state_t s;
    XXH3_128bits_reset(&s);
    int rc = fstat(fd, &before) == 0 ? hash_fd(fd, &s) : LATHE_CACHE_ERR_IO;
    if (rc == LATHE_CACHE_OK && fstat(fd, &after) != 0)
        rc = LATHE_CACHE_ERR_IO;
    /* A file rewritten while we read it has no well-defined key. */
    if (rc == LATHE_CACHE_OK && (before.st_size != after.st_size ||
                           before.st_mtim.tv_sec != after.st_mtim.tv_sec ||
                           before.st_mtim.tv_nsec != after.st_mtim.tv_nsec ||
                           before.st_ctim.tv_sec != after.st_ctim.tv_sec ||
                           before.st_ctim.tv_nsec != after.st_ctim.tv_nsec)) {
        errno = EAGAIN;
        rc = LATHE_CACHE_ERR_IO;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    if (rc != LATHE_CACHE_OK)
        return rc;
    XXH128_hash_t h = XXH3_128bits_digest(&s);
    out->lo = h.low64;
    out->hi = h.high64;
    if (id)
        file_id_from_stat(&before, id);
    return LATHE_CACHE_OK;
}
