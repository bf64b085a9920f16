/* fftconv.c - uniformly partitioned overlap-save convolution (see fftconv.h).
 *
 * Per channel: a 2P-sample input window [previous P | current P]; each time P new samples are in,
 * its spectrum enters a ring of K spectra (the frequency-domain delay line) and the output
 * spectrum is sum_k X[t - k] H_k, where H_k is the spectrum of FIR partition k zero-padded to 2P.
 * The second half of the inverse transform is the next P output frames. */
#include "fftconv.h"

#include "fftw_safe.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

struct lathe_fftconv {
    lathe_dsp_alloc al;
    uint32_t p, bins, k, channels, fill, head;
    double *time;                /* 2P: FFT input / output */
    fftw_complex *spec;          /* P + 1 */
    fftw_complex *hspec;         /* K x (P + 1): FIR partition spectra, scaled by 1 / (2P) */
    fftw_plan fwd, inv;
    double *win[LATHE_FFTCONV_MAX_CHANNELS];       /* 2P input window */
    fftw_complex *fdl[LATHE_FFTCONV_MAX_CHANNELS]; /* K x (P + 1) ring */
    float *outq[LATHE_FFTCONV_MAX_CHANNELS];       /* P output frames being played out */
};

static int alloc_buffers(lathe_fftconv *c)
{
    size_t nspec = (size_t)c->k * c->bins;
    c->time = fftw_malloc(2 * c->p * sizeof(double));
    c->spec = fftw_malloc(c->bins * sizeof(fftw_complex));
    c->hspec = fftw_malloc(nspec * sizeof(fftw_complex));
    if (!c->time || !c->spec || !c->hspec)
        return -1;
    for (uint32_t ch = 0; ch < c->channels; ch++) {
        c->win[ch] = fftw_malloc(2 * c->p * sizeof(double));
        c->fdl[ch] = fftw_malloc(nspec * sizeof(fftw_complex));
        c->outq[ch] = fftw_malloc(c->p * sizeof(float));
        if (!c->win[ch] || !c->fdl[ch] || !c->outq[ch])
            return -1;
    }
    return 0;
}

/* Spectra of the FIR partitions, with the inverse FFT's 1 / (2P) folded in. */
static void load_fir(lathe_fftconv *c, const double *h, uint32_t len)
{
    double scale = 1.0 / (2.0 * c->p);
    for (uint32_t k = 0; k < c->k; k++) {
        memset(c->time, 0, 2 * c->p * sizeof(double));
        for (uint32_t i = 0; i < c->p && k * c->p + i < len; i++)
            c->time[i] = h[k * c->p + i] * scale;
        fftw_execute(c->fwd);
        memcpy(c->hspec + (size_t)k * c->bins, c->spec, c->bins * sizeof(fftw_complex));
    }
}

int lathe_fftconv_new(const double *h, uint32_t len, uint32_t partition, uint32_t channels,
                      const lathe_dsp_alloc *al, lathe_fftconv **out)
{
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_fftconv *c = lathe_dsp_calloc(&a, 1, sizeof(*c));
    if (!c)
        return LATHE_DSP_NOMEM;
    c->al = a;
    c->p = partition;
    c->bins = partition + 1;
    c->k = (len + partition - 1) / partition;
    c->channels = channels;
    if (c->k == 0)
        c->k = 1;
    if (alloc_buffers(c) < 0)
        goto fail;
    lathe_fftw_planner_safe();
    c->fwd = fftw_plan_dft_r2c_1d((int)(2 * c->p), c->time, c->spec, FFTW_ESTIMATE);
    c->inv = fftw_plan_dft_c2r_1d((int)(2 * c->p), c->spec, c->time, FFTW_ESTIMATE);
    if (!c->fwd || !c->inv)
        goto fail;
    load_fir(c, h, len);
    lathe_fftconv_reset(c);
    *out = c;
    return 0;
fail:
    lathe_fftconv_free(c);
    return LATHE_DSP_NOMEM;
}

void lathe_fftconv_free(lathe_fftconv *c)
{
    if (!c)
        return;
    if (c->fwd)
        fftw_destroy_plan(c->fwd);
    if (c->inv)
        fftw_destroy_plan(c->inv);
    for (uint32_t ch = 0; ch < c->channels; ch++) {
        fftw_free(c->win[ch]);
        fftw_free(c->fdl[ch]);
        fftw_free(c->outq[ch]);
    }
    fftw_free(c->time);
    fftw_free(c->spec);
    fftw_free(c->hspec);
    lathe_dsp_alloc a = c->al;
    lathe_dsp_free(&a, c);
}

void lathe_fftconv_reset(lathe_fftconv *c)
{
    for (uint32_t ch = 0; ch < c->channels; ch++) {
        memset(c->win[ch], 0, 2 * c->p * sizeof(double));
        memset(c->fdl[ch], 0, (size_t)c->k * c->bins * sizeof(fftw_complex));
        memset(c->outq[ch], 0, c->p * sizeof(float));
    }
    c->fill = 0;
    c->head = 0;
}

uint32_t lathe_fftconv_latency(const lathe_fftconv *c)
{
    return c->p;
}

/* Accumulates sum_k X[t - k] H_k into c->spec; X[t] sits in ring slot `head`. */
static void fdl_sum(lathe_fftconv *c, const fftw_complex *fdl)
{
    const uint32_t bins = c->bins;
    double *restrict acc = (double *)c->spec;
    memset(acc, 0, bins * sizeof(fftw_complex));
    for (uint32_t k = 0; k < c->k; k++) {
        uint32_t slot = (c->head + c->k - k) % c->k;
        const double *restrict x = (const double *)(fdl + (size_t)slot * bins);
        const double *restrict hk = (const double *)(c->hspec + (size_t)k * bins);
        for (uint32_t b = 0; b < bins; b++) {
            double xr = x[2 * b], xi = x[2 * b + 1], hr = hk[2 * b], hi = hk[2 * b + 1];
            acc[2 * b] += xr * hr - xi * hi;
            acc[2 * b + 1] += xr * hi + xi * hr;
        }
    }
}

/* A full partition is in: transform it, convolve, and queue the next P output frames. */
static void run_partition(lathe_fftconv *c)
{
    c->head = (c->head + 1) % c->k;
    for (uint32_t ch = 0; ch < c->channels; ch++) {
        double *w = c->win[ch];
        memcpy(c->time, w, 2 * c->p * sizeof(double));
        fftw_execute(c->fwd);
        memcpy(c->fdl[ch] + (size_t)c->head * c->bins, c->spec, c->bins * sizeof(fftw_complex));
        fdl_sum(c, c->fdl[ch]);
        fftw_execute(c->inv);
        for (uint32_t i = 0; i < c->p; i++)
            c->outq[ch][i] = (float)c->time[c->p + i];
        memmove(w, w + c->p, c->p * sizeof(double));
    }
}

void lathe_fftconv_process(lathe_fftconv *c, const float *const *in, float *const *out,
                           uint32_t n)
{
    uint32_t done = 0;
    while (done < n) {
        uint32_t m = c->p - c->fill;
        if (m > n - done)
            m = n - done;
        for (uint32_t ch = 0; ch < c->channels; ch++) {
            double *w = c->win[ch] + c->p + c->fill;
            const float *x = in[ch] + done;
            float *y = out[ch] + done;
            const float *q = c->outq[ch] + c->fill;
            for (uint32_t i = 0; i < m; i++) {
                w[i] = (double)x[i]; /* read before the aliasing write below */
                y[i] = q[i];
            }
        }
        c->fill += m;
        done += m;
        if (c->fill == c->p) {
            run_partition(c);
            c->fill = 0;
        }
    }
}

/* The linear-phase design: zero-phase impulse response of the sampled magnitude. */
int lathe_fftconv_design_linear_phase(double (*mag)(void *ctx, double f_hz), void *ctx,
                                      double rate, uint32_t half_len, double *h)
{
    uint32_t m = 8 * half_len, bins = m / 2 + 1;
    double *t = fftw_malloc(m * sizeof(double));
    fftw_complex *s = fftw_malloc(bins * sizeof(fftw_complex));
    lathe_fftw_planner_safe();
    fftw_plan inv = (t && s) ? fftw_plan_dft_c2r_1d((int)m, s, t, FFTW_ESTIMATE) : NULL;
    if (!inv) {
        fftw_free(t);
        fftw_free(s);
        return -1;
    }
    for (uint32_t b = 0; b < bins; b++) {
        s[b][0] = mag(ctx, rate * b / m);
        s[b][1] = 0.0;
    }
    fftw_execute(inv);
    h[0] = 0.0;
    for (uint32_t i = 1; i < 2 * half_len; i++) {
        int32_t k = (int32_t)i - (int32_t)half_len;
        double x = M_PI * (double)k / half_len; /* -pi..pi over the window */
        double w = 0.42 + 0.5 * cos(x) + 0.08 * cos(2.0 * x);
        h[i] = t[(uint32_t)(k + (int32_t)m) % m] / m * w;
    }
    fftw_destroy_plan(inv);
    fftw_free(t);
    fftw_free(s);
    return 0;
}
