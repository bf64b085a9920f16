/* dither.h - word-length reduction with TPDF dither and optional error-feedback noise shaping.
 *
 * For each sample: d = x - sum_j c_j e[n-j]; y = round_to_grid(d + r); e[n] = y - d, where r is
 * TPDF dither spanning +-1 LSB (the sum of two independent uniforms in +-1/2 LSB). The output is
 * therefore y = x + (1 - H(z)) e with H(z) = sum_j c_j z^-j: the total error e is white with
 * power LSB^2/4 (dither LSB^2/6 plus the rounding LSB^2/12, both independent of the signal) and
 * is shaped by the noise transfer function NTF(z) = 1 - H(z). Without shaping NTF = 1.
 *
 * Outputs are exact multiples of the LSB 2^-(bits-1), clipped to [-1, 1 - LSB], so a writer's
 * conversion to `bits` integers is exact (no second quantisation). Clipping is applied after the
 * error is computed, so a clipped sample does not feed a huge error back into the filter.
 *
 * Dither values come from the counter-based generator (rng.h) indexed by frame, so the output
 * does not depend on block boundaries. */
#ifndef LATHE_DITHER_H
#define LATHE_DITHER_H

#include <stdint.h>

#define LATHE_DITHER_MAX_ORDER 9

typedef enum lathe_dither_shape {
    LATHE_DITHER_FLAT = 0,   /* plain TPDF */
    LATHE_DITHER_LIPSHITZ5,  /* Lipshitz et al. 5-tap E-weighted, designed for 44.1 kHz */
    LATHE_DITHER_FWEIGHTED9  /* 9-tap F-weighted, designed for 44.1 kHz */
} lathe_dither_shape;

/* Settings shared by all channels. */
typedef struct lathe_dither {
    double lsb, inv_lsb; /* 2^-(bits-1) and its inverse */
    double lo, hi;       /* clip range: -1 and 1 - lsb */
    const double *c;     /* shaping coefficients c_1..c_order (NULL when order is 0) */
    int order;
} lathe_dither;

/* Per-channel state: past total errors e[n-1..n-order], newest first. */
typedef struct lathe_dither_ch {
    double e[LATHE_DITHER_MAX_ORDER];
} lathe_dither_ch;

/* Fills d for `bits` (2..24) and a shaping curve. */
void lathe_dither_init(lathe_dither *d, int bits, lathe_dither_shape shape);
/* The coefficients c_1..c_order of a curve (order 0 and NULL for FLAT). */
const double *lathe_dither_coefs(lathe_dither_shape shape, int *order);
/* |NTF(f)|^2 = |1 - sum_j c_j e^{-i 2 pi f j / rate}|^2, for tests and documentation. */
double lathe_dither_ntf_power(lathe_dither_shape shape, double freq_hz, double rate);

/* [rt] Reduces n samples x of one channel, whose first sample is frame `frame0` of the stream,
 * into y (x and y may alias). `seed` selects the noise; give each channel its own seed (see
 * lathe_rng_substream). */
void lathe_dither_process(const lathe_dither *d, lathe_dither_ch *st, uint64_t seed,
                          uint64_t frame0, const float *x, float *y, uint32_t n);

#endif
