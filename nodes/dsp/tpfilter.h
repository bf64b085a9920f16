/* tpfilter.h - the one true-peak interpolator of lathe's meter (truepeak.h) and the limiter's
 * detector (tpdetect.h), with no engine dependency.
 *
 * Two stages, so that it is flat to 0.98 of Nyquist at the cost of a 32-tap filter:
 *   1. 2x by a half-band Kaiser-windowed sinc (2 x 116 taps, beta 7): the even outputs are the
 *      samples themselves, the odd ones the midpoints. Transition 0.98 .. 1.02 of the input's
 *      Nyquist, images of content below 0.98 Nyquist rejected by ~68 dB.
 *   2. F/2 x from the 2x signal by a 16-tap Kaiser sinc (beta 10; identity at F = 2), phase 0
 *      the 2x sample itself. Its content lies below half its Nyquist, where 16 taps are exact.
 * F = 8 below 88.2 kHz, 4 below 176.4 kHz, 2 above. Against an ideal reconstruction, every
 * interpolated point of content below 0.98 of Nyquist is within 0.003 dB (complex error 3.4e-4
 * of the amplitude; measured by tests/test_truepeak.c against a 100 dB reference).
 *
 * Interval j (from x[j] to x[j + 1]) is interpolated at j + p/F, p = 0..F-1, from the
 * lathe_tpfilter_taps() samples x[j - taps/2 + 1 .. j + taps/2]; point p = 0 is x[j] exactly.
 * Floats, every lane summed in a fixed order: results do not depend on the CPU or block size. */
#ifndef LATHE_TPFILTER_H
#define LATHE_TPFILTER_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_tpfilter lathe_tpfilter;

/* lathe_tpfilter_taps() never exceeds this (for callers' fixed-size scratch). */
#define LATHE_TPFILTER_MAX_TAPS 256

/* [main] An interpolator for `rate` computing up to max_n intervals per call, its state from
 * al (kernel.h; NULL: malloc); NULL on out-of-memory. rate must be 8000..768000. */
lathe_tpfilter *lathe_tpfilter_new(uint32_t rate, uint32_t max_n, const lathe_dsp_alloc *al);
void lathe_tpfilter_free(lathe_tpfilter *f);

uint32_t lathe_tpfilter_factor(const lathe_tpfilter *f);
/* Input samples an interval reads (even). */
uint32_t lathe_tpfilter_taps(const lathe_tpfilter *f);
/* The equivalent single-stage filter, for bounds: h[k * factor + p] weighs the interval's
 * k-th input sample in point p (computed in double, rounded to float). */
const float *lathe_tpfilter_composite(const lathe_tpfilter *f);
/* Largest sum of |h| over the points of the equivalent filter: |point| <= this * max |x| over
 * the interval's taps (plus float rounding, < 1e-5 relative). */
double lathe_tpfilter_gain_bound(const lathe_tpfilter *f);

/* [rt] Stage 1 for n <= max_n intervals whose windows start at w[q] (w[0 .. n + taps - 2] is
 * read): fills the 2x signal. Then lathe_tpfilter_points() may be called on any of them. */
void lathe_tpfilter_stage1(lathe_tpfilter *f, const float *w, uint32_t n);
/* [rt] An upper bound of the points of intervals q0 .. q0 + n - 1 of the last stage1() (float
 * rounding aside, < 1e-5 relative) from the 2x samples they read: their largest magnitude
 * times stage 2's largest tap sum, or, where that is larger, a chord's weight times it plus
 * a remainder's weight times their largest second difference. */
double lathe_tpfilter_stage2_bound(const lathe_tpfilter *f, uint32_t q0, uint32_t n);
/* The screen: without stage 1, an upper bound of what lathe_tpfilter_stage2_bound(f, 0, n)
 * returns after lathe_tpfilter_stage1(f, w + q0, N) for any N >= n, so of every point of the n
 * intervals whose windows start at w[q0 .. q0 + n - 1]. Each midpoint is bounded by the chord
 * between its two samples plus the rest of the half-band, which weighs only the second
 * differences of w (small where little lies near Nyquist): a few operations a sample where
 * stage 1 costs 350. The differences' maxima come per grain of LATHE_TPFILTER_GRAIN samples,
 * computed once for a buffer by lathe_tpfilter_grains(). */
#define LATHE_TPFILTER_GRAIN 32
/* Grains needed for n samples. */
#define LATHE_TPFILTER_GRAINS(n) (((n) + LATHE_TPFILTER_GRAIN - 1) / LATHE_TPFILTER_GRAIN)
/* [rt] For each grain g of w[0 .. n - 1]: the largest |w[i] - 2 w[i - 1] + w[i - 2]| over its
 * i >= 2 into curve[g], the largest |w[i]| into peak[g], as float bit patterns (a NaN above
 * everything). */
void lathe_tpfilter_grains(const float *w, uint32_t n, uint32_t *curve, uint32_t *peak);
/* [rt] The screen of intervals q0 .. q0 + n - 1 of w, whose grains (of w[0 ..
 * q0 + n + lathe_tpfilter_taps() - 2] at least) are in curve and peak. NaN when the window holds
 * a NaN, inf or NaN when it holds an infinity: no comparison passes it. */
double lathe_tpfilter_screen(const lathe_tpfilter *f, const float *w, uint32_t q0, uint32_t n,
                             const uint32_t *curve, const uint32_t *peak);
/* [rt] y[(q - q0) * F + p] for intervals q = q0 .. q0 + n - 1 of the last stage1(). */
void lathe_tpfilter_points(const lathe_tpfilter *f, uint32_t q0, uint32_t n, float *y);
/* The Kaiser window at u in [-1, 1] (0 outside), I0(beta sqrt(1 - u^2)) / I0(beta). */
double lathe_kaiser(double u, double beta);

/* [rt] Both stages: y[q * F + p] for n intervals whose windows start at w[q]. */
void lathe_tpfilter_run(lathe_tpfilter *f, const float *w, uint32_t n, float *y);

#ifdef __cplusplus
}
#endif
#endif
