/* test_generators: sine, noise, sweep and silence against analytic oracles: level and frequency
 * by least-squares fit, noise RMS, channel independence, pink slope by Welch spectra, sweep
 * instantaneous frequency, determinism by seed and independence from the block size. */
#include "nodeharness.h"
#include "testutil.h"

#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

/* Runs a generator with blocks of 4096 and 37 frames; checks the two are bit-identical. */
static int run_gen(const char *name, const void *params, tu_signal *out)
{
    const lathe_node_desc *d = tu_node(name);
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(d, params, NULL, 0, 4096, out, err, sizeof err);
    CHECK(rc == LATHE_OK, "%s: run failed: %s", name, err);
    if (rc != LATHE_OK)
        return rc;
    tu_signal small;
    rc = tu_node_run(d, params, NULL, 0, 37, &small, err, sizeof err);
    CHECK(rc == LATHE_OK && tu_signal_same(out, &small), "%s: block 37 differs from block 4096", name);
    tu_signal_free(&small);
    return LATHE_OK;
}

typedef struct sine_p { int rate, channels; double duration_s, freq_hz, amplitude_db, phase_deg; } sine_p;
typedef struct noise_p { int rate, channels; double duration_s; int color; double amplitude_db; int seed, correlated; } noise_p;
typedef struct sweep_p { int rate, channels; double duration_s, start_hz, end_hz, amplitude_db; } sweep_p;

static void test_sine(void)
{
    const lathe_node_desc *d = tu_node("sine");
    CHECK(d && d->params_size == sizeof(sine_p), "sine: registered with the expected params");
    sine_p p;
    tu_params_default(d, &p);
    p.rate = 44100; p.channels = 2; p.duration_s = 1.5; p.freq_hz = 997.0;
    p.amplitude_db = -6.0; p.phase_deg = 30.0;
    tu_signal y;
    if (run_gen("sine", &p, &y) != LATHE_OK)
        return;
    CHECK(y.fmt.frames == 66150 && y.fmt.channels == 2 && y.fmt.rate == 44100,
          "sine: format %u Hz %u ch %llu frames", y.fmt.rate, y.fmt.channels,
          (unsigned long long)y.fmt.frames);
    size_t n = y.fmt.frames;
    double a = tu_sine_amplitude(y.ch[0], n, 997.0, 44100.0);
    CHECK_NEAR(tu_db(a), -6.0, 1e-5, "sine: fitted level (dBFS)");
    double r = tu_residual_rms(y.ch[0], n, 997.0, 44100.0);
    CHECK(r < 1e-7, "sine: residual rms %g after the 997 Hz fit (wrong frequency shows here)", r);
    CHECK_NEAR(y.ch[0][0], pow(10.0, -6.0 / 20.0) * sin(PI / 6.0), 1e-7, "sine: first sample (phase)");
    CHECK(memcmp(y.ch[0], y.ch[1], n * sizeof(float)) == 0, "sine: channels identical");
    tu_signal_free(&y);

    /* Length rounds to the nearest frame; frequency at/above Nyquist is refused. */
    p.duration_s = 0.01002; /* 441.88 frames */
    run_gen("sine", &p, &y);
    CHECK(y.fmt.frames == 442, "sine: 0.01002 s at 44.1 kHz -> %llu frames, want 442",
          (unsigned long long)y.fmt.frames);
    tu_signal_free(&y);
    p.freq_hz = 22050.0;
    char err[LATHE_ERR_MAX] = "";
    int rc = tu_node_run(d, &p, NULL, 0, 4096, &y, err, sizeof err);
    CHECK(rc == LATHE_ERR_PARAM && strstr(err, "freq_hz"), "sine: Nyquist refused (rc %d, '%s')",
          rc, err);
    if (rc == LATHE_OK)
        tu_signal_free(&y);
}

static void test_silence(void)
{
    const lathe_node_desc *d = tu_node("silence");
    struct { int rate, channels; double duration_s; } p;
    tu_params_default(d, &p);
    p.rate = 96000; p.channels = 6; p.duration_s = 0.25;
    tu_signal y;
    if (run_gen("silence", &p, &y) != LATHE_OK)
        return;
    int nonzero = 0;
    for (uint32_t c = 0; c < y.fmt.channels; c++)
        for (uint64_t i = 0; i < y.fmt.frames; i++)
            nonzero += y.ch[c][i] != 0.0f;
    CHECK(y.fmt.frames == 24000 && y.fmt.channels == 6 && nonzero == 0,
          "silence: %llu frames, %u ch, %d non-zero samples", (unsigned long long)y.fmt.frames,
          y.fmt.channels, nonzero);
    tu_signal_free(&y);
}

static double mean_sq(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return s / (double)n;
}

static double correlation(const float *x, const float *y, size_t n)
{
    double xy = 0.0;
    for (size_t i = 0; i < n; i++)
        xy += (double)x[i] * (double)y[i];
    return xy / (double)n / sqrt(mean_sq(x, n) * mean_sq(y, n));
}

/* Welch power spectral density (Hann, 50 % overlap) of x, seg points; psd has seg/2+1 bins. */
static void welch(const float *x, size_t n, size_t seg, double *psd)
{
    double *in = fftw_malloc(sizeof(double) * seg);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (seg / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)seg, in, out, FFTW_ESTIMATE);
    memset(psd, 0, sizeof(double) * (seg / 2 + 1));
    int count = 0;
    for (size_t start = 0; start + seg <= n; start += seg / 2, count++) {
        for (size_t i = 0; i < seg; i++)
            in[i] = (double)x[start + i] * (0.5 - 0.5 * cos(2.0 * PI * (double)i / (double)seg));
        fftw_execute(plan);
        for (size_t k = 0; k <= seg / 2; k++)
            psd[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    }
    for (size_t k = 0; k <= seg / 2; k++)
        psd[k] /= count;
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(out);
}

/* Mean PSD over [f_lo, f_hi). */
static double band(const double *psd, size_t seg, double rate, double f_lo, double f_hi)
{
    size_t k0 = (size_t)ceil(f_lo * seg / rate), k1 = (size_t)ceil(f_hi * seg / rate);
    double s = 0.0;
    for (size_t k = k0; k < k1; k++)
        s += psd[k];
    return s / (double)(k1 - k0);
}

static void test_white(void)
{
    const lathe_node_desc *d = tu_node("noise");
    noise_p p;
    tu_params_default(d, &p);
    CHECK(d->params_size == sizeof p, "noise: params layout");
    p.rate = 48000; p.channels = 2; p.duration_s = 10.0; p.amplitude_db = -20.0; p.seed = 7;
    tu_signal y, y2;
    if (run_gen("noise", &p, &y) != LATHE_OK)
        return;
    size_t n = y.fmt.frames;
    for (uint32_t c = 0; c < 2; c++)
        CHECK_NEAR(10.0 * log10(mean_sq(y.ch[c], n)), -20.0, 0.03, "white: RMS level (dBFS)");
    double r = correlation(y.ch[0], y.ch[1], n);
    CHECK(fabs(r) < 0.005, "white: channels uncorrelated, r = %g", r);
    double *psd = malloc(sizeof(double) * 2049);
    welch(y.ch[0], n, 4096, psd);
    double lo = band(psd, 4096, 48000, 100, 1000), hi = band(psd, 4096, 48000, 10000, 20000);
    CHECK_NEAR(10.0 * log10(hi / lo), 0.0, 0.2, "white: flat, 10-20 kHz vs 0.1-1 kHz (dB)");
    free(psd);

    /* Same seed: same noise. Other seed: other noise. correlated: one stream on every channel. */
    run_gen("noise", &p, &y2);
    CHECK(tu_signal_same(&y, &y2), "white: same seed gives the same samples");
    tu_signal_free(&y2);
    p.seed = 8;
    run_gen("noise", &p, &y2);
    r = correlation(y.ch[0], y2.ch[0], n);
    CHECK(fabs(r) < 0.005, "white: seed 7 vs 8 uncorrelated, r = %g", r);
    tu_signal_free(&y2);
    p.correlated = 1;
    run_gen("noise", &p, &y2);
    CHECK(memcmp(y2.ch[0], y2.ch[1], n * sizeof(float)) == 0, "white: correlated channels identical");
    tu_signal_free(&y2);
    tu_signal_free(&y);
}

static void test_pink(void)
{
    const lathe_node_desc *d = tu_node("noise");
    noise_p p;
    tu_params_default(d, &p);
    p.rate = 44100; p.channels = 1; p.duration_s = 20.0; p.color = 1; p.amplitude_db = -18.0;
    tu_signal y;
    if (run_gen("noise", &p, &y) != LATHE_OK)
        return;
    size_t n = y.fmt.frames, seg = 8192;
    CHECK_NEAR(10.0 * log10(mean_sq(y.ch[0], n)), -18.0, 0.2, "pink: RMS level (dBFS)");
    double *psd = malloc(sizeof(double) * (seg / 2 + 1));
    welch(y.ch[0], n, seg, psd);
    /* Octave bands 100 Hz .. 12.8 kHz: each octave's mean PSD is 3.01 dB below the previous. */
    double prev = 0.0, first = 0.0, last = 0.0;
    for (int k = 0; k < 7; k++) {
        double f = 100.0 * pow(2.0, k);
        double lvl = 10.0 * log10(band(psd, seg, 44100, f, 2.0 * f));
        if (k > 0)
            CHECK_NEAR(lvl - prev, -3.01, 0.5, "pink: octave-to-octave slope (dB)");
        if (k == 0)
            first = lvl;
        last = lvl;
        prev = lvl;
    }
    printf("pink: 100 Hz..12.8 kHz octave bands fall %.2f dB over 6 octaves\n", first - last);
    free(psd);
    tu_signal_free(&y);
}

/* Local frequency of a (near-)sinusoid around frame i: x[n-1] + x[n+1] = 2 cos(w) x[n],
 * solved by least squares over +-half frames. */
static double local_freq(const float *x, size_t i, size_t half, double rate)
{
    double num = 0.0, den = 0.0;
    for (size_t n = i - half; n <= i + half; n++) {
        num += (double)x[n] * ((double)x[n - 1] + (double)x[n + 1]);
        den += 2.0 * (double)x[n] * (double)x[n];
    }
    return acos(num / den) * rate / (2.0 * PI);
}

static void test_sweep(void)
{
    const lathe_node_desc *d = tu_node("sweep");
    sweep_p p;
    tu_params_default(d, &p);
    p.rate = 48000; p.channels = 2; p.duration_s = 4.0; p.start_hz = 20.0; p.end_hz = 20000.0;
    p.amplitude_db = -1.0;
    tu_signal y;
    if (run_gen("sweep", &p, &y) != LATHE_OK)
        return;
    CHECK(y.fmt.frames == 192000, "sweep: %llu frames", (unsigned long long)y.fmt.frames);
    const double want[] = { 50.0, 100.0, 1000.0, 5000.0, 15000.0 };
    for (int k = 0; k < 5; k++) {
        /* f(t) = f1 (f2/f1)^(t/T) -> t = T ln(f/f1) / ln(f2/f1) */
        double t = 4.0 * log(want[k] / 20.0) / log(1000.0);
        double f = local_freq(y.ch[0], (size_t)llround(t * 48000.0), 64, 48000.0);
        char what[64];
        snprintf(what, sizeof what, "sweep: instantaneous frequency at %.0f Hz (rel.)", want[k]);
        CHECK_NEAR(f / want[k], 1.0, 0.002, what);
    }
    double peak = 0.0;
    for (uint64_t i = 0; i < y.fmt.frames; i++)
        peak = fmax(peak, fabs((double)y.ch[1][i]));
    CHECK_NEAR(tu_db(peak), -1.0, 0.01, "sweep: peak level (dBFS)");
    CHECK(y.ch[0][0] == 0.0f, "sweep: starts at phase 0");
    tu_signal_free(&y);
}

int main(void)
{
    test_sine();
    test_silence();
    test_white();
    test_pink();
    test_sweep();
    return tu_done();
}
