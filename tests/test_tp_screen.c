/* test_tp_screen.c - the true-peak interpolator's screen (tpfilter.h) is an upper bound.
 *
 * lathe_tpfilter_stage2_bound() bounds every point computed from the first stage's 2x signal,
 * and lathe_tpfilter_screen() bounds, without the first stage, what that bound would read, so
 * that the meter may skip a block on their word and still read every file to the bit. Here both
 * must hold at 44.1, 96 and 192 kHz (factors 8, 4, 2) for every window length and offset tried,
 * on signals that stress each of their terms:
 *  - the sequence that maximises a midpoint (each sample the sign of its tap: the half-band's
 *    absolute sum, 3.7 times the peak, between samples of 1), where the screen is within 12%;
 *  - tones from 50 Hz to 0.499 of the rate, bursts near Nyquist peaking between samples, white
 *    noise, impulses, steps, and full-scale alternation at Nyquist;
 *  - a NaN or an infinity anywhere in the window: no finite bound, so nothing skips over it.
 * And it must screen: on a tone 7 dB under the running peak it is below that peak, where the
 * equivalent filter's tap sum (the meter's previous screen) is not. */
#include "dsp/tpfilter.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N_MAX 600
#define W_MAX (N_MAX + LATHE_TPFILTER_MAX_TAPS)

/* The screen of n intervals from w[q], w's grains computed here. */
static double screen(lathe_tpfilter *f, const float *w, uint32_t q, uint32_t n)
{
    uint32_t curve[LATHE_TPFILTER_GRAINS(W_MAX)], peak[LATHE_TPFILTER_GRAINS(W_MAX)];
    lathe_tpfilter_grains(w, W_MAX, curve, peak);
    return lathe_tpfilter_screen(f, w, q, n, curve, peak);
}

/* Checks, for windows of n intervals at offsets q of w (w must hold q + n + taps - 1 samples),
 * that every point is within stage 2's bound (the callers' 1e-4 slack for rounding) and the
 * screen >= that bound. Returns the largest ratio bound / screen seen (0 for none). */
static double check_bound(lathe_tpfilter *f, const float *w, const char *what)
{
    static const uint32_t ns[] = { 1, 2, 7, 33, 65, 200, 400 };
    static float y[400 * 8];
    double worst = 0.0;
    int bad = 0, over = 0;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (uint32_t q = 0; q + ns[i] <= N_MAX - 100; q += 97) {
            lathe_tpfilter_stage1(f, w + q, ns[i]);
            double exact = lathe_tpfilter_stage2_bound(f, 0, ns[i]);
            lathe_tpfilter_points(f, 0, ns[i], y);
            for (uint32_t k = 0; k < ns[i] * lathe_tpfilter_factor(f); k++)
                over += fabs((double)y[k]) > exact * (1.0 + 1e-4);
            double s = screen(f, w, q, ns[i]);
            if (!(s >= exact))
                bad++;
            else if (s > 0.0 && exact / s > worst)
                worst = exact / s;
        }
    CHECK(over == 0, "%s: every point within stage 2's bound (%d over)", what, over);
    CHECK(bad == 0, "%s: screen >= exact bound in every window (%d below)", what, bad);
    return worst;
}

static void one_rate(uint32_t rate)
{
    lathe_tpfilter *f = lathe_tpfilter_new(rate, N_MAX, NULL);
    CHECK(f != NULL, "%u Hz: interpolator", rate);
    if (!f)
        return;
    static float w[W_MAX];
    char what[96];
    const uint32_t taps = lathe_tpfilter_taps(f), K = 116; /* tpfilter.c's HB_K */
    /* the midpoint's worst case: w[s + u] = sign of the half-band tap it meets (alternating
     * outward from the centre pair), repeated so that every window holds it */
    for (uint32_t i = 0; i < W_MAX; i++) {
        long u = (long)(i % (2 * K)) - (long)K; /* distance from the centre pair, left < 0 */
        long k = u < 0 ? -u - 1 : u;
        w[i] = k % 2 == 0 ? 1.0f : -1.0f;
    }
    snprintf(what, sizeof what, "%u Hz worst-case sequence", rate);
    double worst = check_bound(f, w, what);
    CHECK(worst > 0.78, "%s: the screen is within 22%% where it matters (exact/screen %.3f)",
          what, worst);

    static const double tones[] = { 50.0, 997.0, 10000.0, 0.45, 0.49, 0.499 };
    for (size_t t = 0; t < sizeof tones / sizeof tones[0]; t++) {
        double hz = tones[t] < 1.0 ? tones[t] * rate : tones[t];
        tu_sine(w, W_MAX, hz, rate, 0.9, 0.3);
        snprintf(what, sizeof what, "%u Hz tone %.0f Hz", rate, hz);
        check_bound(f, w, what);
    }
    /* short bursts near Nyquist, peaking between samples: the points rise most above the 2x
     * samples, where stage 2's remainder carries the bound */
    static const double bursts[] = { 0.33, 0.45, 0.49 }, widths[] = { 4.0, 11.4 };
    for (size_t t = 0; t < 6; t++)
        for (int ph = 0; ph < 16; ph += 4) {
            const double fr = bursts[t / 2], sd = widths[t % 2];
            for (uint32_t i = 0; i < W_MAX; i++) {
                double u = (double)i - 300.0 - ph / 16.0, env = exp(-u * u / (2.0 * sd * sd));
                w[i] = (float)(0.9 * env * cos(2.0 * 3.14159265358979 * fr * u));
            }
            snprintf(what, sizeof what, "%u Hz burst at %.2f fs, width %.1f, phase %d/16", rate,
                     fr, sd, ph);
            check_bound(f, w, what);
        }
    uint64_t st = 7;
    for (uint32_t i = 0; i < W_MAX; i++)
        w[i] = (float)tu_rand(&st);
    snprintf(what, sizeof what, "%u Hz white noise", rate);
    check_bound(f, w, what);
    for (uint32_t i = 0; i < W_MAX; i++)
        w[i] = i % 131 == 60 ? 1.0f : 0.0f;
    snprintf(what, sizeof what, "%u Hz impulses", rate);
    check_bound(f, w, what);
    for (uint32_t i = 0; i < W_MAX; i++)
        w[i] = (i / 150) % 2 ? 0.8f : -0.8f;
    snprintf(what, sizeof what, "%u Hz steps", rate);
    check_bound(f, w, what);
    for (uint32_t i = 0; i < W_MAX; i++)
        w[i] = i % 2 ? 1.0f : -1.0f;
    snprintf(what, sizeof what, "%u Hz Nyquist", rate);
    check_bound(f, w, what);

    /* a tone 7 dB under a running peak of 1: the screen passes the block, the tap sum not */
    tu_sine(w, W_MAX, 1000.0, rate, 0.45, 0.0);
    double s = screen(f, w, 0, 64);
    CHECK(s < 0.97 && 0.45 * lathe_tpfilter_gain_bound(f) > 0.97,
          "%u Hz: 1 kHz at -7 dB screened below 0.97 (%.3f; tap sum %.3f)", rate, s,
          0.45 * lathe_tpfilter_gain_bound(f));

    /* a NaN or an infinity anywhere in what 64 intervals read: the screen passes nothing */
    for (uint32_t at = 0; at < 64 + taps - 1; at += 37) {
        for (int kind = 0; kind < 2; kind++) {
            tu_sine(w, W_MAX, 1000.0, rate, 0.1, 0.0);
            w[at] = kind ? INFINITY : NAN;
            double v = screen(f, w, 0, 64);
            CHECK(!(v <= 1e30), "%u Hz: %s at %u: screen %g passes nothing", rate,
                  kind ? "inf" : "NaN", at, v);
        }
    }
    lathe_tpfilter_free(f);
}

int main(void)
{
    one_rate(44100);
    one_rate(96000);
    one_rate(192000);
    return tu_done();
}
