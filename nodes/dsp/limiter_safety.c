/* limiter_safety.c - the safety stage's skip bounds (see limiter_safety.h). */
#include "limiter_safety.h"

#include "limiter_stage.h"
#include "simd.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The main stage's frame peaks bound its points and every refinement it could have made: a point
 * its float screen passes over has no parabola rising above the frame's peak by more than the
 * screen's rounding (the second difference's, ~1e-7 relative: tpdetect.c). PEAK_SLACK covers
 * that and the refinement's upward rounding (2.4e-7), SUM_SLACK this file's float sums (< 2e-6
 * over 250 terms), ROUND_SLACK (times the weights' sum and the largest |x|) the interpolators'
 * own rounding against their exact sums (< 1e-5 relative of the filters' gain, tpfilter.h). */
#define PEAK_SLACK (1.0 + 1e-5)
#define SUM_SLACK (1.0 + 1e-5)
#define ROUND_SLACK 1e-4

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

int lathe_safety_bound_init(safety_bound *b, const lathe_tpdetect *d, const lathe_dsp_alloc *al)
{
    memset(b, 0, sizeof *b);
    b->taps = 2 * (lathe_tpdetect_reach(d) - 1);
    b->group = lathe_tpdetect_group();
    b->hist = b->taps + 1; /* a group's support then starts on a block boundary */
    const uint32_t len = b->hist + LIMITER_CHUNK, nu = b->taps + b->group + 1;
    const uint32_t nb = (len + b->group - 1) / b->group;
    b->nw = (nu + b->group - 1) / b->group;
    float *w = lathe_dsp_calloc(al, (size_t)b->nw * b->group, sizeof(float));
    b->w = lathe_dsp_calloc(al, b->nw, sizeof(float));
    b->c = lathe_dsp_calloc(al, len, sizeof(float));
    b->a = lathe_dsp_calloc(al, len, sizeof(float));
    b->p = lathe_dsp_calloc(al, len, sizeof(float));
    b->cmin = lathe_dsp_calloc(al, nb, sizeof(float));
    b->cmax = lathe_dsp_calloc(al, nb, sizeof(float));
    b->amax = lathe_dsp_calloc(al, nb, sizeof(float));
    int ok = w && b->w && b->c && b->a && b->p && b->cmin && b->cmax && b->amax;
    if (ok) {
        lathe_tpdetect_group_weights(d, w);
        for (uint32_t u = 0; u < nu; u++) {
            b->w[u / b->group] += w[u] * (1.0f + 0x1p-20f); /* sums rounded up */
            b->wsum += w[u];
        }
    }
    lathe_dsp_free(al, w);
    return ok ? 0 : -1;
}

void lathe_safety_bound_fini(safety_bound *b, const lathe_dsp_alloc *al)
{
    lathe_dsp_free(al, b->w);
    lathe_dsp_free(al, b->c);
    lathe_dsp_free(al, b->a);
    lathe_dsp_free(al, b->p);
    lathe_dsp_free(al, b->cmin);
    lathe_dsp_free(al, b->cmax);
    lathe_dsp_free(al, b->amax);
}

void lathe_safety_bound_reset(safety_bound *b)
{
    for (uint32_t i = 0; i < b->hist; i++) {
        b->c[i] = 0.0f; /* silence: x = 0, whatever the factor */
        b->a[i] = 0.0f;
        b->p[i] = 0.0f;
    }
}

/* Per block of G frames from frame 0 of the buffer (len frames): the factor's range, |x|'s
 * largest. Each frame's (C - c) |x| is then at most (C - cmin) amax of its block. */
LATHE_HOT_CLONES static void block_stats(safety_bound *b, uint32_t len)
{
    const uint32_t G = b->group;
    for (uint32_t k = 0; k * G < len; k++) {
        const float *restrict c = b->c + k * G, *restrict a = b->a + k * G;
        uint32_t m = len - k * G < G ? len - k * G : G;
        float lo = c[0], hi = c[0], am = a[0];
        for (uint32_t i = 1; i < m; i++) {
            lo = c[i] < lo ? c[i] : lo;
            hi = c[i] > hi ? c[i] : hi;
            am = a[i] > am ? a[i] : am;
        }
        b->cmin[k] = lo;
        b->cmax[k] = hi;
        b->amax[k] = am;
    }
}

/* The bound for the group whose support is blocks k0 .. k0 + nb - 1 and whose frames' intervals
 * (with the refinement's neighbours) are p[p0 .. p0 + plen). The factor R it splits by is the
 * smallest over those frames (limiter_safety.h): the main stage held each of them to its
 * threshold, so R times their peaks stays below it, and what is left is how far the factor moves
 * across the support. (R the support's largest factor, the bound before, let 32-42% of a
 * hard-limited song's frames skip detection; this one 62-87%: the gain dips at the peaks.) */
LATHE_HOT_CLONES static float bound_group(const safety_bound *b, uint32_t k0, uint32_t nb,
                                          uint32_t p0, uint32_t plen, float target,
                                          double rounding)
{
    const float *restrict lo = b->cmin + k0, *restrict hi = b->cmax + k0, *restrict am =
        b->amax + k0, *restrict w = b->w;
    const float pmax = lathe_absmax(b->p + p0, plen); /* peaks: magnitudes, their own |.| */
    float r = b->c[p0];
    for (uint32_t i = 1; i < plen; i++)
        r = b->c[p0 + i] < r ? b->c[p0 + i] : r;
    if (PEAK_SLACK * (double)r * (double)pmax > (double)target)
        return INFINITY; /* the peaks alone reach it: no need of the sums */
    /* eight lanes (a bound needs no serial order), the tail one at a time */
    v8f acc = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    uint32_t k = 0;
    for (; k + 8 <= nb; k += 8) {
        v8f wk, l, h, a;
        memcpy(&wk, w + k, sizeof wk);
        memcpy(&l, lo + k, sizeof l);
        memcpy(&h, hi + k, sizeof h);
        memcpy(&a, am + k, sizeof a);
        const v8f up = h - r, down = r - l;
        const v8i m = up > down;
        const v8f d = (v8f)((m & (v8i)up) | (~m & (v8i)down));
        acc += wk * (d * a);
    }
    float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; k < nb; k++) {
        const float up = hi[k] - r, down = r - lo[k];
        sum += w[k] * ((up > down ? up : down) * am[k]);
    }
    double f = PEAK_SLACK * (double)r * (double)pmax + (double)sum;
    double ub = SUM_SLACK * (f + rounding);
    return ub < (double)FLT_MAX ? (float)(ub * (1.0 + 0x1p-23)) : INFINITY;
}

/* The new frames' factor, |x| bound and peak at buffer frame H onwards. */
LATHE_HOT_CLONES static void add_frames(safety_bound *b, const double *g1, float in_gain,
                                        const float *const *mid, uint32_t channels,
                                        const float *p, uint32_t n)
{
    float *restrict c = b->c + b->hist, *restrict a = b->a + b->hist;
    for (uint32_t i = 0; i < n; i++)
        a[i] = fabsf(mid[0][i]);
    for (uint32_t ch = 1; ch < channels; ch++) {
        const float *restrict x = mid[ch];
        for (uint32_t i = 0; i < n; i++)
            a[i] = fabsf(x[i]) > a[i] ? fabsf(x[i]) : a[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        float ci = (float)(g1[i] * (double)in_gain);
        c[i] = ci;
        /* |x| = |mid| / c up to the product's rounding (in the slack); no factor: no bound */
        a[i] = ci > 0.0f ? a[i] / ci * (1.0f + 0x1p-22f) : INFINITY;
    }
    memcpy(b->p + b->hist, p, n * sizeof(float));
}

void lathe_safety_bound_run(safety_bound *b, const double *g1, float in_gain,
                            const float *const *mid, uint32_t channels, const float *p,
                            uint32_t n, float target, float *ub)
{
    const uint32_t H = b->hist, L = b->taps, G = b->group;
    add_frames(b, g1, in_gain, mid, channels, p, n);
    /* the interpolators' rounding, bounded over the whole buffer at once (factors and |x|
     * bounds are magnitudes: their |.| is themselves) */
    double rounding = 0.0;
    if (ub) {
        block_stats(b, H + n);
        const uint32_t nb = (H + n + G - 1) / G;
        rounding = ROUND_SLACK * (double)b->wsum * (double)lathe_absmax(b->cmax, nb) *
                   (double)lathe_absmax(b->amax, nb);
    }
    for (uint32_t i0 = 0; ub && i0 < n; i0 += G) {
        uint32_t gn = n - i0 < G ? n - i0 : G;
        /* frames i0 .. i0 + gn - 1 read buffer frames i0 .. i0 + L + gn (from block i0 / G);
         * their intervals start at H + i - L/2 - 1, the refinement reaches one either side */
        uint32_t nb = (L + gn + 1 + G - 1) / G;
        float v = bound_group(b, i0 / G, nb < b->nw ? nb : b->nw, H + i0 - L / 2 - 2, gn + 2,
                              target, rounding);
        for (uint32_t i = i0; i < i0 + gn; i++)
            ub[i] = v;
    }
    memmove(b->c, b->c + n, H * sizeof(float));
    memmove(b->a, b->a + n, H * sizeof(float));
    memmove(b->p, b->p + n, H * sizeof(float));
}
