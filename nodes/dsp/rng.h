/* rng.h - a counter-based random generator: the value for (seed, index) is a pure function of
 * both, so noise does not depend on how a stream is cut into blocks, and any node can jump to
 * any frame without replaying the sequence.
 *
 * The generator is SplitMix64 evaluated at an arbitrary position: output i of SplitMix64 seeded
 * with s is mix(s + (i + 1) * golden), so computing it directly by index gives exactly the
 * sequential generator's stream, which is known to pass BigCrush. */
#ifndef LATHE_RNG_H
#define LATHE_RNG_H

#include <stddef.h>
#include <stdint.h>

#define LATHE_RNG_GOLDEN 0x9E3779B97F4A7C15ull

/* The 64-bit value at position index of the stream seeded with seed. */
static inline uint64_t lathe_rng_at(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + (index + 1) * LATHE_RNG_GOLDEN;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Upper and lower 32 bits as two independent uniforms in [-0.5, 0.5). */
static inline double lathe_rng_hi(uint64_t v) { return (double)(v >> 32) * 0x1p-32 - 0.5; }
static inline double lathe_rng_lo(uint64_t v) { return (double)(v & 0xFFFFFFFFull) * 0x1p-32 - 0.5; }

/* A derived seed for sub-stream `k` (a channel), so streams of one seed do not overlap. */
static inline uint64_t lathe_rng_substream(uint64_t seed, uint64_t k)
{
    return lathe_rng_at(seed ^ 0x6A09E667F3BCC909ull, k);
}

/* Writes n standard normal deviates (mean 0, variance 1) for positions first..first+n-1 of the
 * stream, by the Box-Muller transform of the position's two uniforms. */
void lathe_rng_gauss(uint64_t seed, uint64_t first, double *out, size_t n);

#endif
