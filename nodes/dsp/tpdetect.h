/* tpdetect.h - per-frame true-peak detector for the limiter, with no engine dependency.
 *
 * The same interpolation as lathe's meter (truepeak.h), the one tpfilter.h (8x below 88.2 kHz,
 * 4x to 176.4 kHz, 2x above; flat to 0.98 of Nyquist; the same float values), plus what the
 * meter does only for its overall maximum: every point whose parabola through its neighbours
 * could rise above the frame's largest point is refined by it. So a frame's detected peak is
 * never below what the meter would report for that stretch, and a limiter that keeps every
 * frame's detected peak at or below the ceiling keeps the meter's reading there too.
 *
 * A second, short interpolator (4x, 49-tap Hann-windowed sinc, as libebur128 and many plug-in
 * meters use) joins the maximum below 96 kHz: near Nyquist its images make it read above the
 * ideal reconstruction, and the limiter's output must satisfy those meters as well. */
#ifndef LATHE_TPDETECT_H
#define LATHE_TPDETECT_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_tpdetect lathe_tpdetect;

/* [main] Returns LATHE_DSP_OK and sets *out, or a lathe_dsp_status (kernel.h: rates
 * 8000..768000 Hz, 1..8 channels); state from al (NULL: malloc). */
int lathe_tpdetect_new(uint32_t rate, uint32_t channels, const lathe_dsp_alloc *al,
                       lathe_tpdetect **out);
void lathe_tpdetect_free(lathe_tpdetect *d);
/* [rt] Clears the history (zeros before the start). */
void lathe_tpdetect_reset(lathe_tpdetect *d);

/* [rt] Feeds n frames; peak_out[i] receives, for the frame `latency` frames before input
 * frame i, the largest refined |y| over all channels in the interval from that frame to the
 * next (both samples included). Block size does not change results. */
void lathe_tpdetect_process(lathe_tpdetect *d, const float *const *ch, uint32_t n,
                            float *peak_out);
/* [rt] As lathe_tpdetect_process, with ub[i] (NULL: none) the caller's upper bound of frame i's
 * peak: a group of lathe_tpdetect_group() frames (from frame 0 of each call) whose bounds are all
 * at or below the threshold (lathe_tpdetect_set_threshold) skips the interpolation like one the
 * detector bounds itself. A caller that knows a frame's input is a scaled copy of a signal whose
 * peaks it knows derives such bounds with lathe_tpdetect_group_weights(). */
void lathe_tpdetect_process_bounded(lathe_tpdetect *d, const float *const *ch, uint32_t n,
                                    const float *ub, float *peak_out);
uint32_t lathe_tpdetect_group(void);
/* w[u], u = 0 .. taps + group: for any frame of a group of lathe_tpdetect_group() frames from
 * frame i0, a bound on how much input frame i0 - taps - 1 + u weighs in what the frame reports:
 * if every sample of x and x' differs by |x'[s] - x[s]| <= e[s], the frame's peak of x' is at
 * most the largest peak of x over frames i0 - 1 .. i0 + group (a refinement the float screen
 * passed over stays within ~1e-6 of it) plus sum w[u] e[i0 - taps - 1 + u] (float rounding
 * aside: < 1e-4 relative of the filters' gain). */
void lathe_tpdetect_group_weights(const lathe_tpdetect *d, float *w);
/* [main or rt: no allocation] Frames whose peak provably reads at or below `threshold` (by the
 * filters' absolute tap sums times the largest |x| their points depend on, or, once the 2x
 * signal is computed, by stage 2's tap sum times the 2x samples) may skip the interpolation (or
 * its second stage) and report a value still at or below it (their larger sample); every frame
 * that can read above it is exact. For a limiter asking min(1, ceiling / peak) with threshold <=
 * ceiling the gains are unchanged. 0 (the default): every frame exact. */
void lathe_tpdetect_set_threshold(lathe_tpdetect *d, float threshold);
/* [rt] Takes n frames into the history without reporting their peaks: for a caller that knows
 * they cannot matter (a limiter's safety stage where the first stage left the signal untouched).
 * Later frames come out exactly as if these had been processed. */
void lathe_tpdetect_skip(lathe_tpdetect *d, const float *const *ch, uint32_t n);
uint32_t lathe_tpdetect_latency(const lathe_tpdetect *d);
/* Input frames either side of a frame that its detected peak depends on. */
uint32_t lathe_tpdetect_reach(const lathe_tpdetect *d);

#ifdef __cplusplus
}
#endif
#endif
