/* oversample.c - cascade of 2x polyphase FIR stages (see oversample.h). */
#include "oversample.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define OS_PI 3.14159265358979323846

static double bessel_i0(double x)
{
    /* Power series; converges fast for the beta values used here (< 20). */
    double sum = 1.0, term = 1.0, q = 0.25 * x * x;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

static double kaiser_beta(double a)
{
    if (a > 50.0)
        return 0.1102 * (a - 8.7);
    if (a >= 21.0)
        return 0.5842 * pow(a - 21.0, 0.4) + 0.07886 * (a - 21.0);
    return 0.0;
}

static uint32_t n_stages(const lathe_oversample_spec *s)
{
    uint32_t n = 0;
    while ((1u << n) < s->factor)
        n++;
    assert((1u << n) == s->factor && n >= 1 && n <= LATHE_OVERSAMPLE_MAX_STAGES);
    assert(s->pass > 0.0 && s->stop > s->pass && s->stop <= 1.0);
    return n;
}

/* Band edges of stage k in cycles per sample of its (output) rate 2^(k+1) x base. */
static void stage_edges(const lathe_oversample_spec *s, uint32_t k, double *pass, double *stop)
{
    double r = (double)(2u << k);
    *pass = s->pass / r;
    *stop = ((double)(1u << k) - s->stop) / r;
}

/* Odd length with N - 1 a multiple of 2^(k+1), at least Kaiser's estimate. */
static uint32_t stage_taps(const lathe_oversample_spec *s, uint32_t k)
{
    double fp, fs;
    stage_edges(s, k, &fp, &fs);
    double n = (s->atten_db - 7.95) / (2.285 * 2.0 * OS_PI * (fs - fp)) + 1.0;
    uint32_t step = 2u << k, m = (uint32_t)ceil((n - 1.0) / step);
    return (m < 1 ? 1 : m) * step + 1;
}

static uint32_t pad8(uint32_t n)
{
    return (n + 7) & ~7u;
}

size_t lathe_oversample_floats(const lathe_oversample_spec *s, uint32_t channels,
                               uint32_t max_frames)
{
    size_t total = 0;
    for (uint32_t k = 0; k < n_stages(s); k++) {
        size_t n = stage_taps(s, k), m = (size_t)max_frames << k;
        size_t p0 = pad8((uint32_t)(n + 1) / 2), p1 = pad8((uint32_t)(n - 1) / 2);
        size_t ph = pad8((uint32_t)n);
        total += ph + p0 + p1;
        total += channels * ((p0 - 1 + m) + (ph - 1 + 2 * m));
    }
    return total;
}

/* Kaiser-windowed sinc, cutoff midway between the edges, unity DC gain. */
static void design_stage(const lathe_oversample_spec *s, uint32_t k, lathe_oversample_stage *st)
{
    double fp, fs;
    stage_edges(s, k, &fp, &fs);
    uint32_t n = st->taps;
    double fc = 0.5 * (fp + fs), beta = kaiser_beta(s->atten_db), i0b = bessel_i0(beta);
    double c = 0.5 * (double)(n - 1), sum = 0.0;
    double h[n];
    for (uint32_t i = 0; i < n; i++) {
        double t = (double)i - c, r = t / c;
        double sinc = t == 0.0 ? 2.0 * fc : sin(2.0 * OS_PI * fc * t) / (OS_PI * t);
        h[i] = sinc * bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        sum += h[i];
    }
    /* leading zeros pad each row to a multiple of 8; symmetric and odd: each up phase read
     * forwards equals itself reversed */
    uint32_t zh = st->ph - n, z0 = st->p0 - st->j0, z1 = st->p1 - st->j1;
    memset(st->h, 0, sizeof(float) * (st->ph + st->p0 + st->p1));
    for (uint32_t i = 0; i < n; i++)
        st->h[zh + i] = (float)(h[i] / sum);
    for (uint32_t j = 0; j < st->j0; j++)
        st->g0[z0 + j] = (float)(2.0 * h[2 * j] / sum);
    for (uint32_t j = 0; j < st->j1; j++)
        st->g1[z1 + j] = (float)(2.0 * h[2 * j + 1] / sum);
}

void lathe_oversample_init(lathe_oversample *os, const lathe_oversample_spec *s, float *mem,
                           uint32_t channels, uint32_t max_frames)
{
    assert(channels >= 1 && channels <= LATHE_OVERSAMPLE_MAX_CH);
    memset(os, 0, sizeof(*os));
    os->spec = *s;
    os->n_stages = n_stages(s);
    os->channels = channels;
    os->max_frames = max_frames;
    float *p = mem;
    for (uint32_t k = 0; k < os->n_stages; k++) {
        lathe_oversample_stage *st = &os->st[k];
        size_t m = (size_t)max_frames << k;
        st->taps = stage_taps(s, k);
        st->j0 = (st->taps + 1) / 2;
        st->j1 = (st->taps - 1) / 2;
        st->ph = pad8(st->taps);
        st->p0 = pad8(st->j0);
        st->p1 = pad8(st->j1);
        st->h = p;
        st->g0 = p + st->ph;
        st->g1 = st->g0 + st->p0;
        p += st->ph + st->p0 + st->p1;
        for (uint32_t c = 0; c < channels; c++) {
            st->xh[c] = p;
            p += st->p0 - 1 + m;
            st->vh[c] = p;
            p += st->ph - 1 + 2 * m;
        }
        design_stage(s, k, st);
    }
    lathe_oversample_reset(os);
}

void lathe_oversample_reset(lathe_oversample *os)
{
    for (uint32_t k = 0; k < os->n_stages; k++) {
        lathe_oversample_stage *st = &os->st[k];
        size_t m = (size_t)os->max_frames << k;
        for (uint32_t c = 0; c < os->channels; c++) {
            memset(st->xh[c], 0, sizeof(float) * (st->p0 - 1 + m));
            memset(st->vh[c], 0, sizeof(float) * (st->ph - 1 + 2 * m));
        }
    }
}

uint32_t lathe_oversample_latency(const lathe_oversample *os)
{
    uint32_t lat = 0;
    for (uint32_t k = 0; k < os->n_stages; k++)
        lat += (os->st[k].taps - 1) / (2u << k);
    return lat;
}

/* Dot product over n (a multiple of 8) with eight lane accumulators summed in a fixed order:
 * the compiler maps the lanes onto vector registers without reassociating any float sum. */
static inline float dot(const float *restrict a, const float *restrict b, uint32_t n)
{
    float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (const float *end = a + n; a < end; a += 8, b += 8)
        for (int q = 0; q < 8; q++)
            acc[q] += a[q] * b[q];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* 2x up: out[2i + p] = sum_j g_p[j] x[i - j]; xh holds p0 - 1 frames of history first. The
 * phases are stored with leading zeros up to p0 / p1 taps (multiples of 8). */
static void up_stage(const lathe_oversample_stage *st, float *xh, uint32_t n, float *out)
{
    uint32_t hist = st->p0 - 1;
    for (uint32_t i = 0; i < n; i++) {
        out[2 * i] = dot(st->g0, xh + hist + i + 1 - st->p0, st->p0);
        out[2 * i + 1] = dot(st->g1, xh + hist + i + 1 - st->p1, st->p1);
    }
    memmove(xh, xh + n, sizeof(float) * hist);
}

/* 2x down: y[i] = sum_k h[k] v[2i - k]; vh holds ph - 1 samples of history first (h is
 * symmetric, stored with leading zeros up to ph taps). */
static void down_stage(const lathe_oversample_stage *st, float *vh, uint32_t n, float *y)
{
    for (uint32_t i = 0; i < n; i++)
        y[i] = dot(st->h, vh + 2 * (size_t)i, st->ph);
    memmove(vh, vh + 2 * (size_t)n, sizeof(float) * (st->ph - 1));
}

float *lathe_oversample_up(lathe_oversample *os, uint32_t ch, const float *x, uint32_t n)
{
    assert(ch < os->channels && n <= os->max_frames);
    uint32_t last = os->n_stages - 1;
    memcpy(os->st[0].xh[ch] + os->st[0].p0 - 1, x, sizeof(float) * n);
    for (uint32_t k = 0; k <= last; k++) {
        lathe_oversample_stage *st = &os->st[k];
        float *dst = k < last ? os->st[k + 1].xh[ch] + os->st[k + 1].p0 - 1
                              : st->vh[ch] + st->ph - 1;
        up_stage(st, st->xh[ch], n << k, dst);
    }
    return os->st[last].vh[ch] + os->st[last].ph - 1;
}

void lathe_oversample_down(lathe_oversample *os, uint32_t ch, uint32_t n, float *y)
{
    assert(ch < os->channels && n <= os->max_frames);
    for (uint32_t k = os->n_stages; k-- > 0;) {
        lathe_oversample_stage *st = &os->st[k];
        float *dst = k > 0 ? os->st[k - 1].vh[ch] + os->st[k - 1].ph - 1 : y;
        down_stage(st, st->vh[ch], n << k, dst);
    }
}
