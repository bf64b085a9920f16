/* test_truepeak.c - true-peak meter against analytic peaks: sums of sines below 20 kHz whose
 * phases align at a chosen sub-sample instant (peak = sum of amplitudes exactly), EBU Tech 3341
 * cases 15-23 at 48 and 44.1 kHz (and 96 kHz), frame_peaks latency and block independence. */
#include "dsp/truepeak.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pi = 3.14159265358979323846;

static double db(double x)
{
    return 20.0 * log10(x);
}

static double measure(uint32_t rate, const float *l, const float *r, size_t n, uint32_t block)
{
    lathe_truepeak *t = NULL;
    lathe_truepeak_new(rate, 2, NULL, &t);
    for (size_t off = 0; off < n; off += block) {
        uint32_t k = n - off < block ? (uint32_t)(n - off) : block;
        const float *ch[2] = {l + off, r + off};
        lathe_truepeak_add(t, ch, k);
    }
    double v = lathe_truepeak_max(t);
    lathe_truepeak_free(t);
    return v;
}

/* 10 ms raised-cosine fades so the signal is (nearly) band-limited at its ends. */
static void fade(float *x, size_t n, uint32_t rate)
{
    size_t f = rate / 100;
    for (size_t i = 0; i < f && i < n; i++) {
        double g = 0.5 - 0.5 * cos(pi * (double)i / (double)f);
        x[i] = (float)((double)x[i] * g);
        x[n - 1 - i] = (float)((double)x[n - 1 - i] * g);
    }
}

/* Random sums of 1-4 sines (20 Hz..20 kHz), all cosines peaking at t0 = (n0 + frac) / rate:
 * the analytic peak is the sum of amplitudes. */
static void analytic_peaks(uint32_t rate)
{
    enum { N = 8192 };
    static float x[N];
    uint64_t rng = 0x1234567ull + rate;
    double worst_under = 0.0, worst_over = 0.0;
    for (int trial = 0; trial < 300; trial++) {
        int k = 1 + trial % 4;
        double f[4], a[4], sum = 0.0;
        for (int j = 0; j < k; j++) {
            double u = 0.5 + 0.5 * tu_rand(&rng);
            /* bias towards the top octave, where interpolation is hardest */
            f[j] = trial % 3 == 0 ? 20000.0 - 4000.0 * u : 20.0 + 19980.0 * u;
            a[j] = 0.2 + 0.8 * (0.5 + 0.5 * tu_rand(&rng));
            sum += a[j];
        }
        double frac = trial == 0 ? 1.0 / 16.0 : 0.5 + 0.5 * tu_rand(&rng);
        double t0 = (N / 2 + frac) / (double)rate, scale = 0.9 / sum;
        if (trial == 0) /* the classic worst case: 20 kHz, peak between oversampled points */
            f[0] = 20000.0;
        for (size_t i = 0; i < N; i++) {
            double t = (double)i / (double)rate, v = 0.0;
            for (int j = 0; j < k; j++)
                v += a[j] * cos(2.0 * pi * f[j] * (t - t0));
            x[i] = (float)(v * scale);
        }
        fade(x, N, rate);
        double got = db(measure(rate, x, x, N, 1000)) - db(0.9);
        worst_under = got < worst_under ? got : worst_under;
        worst_over = got > worst_over ? got : worst_over;
    }
    printf("  analytic peaks @%u: worst under-read %.4f dB, worst over-read %.4f dB\n",
           (unsigned)rate, -worst_under, worst_over);
    CHECK(worst_under >= -0.1, "under-read <= 0.1 dB @%u (%.4f)", (unsigned)rate, -worst_under);
    CHECK(worst_over <= 0.05, "over-read <= 0.05 dB @%u (%.4f)", (unsigned)rate, worst_over);
}

/* EBU 3341 #15-19: sine at fs/div, amplitude a, phase (degrees), 10 ms fades. */
static void ebu_tone(uint32_t rate, int id, double div, double amp, double phase_deg, double want)
{
    size_t n = rate / 2;
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * pi * (double)i / div + phase_deg * pi / 180.0));
    fade(x, n, rate);
    double got = db(measure(rate, x, x, n, 4096));
    char what[64];
    snprintf(what, sizeof(what), "3341 #%d true peak @%u", id, (unsigned)rate);
    printf("  %s: %.3f dBTP\n", what, got);
    CHECK(got >= want - 0.4 && got <= want + 0.2, "%s: %.3f dBTP (want %.1f +0.2/-0.4)", what,
          got, want);
    free(x);
}

/* Linear-phase low-pass at the 4x rate (cutoff 0.45 fs, Kaiser-windowed sinc). */
static double lp_tap(int k, int half)
{
    double fc = 0.45 / 4.0, t = (double)k, u = t / (double)(half + 1);
    double s = k == 0 ? 2.0 * fc : sin(2.0 * pi * fc * t) / (pi * t);
    double beta = 9.0, w = 1.0, i0b = 1.0, term = 1.0, q, x = beta * sqrt(1.0 - u * u);
    /* Kaiser window via I0 series */
    q = beta * beta / 4.0;
    for (int j = 1; j < 60; j++) {
        term *= q / ((double)j * j);
        i0b += term;
    }
    term = 1.0;
    q = x * x / 4.0;
    for (int j = 1; j < 60; j++) {
        term *= q / ((double)j * j);
        w += term;
    }
    return s * w / i0b;
}

/* EBU 3341 #20-23: at 4 fs, a 0.5 FFS sine at fs/6 holding one period of a 1.0 FFS sine at
 * fs/4 (phase-continuous), low-passed and decimated by 4 with offset 0..3. */
static void ebu_burst(uint32_t rate, int offset)
{
    size_t n4 = (size_t)rate * 4 / 5, n = n4 / 4; /* 0.2 s */
    double *hi = malloc(n4 * sizeof(double)), ph = 0.0;
    float *x = malloc(n * sizeof(float));
    size_t b0 = n4 / 2, blen = 16; /* one period of fs/4 at 4 fs */
    for (size_t i = 0; i < n4; i++) {
        int in_burst = i >= b0 && i < b0 + blen;
        hi[i] = (in_burst ? 1.0 : 0.5) * sin(ph);
        ph += 2.0 * pi * (in_burst ? 1.0 / 16.0 : 1.0 / 24.0);
    }
    enum { half = 128 };
    static double taps[2 * half + 1];
    for (int k = -half; k <= half; k++)
        taps[k + half] = lp_tap(k, half);
    for (size_t j = 0; j < n; j++) {
        long c = (long)(j * 4) + offset;
        double acc = 0.0;
        for (int k = -half; k <= half; k++)
            if (c - k >= 0 && c - k < (long)n4)
                acc += taps[k + half] * hi[c - k];
        x[j] = (float)acc;
    }
    fade(x, n, rate);
    double got = db(measure(rate, x, x, n, 333));
    printf("  3341 #%d true peak @%u: %.3f dBTP\n", 20 + offset, (unsigned)rate, got);
    CHECK(got >= -0.4 && got <= 0.2, "3341 #%d true peak @%u: %.3f dBTP (want 0.0 +0.2/-0.4)",
          20 + offset, (unsigned)rate, got);
    free(hi);
    free(x);
}

static void ebu_cases(uint32_t rate)
{
    ebu_tone(rate, 15, 4.0, 0.5, 0.0, -6.0);
    ebu_tone(rate, 16, 4.0, 0.5, 45.0, -6.0);
    ebu_tone(rate, 17, 6.0, 0.5, 60.0, -6.0);
    ebu_tone(rate, 18, 8.0, 0.5, 67.5, -6.0);
    ebu_tone(rate, 19, 4.0, 1.41, 45.0, 3.0);
    for (int off = 0; off < 4; off++)
        ebu_burst(rate, off);
}

/* frame_peaks: an impulse at frame n shows at output n + latency; its running max equals add()'s;
 * any block size gives the same output, to the bit. */
static void frame_peaks(void)
{
    enum { N = 5000 };
    static float x[N], p1[N], p2[N];
    uint64_t rng = 99;
    for (size_t i = 0; i < N; i++)
        x[i] = (float)(0.3 * tu_rand(&rng));
    x[3000] = 0.95f;
    lathe_truepeak *a = NULL, *b = NULL;
    lathe_truepeak_new(48000, 1, NULL, &a);
    lathe_truepeak_new(48000, 1, NULL, &b);
    const float *ch[1] = {x};
    lathe_truepeak_frame_peaks(a, ch, N, p1);
    for (size_t off = 0; off < N; off += 37) {
        const float *c2[1] = {x + off};
        uint32_t k = N - off < 37 ? (uint32_t)(N - off) : 37;
        lathe_truepeak_frame_peaks(b, c2, k, p2 + off);
    }
    CHECK(memcmp(p1, p2, sizeof(p1)) == 0, "frame_peaks: block 5000 vs 37 bit-identical");
    uint32_t lat = lathe_truepeak_latency(a);
    size_t argmax = 0;
    for (size_t i = 0; i < N; i++)
        argmax = p1[i] > p1[argmax] ? i : argmax;
    CHECK(argmax == 3000 + lat || argmax == 3001 + lat,
          "frame_peaks: impulse at 3000 peaks at %zu (latency %u)", argmax, (unsigned)lat);
    CHECK((double)p1[3000 + lat] >= 0.95, "frame_peaks: the sample itself is covered (%.4f)",
          (double)p1[3000 + lat]);
    double ma = lathe_truepeak_max(a), mc = measure(48000, x, x, N, 4096);
    CHECK(fabs(ma - mc) < 1e-6, "frame_peaks max %.6f == add max %.6f", ma, mc);
    CHECK(lathe_truepeak_max_frame(a) >= 2999 && lathe_truepeak_max_frame(a) <= 3001,
          "max frame %lld near the impulse", (long long)lathe_truepeak_max_frame(a));
    lathe_truepeak_free(a);
    lathe_truepeak_free(b);
}

int main(void)
{
    analytic_peaks(44100);
    analytic_peaks(48000);
    ebu_cases(48000);
    ebu_cases(44100);
    ebu_cases(96000);
    frame_peaks();
    return tu_done();
}
