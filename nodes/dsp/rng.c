/* rng.c - Gaussian deviates from the counter-based generator. */
#include "rng.h"

#include <math.h>

void lathe_rng_gauss(uint64_t seed, uint64_t first, double *out, size_t n)
{
    const double two_pi = 6.283185307179586476925;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = lathe_rng_at(seed, first + i);
        /* u1 in (0, 1] keeps log() finite; u2 in [0, 1). */
        double u1 = ((double)(v >> 32) + 1.0) * 0x1p-32;
        double u2 = (double)(v & 0xFFFFFFFFull) * 0x1p-32;
        out[i] = sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
    }
}
