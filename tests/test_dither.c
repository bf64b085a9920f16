/* test_dither: TPDF dither and noise shaping measured against theory.
 *
 * A -100 dBFS 1 kHz sine (1/3 LSB at 16 bits) dithered to 16 bits must keep the sine at its
 * level with a flat floor and no harmonics, while plain rounding loses it entirely, and at
 * -80 dBFS plain rounding must show harmonics (so the harmonic check can fail). The total error
 * power must be LSB^2/4 (TPDF +-1 LSB: LSB^2/6, plus rounding LSB^2/12), shaped spectra must
 * follow LSB^2/4 |1 - H(z)|^2, outputs must be exact multiples of the LSB, and the noise must be
 * a pure function of the seed. */
#include "dsp/dither.h"
#include "nodeharness.h"
#include "dsp/rng.h"
#include "testutil.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;
typedef struct dither_p { int bits, shaping; double auto_blank_ms; } dither_p;

#define RATE 48000
#define N 192000 /* 4 s: 1 kHz falls on bin 4000 exactly */

static int run_dither(int bits, int shaping, const tu_signal *x, uint32_t block, tu_signal *y)
{
    dither_p p = { bits, shaping, 0.0 };
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(tu_node("dither"), &p, x, 1, block, y, err, sizeof err);
    CHECK(rc == LATHE_OK, "dither %d bits shaping %d: %s", bits, shaping, err);
    return rc;
}

/* Count of samples that are not k * 2^-(bits-1) within [-1, 1 - lsb]. */
static int off_grid(const float *y, size_t n, int bits)
{
    double scale = ldexp(1.0, bits - 1);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double k = (double)y[i] * scale;
        bad += k != floor(k) || k < -scale || k > scale - 1.0;
    }
    return bad;
}

/* Harmonics 2..10 of 1 kHz standing more than 10 dB above the mean floor (bins 1.5-20 kHz away
 * from the harmonics). Noise bins are chi-square with 2 degrees of freedom: P(> 10x mean) = e^-10. */
static int harmonics_above_floor(const float *y, double *floor_db)
{
    double *pw = malloc(sizeof(double) * (N / 2 + 1));
    tu_spectrum(y, N, pw);
    double sum = 0.0;
    int cnt = 0;
    for (int k = 6000; k < 80000; k++) {
        int d = k % 4000;
        if (d > 8 && d < 3992) {
            sum += pw[k];
            cnt++;
        }
    }
    double mean = sum / cnt;
    int above = 0;
    for (int h = 2; h <= 10; h++) {
        double peak = fmax(pw[4000 * h - 1], fmax(pw[4000 * h], pw[4000 * h + 1]));
        above += peak > 10.0 * mean;
    }
    *floor_db = 10.0 * log10(mean);
    free(pw);
    return above;
}

static void round_to_grid(const float *x, float *y, size_t n, int bits)
{
    double s = ldexp(1.0, bits - 1);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(floor((double)x[i] * s + 0.5) / s);
}

static void test_low_sine(void)
{
    const double lsb = ldexp(1.0, -15), amp = pow(10.0, -100.0 / 20.0);
    tu_signal x = tu_signal_new(RATE, 2, N), y, y2;
    tu_sine(x.ch[0], N, 1000.0, RATE, amp, 0.0);
    memcpy(x.ch[1], x.ch[0], N * sizeof(float));
    if (run_dither(16, 0, &x, 4096, &y) != LATHE_OK)
        return;
    CHECK(off_grid(y.ch[0], N, 16) == 0 && off_grid(y.ch[1], N, 16) == 0,
          "16-bit output on the 2^-15 grid");
    double a = tu_sine_amplitude(y.ch[0], N, 1000.0, RATE);
    CHECK_NEAR(tu_db(a), -100.0, 0.3, "dithered -100 dBFS sine: fitted level (dBFS)");
    double noise = tu_residual_rms(y.ch[0], N, 1000.0, RATE);
    CHECK_NEAR(20.0 * log10(noise / lsb), 10.0 * log10(0.25), 0.5,
               "dithered: error power vs LSB^2/4 (dB re LSB^2)");
    printf("dither -100 dBFS: sine %.3f dBFS, error power %.3f dB re LSB^2 (theory %.3f)\n",
           tu_db(a), 20.0 * log10(noise / lsb), 10.0 * log10(0.25));
    double floor_db;
    int above = harmonics_above_floor(y.ch[0], &floor_db);
    CHECK(above == 0, "dithered -100 dBFS: %d harmonics above the floor", above);
    /* Both channels carry the same sine: their errors must be uncorrelated (r ~ N^-1/2). */
    double r = 0.0;
    for (size_t i = 0; i < N; i++)
        r += ((double)y.ch[0][i] - (double)x.ch[0][i]) * ((double)y.ch[1][i] - (double)x.ch[1][i]);
    r /= N * 0.25 * lsb * lsb;
    CHECK(fabs(r) < 0.01, "channels carry independent noise (error correlation %g)", r);

    /* Same input, same key: same bytes, for any block size. */
    run_dither(16, 0, &x, 37, &y2);
    CHECK(memcmp(y.ch[0], y2.ch[0], N * 4) == 0 && memcmp(y.ch[1], y2.ch[1], N * 4) == 0,
          "dither: block 37 bit-identical to block 4096");
    tu_signal_free(&y2);

    /* Plain rounding: the sine vanishes (it is below half an LSB). */
    round_to_grid(x.ch[0], y.ch[0], N, 16);
    a = tu_sine_amplitude(y.ch[0], N, 1000.0, RATE);
    CHECK(a < 1e-9, "undithered -100 dBFS sine is lost (fit %g)", a);
    tu_signal_free(&y);
    tu_signal_free(&x);
}

static void test_harmonics(void)
{
    /* -80 dBFS = 3.3 LSB: rounding error is periodic, i.e. harmonic distortion. */
    tu_signal x = tu_signal_new(RATE, 1, N), y;
    tu_sine(x.ch[0], N, 1000.0, RATE, pow(10.0, -80.0 / 20.0), 0.3);
    float *r = malloc(N * sizeof(float));
    round_to_grid(x.ch[0], r, N, 16);
    double floor_db;
    int above = harmonics_above_floor(r, &floor_db);
    CHECK(above >= 3, "undithered -80 dBFS sine: %d harmonics above the floor (want >= 3)", above);
    free(r);
    if (run_dither(16, 0, &x, 4096, &y) == LATHE_OK) {
        above = harmonics_above_floor(y.ch[0], &floor_db);
        CHECK(above == 0, "dithered -80 dBFS: %d harmonics above the floor", above);
        CHECK_NEAR(tu_db(tu_sine_amplitude(y.ch[0], N, 1000.0, RATE)), -80.0, 0.05,
                   "dithered -80 dBFS sine level");
        tu_signal_free(&y);
    }
    tu_signal_free(&x);
}

/* Error y - x for arbitrary (off-grid) input: mean 0 and power LSB^2/4 whatever the signal. */
static void test_error_power(int bits)
{
    const double lsb = ldexp(1.0, -(bits - 1));
    tu_signal x = tu_signal_new(RATE, 1, N), y;
    uint64_t st = 99;
    for (size_t i = 0; i < N; i++)
        x.ch[0][i] = (float)(0.9 * tu_rand(&st));
    if (run_dither(bits, 0, &x, 4096, &y) != LATHE_OK)
        return;
    double m = 0.0, p = 0.0;
    for (size_t i = 0; i < N; i++) {
        double e = ((double)y.ch[0][i] - (double)x.ch[0][i]) / lsb;
        m += e;
        p += e * e;
    }
    m /= N;
    p /= N;
    char what[96];
    snprintf(what, sizeof what, "%d-bit: error power (dB re LSB^2, theory -6.02)", bits);
    CHECK_NEAR(10.0 * log10(p), 10.0 * log10(0.25), 0.1, what);
    CHECK(fabs(m) < 0.01, "%d-bit: error mean %g LSB", bits, m);
    CHECK(off_grid(y.ch[0], N, bits) == 0, "%d-bit output on the grid", bits);
    tu_signal_free(&y);
    tu_signal_free(&x);
}

static void test_seed(void)
{
    lathe_dither d;
    lathe_dither_init(&d, 16, LATHE_DITHER_FLAT);
    lathe_dither_ch st = { { 0 } };
    float x[4096], a[4096], b[4096], c[4096];
    tu_sine(x, 4096, 1000.0, RATE, 1e-5, 0.0);
    lathe_dither_process(&d, &st, 1234, 0, x, a, 4096);
    lathe_dither_process(&d, &st, 1234, 0, x, b, 4096);
    lathe_dither_process(&d, &st, 1235, 0, x, c, 4096);
    int differ = 0;
    for (int i = 0; i < 4096; i++)
        differ += a[i] != c[i];
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed: same bytes");
    CHECK(differ > 1000, "other seed: other noise (%d of 4096 samples differ)", differ);
    /* Clipping keeps the grid's range: +-1 in, [-1, 1 - LSB] out. */
    float big[2] = { 1.0f, -1.5f }, out[2];
    lathe_dither_process(&d, &st, 1, 0, big, out, 2);
    CHECK(out[0] <= 1.0f - 0x1p-15f && out[1] == -1.0f, "clip to [-1, 1-LSB]: %g %g",
          (double)out[0], (double)out[1]);
}

/* Shaped noise of a silent input must follow LSB^2/4 |NTF|^2 (Welch PSD, Hann, 4096 points). */
static void test_shaping(int shaping, const char *name)
{
    const int rate = 44100, n = 441000, seg = 4096;
    const double lsb = ldexp(1.0, -15);
    tu_signal x = tu_signal_new(rate, 1, n), y;
    dither_p p = { 16, shaping, 0.0 };
    char err[LATHE_ERR_MAX] = "";
    if (tu_node_run(tu_node("dither"), &p, &x, 1, 1000, &y, err, sizeof err) != LATHE_OK) {
        CHECK(0, "%s: %s", name, err);
        return;
    }
    CHECK(off_grid(y.ch[0], (size_t)n, 16) == 0, "%s: output on the 16-bit grid", name);
    double *in = fftw_malloc(sizeof(double) * seg), *psd = calloc(seg / 2 + 1, sizeof(double));
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (seg / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d(seg, in, out, FFTW_ESTIMATE);
    double w2 = 0.0;
    int segs = 0;
    for (int s0 = 0; s0 + seg <= n; s0 += seg / 2, segs++) {
        for (int i = 0; i < seg; i++) {
            double w = 0.5 - 0.5 * cos(2.0 * PI * i / seg);
            in[i] = (double)y.ch[0][s0 + i] * w;
            if (segs == 0)
                w2 += w * w;
        }
        fftw_execute(plan);
        for (int k = 0; k <= seg / 2; k++)
            psd[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    }
    /* White noise of variance s2 gives E|X_k|^2 = s2 sum w^2. Compare band means. */
    const double freqs[] = { 500.0, 2000.0, 4000.0, 8000.0, 12000.0, 16000.0, 20000.0 };
    for (int f = 0; f < 7; f++) {
        int k0 = (int)(freqs[f] * seg / rate) - 20, k1 = k0 + 41;
        double meas = 0.0, theory = 0.0;
        for (int k = k0; k < k1; k++) {
            meas += psd[k] / segs / w2;
            theory += 0.25 * lsb * lsb
                      * lathe_dither_ntf_power((lathe_dither_shape)shaping, (double)k * rate / seg, rate);
        }
        char what[96];
        snprintf(what, sizeof what, "%s: noise at %.0f Hz vs LSB^2/4 |NTF|^2 (dB)", name, freqs[f]);
        CHECK_NEAR(10.0 * log10(meas / theory), 0.0, 1.0, what);
        printf("%s %5.0f Hz: measured %.2f dB, theory %.2f dB re LSB^2\n", name, freqs[f],
               10.0 * log10(meas / (k1 - k0) / (lsb * lsb)),
               10.0 * log10(theory / (k1 - k0) / (lsb * lsb)));
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
    free(psd);
    tu_signal_free(&y);
    tu_signal_free(&x);
}

static void test_refusals(void)
{
    tu_signal x = tu_signal_new(96000, 2, 100), y;
    dither_p p = { 16, 1, 0.0 };
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(tu_node("dither"), &p, &x, 1, 4096, &y, err, sizeof err);
    CHECK(rc == LATHE_ERR_PARAM && strstr(err, "96000"), "shaping at 96 kHz refused ('%s')", err);
    p = (dither_p){ 18, 0, 0.0 };
    rc = tu_node_run(tu_node("dither"), &p, &x, 1, 4096, &y, err, sizeof err);
    CHECK(rc == LATHE_ERR_PARAM, "bits 18 refused ('%s')", err);
    tu_signal_free(&x);
}

/* Auto-blank: 1 s of exact zeros, 1 s of a -90 dBFS sine (dithered: noise), a 5 ms run of
 * zeros, 1 s of sine, 1 s of zeros. With a 10 ms hold the intro is exact zero from its first
 * frame, the ending from 10 ms on, and the short gap keeps its dither; without it every part
 * carries noise. Any block size gives the same output. */
static void test_auto_blank(void)
{
    const uint32_t s1 = RATE, gap = RATE + RATE, n = 4 * RATE + RATE / 200;
    tu_signal x = tu_signal_new(RATE, 2, n), y, z;
    for (uint32_t i = 0; i < n; i++) {
        int on = (i >= s1 && i < gap) || (i >= gap + RATE / 200 && i < gap + RATE / 200 + RATE);
        for (uint32_t c = 0; c < 2; c++)
            x.ch[c][i] = on ? (float)(pow(10.0, -90.0 / 20.0) * sin(2 * PI * 997.0 * i / RATE))
                            : 0.0f;
    }
    const uint32_t end = gap + RATE / 200 + RATE, hold = RATE / 100;
    for (int blank = 0; blank < 2; blank++) {
        dither_p p = { 16, 0, blank ? 10.0 : 0.0 };
        char err[LATHE_ERR_MAX] = "";
        CHECK(tu_node_run(tu_node("dither"), &p, &x, 1, 4096, &y, err, sizeof err) == LATHE_OK,
              "dither auto_blank_ms %g: %s", p.auto_blank_ms, err);
        CHECK(tu_node_run(tu_node("dither"), &p, &x, 1, 333, &z, err, sizeof err) == LATHE_OK,
              "dither, block 333");
        uint32_t intro = 0, ending = 0, in_gap = 0, differ = 0;
        for (uint32_t c = 0; c < 2; c++)
            for (uint32_t i = 0; i < n; i++) {
                int nz = y.ch[c][i] != 0.0f;
                intro += i < s1 && nz;
                ending += i >= end + hold && nz;
                in_gap += i >= gap && i < gap + RATE / 200 && nz;
                differ += y.ch[c][i] != z.ch[c][i];
            }
        printf("  auto_blank %s: nonzero samples intro %u, ending %u, 5 ms gap %u\n",
               blank ? "10 ms" : "off", intro, ending, in_gap);
        if (blank)
            CHECK(intro == 0 && ending == 0, "auto-blank: zeros stay zero (%u, %u nonzero)",
                  intro, ending);
        else
            CHECK(intro > RATE / 8 && ending > RATE / 8, "no auto-blank: dither fills silence");
        CHECK(in_gap > RATE / 400, "a short gap keeps its dither (%u nonzero)", in_gap);
        CHECK(differ == 0, "auto-blank independent of the block size (%u differ)", differ);
        tu_signal_free(&y);
        tu_signal_free(&z);
    }
    tu_signal_free(&x);
}

int main(void)
{
    test_low_sine();
    test_harmonics();
    test_error_power(16);
    test_error_power(20);
    test_error_power(24);
    test_seed();
    test_shaping(1, "lipshitz5");
    test_shaping(2, "fweighted9");
    test_refusals();
    test_auto_blank();
    return tu_done();
}
