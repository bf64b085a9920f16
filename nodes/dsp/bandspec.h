/* bandspec.h - a programme's long-term spectrum, mid and side apart, on a fixed 1/6-octave grid
 * that does not depend on the sample rate (so two programmes at different rates compare band by
 * band), averaged over its loudest segments only: quiet intros and fades say little about a
 * record's tonal balance. Also the grid's smoothing and interpolation, for curves drawn on it.
 *
 * Spectra: Hann-windowed FFTs (FFTW, size a power of two >= rate / 3, hop half of it) of
 * mid = (L + R) / 2 and side = (L - R) / 2 (a mono programme is all mid); each band is a
 * Gaussian-weighted (1/6-octave wide at half height) mean of the bins' power; segments of about
 * 3 s whose mean power reaches the mean over all non-silent segments are kept (after Matchering,
 * which keeps the pieces louder than the average). No engine dependency.
 */
#ifndef LATHE_BANDSPEC_H
#define LATHE_BANDSPEC_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Band b is centred at 1000 * 2^((b - LATHE_BANDSPEC_B1K) / 6) Hz: 19.7 Hz .. 22.6 kHz; the
 * 1/3-octave (IEC 61260 base-2) centres are the bands with an even b - LATHE_BANDSPEC_B1K. */
#define LATHE_BANDSPEC_BANDS 62
#define LATHE_BANDSPEC_B1K 34

typedef struct lathe_bandspec lathe_bandspec;

double lathe_bandspec_centre_hz(int band);

/* [main] An analyser for 1 or 2 channels at rate Hz (8 kHz..768 kHz), its state from al (NULL:
 * malloc). LATHE_DSP_OK, or a lathe_dsp_status (kernel.h; *out untouched). Creates an FFTW
 * plan: the plan is made under a lock, so analysers may be created on several threads. */
int lathe_bandspec_new(double rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_bandspec **out);
void lathe_bandspec_free(lathe_bandspec *s);
/* Adds n frames (planar). The result does not depend on how the programme is cut into calls.
 * Returns 0, or -1 when out of memory (the segment table grows). */
int lathe_bandspec_add(lathe_bandspec *s, const float *const *x, uint32_t n);
/* Mean power per band of mid and side over the loudest segments, linear, scaled so that white
 * noise of variance v reads v in every band; NAN for bands above 0.45 x rate, which this rate
 * cannot see. All zero for a silent programme. 0, or -1 when out of memory. */
int lathe_bandspec_finish(lathe_bandspec *s, double *mid, double *side);

/* Smooths y[0..LATHE_BANDSPEC_BANDS) along the grid with a Gaussian fwhm_oct octaves wide at
 * half height, skipping NAN bands (a band whose neighbourhood is all NAN stays NAN); fwhm 0
 * copies. */
void lathe_bandspec_smooth(const double *y, double *out, double fwhm_oct);
/* y (on the grid) at f_hz: linear in log frequency between band centres, held flat beyond the
 * first and last. */
double lathe_bandspec_interp(const double *y, double f_hz);

#ifdef __cplusplus
}
#endif
#endif
