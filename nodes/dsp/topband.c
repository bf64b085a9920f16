/* topband.c - a bound on the content at 0.98 .. 1 of Nyquist (see topband.h). */
#include "topband.h"

#include "biquad.h"
#include "decim8.h"
#include "slidemin.h"

#include <math.h>
#include <string.h>

#define MAX_CH 8
/* The band, shifted to DC by (-1)^n, is 0 .. 0.01 of the rate wide: taken down to an eighth of
 * the rate (decim8.h), then a 4th-order Butterworth low-pass with its -3 dB point at the band's
 * edge (where tpfilter is still flat, so a partial count there costs nothing) leaves the band,
 * and its magnitude is the envelope: a few operations a frame, where the same filter at the full
 * rate cost 4% of a release render. */
#define GROUP LATHE_DECIM8
#define CUTOFF 0.01
/* The envelope, sampled once a group, may miss the crest of a band-edge tone by 3%; the
 * boxcars took 2.1% at the edge. */
#define SAMPLING_MARGIN 1.06
/* A frame's bound holds the envelope from HALF_PERIOD before it (the half-period of the band's
 * lowest frequency once shifted, 0.01 of the rate) to `latency` after it: enough from 114
 * frames, that half-period and the filters' delay (~50 frames at DC, more near the edge). */
#define HALF_PERIOD 50

struct lathe_topband {
    lathe_dsp_alloc al;
    uint32_t channels;
    lathe_biquad lp[2];        /* at an eighth of the rate */
    double z[MAX_CH][2][2];
    lathe_decim8 dec;
    double held_max;           /* the envelope's largest over the window's complete groups */
    double peak;               /* and over every complete group so far */
    lathe_slidemin held;       /* of minus each group's envelope: their maximum */
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
    lathe_biquad_butterworth(t->lp, 4, 0, CUTOFF * GROUP, 1.0);
    /* frame f's bound: the envelope from f - HALF_PERIOD to f + latency, in whole groups */
    if (lathe_slidemin_init(&t->held, (HALF_PERIOD + latency + GROUP - 1) / GROUP + 1, &a) != 0) {
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
    lathe_decim8_init(&t->dec, t->channels, 1);
    t->held_max = t->peak = 0.0;
    lathe_slidemin_reset(&t->held);
}

/* [rt] A group is complete, its values in y: its envelope into the window. */
static void group_done(lathe_topband *t, const double *y)
{
    double e = 0.0;
    for (uint32_t c = 0; c < t->channels; c++) {
        double v = lathe_biquad_tick(&t->lp[0], t->z[c][0], y[c]);
        v = fabs(lathe_biquad_tick(&t->lp[1], t->z[c][1], v));
        e = v > e ? v : e;
    }
    e *= SAMPLING_MARGIN;
    t->peak = e > t->peak ? e : t->peak;
    t->held_max = -lathe_slidemin_push(&t->held, -e);
}

float lathe_topband_process(lathe_topband *t, const float *const *ch, uint32_t n, float *bound)
{
    double y[MAX_CH];
    float top = 0.0f;
    for (uint32_t i = 0; i < n;) {
        int done;
        uint32_t k = lathe_decim8_feed(&t->dec, ch, i, n - i, y, &done);
        const float v = (float)t->held_max;
        for (uint32_t j = 0; bound && j < k; j++)
            bound[i + j] = v;
        top = bound && v > top ? v : top;
        i += k;
        if (done)
            group_done(t, y);
    }
    for (uint32_t c = 0; c < t->channels; c++) /* a decaying state would reach denormals */
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < 2; k++)
                if (fabs(t->z[c][s][k]) < 1e-30)
                    t->z[c][s][k] = 0.0;
    return top;
}

double lathe_topband_peak(const lathe_topband *t)
{
    return t->peak;
}
