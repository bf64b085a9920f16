/* Misbehaving LV2 plugins for test_lv2: each breaks one promise a mastering host relies on, so
 * the tests can show lathe catching it. Stereo in, stereo out, one control. Test-only. */
#define _POSIX_C_SOURCE 200809L
#include <lv2/core/lv2.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_URI "http://lathe.invalid/test#"

enum { KIND_NAN, KIND_NOISY, KIND_HANG };

typedef struct {
    int kind;
    const float *in[2];
    float *out[2];
    const float *param;
    uint64_t frame, rng;
} plugin;

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *path,
                              const LV2_Feature *const *features)
{
    plugin *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const char *name = d->URI + sizeof TEST_URI - 1;
    p->kind = strcmp(name, "nan") == 0 ? KIND_NAN : strcmp(name, "noisy") == 0 ? KIND_NOISY : KIND_HANG;
    struct timespec ts; /* KIND_NOISY: a different stream of noise in every instance */
    clock_gettime(CLOCK_REALTIME, &ts);
    p->rng = ((uint64_t)ts.tv_nsec << 1 | 1) ^ (uint64_t)(uintptr_t)p;
    return p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    plugin *p = h;
    if (port < 2)
        p->in[port] = data;
    else if (port < 4)
        p->out[port - 2] = data;
    else
        p->param = data;
}

static void activate(LV2_Handle h)
{
    ((plugin *)h)->frame = 0;
}

static void run(LV2_Handle h, uint32_t n)
{
    plugin *p = h;
    if (p->kind == KIND_HANG && p->frame >= (uint64_t)*p->param)
        for (;;)
            pause();
    for (uint32_t i = 0; i < n; i++, p->frame++)
        for (int c = 0; c < 2; c++) {
            float y = p->in[c][i];
            if (p->kind == KIND_NAN && p->frame >= (uint64_t)*p->param)
                y = NAN;
            if (p->kind == KIND_NOISY) {
                p->rng ^= p->rng << 13, p->rng ^= p->rng >> 7, p->rng ^= p->rng << 17;
                y += (float)(p->rng >> 40) * 1e-9f * *p->param;
            }
            p->out[c][i] = y;
        }
}

static void cleanup(LV2_Handle h)
{
    free(h);
}

static const LV2_Descriptor descriptors[] = {
    {TEST_URI "nan", instantiate, connect_port, activate, run, NULL, cleanup, NULL},
    {TEST_URI "noisy", instantiate, connect_port, activate, run, NULL, cleanup, NULL},
    {TEST_URI "hang", instantiate, connect_port, activate, run, NULL, cleanup, NULL},
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    return index < 3 ? &descriptors[index] : NULL;
}
