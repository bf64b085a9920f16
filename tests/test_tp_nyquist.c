/* test_tp_nyquist.c - true peak near Nyquist (21-23.5 kHz at 48 kHz), against a reference
 * written here: a Kaiser-windowed sinc over +-400 samples (beta 10), flat to 0.99 of Nyquist
 * with its images rejected by 100 dB, evaluated in double on an 8x grid and refined on a 128x
 * one around the largest points. The reference itself is checked against analytic peaks.
 *
 *  - lathe's meter (truepeak.h) reads sums of a 1 kHz and a near-Nyquist tone whose phases
 *    align at a chosen sub-sample instant (peak = sum of amplitudes) within -0.01 dB;
 *  - the limiter's detector never reads below the meter there;
 *  - the limiter (-1 dBTP ceiling) fed those mixes and single tones pushed 6 dB over it holds
 *    the ceiling to +0.02 dB by the reference;
 *  - with content above 0.98 of Nyquist it holds it by the reference and by the reference
 *    after a low-pass at 0.98 of Nyquist (topband.h). */
#include "dsp/limiter.h"
#include "dsp/tpdetect.h"
#include "dsp/tpfilter.h"
#include "dsp/truepeak.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define REF_HALF 400
#define REF_BETA 10.0
#define N_FRAMES (RATE / 4)

static const double PI = 3.14159265358979323846;

/* The reference kernel at offset tau (input samples). */
static double ref_kernel(double tau)
{
    double u = tau / REF_HALF;
    if (fabs(u) >= 1.0)
        return 0.0;
    double s = tau == 0.0 ? 1.0 : sin(PI * tau) / (PI * tau);
    return s * lathe_kaiser(u, REF_BETA);
}

static double ref_at(const float *x, size_t n, double t)
{
    long lo = (long)floor(t) - REF_HALF + 1, hi = (long)floor(t) + REF_HALF;
    double acc = 0.0;
    for (long k = lo < 0 ? 0 : lo; k <= hi && k < (long)n; k++)
        acc += (double)x[k] * ref_kernel(t - (double)k);
    return acc;
}

/* The peak of |reconstruction| within +-1/8 sample of t0, by golden-section search (the
 * reconstruction is smooth and unimodal on that scale below Nyquist). */
static double refine(const float *x, size_t n, double t0)
{
    const double g = 0.6180339887498949;
    double a = t0 - 0.125, b = t0 + 0.125;
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = fabs(ref_at(x, n, c)), fd = fabs(ref_at(x, n, d));
    for (int it = 0; it < 30; it++) {
        if (fc > fd) {
            b = d, d = c, fd = fc;
            c = b - g * (b - a), fc = fabs(ref_at(x, n, c));
        } else {
            a = c, c = d, fc = fd;
            d = a + g * (b - a), fd = fabs(ref_at(x, n, d));
        }
    }
    return fmax(fmax(fc, fd), fabs(ref_at(x, n, t0)));
}

#define TOP 48

/* Largest |reconstruction| of x: an 8x grid (tap tables per phase), then the TOP largest local
 * maxima of the grid refined by search. */
static double ref_true_peak(const float *x, size_t n)
{
    static double taps[8][2 * REF_HALF];
    for (int p = 0; p < 8; p++)
        for (int k = 0; k < 2 * REF_HALF; k++)
            taps[p][k] = ref_kernel(p / 8.0 - (k - REF_HALF + 1));
    double *grid = malloc(n * 8 * sizeof(double));
    for (size_t j = 0; j < n; j++)
        for (int p = 0; p < 8; p++) {
            double acc = 0.0;
            for (int k = 0; k < 2 * REF_HALF; k++) {
                long i = (long)j + k - REF_HALF + 1;
                if (i >= 0 && i < (long)n)
                    acc += (double)x[i] * taps[p][k];
            }
            grid[j * 8 + p] = fabs(acc);
        }
    double topv[TOP] = {0};
    size_t topi[TOP] = {0};
    for (size_t i = 1; i + 1 < n * 8; i++) {
        if (grid[i] < grid[i - 1] || grid[i] < grid[i + 1] || grid[i] <= topv[TOP - 1])
            continue;
        int k = TOP - 1;
        for (; k > 0 && topv[k - 1] < grid[i]; k--) {
            topv[k] = topv[k - 1];
            topi[k] = topi[k - 1];
        }
        topv[k] = grid[i];
        topi[k] = i;
    }
    double best = topv[0];
    for (int k = 0; k < TOP && topv[k] > 0.0; k++)
        best = fmax(best, refine(x, n, (double)topi[k] / 8.0));
    free(grid);
    return best;
}

/* a1 cos(2 pi 1 kHz (t - t0)) + a2 cos(2 pi f (t - t0)) with 50 ms raised-cosine fades: the
 * peak is a1 + a2 at sample time t0 (far from the fades). */
static void aligned_pair(float *x, size_t n, double f, double a1, double a2, double t0)
{
    size_t fl = RATE / 20;
    for (size_t i = 0; i < n; i++) {
        double t = ((double)i - t0) / RATE;
        double v = a1 * cos(2 * PI * 1000.0 * t) + a2 * cos(2 * PI * f * t);
        double g = 1.0;
        if (i < fl)
            g = 0.5 - 0.5 * cos(PI * (double)i / (double)fl);
        else if (n - 1 - i < fl)
            g = 0.5 - 0.5 * cos(PI * (double)(n - 1 - i) / (double)fl);
        x[i] = (float)(v * g);
    }
}

static double meter(const float *x, size_t n)
{
    lathe_truepeak *t = NULL;
    CHECK(lathe_truepeak_new(RATE, 1, NULL, &t) == 0, "meter new");
    const float *ch[1] = {x};
    lathe_truepeak_add(t, ch, (uint32_t)n);
    double v = lathe_truepeak_max(t);
    lathe_truepeak_free(t);
    return v;
}

static double detector(const float *x, size_t n)
{
    lathe_tpdetect *d = NULL;
    CHECK(lathe_tpdetect_new(RATE, 1, NULL, &d) == 0, "detector new");
    float *pk = malloc(n * sizeof(float));
    const float *ch[1] = {x};
    lathe_tpdetect_process(d, ch, (uint32_t)n, pk);
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, (double)pk[i]);
    free(pk);
    lathe_tpdetect_free(d);
    return m;
}

/* The limiter at -1 dBTP on x (mono), the output (latency removed) into y. */
static void limit(const float *x, float *y, size_t n)
{
    lathe_limiter_config c = lathe_limiter_config_default(RATE, 1);
    c.ceiling = pow(10.0, -1.0 / 20.0);
    lathe_limiter *l = NULL;
    CHECK(lathe_limiter_new(&c, NULL, &l) == 0, "limiter new");
    uint32_t lat = lathe_limiter_latency(l);
    float *in = calloc(n + lat, sizeof(float)), *out = calloc(n + lat, sizeof(float));
    memcpy(in, x, n * sizeof(float));
    const float *ic[1] = {in};
    float *oc[1] = {out};
    lathe_limiter_process(l, ic, oc, (uint32_t)(n + lat), NULL);
    memcpy(y, out + lat, n * sizeof(float));
    free(in);
    free(out);
    lathe_limiter_free(l);
}

static void meter_and_detector(void)
{
    const double freqs[] = {21000, 21500, 22000, 22500, 23000, 23500};
    const double fracs[] = {0.0625, 0.37, 0.5, 0.81};
    float *x = malloc(N_FRAMES * sizeof(float));
    double worst_under = 0.0, worst_ref = 0.0;
    for (int fi = 0; fi < 6; fi++)
        for (int k = 0; k < 4; k++) {
            double want = 0.9, t0 = N_FRAMES / 2 + fracs[k];
            aligned_pair(x, N_FRAMES, freqs[fi], 0.45, 0.45, t0);
            double m = meter(x, N_FRAMES), d = detector(x, N_FRAMES);
            worst_under = fmin(worst_under, tu_db(m / want));
            CHECK(tu_db(m / want) >= -0.01 && tu_db(m / want) <= 0.01,
                  "meter %.0f Hz at +%.4f: %.4f dB from the analytic peak", freqs[fi], fracs[k],
                  tu_db(m / want));
            CHECK(d >= m, "detector %.6f below the meter %.6f at %.0f Hz", d, m, freqs[fi]);
            if (k == 1) { /* the reference against the analytic peak, once per frequency */
                double r = ref_true_peak(x, N_FRAMES);
                worst_ref = fmax(worst_ref, fabs(tu_db(r / want)));
            }
        }
    CHECK(worst_ref < 0.001, "reference within 0.001 dB of the analytic peaks (%.5f)", worst_ref);
    printf("meter: worst under-read near Nyquist %.4f dB\n", -worst_under);
    free(x);
}

static void limiter_holds_ceiling(void)
{
    const double freqs[] = {21000, 22000, 22500, 23000, 23500};
    const double ceil_db = -1.0, push = pow(10.0, 5.0 / 20.0); /* 6 dB over the ceiling */
    float *x = malloc(N_FRAMES * sizeof(float)), *y = malloc(N_FRAMES * sizeof(float));
    double worst = -100.0;
    for (int fi = 0; fi < 5; fi++)
        for (int single = 0; single < 2; single++) {
            if (single)
                aligned_pair(x, N_FRAMES, freqs[fi], 0.0, push, N_FRAMES / 2 + 0.37);
            else
                aligned_pair(x, N_FRAMES, freqs[fi], push / 2, push / 2, N_FRAMES / 2 + 0.37);
            limit(x, y, N_FRAMES);
            double over = tu_db(ref_true_peak(y, N_FRAMES)) - ceil_db;
            worst = fmax(worst, over);
            CHECK(over <= 0.02, "limiter on %s %.0f Hz +6 dB: %.4f dB over the ceiling",
                  single ? "tone" : "1 kHz +", freqs[fi], over);
        }
    printf("limiter: worst reference true peak %.4f dB relative to the ceiling\n", worst);
    free(x);
    free(y);
}

/* y low-passed at 0.98 of Nyquist (the reference's kernel scaled: a sinc of that band, Kaiser
 * windowed over +-400 samples), into z: what a reference meter flat to 0.98 of Nyquist, whose
 * stopband starts at Nyquist, reconstructs. */
static void band_limit(const float *y, float *z, size_t n)
{
    static double h[2 * REF_HALF + 1];
    for (int k = -REF_HALF; k <= REF_HALF; k++) {
        double u = 0.98 * k;
        h[k + REF_HALF] = 0.98 * (k == 0 ? 1.0 : sin(PI * u) / (PI * u)) *
                          lathe_kaiser((double)k / REF_HALF, REF_BETA);
    }
    for (size_t i = 0; i < n; i++) {
        double acc = 0.0;
        for (int k = -REF_HALF; k <= REF_HALF; k++)
            if ((long)i - k >= 0 && (long)i - k < (long)n)
                acc += h[k + REF_HALF] * (double)y[(long)i - k];
        z[i] = (float)acc;
    }
}

/* Content above 0.98 of Nyquist (synthesizer aliasing: the shared LMMS mixes carry it at -36
 * dBFS) is where interpolators disagree: a 1 kHz tone with a tone at 23.8 or 23.95 kHz 20 dB
 * under it, pushed 6 dB over, read by the reference and by the reference after a low-pass at
 * 0.98 of Nyquist. The limiter's top-band bound holds the ceiling by both (without it, the
 * reference reads 0.08 dB over at 23.95 kHz). */
static void limiter_top_band(void)
{
    const double freqs[] = {23800, 23950};
    const double push = pow(10.0, 5.0 / 20.0);
    float *x = malloc(N_FRAMES * sizeof(float)), *y = malloc(N_FRAMES * sizeof(float));
    float *z = malloc(N_FRAMES * sizeof(float));
    for (int fi = 0; fi < 2; fi++) {
        aligned_pair(x, N_FRAMES, freqs[fi], push * 10.0 / 11.0, push / 11.0,
                     N_FRAMES / 2 + 0.37);
        limit(x, y, N_FRAMES);
        band_limit(y, z, N_FRAMES);
        double full = tu_db(ref_true_peak(y, N_FRAMES)) + 1.0;
        double band = tu_db(ref_true_peak(z, N_FRAMES)) + 1.0;
        printf("limiter, 1 kHz + %.0f Hz: %.4f dB re the ceiling (reference), %.4f dB (band "
               "limited to 0.98 of Nyquist)\n", freqs[fi], full, band);
        CHECK(full <= 0.02 && band <= 0.02, "1 kHz + %.0f Hz: %.4f / %.4f dB over the ceiling",
              freqs[fi], full, band);
    }
    free(x);
    free(y);
    free(z);
}

int main(void)
{
    meter_and_detector();
    limiter_holds_ceiling();
    limiter_top_band();
    return tu_done();
}
