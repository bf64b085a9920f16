/* dynamics.h - feed-forward compressor kernel shared by compress, multiband and dyneq.
 *
 * Signal path per frame (Giannoulis, Massberg, Reiss, "Digital Dynamic Range Compressor Design -
 * A Tutorial and Analysis", JAES 2012): detector level (instantaneous peak |x| or RMS), stereo
 * link, gain computer with a quadratic soft knee in dB, then a smooth branching peak detector on
 * the gain reduction in dB (the "log-domain" placement of their Fig. 7), all state in double.
 *
 * Gain reduction (GR) is returned in dB as a non-negative number (6 = 6 dB of reduction), so the
 * caller can report it, clamp it, or mirror it into a boost (dynamic EQ).
 *
 * Time constant convention: attack_ms / release_ms are the time the GR (in dB) needs, after a
 * step of the target GR, to cover 1 - 1/e (63.2 %) of the step. The one-pole coefficient is
 * alpha = exp(-1 / (tau * rate)), so the discrete response is exactly exponential.
 *
 * Pure C: no allocation (the caller owns all memory), no engine dependency.
 */
#ifndef LATHE_DYNAMICS_H
#define LATHE_DYNAMICS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "biquad.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_DYNAMICS_MAX_CH 8

typedef enum lathe_dynamics_detector {
    LATHE_DYNAMICS_PEAK = 0, /* level = |x| per sample */
    LATHE_DYNAMICS_RMS = 1   /* level = sqrt of a one-pole mean square over rms_ms */
} lathe_dynamics_detector;

typedef struct lathe_dynamics_config {
    double rate;         /* Hz */
    uint32_t channels;   /* 1..LATHE_DYNAMICS_MAX_CH */
    double threshold_db; /* dBFS */
    double ratio;        /* >= 1; 1 = no gain change */
    double knee_db;      /* total knee width, >= 0 */
    double attack_ms;    /* > 0 */
    double release_ms;   /* > 0 */
    double rms_ms;       /* RMS detector window (time constant), > 0 */
    double range_db;     /* cap on the GR in dB; <= 0 means none */
    double link;         /* 0 = channels independent .. 1 = fully linked (max of levels) */
    int detector;        /* lathe_dynamics_detector */
    int auto_release;    /* program-dependent release: release_ms after transients, up to
                          * LATHE_DYNAMICS_AUTO_SLOW x release_ms after sustained reduction */
} lathe_dynamics_config;

#define LATHE_DYNAMICS_AUTO_SLOW 4.0

/* Defaults: threshold 0, ratio 1, knee 0, attack 10 ms, release 100 ms, rms 10 ms, peak,
 * link 1, no range, no auto release, 48 kHz stereo. */
void lathe_dynamics_config_default(lathe_dynamics_config *c);

typedef struct lathe_dynamics {
    lathe_dynamics_config cfg;
    /* derived */
    double slope;      /* 1 - 1/ratio */
    double knee_lo_db; /* below: no reduction (threshold - knee/2) */
    double knee_lo2;   /* the same as a linear power (peak: |x|^2, rms: mean square) */
    double a_att, a_rel, a_slow_att, a_slow_rel, a_ms;
    double range;      /* GR cap, or a huge number */
    /* state, one per channel (or only [0] when fully linked) */
    double ms[LATHE_DYNAMICS_MAX_CH];
    double gr[LATHE_DYNAMICS_MAX_CH];
    double slow[LATHE_DYNAMICS_MAX_CH];
} lathe_dynamics;

/* Derives coefficients from c (copied) and resets the state. Caller bugs (ratio < 1, bad
 * channel count, non-positive times) are asserts. */
void lathe_dynamics_init(lathe_dynamics *d, const lathe_dynamics_config *c);
/* Clears the detector state: the next frame starts with no gain reduction. [rt] */
void lathe_dynamics_reset(lathe_dynamics *d);

/* The static curve: gain reduction in dB (>= 0, before the range cap) for a detector level in
 * dBFS. Exposed so tests and reports use the same formula as the processing. */
double lathe_dynamics_curve_db(const lathe_dynamics *d, double level_db);

/* [rt] Runs the detector over n frames of the sidechain sc[ch][i] and writes the smoothed gain
 * reduction in dB (>= 0) into gr[ch][i]. sc and gr hold cfg.channels pointers. */
void lathe_dynamics_process(lathe_dynamics *d, const float *const *sc, uint32_t n,
                            double *const *gr);

/* [rt] Linear gain 10^(-gr_db/20) for a gain reduction in dB: exactly 1.0 when gr_db == 0.
 * (exp2 is among libm's fastest transcendental functions; log2(10) / 20 scales dB to it.) */
static inline double lathe_dynamics_gain(double gr_db)
{
    return gr_db > 0.0 ? exp2(gr_db * -0.16609640474436811739) : 1.0;
}

/* [rt] True when every channel gets the same gain reduction (fully linked or mono): then
 * lathe_dynamics_process writes the same values to every gr[ch]. */
static inline int lathe_dynamics_linked(const lathe_dynamics *d)
{
    return d->cfg.link >= 1.0 || d->cfg.channels == 1;
}

/* Bandpass for a parallel dynamic band y = x + (g - 1) BP(x): the bilinear-transform
 * constant-0-dB-peak design (RBJ cookbook BPF), whose response at freq_hz is exactly 1 with zero
 * phase, so the band's gain at its centre is exactly g. (biquad.h's matched bandpass has the
 * right magnitude but not zero phase at the centre, which would break that identity.) */
void lathe_dynamics_bandpass(lathe_biquad *c, double freq_hz, double q, double rate);

/* ---- Block delay line (lookahead, latency alignment) ----------------------------------------
 * One linear buffer per channel of delay + max_frames floats: a block is appended behind the
 * delay history and the delayed block is read from the front, so a block costs two memcpys.
 * The caller allocates channels * lathe_dynamics_delay_floats() floats. */
typedef struct lathe_dynamics_delay {
    float *buf[LATHE_DYNAMICS_MAX_CH];
    uint32_t channels, delay, max_frames;
} lathe_dynamics_delay;

size_t lathe_dynamics_delay_floats(uint32_t delay, uint32_t max_frames);
/* mem: channels * lathe_dynamics_delay_floats(delay, max_frames) floats, zeroed here. */
void lathe_dynamics_delay_init(lathe_dynamics_delay *dl, float *mem, uint32_t channels,
                               uint32_t delay, uint32_t max_frames);
void lathe_dynamics_delay_reset(lathe_dynamics_delay *dl); /* [rt] history back to silence */
/* [rt] Appends n frames (n <= max_frames) of x[ch] and returns in out[ch] pointers to the n
 * frames delayed by `delay`. They stay valid until lathe_dynamics_delay_advance(). */
void lathe_dynamics_delay_push(lathe_dynamics_delay *dl, const float *const *x, uint32_t n,
                               const float **out);
/* [rt] Drops the n frames returned by the last push, keeping the delay history. */
void lathe_dynamics_delay_advance(lathe_dynamics_delay *dl, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif
