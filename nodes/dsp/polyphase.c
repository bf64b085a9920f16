/* polyphase.c - rational-ratio polyphase resampler (see polyphase.h). */
#include "polyphase.h"

#include "fftconv.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Taps per phase are a multiple of this, so the dot products need no remainder loop. */
#define TAP_ALIGN 16
/* Explicit accumulator lanes: the summation order is fixed by the code, not by the vector width,
 * so every ISA variant below gives bit-identical output. */
#define LANES_D 8
#define LANES_F 16
#define FFT_MAX_L 8


struct lathe_polyphase {
    lathe_polyphase_plan plan;
    uint32_t channels, cap, step_q, step_r; /* M = step_q * L + step_r */
    int precision;
    double *coef_d; /* L rows of taps, each reversed so row . history = one output */
    float *coef_f;
    double *hist_d[LATHE_POLYPHASE_MAX_CHANNELS]; /* cap samples per channel */
    float *hist_f[LATHE_POLYPHASE_MAX_CHANNELS];
    void *mem;
    lathe_dsp_alloc al;
    uint32_t filled, start, phase;    /* history fill, first tap's index, phase of next output */
    uint32_t start0, phase0;
    /* Integer ratios (M = 1) in double: phase p's outputs are the input convolved with its row
     * h[p + kL] (fftconv.h: double FFTs, the same sums up to double rounding, so a float output
     * is the dot product's or, in a few samples in 10^5, a float step from it) at a fraction of
     * the cost: 208 multiply-adds per output at 48 -> 96 kHz against two FFTs of 1024 per 512
     * frames. */
    lathe_fftconv *conv[FFT_MAX_L]; /* NULL: the dot products */
    float *ybuf;                      /* L x channels x max_in: each phase's frames of a call */
    uint32_t max_in;
    uint64_t fed;                     /* input frames convolved so far */
};

static uint32_t gcd_u32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Modified Bessel function of the first kind, order 0 (power series; converges for all x). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 500; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

lathe_polyphase_config lathe_polyphase_config_default(uint32_t in_rate, uint32_t out_rate,
                                                      uint32_t channels, uint32_t max_in_frames)
{
    lathe_polyphase_config c;
    memset(&c, 0, sizeof c);
    c.in_rate = in_rate;
    c.out_rate = out_rate;
    c.channels = channels;
    c.max_in_frames = max_in_frames;
    c.precision = LATHE_POLYPHASE_DOUBLE;
    return c;
}

int lathe_polyphase_plan_make(const lathe_polyphase_config *cfg, lathe_polyphase_plan *plan)
{
    if (!cfg->in_rate || !cfg->out_rate || !cfg->channels
        || cfg->channels > LATHE_POLYPHASE_MAX_CHANNELS || !cfg->max_in_frames)
        return -1;
    lathe_polyphase_plan p;
    memset(&p, 0, sizeof p);
    uint32_t g = gcd_u32(cfg->in_rate, cfg->out_rate);
    p.in_rate = cfg->in_rate;
    p.out_rate = cfg->out_rate;
    p.L = cfg->out_rate / g;
    p.M = cfg->in_rate / g;
    double fn = 0.5 * (double)(cfg->in_rate < cfg->out_rate ? cfg->in_rate : cfg->out_rate);
    p.passband_hz = cfg->passband_hz > 0.0 ? cfg->passband_hz : fn * (20000.0 / 22050.0);
    p.stopband_hz = fn;
    if (p.passband_hz >= fn)
        return -1;
    p.cutoff_hz = 0.5 * (p.passband_hz + p.stopband_hz);
    double atten = cfg->stopband_db > 0.0 ? cfg->stopband_db : 145.0;
    p.beta = atten > 50.0 ? 0.1102 * (atten - 8.7) : 0.5842 * pow(atten - 21.0, 0.4)
                                                         + 0.07886 * (atten - 21.0);
    /* Kaiser's length estimate at the upsampled rate L * in_rate. */
    double dw = 2.0 * M_PI * (fn - p.passband_hz) / ((double)p.L * (double)cfg->in_rate);
    double n_req = ceil((atten - 7.95) / (2.285 * dw)) + 1.0;
    double taps = ceil(n_req / (double)p.L);
    double min_taps = ceil((double)p.M / (double)p.L); /* one output never skips a whole row */
    if (taps < min_taps)
        taps = min_taps;
    taps = ceil(taps / TAP_ALIGN) * TAP_ALIGN;
    if (p.L > LATHE_POLYPHASE_MAX_L || taps * (double)p.L > (double)LATHE_POLYPHASE_MAX_TABLE)
        return -1;
    p.taps = (uint32_t)taps;
    p.length = p.L * p.taps;
    if (p.length % 2 == 0)
        p.length--; /* odd: the centre is an integer upsampled index */
    p.latency = ((p.length - 1) / 2) / p.M;
    *plan = p;
    return 0;
}

void lathe_polyphase_prototype(const lathe_polyphase_plan *plan, double *h)
{
    size_t n_all = (size_t)plan->L * plan->taps;
    /* Cutoff in cycles per upsampled sample (the prototype runs at L * in_rate). */
    double fc = plan->cutoff_hz / ((double)plan->L * (double)plan->in_rate);
    double centre = (double)(plan->length - 1) / 2.0;
    double i0b = bessel_i0(plan->beta), sum = 0.0;
    for (size_t n = 0; n < n_all; n++) {
        if (n >= plan->length) {
            h[n] = 0.0;
            continue;
        }
        double t = (double)n - centre, r = t / centre;
        double w = bessel_i0(plan->beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        double s = t == 0.0 ? 2.0 * fc : sin(2.0 * M_PI * fc * t) / (M_PI * t);
        h[n] = s * w;
        sum += h[n];
    }
    double g = (double)plan->L / sum;
    for (size_t n = 0; n < plan->length; n++)
        h[n] *= g;
}

/* Row p, tap j multiplies x[i - (taps-1-j)]: reversed so history is read forwards. */
static void fill_rows(lathe_polyphase *r, const double *h)
{
    const lathe_polyphase_plan *p = &r->plan;
    for (uint32_t ph = 0; ph < p->L; ph++)
        for (uint32_t j = 0; j < p->taps; j++) {
            double c = h[ph + (size_t)(p->taps - 1 - j) * p->L];
            if (r->coef_d)
                r->coef_d[(size_t)ph * p->taps + j] = c;
            else
                r->coef_f[(size_t)ph * p->taps + j] = (float)c;
        }
}

/* The FFT convolvers of an integer ratio, one per phase (see the struct). For M = 1 the first
 * output is phase 0 of input frame 0 (start0 = phase0 = 0): output j = m L + p is phase p's
 * convolution at input frame m, which its convolver gives FFT_HOLD frames later. */
static int fft_phases(lathe_polyphase *r, const double *h, uint32_t max_in)
{
    const uint32_t L = r->plan.L, T = r->plan.taps;
    double *g = lathe_dsp_calloc(&r->al, T, sizeof *g);
    r->max_in = max_in;
    r->ybuf = lathe_dsp_calloc(&r->al, (size_t)L * r->channels * max_in, sizeof(float));
    int rc = g && r->ybuf ? LATHE_DSP_OK : LATHE_DSP_NOMEM;
    for (uint32_t p = 0; p < L && rc == LATHE_DSP_OK; p++) {
        for (uint32_t k = 0; k < T; k++)
            g[k] = h[p + (size_t)k * L];
        rc = lathe_fftconv_new(g, T, LATHE_POLYPHASE_FFT_HOLD, r->channels, &r->al, &r->conv[p]);
    }
    lathe_dsp_free(&r->al, g);
    return rc;
}

static int alloc_state(lathe_polyphase *r)
{
    size_t rows = (size_t)r->plan.L * r->plan.taps;
    size_t es = r->precision == LATHE_POLYPHASE_FLOAT ? sizeof(float) : sizeof(double);
    size_t bytes = (rows + (size_t)r->channels * r->cap) * es + 64;
    r->mem = r->al.alloc(bytes);
    if (!r->mem)
        return LATHE_DSP_NOMEM;
    char *m = r->mem;
    m += (64 - ((uintptr_t)m & 63)) & 63; /* cache-line align the table */
    if (es == sizeof(double)) {
        r->coef_d = (double *)m;
        for (uint32_t c = 0; c < r->channels; c++)
            r->hist_d[c] = r->coef_d + rows + (size_t)c * r->cap;
    } else {
        r->coef_f = (float *)m;
        for (uint32_t c = 0; c < r->channels; c++)
            r->hist_f[c] = r->coef_f + rows + (size_t)c * r->cap;
    }
    return 0;
}

int lathe_polyphase_new(const lathe_polyphase_config *cfg, lathe_polyphase **out)
{
    lathe_dsp_alloc a = lathe_dsp_alloc_or_default(cfg->alloc);
    lathe_polyphase_plan plan;
    if (lathe_polyphase_plan_make(cfg, &plan) != 0)
        return LATHE_DSP_BAD_CONFIG;
    lathe_polyphase *r = lathe_dsp_calloc(&a, 1, sizeof *r);
    if (!r)
        return LATHE_DSP_NOMEM;
    r->plan = plan;
    r->al = a;
    r->channels = cfg->channels;
    r->precision = cfg->precision;
    r->cap = plan.taps - 1 + cfg->max_in_frames;
    r->step_q = plan.M / plan.L;
    r->step_r = plan.M % plan.L;
    /* First output at upsampled time s, chosen so the latency is a whole number of outputs. */
    uint32_t s = (plan.length - 1) / 2 - plan.latency * plan.M;
    r->start0 = s / plan.L;
    r->phase0 = s % plan.L;
    double *h = a.alloc(sizeof(double) * (size_t)plan.L * plan.taps);
    if (!h || alloc_state(r) != 0) {
        lathe_dsp_free(&a, h);
        lathe_dsp_free(&a, r->mem);
        lathe_dsp_free(&a, r);
        return LATHE_DSP_NOMEM;
    }
    lathe_polyphase_prototype(&plan, h);
    fill_rows(r, h);
    int rc = plan.M == 1 && plan.L <= FFT_MAX_L && !cfg->direct && r->coef_d
                 ? fft_phases(r, h, cfg->max_in_frames)
                 : LATHE_DSP_OK;
    lathe_dsp_free(&a, h);
    if (rc != LATHE_DSP_OK) {
        lathe_polyphase_free(r);
        return rc;
    }
    lathe_polyphase_reset(r);
    *out = r;
    return 0;
}

void lathe_polyphase_free(lathe_polyphase *r)
{
    if (!r)
        return;
    lathe_dsp_alloc a = r->al;
    for (uint32_t p = 0; p < FFT_MAX_L; p++)
        lathe_fftconv_free(r->conv[p]);
    lathe_dsp_free(&a, r->ybuf);
    lathe_dsp_free(&a, r->mem);
    lathe_dsp_free(&a, r);
}

void lathe_polyphase_reset(lathe_polyphase *r)
{
    size_t es = r->precision == LATHE_POLYPHASE_FLOAT ? sizeof(float) : sizeof(double);
    for (uint32_t c = 0; c < r->channels; c++)
        memset(r->coef_d ? (void *)r->hist_d[c] : (void *)r->hist_f[c], 0, es * r->cap);
    r->filled = r->plan.taps - 1; /* silence before the stream */
    r->start = r->start0;
    r->phase = r->phase0;
    for (uint32_t p = 0; p < FFT_MAX_L; p++)
        if (r->conv[p])
            lathe_fftconv_reset(r->conv[p]);
    r->fed = 0;
}

uint32_t lathe_polyphase_max_out(const lathe_polyphase *r, uint32_t n_in)
{
    uint64_t n = ((uint64_t)n_in * r->plan.L + r->plan.M - 1) / r->plan.M;
    return (uint32_t)n + 1;
}

const lathe_polyphase_plan *lathe_polyphase_get_plan(const lathe_polyphase *r)
{
    return &r->plan;
}

/* Vector types make the lanes explicit: GCC and clang emit SSE2 or AVX2 for them and keep the
 * per-lane arithmetic exactly as written, so every variant rounds the same way. */
#if defined(__GNUC__)
typedef double vd __attribute__((vector_size(32)));
typedef float vf __attribute__((vector_size(32)));
#define VD_ZERO ((vd){0.0, 0.0, 0.0, 0.0})
#define VF_ZERO ((vf){0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f})
#else
typedef struct { double v[4]; } vd;
typedef struct { float v[8]; } vf;
#endif

/* Unaligned loads (macros: GCC warns about vector arguments by value under -Wpsabi). */
#define LOAD(v, p) memcpy(&(v), (p), sizeof(v))

#if defined(__GNUC__)
#define MAC(acc, a, b) ((acc) += (a) * (b))
#else
#define MAC(acc, a, b) do { for (int q_ = 0; q_ < (int)(sizeof(a.v) / sizeof(a.v[0])); q_++) \
                            (acc).v[q_] += (a).v[q_] * (b).v[q_]; } while (0)
#endif

static inline double hsum_d(const vd *a, const vd *b)
{
    double t[4], u[4];
    memcpy(t, a, sizeof t);
    memcpy(u, b, sizeof u);
    return ((t[0] + u[0]) + (t[1] + u[1])) + ((t[2] + u[2]) + (t[3] + u[3]));
}

static inline double hsum_f(const vf *a, const vf *b)
{
    float t[8], u[8];
    memcpy(t, a, sizeof t);
    memcpy(u, b, sizeof u);
    double s[4];
    for (int k = 0; k < 4; k++)
        s[k] = ((double)t[k] + (double)t[k + 4]) + ((double)u[k] + (double)u[k + 4]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* One output for two channels sharing the coefficient loads. */
static inline void dot2_d(const double *restrict c, const double *restrict x0,
                          const double *restrict x1, uint32_t n, double *y0, double *y1)
{
    vd a0 = VD_ZERO, a1 = VD_ZERO, b0 = VD_ZERO, b1 = VD_ZERO, c0, c1, u0, u1, v0, v1;
    for (uint32_t j = 0; j < n; j += LANES_D) {
        LOAD(c0, c + j);
        LOAD(c1, c + j + 4);
        LOAD(u0, x0 + j);
        LOAD(u1, x0 + j + 4);
        LOAD(v0, x1 + j);
        LOAD(v1, x1 + j + 4);
        MAC(a0, c0, u0);
        MAC(a1, c1, u1);
        MAC(b0, c0, v0);
        MAC(b1, c1, v1);
    }
    *y0 = hsum_d(&a0, &a1);
    *y1 = hsum_d(&b0, &b1);
}

static inline double dot_d(const double *restrict c, const double *restrict x, uint32_t n)
{
    vd a0 = VD_ZERO, a1 = VD_ZERO, c0, c1, u0, u1;
    for (uint32_t j = 0; j < n; j += LANES_D) {
        LOAD(c0, c + j);
        LOAD(c1, c + j + 4);
        LOAD(u0, x + j);
        LOAD(u1, x + j + 4);
        MAC(a0, c0, u0);
        MAC(a1, c1, u1);
    }
    return hsum_d(&a0, &a1);
}

static inline double dot_f(const float *restrict c, const float *restrict x, uint32_t n)
{
    vf a0 = VF_ZERO, a1 = VF_ZERO, c0, c1, u0, u1;
    for (uint32_t j = 0; j < n; j += LANES_F) {
        LOAD(c0, c + j);
        LOAD(c1, c + j + 8);
        LOAD(u0, x + j);
        LOAD(u1, x + j + 8);
        MAC(a0, c0, u0);
        MAC(a1, c1, u1);
    }
    return hsum_f(&a0, &a1);
}

/* The hot loops: every output whose taps are all in the history. */
LATHE_HOT_CLONES
static uint32_t run_d(lathe_polyphase *r, float *const *out)
{
    const uint32_t T = r->plan.taps, L = r->plan.L, nc = r->channels;
    uint32_t start = r->start, phase = r->phase, n = 0;
    while (start + T <= r->filled) {
        const double *row = r->coef_d + (size_t)phase * T;
        uint32_t c = 0;
        for (; c + 1 < nc; c += 2) {
            double y0, y1;
            dot2_d(row, r->hist_d[c] + start, r->hist_d[c + 1] + start, T, &y0, &y1);
            out[c][n] = (float)y0;
            out[c + 1][n] = (float)y1;
        }
        if (c < nc)
            out[c][n] = (float)dot_d(row, r->hist_d[c] + start, T);
        n++;
        start += r->step_q;
        phase += r->step_r;
        if (phase >= L) {
            phase -= L;
            start++;
        }
    }
    r->start = start;
    r->phase = phase;
    return n;
}

LATHE_HOT_CLONES
static uint32_t run_f(lathe_polyphase *r, float *const *out)
{
    const uint32_t T = r->plan.taps, L = r->plan.L, nc = r->channels;
    uint32_t start = r->start, phase = r->phase, n = 0;
    while (start + T <= r->filled) {
        const float *row = r->coef_f + (size_t)phase * T;
        for (uint32_t c = 0; c < nc; c++)
            out[c][n] = (float)dot_f(row, r->hist_f[c] + start, T);
        n++;
        start += r->step_q;
        phase += r->step_r;
        if (phase >= L) {
            phase -= L;
            start++;
        }
    }
    r->start = start;
    r->phase = phase;
    return n;
}

/* The FFT path: each phase convolves the block, then the phases interleave into the output. */
static uint32_t process_fft(lathe_polyphase *r, const float *const *in, uint32_t n_in,
                            float *const *out)
{
    const uint32_t L = r->plan.L, nc = r->channels;
    float *y[FFT_MAX_L][LATHE_POLYPHASE_MAX_CHANNELS];
    for (uint32_t p = 0; p < L; p++) {
        for (uint32_t c = 0; c < nc; c++)
            y[p][c] = r->ybuf + ((size_t)p * nc + c) * r->max_in;
        lathe_fftconv_process(r->conv[p], in, y[p], n_in);
    }
    /* the first FFT_HOLD frames the convolvers give are their delay, not output */
    const uint64_t delay_left = r->fed < LATHE_POLYPHASE_FFT_HOLD
                                    ? LATHE_POLYPHASE_FFT_HOLD - r->fed : 0;
    const uint32_t i0 = delay_left < n_in ? (uint32_t)delay_left : n_in;
    r->fed += n_in;
    for (uint32_t c = 0; c < nc; c++) {
        float *o = out[c];
        for (uint32_t i = i0; i < n_in; i++)
            for (uint32_t p = 0; p < L; p++)
                *o++ = y[p][c][i];
    }
    return (n_in - i0) * L;
}

uint32_t lathe_polyphase_process(lathe_polyphase *r, const float *const *in, uint32_t n_in,
                                 float *const *out)
{
    uint32_t n_out, keep;
    if (r->conv[0])
        return process_fft(r, in, n_in, out);
    if (r->coef_d) {
        for (uint32_t c = 0; c < r->channels; c++)
            for (uint32_t i = 0; i < n_in; i++)
                r->hist_d[c][r->filled + i] = (double)in[c][i];
        r->filled += n_in;
        n_out = run_d(r, out);
        keep = r->filled - r->start; /* < taps: the loop stopped one row short */
        for (uint32_t c = 0; c < r->channels; c++)
            memmove(r->hist_d[c], r->hist_d[c] + r->start, sizeof(double) * keep);
    } else {
        for (uint32_t c = 0; c < r->channels; c++)
            memcpy(r->hist_f[c] + r->filled, in[c], sizeof(float) * n_in);
        r->filled += n_in;
        n_out = run_f(r, out);
        keep = r->filled - r->start;
        for (uint32_t c = 0; c < r->channels; c++)
            memmove(r->hist_f[c], r->hist_f[c] + r->start, sizeof(float) * keep);
    }
    r->filled = keep;
    r->start = 0;
    return n_out;
}
