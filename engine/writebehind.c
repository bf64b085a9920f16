/* writebehind.c - an encoding worker one slot behind the render (see writebehind.h). */
#include "writebehind.h"

#include <string.h>

/* Two slots: the render fills one while the worker encodes the other. */
#define SLOTS 2
#define SLOT_FRAMES 32768

typedef struct slot {
    float *ch[LATHE_MAX_CHANNELS];
    uint32_t n;
} slot;

struct lathe_writebehind {
    lathe_audio_writer *w;
    uint32_t channels;
    slot s[SLOTS];
    float *mem;
    lathe_worker *worker; /* NULL: every write in place */
    uint32_t fill;        /* the slot the render fills (the other may be encoding) */
    int job_rc;           /* the last encode's status: the worker's until waited for */
    int failed;
};

static void encode_job(void *arg)
{
    lathe_writebehind *wb = arg;
    slot *s = &wb->s[wb->fill ^ 1];
    wb->job_rc = lathe_audio_writer_write(wb->w, (const float *const *)s->ch, s->n);
    s->n = 0;
}

int lathe_writebehind_new(lathe_audio_writer *w, uint32_t channels, int thread,
                          lathe_writebehind **out)
{
    lathe_writebehind *wb = lathe_calloc(1, sizeof *wb);
    if (!wb)
        return LATHE_ERR_NOMEM;
    wb->w = w;
    wb->channels = channels;
    *out = wb;
    if (!thread)
        return LATHE_OK;
    wb->mem = lathe_alloc(sizeof(float) * SLOTS * channels * (size_t)SLOT_FRAMES);
    if (!wb->mem || lathe_worker_new(&wb->worker) != LATHE_OK)
        return LATHE_ERR_NOMEM; /* *out is set: the caller frees it */
    for (uint32_t k = 0; k < SLOTS; k++)
        for (uint32_t c = 0; c < channels; c++)
            wb->s[k].ch[c] = wb->mem + ((size_t)k * channels + c) * SLOT_FRAMES;
    return LATHE_OK;
}

/* Waits for the encode in flight, if any, and takes its status. */
static void settle(lathe_writebehind *wb)
{
    lathe_worker_wait(wb->worker);
    wb->failed |= wb->job_rc != LATHE_OK;
    wb->job_rc = LATHE_OK;
}

/* Hands the filled slot to the worker and takes the other (once its encode is done). */
static void submit(lathe_writebehind *wb)
{
    settle(wb);
    wb->fill ^= 1;
    lathe_worker_run(wb->worker, encode_job, wb);
}

int lathe_writebehind_write(lathe_writebehind *wb, const float *const *bufs, uint32_t n)
{
    if (!wb->worker)
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
    return wb->failed ? LATHE_ERR_IO : LATHE_OK;
}

int lathe_writebehind_finish(lathe_writebehind *wb)
{
    if (!wb->worker)
        return LATHE_OK;
    if (wb->s[wb->fill].n)
        submit(wb);
    settle(wb);
    return wb->failed ? LATHE_ERR_IO : LATHE_OK;
}

void lathe_writebehind_free(lathe_writebehind *wb)
{
    if (!wb)
        return;
    lathe_worker_free(wb->worker); /* an encode in flight finishes; the slot being filled is dropped */
    lathe_dealloc(wb->mem);
    lathe_dealloc(wb);
}
