/* tpfilter.c - the two-stage true-peak interpolator (see tpfilter.h).
 *
 * Layout of the 2x signal for a call on intervals j0 .. j0 + n - 1: z[2s] = x[j0 - l2/4 + s],
 * z[2s + 1] = the midpoint after it, s = 0 .. n + l2/2 - 1. Point p of interval q is then
 * sum over k = 0..l2 of g2[k * F + p] * z[2q + 1 + k]: the lanes p < F/2 start at the sample,
 * the others one 2x step later at the midpoint (their taps shifted by one), so all F points of
 * an interval form one vector over the same z window. */
#include "tpfilter.h"

#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HB_K 116      /* half-band taps on each side of a midpoint */
#define HB_BETA 7.0
#define S2_TAPS 16    /* stage 2 taps per phase on the 2x signal */
#define S2_BETA 10.0
#define S2_MAX_LANES 8

struct lathe_tpfilter {
    lathe_dsp_alloc al;
    uint32_t factor, l2, taps, max_n;
    float hb[HB_K];
    float p0;         /* the screen's chord weight: sum of hb, so that hb - p0 has no DC */
    double r_l1;      /* hb - p0 (on the centre pair) is the second difference of r: sum |r| */
    float *g2;        /* (l2 + 1) * factor */
    float *comp;      /* taps * factor */
    double gain_bound, s2_l1;
    /* stage 2 as a chord between two 2x samples plus a remainder (stage2_split): the largest
     * chord weight |c0| + |c1| and remainder sum |r| over the points */
    double s2_chord, s2_r;
    float *z;         /* 2 * (max_n + l2 / 2) */
};

static const double PI = 3.14159265358979323846;

static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 300 && term > sum * 1e-17; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
    }
    return sum;
}

double lathe_kaiser(double u, double beta)
{
    return fabs(u) > 1.0 ? 0.0 : bessel_i0(beta * sqrt(1.0 - u * u)) / bessel_i0(beta);
}

/* Half-band: the midpoint is sum hb[k] (x[j - k] + x[j + 1 + k]), unity at DC. */
static void design_halfband(double *hb)
{
    double sum = 0.0;
    for (int k = 0; k < HB_K; k++) {
        double m = 2.0 * k + 1.0; /* offset in 2x samples */
        hb[k] = sin(PI * m / 2.0) / (PI * m / 2.0) * lathe_kaiser(m / (2.0 * HB_K), HB_BETA);
        sum += 2.0 * hb[k];
    }
    for (int k = 0; k < HB_K; k++)
        hb[k] /= sum;
}

/* Stage 2 as F lanes over l2 + 1 taps of z (see the layout above), phases at unity DC. */
static void design_stage2(uint32_t F, uint32_t l2, double *g2)
{
    const uint32_t G = F / 2;
    double h2[S2_MAX_LANES / 2][S2_TAPS];
    for (uint32_t r = 0; r < G; r++) {
        double sum = 0.0;
        for (uint32_t k = 0; k < l2; k++) {
            double tau = (double)r / G - ((double)k - l2 / 2.0 + 1.0);
            h2[r][k] = G == 1 ? 0.0 : (tau == 0.0 ? 1.0 : sin(PI * tau) / (PI * tau)) *
                                          lathe_kaiser(tau / (l2 / 2.0), S2_BETA);
            sum += h2[r][k];
        }
        for (uint32_t k = 0; k < l2; k++)
            h2[r][k] = r == 0 ? (k == l2 / 2 - 1 ? 1.0 : 0.0) : h2[r][k] / sum;
    }
    for (uint32_t k = 0; k <= l2; k++)
        for (uint32_t p = 0; p < F; p++) {
            uint32_t r = p % G, kk = k - (p >= G);
            g2[k * F + p] = (p >= G && k == 0) || kk >= l2 ? 0.0 : h2[r][kk];
        }
}

/* The single-stage equivalent in double: the response of one interval to each input tap. */
static void composite(lathe_tpfilter *f, const double *hb, const double *g2)
{
    const uint32_t F = f->factor, L = f->taps, S = 1 + f->l2 / 2;
    double z[2 * (1 + S2_TAPS / 2)];
    f->gain_bound = 0.0;
    for (uint32_t t = 0; t < L; t++) {
        for (uint32_t s = 0; s < S; s++) { /* w = unit impulse at t */
            z[2 * s] = s + HB_K - 1 == t ? 1.0 : 0.0;
            z[2 * s + 1] = 0.0;
            for (uint32_t k = 0; k < HB_K; k++)
                z[2 * s + 1] += hb[k] * ((s + HB_K - 1 - k == t) + (s + HB_K + k == t));
        }
        for (uint32_t p = 0; p < F; p++) {
            double y = 0.0;
            for (uint32_t k = 0; k <= f->l2; k++)
                y += g2[k * F + p] * z[1 + k];
            f->comp[t * F + p] = (float)y;
        }
    }
    for (uint32_t p = 0; p < F; p++) {
        double s = 0.0;
        for (uint32_t t = 0; t < L; t++)
            s += fabs((double)f->comp[t * F + p]);
        f->gain_bound = fmax(f->gain_bound, s);
    }
}

/* The screen's split of the half-band as the float taps have it (see lathe_tpfilter_screen):
 * e = hb minus p0 on the centre pair, over the 2 HB_K window; e has no DC and, being symmetric,
 * no first moment, so e = D^2 r with D the first difference and r of 2 HB_K - 2 taps (r = e
 * summed twice; its last two values are 0 but for rounding, counted in the slack). */
static void screen_design(lathe_tpfilter *f)
{
    double p0 = 0.0, e[2 * HB_K], r1 = 0.0, r = 0.0;
    for (int k = 0; k < HB_K; k++)
        p0 += (double)f->hb[k];
    for (int u = 0; u < 2 * HB_K; u++)
        e[u] = (double)f->hb[u < HB_K ? HB_K - 1 - u : u - HB_K] -
               (u == HB_K - 1 || u == HB_K ? p0 : 0.0);
    f->p0 = (float)p0;
    f->r_l1 = 0.0;
    for (int u = 0; u < 2 * HB_K; u++) {
        r1 += e[u];
        r += r1;
        f->r_l1 += fabs(r);
    }
}

/* Each point of stage 2 (its taps t[k] on z[2q + 1 + k], as the float taps have them) split as
 * the half-band is by screen_design: a chord c0 z[k0] + c1 z[k0 + 1] on its heaviest pair of
 * taps, matching t's sum and first moment about k0, and a remainder of no DC and no first
 * moment, the second difference of r. Stage 2's input lies below half its Nyquist, where
 * second differences are small: so |point| <= (|c0| + |c1|) max |z| + sum |r| max |D^2 z|,
 * much closer to max |z| than s2_l1 max |z| (1.88 at 8x) when the content is not near
 * Nyquist. */
static void stage2_split(lathe_tpfilter *f)
{
    const uint32_t F = f->factor, K = f->l2 + 1;
    f->s2_chord = f->s2_r = 0.0;
    for (uint32_t p = 0; p < F; p++) {
        uint32_t k0 = 0;
        double s0 = 0.0, s1 = 0.0, best = -1.0, r1 = 0.0, r = 0.0, rl = 0.0;
        for (uint32_t k = 0; k + 1 < K; k++) {
            double wgt = fabs((double)f->g2[k * F + p]) + fabs((double)f->g2[(k + 1) * F + p]);
            if (wgt > best) {
                best = wgt;
                k0 = k;
            }
        }
        for (uint32_t k = 0; k < K; k++) {
            s0 += (double)f->g2[k * F + p];
            s1 += (double)f->g2[k * F + p] * ((double)k - (double)k0);
        }
        const double c1 = s1, c0 = s0 - s1;
        for (uint32_t k = 0; k < K; k++) {
            r1 += (double)f->g2[k * F + p] - (k == k0 ? c0 : k == k0 + 1 ? c1 : 0.0);
            r += r1;
            rl += fabs(r);
        }
        f->s2_chord = fmax(f->s2_chord, fabs(c0) + fabs(c1));
        f->s2_r = fmax(f->s2_r, rl);
    }
}

lathe_tpfilter *lathe_tpfilter_new(uint32_t rate, uint32_t max_n, const lathe_dsp_alloc *al)
{
    if (rate < 8000 || rate > 768000)
        return NULL;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_tpfilter *f = lathe_dsp_calloc(&a, 1, sizeof *f);
    if (!f)
        return NULL;
    f->al = a;
    f->factor = rate < 88200 ? 8 : rate < 176400 ? 4 : 2;
    f->l2 = f->factor == 2 ? 4 : S2_TAPS; /* at 2x stage 2 is the identity: 4 taps suffice */
    f->taps = 2 * HB_K + f->l2 / 2;
    _Static_assert(2 * HB_K + S2_TAPS / 2 <= LATHE_TPFILTER_MAX_TAPS, "taps fit the callers");
    f->max_n = max_n;
    double hb[HB_K], g2[(S2_TAPS + 1) * S2_MAX_LANES];
    f->g2 = lathe_dsp_calloc(&a, (size_t)(f->l2 + 1) * f->factor, sizeof(float));
    f->comp = lathe_dsp_calloc(&a, (size_t)f->taps * f->factor, sizeof(float));
    f->z = lathe_dsp_calloc(&a, 2 * ((size_t)max_n + f->l2 / 2) + S2_MAX_LANES, sizeof(float));
    if (!f->g2 || !f->comp || !f->z) {
        lathe_tpfilter_free(f);
        return NULL;
    }
    design_halfband(hb);
    design_stage2(f->factor, f->l2, g2);
    for (uint32_t k = 0; k < HB_K; k++)
        f->hb[k] = (float)hb[k];
    for (uint32_t k = 0; k < (f->l2 + 1) * f->factor; k++)
        f->g2[k] = (float)g2[k];
    for (uint32_t p = 0; p < f->factor; p++) {
        double s = 0.0;
        for (uint32_t k = 0; k <= f->l2; k++)
            s += fabs((double)f->g2[k * f->factor + p]);
        f->s2_l1 = fmax(f->s2_l1, s);
    }
    composite(f, hb, g2);
    screen_design(f);
    stage2_split(f);
    return f;
}

void lathe_tpfilter_free(lathe_tpfilter *f)
{
    if (!f)
        return;
    lathe_dsp_alloc a = f->al;
    lathe_dsp_free(&a, f->g2);
    lathe_dsp_free(&a, f->comp);
    lathe_dsp_free(&a, f->z);
    lathe_dsp_free(&a, f);
}

uint32_t lathe_tpfilter_factor(const lathe_tpfilter *f)
{
    return f->factor;
}

uint32_t lathe_tpfilter_taps(const lathe_tpfilter *f)
{
    return f->taps;
}

const float *lathe_tpfilter_composite(const lathe_tpfilter *f)
{
    return f->comp;
}

double lathe_tpfilter_gain_bound(const lathe_tpfilter *f)
{
    return f->gain_bound;
}

typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));

/* Midpoints m[s] = sum hb[k] (x[s + K - 1 - k] + x[s + K + k]) for s < S, 32 at a time: four
 * vectors of eight summed side by side (one accumulator would wait on the previous add at every
 * tap), each lane adding its taps in the same order, so a value never depends on where in a
 * call it falls. midpoints32: the 32 whose windows start at w[0 .. 31]. */
static inline __attribute__((always_inline)) void midpoints32(const float *restrict hb,
                                                              const float *restrict w, v8f *acc)
{
    for (uint32_t j = 0; j < 4; j++)
        acc[j] = (v8f){0};
    for (uint32_t k = 0; k < HB_K; k++) {
        for (uint32_t j = 0; j < 4; j++) {
            v8f a, b;
            memcpy(&a, w + 8 * j + HB_K - 1 - k, sizeof a);
            memcpy(&b, w + 8 * j + HB_K + k, sizeof b);
            acc[j] += hb[k] * (a + b);
        }
    }
}

/* The 2x signal: each sample, then the midpoint after it (n <= 32 of them from s). */
static inline __attribute__((always_inline)) void midpoints_store(const float *restrict w,
                                                                 uint32_t s, const v8f *acc,
                                                                 uint32_t n, float *restrict z)
{
    for (uint32_t i = 0; i < n; i++) {
        z[2 * (s + i)] = w[s + i + HB_K - 1];
        z[2 * (s + i) + 1] = acc[i / 8][i % 8];
    }
}

/* A tail of fewer than 32 goes through the same four vectors from a zero-padded copy of its
 * window: a lone accumulator made a short run (the limiter's detector computes runs of a few
 * groups) cost as much per eight midpoints, or per one, as the kernel does per 32. */
LATHE_HOT_CLONES static void midpoints(const float *restrict hb, const float *restrict w,
                                       uint32_t S, float *restrict z)
{
    uint32_t s = 0;
    v8f acc[4];
    for (; s + 32 <= S; s += 32) {
        midpoints32(hb, w + s, acc);
        midpoints_store(w, s, acc, 32, z);
    }
    if (s == S)
        return;
    float pad[2 * HB_K + 32] = {0};
    const uint32_t left = S - s;
    memcpy(pad, w + s, (left + 2 * HB_K - 1) * sizeof(float));
    midpoints32(hb, pad, acc);
    midpoints_store(w, s, acc, left, z);
}

void lathe_tpfilter_stage1(lathe_tpfilter *f, const float *w, uint32_t n)
{
    midpoints(f->hb, w, n + f->l2 / 2, f->z);
}

/* Largest |w[i] - 2 w[i - 1] + w[i - 2]| for i = 2 .. n - 1 as a bit pattern, a NaN above
 * everything (simd.h); in AVX2 inside its callers' clones. */
static inline uint32_t curvature_bits(const float *restrict w, uint32_t n)
{
    uint32_t m = 0;
    for (uint32_t i = 2; i < n; i++) {
        float d = (w[i] - w[i - 1]) - (w[i - 1] - w[i - 2]);
        uint32_t u;
        memcpy(&u, &d, sizeof u);
        u &= 0x7fffffffu;
        m = u > m ? u : m;
    }
    return m;
}

/* A float bit pattern (of a magnitude, NaNs and infinities included) as its value. */
static double bits_value(uint32_t u)
{
    float v;
    memcpy(&v, &u, sizeof v);
    return (double)v;
}

/* A point reads z[2q + 1 .. 2q + 1 + l2]: the chord part is at most s2_chord max |z| there, the
 * remainder s2_r max |D^2 z| over the same window (its second differences at 2 .. l2 of it);
 * 1e-5 max |z| covers the rounding of the differences and of r. The smaller of this and the
 * tap sum's bound, which ignores NaNs as it always has (a NaN makes the first NaN). */
LATHE_HOT_CLONES double lathe_tpfilter_stage2_bound(const lathe_tpfilter *f, uint32_t q0,
                                                    uint32_t n)
{
    const float *z = f->z + 2 * q0 + 1;
    const uint32_t m = 2 * (n - 1) + f->l2 + 1;
    const double peak = (double)lathe_absmax(z, m), loose = peak * f->s2_l1;
    if (f->s2_r == 0.0) /* stage 2 the identity (2x): the samples are the points */
        return loose;
    const double tight = (f->s2_chord + 1e-5) * peak + f->s2_r * bits_value(curvature_bits(z, m));
    return tight < loose ? tight : loose;
}

LATHE_HOT_CLONES void lathe_tpfilter_grains(const float *w, uint32_t n, uint32_t *curve,
                                            uint32_t *peak)
{
    for (uint32_t g = 0; g * LATHE_TPFILTER_GRAIN < n; g++) {
        const uint32_t a = g * LATHE_TPFILTER_GRAIN;
        const uint32_t m = n - a < LATHE_TPFILTER_GRAIN ? n - a : LATHE_TPFILTER_GRAIN;
        curve[g] = a >= 2 ? curvature_bits(w + a - 2, m + 2) : curvature_bits(w, m);
        peak[g] = lathe_absmax_bits(w + a, m);
    }
}

/* Over i < n: the largest |p0 (w[i] + w[i + 1])| and the largest |w[i + 1]| for i < n - 1, as
 * bit patterns, a NaN above everything. */
LATHE_HOT_CLONES static void chord_bits(const float *restrict w, uint32_t n, float p0,
                                        uint32_t *chord, uint32_t *samples)
{
    uint32_t mc = 0;
    for (uint32_t i = 0; i < n; i++) {
        float c = p0 * (w[i] + w[i + 1]);
        uint32_t u;
        memcpy(&u, &c, sizeof u);
        u &= 0x7fffffffu;
        mc = u > mc ? u : mc;
    }
    *chord = mc;
    *samples = lathe_absmax_bits(w + 1, n - 1);
}

/* Midpoint s reads w[s .. s + 2 HB_K - 1]. It is the chord p0 (w[s + HB_K - 1] + w[s + HB_K])
 * plus sum e[u] w[s + u] = sum r[u] (D^2 w)[s + u + 2] (summation by parts, e = D^2 r), so
 * |midpoint| <= |chord| + r_l1 max |D^2 w| over its window. The 1e-4 of the window's largest
 * |w| covers float rounding: the midpoint's own (< 118 ulp of hb's absolute sum, 3.7, times
 * it: 2.6e-5), the chord's, the differences' and r's. stage2_bound(0, n) from w + q0 reads
 * midpoints 0 .. n - 1 + l2/2 and samples w[q0 + HB_K .. q0 + n + l2/2 + HB_K - 2]; the
 * windows' maxima are taken over whole grains (a bound all the same).
 * Its second bound needs the 2x signal's second differences, bounded here from the same terms:
 * at a midpoint, w[j] - 2 m + w[j + 1] = (1 - 2 p0)(w[j] + w[j + 1]) - 2 E (E the remainder,
 * |E| <= r_l1 c, c the largest |D^2 w|); at a sample, m' - 2 w[j] + m = p0 D^2 w + (4 p0 - 2)
 * w[j] + E' + E. So |D^2 z| <= (p0 + 2 r_l1) c + |4 p0 - 2| peak, plus 4 midpoints' rounding. */
double lathe_tpfilter_screen(const lathe_tpfilter *f, const float *w, uint32_t q0, uint32_t n,
                             const uint32_t *curve, const uint32_t *peak)
{
    const uint32_t S = n + f->l2 / 2; /* midpoints */
    const uint32_t g1 = (q0 + S + 2 * HB_K - 2) / LATHE_TPFILTER_GRAIN;
    uint32_t c, p, cm = 0, pm = 0;
    chord_bits(w + q0 + HB_K - 1, S, f->p0, &c, &p);
    for (uint32_t g = q0 / LATHE_TPFILTER_GRAIN; g <= g1; g++) {
        cm = curve[g] > cm ? curve[g] : cm;
        pm = peak[g] > pm ? peak[g] : pm;
    }
    const double samples = bits_value(p), curv = bits_value(cm), top = bits_value(pm);
    const double mid = bits_value(c) + f->r_l1 * curv + 1e-4 * top;
    const double z = samples > mid ? samples : mid, loose = z * f->s2_l1;
    if (f->s2_r == 0.0)
        return loose;
    const double p0 = (double)f->p0;
    const double dz = (p0 + 2.0 * f->r_l1) * curv + (fabs(4.0 * p0 - 2.0) + 2e-4) * top;
    const double tight = (f->s2_chord + 1e-5) * z + f->s2_r * dz;
    /* a NaN in w makes the curvature (and both bounds) NaN: returned, so no caller's test
     * passes it */
    return tight < loose ? tight : loose;
}

/* Stage 2 with the F points of an interval as one vector; four intervals share each tap load
 * (and keep four sums going at once), each summed in the same order as a lone one. */
#define DEFINE_STAGE2(F, VT)                                                                    \
    LATHE_HOT_CLONES static void stage2_##F(const float *restrict g, uint32_t taps,             \
                                            const float *restrict z, uint32_t n,                \
                                            float *restrict y)                                  \
    {                                                                                           \
        uint32_t q = 0;                                                                         \
        for (; q + 4 <= n; q += 4) {                                                            \
            VT a[4] = {{0}, {0}, {0}, {0}};                                                     \
            for (uint32_t k = 0; k < taps; k++) {                                               \
                VT gk;                                                                          \
                memcpy(&gk, g + k * F, sizeof gk);                                              \
                for (uint32_t j = 0; j < 4; j++)                                                \
                    a[j] += gk * z[2 * (q + j) + 1 + k];                                        \
            }                                                                                   \
            memcpy(y + q * F, a, sizeof a);                                                     \
        }                                                                                       \
        for (; q < n; q++) {                                                                    \
            VT a0 = {0};                                                                        \
            for (uint32_t k = 0; k < taps; k++) {                                               \
                VT gk;                                                                          \
                memcpy(&gk, g + k * F, sizeof gk);                                              \
                a0 += gk * z[2 * q + 1 + k];                                                    \
            }                                                                                   \
            memcpy(y + q * F, &a0, sizeof a0);                                                  \
        }                                                                                       \
    }
DEFINE_STAGE2(8, v8f)
DEFINE_STAGE2(4, v4f)
DEFINE_STAGE2(2, v2f)

void lathe_tpfilter_points(const lathe_tpfilter *f, uint32_t q0, uint32_t n, float *y)
{
    const float *z = f->z + 2 * q0;
    if (f->factor == 8)
        stage2_8(f->g2, f->l2 + 1, z, n, y);
    else if (f->factor == 4)
        stage2_4(f->g2, f->l2 + 1, z, n, y);
    else
        stage2_2(f->g2, f->l2 + 1, z, n, y);
}

void lathe_tpfilter_run(lathe_tpfilter *f, const float *w, uint32_t n, float *y)
{
    lathe_tpfilter_stage1(f, w, n);
    lathe_tpfilter_points(f, 0, n, y);
}
