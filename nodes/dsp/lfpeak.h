/* lfpeak.h - per-frame peaks of the low frequencies, for the limiter's bridge (limiter.c), with
 * no engine dependency.
 *
 * Each channel, taken down to an eighth of the rate (decim8.h), through a 2nd-order Butterworth
 * low-pass, rectified and raised by a margin, once a group of 8 frames; linked, the largest over
 * the channels. The peaks come `delay` frames late, to meet a detector's (a group's stands for
 * its 8 frames). Block size does not change results. */
#ifndef LATHE_DSP_LFPEAK_H
#define LATHE_DSP_LFPEAK_H

#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_lfpeak lathe_lfpeak;

/* [main] Low-pass at hz (at most 0.45 of the rate), peaks times 10^(margin_db / 20); linked:
 * one peak per frame over all channels, else one per channel. Returns LATHE_DSP_OK and sets
 * *out, or a lathe_dsp_status (1..8 channels). */
int lathe_lfpeak_new(uint32_t rate, uint32_t channels, int linked, double hz, double margin_db,
                     uint32_t delay, const lathe_dsp_alloc *al, lathe_lfpeak **out);
void lathe_lfpeak_free(lathe_lfpeak *f);
/* [rt] Clears the history (zeros before the start). */
void lathe_lfpeak_reset(lathe_lfpeak *f);
/* [rt] Feeds n frames (n <= LATHE_LFPEAK_MAX_BLOCK); peak[k][i] receives the peak of the frame
 * `delay` frames before input frame i (k = 0 when linked, else the channel). */
#define LATHE_LFPEAK_MAX_BLOCK 4096
void lathe_lfpeak_process(lathe_lfpeak *f, const float *const *ch, uint32_t n,
                          float *const *peak);

#ifdef __cplusplus
}
#endif
#endif
