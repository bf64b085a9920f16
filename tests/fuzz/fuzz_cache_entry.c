/* Fuzz target: the cache entry reader. The input becomes the file of one audio entry and of one
 * blob under a fixed key; the reader must refuse or read it, never crash or hand out more than
 * the file holds. With the first byte odd, the harness first repairs the header and payload
 * checksums so the fuzzer reaches the checks behind them (sizes, channels, frames). */
#include "fuzz.h"

#include "cache/cache.h"
#include "cache/cache_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lathe_cache *open_cache(void)
{
    static lathe_cache *c;
    char err[512], path[600];
    if (!c && lathe_fuzz_dir()) {
        snprintf(path, sizeof path, "%s/cache", lathe_fuzz_dir());
        if (lathe_cache_open(path, 0, &c, err, sizeof err) != LATHE_CACHE_OK)
            c = NULL;
    }
    return c;
}

static void fix_checksums(uint8_t *p, size_t n)
{
    if (n < LATHE_CACHE_HEADER_SIZE + LATHE_CACHE_TRAILER_SIZE)
        return;
    lathe_cache_put_le64(p + 64, lathe_cache_checksum(p, 64));
    size_t payload = n - LATHE_CACHE_HEADER_SIZE - LATHE_CACHE_TRAILER_SIZE;
    lathe_cache_put_le64(p + n - 8, lathe_cache_checksum(p + LATHE_CACHE_HEADER_SIZE, payload));
}

static void try_kind(lathe_cache *c, lathe_key key, int kind, const uint8_t *p, size_t n)
{
    char path[LATHE_CACHE_PATH_MAX];
    lathe_cache_entry_path(c, key, kind, 0, path);
    if (lathe_fuzz_write(path, p, n) != 0)
        return;
    if (kind == LATHE_CACHE_KIND_AUDIO) {
        lathe_cache_reader *r;
        if (lathe_cache_reader_open(c, key, &r) != LATHE_CACHE_OK)
            return;
        static float bufs[LATHE_CACHE_MAX_CHANNELS][999];
        float *ch[LATHE_CACHE_MAX_CHANNELS];
        for (int i = 0; i < LATHE_CACHE_MAX_CHANNELS; i++)
            ch[i] = bufs[i];
        for (int blocks = 0; blocks < 4096; blocks++)
            if (lathe_cache_reader_read(r, ch, 999) <= 0)
                break;
        lathe_cache_reader_seek(r, 0);
        lathe_cache_reader_read(r, ch, 999);
        lathe_cache_reader_free(r);
    } else {
        static uint8_t buf[4096];
        size_t len;
        lathe_cache_small_get(c, kind, key, buf, sizeof buf, &len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lathe_cache *c = open_cache();
    if (!c || size < 1)
        return 0;
    uint8_t *p = malloc(size);
    memcpy(p, data + 1, size - 1);
    size_t n = size - 1;
    if (data[0] & 1)
        fix_checksums(p, n);
    lathe_key key = {0x0123456789abcdefull, 0xfedcba9876543210ull};
    if (n >= 64 && (data[0] & 2)) { /* let the header name the key it is stored under */
        key.lo = lathe_cache_get_le64(p + 48);
        key.hi = lathe_cache_get_le64(p + 56);
    }
    /* Make the fan-out folder through a real write once, then overwrite the files. */
    lathe_cache_put_blob(c, key, "x", 1);
    float z[1] = {0}, *zc[1] = {z};
    lathe_cache_writer *w;
    if (lathe_cache_writer_begin(c, key, 48000, 1, 1, &w) == LATHE_CACHE_OK) {
        lathe_cache_writer_append(w, (const float *const *)zc, 1);
        lathe_cache_writer_commit(w);
    }
    try_kind(c, key, LATHE_CACHE_KIND_AUDIO, p, n);
    try_kind(c, key, LATHE_CACHE_KIND_BLOB, p, n);
    try_kind(c, key, LATHE_CACHE_KIND_OUTPUT, p, n);
    free(p);
    return 0;
}
