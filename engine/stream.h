/* stream.h - lathe_stream: a materialised, re-readable stream (the whole input of a barrier
 * node). Backed by memory (tests, small inputs) or by a cache entry / spill file. */
#ifndef LATHE_STREAM_H
#define LATHE_STREAM_H

#include "lathe/lathe_node.h"

struct lathe_stream {
    lathe_format fmt;
    long (*read)(lathe_stream *s, float *const *bufs, uint32_t max);
    int (*seek)(lathe_stream *s, uint64_t frame); /* frame <= fmt.frames */
    void (*free)(lathe_stream *s);
};

/* Borrows ch (planar, fmt->frames each) for the stream's lifetime. */
int lathe_stream_memory_new(const lathe_format *fmt, float *const *ch, lathe_stream **out);
void lathe_stream_free(lathe_stream *s);



struct lathe_cache_reader;
/* Takes ownership of r. */
int lathe_stream_cache_new(struct lathe_cache_reader *r, lathe_stream **out);
/* A source file read as a stream (barrier nodes fed straight from a file). */
int lathe_stream_file_new(const char *path, lathe_stream **out, char *err, size_t err_size);
#endif
