/* writebehind.c - an encoding thread behind the render (see writebehind.h). */
#include "writebehind.h"

#include <pthread.h>
#include <string.h>

#define SLOTS 4
#define SLOT_FRAMES 16384

typedef struct slot {
    float *ch[LATHE_MAX_CHANNELS];
    uint32_t n;
} slot;

struct lathe_writebehind {
    lathe_audio_writer *w;
    uint32_t channels;
    slot s[SLOTS];
    float *mem;
    /* slots [head, head + count) are full and wait for the encoder; `fill` is being filled */
    uint32_t head, count, fill;
    int failed, quit, threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t queued, drained;
};

static void *encode_main(void *arg)
{
    lathe_writebehind *wb = arg;
    pthread_mutex_lock(&wb->mu);
    for (;;) {
        while (wb->count == 0 && !wb->quit)
            pthread_cond_wait(&wb->queued, &wb->mu);
        if (wb->count == 0)
            break; /* quit with nothing left */
        slot *s = &wb->s[wb->head];
        int drop = wb->quit;
        pthread_mutex_unlock(&wb->mu); /* the head slot stays queued (ours) until written */
        int rc = drop ? LATHE_OK
                      : lathe_audio_writer_write(wb->w, (const float *const *)s->ch, s->n);
        pthread_mutex_lock(&wb->mu);
        wb->failed |= rc != LATHE_OK;
        s->n = 0;
        wb->head = (wb->head + 1) % SLOTS;
        wb->count--;
        pthread_cond_broadcast(&wb->drained);
    }
    pthread_mutex_unlock(&wb->mu);
    return NULL;
}

int lathe_writebehind_new(lathe_audio_writer *w, uint32_t channels, int thread,
                          lathe_writebehind **out)
{
    lathe_writebehind *wb = lathe_calloc(1, sizeof *wb);
    if (!wb)
        return LATHE_ERR_NOMEM;
    wb->w = w;
    wb->channels = channels;
    pthread_mutex_init(&wb->mu, NULL);
    pthread_cond_init(&wb->queued, NULL);
    pthread_cond_init(&wb->drained, NULL);
    *out = wb;
    if (!thread)
        return LATHE_OK;
    wb->mem = lathe_alloc(sizeof(float) * SLOTS * channels * (size_t)SLOT_FRAMES);
    if (!wb->mem)
        return LATHE_ERR_NOMEM; /* *out is set: the caller frees it */
    for (uint32_t k = 0; k < SLOTS; k++)
        for (uint32_t c = 0; c < channels; c++)
            wb->s[k].ch[c] = wb->mem + ((size_t)k * channels + c) * SLOT_FRAMES;
    wb->threaded = pthread_create(&wb->thread, NULL, encode_main, wb) == 0;
    return LATHE_OK;
}

/* Hands the slot being filled to the encoder and takes the next one (waiting for it). */
static void submit(lathe_writebehind *wb)
{
    pthread_mutex_lock(&wb->mu);
    wb->count++;
    pthread_cond_signal(&wb->queued);
    while (wb->count == SLOTS)
        pthread_cond_wait(&wb->drained, &wb->mu);
    wb->fill = (wb->head + wb->count) % SLOTS;
    pthread_mutex_unlock(&wb->mu);
}

int lathe_writebehind_write(lathe_writebehind *wb, const float *const *bufs, uint32_t n)
{
    if (!wb->threaded)
        return lathe_audio_writer_write(wb->w, bufs, n);
    for (uint32_t done = 0; done < n;) {
        slot *s = &wb->s[wb->fill];
        uint32_t k = SLOT_FRAMES - s->n < n - done ? SLOT_FRAMES - s->n : n - done;
        for (uint32_t c = 0; c < wb->channels; c++)
            memcpy(s->ch[c] + s->n, bufs[c] + done, sizeof(float) * k);
        s->n += k;
        done += k;
        if (s->n == SLOT_FRAMES)
            submit(wb);
    }
    pthread_mutex_lock(&wb->mu);
    int failed = wb->failed;
    pthread_mutex_unlock(&wb->mu);
    return failed ? LATHE_ERR_IO : LATHE_OK;
}

int lathe_writebehind_finish(lathe_writebehind *wb)
{
    if (!wb->threaded)
        return LATHE_OK;
    if (wb->s[wb->fill].n)
        submit(wb);
    pthread_mutex_lock(&wb->mu);
    while (wb->count)
        pthread_cond_wait(&wb->drained, &wb->mu);
    int failed = wb->failed;
    pthread_mutex_unlock(&wb->mu);
    return failed ? LATHE_ERR_IO : LATHE_OK;
}

void lathe_writebehind_free(lathe_writebehind *wb)
{
    if (!wb)
        return;
    if (wb->threaded) {
        pthread_mutex_lock(&wb->mu);
        wb->quit = 1;
        pthread_cond_signal(&wb->queued);
        pthread_mutex_unlock(&wb->mu);
        pthread_join(wb->thread, NULL);
    }
    pthread_mutex_destroy(&wb->mu);
    pthread_cond_destroy(&wb->queued);
    pthread_cond_destroy(&wb->drained);
    lathe_dealloc(wb->mem);
    lathe_dealloc(wb);
}
