/* limiter.h - lookahead true-peak limiter kernel, with no engine dependency.
 *
 * Per input frame the detector (tpdetect.h: the 8x interpolation of lathe's meter, the meter's
 * parabolic refinement, and the short 4x interpolator of libebur128-style meters) finds the
 * true peak of each channel, links the channels by `link` (a channel's peak is mixed towards
 * the loudest, never below its own), and asks for gain g_req = min(1, ceiling / peak). The gain
 * computer then takes a sliding minimum over lookahead + 2 * hold frames (slidemin.h), applies
 * the release (by default program dependent: a fast envelope holding what the low frequencies
 * ask 8 ms then returning in ~5 ms, and a slow one that seconds of limiting build and that
 * returns at release_ms; the lower wins; see limiter.c), and smooths the attack with a box
 * filter over the lookahead. The minimum window
 * is longer than the box by the interpolator's core (17 frames) on each side, so around every
 * peak the applied gain is at or below that peak's requirement where the interpolation has
 * nearly all its weight and, for an isolated peak, exactly flat there.
 * The box filter makes the gain piecewise linear (continuous: no steps). The audio is delayed by
 * the total latency; below the ceiling the gain is exactly 1.0 and the audio passes bit-exact.
 *
 * A final safety stage re-measures the output's true peak per frame with the same detector and
 * runs a second, short (32-frame ramp, held over the detector's whole reach) gain computer of
 * the same form on the residual overs (where the gain moves under the interpolator's far taps
 * or inside its core between dense peaks), so the output's true peak stays at or below the
 * ceiling. Both stages add to each frame's peak a bound on the content at 0.98 .. 1 of Nyquist
 * (topband.h), where interpolators, the detector's and any reference meter's, disagree: so the
 * ceiling holds by every meter flat to 0.98 of Nyquist, also on mixes with aliasing up there.
 * Sample-peak mode (true_peak 0) has one stage and no interpolation: |y| <= ceiling on every
 * sample.
 *
 * All state is double; results do not depend on how the input is cut into blocks. */
#ifndef LATHE_LIMITER_H
#define LATHE_LIMITER_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_LIMITER_MAX_CHANNELS 8
/* The two-stage release's shape (limiter.c; lossmodel.c models the envelopes): what the low
 * frequencies ask is held BRIDGE_MS after its peak, fully up to BRIDGE_FULL_DB of reduction and
 * not at all from BRIDGE_NONE_DB; then the fast envelope returns at release_ms / FAST_DIV. The
 * slow envelope follows it down at SLOW_ATTACK_MS and up at release_ms. */
#define LATHE_LIMITER_BRIDGE_MS 8.0
#define LATHE_LIMITER_FAST_DIV 20.0
#define LATHE_LIMITER_SLOW_ATTACK_MS 2000.0
#define LATHE_LIMITER_BRIDGE_FULL_DB 9.0
#define LATHE_LIMITER_BRIDGE_NONE_DB 15.0

typedef struct lathe_limiter lathe_limiter;

typedef struct lathe_limiter_config {
    uint32_t rate;         /* Hz */
    uint32_t channels;     /* 1..LATHE_LIMITER_MAX_CHANNELS */
    double ceiling;        /* linear (1.0 = 0 dBTP / 0 dBFS) */
    double lookahead_ms;   /* attack ramp length; > 0 */
    double release_ms;     /* release time constant (the slow envelope's when two-stage); > 0 */
    int two_stage_release; /* 1: program dependent, fast after transients, release_ms after
                            * sustained limiting; 0: one release_ms envelope */
    double link;           /* 0 independent channels .. 1 fully linked */
    int true_peak;         /* 1: oversampled detection + safety stage; 0: sample peaks */
} lathe_limiter_config;

/* Defaults: 0 dB ceiling, 3 ms lookahead, 100 ms two-stage release, linked, true peak. */
lathe_limiter_config lathe_limiter_config_default(uint32_t rate, uint32_t channels);

/* [main] Returns LATHE_DSP_OK and sets *out, or a lathe_dsp_status (kernel.h); state from al
 * (NULL: malloc). */
int lathe_limiter_new(const lathe_limiter_config *cfg, const lathe_dsp_alloc *al,
                      lathe_limiter **out);
void lathe_limiter_free(lathe_limiter *l);

/* Output frames of delay between input and output. */
uint32_t lathe_limiter_latency(const lathe_limiter *l);

/* [rt] Limits n frames: out[c][i] is in[c][i - latency] times the gain. in and out may not
 * alias. `gain_out`, when non-NULL, receives the gain applied to each output frame (the
 * smallest over the channels). Any block size gives the same output. */
void lathe_limiter_process(lathe_limiter *l, const float *const *in, float *const *out,
                           uint32_t n, float *gain_out);
/* [rt] Forgets history and statistics. */
void lathe_limiter_reset(lathe_limiter *l);
/* [rt] The same, except that the main stage's peak detection keeps the input it has seen:
 * with lathe_limiter_feed() taking in the frames that are not processed, a run over parts of a
 * stream (windows from a reset of their gains each) detects every frame's peak exactly as a pass
 * over the whole stream does, so the peaks a whole pass kept may be given for those frames
 * instead (lathe_limiter_peaks) with the same output. */
void lathe_limiter_reset_gains(lathe_limiter *l);
/* [rt] n input frames into the main stage's detection only (no output, no gains). */
void lathe_limiter_feed(lathe_limiter *l, const float *const *in, uint32_t n);

/* process() in two halves, for a host with a second thread: front() runs the main stage over n
 * frames (at most LATHE_LIMITER_SPLIT_MAX) into slot 0 or 1, back() the safety stage over that
 * slot into out. front(s) then back(s), block after block, is exactly process(); front() of the
 * next block may run while back() of the previous one runs on another thread (each half keeps
 * to its own state), so with the slots alternating the two halves overlap. split() [main]
 * allocates the slots: LATHE_DSP_OK or LATHE_DSP_NOMEM. */
#define LATHE_LIMITER_SPLIT_MAX 4096
int lathe_limiter_split(lathe_limiter *l);
void lathe_limiter_front(lathe_limiter *l, const float *const *in, uint32_t n, int slot);
void lathe_limiter_back(lathe_limiter *l, int slot, float *const *out, float *gain_out);

/* [main] An input gain: from now on the limiter limits g * in (its gain reduction statistics
 * leave g out). The main stage detects the peaks of `in` itself and compares them with
 * ceiling / g, so what it detects does not depend on g and can be kept for other gains
 * (lathe_limiter_peaks). Its detectors skip the exact work on frames that cannot reach
 * ceiling / g_detect (g_detect >= g; g_detect = g skips the most). The output is in * (g *
 * reduction), the factor rounded once: not bit-identical to limiting a pre-multiplied input,
 * but the same whatever the block sizes, the threads and the peaks given. */
void lathe_limiter_set_input_gain(lathe_limiter *l, float g, float g_detect);

/* The main stage's detected peaks, one float per frame for each of its gain computers
 * (lathe_limiter_peak_channels(): 1 when linked). With `given` 0 the detection of the frames
 * processed is written to v (v[k] + i for the call's frame i); with `given` 1 it is read from v
 * instead of detected: bit-for-bit the same output, provided the peaks were written by a
 * limiter of the same rate, channels and link over the same input (from a reset on, every
 * frame of a pass given or none; or after reset_gains(), see there), with a threshold this gain
 * accepts (below). */
typedef struct lathe_limiter_peaks {
    float *v[LATHE_LIMITER_MAX_CHANNELS];
    int given;
    /* given: lathe_limiter_peaks_threshold() when they were written (0: unknown; the safety
     * stage then assumes the most a serving memo's can be, ceiling / g, and skips less) */
    double threshold;
} lathe_limiter_peaks;
int lathe_limiter_peak_channels(const lathe_limiter *l);
/* A memo written now serves a later gain g' when lathe_limiter_peaks_threshold() now is at or
 * below lathe_limiter_peaks_need() at g' (both in the input's domain: the detection threshold
 * set by g_detect, 0 when the detectors skip nothing; ceiling / g'). */
double lathe_limiter_peaks_threshold(const lathe_limiter *l);
double lathe_limiter_peaks_need(const lathe_limiter *l);
/* process() and front() with the main stage's peaks kept or given (NULL: as process()). */
void lathe_limiter_process_peaks(lathe_limiter *l, const float *const *in, float *const *out,
                                 uint32_t n, float *gain_out, const lathe_limiter_peaks *pk);
void lathe_limiter_front_peaks(lathe_limiter *l, const float *const *in, uint32_t n, int slot,
                               const lathe_limiter_peaks *pk);

/* [main] Limits the statistics to the first `frames` output frames after the latency (the
 * programme's length: a host flushing the tail in whole blocks feeds more). 0: all. */
void lathe_limiter_set_length(lathe_limiter *l, uint64_t frames);
/* Gain reduction statistics over the frames processed after the latency, in dB (>= 0):
 * the largest reduction, and the mean reduction over all those frames. */
void lathe_limiter_stats(const lathe_limiter *l, double *gr_max_db, double *gr_avg_db);
/* Frames whose safety-stage detection the main stage's peaks made unnecessary (skipped, or in
 * verify mode measured all the same), and in verify mode those of them whose measurement asked
 * for a reduction after all: a wrong bound, which tests require to be 0. */
void lathe_limiter_bound_stats(const lathe_limiter *l, uint64_t *skipped, uint64_t *misses);
/* [main] on: the safety stage measures every frame, and checks the bounds it would have used
 * (lathe_limiter_bound_stats). The output is the same either way. */
void lathe_limiter_verify_bounds(lathe_limiter *l, int on);

#ifdef __cplusplus
}
#endif
#endif
