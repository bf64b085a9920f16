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
    double z[MAX_CH][4];       /* per channel, the two sections' states */
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

/* [rt] A group is complete, its values in y: through the filters (lp, states z), its envelope
 * into the window (the largest so far in *peak, the window's in *held_max). */
static inline __attribute__((always_inline)) void group_done(lathe_topband *t,
                                                               const lathe_biquad *lp,
                                                               double (*z)[4], uint32_t nc,
                                                               const double *y, double *peak,
                                                               double *held_max)
{
    double e = 0.0;
    for (uint32_t c = 0; c < nc; c++) {
        double v = lathe_biquad_tick(&lp[0], &z[c][0], y[c]);
        v = fabs(lathe_biquad_tick(&lp[1], &z[c][2], v));
        e = v > e ? v : e;
    }
    e *= SAMPLING_MARGIN;
    *peak = e > *peak ? e : *peak;
    *held_max = -lathe_slidemin_push(&t->held, -e);
}

/* Groups taken at once by bulk() (its scratch lives on the stack). */
#define BULK 64
typedef float v8f __attribute__((vector_size(4 * GROUP)));

/* [rt] n_groups whole groups from a group boundary, ch[c][at] on: the same values, in the same
 * order, as lathe_decim8_feed() and group_done() one group at a time, but every group's
 * decimation first, without branches, and the filters' state in locals, which a channel count
 * known here (C > 0: the common 1 and 2) keeps in registers (0.027 -> 0.021 s over
 * 226 s of stereo, a driver). */
static inline __attribute__((always_inline)) float bulk(lathe_topband *t, const uint32_t C,
                                                          const float *const *ch, uint32_t at,
                                                          uint32_t n_groups, float *bound,
                                                          float top)
{
    const uint32_t nc = C ? C : t->channels;
    float a[MAX_CH][BULK], b[MAX_CH][BULK];
    for (uint32_t c = 0; c < nc; c++)
        lathe_decim8_sums(t->dec.alternate, ch[c] + at, n_groups, a[c], b[c]);
    const lathe_biquad lp[2] = {t->lp[0], t->lp[1]};
    double z[MAX_CH][4], y[MAX_CH], held_max = t->held_max, peak = t->peak;
    float prev[MAX_CH];
    memcpy(z, t->z, nc * sizeof z[0]);
    memcpy(prev, t->dec.prev_b, nc * sizeof prev[0]);
    for (uint32_t g = 0; g < n_groups; g++) {
        const float v = (float)held_max; /* the group's frames' bound: before it completes */
        if (bound) {
            const v8f splat = {v, v, v, v, v, v, v, v};
            memcpy(bound + at + GROUP * g, &splat, sizeof splat);
            top = v > top ? v : top;
        }
        for (uint32_t c = 0; c < nc; c++) {
            y[c] = lathe_decim8_value(a[c][g], b[c][g], prev[c]);
            prev[c] = b[c][g];
        }
        group_done(t, lp, z, nc, y, &peak, &held_max);
    }
    memcpy(t->z, z, nc * sizeof z[0]);
    memcpy(t->dec.prev_b, prev, nc * sizeof prev[0]);
    t->held_max = held_max;
    t->peak = peak;
    t->dec.t += (uint64_t)GROUP * n_groups;
    return top;
}

float lathe_topband_process(lathe_topband *t, const float *const *ch, uint32_t n, float *bound)
{
    double y[MAX_CH];
    float top = 0.0f;
    for (uint32_t i = 0; i < n;) {
        if (t->dec.t % GROUP == 0 && n - i >= GROUP) {
            uint32_t g = (n - i) / GROUP < BULK ? (n - i) / GROUP : BULK;
            top = t->channels == 2   ? bulk(t, 2, ch, i, g, bound, top)
                  : t->channels == 1 ? bulk(t, 1, ch, i, g, bound, top)
                                     : bulk(t, 0, ch, i, g, bound, top);
            i += GROUP * g;
            continue;
        }
        int done;
        uint32_t k = lathe_decim8_feed(&t->dec, ch, i, n - i, y, &done);
        const float v = (float)t->held_max;
        for (uint32_t j = 0; bound && j < k; j++)
            bound[i + j] = v;
        top = bound && v > top ? v : top;
        i += k;
        if (done)
            group_done(t, t->lp, t->z, t->channels, y, &t->peak, &t->held_max);
    }
    for (uint32_t c = 0; c < t->channels; c++) /* a decaying state would reach denormals */
        for (int k = 0; k < 4; k++)
            if (fabs(t->z[c][k]) < 1e-30)
                t->z[c][k] = 0.0;
    return top;
}

double lathe_topband_peak(const lathe_topband *t)
{
    return t->peak;
}
