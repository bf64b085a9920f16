/* limiter_stage.h - one stage of the limiter (limiter.c): a peak detector, its gain
 * computer(s) and the delay line that applies their gain, run chunk by chunk. Only limiter.c
 * uses it. */
#ifndef LATHE_LIMITER_STAGE_H
#define LATHE_LIMITER_STAGE_H

#include "gaincomp.h"
#include "lfpeak.h"
#include "limiter.h"
#include "topband.h"
#include "tpdetect.h"

#define LIMITER_CHUNK 256 /* frames a stage runs at once */

/* A float delay line of `delay` frames per channel. */
typedef struct delayline {
    float *buf[LATHE_LIMITER_MAX_CHANNELS];
    uint32_t mask, pos, delay;
} delayline;

/* One detector + gain computer(s) + delay: a limiter stage. */
typedef struct stage {
    int n_gc;                            /* 1 when linked, else one per channel */
    lathe_gaincomp gc[LATHE_LIMITER_MAX_CHANNELS];
    lathe_tpdetect *tp[LATHE_LIMITER_MAX_CHANNELS]; /* NULL: sample-peak detection */
    lathe_topband *tb[LATHE_LIMITER_MAX_CHANNELS];  /* with tp: its bound on the top band */
    float *bound[LATHE_LIMITER_MAX_CHANNELS];       /* scratch, LIMITER_CHUNK frames */
    float thr_base, thr; /* the detectors' skip threshold without the bound (0: off), now */
    lathe_lfpeak *lf;    /* the bridge's requirement (main stage, two-stage release), scratch */
    float *lf_pk[LATHE_LIMITER_MAX_CHANNELS];
    double *lf_req[LATHE_LIMITER_MAX_CHANNELS];
    uint32_t det_latency, latency;
    lathe_release rel;
    delayline dl;
} stage;

uint32_t lathe_limiter_pow2_at_least(uint32_t n);
/* Sets up detector (tp: true peak, else sample peak), gain computers (ramp frames, at most
 * max_hold frames held either side of a peak, bridge frames) and delay of one stage. 0 or -1. */
int lathe_limiter_stage_init(stage *s, const lathe_limiter_config *c, int n_gc, int tp,
                             uint32_t ramp, uint32_t max_hold, uint32_t bridge,
                             const lathe_dsp_alloc *al);
void lathe_limiter_stage_fini(stage *s, uint32_t channels, const lathe_dsp_alloc *a);
/* detection 0: the detector and its top-band bound keep their history (see stage_feed). */
void lathe_limiter_stage_reset(stage *s, uint32_t channels, int detection);
/* Takes n input frames into the detector's history and the top-band bound only. */
void lathe_limiter_stage_feed(stage *s, const float *const *x, uint32_t n);
/* Runs a stage on n <= LIMITER_CHUNK frames: x in, y out (x times in_gain and the reduction);
 * the gain computers' output stays in g. `below`: the caller knows every peak of these frames
 * is at or below the ceiling (the detectors only take the samples into their history, and the
 * peaks read 0, which asks for the same gain 1). `memo`: the peaks are read from it at frame
 * `off` instead of detected, or written to it (lathe_limiter_peaks). `ub` (NULL: none, linked
 * detection only): upper bounds of the peaks, which let detection skip frames (tpdetect.h). */
void lathe_limiter_stage_run(stage *s, const lathe_limiter_config *c, double ceil, float in_gain,
                             float *const *pk, double *const *g, const float *const *x,
                             float *const *y, uint32_t n, int below,
                             const lathe_limiter_peaks *memo, uint32_t off, const float *ub);

#endif
