/* fifo.h - a node's output between producer and consumers: planar frames [start, start+len)
 * of the stream, kept until every consumer has read them. Consumers read in place (fan-out
 * without copies). */
#ifndef LATHE_FIFO_H
#define LATHE_FIFO_H

#include "lathe/lathe_node.h"

typedef struct lathe_fifo {
    float *ch[LATHE_MAX_CHANNELS];
    uint32_t channels;
    uint64_t start;  /* stream position of ch[c][0] */
    uint32_t len, cap;
    int ended;       /* the producer has emitted its whole stream */
} lathe_fifo;

int lathe_fifo_init(lathe_fifo *f, uint32_t channels, uint32_t cap);
void lathe_fifo_fini(lathe_fifo *f);
/* [main] Appends n frames, growing when needed (rarely: capacity starts at a few blocks). */
int lathe_fifo_push(lathe_fifo *f, const float *const *x, uint32_t n);
/* Frames available to a reader at stream position pos. */
static inline uint32_t lathe_fifo_avail(const lathe_fifo *f, uint64_t pos)
{
    return (uint32_t)(f->start + f->len - pos);
}
/* Drops frames before stream position pos (every reader is past it). */
void lathe_fifo_drop_until(lathe_fifo *f, uint64_t pos);

#endif
