/* dither.c - TPDF dither and error-feedback noise shaping (see dither.h). */
#include "dither.h"

#include "rng.h"

#include <math.h>
#include <string.h>

/* Error-feedback coefficients for 44.1 kHz, as tabulated by SoX and FFmpeg (swresample) after
 * Lipshitz, Vanderkooy and Wannamaker, "Minimally audible noise shaping", JAES 39(11), 1991:
 * the 5-tap E-weighted and the 9-tap F-weighted designs. Convention: NTF(z) = 1 - sum c_j z^-j. */
static const double lipshitz5[] = { 2.033, -2.165, 1.959, -1.590, 0.6149 };
static const double fweighted9[] = { 2.412, -3.370, 3.937, -4.174, 3.353,
                                     -2.205, 1.281, -0.569, 0.0847 };

const double *lathe_dither_coefs(lathe_dither_shape shape, int *order)
{
    switch (shape) {
    case LATHE_DITHER_LIPSHITZ5:
        *order = 5;
        return lipshitz5;
    case LATHE_DITHER_FWEIGHTED9:
        *order = 9;
        return fweighted9;
    default:
        *order = 0;
        return NULL;
    }
}

void lathe_dither_init(lathe_dither *d, int bits, lathe_dither_shape shape)
{
    d->lsb = ldexp(1.0, -(bits - 1));
    d->inv_lsb = ldexp(1.0, bits - 1);
    d->lo = -1.0;
    d->hi = 1.0 - d->lsb;
    d->c = lathe_dither_coefs(shape, &d->order);
}

double lathe_dither_ntf_power(lathe_dither_shape shape, double freq_hz, double rate)
{
    int order;
    const double *c = lathe_dither_coefs(shape, &order);
    double w = 6.283185307179586476925 * freq_hz / rate, re = 1.0, im = 0.0;
    for (int j = 0; j < order; j++) {
        re -= c[j] * cos(w * (j + 1));
        im += c[j] * sin(w * (j + 1));
    }
    return re * re + im * im;
}

/* Rounds v (in LSB units) to the nearest integer, ties upwards: deterministic on every
 * platform, independent of the FPU rounding mode. */
static inline double round_lsb(double v) { return floor(v + 0.5); }

static inline double clip(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static void process_flat(const lathe_dither *d, uint64_t seed, uint64_t frame0, const float *x,
                         float *y, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = lathe_rng_at(seed, frame0 + i);
        double r = lathe_rng_hi(v) + lathe_rng_lo(v); /* TPDF in LSB units, +-1 LSB */
        double q = round_lsb((double)x[i] * d->inv_lsb + r) * d->lsb;
        y[i] = (float)clip(q, d->lo, d->hi);
    }
}

static void process_shaped(const lathe_dither *d, lathe_dither_ch *st, uint64_t seed,
                           uint64_t frame0, const float *x, float *y, uint32_t n)
{
    const int order = d->order;
    const double *c = d->c;
    double e[LATHE_DITHER_MAX_ORDER];
    memcpy(e, st->e, sizeof e);
    for (uint32_t i = 0; i < n; i++) {
        double fb = 0.0;
        for (int j = 0; j < order; j++)
            fb += c[j] * e[j];
        double dv = (double)x[i] - fb;
        uint64_t v = lathe_rng_at(seed, frame0 + i);
        double r = lathe_rng_hi(v) + lathe_rng_lo(v);
        double q = round_lsb(dv * d->inv_lsb + r) * d->lsb;
        for (int j = order - 1; j > 0; j--)
            e[j] = e[j - 1];
        e[0] = q - dv;
        y[i] = (float)clip(q, d->lo, d->hi);
    }
    memcpy(st->e, e, sizeof e);
}

void lathe_dither_process(const lathe_dither *d, lathe_dither_ch *st, uint64_t seed,
                          uint64_t frame0, const float *x, float *y, uint32_t n)
{
    if (d->order == 0)
        process_flat(d, seed, frame0, x, y, n);
    else
        process_shaped(d, st, seed, frame0, x, y, n);
}
