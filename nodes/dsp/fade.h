/* fade.h - fade curves. A curve g maps t in [0, 1] to a gain with g(0) = 0 and g(1) = 1; a fade
 * in of L frames applies g(i / L) to its frame i (i = 0..L-1), so the first frame is silent and
 * frame L is the first at unity; a fade out of L frames is the mirror image, ending with a
 * silent last frame. */
#ifndef LATHE_FADE_H
#define LATHE_FADE_H

#include <stdint.h>

typedef enum lathe_fade_curve {
    LATHE_FADE_LINEAR = 0,  /* g = t */
    LATHE_FADE_EQUAL_POWER, /* g = sin(pi/2 t): in^2 + out^2 = 1 across a crossfade */
    LATHE_FADE_LOG,         /* g = (1000^t - 1) / 999: linear in dB from -60 dB, reaching 0 exactly */
    LATHE_FADE_SCURVE       /* g = 1/2 - 1/2 cos(pi t): zero slope at both ends */
} lathe_fade_curve;

double lathe_fade_gain(lathe_fade_curve curve, double t);

/* [rt] Gains of frames pos..pos+n-1 of a fade-in of len frames starting at frame 0 (1 beyond it). */
void lathe_fade_in_gains(lathe_fade_curve curve, uint64_t len, uint64_t pos, float *g, uint32_t n);
/* [rt] Gains for a fade-out of len frames ending at the last frame of a stream of total frames
 * (1 before it). */
void lathe_fade_out_gains(lathe_fade_curve curve, uint64_t len, uint64_t total, uint64_t pos,
                          float *g, uint32_t n);

#endif
