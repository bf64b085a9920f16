/* truepeak.h - true-peak (inter-sample peak) measurement per ITU-R BS.1770-5 Annex 2, with no
 * engine dependency.
 *
 * Oversampling 8x below 88.2 kHz, 4x below 176.4 kHz, 2x above, by tpfilter.h's two-stage
 * interpolator (shared with the limiter's detector): flat to 0.98 of Nyquist, every point of
 * content below it within 0.003 dB of the ideal reconstruction. The overall maximum is refined
 * by a parabola through the oversampled points around it, and is always max(sample peak,
 * interpolated peak). DC is kept (overload detection). Values are linear (1.0 = 0 dBTP). */
#ifndef LATHE_TRUEPEAK_H
#define LATHE_TRUEPEAK_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_truepeak lathe_truepeak;

/* [main] Returns LATHE_DSP_OK and sets *out, or a lathe_dsp_status (kernel.h); state from al
 * (NULL: malloc). */
int lathe_truepeak_new(uint32_t rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_truepeak **out);
void lathe_truepeak_free(lathe_truepeak *t);

/* [rt] Feeds n frames (planar). Block size does not change results. */
void lathe_truepeak_add(lathe_truepeak *t, const float *const *ch, uint32_t n);
/* [rt] Like add(), and writes per input frame the max over channels of |x| at that frame and at
 * the interpolated points between it and the previous frame, delayed by
 * lathe_truepeak_latency() frames (the first `latency` outputs cover the zero history). Updates
 * the running maxima too. peak_out has n entries. */
void lathe_truepeak_frame_peaks(lathe_truepeak *t, const float *const *ch, uint32_t n,
                                float *peak_out);
uint32_t lathe_truepeak_latency(const lathe_truepeak *t);
/* [rt] Clears history and maxima. */
void lathe_truepeak_reset(lathe_truepeak *t);

/* Linear maxima: max(sample peak, interpolated peak), over all channels / one channel. The
 * interpolated part covers the signal fed so far, up to latency frames short of its end. */
double lathe_truepeak_max(const lathe_truepeak *t);
double lathe_truepeak_channel_max(const lathe_truepeak *t, uint32_t c);
/* Frame index (0-based, input frames) where the overall maximum occurred, -1 when none. */
int64_t lathe_truepeak_max_frame(const lathe_truepeak *t);
/* The oversampling factor in use. */
uint32_t lathe_truepeak_factor(const lathe_truepeak *t);

#ifdef __cplusplus
}
#endif
#endif
