/* gaincomp.h - the limiter's gain computer: required gains in, smoothed gains out. It holds
 * each requirement over the lookahead and the holds (a sliding minimum), optionally bridges it
 * (two-stage release, see limiter.c), releases it through one or two envelopes and smooths the
 * result with a box filter as long as the lookahead ramp. Internal to the limiter. */
#ifndef LATHE_DSP_GAINCOMP_H
#define LATHE_DSP_GAINCOMP_H

#include "kernel.h"
#include "slidemin.h"

#include <stdint.h>
#include <string.h>

typedef struct lathe_gaincomp {
    uint32_t len;              /* box length */
    lathe_slidemin held;       /* over the lookahead and the holds */
    lathe_slidemin bridged;    /* the same and the bridge after it (two-stage only) */
    double bridge_full, bridge_none; /* gains of the bridge's full and none depths */
    double *box;
    uint32_t box_pos;
    uint64_t ones;             /* frames since the gain was last below 1 */
    double box_sum, inv_len;
    double fresh;              /* box[0] + .. + box[box_pos - 1], added in that order */
    double env, slow;          /* released envelope (fast one when two-stage), slow envelope */
} lathe_gaincomp;

/* Whether every g[0 .. n) is exactly 1.0, compared as bit patterns (1.0 has one) so that the
 * loop vectorises where a floating compare does not. */
static inline int lathe_gains_unity(const double *g, uint32_t n)
{
    const uint64_t one = 0x3ff0000000000000u;
    uint64_t diff = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, g + i, sizeof u);
        diff |= u ^ one;
    }
    return diff == 0;
}

typedef struct lathe_release {
    double a_rel;   /* fixed: the release; two-stage: the slow envelope's way back up */
    double a_fast;  /* two-stage: the fast envelope's release */
    double a_slow_att; /* two-stage: the slow envelope's way down */
    int two_stage;
} lathe_release;

/* [main] win: frames held (lookahead and holds); bridge: frames of the bridge after it (0: none,
 * the single-envelope release); len: the smoothing box. 0, or -1 when out of memory. */
int lathe_gaincomp_init(lathe_gaincomp *g, uint32_t win, uint32_t bridge, uint32_t len,
                        const lathe_dsp_alloc *a);
void lathe_gaincomp_fini(lathe_gaincomp *g, const lathe_dsp_alloc *a);
/* [rt] At unity, nothing held. */
void lathe_gaincomp_reset(lathe_gaincomp *g);
/* [rt] Required gains in, smoothed gains out (n frames; req and out may be the same). The
 * bridge holds req_bridge (at or above req frame by frame; NULL: req itself). */
void lathe_gaincomp_run(lathe_gaincomp *g, const lathe_release *r, const double *req,
                        const double *req_bridge, double *out, uint32_t n);

#endif
