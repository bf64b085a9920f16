/* fade.c - fade curves (see fade.h). */
#include "fade.h"

#include <math.h>

double lathe_fade_gain(lathe_fade_curve curve, double t)
{
    const double half_pi = 1.57079632679489661923;
    if (t <= 0.0)
        return 0.0;
    if (t >= 1.0)
        return 1.0;
    switch (curve) {
    case LATHE_FADE_EQUAL_POWER:
        return sin(half_pi * t);
    case LATHE_FADE_LOG:
        /* 60 dB of range; the -1/999 offset makes the curve start at exactly 0 and end at 1. */
        return (pow(1000.0, t) - 1.0) / 999.0;
    case LATHE_FADE_SCURVE:
        return 0.5 - 0.5 * cos(2.0 * half_pi * t);
    default:
        return t;
    }
}

void lathe_fade_in_gains(lathe_fade_curve curve, uint64_t len, uint64_t pos, float *g, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k = pos + i;
        g[i] = k >= len ? 1.0f : (float)lathe_fade_gain(curve, (double)k / (double)len);
    }
}

void lathe_fade_out_gains(lathe_fade_curve curve, uint64_t len, uint64_t total, uint64_t pos,
                          float *g, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k = pos + i;
        /* Frames from the end: the last frame is 0 and gets g(0) = 0. */
        uint64_t from_end = k < total ? total - 1 - k : 0;
        g[i] = from_end >= len ? 1.0f
                               : (float)lathe_fade_gain(curve, (double)from_end / (double)len);
    }
}
