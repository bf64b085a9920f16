#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <fftw3.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int n_pass, n_fail;

void tu_check(int ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        n_pass++;
        return;
    }
    n_fail++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void tu_check_near(double got, double want, double tol, const char *file, int line, const char *what)
{
    int ok = fabs(got - want) <= tol;
    tu_check(ok, file, line, "%s: got %.6f, want %.6f +- %g", what, got, want, tol);
}

int tu_done(void)
{
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}

double tu_db(double x)
{
    x = fabs(x);
    return x > 1e-20 ? 20.0 * log10(x) : -400.0;
}

void tu_sine(float *x, size_t n, double freq_hz, double rate, double amp, double phase_rad)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * freq_hz * (double)i / rate + phase_rad));
}

void tu_spectrum(const float *x, size_t n, double *out_power)
{
    double *in = fftw_malloc(sizeof(double) * n);
    fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)n, in, spec, FFTW_ESTIMATE);
    double wsum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n);
        in[i] = (double)x[i] * w;
        wsum += w;
    }
    fftw_execute(plan);
    for (size_t k = 0; k <= n / 2; k++) {
        double re = spec[k][0] * 2.0 / wsum, im = spec[k][1] * 2.0 / wsum;
        out_power[k] = re * re + im * im;
    }
    fftw_destroy_plan(plan);
    fftw_free(in);
    fftw_free(spec);
}

/* Least-squares fit of a*sin + b*cos + c; returns amplitude and, optionally, residual RMS. */
static double fit_sine(const float *x, size_t n, double f, double rate, double *resid_rms)
{
    double ss = 0, cc = 0, sc = 0, s1 = 0, c1 = 0, xs = 0, xc = 0, x1 = 0;
    double w = 2.0 * M_PI * f / rate;
    for (size_t i = 0; i < n; i++) {
        double s = sin(w * (double)i), c = cos(w * (double)i);
        ss += s * s; cc += c * c; sc += s * c; s1 += s; c1 += c;
        xs += (double)x[i] * s; xc += (double)x[i] * c; x1 += (double)x[i];
    }
    /* Solve the 3x3 normal equations by Cramer's rule. */
    double m[3][3] = {{ss, sc, s1}, {sc, cc, c1}, {s1, c1, (double)n}}, r[3] = {xs, xc, x1};
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
               - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
               + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    double sol[3];
    for (int k = 0; k < 3; k++) {
        double t[3][3];
        memcpy(t, m, sizeof t);
        for (int j = 0; j < 3; j++)
            t[j][k] = r[j];
        sol[k] = (t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1])
                - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0])
                + t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0])) / det;
    }
    if (resid_rms) {
        double e = 0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)x[i] - (sol[0] * sin(w * (double)i) + sol[1] * cos(w * (double)i) + sol[2]);
            e += d * d;
        }
        *resid_rms = sqrt(e / (double)n);
    }
    return hypot(sol[0], sol[1]);
}

double tu_sine_amplitude(const float *x, size_t n, double freq_hz, double rate)
{
    return fit_sine(x, n, freq_hz, rate, NULL);
}

double tu_residual_rms(const float *x, size_t n, double freq_hz, double rate)
{
    double r;
    fit_sine(x, n, freq_hz, rate, &r);
    return r;
}

double tu_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 4503599627370496.0 - 1.0;
}

void tu_tmpdir(char *buf, size_t size)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, size, "%s/lathe-test-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(2);
    }
}

int tu_run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}
