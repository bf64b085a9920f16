/* simd.h - LATHE_HOT_CLONES: compile a hot loop twice, for AVX2 and for baseline x86-64, and let
 * the loader pick at run time (GCC function multi-versioning). lathe builds in ISO C mode, so no
 * FMA is contracted and both clones round identically: results never depend on the machine.
 * Empty elsewhere (clang, other architectures) and under AddressSanitizer, whose
 * instrumentation and the resolver do not mix. */
#ifndef LATHE_SIMD_H
#define LATHE_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define LATHE_HOT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LATHE_HOT_CLONES
#endif

#include <stdint.h>
#include <string.h>

/* Largest |x[i]| as a bit pattern, a NaN above everything (a screen must never pass over one):
 * for magnitudes the IEEE order is the integer order, an integer maximum that vectorises where
 * the float one does not (its compiler must keep the order). Called from a LATHE_HOT_CLONES
 * function it runs in AVX2. The true-peak screens (truepeak.c, tpdetect.c) use it. */
static inline uint32_t lathe_absmax_bits(const float *x, uint32_t n)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        u &= 0x7fffffffu;
        m = u > m ? u : m;
    }
    return m;
}

/* Largest |x[i]| ignoring NaNs, as `a > m ? a : m` from 0 gives it: as lathe_absmax_bits, but
 * NaNs (above +inf) count as 0. */
static inline float lathe_absmax(const float *x, uint32_t n)
{
    int32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, x + i, sizeof u);
        u &= 0x7fffffff;
        u = u > 0x7f800000 ? 0 : u;
        m = u > m ? u : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

#endif
