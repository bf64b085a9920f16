/* lfpeak.c - per-frame peaks of the low frequencies (see lfpeak.h). */
#include "lfpeak.h"

#include "biquad.h"
#include "decim8.h"

#include <math.h>
#include <string.h>

#define MAX_CH 8

struct lathe_lfpeak {
    lathe_dsp_alloc al;
    uint32_t channels, rings;
    lathe_biquad lp;     /* at an eighth of the rate */
    double margin;
    double z[MAX_CH][2];
    lathe_decim8 dec;
    float last[MAX_CH];  /* the last complete group's peak per output */
    float *ring[MAX_CH]; /* one per output */
    uint32_t mask, pos, delay;
};

int lathe_lfpeak_new(uint32_t rate, uint32_t channels, int linked, double hz, double margin_db,
                     uint32_t delay, const lathe_dsp_alloc *al, lathe_lfpeak **out)
{
    if (channels < 1 || channels > MAX_CH || !(hz > 0.0) || rate < 1000)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_lfpeak *f = lathe_dsp_calloc(&a, 1, sizeof *f);
    if (!f)
        return LATHE_DSP_NOMEM;
    f->al = a;
    f->channels = channels;
    f->rings = linked ? 1 : channels;
    const double low = (double)rate / LATHE_DECIM8;
    lathe_biquad_lowpass(&f->lp, fmin(hz, 0.45 * low), 0.7071067811865476, 0.0, low);
    f->margin = pow(10.0, margin_db / 20.0);
    /* a group's peak stands for its 8 frames from its last on: as late as the triangle's middle */
    f->delay = delay > LATHE_DECIM8 ? delay - LATHE_DECIM8 : 0;
    uint32_t cap = 1;
    while (cap < delay + LATHE_LFPEAK_MAX_BLOCK)
        cap <<= 1;
    f->mask = cap - 1;
    for (uint32_t k = 0; k < f->rings; k++)
        if (!(f->ring[k] = lathe_dsp_calloc(&a, cap, sizeof(float)))) {
            lathe_lfpeak_free(f);
            return LATHE_DSP_NOMEM;
        }
    *out = f;
    return LATHE_DSP_OK;
}

void lathe_lfpeak_free(lathe_lfpeak *f)
{
    if (!f)
        return;
    lathe_dsp_alloc a = f->al;
    for (uint32_t k = 0; k < f->rings; k++)
        lathe_dsp_free(&a, f->ring[k]);
    lathe_dsp_free(&a, f);
}

void lathe_lfpeak_reset(lathe_lfpeak *f)
{
    memset(f->z, 0, sizeof f->z);
    memset(f->last, 0, sizeof f->last);
    lathe_decim8_init(&f->dec, f->channels, 0);
    for (uint32_t k = 0; k < f->rings; k++)
        memset(f->ring[k], 0, (f->mask + 1) * sizeof(float));
    f->pos = 0;
}

void lathe_lfpeak_process(lathe_lfpeak *f, const float *const *ch, uint32_t n,
                          float *const *peak)
{
    const uint32_t m = f->mask;
    double y[MAX_CH];
    for (uint32_t i = 0; i < n;) {
        int done;
        uint32_t k = lathe_decim8_feed(&f->dec, ch, i, n - i, y, &done);
        for (uint32_t r = 0; r < f->rings; r++)
            for (uint32_t j = 0; j < k; j++)
                f->ring[r][(f->pos + i + j) & m] = f->last[r];
        i += k;
        if (!done)
            continue;
        for (uint32_t c = 0; c < f->channels; c++) {
            float p = (float)(fabs(lathe_biquad_tick(&f->lp, f->z[c], y[c])) * f->margin);
            uint32_t r = f->rings == 1 ? 0 : c;
            f->last[r] = c == 0 || f->rings > 1 || p > f->last[r] ? p : f->last[r];
            for (int s = 0; s < 2; s++) /* a decaying state would reach denormals in silence */
                if (fabs(f->z[c][s]) < 1e-30)
                    f->z[c][s] = 0.0;
        }
    }
    for (uint32_t r = 0; r < f->rings; r++)
        for (uint32_t i = 0; i < n; i++)
            peak[r][i] = f->ring[r][(f->pos + i - f->delay) & m];
    f->pos += n;
}
