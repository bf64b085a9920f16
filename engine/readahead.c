/* readahead.c - a decoding worker one block ahead of its reader (see readahead.h). */
#include "readahead.h"

#include <string.h>

/* Two blocks: the reader measures one while the worker decodes the other. */
#define SLOTS 2

typedef struct slot {
    float *ch[LATHE_MAX_CHANNELS];
    long n;
    int64_t bad_frame;
    int bad_channel;
} slot;

struct lathe_readahead {
    lathe_audio_reader *rd;
    uint32_t channels, block;
    slot s[SLOTS];
    float *mem;
    lathe_worker *worker;
    uint32_t filling; /* the slot the worker decodes into (the other is the reader's) */
    int ended;        /* the last block handed out was the end: it stays put */
};

static void fill_job(void *arg)
{
    lathe_readahead *ra = arg;
    slot *s = &ra->s[ra->filling];
    s->n = lathe_audio_reader_read(ra->rd, s->ch, ra->block);
    s->bad_frame = lathe_audio_reader_bad_sample(ra->rd, &s->bad_channel);
}

int lathe_readahead_new(lathe_audio_reader *rd, uint32_t channels, uint32_t block_frames,
                        lathe_readahead **out)
{
    lathe_readahead *ra = lathe_calloc(1, sizeof *ra);
    if (!ra)
        return LATHE_ERR_NOMEM;
    ra->rd = rd;
    ra->channels = channels;
    ra->block = block_frames;
    ra->mem = lathe_alloc(sizeof(float) * SLOTS * channels * (size_t)block_frames);
    if (!ra->mem || lathe_worker_new(&ra->worker) != LATHE_OK) {
        lathe_dealloc(ra->mem);
        lathe_dealloc(ra);
        return LATHE_ERR_NOMEM;
    }
    for (uint32_t k = 0; k < SLOTS; k++)
        for (uint32_t c = 0; c < channels; c++)
            ra->s[k].ch[c] = ra->mem + ((size_t)k * channels + c) * block_frames;
    lathe_worker_run(ra->worker, fill_job, ra); /* block 0 */
    *out = ra;
    return LATHE_OK;
}

long lathe_readahead_next(lathe_readahead *ra, const float *const **ch, int64_t *bad_frame,
                          int *bad_channel)
{
    slot *s = &ra->s[ra->filling];
    if (!ra->ended) {
        lathe_worker_wait(ra->worker);
        ra->ended = s->n <= 0; /* end of file or read error: nothing after it */
        if (!ra->ended) {
            ra->filling ^= 1; /* the reader had the other slot until this call */
            lathe_worker_run(ra->worker, fill_job, ra);
        }
    }
    *ch = (const float *const *)s->ch;
    if (bad_frame)
        *bad_frame = s->bad_frame;
    if (bad_channel)
        *bad_channel = s->bad_channel;
    return s->n;
}

void lathe_readahead_free(lathe_readahead *ra)
{
    if (!ra)
        return;
    lathe_worker_free(ra->worker); /* a block being decoded is finished, then dropped */
    lathe_dealloc(ra->mem);
    lathe_dealloc(ra);
}
