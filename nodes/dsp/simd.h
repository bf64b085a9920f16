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

#include <math.h>
#include <stdint.h>

/* The largest of 0 and x[0 .. n) (of |x| when `absolute`), NaNs passed over. A maximum taken as
 * `v > m ? v : m` from 0 is the same in any order, so it runs in eight lanes and vectorises,
 * where the serial form does not (its compiler must keep the order). The bit-pattern maxima of
 * truepeak.c and tpdetect.c rank a NaN above everything instead; the bounds that call this kept
 * the loops' own NaN behaviour, so their results did not change by a bit. */
static inline float lathe_max0(const float *x, uint32_t n, int absolute)
{
    float m8[8] = {0.0f};
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (uint32_t j = 0; j < 8; j++) {
            float v = absolute ? fabsf(x[i + j]) : x[i + j];
            m8[j] = v > m8[j] ? v : m8[j];
        }
    for (; i < n; i++) {
        float v = absolute ? fabsf(x[i]) : x[i];
        m8[0] = v > m8[0] ? v : m8[0];
    }
    float m = m8[0];
    for (uint32_t j = 1; j < 8; j++)
        m = m8[j] > m ? m8[j] : m;
    return m;
}

#endif
