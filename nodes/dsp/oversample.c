/* oversample.c - polyphase FIR oversampler (see oversample.h). */
#include "oversample.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define LATHE_PI 3.14159265358979323846

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

uint32_t lathe_oversample_phase_taps(const lathe_oversample_spec *s)
{
    assert(s->factor >= 2 && s->factor <= 64);
    assert(s->pass > 0.0 && s->stop > s->pass && s->stop <= 1.0);
    double dw = 2.0 * LATHE_PI * (s->stop - s->pass) / (double)s->factor;
    double n = (s->atten_db - 7.95) / (2.285 * dw) + 1.0;
    uint32_t j = (uint32_t)ceil(n / (double)s->factor);
    return j < 2 ? 2 : j;
}

size_t lathe_oversample_floats(const lathe_oversample_spec *s, uint32_t channels,
                               uint32_t max_frames)
{
    size_t j = lathe_oversample_phase_taps(s), l = s->factor;
    size_t per_ch = (j - 1 + max_frames) * (1 + l);
    return 2 * j * l + per_ch * channels;
}

/* Kaiser-windowed sinc of length n = J * factor, cutoff midway between the band edges,
 * normalised to unity gain at DC (in double, rounded to float once). */
static void design(lathe_oversample *os)
{
    uint32_t l = os->spec.factor, j = os->phase_taps, n = l * j;
    double fc = 0.5 * (os->spec.pass + os->spec.stop) / (double)l; /* cycles per high sample */
    double beta = kaiser_beta(os->spec.atten_db), i0b = bessel_i0(beta);
    double c = 0.5 * (double)(n - 1), sum = 0.0;
    double h[n];
    for (uint32_t k = 0; k < n; k++) {
        double t = (double)k - c, r = t / c;
        double sinc = 2.0 * fc * sin(2.0 * LATHE_PI * fc * t) / (2.0 * LATHE_PI * fc * t);
        h[k] = sinc * bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        sum += h[k];
    }
    for (uint32_t jj = 0; jj < j; jj++) {
        for (uint32_t p = 0; p < l; p++) {
            os->up_taps[jj * l + p] = (float)((double)l * h[jj * l + p] / sum);
            os->down_taps[jj * l + p] = (float)(h[jj * l + l - 1 - p] / sum);
        }
    }
}

void lathe_oversample_init(lathe_oversample *os, const lathe_oversample_spec *s, float *mem,
                           uint32_t channels, uint32_t max_frames)
{
    assert(channels >= 1 && channels <= LATHE_OVERSAMPLE_MAX_CH);
    memset(os, 0, sizeof(*os));
    os->spec = *s;
    os->phase_taps = lathe_oversample_phase_taps(s);
    os->channels = channels;
    os->max_frames = max_frames;
    size_t j = os->phase_taps, l = s->factor;
    os->up_taps = mem;
    os->down_taps = mem + j * l;
    float *p = mem + 2 * j * l;
    for (uint32_t c = 0; c < channels; c++) {
        os->xh[c] = p;
        p += j - 1 + max_frames;
        os->vh[c] = p;
        p += (j - 1 + max_frames) * l;
    }
    design(os);
    lathe_oversample_reset(os);
}

void lathe_oversample_reset(lathe_oversample *os)
{
    size_t j = os->phase_taps, l = os->spec.factor;
    for (uint32_t c = 0; c < os->channels; c++) {
        memset(os->xh[c], 0, sizeof(float) * (j - 1 + os->max_frames));
        memset(os->vh[c], 0, sizeof(float) * (j - 1 + os->max_frames) * l);
    }
}

uint32_t lathe_oversample_latency(const lathe_oversample *os)
{
    return os->phase_taps - 1;
}

/* The lane count l is a parameter so that the factor-8 call below gets a constant trip count
 * after inlining (a fully vectorised inner loop with the accumulators in registers). */
static inline void up_block(const float *restrict taps, const float *restrict xh, uint32_t j,
                            uint32_t l, uint32_t n, float *restrict v)
{
    for (uint32_t i = 0; i < n; i++) {
        float acc[64] = {0};
        const float *xp = xh + (j - 1) + i;
        for (uint32_t k = 0; k < j; k++) {
            float xv = xp[-(ptrdiff_t)k];
            const float *t = taps + (size_t)k * l;
            for (uint32_t p = 0; p < l; p++)
                acc[p] += t[p] * xv;
        }
        memcpy(v + (size_t)i * l, acc, sizeof(float) * l);
    }
}

static inline void down_block(const float *restrict taps, const float *restrict vh, uint32_t j,
                              uint32_t l, uint32_t n, float *restrict y)
{
    for (uint32_t i = 0; i < n; i++) {
        float acc[64] = {0};
        const float *blk = vh + (size_t)(j - 1 + i) * l; /* block of frame i; earlier ones below */
        for (uint32_t k = 0; k < j; k++) {
            const float *t = taps + (size_t)k * l;
            const float *b = blk - (ptrdiff_t)k * l;
            for (uint32_t p = 0; p < l; p++)
                acc[p] += t[p] * b[p];
        }
        float s = 0.0f;
        for (uint32_t p = 0; p < l; p++)
            s += acc[p];
        y[i] = s;
    }
}

float *lathe_oversample_up(lathe_oversample *os, uint32_t ch, const float *x, uint32_t n)
{
    assert(ch < os->channels && n <= os->max_frames);
    uint32_t j = os->phase_taps, l = os->spec.factor;
    float *xh = os->xh[ch];
    float *v = os->vh[ch] + (size_t)(j - 1) * l;
    memcpy(xh + j - 1, x, sizeof(float) * n);
    if (l == 8)
        up_block(os->up_taps, xh, j, 8, n, v);
    else
        up_block(os->up_taps, xh, j, l, n, v);
    memmove(xh, xh + n, sizeof(float) * (j - 1));
    return v;
}

void lathe_oversample_down(lathe_oversample *os, uint32_t ch, uint32_t n, float *y)
{
    assert(ch < os->channels && n <= os->max_frames);
    uint32_t j = os->phase_taps, l = os->spec.factor;
    float *vh = os->vh[ch];
    if (l == 8)
        down_block(os->down_taps, vh, j, 8, n, y);
    else
        down_block(os->down_taps, vh, j, l, n, y);
    memmove(vh, vh + (size_t)n * l, sizeof(float) * (j - 1) * l);
}
