/* test_resample: the polyphase kernel (prototype response against its specification) and the
 * resample node (passband, THD+N, aliases/images, alignment, length, agreement with
 * libsamplerate, block-size independence), for 48->44.1, 44.1->48, 48->96 and 96->44.1 kHz. */
#define _POSIX_C_SOURCE 200809L
#include "lathe/lathe.h"
#include "nodeharness.h"
#include "engine/params.h"
#include "dsp/polyphase.h"
#include "testutil.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const uint32_t RATES[][2] = { {48000, 44100}, {44100, 48000}, {48000, 96000},
                                     {96000, 44100} };
#define N_RATES (sizeof RATES / sizeof RATES[0])

/* ---- helpers ---------------------------------------------------------------------------- */

static const lathe_node_desc *node(void)
{
    const lathe_node_desc *d = tu_node("resample");
    if (!d) {
        fprintf(stderr, "resample is not registered\n");
        exit(1);
    }
    return d;
}

/* Runs the node on in with rate and quality ("best"/"reference"); returns its status. */
static int run(const tu_signal *in, uint32_t rate, const char *quality, uint32_t block,
               tu_signal *out, char *report, size_t report_size)
{
    const lathe_node_desc *d = node();
    char params[256], err[128];
    tu_params_default(d, params);
    lathe_param_set_number(lathe_params_find(d->params, "rate"), params, rate, err, sizeof err);
    lathe_param_set_string(lathe_params_find(d->params, "quality"), params, quality, err,
                           sizeof err);
    if (report)
        return tu_node_run_report(d, params, in, 1, block, out, report, report_size);
    return tu_node_run(d, params, in, 1, block, out, err, sizeof err);
}

/* A stereo signal of `seconds`; channel 1 is channel 0 at half amplitude. */
static tu_signal stereo_sine(uint32_t rate, double seconds, double freq, double amp)
{
    tu_signal s = tu_signal_new(rate, 2, (uint64_t)(seconds * rate));
    tu_sine(s.ch[0], s.fmt.frames, freq, rate, amp, 0.3);
    tu_sine(s.ch[1], s.fmt.frames, freq, rate, 0.5 * amp, 0.3);
    return s;
}

/* 7-term Blackman-Harris (sidelobes near -180 dB) magnitude spectrum, normalised so a sine's
 * peak bin reads its amplitude. out has n/2+1 entries. */
static void bh7_spectrum(const float *x, size_t n, double *out)
{
    static const double a[7] = { 0.27105140069342, 0.43329793923448, 0.21812299954311,
                                 0.06592544638803, 0.01081174209837, 0.00077658482522,
                                 0.00001388721735 };
    double *in = fftw_malloc(sizeof(double) * n);
    fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)n, in, sp, FFTW_ESTIMATE);
    double wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = 0.0;
        for (int k = 0; k < 7; k++)
            w += (k % 2 ? -a[k] : a[k]) * cos(2.0 * M_PI * k * (double)i / (double)n);
        in[i] = (double)x[i] * w;
        wsum += w;
    }
    fftw_execute(plan);
    for (size_t k = 0; k <= n / 2; k++)
        out[k] = 2.0 * hypot(sp[k][0], sp[k][1]) / wsum;
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(sp);
}

/* Largest spectral line of x outside +-guard bins of freq, in dB relative to the line at freq. */
static double spurious_db(const float *x, size_t n, double rate, double freq)
{
    double *m = malloc(sizeof(double) * (n / 2 + 1));
    bh7_spectrum(x, n, m);
    long k0 = lround(freq * (double)n / rate), guard = 16;
    double peak = 0.0, spur = 0.0;
    for (long k = 0; k <= (long)(n / 2); k++) {
        if (labs(k - k0) <= guard) {
            peak = fmax(peak, m[k]);
            continue;
        }
        spur = fmax(spur, m[k]);
    }
    free(m);
    return tu_db(spur / peak);
}

static double rms(const float *x, size_t n)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * (double)x[i];
    return sqrt(e / (double)n);
}

/* ---- kernel: the prototype against its specification ------------------------------------ */

/* Zero-padded FFT of the prototype: passband ripple to 20 kHz and the stopband from the lower
 * Nyquist up, with ~2-4 Hz resolution. */
static void test_prototype(uint32_t fi, uint32_t fo)
{
    lathe_polyphase_config c = lathe_polyphase_config_default(fi, fo, 2, 4096);
    lathe_polyphase_plan p;
    CHECK(lathe_polyphase_plan_make(&c, &p) == 0, "plan %u->%u", fi, fo);
    size_t nh = (size_t)p.L * p.taps, nfft = (size_t)1 << 22;
    double *h = fftw_malloc(sizeof(double) * nfft);
    fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (nfft / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)nfft, h, sp, FFTW_ESTIMATE);
    memset(h, 0, sizeof(double) * nfft);
    lathe_polyphase_prototype(&p, h);
    (void)nh;
    fftw_execute(plan);
    double fs_up = (double)p.L * fi, ripple = 0.0, stop = -400.0;
    for (size_t k = 0; k <= nfft / 2; k++) {
        double f = (double)k * fs_up / (double)nfft;
        double g = tu_db(hypot(sp[k][0], sp[k][1]) / p.L);
        if (f <= 20000.0)
            ripple = fmax(ripple, fabs(g));
        else if (f >= p.stopband_hz)
            stop = fmax(stop, g);
    }
    printf("INFO prototype %u->%u: L/M %u/%u, %u taps/phase, ripple %.2e dB, stopband %.1f dB\n",
           fi, fo, p.L, p.M, p.taps, ripple, stop);
    CHECK(ripple < 0.001, "%u->%u prototype ripple %.2e dB", fi, fo, ripple);
    CHECK(stop < -140.0, "%u->%u prototype stopband %.1f dB", fi, fo, stop);
    fftw_destroy_plan(plan);
    fftw_free(h);
    fftw_free(sp);
}

/* THD+N of the kernel run directly, for each accumulator precision; returns dB. */
static double kernel_thdn(uint32_t fi, uint32_t fo, int precision, double *mframes_s)
{
    lathe_polyphase_config c = lathe_polyphase_config_default(fi, fo, 2, 4096);
    c.precision = precision;
    lathe_polyphase *r = NULL;
    CHECK(lathe_polyphase_new(&c, &r) == 0, "kernel %u->%u", fi, fo);
    if (!r)
        return 0.0;
    size_t n = (size_t)fi * 10, n_out = 0, cap = (size_t)((double)n * fo / fi) + 4096;
    float *x = malloc(sizeof(float) * n), *y0 = malloc(sizeof(float) * cap);
    float *y1 = malloc(sizeof(float) * cap);
    tu_sine(x, n, 1000.0, fi, 0.5, 0.0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n; i += 4096) {
        uint32_t m = n - i < 4096 ? (uint32_t)(n - i) : 4096;
        const float *in[2] = { x + i, x + i };
        float *out[2] = { y0 + n_out, y1 + n_out };
        n_out += lathe_polyphase_process(r, in, m, out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    *mframes_s = (double)n / dt / 1e6;
    size_t skip = fo / 10, len = fo; /* one second from the middle */
    double res = tu_residual_rms(y0 + skip, len, 1000.0, fo);
    double amp = tu_sine_amplitude(y0 + skip, len, 1000.0, fo);
    CHECK(memcmp(y0, y1, sizeof(float) * n_out) == 0, "paired channels differ");
    lathe_polyphase_free(r);
    free(x);
    free(y0);
    free(y1);
    return tu_db(res / (amp / sqrt(2.0)));
}

static void test_kernel_precision(void)
{
    double md, mf;
    double d = kernel_thdn(48000, 44100, LATHE_POLYPHASE_DOUBLE, &md);
    double f = kernel_thdn(48000, 44100, LATHE_POLYPHASE_FLOAT, &mf);
    printf("INFO kernel 48->44.1 stereo: double THD+N %.1f dB at %.1f Mframes/s (%.0fx realtime), "
           "float %.1f dB at %.1f Mframes/s\n", d, md, md * 1e6 / 48000.0, f, mf);
    CHECK(d < -145.0, "double-precision kernel THD+N %.1f dB", d);
    CHECK(f < -130.0, "float kernel THD+N %.1f dB", f);
}

/* ---- node: quality ------------------------------------------------------------------------ */

/* Thirty tones on a 2 Hz grid (whole periods in a 0.5 s window at every rate), so one DFT bin
 * each reads their output amplitude exactly. */
static void test_passband(uint32_t fi, uint32_t fo)
{
    enum { NT = 30 };
    double f[NT], ph[NT], amp = 1.0 / 40.0;
    uint64_t seed = 7;
    for (int k = 0; k < NT; k++) {
        double v = 20.0 * pow(1000.0, (double)k / (NT - 1)); /* 20 Hz .. 20 kHz */
        f[k] = 2.0 * round(v / 2.0);
        ph[k] = M_PI * tu_rand(&seed);
    }
    tu_signal in = tu_signal_new(fi, 1, fi), out;
    for (uint32_t i = 0; i < fi; i++) {
        double s = 0.0;
        for (int k = 0; k < NT; k++)
            s += amp * sin(2.0 * M_PI * f[k] * i / fi + ph[k]);
        in.ch[0][i] = (float)s;
    }
    CHECK(run(&in, fo, "best", 0, &out, NULL, 0) == LATHE_OK, "run %u->%u", fi, fo);
    size_t n = fo / 2, off = fo / 4;
    double worst = 0.0;
    for (int k = 0; k < NT; k++) {
        double re = 0.0, im = 0.0, w = 2.0 * M_PI * f[k] / fo;
        for (size_t i = 0; i < n; i++) {
            re += (double)out.ch[0][off + i] * cos(w * (double)i);
            im += (double)out.ch[0][off + i] * sin(w * (double)i);
        }
        double g = tu_db(2.0 * hypot(re, im) / (double)n / amp);
        worst = fmax(worst, fabs(g));
    }
    printf("INFO %u->%u passband (30 tones, 20 Hz-20 kHz): max |gain| %.2e dB\n", fi, fo, worst);
    CHECK(worst < 0.01, "%u->%u passband ripple %.4f dB", fi, fo, worst);
    tu_signal_free(&in);
    tu_signal_free(&out);
}

static void test_thdn(uint32_t fi, uint32_t fo, const char *quality, double limit_db)
{
    tu_signal in = stereo_sine(fi, 1.0, 1000.0, 0.5), out;
    CHECK(run(&in, fo, quality, 0, &out, NULL, 0) == LATHE_OK, "run %u->%u", fi, fo);
    size_t skip = fo / 10, len = out.fmt.frames - 2 * skip;
    for (int c = 0; c < 2; c++) {
        double amp = tu_sine_amplitude(out.ch[c] + skip, len, 1000.0, fo);
        double thdn = tu_db(tu_residual_rms(out.ch[c] + skip, len, 1000.0, fo) / (amp / sqrt(2.0)));
        if (c == 0)
            printf("INFO %u->%u %s: 1 kHz THD+N %.1f dB\n", fi, fo, quality, thdn);
        CHECK(thdn < limit_db, "%u->%u %s ch%d THD+N %.1f dB", fi, fo, quality, c, thdn);
        CHECK(fabs(tu_db(amp / (c ? 0.25 : 0.5))) < 0.001, "1 kHz gain %.5f dB", tu_db(amp / 0.5));
    }
    tu_signal_free(&in);
    tu_signal_free(&out);
}

/* A 15 kHz tone: nothing else may appear in the output spectrum (images, aliases, noise). */
static void test_images(uint32_t fi, uint32_t fo)
{
    tu_signal in = stereo_sine(fi, 1.0, 15000.0, 0.5), out;
    CHECK(run(&in, fo, "best", 0, &out, NULL, 0) == LATHE_OK, "run %u->%u", fi, fo);
    size_t n = 32768, off = (out.fmt.frames - n) / 2;
    double spur = spurious_db(out.ch[0] + off, n, fo, 15000.0);
    printf("INFO %u->%u: 15 kHz tone, largest other line %.1f dB\n", fi, fo, spur);
    CHECK(spur < -130.0, "%u->%u spurious %.1f dB", fi, fo, spur);
    tu_signal_free(&in);
    tu_signal_free(&out);
}

/* Tones between the output Nyquist and the input Nyquist must vanish (downsampling). */
static void test_alias(uint32_t fi, uint32_t fo, double freq)
{
    tu_signal in = stereo_sine(fi, 1.0, freq, 0.5), out;
    CHECK(run(&in, fo, "best", 0, &out, NULL, 0) == LATHE_OK, "run %u->%u", fi, fo);
    size_t skip = fo / 10;
    double left = tu_db(rms(out.ch[0] + skip, out.fmt.frames - 2 * skip) / (0.5 / sqrt(2.0)));
    printf("INFO %u->%u: %.0f Hz tone leaves %.1f dB\n", fi, fo, freq, left);
    CHECK(left < -130.0, "%u->%u alias of %.0f Hz at %.1f dB", fi, fo, freq, left);
    tu_signal_free(&in);
    tu_signal_free(&out);
}

/* ---- node: timing, length, agreement, blocks ---------------------------------------------- */

/* A click at input frame k (k * fo / fi whole) peaks at output frame k * fo / fi, symmetric. */
static void test_alignment(uint32_t fi, uint32_t fo, const char *quality)
{
    uint32_t g = fi, b = fo;
    while (b) {
        uint32_t t = g % b;
        g = b;
        b = t;
    }
    uint64_t m = fi / g, k = (fi / 4 + m - 1) / m * m; /* a multiple of M near 0.25 s */
    uint64_t want = k * fo / fi;
    tu_signal in = tu_signal_new(fi, 1, fi / 2), out;
    in.ch[0][k] = 0.5f;
    CHECK(run(&in, fo, quality, 0, &out, NULL, 0) == LATHE_OK, "run %u->%u", fi, fo);
    uint64_t at = 0;
    for (uint64_t i = 0; i < out.fmt.frames; i++)
        if (fabsf(out.ch[0][i]) > fabsf(out.ch[0][at]))
            at = i;
    CHECK(at == want, "%u->%u %s click at %llu, want %llu", fi, fo, quality,
          (unsigned long long)at, (unsigned long long)want);
    double asym = 0.0;
    for (int d = 1; d < 50; d++)
        asym = fmax(asym, fabs((double)out.ch[0][at - d] - (double)out.ch[0][at + d]));
    CHECK(asym < 1e-6 * (double)out.ch[0][at], "%u->%u %s click asymmetric by %.2e", fi, fo, quality,
          asym);
    tu_signal_free(&in);
    tu_signal_free(&out);
}

static void test_length(void)
{
    const uint64_t lens[] = { 48001, 1, 4095, 100000 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (size_t r = 0; r < N_RATES; r++) {
            uint32_t fi = RATES[r][0], fo = RATES[r][1];
            tu_signal in = tu_signal_new(fi, 2, lens[i]), out;
            for (int q = 0; q < 2; q++) {
                int rc = run(&in, fo, q ? "reference" : "best", 1000, &out, NULL, 0);
                uint64_t want = (lens[i] * fo + fi / 2) / fi;
                CHECK(rc == LATHE_OK && out.fmt.frames == want, "%llu frames %u->%u: %llu, want "
                      "%llu (rc %d)", (unsigned long long)lens[i], fi, fo,
                      (unsigned long long)out.fmt.frames, (unsigned long long)want, rc);
                tu_signal_free(&out);
            }
            tu_signal_free(&in);
        }
}

/* Periodic noise band-limited to 18 kHz (random phases, flat magnitude), rms 0.1. */
static tu_signal music_like(uint32_t rate, size_t n)
{
    tu_signal s = tu_signal_new(rate, 2, n);
    double *x = fftw_malloc(sizeof(double) * n);
    fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_c2r_1d((int)n, sp, x, FFTW_ESTIMATE);
    uint64_t seed = 12345;
    for (int c = 0; c < 2; c++) {
        for (size_t k = 0; k <= n / 2; k++) {
            double f = (double)k * rate / (double)n, a = M_PI * tu_rand(&seed);
            int on = f > 20.0 && f < 18000.0;
            sp[k][0] = on ? cos(a) : 0.0;
            sp[k][1] = on ? sin(a) : 0.0;
        }
        fftw_execute(plan);
        double e = 0.0;
        for (size_t i = 0; i < n; i++)
            e += x[i] * x[i];
        double g = 0.1 / sqrt(e / (double)n);
        for (size_t i = 0; i < n; i++)
            s.ch[c][i] = (float)(x[i] * g);
    }
    fftw_destroy_plan(plan);
    fftw_free(x);
    fftw_free(sp);
    return s;
}

static void test_agreement(uint32_t fi, uint32_t fo)
{
    tu_signal in = music_like(fi, fi), a, b;
    CHECK(run(&in, fo, "best", 0, &a, NULL, 0) == LATHE_OK, "best %u->%u", fi, fo);
    CHECK(run(&in, fo, "reference", 0, &b, NULL, 0) == LATHE_OK, "ref %u->%u", fi, fo);
    double e = 0.0, s = 0.0;
    size_t skip = fo / 20;
    for (int c = 0; c < 2; c++)
        for (size_t i = skip; i + skip < a.fmt.frames; i++) {
            double d = (double)a.ch[c][i] - (double)b.ch[c][i];
            e += d * d;
            s += (double)b.ch[c][i] * (double)b.ch[c][i];
        }
    double diff = 10.0 * log10(e / s + 1e-40);
    printf("INFO %u->%u: polyphase vs libsamplerate best on band-limited noise: %.1f dB\n", fi,
           fo, diff);
    CHECK(a.fmt.frames == b.fmt.frames, "lengths differ");
    CHECK(diff < -120.0, "%u->%u best vs reference %.1f dB", fi, fo, diff);
    tu_signal_free(&in);
    tu_signal_free(&a);
    tu_signal_free(&b);
}

/* Integer ratios run each phase by FFT (polyphase.h): the same sums as the dot products up to
 * double rounding (errors of ~1e-16 of the signal's scale), so each float output equals the
 * direct path's or, rarely, differs by a float step at that scale; the FFT path holds
 * LATHE_POLYPHASE_FFT_HOLD input frames back. */
static void test_fft_path(uint32_t fi, uint32_t fo, uint32_t nc, uint32_t block)
{
    const size_t n = fi;
    tu_signal in = music_like(fi, n);
    const float *x[8];
    float *y[2][8];
    size_t got[2] = {0, 0}, cap = n * (fo / fi) + 16;
    float *scaled = malloc(sizeof(float) * n * nc);
    for (uint32_t c = 0; c < nc; c++) { /* channels 2.. scaled copies: all distinct */
        for (size_t i = 0; i < n; i++)
            scaled[c * n + i] = in.ch[c % 2][i] * (1.0f - 0.1f * (float)c);
        x[c] = scaled + c * n;
    }
    for (int direct = 0; direct < 2; direct++) {
        lathe_polyphase_config c = lathe_polyphase_config_default(fi, fo, nc, block);
        c.direct = direct;
        lathe_polyphase *r = NULL;
        CHECK(lathe_polyphase_new(&c, &r) == 0, "kernel %u->%u direct %d", fi, fo, direct);
        for (uint32_t ch = 0; ch < nc; ch++)
            y[direct][ch] = calloc(cap, sizeof(float));
        for (size_t i = 0; r && i < n; i += block) {
            uint32_t m = n - i < block ? (uint32_t)(n - i) : block;
            const float *xi[8];
            float *out[8];
            for (uint32_t ch = 0; ch < nc; ch++) {
                xi[ch] = x[ch] + i;
                out[ch] = y[direct][ch] + got[direct];
            }
            got[direct] += lathe_polyphase_process(r, xi, m, out);
        }
        lathe_polyphase_free(r);
    }
    CHECK(got[1] - got[0] == (size_t)LATHE_POLYPHASE_FFT_HOLD * (fo / fi),
          "%u->%u: FFT path holds back %zu frames", fi, fo, got[1] - got[0]);
    size_t off = 0, far = 0;
    for (uint32_t c = 0; c < nc; c++)
        for (size_t i = 0; i < got[0]; i++) {
            float a = y[0][c][i], b = y[1][c][i], m = fmaxf(fabsf(a), fabsf(b));
            double d = fabs((double)a - (double)b);
            off += d > 0.0;
            /* a float step of the sample, or 1e-9 where the sample is far below the signal */
            far += d > fmax((double)(nextafterf(m, INFINITY) - m), 0x1p-30);
        }
    printf("INFO %u->%u, %u channels, blocks of %u: FFT path against the dot products: %zu of "
           "%zu samples differ, %zu by more than a float step\n", fi, fo, nc, block, off,
           nc * got[0], far);
    CHECK(far == 0, "%u->%u: %zu samples off the dot products", fi, fo, far);
    CHECK(off * 1000 < nc * got[0], "%u->%u: %zu samples differ", fi, fo, off);
    for (int d = 0; d < 2; d++)
        for (uint32_t c = 0; c < nc; c++)
            free(y[d][c]);
    free(scaled);
    tu_signal_free(&in);
}

static void test_blocks(uint32_t fi, uint32_t fo, const char *quality)
{
    tu_signal in = music_like(fi, fi / 2), ref, out;
    CHECK(run(&in, fo, quality, 4096, &ref, NULL, 0) == LATHE_OK, "run");
    const uint32_t blocks[] = { 1000, 37 };
    for (size_t i = 0; i < 2; i++) {
        CHECK(run(&in, fo, quality, blocks[i], &out, NULL, 0) == LATHE_OK, "run");
        int same = out.fmt.frames == ref.fmt.frames;
        for (int c = 0; c < 2 && same; c++)
            same = memcmp(out.ch[c], ref.ch[c], sizeof(float) * ref.fmt.frames) == 0;
        CHECK(same, "%u->%u %s: block %u differs from block 4096", fi, fo, quality, blocks[i]);
        tu_signal_free(&out);
    }
    tu_signal_free(&in);
    tu_signal_free(&ref);
}

/* Same rate: identity, bit-exact. Odd channel counts: a channel's output does not depend on
 * whether the kernel processed it in a pair. Awkward ratios fall back to libsamplerate. */
static void test_paths(void)
{
    const lathe_node_desc *d = node();
    char params[256], report[1024], err[128];
    tu_params_default(d, params);
    lathe_param_set_number(lathe_params_find(d->params, "rate"), params, 48000, err, sizeof err);
    lathe_format f48 = { 48000, 2, 1000 }, f44 = { 44100, 2, 1000 };
    CHECK(d->is_identity(params, &f48) && !d->is_identity(params, &f44), "is_identity");

    tu_signal in = music_like(48000, 20000), out;
    CHECK(run(&in, 48000, "best", 37, &out, NULL, 0) == LATHE_OK && out.fmt.frames == 20000
              && memcmp(out.ch[1], in.ch[1], sizeof(float) * 20000) == 0, "identity copy");
    tu_signal_free(&out);
    tu_signal_free(&in);

    tu_signal three = tu_signal_new(44100, 3, 20000);
    uint64_t seed = 3;
    for (int i = 0; i < 20000; i++)
        three.ch[0][i] = three.ch[1][i] = three.ch[2][i] = (float)(0.3 * tu_rand(&seed));
    CHECK(run(&three, 96000, "best", 0, &out, report, sizeof report) == LATHE_OK, "3 channels");
    CHECK(strstr(report, "path=polyphase") != NULL, "44.1->96 on polyphase: %s", report);
    CHECK(memcmp(out.ch[0], out.ch[2], sizeof(float) * out.fmt.frames) == 0
              && memcmp(out.ch[0], out.ch[1], sizeof(float) * out.fmt.frames) == 0,
          "channel 2 (single) differs from channels 0/1 (pair)");
    tu_signal_free(&out);
    tu_signal_free(&three);

    tu_signal s = stereo_sine(44100, 1.0, 1000.0, 0.5);
    CHECK(run(&s, 47999, "best", 0, &out, report, sizeof report) == LATHE_OK, "44.1->47.999");
    CHECK(strstr(report, "path=libsamplerate") != NULL, "44.1->47.999 falls back: %s", report);
    tu_signal_free(&out);
    tu_signal_free(&s);
    test_thdn(44100, 47999, "best", -120.0);
}

/* Resampling moves samples onto inter-sample peaks: a 12 kHz tone whose 48 kHz samples peak at
 * 0.92 comes out of 48->44.1 near its true amplitude 1.3, unclipped (a limiter goes after). */
static void test_overs(void)
{
    tu_signal in = tu_signal_new(48000, 1, 48000), out;
    tu_sine(in.ch[0], 48000, 12000.0, 48000, 1.3, M_PI / 4.0);
    float in_peak = 0.0f, out_peak = 0.0f;
    for (int i = 0; i < 48000; i++)
        in_peak = fmaxf(in_peak, fabsf(in.ch[0][i]));
    for (const char *q = "best"; q; q = strcmp(q, "best") == 0 ? "reference" : NULL) {
        CHECK(run(&in, 44100, q, 0, &out, NULL, 0) == LATHE_OK, "run");
        out_peak = 0.0f;
        for (uint64_t i = 0; i < out.fmt.frames; i++)
            out_peak = fmaxf(out_peak, fabsf(out.ch[0][i]));
        CHECK(in_peak < 0.93f && out_peak > 1.29f, "%s: sample peak %.4f in, %.4f out", q,
              (double)in_peak, (double)out_peak);
        tu_signal_free(&out);
    }
    tu_signal_free(&in);
}

/* The extremes of the rate range both ways through the fast path: exact length and a clean
 * 1 kHz tone. */
static void test_extremes(void)
{
    const uint32_t pairs[][2] = { {8000, 384000}, {384000, 8000}, {44100, 8000} };
    for (size_t i = 0; i < 3; i++) {
        uint32_t fi = pairs[i][0], fo = pairs[i][1];
        char report[1024];
        tu_signal in = stereo_sine(fi, 0.5, 1000.0, 0.5), out;
        CHECK(run(&in, fo, "best", 0, &out, report, sizeof report) == LATHE_OK, "run");
        CHECK(strstr(report, "path=polyphase") != NULL, "%u->%u path: %s", fi, fo, report);
        CHECK(out.fmt.frames == (in.fmt.frames * fo + fi / 2) / fi, "%u->%u length", fi, fo);
        size_t skip = fo / 20, len = out.fmt.frames - 2 * skip;
        double amp = tu_sine_amplitude(out.ch[0] + skip, len, 1000.0, fo);
        double thdn = tu_db(tu_residual_rms(out.ch[0] + skip, len, 1000.0, fo) / (amp / sqrt(2.0)));
        printf("INFO %u->%u: 1 kHz THD+N %.1f dB\n", fi, fo, thdn);
        CHECK(thdn < -130.0 && fabs(tu_db(amp / 0.5)) < 0.001, "%u->%u THD+N %.1f dB", fi, fo,
              thdn);
        tu_signal_free(&in);
        tu_signal_free(&out);
    }
}

static int fail_at, n_allocs;

static int failing_alloc(void *ud, size_t size)
{
    (void)ud;
    (void)size;
    return n_allocs++ != fail_at;
}

/* Failing each allocation in turn gives LATHE_ERR_NOMEM or (when the harness does not need that
 * allocation) a correct run; the ASan build checks that nothing leaks. Stops once a run makes
 * fewer allocations than the one to fail. */
static void test_oom(const char *quality)
{
    tu_signal in = music_like(48000, 5000), ref, out;
    CHECK(run(&in, 44100, quality, 1000, &ref, NULL, 0) == LATHE_OK, "reference run");
    int rc, bad = 0, nomem = 0;
    for (fail_at = 0; fail_at < 200; fail_at++) {
        n_allocs = 0;
        lathe_set_allocator(failing_alloc, NULL);
        rc = run(&in, 44100, quality, 1000, &out, NULL, 0);
        lathe_set_allocator(NULL, NULL);
        nomem += rc == LATHE_ERR_NOMEM;
        if (rc == LATHE_OK)
            bad += memcmp(out.ch[0], ref.ch[0], sizeof(float) * ref.fmt.frames) != 0;
        else
            bad += rc != LATHE_ERR_NOMEM;
        tu_signal_free(&out);
        if (n_allocs <= fail_at)
            break;
    }
    CHECK(rc == LATHE_OK && bad == 0 && nomem >= 3, "%s: OOM loop (%d steps, %d NOMEM, %d bad)",
          quality, fail_at, nomem, bad);
    tu_signal_free(&in);
    tu_signal_free(&ref);
}

int main(void)
{
    for (size_t r = 0; r < N_RATES; r++)
        test_prototype(RATES[r][0], RATES[r][1]);
    test_kernel_precision();
    for (size_t r = 0; r < N_RATES; r++) {
        uint32_t fi = RATES[r][0], fo = RATES[r][1];
        test_passband(fi, fo);
        test_thdn(fi, fo, "best", -130.0);
        test_images(fi, fo);
        test_alignment(fi, fo, "best");
        test_alignment(fi, fo, "reference");
        test_agreement(fi, fo);
        test_blocks(fi, fo, "best");
    }
    test_fft_path(48000, 96000, 2, 1000);
    test_fft_path(44100, 176400, 2, 4096);
    test_fft_path(48000, 96000, 1, 37);
    test_fft_path(48000, 96000, 5, 513);
    test_alias(48000, 44100, 23000.0);
    test_alias(96000, 44100, 23000.0);
    test_alias(96000, 44100, 40000.0);
    test_blocks(48000, 44100, "reference");
    test_length();
    test_paths();
    test_extremes();
    test_overs();
    test_oom("best");
    test_oom("reference");
    return tu_done();
}
