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
    /* What the readers see: the frames and the end as of the last publish. The producer appends
     * while readers read published frames (render.c's rounds), so a push never moves them: one
     * that does not fit goes to `over` (the producer's alone) until the next publish. */
    uint64_t published;
    int published_ended;
    float *over[LATHE_MAX_CHANNELS];
    uint32_t over_len, over_cap;
} lathe_fifo;

int lathe_fifo_init(lathe_fifo *f, uint32_t channels, uint32_t cap);
void lathe_fifo_fini(lathe_fifo *f);
/* [producer] Appends n frames, unseen by readers until the next publish. */
int lathe_fifo_push(lathe_fifo *f, const float *const *x, uint32_t n);
/* [between rounds: no reader or producer running] Makes everything pushed so far, and the end
 * when reached, visible to readers (growing the buffer, rarely, for what went to `over`). */
int lathe_fifo_publish(lathe_fifo *f);
/* [reader] Published frames available at stream position pos. */
static inline uint32_t lathe_fifo_avail(const lathe_fifo *f, uint64_t pos)
{
    return (uint32_t)(f->published - pos);
}
/* [reader] Whether the published frames are the whole stream. */
static inline int lathe_fifo_ended(const lathe_fifo *f)
{
    return f->published_ended;
}
/* [between rounds] Drops frames before stream position pos (every reader is past it). */
void lathe_fifo_drop_until(lathe_fifo *f, uint64_t pos);

#endif
