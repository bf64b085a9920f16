/* lfpeak.c - per-frame peaks of the low frequencies (see lfpeak.h). */
#include "lfpeak.h"

#include "biquad.h"

#include <math.h>
#include <string.h>

#define MAX_CH 8

struct lathe_lfpeak {
    lathe_dsp_alloc al;
    uint32_t channels, rings;
    lathe_biquad lp;
    double margin;
    double z[MAX_CH][2];
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
    lathe_biquad_lowpass(&f->lp, fmin(hz, 0.45 * rate), 0.7071067811865476, 0.0, rate);
    f->margin = pow(10.0, margin_db / 20.0);
    f->delay = delay;
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
    for (uint32_t k = 0; k < f->rings; k++)
        memset(f->ring[k], 0, (f->mask + 1) * sizeof(float));
    f->pos = 0;
}

void lathe_lfpeak_process(lathe_lfpeak *f, const float *const *ch, uint32_t n,
                          float *const *peak)
{
    const uint32_t m = f->mask;
    for (uint32_t c = 0; c < f->channels; c++) {
        float *restrict r = f->ring[f->rings == 1 ? 0 : c];
        const float *restrict x = ch[c];
        for (uint32_t i = 0; i < n; i++) {
            float p = (float)(fabs(lathe_biquad_tick(&f->lp, f->z[c], (double)x[i])) * f->margin);
            uint32_t at = (f->pos + i) & m;
            r[at] = c == 0 || f->rings > 1 || p > r[at] ? p : r[at];
        }
        /* a decaying state would reach denormals in silence */
        for (int k = 0; k < 2; k++)
            if (fabs(f->z[c][k]) < 1e-30)
                f->z[c][k] = 0.0;
    }
    for (uint32_t k = 0; k < f->rings; k++)
        for (uint32_t i = 0; i < n; i++)
            peak[k][i] = f->ring[k][(f->pos + i - f->delay) & m];
    f->pos += n;
}
