/* cache_blob.c - small entries: analysis results (blobs), output records and memoised source
 * keys. All go through the same header + payload + checksum discipline as audio entries; each
 * kind has its own file suffix, so one key may carry an audio entry and a blob side by side. */
#define _POSIX_C_SOURCE 200809L
#include "cache_int.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_FIXED 32 /* key lo, key hi, size, mtime_ns */
#define MEMO_MIN_AGE_NS INT64_C(2000000000)

int lathe_cache_put_blob(lathe_cache *c, lathe_key key, const void *data, size_t size)
{
    if (size > LATHE_CACHE_BLOB_MAX)
        return LATHE_CACHE_ERR_PARAM;
    return lathe_cache_small_put(c, LATHE_CACHE_KIND_BLOB, key, data, size);
}

int lathe_cache_get_blob(lathe_cache *c, lathe_key key, void *buf, size_t cap, size_t *len)
{
    int rc = lathe_cache_small_get(c, LATHE_CACHE_KIND_BLOB, key, buf, cap, len);
    if (rc == LATHE_CACHE_OK) {
        LATHE_CACHE_COUNT(c, hits, 1);
        LATHE_CACHE_COUNT(c, bytes_read, *len);
    } else if (rc == LATHE_CACHE_MISS) {
        LATHE_CACHE_COUNT(c, misses, 1);
    }
    return rc;
}

int lathe_cache_put_note(lathe_cache *c, lathe_key key, const void *data, size_t size)
{
    if (size > LATHE_CACHE_BLOB_MAX)
        return LATHE_CACHE_ERR_PARAM;
    return lathe_cache_small_put(c, LATHE_CACHE_KIND_NOTE, key, data, size);
}

/* Notes are bookkeeping, not results: not counted as hits or misses. */
int lathe_cache_get_note(lathe_cache *c, lathe_key key, void *buf, size_t cap, size_t *len)
{
    return lathe_cache_small_get(c, LATHE_CACHE_KIND_NOTE, key, buf, cap, len);
}

static lathe_key record_key(const char *abs_path)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_str(&b, "lathe output record");
    lathe_key_builder_add_str(&b, abs_path);
    return lathe_key_builder_finish(&b);
}

int lathe_cache_put_output_record(lathe_cache *c, const char *abs_path, lathe_key key,
                                  uint64_t file_size, int64_t mtime_ns)
{
    unsigned char rec[RECORD_FIXED + LATHE_CACHE_PATH_MAX];
    size_t plen = strlen(abs_path);
    if (plen > LATHE_CACHE_PATH_MAX)
        return LATHE_CACHE_ERR_PARAM;
    lathe_cache_put_le64(rec, key.lo);
    lathe_cache_put_le64(rec + 8, key.hi);
    lathe_cache_put_le64(rec + 16, file_size);
    lathe_cache_put_le64(rec + 24, (uint64_t)mtime_ns);
    /* The path itself is stored so that a collision of path hashes is a miss, not a lie. */
    memcpy(rec + RECORD_FIXED, abs_path, plen);
    return lathe_cache_small_put(c, LATHE_CACHE_KIND_OUTPUT, record_key(abs_path), rec,
                                 RECORD_FIXED + plen);
}

int lathe_cache_get_output_record(lathe_cache *c, const char *abs_path, lathe_key *key,
                                  uint64_t *file_size, int64_t *mtime_ns)
{
    unsigned char rec[RECORD_FIXED + LATHE_CACHE_PATH_MAX];
    size_t len, plen = strlen(abs_path);
    int rc = lathe_cache_small_get(c, LATHE_CACHE_KIND_OUTPUT, record_key(abs_path), rec,
                                   sizeof rec, &len);
    if (rc != LATHE_CACHE_OK || len != RECORD_FIXED + plen ||
        memcmp(rec + RECORD_FIXED, abs_path, plen) != 0)
        return LATHE_CACHE_MISS;
    key->lo = lathe_cache_get_le64(rec);
    key->hi = lathe_cache_get_le64(rec + 8);
    *file_size = lathe_cache_get_le64(rec + 16);
    *mtime_ns = (int64_t)lathe_cache_get_le64(rec + 24);
    return LATHE_CACHE_OK;
}

static lathe_key memo_key(const char *path, const lathe_file_id *id)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_str(&b, "lathe file key memo");
    lathe_key_builder_add_str(&b, path);
    lathe_key_builder_add_u64(&b, id->dev);
    lathe_key_builder_add_u64(&b, id->ino);
    lathe_key_builder_add_u64(&b, id->size);
    lathe_key_builder_add_i64(&b, id->mtime_ns);
    lathe_key_builder_add_i64(&b, id->ctime_ns);
    return lathe_key_builder_finish(&b);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put_memo(lathe_cache *c, const char *path, const lathe_file_id *id,
                     const lathe_key *key)
{
    unsigned char rec[16];
    lathe_cache_put_le64(rec, key->lo);
    lathe_cache_put_le64(rec + 8, key->hi);
    lathe_cache_small_put(c, LATHE_CACHE_KIND_FILEKEY, memo_key(path, id), rec, sizeof rec);
}

/* Hashes the file; keeps the result as the memo of its identity when the file is old enough. */
static int key_and_memo(lathe_cache *c, const char *path, lathe_key *out)
{
    lathe_file_id id;
    int rc = lathe_key_file(path, out, &id);
    if (rc != LATHE_CACHE_OK)
        return rc;
    /* A file changed within the last ticks could change again without its times moving. */
    int64_t changed = id.ctime_ns > id.mtime_ns ? id.ctime_ns : id.mtime_ns;
    if (now_ns() - changed >= MEMO_MIN_AGE_NS)
        put_memo(c, path, &id, out);
    return LATHE_CACHE_OK;
}

int lathe_cache_file_key_written(lathe_cache *c, const char *path, lathe_key *out,
                                 lathe_file_id *id)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC), sealed = 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        /* one nanosecond (one of the filesystem's ticks, once it truncates) before its own */
        struct timespec t[2] = {{0, UTIME_OMIT}, st.st_mtim};
        if (t[1].tv_nsec > 0) {
            t[1].tv_nsec--;
        } else {
            t[1].tv_sec--;
            t[1].tv_nsec = 999999999L;
        }
        sealed = futimens(fd, t) == 0 && fstat(fd, &st) == 0;
    }
    int rc = lathe_key_file(path, out, id);
    if (fd >= 0)
        close(fd);
    if (rc != LATHE_CACHE_OK)
        return rc;
    /* hashed after the stamp, and still stamped after the hash: any write in between, or
     * later, sets the mtime to the clock, which is past the stamp */
    if (sealed && id->dev == (uint64_t)st.st_dev && id->ino == (uint64_t)st.st_ino &&
        id->mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec &&
        id->ctime_ns == (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec)
        put_memo(c, path, id, out);
    return LATHE_CACHE_OK;
}

int lathe_cache_file_key(lathe_cache *c, const char *path, lathe_key *out)
{
    lathe_file_id id;
    unsigned char rec[16];
    size_t len;
    if (lathe_file_id_of(path, &id) == LATHE_CACHE_OK) {
        if (lathe_cache_small_get(c, LATHE_CACHE_KIND_FILEKEY, memo_key(path, &id), rec,
                                  sizeof rec, &len) == LATHE_CACHE_OK && len == sizeof rec) {
            out->lo = lathe_cache_get_le64(rec);
            out->hi = lathe_cache_get_le64(rec + 8);
            return LATHE_CACHE_OK;
        }
    }
    return key_and_memo(c, path, out);
}

