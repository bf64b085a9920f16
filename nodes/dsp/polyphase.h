/* polyphase.h - rational-ratio (L/M) polyphase resampler with a Kaiser-windowed sinc prototype.
 *
 * out_rate / in_rate = L / M after gcd reduction (48000 -> 44100 is 147/160). The prototype runs
 * at L x in_rate; its passband ends at passband_hz (default: 20000/22050 of the lower Nyquist,
 * i.e. 20 kHz for the 44.1 kHz family) and its stopband starts at the lower Nyquist, attenuated
 * by stopband_db. Each output sample is one dot product of a contiguous coefficient row (one
 * phase) with a contiguous per-channel history, so the inner loop vectorises; the lanes are
 * explicit accumulators, so the result does not depend on the vector width the compiler picks.
 *
 * Streaming: the resampler keeps its own history, so the output depends only on the input
 * stream, never on how it is cut into blocks. Output frame n sits at input time n*M/L minus the
 * declared latency (lathe_polyphase_latency, output frames): a click at input frame k comes out
 * at output frame latency + k*L/M (exactly, when k*L/M is an integer).
 *
 * No engine dependency: memory comes from the allocator in the config (malloc/free when NULL).
 */
#ifndef LATHE_POLYPHASE_H
#define LATHE_POLYPHASE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_POLYPHASE_MAX_CHANNELS 8
/* The fast path's reach: reduced L at most this, and at most LATHE_POLYPHASE_MAX_TABLE
 * coefficients (about 208 x max(L, M) for the default filter). Other ratios are the caller's
 * business (the resample node hands them to libsamplerate). */
#define LATHE_POLYPHASE_MAX_L 1024
#define LATHE_POLYPHASE_MAX_TABLE (1u << 21)
#define LATHE_POLYPHASE_FFT_HOLD 512

enum {
    LATHE_POLYPHASE_DOUBLE = 0, /* double coefficients, history and accumulators (default) */
    LATHE_POLYPHASE_FLOAT = 1   /* float throughout: faster, noise floor near -130 dB */
};

typedef struct lathe_polyphase_config {
    uint32_t in_rate, out_rate; /* Hz, > 0 */
    uint32_t channels;          /* 1..LATHE_POLYPHASE_MAX_CHANNELS */
    uint32_t max_in_frames;     /* largest n_in a process call will see */
    double passband_hz;         /* 0: 20000/22050 of the lower Nyquist */
    double stopband_db;         /* 0: 145 (design target; >= 140 dB measured) */
    int precision;              /* LATHE_POLYPHASE_DOUBLE or _FLOAT */
    int direct;                 /* 1: a dot product per output at integer ratios too (tests) */
    const lathe_dsp_alloc *alloc; /* NULL: malloc/free (kernel.h) */
} lathe_polyphase_config;

/* The filter a config leads to, computed without allocating (lathe_polyphase_plan). */
typedef struct lathe_polyphase_plan {
    uint32_t in_rate, out_rate; /* Hz */
    uint32_t L, M;          /* out/in = L/M, reduced */
    uint32_t taps;          /* taps per phase (a multiple of 16) */
    uint32_t length;        /* prototype length (odd, <= L*taps), centred on (length-1)/2 */
    double passband_hz, stopband_hz, cutoff_hz; /* cutoff: -6 dB point */
    double beta;            /* Kaiser window parameter */
    uint32_t latency;       /* output frames */
} lathe_polyphase_plan;

typedef struct lathe_polyphase lathe_polyphase;

lathe_polyphase_config lathe_polyphase_config_default(uint32_t in_rate, uint32_t out_rate,
                                                      uint32_t channels, uint32_t max_in_frames);

/* [main] Computes the filter geometry. Returns 0, or -1 when the config is invalid (passband at
 * or above the lower Nyquist, zero rate, bad channel count) or the ratio is beyond the limits
 * above. */
int lathe_polyphase_plan_make(const lathe_polyphase_config *cfg, lathe_polyphase_plan *plan);

/* [main] Writes the prototype impulse response, L*taps doubles (zeros after `length`), with a
 * DC gain of L (each phase sums to about 1). */
void lathe_polyphase_prototype(const lathe_polyphase_plan *plan, double *h);

/* [main] Designs the filter and allocates state. Returns LATHE_DSP_OK, or a lathe_dsp_status
 * (kernel.h); *out is untouched on failure. */
int lathe_polyphase_new(const lathe_polyphase_config *cfg, lathe_polyphase **out);
void lathe_polyphase_free(lathe_polyphase *r); /* NULL is a no-op */

/* [rt] Back to the initial state (silence before the stream). */
void lathe_polyphase_reset(lathe_polyphase *r);

/* [rt] Consumes n_in (<= max_in_frames) planar frames and writes the output frames they
 * complete into out (each with room for lathe_polyphase_max_out(r, n_in)); returns how many.
 * Integer ratios in double (x2, x4: M = 1) convolve each phase by FFT in partitions of
 * LATHE_POLYPHASE_FFT_HOLD input frames, which hold that many frames back: the stream's tail
 * comes out as silence is fed after it (the engine's flush). The latency is the plan's. */
uint32_t lathe_polyphase_process(lathe_polyphase *r, const float *const *in, uint32_t n_in,
                                 float *const *out);

uint32_t lathe_polyphase_max_out(const lathe_polyphase *r, uint32_t n_in);
const lathe_polyphase_plan *lathe_polyphase_get_plan(const lathe_polyphase *r);

#ifdef __cplusplus
}
#endif
#endif
