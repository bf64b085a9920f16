/* truepeak.c - polyphase true-peak meter (see truepeak.h).
 *
 * The interpolation is tpfilter.h's (shared with the limiter's detector): interval j (between
 * x[j] and x[j+1]) at j + p/F, p = 0..F-1, from the L samples x[j-L/2+1 .. j+L/2]. Point 0 is
 * the sample itself, so the interpolated maximum includes the sample peak.
 *
 * Speed: lathe_truepeak_add() skips a block of intervals when no interpolated value in it can
 * exceed the channel's running maximum: first by tpfilter's screen (chords and second
 * differences, without the first stage: it passes 1-4% of the blocks of a master, against a
 * half or more for the equivalent filter's absolute tap sum times the block's largest |x|),
 * then, after the first stage, by the second stage's bound from the 2x samples (both exact
 * bounds, the screen never below the second: a block the screen skips is one the second would
 * have, so the readings are the same to the bit). frame_peaks() (for QC) computes every
 * interval. */
#include "truepeak.h"

#include "simd.h"
#include "tpfilter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CH 64
#define CHUNK 512 /* intervals computed per pass */
#define SKIP_BLOCK 64
/* float rounding of the interpolation against the exact bounds (< 1e-5 relative) */
#define BOUND_SLACK (1.0 + 1e-4)

struct lathe_truepeak {
    lathe_dsp_alloc al;
    uint32_t rate, channels, factor, taps; /* taps = L per interval */
    lathe_tpfilter *f;
    float *hist;     /* per channel: L history samples followed by CHUNK new ones */
    float *y;        /* scratch: (CHUNK + 1) * factor + 1 interpolated values */
    double ch_max[MAX_CH];
    double sample_max[MAX_CH];
    double max;
    int64_t max_frame;
    uint64_t fed;    /* frames fed so far */
};

int lathe_truepeak_new(uint32_t rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_truepeak **out)
{
    if (rate < 8000 || rate > 768000 || channels < 1 || channels > MAX_CH)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_truepeak *t = lathe_dsp_calloc(&a, 1, sizeof(*t));
    if (!t)
        return LATHE_DSP_NOMEM;
    t->al = a;
    t->rate = rate;
    t->channels = channels;
    t->f = lathe_tpfilter_new(rate, CHUNK + 1, &a);
    if (t->f) {
        t->factor = lathe_tpfilter_factor(t->f);
        t->taps = lathe_tpfilter_taps(t->f);
        t->hist = lathe_dsp_calloc(&a, (size_t)channels * (t->taps + CHUNK), sizeof(float));
        t->y = lathe_dsp_calloc(&a, (size_t)(CHUNK + 2) * t->factor + 1, sizeof(float));
    }
    if (!t->f || !t->hist || !t->y) {
        lathe_truepeak_free(t);
        return LATHE_DSP_NOMEM;
    }
    lathe_truepeak_reset(t);
    *out = t;
    return 0;
}

void lathe_truepeak_free(lathe_truepeak *t)
{
    if (!t)
        return;
    lathe_tpfilter_free(t->f);
    lathe_dsp_alloc a = t->al;
    lathe_dsp_free(&a, t->hist);
    lathe_dsp_free(&a, t->y);
    lathe_dsp_free(&a, t);
}

void lathe_truepeak_reset(lathe_truepeak *t)
{
    memset(t->hist, 0, (size_t)t->channels * (t->taps + CHUNK) * sizeof(float));
    memset(t->ch_max, 0, sizeof(t->ch_max));
    memset(t->sample_max, 0, sizeof(t->sample_max));
    t->max = 0.0;
    t->max_frame = -1;
    t->fed = 0;
}

uint32_t lathe_truepeak_latency(const lathe_truepeak *t)
{
    return t->taps / 2 - 1;
}

uint32_t lathe_truepeak_factor(const lathe_truepeak *t)
{
    return t->factor;
}

/* Largest |v| over n floats, a NaN above everything (simd.h), in AVX2 where there is one. */
LATHE_HOT_CLONES static float absmax(const float *restrict v, uint32_t n)
{
    uint32_t m = lathe_absmax_bits(v, n);
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

/* Peak of the parabola through (-1, a), (0, b), (1, c) around a local maximum b >= a, c. */
static double parabola_peak(double a, double b, double c)
{
    double den = a - 2.0 * b + c;
    if (den >= 0.0)
        return b;
    double p = 0.5 * (a - c) / den;
    if (p < -1.0 || p > 1.0)
        return b;
    return b - 0.25 * (a - c) * p;
}

/* Grid values below REFINE_FRAC of the running maximum cannot hide a higher peak: the 8x grid
 * under-reads a band-limited signal by at most 0.17 dB (cos(pi/16)), 4x at 88.2 kHz and 2x at
 * 176.4 kHz less for content below 20 kHz. */
#define REFINE_FRAC 0.97

/* y holds F values per interval for intervals q = -1..n-1 plus one sample after: updates the
 * channel maximum from the part for q >= 0. Every local maximum of |y| that could beat it is
 * refined by a parabola. `first` is the absolute index of the sample starting interval 0. */
static void update_max(lathe_truepeak *t, uint32_t c, const float *y, uint32_t n, int64_t first)
{
    uint32_t F = t->factor;
    const float *v = y + F;
    double thr = t->ch_max[c] * REFINE_FRAC;
    if ((double)absmax(v, n * F) <= thr)
        return;
    for (int64_t i = 0; i < (int64_t)(n * F); i++) {
        double a = fabs((double)v[i - 1]), b = fabs((double)v[i]), d = fabs((double)v[i + 1]);
        if (b <= thr || b < a || b < d)
            continue;
        double s = v[i] < 0.0f ? -1.0 : 1.0;
        double pk = parabola_peak(s * (double)v[i - 1], s * (double)v[i], s * (double)v[i + 1]);
        if (pk <= t->ch_max[c])
            continue;
        t->ch_max[c] = pk;
        thr = pk * REFINE_FRAC;
        if (pk > t->max) {
            t->max = pk;
            t->max_frame = first + i / F + (i % F >= F / 2 ? 1 : 0);
        }
    }
}

/* Appends n <= CHUNK frames of channel c to its history; returns the history base. */
static float *push(lathe_truepeak *t, uint32_t c, const float *x, uint32_t n)
{
    uint32_t L = t->taps;
    float *b = t->hist + (size_t)c * (L + CHUNK);
    memcpy(b + L, x, n * sizeof(float));
    return b;
}

static void shift(lathe_truepeak *t, float *b, uint32_t n)
{
    memmove(b, b + n, t->taps * sizeof(float));
}

/* Computes intervals -1..n-1 of the chunk just pushed, plus the sample after the last. Interval
 * q starts at buffer index L/2 + q, so its taps begin at b[q + 1]. */
static void interp_chunk(lathe_truepeak *t, const float *b, uint32_t n)
{
    lathe_tpfilter_run(t->f, b, n + 1, t->y);
    t->y[(size_t)(n + 1) * t->factor] = b[t->taps / 2 + n];
}

static void sample_peak(lathe_truepeak *t, uint32_t c, const float *x, uint32_t n)
{
    double m = (double)absmax(x, n);
    if (m > t->sample_max[c])
        t->sample_max[c] = m;
}

/* The chunk's blocks whose screen (tpfilter.h) leaves them below the running maximum need
 * nothing; stage 1 runs once over each run of the others (a 64-interval block alone needs 73
 * midpoints, a run of eight 521), then each block of the run is bounded again by its 2x samples
 * or computed. */
static void add_channel(lathe_truepeak *t, uint32_t c, const float *x, uint32_t n)
{
    const uint32_t L = t->taps, F = t->factor, blocks = (n + SKIP_BLOCK - 1) / SKIP_BLOCK;
    float *b = push(t, c, x, n);
    int64_t first = (int64_t)t->fed - L / 2;
    uint8_t need[CHUNK / SKIP_BLOCK];
    uint32_t curve[LATHE_TPFILTER_GRAINS(CHUNK + LATHE_TPFILTER_MAX_TAPS)];
    uint32_t peak[LATHE_TPFILTER_GRAINS(CHUNK + LATHE_TPFILTER_MAX_TAPS)];
    sample_peak(t, c, x, n);
    lathe_tpfilter_grains(b, n + L, curve, peak);
    /* intervals q0-1 .. q0+cnt-1 read b[q0 .. q0+cnt+L-1] */
    for (uint32_t k = 0; k < blocks; k++) {
        uint32_t q0 = k * SKIP_BLOCK, cnt = n - q0 < SKIP_BLOCK ? n - q0 : SKIP_BLOCK;
        need[k] = !(lathe_tpfilter_screen(t->f, b, q0, cnt + 1, curve, peak) * BOUND_SLACK <=
                    t->ch_max[c] * REFINE_FRAC);
    }
    for (uint32_t ka = 0, kb; ka < blocks; ka = kb) {
        for (kb = ka + 1; kb < blocks && need[kb] == need[ka]; kb++)
            ;
        if (!need[ka])
            continue;
        const uint32_t qa = ka * SKIP_BLOCK, qb = kb * SKIP_BLOCK < n ? kb * SKIP_BLOCK : n;
        lathe_tpfilter_stage1(t->f, b + qa, qb - qa + 1);
        for (uint32_t q0 = qa; q0 < qb; q0 += SKIP_BLOCK) {
            uint32_t cnt = qb - q0 < SKIP_BLOCK ? qb - q0 : SKIP_BLOCK;
            /* the sample after the block's intervals is the first point of the next */
            double limit = t->ch_max[c] * REFINE_FRAC;
            float next = b[L / 2 + q0 + cnt];
            if (lathe_tpfilter_stage2_bound(t->f, q0 - qa, cnt + 1) * BOUND_SLACK <= limit &&
                (double)fabsf(next) <= limit)
                continue;
            lathe_tpfilter_points(t->f, q0 - qa, cnt + 1, t->y + (size_t)q0 * F);
            t->y[(size_t)(q0 + cnt + 1) * F] = next;
            update_max(t, c, t->y + (size_t)q0 * F, cnt, first + q0);
        }
    }
    shift(t, b, n);
}

void lathe_truepeak_add(lathe_truepeak *t, const float *const *ch, uint32_t n)
{
    uint32_t off = 0;
    while (off < n) {
        uint32_t cnt = n - off < CHUNK ? n - off : CHUNK;
        for (uint32_t c = 0; c < t->channels; c++)
            add_channel(t, c, ch[c] + off, cnt);
        t->fed += cnt;
        off += cnt;
    }
}

/* frame peak for output q: interval q (phases 0..F-1) and the sample after it. */
static void fold_peaks(const lathe_truepeak *t, uint32_t n, float *out, int first_channel)
{
    uint32_t F = t->factor;
    const float *v = t->y + F;
    for (uint32_t q = 0; q < n; q++) {
        float m = absmax(v + (size_t)q * F, F + 1);
        out[q] = first_channel || m > out[q] ? m : out[q];
    }
}

void lathe_truepeak_frame_peaks(lathe_truepeak *t, const float *const *ch, uint32_t n,
                                float *peak_out)
{
    uint32_t off = 0, L = t->taps;
    while (off < n) {
        uint32_t cnt = n - off < CHUNK ? n - off : CHUNK;
        int64_t first = (int64_t)t->fed - L / 2;
        for (uint32_t c = 0; c < t->channels; c++) {
            float *b = push(t, c, ch[c] + off, cnt);
            sample_peak(t, c, ch[c] + off, cnt);
            interp_chunk(t, b, cnt);
            update_max(t, c, t->y, cnt, first);
            fold_peaks(t, cnt, peak_out + off, c == 0);
            shift(t, b, cnt);
        }
        t->fed += cnt;
        off += cnt;
    }
}

double lathe_truepeak_max(const lathe_truepeak *t)
{
    double m = t->max;
    for (uint32_t c = 0; c < t->channels; c++)
        if (t->sample_max[c] > m)
            m = t->sample_max[c];
    return m;
}

double lathe_truepeak_channel_max(const lathe_truepeak *t, uint32_t c)
{
    if (c >= t->channels)
        return 0.0;
    return t->ch_max[c] > t->sample_max[c] ? t->ch_max[c] : t->sample_max[c];
}

int64_t lathe_truepeak_max_frame(const lathe_truepeak *t)
{
    return t->max_frame;
}
