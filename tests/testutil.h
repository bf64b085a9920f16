/* testutil.h - the few things every lathe test needs: checks that count and print, signals,
 * and spectral measurement with FFTW. A test's main ends with `return tu_done();`, which prints
 * the plain closing line "N passed, N failed". */
#ifndef LATHE_TESTUTIL_H
#define LATHE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

void tu_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) tu_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* |got - want| <= tol, printing all three. */
#define CHECK_NEAR(got, want, tol, what) \
    tu_check_near((got), (want), (tol), __FILE__, __LINE__, (what))
void tu_check_near(double got, double want, double tol, const char *file, int line, const char *what);
int tu_done(void);

double tu_db(double x);                  /* 20 log10 |x|, -inf safe (returns -400) */
void tu_sine(float *x, size_t n, double freq_hz, double rate, double amp, double phase_rad);

/* Hann-windowed power spectrum of x (n a power of two is not required): bins 0..n/2 in out
 * (caller allocates n/2+1 doubles), normalised so a full-scale sine's peak bin reads ~0 dB
 * after tu_db(sqrt(.)). */
void tu_spectrum(const float *x, size_t n, double *out_power);
/* Amplitude (linear, peak) of the sine at freq_hz, by least squares over the whole signal. */
double tu_sine_amplitude(const float *x, size_t n, double freq_hz, double rate);
/* Residual RMS after removing the best-fit sine at freq_hz (and DC): THD+N numerator. */
double tu_residual_rms(const float *x, size_t n, double freq_hz, double rate);

/* Deterministic PRNG for tests (xorshift64*), uniform in [-1, 1). */
double tu_rand(uint64_t *state);

/* Writes a temporary folder path (mkdtemp under $TMPDIR or /tmp) into buf. */
void tu_tmpdir(char *buf, size_t size);
/* Runs a shell command, returns its exit status (0..255), -1 if it could not run. */
int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
