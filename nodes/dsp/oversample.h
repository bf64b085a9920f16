/* oversample.h - power-of-two oversampling with a cascade of linear-phase 2x polyphase FIRs.
 *
 * Factor 2^S runs S stages of 2x. Every stage's filter is a Kaiser-windowed sinc (designed in
 * double, run in float) that keeps the band the caller asked for, [0, pass * base rate], flat,
 * and attenuates by atten_db everything that would land in [0, stop * base rate] as an image
 * (up) or an alias (down). Stage s runs at 2^(s+1) x the base rate with a stopband starting at
 * (2^s - stop) x base: only the first stage needs a sharp (long) filter, the later ones are
 * short, which makes the cascade several times cheaper than one direct 2^S polyphase filter.
 *
 * Each stage has an odd length N_s with N_s - 1 a multiple of 2^(s+1), so the up -> down round
 * trip has an integer latency in base frames (lathe_oversample_latency) and keeps linear phase.
 *
 * Pure C: the caller provides all memory; no engine dependency. Dot products use explicit lane
 * accumulators (vectorisable without reassociating float sums, identical at any vector width).
 */
#ifndef LATHE_OVERSAMPLE_H
#define LATHE_OVERSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_OVERSAMPLE_MAX_CH 8
#define LATHE_OVERSAMPLE_MAX_STAGES 4 /* factor up to 16 */

typedef struct lathe_oversample_spec {
    uint32_t factor;  /* 2, 4, 8 or 16 */
    double pass;      /* passband edge / base rate, 0 < pass < stop */
    double stop;      /* protected band edge / base rate, <= 0.5 for alias-free decimation */
    double atten_db;  /* stopband attenuation, 20..160 */
} lathe_oversample_spec;

typedef struct lathe_oversample_stage {
    uint32_t taps;      /* N, odd, symmetric */
    uint32_t j0, j1;    /* taps of the even / odd up phase: (N + 1) / 2, (N - 1) / 2 */
    uint32_t ph, p0, p1; /* N, j0, j1 rounded up to multiples of 8 (leading zero taps) */
    float *h;           /* ph taps (down) */
    float *g0, *g1;     /* up phases (p0, p1 taps), scaled by 2 */
    float *xh[LATHE_OVERSAMPLE_MAX_CH]; /* up input: p0 - 1 history + 2^s max_frames */
    float *vh[LATHE_OVERSAMPLE_MAX_CH]; /* down input: ph - 1 history + 2^(s+1) max_frames */
} lathe_oversample_stage;

typedef struct lathe_oversample {
    lathe_oversample_spec spec;
    uint32_t n_stages, channels, max_frames;
    lathe_oversample_stage st[LATHE_OVERSAMPLE_MAX_STAGES];
} lathe_oversample;

/* Floats of memory lathe_oversample_init needs. */
size_t lathe_oversample_floats(const lathe_oversample_spec *s, uint32_t channels,
                               uint32_t max_frames);
/* Designs the filters into mem (lathe_oversample_floats() floats, caller-owned) and clears the
 * history. Caller bugs (factor not a power of two, bad edges) are asserts. [main] */
void lathe_oversample_init(lathe_oversample *os, const lathe_oversample_spec *s, float *mem,
                           uint32_t channels, uint32_t max_frames);
void lathe_oversample_reset(lathe_oversample *os); /* [rt] history back to silence */
/* Round-trip (up then down) latency in base-rate frames. */
uint32_t lathe_oversample_latency(const lathe_oversample *os);

/* [rt] Upsamples n base frames (n <= max_frames) of channel ch; returns n * factor high-rate
 * samples the caller may modify in place before lathe_oversample_down(). */
float *lathe_oversample_up(lathe_oversample *os, uint32_t ch, const float *x, uint32_t n);
/* [rt] Filters and decimates the n * factor samples returned by the last lathe_oversample_up()
 * of channel ch into y (n frames), keeping the history. */
void lathe_oversample_down(lathe_oversample *os, uint32_t ch, uint32_t n, float *y);

#ifdef __cplusplus
}
#endif
#endif
