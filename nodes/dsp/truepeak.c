/* truepeak.c - polyphase true-peak meter (see truepeak.h).
 *
 * Interval j (between x[j] and x[j+1]) is interpolated at j + p/F, p = 0..F-1, from L input
 * samples x[j-L/2+1 .. j+L/2] with a Kaiser-windowed sinc. Phase 0 is the sample itself (the
 * sinc's zeros fall on integers), so the interpolated maximum includes the sample peak.
 *
 * Speed: lathe_truepeak_add() skips a chunk of intervals when no interpolated value in it can
 * exceed the channel's running maximum: |y| <= sum|h_p| * max|x| over the chunk's taps, an exact
 * bound. frame_peaks() (a limiter's detector) computes every interval. The hot loop is written
 * with the phases as the vector dimension, compiled for AVX2 and baseline x86-64 (each lane does
 * the same operations in the same order, so both give identical results). */
#include "truepeak.h"

#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CH 64
#define CHUNK 512 /* intervals computed per pass */
#define SKIP_BLOCK 64

struct lathe_truepeak {
    uint32_t rate, channels, factor, taps; /* taps = L per phase */
    float *h;        /* h[t * factor + p], t = 0..L-1 */
    double l1max;    /* max over phases of sum |h_p| */
    float *hmax;     /* per tap: max over phases of |h_p[k]|, made symmetric (a bound's weights) */
    float *absb;     /* scratch: |history| of one channel, L + CHUNK */
    uint32_t tb_backoff[MAX_CH], tb_wait[MAX_CH]; /* blocks to go before trying the bound again */
    float *hist;     /* per channel: L history samples followed by CHUNK new ones */
    float *y;        /* scratch: (CHUNK + 1) * factor + 1 interpolated values */
    float *fp;       /* scratch for frame_peaks: CHUNK */
    double ch_max[MAX_CH];
    double sample_max[MAX_CH];
    double max;
    int64_t max_frame;
    uint64_t fed;    /* frames fed so far */
};


static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200 && term > sum * 1e-17; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
    }
    return sum;
}

/* Kaiser-windowed sinc, designed in double, each phase normalised to unity DC gain. */
static void design(lathe_truepeak *t, double beta)
{
    const double pi = 3.14159265358979323846;
    uint32_t F = t->factor, L = t->taps;
    double half = (double)L / 2.0, i0b = bessel_i0(beta);
    t->l1max = 0.0;
    for (uint32_t p = 0; p < F; p++) {
        double g[64], sum = 0.0, l1 = 0.0;
        for (uint32_t k = 0; k < L; k++) {
            double tau = (double)p / (double)F - ((double)k - half + 1.0);
            double u = tau / half;
            double w = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - u * u))) / i0b;
            double s = tau == 0.0 ? 1.0 : sin(pi * tau) / (pi * tau);
            g[k] = s * w;
            sum += g[k];
        }
        for (uint32_t k = 0; k < L; k++) {
            double v = p == 0 ? (k == L / 2 - 1 ? 1.0 : 0.0) : g[k] / sum;
            t->h[k * F + p] = (float)v;
            l1 += fabs((double)t->h[k * F + p]);
        }
        if (l1 > t->l1max)
            t->l1max = l1;
    }
}

int lathe_truepeak_new(uint32_t rate, uint32_t channels, lathe_truepeak **out)
{
    if (rate < 8000 || rate > 768000 || channels < 1 || channels > MAX_CH)
        return -2;
    lathe_truepeak *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    t->rate = rate;
    t->channels = channels;
    t->factor = rate < 88200 ? 8 : rate < 176400 ? 4 : 2;
    /* 44.1 kHz needs the longer filter: its 20 kHz passband edge is only 2 kHz below Nyquist */
    t->taps = rate < 46000 ? 48 : rate < 88200 ? 32 : 16;
    t->h = calloc((size_t)t->taps * t->factor, sizeof(float));
    t->hist = calloc((size_t)channels * (t->taps + CHUNK), sizeof(float));
    t->y = calloc((size_t)(CHUNK + 1) * t->factor + 1, sizeof(float));
    t->fp = calloc(CHUNK, sizeof(float));
    t->hmax = calloc(t->taps, sizeof(float));
    t->absb = calloc((size_t)t->taps + CHUNK + 1, sizeof(float));
    if (!t->h || !t->hist || !t->y || !t->fp || !t->hmax || !t->absb) {
        lathe_truepeak_free(t);
        return -1;
    }
    design(t, rate < 88200 ? 7.0 : 6.0);
    for (uint32_t k = 0; k < t->taps; k++)
        for (uint32_t p = 0; p < t->factor; p++) {
            float a = fabsf(t->h[k * t->factor + p]);
            uint32_t m = t->taps - 1 - k; /* either orientation of the convolution is covered */
            t->hmax[k] = a > t->hmax[k] ? a : t->hmax[k];
            t->hmax[m] = a > t->hmax[m] ? a : t->hmax[m];
        }
    lathe_truepeak_reset(t);
    *out = t;
    return 0;
}

void lathe_truepeak_free(lathe_truepeak *t)
{
    if (!t)
        return;
    free(t->h);
    free(t->hist);
    free(t->y);
    free(t->fp);
    free(t->hmax);
    free(t->absb);
    free(t);
}

void lathe_truepeak_reset(lathe_truepeak *t)
{
    memset(t->hist, 0, (size_t)t->channels * (t->taps + CHUNK) * sizeof(float));
    memset(t->ch_max, 0, sizeof(t->ch_max));
    memset(t->sample_max, 0, sizeof(t->sample_max));
    memset(t->tb_backoff, 0, sizeof(t->tb_backoff));
    memset(t->tb_wait, 0, sizeof(t->tb_wait));
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

/* y[q * F + p] for intervals q = 0..n-1 whose taps start at w[q]. The F phases form one GNU C
 * vector (plain auto-vectorisation picked the tap loop instead and gathered); two intervals per
 * step share each coefficient load. Same operations in the same order for every ISA. */
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));

#define DEFINE_INTERP(F, L, VT)                                                                \
    LATHE_HOT_CLONES static void interp_##F##_##L(const float *restrict w, const float *restrict h,   \
                                           uint32_t n, float *restrict y)                      \
    {                                                                                          \
        uint32_t q = 0;                                                                        \
        for (; q + 2 <= n; q += 2) {                                                           \
            VT a0 = {0}, a1 = {0};                                                             \
            for (uint32_t k = 0; k < L; k++) {                                                 \
                VT hk;                                                                         \
                memcpy(&hk, h + k * F, sizeof(hk));                                            \
                a0 += hk * w[q + k];                                                           \
                a1 += hk * w[q + 1 + k];                                                       \
            }                                                                                  \
            memcpy(y + q * F, &a0, sizeof(a0));                                                \
            memcpy(y + (q + 1) * F, &a1, sizeof(a1));                                          \
        }                                                                                      \
        for (; q < n; q++) {                                                                   \
            VT a0 = {0};                                                                       \
            for (uint32_t k = 0; k < L; k++) {                                                 \
                VT hk;                                                                         \
                memcpy(&hk, h + k * F, sizeof(hk));                                            \
                a0 += hk * w[q + k];                                                           \
            }                                                                                  \
            memcpy(y + q * F, &a0, sizeof(a0));                                                \
        }                                                                                      \
    }
DEFINE_INTERP(8, 48, v8f)
DEFINE_INTERP(8, 32, v8f)
DEFINE_INTERP(4, 16, v4f)
DEFINE_INTERP(2, 16, v2f)

static void interp(const lathe_truepeak *t, const float *w, uint32_t n, float *y)
{
    if (t->factor == 8 && t->taps == 48)
        interp_8_48(w, t->h, n, y);
    else if (t->factor == 8)
        interp_8_32(w, t->h, n, y);
    else if (t->factor == 4)
        interp_4_16(w, t->h, n, y);
    else
        interp_2_16(w, t->h, n, y);
}

/* Largest |v| over n floats, through the bit pattern (non-negative floats order as integers),
 * which vectorises without -ffast-math. */
LATHE_HOT_CLONES static float absmax(const float *restrict v, uint32_t n)
{
    int32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t b;
        memcpy(&b, &v[i], sizeof(b));
        b &= 0x7fffffff;
        m = b > m ? b : m;
    }
    float f;
    memcpy(&f, &m, sizeof(f));
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
static void interp_chunk(const lathe_truepeak *t, const float *b, uint32_t n, uint32_t off,
                         uint32_t cnt)
{
    uint32_t F = t->factor, L = t->taps;
    interp(t, b + off, cnt, t->y + (size_t)off * F);
    if (off + cnt == n + 1)
        t->y[(size_t)(n + 1) * F] = b[L / 2 + n];
}

static void sample_peak(lathe_truepeak *t, uint32_t c, const float *x, uint32_t n)
{
    double m = (double)absmax(x, n);
    if (m > t->sample_max[c])
        t->sample_max[c] = m;
}

/* An upper bound of every interpolated value of intervals q0-1 .. q0+cnt-1: each is a weighted
 * sum of L samples whose weights are at most hmax in magnitude, so it is at most the hmax-
 * weighted sum of |x| over its window. An eighth of the interpolation's work; on music, where
 * peaks are rare, it rules out most blocks the coarse bound (l1max x block peak) cannot. */
LATHE_HOT_CLONES
static double tight_bound(const lathe_truepeak *t, uint32_t q0, uint32_t cnt)
{
    const uint32_t L = t->taps;
    const float *restrict w = t->hmax, *restrict a = t->absb;
    float best = 0.0f;
    for (uint32_t s = q0; s <= q0 + cnt; s++) {
        float acc = 0.0f;
        for (uint32_t k = 0; k < L; k++)
            acc += w[k] * a[s + k];
        best = acc > best ? acc : best;
    }
    /* float sums of non-negative terms: allow for their rounding before comparing */
    return (double)best * (1.0 + 1e-5);
}

static void add_channel(lathe_truepeak *t, uint32_t c, const float *x, uint32_t n)
{
    uint32_t L = t->taps;
    float *b = push(t, c, x, n);
    int64_t first = (int64_t)t->fed - L / 2;
    sample_peak(t, c, x, n);
    for (uint32_t i = 0; i < n + L; i++) /* the bound's input: n + L samples of history */
        t->absb[i] = fabsf(b[i]);
    for (uint32_t q0 = 0; q0 < n; q0 += SKIP_BLOCK) {
        uint32_t cnt = n - q0 < SKIP_BLOCK ? n - q0 : SKIP_BLOCK;
        /* taps of intervals q0-1 .. q0+cnt-1 span b[q0 .. q0+cnt+L-1], plus the next sample */
        double limit = t->ch_max[c] * REFINE_FRAC;
        double bound = (double)absmax(b + q0, cnt + L) * t->l1max;
        if (bound <= limit)
            continue;
        /* On dense material (noise, heavy limiting) the bound seldom rules a block out: after a
         * miss, wait twice as many blocks as last time before paying for it again. */
        if (t->tb_wait[c]) {
            t->tb_wait[c]--;
        } else if (tight_bound(t, q0, cnt) <= limit && (double)fabsf(b[L / 2 + q0 + cnt]) <= limit) {
            t->tb_backoff[c] = 0;
            continue;
        } else {
            t->tb_backoff[c] = t->tb_backoff[c] ? (t->tb_backoff[c] < 64 ? 2 * t->tb_backoff[c] : 64) : 1;
            t->tb_wait[c] = t->tb_backoff[c];
        }
        interp_chunk(t, b, n, q0, cnt + 1);
        t->y[(size_t)(q0 + cnt + 1) * t->factor] = b[L / 2 + q0 + cnt];
        update_max(t, c, t->y + (size_t)q0 * t->factor, cnt, first + q0);
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
            interp_chunk(t, b, cnt, 0, cnt + 1);
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
