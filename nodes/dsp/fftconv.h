/* fftconv.h - uniformly partitioned FFT convolution (overlap-save with a frequency-domain delay
 * line, FFTW in double) of up to 8 channels with one long FIR, and a linear-phase FIR designer.
 *
 * The convolver works on fixed partitions of P frames, so its output does not depend on how the
 * input is cut into blocks; it delays by exactly P frames on top of the FIR's own delay.
 * Plans use FFTW_ESTIMATE so the same input gives the same bits on every run (the planner is made
 * safe from any thread by fftw_safe.h).
 */
#ifndef LATHE_FFTCONV_H
#define LATHE_FFTCONV_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_FFTCONV_MAX_CHANNELS 8

typedef struct lathe_fftconv lathe_fftconv;

/* [main] A convolver for `channels` channels with the FIR h[0..len) (copied), partition P frames
 * (a power of two >= 16), its state from al (NULL: malloc; FFTW's buffers stay FFTW's). Returns
 * LATHE_DSP_OK and *out, or LATHE_DSP_NOMEM (*out untouched). */
int lathe_fftconv_new(const double *h, uint32_t len, uint32_t partition, uint32_t channels,
                      const lathe_dsp_alloc *al, lathe_fftconv **out);
/* [main] Frees c; NULL is a no-op. */
void lathe_fftconv_free(lathe_fftconv *c);
/* [rt] Clears the history. */
void lathe_fftconv_reset(lathe_fftconv *c);
/* [rt] Convolves n frames of in[ch] into out[ch]; output frame i is the FIR output for input
 * frame i - P. in and out may alias per channel. */
void lathe_fftconv_process(lathe_fftconv *c, const float *const *in, float *const *out,
                           uint32_t n);
/* Frames of delay added by the partitioning (P). */
uint32_t lathe_fftconv_latency(const lathe_fftconv *c);

/* [main] Designs a linear-phase FIR whose magnitude follows mag(ctx, f_hz) (a linear gain, f in
 * 0..rate/2): the zero-phase impulse response is computed by an inverse FFT of the magnitude on
 * a grid of 8 * half_len bins, centred at tap half_len and shaped by a Blackman window spanning
 * taps 1..2 * half_len - 1. Writes 2 * half_len taps into h (tap 0 is 0); the FIR delays by
 * exactly half_len frames. half_len must be a power of two >= 16. Returns 0, or -1 when out of
 * memory. */
int lathe_fftconv_design_linear_phase(double (*mag)(void *ctx, double f_hz), void *ctx,
                                      double rate, uint32_t half_len, double *h);

#ifdef __cplusplus
}
#endif
#endif
