/* readahead.c - a decoding thread a few blocks ahead of its reader (see readahead.h). */
#include "readahead.h"

#include <pthread.h>
#include <string.h>

/* Three blocks: one being measured, one decoded and waiting, one being decoded. */
#define SLOTS 3

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
    /* slots [head, head + count) are decoded; the reader holds `head` once it has taken it */
    uint32_t head, count;
    int taken, ended, quit, threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
};

static void fill(lathe_readahead *ra, slot *s)
{
    s->n = lathe_audio_reader_read(ra->rd, s->ch, ra->block);
    s->bad_frame = lathe_audio_reader_bad_sample(ra->rd, &s->bad_channel);
}

static void *decode_main(void *arg)
{
    lathe_readahead *ra = arg;
    pthread_mutex_lock(&ra->mu);
    for (;;) {
        while (ra->count == SLOTS && !ra->quit)
            pthread_cond_wait(&ra->freed, &ra->mu);
        if (ra->quit)
            break;
        slot *s = &ra->s[(ra->head + ra->count) % SLOTS];
        pthread_mutex_unlock(&ra->mu); /* the slot is ours until published */
        fill(ra, s);
        pthread_mutex_lock(&ra->mu);
        ra->count++;
        pthread_cond_signal(&ra->filled);
        if (s->n <= 0)
            break; /* end of file or read error: nothing after it */
    }
    pthread_mutex_unlock(&ra->mu);
    return NULL;
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
    if (!ra->mem) {
        lathe_dealloc(ra);
        return LATHE_ERR_NOMEM;
    }
    for (uint32_t k = 0; k < SLOTS; k++)
        for (uint32_t c = 0; c < channels; c++)
            ra->s[k].ch[c] = ra->mem + ((size_t)k * channels + c) * block_frames;
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->filled, NULL);
    pthread_cond_init(&ra->freed, NULL);
    ra->threaded = pthread_create(&ra->thread, NULL, decode_main, ra) == 0;
    *out = ra;
    return LATHE_OK;
}

long lathe_readahead_next(lathe_readahead *ra, const float *const **ch, int64_t *bad_frame,
                          int *bad_channel)
{
    slot *s;
    if (!ra->threaded) {
        s = &ra->s[0];
        if (!ra->ended)
            fill(ra, s);
    } else {
        pthread_mutex_lock(&ra->mu);
        if (ra->taken && !ra->ended) { /* hand the previous block back to the decoder */
            ra->head = (ra->head + 1) % SLOTS;
            ra->count--;
            pthread_cond_signal(&ra->freed);
        }
        while (ra->count == 0)
            pthread_cond_wait(&ra->filled, &ra->mu);
        ra->taken = 1;
        s = &ra->s[ra->head];
        pthread_mutex_unlock(&ra->mu);
    }
    ra->ended = s->n <= 0; /* the last slot stays put: asking again gives the same answer */
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
    if (ra->threaded) {
        pthread_mutex_lock(&ra->mu);
        ra->quit = 1;
        pthread_cond_signal(&ra->freed);
        pthread_mutex_unlock(&ra->mu);
        pthread_join(ra->thread, NULL);
    }
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->filled);
    pthread_cond_destroy(&ra->freed);
    lathe_dealloc(ra->mem);
    lathe_dealloc(ra);
}
