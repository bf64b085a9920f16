/* test_saturate: aliasing of the oversampled soft clipper measured with FFTW, harmonic levels
 * against the curve's Fourier series, passband, latency alignment, identity, block sizes. */
#include "dynamics_testutil.h"

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
    CHECK(d < -120.0 && dt_same(&x, &y), "mix 0 is not an identity: %g dBFS", d);
    CHECK(D->is_identity(p, &x.fmt), "is_identity at mix 0");
    tu_signal_free(&y);
    dt_set(D->params, p, "mix", 0.6);
    dt_sets(D->params, p, "curve", "soft");
    tu_signal a = dt_run(D, p, &x, 4096), b = dt_run(D, p, &x, 37);
    CHECK(dt_same(&a, &b), "output depends on the block size");
    CHECK(dt_diff_db(&a, &x) > -20.0, "saturation did something");
    tu_signal_free(&a);
    tu_signal_free(&b);
    tu_signal_free(&x);
    free(p);
}

int main(void)
{
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
    return tu_done();
}
