/* limiter_safety.h - bounds that let the limiter's safety stage skip detection where its input
 * is a scaled copy of what the main stage already measured (limiter.c). Only limiter.c uses it.
 *
 * The safety stage's input is mid[s] = x[s] * c[s] (x the main stage's input, c[s] the factor
 * the main stage applied, rounded to float once). Each of its interpolated points is the
 * filter's sum over x * c; for any factor R it differs from R times the same point of x by at
 * most sum |h| |c[s] - R| |x[s]|. The main stage knows the peak of x at every frame (or that it
 * is at or below its own threshold); with R the smallest c of a group's frames, R times their
 * peaks is at most what the main stage let through there, and lathe_tpdetect_group_weights()
 * turns the differences into a bound on the safety detector's reading, for a group of frames at
 * a time. Where the gain moves little across a group's support, the bound stays below the
 * ceiling, and the frames ask for gain 1 without being measured. */
#ifndef LATHE_LIMITER_SAFETY_H
#define LATHE_LIMITER_SAFETY_H

#include "kernel.h"
#include "tpdetect.h"

typedef struct safety_bound {
    uint32_t taps, group, hist; /* hist = taps + 1 frames kept before each chunk */
    uint32_t nw;                /* blocks of `group` frames in a group's support */
    float *w;                   /* nw: the weights (lathe_tpdetect_group_weights) per block */
    float wsum;
    float *c, *a, *p;           /* hist + LIMITER_CHUNK frames: factor, |x| bound, x's peak */
    float *cmin, *cmax, *amax;  /* the same per block of `group` frames */
} safety_bound;

/* Sets up bounds for the safety detector d. 0 or -1 (out of memory). */
int lathe_safety_bound_init(safety_bound *b, const lathe_tpdetect *d, const lathe_dsp_alloc *al);
void lathe_safety_bound_fini(safety_bound *b, const lathe_dsp_alloc *al);
/* Zeros before the start, as the detector's history. */
void lathe_safety_bound_reset(safety_bound *b);
/* [rt] n <= LIMITER_CHUNK frames of the main stage's output mid (channels of them) with its
 * gains g1 and input gain; p[i] an upper bound of the main stage's exact reading of x at mid
 * frame i. ub[i] receives an upper bound of the safety detector's reading at its output
 * frame i (ub NULL: the frames only join the history); frames whose bound exceeds target
 * get infinity, found more cheaply. */
void lathe_safety_bound_run(safety_bound *b, const double *g1, float in_gain,
                            const float *const *mid, uint32_t channels, const float *p,
                            uint32_t n, float target, float *ub);

#endif
