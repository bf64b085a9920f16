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

#endif
