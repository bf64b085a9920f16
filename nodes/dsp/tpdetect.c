/* tpdetect.c - per-frame refined true-peak detector (see tpdetect.h).
 *
 * Buffer layout per channel: H = L + 2 history samples, then the new chunk. Interval j (from
 * b[j] to b[j + 1]) is interpolated from b[j - L/2 + 1 .. j + L/2]. A chunk of n frames
 * computes intervals L/2 .. L/2 + n + 1 and reports intervals L/2 + 1 .. L/2 + n: the extra
 * interval on each side supplies the neighbours of the parabolic refinement. */
#include "tpdetect.h"

#include "simd.h"
#include "tpfilter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CH 8
#define CHUNK 256

/* The second interpolator: 4x (2x at 88.2-192 kHz, none above) with a 49-tap Hann-windowed
 * sinc, the short BS.1770-style filter of libebur128 and many plug-in meters. Near Nyquist its
 * images leak in and it reads above the ideal reconstruction; the limiter must satisfy those
 * meters too, so a frame's peak is the larger of both interpolations. 12 taps per phase,
 * offsets -5..6 around the interval's first sample. */
#define SHORT_TAPS 12
#define SHORT_LANES 4
/* Frames screened together against the threshold (see lathe_tpdetect_set_threshold). */
#define GROUP 8

struct lathe_tpdetect {
    lathe_dsp_alloc al;
    uint32_t channels, factor, taps, short_factor;
    lathe_tpfilter *f;        /* the meter's interpolator */
    float hs[SHORT_TAPS * SHORT_LANES]; /* hs[k * 4 + p], p < short_factor */
    float *hist[MAX_CH];      /* taps + 2 + CHUNK */
    float *y;                 /* (CHUNK + 2) * factor */
    float thr;                /* lathe_tpdetect_set_threshold()'s; 0 off */
    double short_gain;        /* largest sum |short tap| over its points */
    uint32_t xlim_bits;       /* |x| bit pattern at or below which a group is skipped; 0 off */
    float mlim;               /* frame maximum at or below which no refinement can pass the
                               * threshold: the frame reports it unrefined; 0 off */
};

/* h(tau) = sinc(tau) * Hann over |tau| < 6 input samples (49 taps at 4x), sampled at the
 * points j + p/4. At 96 kHz and above (where such meters drop to 2x or none and programme
 * content near Nyquist is negligible) it is off. */
static void design_short(lathe_tpdetect *d, uint32_t rate)
{
    const double pi = 3.14159265358979323846;
    d->short_factor = rate < 96000 ? SHORT_LANES : 0;
    memset(d->hs, 0, sizeof d->hs);
    for (uint32_t p = 1; p < d->short_factor; p++) {
        for (int k = 0; k < SHORT_TAPS; k++) {
            /* tap k multiplies x[j + k - 5]; the point lies at j + p/4 */
            double tau = (double)p / SHORT_LANES - (double)(k - 5);
            double w = fabs(tau) >= 6.0 ? 0.0 : 0.5 * (1.0 + cos(pi * tau / 6.0));
            d->hs[k * SHORT_LANES + p] = (float)(sin(pi * tau) / (pi * tau) * w);
        }
    }
}

/* Largest sum of |taps| over the phases of the short filter hs[k * F + p]. */
static double abs_gain(const float *h, uint32_t F, uint32_t L)
{
    double b = 0.0;
    for (uint32_t p = 0; p < F; p++) {
        double s = 0.0;
        for (uint32_t k = 0; k < L; k++)
            s += fabs((double)h[k * F + p]);
        b = fmax(b, s);
    }
    return b;
}

int lathe_tpdetect_new(uint32_t rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_tpdetect **out)
{
    if (rate < 8000 || rate > 768000 || channels < 1 || channels > MAX_CH)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_tpdetect *d = lathe_dsp_calloc(&a, 1, sizeof *d);
    if (!d)
        return LATHE_DSP_NOMEM;
    d->al = a;
    d->channels = channels;
    d->f = lathe_tpfilter_new(rate, CHUNK + 2, &a);
    int ok = d->f != NULL;
    if (ok) {
        d->factor = lathe_tpfilter_factor(d->f);
        d->taps = lathe_tpfilter_taps(d->f);
        ok = (d->y = lathe_dsp_calloc(&a, (size_t)(CHUNK + 2) * d->factor, sizeof(float))) != NULL;
    }
    for (uint32_t c = 0; ok && c < channels; c++)
        ok = (d->hist[c] = lathe_dsp_calloc(&a, d->taps + 2 + CHUNK, sizeof(float))) != NULL;
    if (!ok) {
        lathe_tpdetect_free(d);
        return LATHE_DSP_NOMEM;
    }
    design_short(d, rate);
    d->short_gain = abs_gain(d->hs, SHORT_LANES, SHORT_TAPS);
    *out = d;
    return 0;
}

void lathe_tpdetect_free(lathe_tpdetect *d)
{
    if (!d)
        return;
    lathe_dsp_alloc a = d->al;
    for (uint32_t c = 0; c < d->channels; c++)
        lathe_dsp_free(&a, d->hist[c]);
    lathe_tpfilter_free(d->f);
    lathe_dsp_free(&a, d->y);
    lathe_dsp_free(&a, d);
}

void lathe_tpdetect_reset(lathe_tpdetect *d)
{
    for (uint32_t c = 0; c < d->channels; c++)
        memset(d->hist[c], 0, (d->taps + 2 + CHUNK) * sizeof(float));
}

/* Every reported value is at most K max|x| over the frame's support: an interpolated point is
 * at most the main (or short) filter's abs_gain times it, and the parabola through three points
 * rises at most 1.25 times their largest magnitude within one point of the middle (the Lebesgue
 * constant of three equispaced nodes). The relative 1e-4 covers float accumulation (48 taps:
 * < 3e-6) and refine()'s upward rounding (2.4e-7). */
void lathe_tpdetect_set_threshold(lathe_tpdetect *d, float threshold)
{
    d->xlim_bits = 0;
    d->mlim = 0.0f;
    d->thr = threshold > 0.0f ? threshold : 0.0f;
    if (!(threshold > 0.0f))
        return;
    /* a refined point is at most 1.25 times the largest of its three (see above) */
    d->mlim = (float)((double)threshold / (1.25 * (1.0 + 1e-4)));
    while (d->mlim > 0.0f && 1.25 * (1.0 + 1e-4) * (double)d->mlim > (double)threshold)
        d->mlim = nextafterf(d->mlim, 0.0f);
    double k = fmax(1.25 * lathe_tpfilter_gain_bound(d->f),
                    abs_gain(d->hs, SHORT_LANES, SHORT_TAPS)) * (1.0 + 1e-4);
    float lim = (float)((double)threshold / k);
    while (lim > 0.0f && (double)lim * k > (double)threshold)
        lim = nextafterf(lim, 0.0f);
    memcpy(&d->xlim_bits, &lim, sizeof lim);
}

uint32_t lathe_tpdetect_latency(const lathe_tpdetect *d)
{
    return d->taps / 2 + 1;
}

uint32_t lathe_tpdetect_reach(const lathe_tpdetect *d)
{
    return d->taps / 2 + 1;
}

/* The meter's refinement: the peak of the parabola through v[-1], v[0], v[1] (signs taken from
 * v[0]) when its vertex lies within one point, rounded up to float (never below the meter's
 * double value); |v[0]| otherwise. */
static float refine(const float *v)
{
    double s = v[0] < 0.0f ? -1.0 : 1.0;
    double a = s * (double)v[-1], b = s * (double)v[0], c = s * (double)v[1];
    double den = a - 2.0 * b + c;
    if (den >= 0.0)
        return fabsf(v[0]);
    double p = 0.5 * (a - c) / den;
    if (p < -1.0 || p > 1.0)
        return fabsf(v[0]);
    double r = b - 0.25 * (a - c) * p;
    return (float)(r * (1.0 + 0x1p-22)); /* round up: never below the meter's double value */
}

/* Largest refined |y| over the points v[0..F] of a frame (v[-1] and v[F + 1] exist). The meter
 * refines its overall maximum by the parabola through the neighbours; here every point whose
 * parabola could rise above the frame's largest point is refined, so no frame reads below what
 * the meter could make of any of its points. A float screen keeps it to the frame's peak. */
/* Whether point v[0] is a refinement candidate against the frame maximum m, sign-free: with
 * D = v[-1] - 2 v[0] + v[1] and d = v[-1] - v[1], the parabola (signs of v[0]) opens downwards
 * when v[0] * D < 0, its vertex lies within one point when |d| / 2 <= |D|, and it rises to m
 * when d^2 / 8 >= (m - |v[0]|) |D|. Float with slack; refine() decides exactly. */
static inline int candidate(float lo, float mid, float hi, float m)
{
    float D = lo - 2.0f * mid + hi, d = lo - hi;
    return mid * D < 0.0f && 0.5f * fabsf(d) <= 1.001f * fabsf(D) &&
           0.125f * d * d >= 0.999f * (m - fabsf(mid)) * fabsf(D);
}

typedef float v8f __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));

#define VABS8(x) ((v8f)((v8i)(x) & 0x7fffffff))

/* A whole-vector max (of b where b > a) and or, by halving shuffles: the serial loops over
 * lanes they replace cost more than the screen itself. Pointers, not vector values: the
 * baseline clone has no AVX registers to pass them in. */
#define VMAX8(a, b)                                                                             \
    do {                                                                                        \
        v8i m_ = (v8i)((b) > (a));                                                              \
        (a) = (v8f)(((v8i)(b) & m_) | ((v8i)(a) & ~m_));                                        \
    } while (0)

static inline __attribute__((always_inline)) float hmax8(const v8f *p)
{
    v8f a = *p;
    VMAX8(a, __builtin_shufflevector(a, a, 4, 5, 6, 7, 0, 1, 2, 3));
    VMAX8(a, __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5));
    VMAX8(a, __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6));
    return a[0];
}

static inline __attribute__((always_inline)) int hor8(const v8i *p)
{
    v8i a = *p;
    a |= __builtin_shufflevector(a, a, 4, 5, 6, 7, 0, 1, 2, 3);
    a |= __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5);
    a |= __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6);
    return a[0] != 0;
}

/* Refines the candidates among v[0..F] against the frame maximum m. */
static float refine_frame(const float *v, uint32_t F, float m)
{
    float r = m;
    for (uint32_t k = 0; k <= F; k++) {
        if (candidate(v[(int)k - 1], v[k], v[k + 1], m)) {
            float t = refine(v + k);
            r = t > r ? t : r;
        }
    }
    return r;
}

/* frame_peak for F = 8 with the screen on 8-lane vectors (point 8 scalar). A refinement rises at
 * most 1.25 times the largest of its three points, so a frame whose points and both neighbours
 * (v[-1] and v[F + 1]: the end points' parabolas reach them) are at or below mlim cannot refine
 * above the threshold: it reports its largest point. */
static inline __attribute__((always_inline)) float frame_peak8(const float *v, float mlim)
{
    v8f lo = *(const v8f *)(v - 1), mid = *(const v8f *)v, hi = *(const v8f *)(v + 1);
    v8f am = VABS8(mid);
    float m = hmax8(&am), a8 = fabsf(v[8]);
    m = a8 > m ? a8 : m;
    if (m <= mlim && fabsf(v[-1]) <= mlim && fabsf(v[9]) <= mlim)
        return m;
    v8f D = lo - 2.0f * mid + hi, d = lo - hi, aD = VABS8(D);
    v8i c = (mid * D < 0.0f) & (0.5f * VABS8(d) <= 1.001f * aD) &
            (0.125f * d * d >= 0.999f * (m - am) * aD);
    if (!hor8(&c) && !candidate(v[7], v[8], v[9], m))
        return m;
    return refine_frame(v, 8, m);
}

static float frame_peak(const float *v, uint32_t F, float mlim)
{
    float m = 0.0f;
    for (uint32_t k = 0; k <= F; k++)
        m = fabsf(v[k]) > m ? fabsf(v[k]) : m;
    if (m <= mlim && fabsf(v[-1]) <= mlim && fabsf(v[F + 1]) <= mlim)
        return m;
    int any = 0;
    for (uint32_t k = 0; k <= F; k++) /* branch-free screen, vectorisable */
        any |= candidate(v[(int)k - 1], v[k], v[k + 1], m);
    return any ? refine_frame(v, F, m) : m;
}

/* Largest |y| of the short interpolator over intervals; w[q] is interval q's first tap
 * (x[j - 5]). Lane 0 is zero: the sample itself is already in the main points. */
typedef float v4f __attribute__((vector_size(16), aligned(4)));

LATHE_HOT_CLONES static void short_peaks(const float *restrict w, const float *restrict h,
                                         uint32_t n, float *restrict out)
{
    uint32_t q = 0;
    for (; q + 4 <= n; q += 4) { /* four intervals side by side, each summed as below */
        v4f acc[4] = {{0}, {0}, {0}, {0}};
        for (uint32_t k = 0; k < SHORT_TAPS; k++) {
            v4f hk = *(const v4f *)(h + k * SHORT_LANES);
            for (uint32_t j = 0; j < 4; j++)
                acc[j] += hk * w[q + j + k];
        }
        for (uint32_t j = 0; j < 4; j++) {
            float m = out[q + j];
            for (uint32_t p = 0; p < SHORT_LANES; p++)
                m = fabsf(acc[j][p]) > m ? fabsf(acc[j][p]) : m;
            out[q + j] = m;
        }
    }
    for (; q < n; q++) {
        v4f acc = {0};
        for (uint32_t k = 0; k < SHORT_TAPS; k++)
            acc += *(const v4f *)(h + k * SHORT_LANES) * w[q + k];
        float m = out[q];
        for (uint32_t p = 0; p < SHORT_LANES; p++)
            m = fabsf(acc[p]) > m ? fabsf(acc[p]) : m;
        out[q] = m;
    }
}

/* Frame peaks of n frames from the points y (frame i's points start at y[(i + 1) F]), folded
 * into out as the maximum over channels. */
LATHE_HOT_CLONES static void fold_frames(const float *y, uint32_t F, uint32_t n, int first,
                                         float mlim, float *out)
{
    for (uint32_t i = 0; i < n; i++) {
        const float *v = y + (size_t)(i + 1) * F;
        float m = F == 8 ? frame_peak8(v, mlim) : frame_peak(v, F, mlim);
        out[i] = first || m > out[i] ? m : out[i];
    }
}

/* Frames i0 .. i0 + n: each reports the larger of its two samples (points of its own). */
static void report_samples(const lathe_tpdetect *d, const float *b, uint32_t i0, uint32_t n,
                           int first, float *out)
{
    for (uint32_t i = i0; i < i0 + n; i++) {
        float s0 = fabsf(b[d->taps / 2 + 1 + i]), s1 = fabsf(b[d->taps / 2 + 2 + i]);
        float s = s1 > s0 ? s1 : s0;
        out[i] = first || s > out[i] ? s : out[i];
    }
}

/* Frames a .. e of a run from rs whose stage 1 is done: the main points, their refinement, the
 * short interpolator. */
static void points_run(lathe_tpdetect *d, const float *b, uint32_t rs, uint32_t a, uint32_t e,
                       int first, float *out)
{
    lathe_tpfilter_points(d->f, a - rs, e - a + 2, d->y);
    fold_frames(d->y, d->factor, e - a, first, d->mlim, out + a);
    /* reported interval j = L/2 + 1 + i; its short taps start at b[j - 5] */
    if (d->short_factor)
        short_peaks(b + d->taps / 2 - 4 + a, d->hs, e - a, out + a);
}

/* Whether frames i0 .. i0 + gn - 1 of one channel read at or below the threshold, given z, an
 * upper bound of their main-filter points (stage 2's bound, or the screen's before stage 1): a
 * point is at most z, a refinement 1.25 z; the short interpolator's points are at most its tap
 * sum times the samples they read (b[L/2 - 4 + i ..] for frame i). A NaN z is never below; a
 * NaN among the short taps does not count, as before the screen (stage 2's bound ignores NaNs
 * too): the screen's window holds those taps, so its z is NaN then and nothing passes on its
 * word. */
static int group_below(const lathe_tpdetect *d, const float *b, uint32_t i0, uint32_t gn,
                       double z)
{
    if (!(1.25 * z * (1.0 + 1e-4) <= (double)d->thr))
        return 0;
    if (!d->short_factor)
        return 1;
    float xs;
    uint32_t xb = lathe_absmax_bits(b + d->taps / 2 - 4 + i0, gn + SHORT_TAPS - 1);
    memcpy(&xs, &xb, sizeof xs);
    return !(d->short_gain * (double)xs * (1.0 + 1e-4) > (double)d->thr);
}

/* Frames rs .. re of one channel, exactly where they can read above the threshold: after stage
 * 1 (the 2x signal), a group whose points are all bounded at or below it by stage 2's bound
 * from the 2x samples they read (group_below) reports its samples, as a group bounded before
 * stage 1 does; the others get stage 2. Each interval depends only on its own
 * taps, so a run gives the same values as the whole chunk. */
static void exact_run(lathe_tpdetect *d, const float *b, uint32_t rs, uint32_t re, int first,
                      float *out)
{
    /* intervals L/2 + rs .. L/2 + re + 1; interval j's taps start at b[j - L/2 + 1] */
    lathe_tpfilter_stage1(d->f, b + 1 + rs, re - rs + 2);
    uint32_t a = rs;
    for (uint32_t i0 = rs; d->thr > 0.0f && i0 < re; i0 += GROUP) {
        uint32_t gn = re - i0 < GROUP ? re - i0 : GROUP;
        /* frame i's points and both neighbours lie in intervals i - rs .. i - rs + 2 */
        double z = lathe_tpfilter_stage2_bound(d->f, i0 - rs, gn + 2);
        if (!group_below(d, b, i0, gn, z))
            continue;
        if (a < i0)
            points_run(d, b, rs, a, i0, first, out);
        report_samples(d, b, i0, gn, first, out);
        a = i0 + gn;
    }
    if (a < re)
        points_run(d, b, rs, a, re, first, out);
}

/* Frame i (interval j = L/2 + 1 + i) depends on b[i + 1 .. i + L + 2]. A group of frames whose
 * support stays at or below xlim, or whose caller's bounds ub (NULL: none) are all at or below
 * the threshold, reads at or below the threshold: it reports the larger of its two samples
 * instead (points of its own, so also at or below it), and only runs of other groups are
 * interpolated. The support's maximum is taken over whole grains of tpfilter's screen from b[1]
 * (a few more samples than needed: a bound all the same; one pass gives both); a group above it
 * may still pass by the screen, before stage 1. When the whole chunk's support is at or below
 * xlim, so is every group's: one pass over it decides them all (a limiter whose input stays
 * below its ceiling spends most of its detection here). */
LATHE_HOT_CLONES static void chunk_channel(lathe_tpdetect *d, const float *b, uint32_t n,
                                           int first, const float *ub, float *out)
{
    const uint32_t L = d->taps, avail = L + 1 + n; /* b[1 .. L + 1 + n] */
    uint32_t curve[LATHE_TPFILTER_GRAINS(CHUNK + LATHE_TPFILTER_MAX_TAPS + 1)];
    uint32_t peak[LATHE_TPFILTER_GRAINS(CHUNK + LATHE_TPFILTER_MAX_TAPS + 1)];
    uint32_t rs = 0;
    int grained = 0;
    if (d->xlim_bits && lathe_absmax_bits(b + 1, avail) <= d->xlim_bits) {
        report_samples(d, b, 0, n, first, out);
        return;
    }
    for (uint32_t i0 = 0; i0 < n; i0 += GROUP) {
        uint32_t gn = n - i0 < GROUP ? n - i0 : GROUP, m = 0;
        if (!d->xlim_bits)
            break;
        int below = 1;
        for (uint32_t i = i0; ub && i < i0 + gn; i++)
            below &= ub[i] <= d->thr;
        if (!ub || !below) { /* the support's grains, once a chunk: its peak, else the screen */
            if (!grained)
                lathe_tpfilter_grains(b + 1, avail, curve, peak);
            grained = 1;
            const uint32_t G = LATHE_TPFILTER_GRAIN;
            for (uint32_t g = i0 / G; g <= (i0 + L + gn) / G; g++)
                m = peak[g] > m ? peak[g] : m;
            below = m <= d->xlim_bits ||
                    group_below(d, b, i0, gn,
                                lathe_tpfilter_screen(d->f, b + 1, i0, gn + 2, curve, peak));
        }
        if (!below)
            continue;
        if (rs < i0)
            exact_run(d, b, rs, i0, first, out);
        report_samples(d, b, i0, gn, first, out);
        rs = i0 + gn;
    }
    if (rs < n)
        exact_run(d, b, rs, n, first, out);
}

static void chunk(lathe_tpdetect *d, const float *const *ch, uint32_t n, const float *ub,
                  float *out)
{
    const uint32_t H = d->taps + 2;
    for (uint32_t c = 0; c < d->channels; c++) {
        float *b = d->hist[c];
        memcpy(b + H, ch[c], n * sizeof(float));
        chunk_channel(d, b, n, c == 0, ub, out);
        memmove(b, b + n, H * sizeof(float));
    }
}

void lathe_tpdetect_skip(lathe_tpdetect *d, const float *const *ch, uint32_t n)
{
    const uint32_t H = d->taps + 2;
    for (uint32_t off = 0; off < n; off += CHUNK) {
        uint32_t k = n - off < CHUNK ? n - off : CHUNK;
        for (uint32_t c = 0; c < d->channels; c++) {
            float *b = d->hist[c];
            memcpy(b + H, ch[c] + off, k * sizeof(float));
            memmove(b, b + k, H * sizeof(float));
        }
    }
}

void lathe_tpdetect_process(lathe_tpdetect *d, const float *const *ch, uint32_t n,
                            float *peak_out)
{
    lathe_tpdetect_process_bounded(d, ch, n, NULL, peak_out);
}

void lathe_tpdetect_process_bounded(lathe_tpdetect *d, const float *const *ch, uint32_t n,
                                    const float *ub, float *peak_out)
{
    const float *x[MAX_CH];
    for (uint32_t off = 0; off < n; off += CHUNK) {
        uint32_t k = n - off < CHUNK ? n - off : CHUNK;
        for (uint32_t c = 0; c < d->channels; c++)
            x[c] = ch[c] + off;
        chunk(d, x, k, ub ? ub + off : NULL, peak_out + off);
    }
}

uint32_t lathe_tpdetect_group(void)
{
    return GROUP;
}

/* Frame i0 + j of a group (j < GROUP) reports points of intervals m - 1 .. m + 1 of the main
 * interpolator (m = i0 + j - L/2 - 1, the neighbours through the refinement) and the short
 * interpolator's points of interval m. Interval q's main taps are x[q - L/2 + 1 + t], t < L,
 * its short taps x[q - 5 + k], k < 12; relative to the support's first frame i0 - L - 1 these
 * are u = j + dq + t + 1 and u = j + k + L/2 - 5. */
void lathe_tpdetect_group_weights(const lathe_tpdetect *d, float *w)
{
    const uint32_t L = d->taps, F = d->factor;
    const float *h = lathe_tpfilter_composite(d->f);
    memset(w, 0, (L + GROUP + 1) * sizeof(float));
    for (uint32_t t = 0; t < L; t++) {
        float a = 0.0f;
        for (uint32_t p = 0; p < F; p++)
            a = fmaxf(a, fabsf(h[t * F + p]));
        a *= 1.25f; /* the refinement (see lathe_tpdetect_set_threshold) */
        for (uint32_t u = t; u < t + GROUP + 2; u++) /* j + dq + 1 = 0 .. GROUP + 1 */
            w[u] = fmaxf(w[u], a);
    }
    for (uint32_t k = 0; d->short_factor && k < SHORT_TAPS; k++) {
        float a = 0.0f;
        for (uint32_t p = 0; p < SHORT_LANES; p++)
            a = fmaxf(a, fabsf(d->hs[k * SHORT_LANES + p]));
        for (uint32_t j = 0; j < GROUP; j++)
            w[j + k + L / 2 - 5] = fmaxf(w[j + k + L / 2 - 5], a);
    }
}
