/* cache_key.h - render cache keys: XXH3-128 over a canonical byte string.
 *
 * A key names one node output (or one analysis result) by everything that determines it: node
 * type, node implementation version, parameters in the order of the node's table, stream format
 * and the keys of its inputs. The builder is streaming and allocation-free: each add_* call feeds
 * a one-byte type tag and the value in little-endian bytes, so a u32 never collides with the
 * start of an f64 and "ab"+"c" never collides with "a"+"bc" (strings are length-prefixed).
 * Every key also hashes LATHE_CACHE_FORMAT (added by init), so a change of the entry format
 * retires all old keys at once.
 *
 * Floats are hashed as exact bits: -0.0 and 0.0 differ (a node may treat them differently), all
 * NaNs hash alike (their payload bits carry no meaning and vary by platform).
 */
#ifndef LATHE_CACHE_KEY_H
#define LATHE_CACHE_KEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of the cache room; negative is failure. They equal the engine's LATHE_OK /
 * LATHE_ERR_* (the engine asserts it where it calls the cache), so the cache needs nothing from
 * above it and a code passes through unchanged. */
enum {
    LATHE_CACHE_OK = 0,
    LATHE_CACHE_MISS = 1, /* not an error: absent, or found bad and removed */
    LATHE_CACHE_ERR_NOMEM = -1,
    LATHE_CACHE_ERR_PARAM = -2,
    LATHE_CACHE_ERR_FORMAT = -3,
    LATHE_CACHE_ERR_IO = -4
};

/* Bump whenever the bytes a key hashes or the entry format change: every old entry misses. */
#define LATHE_CACHE_FORMAT 1

typedef struct lathe_key {
    uint64_t lo, hi;
} lathe_key;

/* Caller storage for the XXH3 streaming state (checked against sizeof(XXH3_state_t) in
 * cache_key.c); fields are private. */
typedef struct lathe_key_builder {
    _Alignas(64) unsigned char state[640];
} lathe_key_builder;

/* Identity of a file on disk at the time it was hashed, for memoising file keys. */
typedef struct lathe_file_id {
    uint64_t dev, ino, size;
    int64_t mtime_ns, ctime_ns; /* ctime: set by the kernel on every change, never by hand */
} lathe_file_id;

/* ---- Building keys ------------------------------------------------------------------------- */

void lathe_key_builder_init(lathe_key_builder *b);
void lathe_key_builder_add_u32(lathe_key_builder *b, uint32_t v);
void lathe_key_builder_add_u64(lathe_key_builder *b, uint64_t v);
void lathe_key_builder_add_i64(lathe_key_builder *b, int64_t v);
/* Exact bits; NaN canonicalised to one quiet NaN, -0.0 kept distinct from 0.0. */
void lathe_key_builder_add_f64(lathe_key_builder *b, double v);
/* NUL-terminated string, hashed with its length. NULL hashes like a distinct "absent" value. */
void lathe_key_builder_add_str(lathe_key_builder *b, const char *s);
/* Arbitrary bytes, hashed with their length. */
void lathe_key_builder_add_bytes(lathe_key_builder *b, const void *p, size_t n);
void lathe_key_builder_add_key(lathe_key_builder *b, lathe_key k);
/* The key so far; the builder may keep being fed afterwards. */
lathe_key lathe_key_builder_finish(const lathe_key_builder *b);

/* ---- Text and comparison ------------------------------------------------------------------- */

/* 32 lowercase hex digits, hi then lo (most significant first), NUL-terminated. */
void lathe_key_to_hex(lathe_key k, char out[33]);
/* Parses exactly 32 hex digits (either case). LATHE_CACHE_OK or LATHE_CACHE_ERR_PARAM (out untouched). */
int lathe_key_from_hex(const char *hex, lathe_key *out);
int lathe_key_equal(lathe_key a, lathe_key b);

/* ---- Source files -------------------------------------------------------------------------- */

/* [main] XXH3-128 over the file's bytes (not its name or mtime), streamed in 1 MiB chunks.
 * `id` (may be NULL) receives the file's identity as of the hash. LATHE_CACHE_OK, LATHE_CACHE_ERR_NOMEM, or
 * LATHE_CACHE_ERR_IO (errno tells why; EAGAIN when the file changed while it was being read). The
 * caller adds decode settings by feeding this key into a builder together with them. */
int lathe_key_file(const char *path, lathe_key *out, lathe_file_id *id);
/* [main] The file's identity now (stat); LATHE_CACHE_OK or LATHE_CACHE_ERR_IO. */
int lathe_file_id_of(const char *path, lathe_file_id *id);

#ifdef __cplusplus
}
#endif
#endif
