/* biquad.h - second-order IIR sections: double-precision design, analytic response and a
 * multichannel cascade processor. Pure C, no engine dependency.
 *
 * Sections are H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2); a first-order section
 * is a biquad with b2 = a2 = 0.
 *
 * Design choices (why):
 * - bell, low/high shelf, notch, bandpass and tilt use a magnitude-matched design after
 *   M. Vicanek, "Matched Second Order Digital Filters" (2016): the poles are the analog
 *   prototype's poles mapped by impulse invariance (z = exp(sT)), the zeros are solved so that
 *   |H|^2 equals the analog prototype exactly at DC, at Nyquist and at one match frequency
 *   (the centre/corner frequency, kept away from Nyquist). Unlike the bilinear transform this
 *   does not cramp the response near Nyquist (a 16 kHz bell at 44.1 kHz keeps its analog shape).
 *   The analog prototypes are those of the RBJ Audio EQ Cookbook (A = 10^(gain_db/40)):
 *     bell       (s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1)
 *     lowshelf   A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1)
 *     highshelf  A (A s^2 + s sqrt(A)/Q + 1) / (s^2 + s sqrt(A)/Q + A)
 *     notch      (s^2 + 1) / (s^2 + s/Q + 1)
 *     bandpass   (s/Q) / (s^2 + s/Q + 1)           (0 dB at the centre)
 *     tilt       k (s + 1/k) / (s + k), k = 10^(gain_db/40)   (first order: -gain/2 dB at DC,
 *                +gain/2 dB at high frequencies, 0 dB at the pivot freq_hz)
 * - highpass, lowpass, allpass and the Butterworth / Linkwitz-Riley cascades use the bilinear
 *   transform prewarped at freq_hz (K = tan(pi f / fs)): it keeps the exact -3 dB / -6 dB corner
 *   and, crucially for crossovers, the exact LR sum identities (LP + HP = allpass) digitally.
 *
 * Parameters: freq_hz in Hz (0 < freq_hz < rate/2), q dimensionless (> 0), gain_db in dB, rate
 * in Hz. Designers that ignore q or gain_db say so.
 */
#ifndef LATHE_BIQUAD_H
#define LATHE_BIQUAD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_BIQUAD_MAX_CHANNELS 8  /* equals LATHE_MAX_CHANNELS of the node API */
#define LATHE_BIQUAD_MAX_SECTIONS 64 /* 16 EQ bands x 48 dB/oct */
#define LATHE_BIQUAD_MAX_ORDER 8     /* Butterworth order (48 dB/oct) */

typedef struct lathe_biquad {
    double b0, b1, b2, a1, a2;
} lathe_biquad;

typedef enum lathe_biquad_type {
    LATHE_BIQUAD_BELL,
    LATHE_BIQUAD_LOWSHELF,
    LATHE_BIQUAD_HIGHSHELF,
    LATHE_BIQUAD_HIGHPASS, /* 12 dB/oct, resonance q (0.7071 = Butterworth) */
    LATHE_BIQUAD_LOWPASS,
    LATHE_BIQUAD_NOTCH,
    LATHE_BIQUAD_BANDPASS,
    LATHE_BIQUAD_ALLPASS,
    LATHE_BIQUAD_TILT /* first order; q ignored */
} lathe_biquad_type;

/* ---- Design [main or rt: no allocation] ----------------------------------------------------- */

/* One section of the given type (see the table above). */
void lathe_biquad_design(lathe_biquad *c, lathe_biquad_type type, double freq_hz, double q,
                         double gain_db, double rate);

/* Shorthands for lathe_biquad_design. gain_db is ignored by highpass, lowpass, notch, bandpass
 * and allpass. */
void lathe_biquad_bell(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_lowshelf(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_highshelf(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_highpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_lowpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_notch(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_bandpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_allpass(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);
void lathe_biquad_tilt(lathe_biquad *c, double freq_hz, double q, double gain_db, double rate);

/* The identity section (b0 = 1, rest 0). */
void lathe_biquad_identity(lathe_biquad *c);

/* Butterworth high-pass (highpass != 0) or low-pass of order 1..LATHE_BIQUAD_MAX_ORDER
 * (6 dB/oct per order), -3 dB at freq_hz. Writes (order + 1) / 2 sections (an odd order ends
 * with a first-order section) and returns that count; returns 0 for an invalid order. */
int lathe_biquad_butterworth(lathe_biquad *sections, int order, int highpass, double freq_hz,
                             double rate);

/* Linkwitz-Riley of total order 2, 4, ... 2 * LATHE_BIQUAD_MAX_ORDER: two Butterworth filters of
 * half the order in series, -6 dB at freq_hz. Returns the section count,
 * 2 * ((order / 2 + 1) / 2); 0 for an odd or out-of-range order. */
int lathe_biquad_linkwitz_riley(lathe_biquad *sections, int order, int highpass, double freq_hz,
                                double rate);

/* The allpass that equals the sum LP + HP of a Linkwitz-Riley crossover of total order `order`
 * when order / 2 is even (LR4, LR8, ...; for LR2/LR6/... the allpass is LP - HP). It is the
 * Butterworth allpass D(-s)/D(s) of order order / 2. Use it on a path that must stay in phase
 * with an LR-filtered path. Returns the section count, 0 for an invalid order. */
int lathe_biquad_lr_allpass(lathe_biquad *sections, int order, double freq_hz, double rate);

/* ---- Analysis ------------------------------------------------------------------------------- */

/* Complex response of n cascaded sections at f Hz: writes real and imaginary parts. */
void lathe_biquad_response(const lathe_biquad *c, int n, double f, double rate, double *re,
                           double *im);
/* Magnitude in dB of n cascaded sections at f Hz (-inf dB clamps to -400). */
double lathe_biquad_response_db(const lathe_biquad *c, int n, double f, double rate);

/* ---- Processing ------------------------------------------------------------------------------ */

/* One transposed-direct-form-II step in double; z holds two state values. For sidechains and
 * per-sample use; cascades should use lathe_biquad_cascade. [rt] */
static inline double lathe_biquad_tick(const lathe_biquad *c, double *z, double x)
{
    double y = c->b0 * x + z[0];
    z[0] = c->b1 * x - c->a1 * y + z[1];
    z[1] = c->b2 * x - c->a2 * y;
    return y;
}

/* A cascade of up to LATHE_BIQUAD_MAX_SECTIONS sections applied to up to
 * LATHE_BIQUAD_MAX_CHANNELS channels, state in double. Caller storage (embed it in node state:
 * about 11 KB). All channels advance together per sample, so the inner loop over channels
 * vectorises (stereo and mono have dedicated loops). */
typedef struct lathe_biquad_cascade {
    lathe_biquad sec[LATHE_BIQUAD_MAX_SECTIONS];
    double z[LATHE_BIQUAD_MAX_SECTIONS][2][LATHE_BIQUAD_MAX_CHANNELS];
    int n_sections;
    uint32_t channels;
} lathe_biquad_cascade;

/* Copies the sections and clears the state. n_sections may be 0 (the cascade then copies input
 * to output). Asserts n_sections <= LATHE_BIQUAD_MAX_SECTIONS, channels in 1..MAX_CHANNELS. */
void lathe_biquad_cascade_init(lathe_biquad_cascade *c, const lathe_biquad *sections,
                               int n_sections, uint32_t channels);
/* Replaces the coefficients keeping the state (for per-block coefficient updates, e.g. a dynamic
 * EQ). n_sections must equal the current count. [rt] */
void lathe_biquad_cascade_set(lathe_biquad_cascade *c, const lathe_biquad *sections);
/* Clears the state. [rt] */
void lathe_biquad_cascade_reset(lathe_biquad_cascade *c);
/* Filters n frames of in[ch] into out[ch] for every channel; in == out (per channel) is fine. [rt] */
void lathe_biquad_cascade_process(lathe_biquad_cascade *c, const float *const *in,
                                  float *const *out, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif
