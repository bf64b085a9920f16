/* cache_int.h - internals shared by the cache's files: the cache object, the entry header and
 * the entry life cycle (temp file, publish, open-and-check, corrupt handling). Not installed. */
#ifndef LATHE_CACHE_INT_H
#define LATHE_CACHE_INT_H

#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t by value in the seal */
#endif
#include <xxhash.h>

/* The allocator set by lathe_cache_use_allocator (cache_alloc.c). */
void *lathe_cache_alloc(size_t n);
void *lathe_cache_calloc(size_t count, size_t size);
void *lathe_cache_realloc(void *p, size_t n);
void lathe_cache_dealloc(void *p);

#define LATHE_CACHE_PATH_MAX 4096
#define LATHE_CACHE_DIR_MAX 3900 /* leaves room for /v1/ab/<34 chars>.tmp.<pid>.<16 hex> */
#define LATHE_CACHE_VDIR "v1"    /* folder of LATHE_CACHE_FORMAT entries */
#define LATHE_CACHE_HEADER_SIZE 72
#define LATHE_CACHE_TRAILER_SIZE 8
#define LATHE_CACHE_NAME_LEN 34 /* 32 hex digits, '.', kind */

/* Entry kinds: the last character of the file name and a header field. */
enum {
    LATHE_CACHE_KIND_AUDIO = 'a',
    LATHE_CACHE_KIND_BLOB = 'b',
    LATHE_CACHE_KIND_OUTPUT = 'o',
    LATHE_CACHE_KIND_FILEKEY = 'f',
    LATHE_CACHE_KIND_NOTE = 'n',
    LATHE_CACHE_KIND_FILE = 'd' /* a deliverable's bytes (cache_file.c) */
};

/* Audio entries this process verified or wrote itself, by key and inode: one run reads a
 * branch point or a barrier input several times and need not checksum it every time. Entries
 * are never changed in place (a rewrite is a rename, a new inode), so the proof holds. */
#define LATHE_CACHE_TRUSTED 64
typedef struct lathe_cache_trusted {
    lathe_key key;
    uint64_t dev, ino;
} lathe_cache_trusted;

/* The engine may call the cache from several threads: counters are atomic, the message and the
 * trusted list are behind a mutex (in-process only; processes never lock each other). */
struct lathe_cache {
    char dir[LATHE_CACHE_DIR_MAX];
    uint64_t cap;
    int fsync;
    _Atomic uint64_t rng;
    _Atomic uint64_t hits, misses, corrupt, bytes_read, bytes_written;
    pthread_mutex_t lock;
    char msg[LATHE_CACHE_PATH_MAX + 256];
    lathe_cache_trusted trusted[LATHE_CACHE_TRUSTED];
    unsigned n_trusted; /* ever added; the list keeps the last LATHE_CACHE_TRUSTED */
    struct lathe_cache_remote *remote; /* NULL: local only (cache_remote.c) */
    unsigned char mac_key[256];        /* lathe_cache_set_key: entries sealed by a MAC */
    size_t mac_key_len;                /* 0: sealed by a checksum */
};

#define LATHE_CACHE_KEY_MIN 16

/* An entry's trailer in the making (cache_seal.c): XXH3-64 of the payload, or with a key
 * HMAC-SHA256(key, payload || header bytes 0..63) cut to 8 bytes. begin: LATHE_CACHE_OK or
 * LATHE_CACHE_ERR_NOMEM; finish (or abort) releases it. */
typedef struct lathe_cache_seal {
    XXH3_state_t xs;
    struct evp_mac_ctx_st *mac;
} lathe_cache_seal;
int lathe_cache_seal_begin(const lathe_cache *c, lathe_cache_seal *s);
void lathe_cache_seal_update(lathe_cache_seal *s, const void *p, size_t n);
uint64_t lathe_cache_seal_finish(lathe_cache_seal *s, const unsigned char head[64]);
void lathe_cache_seal_abort(lathe_cache_seal *s);
/* Wipes the key (lathe_cache_free calls it: no secret left in freed memory). */
void lathe_cache_drop_key(lathe_cache *c);

#define LATHE_CACHE_COUNT(c, field, n) \
    atomic_fetch_add_explicit(&(c)->field, (uint64_t)(n), memory_order_relaxed)

/* Sets the last message (see lathe_cache_last_message). */
void lathe_cache_note(lathe_cache *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The 72-byte header, little-endian on disk:
 *  0 magic "LATHECE\n" | 8 u32 format | 12 u32 kind | 16 u32 lathe version | 20 u32 node version
 * 24 u32 rate | 28 u32 channels | 32 u64 frames | 40 u64 payload bytes | 48 u64 key lo
 * 56 u64 key hi | 64 u64 XXH3-64 of bytes 0..63.
 * Then the payload, then a u64 XXH3-64 of the payload. */
typedef struct lathe_cache_header {
    uint32_t format, kind, lathe_version, node_version, rate, channels;
    uint64_t frames, payload_bytes;
    lathe_key key;
} lathe_cache_header;

void lathe_cache_header_encode(const lathe_cache_header *h, unsigned char out[72]);
/* NULL if the header is well-formed and of this format, else the reason. */
const char *lathe_cache_header_decode(const unsigned char in[72], lathe_cache_header *h);
uint64_t lathe_cache_checksum(const void *p, size_t n);
uint32_t lathe_cache_lathe_version(void); /* major*10000 + minor*100 + patch */
void lathe_cache_put_le64(unsigned char *p, uint64_t v);
uint64_t lathe_cache_get_le64(const unsigned char *p);
int lathe_cache_host_le(void);
/* Reverses the byte order of n 4-byte words in place (big-endian hosts only). */
void lathe_cache_swap32(void *p, size_t n);

/* DIR/v1/ab/<hex>.<kind>; the folder part alone when dir_only. */
void lathe_cache_entry_path(const lathe_cache *c, lathe_key key, int kind, int dir_only,
                            char out[LATHE_CACHE_PATH_MAX]);
/* Creates a temp file beside final (making its folder). LATHE_CACHE_OK with *fd and tmp set. */
int lathe_cache_entry_create(lathe_cache *c, const char *final, char tmp[LATHE_CACHE_PATH_MAX],
                             int *fd);
/* Closes fd (after fsync if enabled) and renames tmp to final: LATHE_CACHE_OK. If final already
 * exists it is kept and tmp removed: LATHE_CACHE_MISS. On failure unlinks tmp: LATHE_CACHE_ERR_IO. */
/* replace: the entry's content may change under one key (output records, file-key memos), so a
 * newer one takes the place of an existing one; content-addressed entries keep the existing. */
int lathe_cache_entry_publish(lathe_cache *c, int fd, const char *tmp, const char *final,
                              int replace);
/* Opens the entry and checks its header against key, kind and the file's length.
 * LATHE_CACHE_OK (*fd open, *h filled, path set), LATHE_CACHE_MISS (absent or bad; a bad one is
 * removed and counted). */
int lathe_cache_entry_open(lathe_cache *c, lathe_key key, int kind, int *fd,
                           lathe_cache_header *h, char path[LATHE_CACHE_PATH_MAX]);
/* Counts, reports and removes a bad entry (only if path still names the file fd has open, so
 * a good copy renamed over it meanwhile survives); closes fd. */
void lathe_cache_entry_corrupt(lathe_cache *c, int fd, const char *path, const char *why);
/* pread of exactly n bytes at off; LATHE_CACHE_OK, LATHE_CACHE_MISS on a short file, LATHE_CACHE_ERR_IO. */
int lathe_cache_pread_full(int fd, void *buf, size_t n, uint64_t off);
int lathe_cache_write_full(int fd, const void *buf, size_t n);
uint64_t lathe_cache_random(lathe_cache *c);

/* Small entries of any kind (blobs, output records, file-key memos). */
int lathe_cache_small_put(lathe_cache *c, int kind, lathe_key key, const void *data, size_t n);
int lathe_cache_small_get(lathe_cache *c, int kind, lathe_key key, void *buf, size_t cap,
                          size_t *len);

/* The remote layer (cache_remote.c), no-ops without one. fetch copies the remote's entry for
 * key into the local cache (LATHE_CACHE_OK) for the caller to open and check; push PUTs the
 * local entry that was just committed. */
int lathe_cache_remote_fetch(lathe_cache *c, lathe_key key, int kind);
/* Whether PUTs would be made now: a remote, writable, not down. */
int lathe_cache_remote_takes(const lathe_cache *c);
void lathe_cache_remote_push(lathe_cache *c, lathe_key key, int kind);
void lathe_cache_remote_free(struct lathe_cache_remote *r);

#endif
