/* cachetest.h - helpers shared by the cache tests: deterministic audio written and checked
 * bit by bit, entry paths, and file tweaks to simulate damage and age. */
#ifndef LATHE_CACHETEST_H
#define LATHE_CACHETEST_H

#include "cache/cache.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXCH 8

/* ---- helpers ----------------------------------------------------------------------------- */

/* Deterministic sample of (seed, channel, frame), with a few special values mixed in. */
static inline float sample_at(uint64_t seed, uint32_t c, uint64_t i)
{
    uint64_t x = (seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ ((uint64_t)c << 48) ^ i;
    x ^= x >> 31;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 29;
    switch (x % 97) {
    case 0: return -0.0f;
    case 1: return 1e-40f; /* denormal */
    case 2: return INFINITY;
    case 3: { uint32_t b = 0x7fc12345u; float f; memcpy(&f, &b, 4); return f; } /* NaN payload */
    default: return (float)((double)(x >> 11) / 9007199254740992.0 * 4.0 - 2.0);
    }
}

static inline lathe_key key_of(const char *what, uint64_t n)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_str(&b, what);
    lathe_key_builder_add_u64(&b, n);
    return lathe_key_builder_finish(&b);
}

/* Writes frames of generated audio in blocks cycling through awkward sizes. */
static inline int write_audio(lathe_cache *c, lathe_key k, uint32_t ch, uint64_t frames,
                              uint64_t seed)
{
    static const uint32_t sizes[] = { 37, 1000, 4096, 1, 40000 };
    static float bufs[MAXCH][40000];
    float *p[MAXCH];
    lathe_cache_writer *w;
    if (lathe_cache_writer_begin(c, k, 48000, ch, 3, &w) != LATHE_CACHE_OK)
        return -1;
    for (uint64_t pos = 0, j = 0; pos < frames; j++) {
        uint32_t n = sizes[j % 5];
        if (n > frames - pos)
            n = (uint32_t)(frames - pos);
        for (uint32_t c2 = 0; c2 < ch; c2++) {
            p[c2] = bufs[c2];
            for (uint32_t i = 0; i < n; i++)
                bufs[c2][i] = sample_at(seed, c2, pos + i);
        }
        lathe_cache_writer_append(w, (const float *const *)p, n);
        pos += n;
    }
    return lathe_cache_writer_commit(w);
}

/* 300 mono frames from a local buffer (write_audio's buffers are shared, not for threads). */
static inline int write_audio_small(lathe_cache *c, lathe_key k, uint64_t seed)
{
    float x[300], *p[1] = { x };
    lathe_cache_writer *w;
    for (int i = 0; i < 300; i++)
        x[i] = sample_at(seed, 0, (uint64_t)i);
    if (lathe_cache_writer_begin(c, k, 44100, 1, 1, &w) != LATHE_CACHE_OK)
        return -1;
    lathe_cache_writer_append(w, (const float *const *)p, 300);
    return lathe_cache_writer_commit(w);
}

/* Reads the whole entry in blocks of `block` frames and compares bits with the generator.
 * Returns the number of mismatching samples (or -1 on a read error / wrong length). */
static inline long check_audio(lathe_cache_reader *r, uint64_t seed, uint32_t block)
{
    static float bufs[MAXCH][4096];
    float *p[MAXCH];
    const lathe_cache_format *f = lathe_cache_reader_format(r);
    for (uint32_t c = 0; c < f->channels; c++)
        p[c] = bufs[c];
    long bad = 0;
    uint64_t pos = 0;
    for (;;) {
        long n = lathe_cache_reader_read(r, p, block);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        for (uint32_t c = 0; c < f->channels; c++)
            for (long i = 0; i < n; i++) {
                float want = sample_at(seed, c, pos + (uint64_t)i);
                bad += memcmp(&bufs[c][i], &want, 4) != 0;
            }
        pos += (uint64_t)n;
    }
    return pos == f->frames ? bad : -1;
}

static inline void entry_path(const char *dir, lathe_key k, char kind, char *out, size_t size)
{
    char hex[33];
    lathe_key_to_hex(k, hex);
    snprintf(out, size, "%s/v1/%.2s/%s.%c", dir, hex, hex, kind);
}

static inline int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static inline long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static inline void set_mtime(const char *p, time_t t)
{
    struct timespec ts[2] = { { t, 0 }, { t, 0 } };
    utimensat(AT_FDCWD, p, ts, 0);
}

static inline void write_file(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static inline void flip_byte(const char *p, long off)
{
    int fd = open(p, O_RDWR);
    unsigned char b;
    if (pread(fd, &b, 1, off) == 1) {
        b ^= 0x10;
        if (pwrite(fd, &b, 1, off) != 1)
            perror("pwrite");
    }
    close(fd);
}

#endif
