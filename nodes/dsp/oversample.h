/* oversample.h - integer-factor oversampling with a linear-phase polyphase FIR.
 *
 * One Kaiser-windowed sinc prototype (designed in double, run in float) serves both directions:
 * upsampling by `factor` (zero-stuffing folded into a polyphase filter) and decimation back to the
 * base rate. The prototype has factor * phase_taps taps; the round trip up -> down is linear phase
 * with an integer latency of phase_taps - 1 base-rate frames.
 *
 * Band edges are fractions of the base rate: `pass` (e.g. 0.42: 20.2 kHz at 48 kHz) is the top of
 * the flat band, `stop` (e.g. 0.5) the start of the stopband where both images (up) and aliases
 * (down) are attenuated by at least atten_db.
 *
 * Pure C: the caller provides all memory; no engine dependency. Inner loops run across the
 * `factor` polyphase lanes, so they vectorise without reassociating float sums.
 */
#ifndef LATHE_OVERSAMPLE_H
#define LATHE_OVERSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_OVERSAMPLE_MAX_CH 8

typedef struct lathe_oversample_spec {
    uint32_t factor;  /* 2..64 */
    double pass;      /* passband edge / base rate, 0 < pass < stop */
    double stop;      /* stopband edge / base rate, <= 0.5 for alias-free decimation */
    double atten_db;  /* stopband attenuation, 20..160 */
} lathe_oversample_spec;

typedef struct lathe_oversample {
    lathe_oversample_spec spec;
    uint32_t phase_taps; /* taps per polyphase branch (J) */
    uint32_t channels, max_frames;
    float *up_taps;      /* [J][factor], scaled by factor */
    float *down_taps;    /* [J][factor], lane order matching the high-rate block */
    float *xh[LATHE_OVERSAMPLE_MAX_CH]; /* base-rate history: J - 1 + max_frames */
    float *vh[LATHE_OVERSAMPLE_MAX_CH]; /* high-rate history: (J - 1 + max_frames) * factor */
} lathe_oversample;

/* Taps per polyphase branch a spec needs (Kaiser's length estimate). */
uint32_t lathe_oversample_phase_taps(const lathe_oversample_spec *s);
/* Floats of memory lathe_oversample_init needs. */
size_t lathe_oversample_floats(const lathe_oversample_spec *s, uint32_t channels,
                               uint32_t max_frames);
/* Designs the filter into mem (lathe_oversample_floats() floats, caller-owned, 16-byte aligned
 * or better) and clears the history. [main] */
void lathe_oversample_init(lathe_oversample *os, const lathe_oversample_spec *s, float *mem,
                           uint32_t channels, uint32_t max_frames);
void lathe_oversample_reset(lathe_oversample *os); /* [rt] history back to silence */
/* Round-trip latency in base-rate frames. */
uint32_t lathe_oversample_latency(const lathe_oversample *os);

/* [rt] Upsamples n base frames (n <= max_frames) of channel ch; returns n * factor high-rate
 * samples the caller may modify in place before lathe_oversample_down(). */
float *lathe_oversample_up(lathe_oversample *os, uint32_t ch, const float *x, uint32_t n);
/* [rt] Low-pass filters and decimates the n * factor samples returned by the last
 * lathe_oversample_up() of channel ch into y (n frames), then keeps the history. */
void lathe_oversample_down(lathe_oversample *os, uint32_t ch, uint32_t n, float *y);

#ifdef __cplusplus
}
#endif
#endif
