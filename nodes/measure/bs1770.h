/* bs1770.h - loudness per ITU-R BS.1770-5 / EBU R128 (Tech 3341, 3342): momentary, short-term,
 * integrated (two-stage gated) loudness and loudness range, with no engine dependency.
 *
 * K-weighting runs in double as two cascaded biquads per channel (specs §5.1). Energies are kept
 * per 100 ms hop, so integrated loudness and LRA are computed exactly (no histogram). Max
 * momentary and max short-term are evaluated every 5 ms (EBU 3341 case 13 needs <= ~18 ms).
 * Channel weights: 1.0, except 1.41 for channels 3 and 4 of a 5- or 6-channel stream (Ls, Rs)
 * and exclusion of channel 3 (LFE) of a 6-channel stream (order L R C LFE Ls Rs); for
 * 5 channels the order is L R C Ls Rs. Other weights: lathe_bs1770_set_weight().
 *
 * Threading: one meter per thread; add() does not allocate once lathe_bs1770_reserve() covered
 * the stream length (it grows its block store otherwise). */
#ifndef LATHE_BS1770_H
#define LATHE_BS1770_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_bs1770 lathe_bs1770;

/* [main] A meter for `channels` (1..64) planar channels at `rate` (8000..768000 Hz).
 * Returns 0 and sets *out; -1 on out-of-memory, -2 on an unsupported rate/channel count. */
int lathe_bs1770_new(uint32_t rate, uint32_t channels, lathe_bs1770 **out);
/* [main] Pre-allocates the block store for `frames` frames so add() never allocates.
 * Returns 0, or -1 on out-of-memory. */
int lathe_bs1770_reserve(lathe_bs1770 *m, uint64_t frames);
/* [main] Channel weight G (0 excludes a channel). Call before add(). */
void lathe_bs1770_set_weight(lathe_bs1770 *m, uint32_t channel, double weight);
/* [main] Makes the stereo meter m also measure the mono fold-down (L + R) / 2 into the
 * one-channel meter `fold` (same rate), from the K-weighted channels it computes anyway: the
 * filter is linear, so that is the fold's K-weighting up to rounding, at no filtering cost.
 * `fold` must not be fed itself; m feeds it sub-block by sub-block. -1 on a mismatch. */
int lathe_bs1770_set_fold(lathe_bs1770 *m, lathe_bs1770 *fold);
void lathe_bs1770_free(lathe_bs1770 *m);

/* [rt if reserved] Feeds n_frames frames: ch[c][i]. Any block size gives the same result. */
void lathe_bs1770_add(lathe_bs1770 *m, const float *const *ch, uint32_t n_frames);
/* [rt] Forgets everything measured (state, blocks, maxima) but keeps the reservation. */
void lathe_bs1770_reset(lathe_bs1770 *m);

/* Results in LUFS (LU for LRA). NAN when nothing passed the absolute gate or no full window was
 * seen; -INFINITY never escapes. */
double lathe_bs1770_integrated(const lathe_bs1770 *m);
double lathe_bs1770_momentary_max(const lathe_bs1770 *m);
double lathe_bs1770_short_term_max(const lathe_bs1770 *m);
double lathe_bs1770_lra(const lathe_bs1770 *m); /* not concurrently on one meter: shares a buffer */
/* LRA from every `stride`-th short-term value (lra() is stride 1, the EBU 10 Hz rate; stride 10
 * reproduces libebur128, which evaluates short-term loudness for LRA once per second). */
double lathe_bs1770_lra_stride(const lathe_bs1770 *m, uint32_t stride);
/* 1, or 0 when a hop was lost because an unreserved series could not grow (results partial). */
int lathe_bs1770_complete(const lathe_bs1770 *m);
/* Loudness of the last 400 ms / 3 s (zeros before the start), NAN when silent. */
double lathe_bs1770_momentary(const lathe_bs1770 *m);
double lathe_bs1770_short_term(const lathe_bs1770 *m);

/* Short-term series: value i is the short-term loudness (3 s window, zeros before the start)
 * ending at (i + 1) * 100 ms; NAN for a silent window. */
size_t lathe_bs1770_short_term_count(const lathe_bs1770 *m);
double lathe_bs1770_short_term_at(const lathe_bs1770 *m, size_t i);

/* Frames per 100 ms hop: (rate + 5) / 10, as libebur128. */
uint32_t lathe_bs1770_hop_frames(const lathe_bs1770 *m);

#ifdef __cplusplus
}
#endif
#endif
