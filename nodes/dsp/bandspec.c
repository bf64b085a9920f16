/* bandspec.c - long-term mid/side band spectrum over the loudest segments (see bandspec.h). */
#include "bandspec.h"

#include "fftw_safe.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define SEGMENT_S 3.0
#define SIGMA_OCT ((1.0 / 6.0) / 2.3548) /* a Gaussian 1/6 octave wide at half height */
#define REACH 3.0                          /* bins within 3 sigma of a centre count */


typedef struct segment {
    double energy;
    uint32_t frames;
    double mid[LATHE_BANDSPEC_BANDS], side[LATHE_BANDSPEC_BANDS];
} segment;

struct lathe_bandspec {
    lathe_dsp_alloc al;
    double rate;
    uint32_t channels, n, hop, bins, fill, seg_hops;
    uint64_t frames_done;
    double *win, *buf[2], *fft_in, *power[2];
    fftw_complex *fft_out;
    fftw_plan plan;
    uint32_t k0[LATHE_BANDSPEC_BANDS], k1[LATHE_BANDSPEC_BANDS];
    double *weights[LATHE_BANDSPEC_BANDS]; /* k1 - k0 each, summing to 1 */
    int valid[LATHE_BANDSPEC_BANDS];
    segment *seg;
    size_t n_seg, cap_seg;
};

double lathe_bandspec_centre_hz(int band)
{
    return 1000.0 * pow(2.0, (band - LATHE_BANDSPEC_B1K) / 6.0);
}

/* Each band's bins and Gaussian weights (in log frequency); the nearest bin when none lies in
 * reach (the lowest bands at coarse resolution). */
static int make_bands(lathe_bandspec *s)
{
    double df = s->rate / s->n;
    for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++) {
        double fc = lathe_bandspec_centre_hz(b), span = pow(2.0, REACH * SIGMA_OCT);
        s->valid[b] = fc * span <= 0.45 * s->rate;
        uint32_t k0 = (uint32_t)ceil(fc / span / df), k1 = (uint32_t)floor(fc * span / df) + 1;
        if (k0 < 1)
            k0 = 1;
        if (k1 > s->bins)
            k1 = s->bins;
        if (k1 <= k0) {
            k0 = (uint32_t)fmax(1.0, floor(fc / df + 0.5));
            k1 = k0 + 1 <= s->bins ? k0 + 1 : s->bins;
            if (k0 >= k1)
                k0 = k1 - 1;
        }
        s->k0[b] = k0;
        s->k1[b] = k1;
        if (!(s->weights[b] = s->al.alloc((k1 - k0) * sizeof(double))))
            return -1;
        double sum = 0.0;
        for (uint32_t k = k0; k < k1; k++) {
            double d = log2(k * df / fc) / SIGMA_OCT;
            sum += s->weights[b][k - k0] = exp(-0.5 * d * d);
        }
        for (uint32_t k = k0; k < k1; k++)
            s->weights[b][k - k0] /= sum > 0.0 ? sum : 1.0;
    }
    return 0;
}

int lathe_bandspec_new(double rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_bandspec **out)
{
    if (rate < 8000.0 || rate > 768000.0 || channels < 1 || channels > 2)
        return LATHE_DSP_BAD_CONFIG;
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(al);
    lathe_bandspec *s = lathe_dsp_calloc(&a, 1, sizeof *s);
    if (!s)
        return LATHE_DSP_NOMEM;
    s->al = a;
    s->rate = rate;
    s->channels = channels;
    for (s->n = 1024; s->n < rate / 3.0; s->n *= 2)
        ;
    s->hop = s->n / 2;
    s->bins = s->n / 2 + 1;
    s->seg_hops = (uint32_t)fmax(1.0, floor(SEGMENT_S * rate / s->hop + 0.5));
    s->win = a.alloc(s->n * sizeof(double));
    s->fft_in = fftw_alloc_real(s->n);
    s->fft_out = fftw_alloc_complex(s->bins);
    for (int c = 0; c < 2; c++) {
        s->buf[c] = lathe_dsp_calloc(&a, s->n, sizeof(double));
        s->power[c] = a.alloc(s->bins * sizeof(double));
        if (!s->buf[c] || !s->power[c])
            goto fail;
    }
    if (!s->win || !s->fft_in || !s->fft_out || make_bands(s) != 0)
        goto fail;
    lathe_fftw_planner_safe();
    s->plan = fftw_plan_dft_r2c_1d((int)s->n, s->fft_in, s->fft_out, FFTW_ESTIMATE);
    if (!s->plan)
        goto fail;
    for (uint32_t i = 0; i < s->n; i++)
        s->win[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / s->n);
    *out = s;
    return 0;
fail:
    lathe_bandspec_free(s);
    return LATHE_DSP_NOMEM;
}

void lathe_bandspec_free(lathe_bandspec *s)
{
    if (!s)
        return;
    if (s->plan)
        fftw_destroy_plan(s->plan); /* planner made safe when it was created */
    lathe_dsp_alloc a = s->al;
    for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++)
        lathe_dsp_free(&a, s->weights[b]);
    for (int c = 0; c < 2; c++) {
        lathe_dsp_free(&a, s->buf[c]);
        lathe_dsp_free(&a, s->power[c]);
    }
    lathe_dsp_free(&a, s->win);
    fftw_free(s->fft_in);
    fftw_free(s->fft_out);
    lathe_dsp_free(&a, s->seg);
    lathe_dsp_free(&a, s);
}

static segment *current_segment(lathe_bandspec *s)
{
    size_t idx = (size_t)(s->frames_done / s->seg_hops);
    while (idx >= s->n_seg) {
        if (s->n_seg == s->cap_seg) {
            size_t cap = s->cap_seg ? 2 * s->cap_seg : 64;
            segment *t = s->al.alloc(cap * sizeof *t); /* the allocator has no realloc */
            if (!t)
                return NULL;
            if (s->n_seg)
                memcpy(t, s->seg, s->n_seg * sizeof *t);
            lathe_dsp_free(&s->al, s->seg);
            s->seg = t;
            s->cap_seg = cap;
        }
        memset(&s->seg[s->n_seg++], 0, sizeof(segment));
    }
    return &s->seg[idx];
}

/* One FFT frame of both buffers into the current segment. Power is scaled by 1 / sum(w^2), so
 * white noise of variance v reads v in every band. */
static int run_frame(lathe_bandspec *s)
{
    segment *g = current_segment(s);
    if (!g)
        return -1;
    double w2 = 3.0 * s->n / 8.0; /* sum of the periodic Hann window squared */
    for (int c = 0; c < 2; c++) {
        for (uint32_t i = 0; i < s->n; i++)
            s->fft_in[i] = s->buf[c][i] * s->win[i];
        fftw_execute(s->plan);
        double *p = s->power[c];
        for (uint32_t k = 0; k < s->bins; k++) {
            p[k] = (s->fft_out[k][0] * s->fft_out[k][0] + s->fft_out[k][1] * s->fft_out[k][1])
                   / w2;
            g->energy += p[k];
        }
        double *acc = c == 0 ? g->mid : g->side;
        for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++) {
            double sum = 0.0;
            for (uint32_t k = s->k0[b]; k < s->k1[b]; k++)
                sum += s->weights[b][k - s->k0[b]] * p[k];
            acc[b] += sum;
        }
    }
    g->frames++;
    s->frames_done++;
    return 0;
}

int lathe_bandspec_add(lathe_bandspec *s, const float *const *x, uint32_t n)
{
    const float *l = x[0], *r = s->channels == 2 ? x[1] : x[0];
    double side_scale = s->channels == 2 ? 0.5 : 0.0;
    for (uint32_t i = 0; i < n; i++) {
        s->buf[0][s->fill] = 0.5 * ((double)l[i] + (double)r[i]);
        s->buf[1][s->fill] = side_scale * ((double)l[i] - (double)r[i]);
        if (++s->fill < s->n)
            continue;
        if (run_frame(s) != 0)
            return -1;
        for (int c = 0; c < 2; c++)
            memmove(s->buf[c], s->buf[c] + s->hop, (s->n - s->hop) * sizeof(double));
        s->fill = s->n - s->hop;
    }
    return 0;
}

int lathe_bandspec_finish(lathe_bandspec *s, double *mid, double *side)
{
    memset(mid, 0, LATHE_BANDSPEC_BANDS * sizeof(double));
    memset(side, 0, LATHE_BANDSPEC_BANDS * sizeof(double));
    if (s->frames_done == 0 && s->fill > 0) { /* shorter than one frame: zero-padded */
        for (int c = 0; c < 2; c++)
            memset(s->buf[c] + s->fill, 0, (s->n - s->fill) * sizeof(double));
        if (run_frame(s) != 0)
            return -1;
    }
    double mean = 0.0;
    size_t loud = 0;
    for (size_t i = 0; i < s->n_seg; i++)
        if (s->seg[i].energy > 0.0) {
            mean += s->seg[i].energy / s->seg[i].frames;
            loud++;
        }
    mean = loud ? mean / (double)loud : 0.0;
    uint64_t frames = 0;
    for (size_t i = 0; i < s->n_seg; i++) {
        const segment *g = &s->seg[i];
        if (g->energy <= 0.0 || g->energy / g->frames < mean)
            continue;
        frames += g->frames;
        for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++) {
            mid[b] += g->mid[b];
            side[b] += g->side[b];
        }
    }
    for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++) {
        mid[b] = !s->valid[b] ? (double)NAN : frames ? mid[b] / (double)frames : 0.0;
        side[b] = !s->valid[b] ? (double)NAN : frames ? side[b] / (double)frames : 0.0;
    }
    return 0;
}

void lathe_bandspec_smooth(const double *y, double *out, double fwhm_oct)
{
    double sigma = fwhm_oct * 6.0 / 2.3548; /* in bands */
    int reach = (int)ceil(3.0 * sigma);
    for (int b = 0; b < LATHE_BANDSPEC_BANDS; b++) {
        if (sigma <= 0.0 || isnan(y[b])) {
            out[b] = y[b];
            continue;
        }
        double sum = 0.0, wsum = 0.0;
        for (int k = b - reach; k <= b + reach; k++) {
            if (k < 0 || k >= LATHE_BANDSPEC_BANDS || isnan(y[k]))
                continue;
            double d = (k - b) / sigma, w = exp(-0.5 * d * d);
            sum += w * y[k];
            wsum += w;
        }
        out[b] = sum / wsum;
    }
}

double lathe_bandspec_interp(const double *y, double f_hz)
{
    double u = f_hz > 0.0 ? 6.0 * log2(f_hz / 1000.0) + LATHE_BANDSPEC_B1K : 0.0;
    if (u <= 0.0)
        return y[0];
    if (u >= LATHE_BANDSPEC_BANDS - 1)
        return y[LATHE_BANDSPEC_BANDS - 1];
    int b = (int)u;
    double t = u - b;
    return (1.0 - t) * y[b] + t * y[b + 1];
}
