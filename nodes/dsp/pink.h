/* pink.h - a pink (-3 dB/octave) filter for white noise, designed for any sample rate.
 *
 * A cascade of first-order pole-zero sections: poles at 2 Hz * 4^k, each with a zero one octave
 * above it (half-way, in log frequency, to the next pole), so the magnitude alternates between
 * -6 dB/oct and flat and averages -3 dB/oct. Poles and zeros map to z by the matched
 * z-transform, z = exp(-2 pi f / rate). Deviation from an ideal 1/f power slope (normalised at
 * 1 kHz), computed from the design: at 44.1/48 kHz within 0.05 dB from 20 Hz to 2.5 kHz, +0.4 dB
 * at 10 kHz, +1.6/+1.3 dB at 20 kHz (the matched z-transform cannot follow 1/f up to Nyquist);
 * at 96 kHz within 0.35 dB to 20 kHz. Below 2 Hz the spectrum is flat, so the output has no DC
 * drift. The filter starts from rest: the lowest octaves take a few tenths of a second to build
 * up. State is double. */
#ifndef LATHE_PINK_H
#define LATHE_PINK_H

#include <stdint.h>

#define LATHE_PINK_MAX_SECTIONS 12

typedef struct lathe_pink {
    double p[LATHE_PINK_MAX_SECTIONS], z[LATHE_PINK_MAX_SECTIONS];
    int n;
    double norm; /* 1 / sqrt(power gain): unit-variance white in -> unit-variance pink out */
} lathe_pink;

/* Per-channel state: each section's previous input and output. */
typedef struct lathe_pink_state {
    double x1[LATHE_PINK_MAX_SECTIONS], y1[LATHE_PINK_MAX_SECTIONS];
} lathe_pink_state;

/* [main] Designs the filter for `rate` and measures its power gain (from the impulse response). */
void lathe_pink_design(lathe_pink *f, double rate);
/* [rt] Filters n samples in place (x in, pink out, scaled by f->norm). */
void lathe_pink_process(const lathe_pink *f, lathe_pink_state *st, double *x, uint32_t n);

#endif
