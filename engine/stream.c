/* lathe_stream: the node-facing calls and the memory-backed implementation. */
#include "stream.h"

#include <string.h>

long lathe_stream_read(lathe_stream *s, float *const *bufs, uint32_t max)
{
    return s->read(s, bufs, max);
}

int lathe_stream_rewind(lathe_stream *s)
{
    return s->seek(s, 0);
}

int lathe_stream_seek(lathe_stream *s, uint64_t frame)
{
    return frame <= s->fmt.frames ? s->seek(s, frame) : LATHE_ERR_PARAM;
}

const lathe_format *lathe_stream_format(const lathe_stream *s)
{
    return &s->fmt;
}

void lathe_stream_free(lathe_stream *s)
{
    if (s)
        s->free(s);
}

typedef struct memory_stream {
    lathe_stream base;
    float *ch[LATHE_MAX_CHANNELS];
    uint64_t pos;
} memory_stream;

static long memory_read(lathe_stream *s, float *const *bufs, uint32_t max)
{
    memory_stream *m = (memory_stream *)s;
    uint64_t left = s->fmt.frames - m->pos;
    uint32_t n = left < max ? (uint32_t)left : max;
    for (uint32_t c = 0; c < s->fmt.channels; c++)
        memcpy(bufs[c], m->ch[c] + m->pos, n * sizeof(float));
    m->pos += n;
    return (long)n;
}

static int memory_seek(lathe_stream *s, uint64_t frame)
{
    ((memory_stream *)s)->pos = frame;
    return LATHE_OK;
}

static void memory_free(lathe_stream *s)
{
    lathe_dealloc(s);
}

int lathe_stream_memory_new(const lathe_format *fmt, float *const *ch, lathe_stream **out)
{
    memory_stream *m = lathe_calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NOMEM;
    m->base = (lathe_stream){*fmt, memory_read, memory_seek, memory_free};
    for (uint32_t c = 0; c < fmt->channels; c++)
        m->ch[c] = ch[c];
    *out = &m->base;
    return LATHE_OK;
}

/* ---- Cache entries and files ------------------------------------------------------------------ */

#include "audio_io.h"
#include "cache/cache.h"

typedef struct cache_stream {
    lathe_stream base;
    lathe_cache_reader *r;
} cache_stream;

static long cache_read(lathe_stream *s, float *const *bufs, uint32_t max)
{
    return lathe_cache_reader_read(((cache_stream *)s)->r, bufs, max);
}

static int cache_seek(lathe_stream *s, uint64_t frame)
{
    return lathe_cache_reader_seek(((cache_stream *)s)->r, frame) == LATHE_CACHE_OK
               ? LATHE_OK
               : LATHE_ERR_IO;
}

static void cache_free(lathe_stream *s)
{
    lathe_cache_reader_free(((cache_stream *)s)->r);
    lathe_dealloc(s);
}

int lathe_stream_cache_new(lathe_cache_reader *r, lathe_stream **out)
{
    cache_stream *m = lathe_calloc(1, sizeof *m);
    if (!m) {
        lathe_cache_reader_free(r);
        return LATHE_ERR_NOMEM;
    }
    const lathe_cache_format *f = lathe_cache_reader_format(r);
    lathe_format fmt = {f->rate, f->channels, f->frames};
    m->base = (lathe_stream){fmt, cache_read, cache_seek, cache_free};
    m->r = r;
    *out = &m->base;
    return LATHE_OK;
}

typedef struct file_stream {
    lathe_stream base;
    lathe_audio_reader *r;
} file_stream;

static long file_read(lathe_stream *s, float *const *bufs, uint32_t max)
{
    return lathe_audio_reader_read(((file_stream *)s)->r, bufs, max);
}

static int file_seek(lathe_stream *s, uint64_t frame)
{
    return lathe_audio_reader_seek(((file_stream *)s)->r, frame);
}

static void file_free(lathe_stream *s)
{
    lathe_audio_reader_free(((file_stream *)s)->r);
    lathe_dealloc(s);
}

int lathe_stream_file_new(const char *path, lathe_stream **out, char *err, size_t err_size)
{
    file_stream *m = lathe_calloc(1, sizeof *m);
    if (!m)
        return LATHE_ERR_NOMEM;
    lathe_audio_info info;
    int rc = lathe_audio_reader_open(path, &m->r, &info, err, err_size);
    if (rc != LATHE_OK) {
        lathe_dealloc(m);
        return rc;
    }
    m->base = (lathe_stream){info.format, file_read, file_seek, file_free};
    *out = &m->base;
    return LATHE_OK;
}
