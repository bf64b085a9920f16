/* test_saturate: aliasing of the oversampled soft clipper measured with FFTW, harmonic levels
 * against the curve's Fourier series, passband, latency alignment, identity, block sizes. */
#include "dynamics_testutil.h"
#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/oversample.h"

#include <fftw3.h>

#define RATE 48000
#define PI 3.14159265358979323846

static const lathe_node_desc *D;

/* Amplitude of harmonic k of curve(drive * sin), by a dense Fourier sum in double. */
static double harmonic(int soft, double drive, int k)
{
    const int m = 1 << 16;
    double acc = 0.0;
    for (int i = 0; i < m; i++) {
        double th = 2.0 * PI * (i + 0.5) / m, u = drive * sin(th);
        double y = soft ? u / sqrt(1.0 + u * u) : tanh(u);
        acc += y * sin(k * th);
    }
    return fabs(2.0 * acc / m);
}

/* Rectangular-window amplitude spectrum of n frames that hold an integer number of periods of
 * every component (so nothing leaks): amp[k] is the peak amplitude at k * rate / n Hz. */
static void amp_spectrum(const float *x, int n, double *amp)
{
    double *in = fftw_malloc(sizeof(double) * n);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
    for (int i = 0; i < n; i++)
        in[i] = x[i];
    fftw_execute(plan);
    for (int k = 0; k <= n / 2; k++)
        amp[k] = (k == 0 ? 1.0 : 2.0) * hypot(out[k][0], out[k][1]) / n;
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
}

static tu_signal sine(double f, double amp, uint64_t frames)
{
    tu_signal s = tu_signal_new(RATE, 1, frames);
    tu_sine(s.ch[0], frames, f, RATE, amp, 0.0);
    return s;
}

/* 10 kHz at 0 dBFS: every harmonic (30, 50, ... kHz) lies above Nyquist, so everything in the
 * output spectrum but the 10 kHz bin is an alias (or noise). */
static void test_aliasing(const char *curve, double drive_db)
{
    void *p = dt_params(D);
    dt_sets(D->params, p, "curve", curve);
    dt_set(D->params, p, "drive_db", drive_db);
    tu_signal x = sine(10000.0, 1.0, RATE + RATE / 2);
    tu_signal y = dt_run(D, p, &x, 0);
    int n = RATE; /* 1 Hz bins; from 0.25 s, far from the start transient */
    double *amp = malloc(sizeof(double) * (n / 2 + 1));
    amp_spectrum(y.ch[0] + RATE / 4, n, amp);
    double worst = 0.0;
    int worst_k = 0;
    for (int k = 0; k <= n / 2; k++)
        if (k != 10000 && amp[k] > worst) {
            worst = amp[k];
            worst_k = k;
        }
    double want = harmonic(!strcmp(curve, "soft"), lathe_db_to_gain(drive_db), 1);
    printf("%s drive %g dB: worst alias %.1f dBFS at %d Hz; fundamental %.4f dB (series %.4f)\n",
           curve, drive_db, tu_db(worst), worst_k, tu_db(amp[10000]), tu_db(want));
    CHECK(tu_db(worst) < -90.0, "%s drive %g: alias at %d Hz is %g dBFS", curve, drive_db,
          worst_k, tu_db(worst));
    CHECK_NEAR(tu_db(amp[10000]), tu_db(want), 0.01, "fundamental vs Fourier series");
    free(amp);
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

/* In-band harmonics of a 1 kHz sine match the curve's Fourier series. */
static void test_harmonics(const char *curve, double drive_db)
{
    void *p = dt_params(D);
    dt_sets(D->params, p, "curve", curve);
    dt_set(D->params, p, "drive_db", drive_db);
    tu_signal x = sine(1000.0, 1.0, RATE + RATE / 2);
    tu_signal y = dt_run(D, p, &x, 37);
    double *amp = malloc(sizeof(double) * (RATE / 2 + 1));
    amp_spectrum(y.ch[0] + RATE / 4, RATE, amp);
    int soft = !strcmp(curve, "soft");
    double drive = lathe_db_to_gain(drive_db);
    for (int k = 1; k <= 7; k += 2) {
        double want = tu_db(harmonic(soft, drive, k));
        printf("  %s drive %g: harmonic %d %.3f dB (series %.3f)\n", curve, drive_db, k,
               tu_db(amp[1000 * k]), want);
        CHECK_NEAR(tu_db(amp[1000 * k]), want, 0.05, "harmonic level");
    }
    CHECK(tu_db(amp[2000]) < -120.0, "even harmonic from an odd curve: %g", tu_db(amp[2000]));
    free(amp);
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static void test_passband_and_latency(void)
{
    /* At -60 dBFS the curve is linear to ~1e-7: the node is its filters. */
    void *p = dt_params(D);
    for (int i = 0; i < 3; i++) {
        double f = (double[]){100.0, 10000.0, 20000.0}[i];
        tu_signal x = sine(f, 0.001, RATE / 2);
        tu_signal y = dt_run(D, p, &x, 0);
        double a = tu_sine_amplitude(y.ch[0] + RATE / 8, RATE / 4, f, RATE);
        printf("passband %g Hz: %.5f dB\n", f, tu_db(a / 0.001));
        CHECK_NEAR(tu_db(a / 0.001), 0.0, 0.001, "passband gain");
        tu_signal_free(&x);
        tu_signal_free(&y);
    }
    /* An impulse comes out centred where it went in (latency trimmed, linear phase). */
    tu_signal x = tu_signal_new(RATE, 1, 4000);
    x.ch[0][2000] = 0.001f;
    tu_signal y = dt_run(D, p, &x, 0);
    int peak = 0;
    double sym = 0.0;
    for (int i = 0; i < 4000; i++)
        if (fabs(y.ch[0][i]) > fabs(y.ch[0][peak]))
            peak = i;
    for (int k = 1; k < 500; k++)
        sym = fmax(sym, fabs((double)y.ch[0][2000 + k] - (double)y.ch[0][2000 - k]));
    CHECK(peak == 2000, "impulse peak at %d, want 2000", peak);
    CHECK(tu_db(sym) < -150.0, "impulse response not symmetric: %g dB", tu_db(sym));
    tu_signal_free(&x);
    tu_signal_free(&y);
    free(p);
}

static void test_identity_and_blocks(void)
{
    tu_signal x = dt_program(RATE, 2, RATE, 2.0);
    void *p = dt_params(D);
    dt_set(D->params, p, "drive_db", 12.0);
    dt_set(D->params, p, "mix", 0.0);
    tu_signal y = dt_run(D, p, &x, 1000);
    double d = dt_diff_db(&x, &y);
    printf("mix 0 null: %.1f dBFS\n", d);
    CHECK(d < -120.0 && tu_signal_same(&x, &y), "mix 0 is not an identity: %g dBFS", d);
    CHECK(D->is_identity(p, &x.fmt), "is_identity at mix 0");
    tu_signal_free(&y);
    dt_set(D->params, p, "mix", 0.6);
    dt_sets(D->params, p, "curve", "soft");
    tu_signal a = dt_run(D, p, &x, 4096), b = dt_run(D, p, &x, 37);
    CHECK(tu_signal_same(&a, &b), "output depends on the block size");
    CHECK(dt_diff_db(&a, &x) > -20.0, "saturation did something");
    tu_signal_free(&a);
    tu_signal_free(&b);
    tu_signal_free(&x);
    free(p);
}

#define KN RATE  /* kernel tests: 2 s, measured over 1 s from 0.5 s on (1 Hz bins) */
#define KBLK 1000

/* The kernel alone at 8x: images of a 10 kHz tone after upsampling, and the round trip. */
static void test_kernel_up(lathe_oversample *os)
{
    uint32_t lat = lathe_oversample_latency(os);
    float *x = malloc(sizeof(float) * 2 * KN), *hi = malloc(sizeof(float) * 8 * 2 * KN);
    float *y = malloc(sizeof(float) * 2 * KN);
    double *amp = malloc(sizeof(double) * (4 * KN + 1));
    tu_sine(x, 2 * KN, 10000.0, RATE, 1.0, 0.0);
    lathe_oversample_reset(os);
    for (uint32_t i = 0; i < 2 * KN; i += KBLK) {
        memcpy(hi + 8 * i, lathe_oversample_up(os, 0, x + i, KBLK), sizeof(float) * 8 * KBLK);
        lathe_oversample_down(os, 0, KBLK, y + i);
    }
    /* at 384 kHz everything but 10 kHz is an image */
    amp_spectrum(hi + 8 * (KN / 2), 8 * KN, amp);
    double img = 0.0;
    for (uint32_t k = 0; k <= 4 * KN; k++)
        if (k != 10000)
            img = fmax(img, amp[k]);
    /* round trip: the tone comes back delayed by exactly `lat` frames */
    double rt = 0.0;
    for (uint32_t i = KN / 2; i < KN / 2 + 1000; i++)
        rt = fmax(rt, fabs((double)y[i + lat] - (double)x[i]));
    printf("oversample kernel: latency %u, worst image %.1f dB, round-trip error %.1f dB\n", lat,
           tu_db(img), tu_db(rt));
    CHECK(tu_db(img) < -105.0, "image at %g dB", tu_db(img));
    CHECK(tu_db(rt) < -90.0, "round trip error %g dB", tu_db(rt));
    free(amp);
    free(x);
    free(hi);
    free(y);
}

/* Decimation of tones written at the high rate: just above the base Nyquist (25 kHz would fold
 * to 23 kHz) and further up nothing may come back; at the passband edge the tone comes back
 * whole. */
static void test_kernel_down(lathe_oversample *os)
{
    const double fs[] = {24500.0, 25000.0, 30000.0, 100000.0, 21100.0};
    float *x = calloc(KBLK, sizeof(float)), *y = malloc(sizeof(float) * 2 * KN);
    double *amp = malloc(sizeof(double) * (KN / 2 + 1));
    for (int t = 0; t < 5; t++) {
        lathe_oversample_reset(os);
        for (uint32_t i = 0; i < 2 * KN; i += KBLK) {
            float *v = lathe_oversample_up(os, 0, x, KBLK);
            for (uint32_t j = 0; j < 8 * KBLK; j++)
                v[j] = (float)sin(2.0 * PI * fs[t] * (double)(8 * i + j) / (8.0 * RATE));
            lathe_oversample_down(os, 0, KBLK, y + i);
        }
        if (fs[t] < 0.5 * RATE) {
            double a = tu_sine_amplitude(y + KN / 2, KN, fs[t], RATE);
            printf("oversample kernel: %g Hz through down: %+.5f dB\n", fs[t], tu_db(a));
            CHECK(fabs(tu_db(a)) < 0.001, "passband edge %g dB", tu_db(a));
            continue;
        }
        amp_spectrum(y + KN / 2, KN, amp);
        double alias = 0.0;
        for (uint32_t k = 0; k <= KN / 2; k++)
            alias = fmax(alias, amp[k]);
        printf("oversample kernel: %g Hz at 384 kHz decimated: worst component %.1f dB\n", fs[t],
               tu_db(alias));
        CHECK(tu_db(alias) < -105.0, "%g Hz aliases at %g dB", fs[t], tu_db(alias));
    }
    free(amp);
    free(x);
    free(y);
}

static void test_kernel(void)
{
    lathe_oversample_spec spec = {8, 0.44, 0.5, 110.0};
    lathe_oversample os;
    float *mem = calloc(lathe_oversample_floats(&spec, 1, KBLK), sizeof(float));
    lathe_oversample_init(&os, &spec, mem, 1, KBLK);
    test_kernel_up(&os);
    test_kernel_down(&os);
    free(mem);
}

static void test_oom(void)
{
    void *p = dt_params(D);
    dt_check_oom(D, p, RATE);
    free(p);
}

int main(void)
{
    test_kernel();
    D = tu_node("saturate");
    CHECK(D != NULL, "saturate is registered");
    if (!D)
        return tu_done();
    test_aliasing("tanh", 0.0);
    test_aliasing("soft", 0.0);
    test_aliasing("tanh", 12.0);
    test_harmonics("tanh", 6.0);
    test_harmonics("soft", 0.0);
    test_passband_and_latency();
    test_identity_and_blocks();
    test_oom();
    return tu_done();
}
