/* topband.c - a bound on the content at 0.98 .. 1 of Nyquist (see topband.h). */
#include "topband.h"

#include "biquad.h"
#include "slidemin.h"

#include <math.h>
#include <string.h>

#define MAX_CH 8
/* The band shifted to DC is 0 .. 0.01 of the rate wide; the low-pass's -3 dB point sits at its
 * edge (where tpfilter is still flat, so a partial count there costs nothing). */
#define CUTOFF 0.01
/* A frame's bound holds the envelope from HALF_PERIOD before it (the half-period of the band's
 * lowest frequency once shifted, 0.01 of the rate) to `latency` after it: enough from 114
 * frames, that half-period and the filter's delay (~42 frames at DC, more near its edge). */
#define HALF_PERIOD 50

struct lathe_topband {
    lathe_dsp_alloc al;
    uint32_t channels;
    lathe_biquad lp[2];
    double z[MAX_CH][2][2];
    uint32_t latency;
    uint64_t t;                /* frames fed: the sign of (-1)^n and the window's clock */
    lathe_slidemin held;       /* of minus the rectified envelope: its maximum */
};

int lathe_topband_new(uint32_t channels, uint32_t latency, const lathe_dsp_alloc *al,
                      lathe_topband **out)
{
    if (channels < 1 || channels > MAX_CH)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_topband *t = lathe_dsp_calloc(&a, 1, sizeof *t);
    if (!t)
        return LATHE_DSP_NOMEM;
    t->al = a;
    t->channels = channels;
    t->latency = latency;
    lathe_biquad_butterworth(t->lp, 4, 0, CUTOFF, 1.0);
    /* frame f's bound: the envelope from f - HALF_PERIOD to f + latency */
    if (lathe_slidemin_init(&t->held, HALF_PERIOD + t->latency + 1, &a) != 0) {
        lathe_topband_free(t);
        return LATHE_DSP_NOMEM;
    }
    lathe_topband_reset(t);
    *out = t;
    return LATHE_DSP_OK;
}

void lathe_topband_free(lathe_topband *t)
{
    if (!t)
        return;
    lathe_dsp_alloc a = t->al;
    lathe_slidemin_fini(&t->held, &a);
    lathe_dsp_free(&a, t);
}

void lathe_topband_reset(lathe_topband *t)
{
    memset(t->z, 0, sizeof t->z);
    t->t = 0;
    t->held.head = t->held.n = 0;
}

void lathe_topband_process(lathe_topband *t, const float *const *ch, uint32_t n, float *bound)
{
    for (uint32_t i = 0; i < n; i++, t->t++) {
        double sign = (t->t & 1) ? -1.0 : 1.0, e = 0.0;
        for (uint32_t c = 0; c < t->channels; c++) {
            double v = sign * (double)ch[c][i];
            v = lathe_biquad_tick(&t->lp[0], t->z[c][0], v);
            v = fabs(lathe_biquad_tick(&t->lp[1], t->z[c][1], v));
            e = v > e ? v : e;
        }
        bound[i] = (float)-lathe_slidemin_push(&t->held, t->t, -e);
    }
    /* a decaying state would reach denormals in silence */
    for (uint32_t c = 0; c < t->channels; c++)
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < 2; k++)
                if (fabs(t->z[c][s][k]) < 1e-30)
                    t->z[c][s][k] = 0.0;
}

uint32_t lathe_topband_latency(const lathe_topband *t)
{
    return t->latency;
}
