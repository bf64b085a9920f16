/* topband.h - a bound on the content in the top of the band, 0.98 .. 1 of Nyquist, per frame,
 * with no engine dependency.
 *
 * lathe's true-peak interpolator (tpfilter.h) is exact below 0.98 of Nyquist and blind in part
 * above it; so is every practical reference (a filter flat to 0.98 of Nyquist rolls off in the
 * top 2%), and two of them disagree there by up to the amplitude of what lies in that band.
 * Mixes from synthesizers carry aliasing there (-36 dBFS peaks on the shared LMMS mixes), enough
 * for a reference to read a limited master 0.05-0.1 dB over a ceiling its detector held. A
 * limiter that adds this bound to each frame's detected peak holds its ceiling by any of them.
 *
 * How: the top band, shifted to DC by (-1)^n and taken down to an eighth of the rate (decim8.h),
 * is low-passed (4th-order Butterworth at 0.01 of the rate: 0 .. 0.02 of Nyquist is the band),
 * rectified and held over a window wide enough for the half-period of its lowest frequency and
 * the filters' delay; the bound of a frame is the largest over the channels. Content below 0.95
 * of Nyquist counts at most -24 dB, so a master without aliasing gets no measurable margin. All
 * frame counts are fractions of the rate, so the latency is the same number of frames at every
 * rate. The largest bound over a stream is also a reading: lathe analyze notes aliasing by it. */
#ifndef LATHE_DSP_TOPBAND_H
#define LATHE_DSP_TOPBAND_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_topband lathe_topband;

/* [main] Returns LATHE_DSP_OK and sets *out, or a lathe_dsp_status (1..8 channels). The bound
 * comes `latency` frames late: it sees the band's envelope whole from 114 frames (the limiter's
 * detector reports 118-121 late, so the bound waits for it and costs no latency). */
int lathe_topband_new(uint32_t channels, uint32_t latency, const lathe_dsp_alloc *al,
                      lathe_topband **out);
void lathe_topband_free(lathe_topband *t);
/* [rt] Clears the history (zeros before the start). */
void lathe_topband_reset(lathe_topband *t);
/* [rt] Feeds n frames; bound[i] receives the bound for the frame `latency` frames before input
 * frame i: the largest top-band amplitude over the channels near it (bound NULL: only fed).
 * Returns the largest bound written (0 with none). */
float lathe_topband_process(lathe_topband *t, const float *const *ch, uint32_t n, float *bound);
/* The largest bound so far, over the whole stream (a meter's reading). */
double lathe_topband_peak(const lathe_topband *t);

#ifdef __cplusplus
}
#endif
#endif
