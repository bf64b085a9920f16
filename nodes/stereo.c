/* stereo: mid/side encode and decode, width, mid and side gains, balance, channel polarity and
 * swap, and an elliptical filter (bass_mono_hz) for vinyl.
 *
 * Order per frame: decode the input from M/S (mode ms_decode), invert polarities, swap, then in
 * M/S (M = (L+R)/2, S = (L-R)/2): mid gain, side gain x width, bass mono; then balance, and encode
 * the output to M/S (mode ms_encode).
 *
 * bass_mono_hz, bass_mono_mode "linear" (the default): the side passes a linear-phase high-pass
 * whose stopband ends at the frequency and whose passband starts an octave above it (a raised-
 * cosine slope between), and the mid is delayed by the same amount. Side content below the
 * frequency is removed, above twice it mid and side pass unchanged in magnitude and phase: an
 * offline premaster pays only latency (the engine trims it), where any minimum-phase crossover
 * turns the mids' phase (LR8 at 150 Hz: 98 degrees at 500 Hz, 48 at 1 kHz).
 *
 * bass_mono_mode "iir": the side passes a Linkwitz-Riley 8th-order high-pass (48 dB/oct) at the
 * frequency, and the mid passes the allpass equal to that crossover's LP + HP sum. Side content
 * below the frequency is removed (-64 dB at 0.4 x the frequency), while above it mid and side
 * stay in phase with each other, the image rotated in phase as a whole. No latency. */
#include "lathe/lathe_node.h"
#include "dsp/biquad.h"
#include "dsp/fftconv.h"
#include "dsp/sampledelay.h"
#include "measure/kernel_host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BASS_MONO_ORDER 8 /* LR8 on the side: 40+ dB down at 0.4 x, < 0.1 dB at 2 x */

enum { MODE_LR, MODE_MS_ENCODE, MODE_MS_DECODE };
enum { BASS_LINEAR, BASS_IIR };

typedef struct stereo_params {
    int mode;
    double width, balance_db, mid_gain_db, side_gain_db, bass_mono_hz;
    int bass_mono_mode;
    int swap, invert_left, invert_right;
} stereo_params;

static const char *const mode_choices[] = { "lr", "ms_encode", "ms_decode", NULL };
static const char *const bass_mode_choices[] = { "linear", "iir", NULL };

static const lathe_param stereo_table[] = {
    LATHE_ENUM(stereo_params, mode, "lr", mode_choices,
               "lr; ms_encode: output (M, S) = ((L+R)/2, (L-R)/2); ms_decode: input is (M, S)"),
    LATHE_NUMBER(stereo_params, width, 1.0, 0.0, 2.0, "side scale: 0 mono, 1 unchanged, 2 wide"),
    LATHE_NUMBER(stereo_params, balance_db, 0.0, -60.0, 60.0,
                 "positive turns the left channel down by this much, negative the right"),
    LATHE_NUMBER(stereo_params, mid_gain_db, 0.0, -60.0, 24.0, "gain of the mid (L+R)/2"),
    LATHE_NUMBER(stereo_params, side_gain_db, 0.0, -60.0, 24.0, "gain of the side (L-R)/2"),
    LATHE_NUMBER(stereo_params, bass_mono_hz, 0.0, 0.0, 1000.0,
                 "elliptical filter: side removed below this frequency; 0 off, else 20 and up"),
    LATHE_ENUM(stereo_params, bass_mono_mode, "linear", bass_mode_choices,
               "linear: side kept whole above 2 x bass_mono_hz, no phase change, latency; "
               "iir: LR 48 dB/oct at bass_mono_hz, mids rotated in phase, no latency"),
    LATHE_BOOL(stereo_params, swap, 0, "exchange left and right"),
    LATHE_BOOL(stereo_params, invert_left, 0, "invert the polarity of the left channel"),
    LATHE_BOOL(stereo_params, invert_right, 0, "invert the polarity of the right channel"),
    LATHE_PARAM_END
};

typedef struct stereo_state {
    int mode, swap, ms, identity;
    double pol_l, pol_r, gain_m, gain_s, bal_l, bal_r;
    lathe_biquad hp[LATHE_BIQUAD_MAX_SECTIONS], ap[LATHE_BIQUAD_MAX_SECTIONS];
    int n_hp, n_ap;
    double z_hp[LATHE_BIQUAD_MAX_SECTIONS][2], z_ap[LATHE_BIQUAD_MAX_SECTIONS][2];
    /* linear-phase bass mono: the side's FIR, the mid's matching delay, M/S scratch */
    lathe_fftconv *conv;
    lathe_sampledelay delay;
    float *ring, *mid, *side;
    double bass_hz;
} stereo_state;

static int stereo_is_identity(const void *params, const lathe_format *in)
{
    const stereo_params *p = params;
    (void)in;
    return p->mode == MODE_LR && p->width == 1.0 && p->balance_db == 0.0 &&
           p->mid_gain_db == 0.0 && p->side_gain_db == 0.0 && p->bass_mono_hz == 0.0 &&
           !p->swap && !p->invert_left && !p->invert_right;
}

/* The side's magnitude: 0 up to f0, a raised-cosine rise over the octave above, then 1. */
static double side_mag(void *ctx, double f)
{
    double f0 = *(const double *)ctx;
    if (f <= f0)
        return 0.0;
    if (f >= 2.0 * f0)
        return 1.0;
    return 0.5 - 0.5 * cos(3.14159265358979323846 * (f - f0) / f0);
}

#define BASS_MONO_MIN_HZ 20.0

/* FIR of half length >= 8 periods of f0 (a power of two, so the window's main lobe, 6 x rate /
 * length wide, stays under f0 / 5 and the slope keeps its shape), partitions of a quarter. */
static int prepare_linear(stereo_state *s, lathe_prepare_ctx *ctx, double rate)
{
    uint32_t half = 16;
    while (half < 8.0 * rate / s->bass_hz)
        half *= 2;
    double *h = lathe_alloc(2 * half * sizeof(double));
    if (!h)
        return LATHE_ERR_NOMEM;
    int rc = lathe_fftconv_design_linear_phase(side_mag, &s->bass_hz, rate, half, h);
    if (rc == 0)
        rc = lathe_fftconv_new(h, 2 * half, half / 4, 1, lathe_kernel_alloc(), &s->conv);
    lathe_dealloc(h);
    if (rc < 0)
        return LATHE_ERR_NOMEM;
    uint32_t latency = half + lathe_fftconv_latency(s->conv);
    s->ring = lathe_alloc(latency * sizeof(float));
    s->mid = lathe_alloc(ctx->max_frames * sizeof(float));
    s->side = lathe_alloc(ctx->max_frames * sizeof(float));
    if (!s->ring || !s->mid || !s->side)
        return LATHE_ERR_NOMEM;
    lathe_sampledelay_init(&s->delay, s->ring, latency);
    ctx->latency = latency;
    return LATHE_OK;
}

static int stereo_prepare(void *state, lathe_prepare_ctx *ctx)
{
    stereo_state *s = state;
    const stereo_params *p = ctx->params;
    double rate = ctx->in[0].rate;
    if (ctx->in[0].channels != 2) {
        snprintf(ctx->err, LATHE_ERR_MAX, "needs 2 channels, the input has %u",
                 (unsigned)ctx->in[0].channels);
        return LATHE_ERR_FORMAT;
    }
    if (p->bass_mono_hz >= 0.49 * rate) {
        snprintf(ctx->err, LATHE_ERR_MAX, "bass_mono_hz %g must be below %g (0.49 x rate)",
                 p->bass_mono_hz, 0.49 * rate);
        return LATHE_ERR_PARAM;
    }
    /* Below 20 Hz there is no bass to fold, and the linear-phase split's length grows as
     * 1 / f0 (0.01 Hz at 192 kHz asked for a 2^28-tap filter; fuzz_render found it). */
    if (p->bass_mono_hz > 0.0 && p->bass_mono_hz < BASS_MONO_MIN_HZ) {
        snprintf(ctx->err, LATHE_ERR_MAX, "bass_mono_hz %g: 0 (off) or %g Hz and above",
                 p->bass_mono_hz, BASS_MONO_MIN_HZ);
        return LATHE_ERR_PARAM;
    }
    s->identity = stereo_is_identity(p, &ctx->in[0]);
    s->mode = p->mode;
    s->swap = p->swap;
    s->pol_l = p->invert_left ? -1.0 : 1.0;
    s->pol_r = p->invert_right ? -1.0 : 1.0;
    s->gain_m = lathe_db_to_gain(p->mid_gain_db);
    s->gain_s = lathe_db_to_gain(p->side_gain_db) * p->width;
    s->bal_l = p->balance_db > 0.0 ? lathe_db_to_gain(-p->balance_db) : 1.0;
    s->bal_r = p->balance_db < 0.0 ? lathe_db_to_gain(p->balance_db) : 1.0;
    s->bass_hz = p->bass_mono_hz;
    if (p->bass_mono_hz > 0.0 && p->bass_mono_mode == BASS_IIR) {
        s->n_hp = lathe_biquad_linkwitz_riley(s->hp, BASS_MONO_ORDER, 1, p->bass_mono_hz, rate);
        s->n_ap = lathe_biquad_lr_allpass(s->ap, BASS_MONO_ORDER, p->bass_mono_hz, rate);
    }
    if (p->bass_mono_hz > 0.0 && p->bass_mono_mode == BASS_LINEAR) {
        if (2.0 * p->bass_mono_hz >= 0.49 * rate) {
            snprintf(ctx->err, LATHE_ERR_MAX, "bass_mono_hz %g: linear needs twice it below %g "
                     "(0.49 x rate); use bass_mono_mode = \"iir\"", p->bass_mono_hz, 0.49 * rate);
            return LATHE_ERR_PARAM;
        }
        int rc = prepare_linear(s, ctx, rate);
        if (rc != LATHE_OK)
            return rc;
    }
    s->ms = s->gain_m != 1.0 || s->gain_s != 1.0 || s->n_hp > 0 || s->conv;
    return LATHE_OK;
}

static void stereo_reset(void *state)
{
    stereo_state *s = state;
    memset(s->z_hp, 0, sizeof(s->z_hp));
    memset(s->z_ap, 0, sizeof(s->z_ap));
    if (s->conv) {
        lathe_fftconv_reset(s->conv);
        lathe_sampledelay_reset(&s->delay);
    }
}

static void stereo_release(void *state)
{
    stereo_state *s = state;
    lathe_fftconv_free(s->conv);
    lathe_dealloc(s->ring);
    lathe_dealloc(s->mid);
    lathe_dealloc(s->side);
    s->conv = NULL;
    s->ring = s->mid = s->side = NULL;
}

/* Bass mono on one frame's mid and side, state in double. */
static void bass_mono(stereo_state *s, double *m, double *d)
{
    double x = *m, y = *d;
    for (int k = 0; k < s->n_ap; k++)
        x = lathe_biquad_tick(&s->ap[k], s->z_ap[k], x);
    for (int k = 0; k < s->n_hp; k++)
        y = lathe_biquad_tick(&s->hp[k], s->z_hp[k], y);
    *m = x;
    *d = y;
}

/* Balance and M/S encoding of one frame, then out. */
static void finish_frame(const stereo_state *s, double l, double r, float *ol, float *or)
{
    l *= s->bal_l;
    r *= s->bal_r;
    if (s->mode == MODE_MS_ENCODE) {
        double m = 0.5 * (l + r), d = 0.5 * (l - r);
        l = m;
        r = d;
    }
    *ol = (float)l;
    *or = (float)r;
}

static void stereo_process(void *state, lathe_block *b)
{
    stereo_state *s = state;
    const float *il = b->in[0][0], *ir = b->in[0][1];
    float *ol = b->out[0], *or = b->out[1];
    const uint32_t n = b->n_in;
    if (s->identity) {
        if (ol != il)
            memcpy(ol, il, n * sizeof(float));
        if (or != ir)
            memcpy(or, ir, n * sizeof(float));
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        double l = (double)il[i], r = (double)ir[i];
        if (s->mode == MODE_MS_DECODE) {
            double m = l, d = r;
            l = m + d;
            r = m - d;
        }
        l *= s->pol_l;
        r *= s->pol_r;
        if (s->swap) {
            double t = l;
            l = r;
            r = t;
        }
        if (s->ms) {
            double m = 0.5 * (l + r) * s->gain_m, d = 0.5 * (l - r) * s->gain_s;
            if (s->n_hp > 0)
                bass_mono(s, &m, &d);
            if (s->conv) { /* the linear split runs on the whole block below */
                s->mid[i] = (float)m;
                s->side[i] = (float)d;
                continue;
            }
            l = m + d;
            r = m - d;
        }
        finish_frame(s, l, r, ol + i, or + i);
    }
    if (!s->conv)
        return;
    lathe_fftconv_process(s->conv, (const float *const *)&s->side, &s->side, n);
    lathe_sampledelay_process(&s->delay, s->mid, s->mid, n);
    for (uint32_t i = 0; i < n; i++)
        finish_frame(s, (double)s->mid[i] + (double)s->side[i], (double)s->mid[i] - (double)s->side[i], ol + i,
                     or + i);
}

const lathe_node_desc lathe_node_stereo = {
    .name = "stereo",
    .summary =
        "mid/side encode/decode, width, balance, polarity, swap, bass mono (vinyl; linear phase or LR8)",
    .version = 2,
    .n_inputs = 1,
    .params_size = sizeof(stereo_params),
    .params = stereo_table,
    .state_size = sizeof(stereo_state),
    .prepare = stereo_prepare,
    .reset = stereo_reset,
    .release = stereo_release,
    .process = stereo_process,
    .is_identity = stereo_is_identity,
};
