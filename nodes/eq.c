/* eq: a parametric equaliser of up to 16 bands (bell, shelves, high/low-pass 6..48 dB/oct
 * Butterworth or Linkwitz-Riley, notch, bandpass, tilt), on all channels or on mid or side only.
 * Minimum phase runs the biquad cascade (nodes/dsp/biquad.h: matched, non-cramping designs);
 * linear phase convolves with a symmetric FIR carrying the same magnitude (nodes/dsp/fftconv.h)
 * and declares its delay as latency. Bands that cannot change the signal (disabled, 0 dB) are
 * left out, so a neutral EQ is a bit-exact copy. */
#include "lathe/lathe_node.h"
#include "dsp/biquad.h"
#include "dsp/fftconv.h"
#include "dsp/sampledelay.h"
#include "measure/kernel_host.h"

#include <stdio.h>
#include <string.h>

#define EQ_MAX_BANDS 16

enum { BAND_BELL, BAND_LOWSHELF, BAND_HIGHSHELF, BAND_HIGHPASS, BAND_LOWPASS, BAND_NOTCH,
       BAND_BANDPASS, BAND_TILT };
enum { SHAPE_BUTTERWORTH, SHAPE_LR };
enum { PHASE_MINIMUM, PHASE_LINEAR };
enum { MODE_STEREO, MODE_MID, MODE_SIDE };

typedef struct eq_band {
    int type;
    double freq_hz, gain_db, q, slope_db_oct;
    int shape, enabled;
} eq_band;

typedef struct eq_params {
    eq_band bands[EQ_MAX_BANDS];
    int n_bands;
    int phase, mode;
} eq_params;

static const char *const type_choices[] = { "bell", "lowshelf", "highshelf", "highpass", "lowpass",
                                            "notch", "bandpass", "tilt", NULL };
static const char *const shape_choices[] = { "butterworth", "linkwitz_riley", NULL };
static const char *const phase_choices[] = { "minimum", "linear", NULL };
static const char *const mode_choices[] = { "stereo", "mid", "side", NULL };

static const lathe_param band_table[] = {
    LATHE_ENUM(eq_band, type, "bell", type_choices, "band type"),
    LATHE_NUMBER(eq_band, freq_hz, 1000.0, 10.0, 100000.0,
                 "centre, corner or pivot frequency (below 0.49 x rate)"),
    LATHE_NUMBER(eq_band, gain_db, 0.0, -30.0, 30.0,
                 "bell/shelf gain; tilt: total tilt (half below, half above freq_hz)"),
    LATHE_NUMBER(eq_band, q, 0.7071, 0.1, 40.0,
                 "bandwidth (bell, notch, bandpass), shelf slope, 12 dB/oct butterworth resonance"),
    LATHE_NUMBER(eq_band, slope_db_oct, 12.0, 6.0, 48.0,
                 "highpass/lowpass slope, a multiple of 6 (linkwitz_riley: of 12)"),
    LATHE_ENUM(eq_band, shape, "butterworth", shape_choices, "highpass/lowpass alignment"),
    LATHE_BOOL(eq_band, enabled, 1, "band on/off"),
    LATHE_PARAM_END
};

static const lathe_param eq_table[] = {
    LATHE_LIST(eq_params, bands, band_table, "the bands, applied in order"),
    LATHE_ENUM(eq_params, phase, "minimum", phase_choices,
               "minimum (IIR, no latency) or linear (FIR, latency ~0.2 s)"),
    LATHE_ENUM(eq_params, mode, "stereo", mode_choices,
               "stereo: every channel; mid or side: only that part of a stereo pair"),
    LATHE_PARAM_END
};

typedef struct eq_state {
    lathe_biquad_cascade casc;
    lathe_biquad sec[LATHE_BIQUAD_MAX_SECTIONS];
    int n_sec, mode, linear;
    uint32_t channels, latency;
    double rate;
    lathe_fftconv *conv;
    lathe_sampledelay delay; /* linear phase, mid/side: the unfiltered part */
    float *ring, *mid, *side;
} eq_state;

/* Does the band change the signal at all? */
static int band_active(const eq_band *b)
{
    if (!b->enabled)
        return 0;
    if (b->type == BAND_BELL || b->type == BAND_LOWSHELF || b->type == BAND_HIGHSHELF ||
        b->type == BAND_TILT)
        return b->gain_db != 0.0;
    return 1;
}

/* Writes the band's sections at sec; returns their count or -1 with a message. */
static int band_sections(const eq_band *b, int idx, double rate, lathe_biquad *sec, char *err)
{
    static const lathe_biquad_type kind[] = {
        LATHE_BIQUAD_BELL, LATHE_BIQUAD_LOWSHELF, LATHE_BIQUAD_HIGHSHELF, LATHE_BIQUAD_HIGHPASS,
        LATHE_BIQUAD_LOWPASS, LATHE_BIQUAD_NOTCH, LATHE_BIQUAD_BANDPASS, LATHE_BIQUAD_TILT
    };
    if (b->freq_hz >= 0.49 * rate) {
        snprintf(err, LATHE_ERR_MAX, "bands[%d].freq_hz %g must be below %g (0.49 x rate)",
                 idx + 1, b->freq_hz, 0.49 * rate);
        return -1;
    }
    if (b->type != BAND_HIGHPASS && b->type != BAND_LOWPASS) {
        lathe_biquad_design(sec, kind[b->type], b->freq_hz, b->q, b->gain_db, rate);
        return 1;
    }
    int order = (int)(b->slope_db_oct / 6.0 + 0.5), hp = b->type == BAND_HIGHPASS;
    if (fabs(order * 6.0 - b->slope_db_oct) > 1e-9 ||
        (b->shape == SHAPE_LR && (order & 1))) {
        snprintf(err, LATHE_ERR_MAX, "bands[%d].slope_db_oct %g must be a multiple of %d",
                 idx + 1, b->slope_db_oct, b->shape == SHAPE_LR ? 12 : 6);
        return -1;
    }
    if (b->shape == SHAPE_LR)
        return lathe_biquad_linkwitz_riley(sec, order, hp, b->freq_hz, rate);
    if (order == 2) { /* the one alignment where q (resonance) applies */
        lathe_biquad_design(sec, kind[b->type], b->freq_hz, b->q, 0.0, rate);
        return 1;
    }
    return lathe_biquad_butterworth(sec, order, hp, b->freq_hz, rate);
}

/* The minimum-phase cascade's magnitude: what the linear-phase FIR follows. */
static double cascade_mag(void *ctx, double f)
{
    const eq_state *s = ctx;
    double re, im;
    lathe_biquad_response(s->sec, s->n_sec, f, s->rate, &re, &im);
    return sqrt(re * re + im * im);
}

/* Linear phase: FIR of half length ~0.16 s (a power of two), partitions of a quarter of it. */
static int prepare_linear(eq_state *s, lathe_prepare_ctx *ctx, uint32_t conv_channels)
{
    uint32_t half = 16;
    while (half < 0.16 * s->rate)
        half *= 2;
    double *h = lathe_alloc(2 * half * sizeof(double));
    if (!h)
        return LATHE_ERR_NOMEM;
    int rc = lathe_fftconv_design_linear_phase(cascade_mag, s, s->rate, half, h);
    if (rc == 0)
        rc = lathe_fftconv_new(h, 2 * half, half / 4, conv_channels, lathe_kernel_alloc(),
                               &s->conv);
    lathe_dealloc(h);
    if (rc < 0)
        return LATHE_ERR_NOMEM;
    s->latency = half + lathe_fftconv_latency(s->conv);
    if (s->mode != MODE_STEREO) {
        s->ring = lathe_alloc(s->latency * sizeof(float));
        if (!s->ring)
            return LATHE_ERR_NOMEM;
        lathe_sampledelay_init(&s->delay, s->ring, s->latency);
    }
    ctx->latency = s->latency;
    return LATHE_OK;
}

static int eq_prepare(void *state, lathe_prepare_ctx *ctx)
{
    eq_state *s = state;
    const eq_params *p = ctx->params;
    s->channels = ctx->in[0].channels;
    s->rate = ctx->in[0].rate;
    s->mode = p->mode;
    s->linear = p->phase == PHASE_LINEAR;
    if (s->mode != MODE_STEREO && s->channels != 2) {
        snprintf(ctx->err, LATHE_ERR_MAX, "mode '%s' needs 2 channels, the input has %u",
                 mode_choices[s->mode], (unsigned)s->channels);
        return LATHE_ERR_PARAM;
    }
    for (int i = 0; i < p->n_bands; i++) {
        if (!band_active(&p->bands[i]))
            continue;
        int n = band_sections(&p->bands[i], i, s->rate, s->sec + s->n_sec, ctx->err);
        if (n < 0)
            return LATHE_ERR_PARAM;
        s->n_sec += n;
    }
    if (s->n_sec == 0)
        return LATHE_OK;
    uint32_t nch = s->mode == MODE_STEREO ? s->channels : 1;
    lathe_biquad_cascade_init(&s->casc, s->sec, s->n_sec, nch);
    if (s->mode != MODE_STEREO) {
        s->mid = lathe_alloc(ctx->max_frames * sizeof(float));
        s->side = lathe_alloc(ctx->max_frames * sizeof(float));
        if (!s->mid || !s->side)
            return LATHE_ERR_NOMEM;
    }
    return s->linear ? prepare_linear(s, ctx, nch) : LATHE_OK;
}

static void eq_reset(void *state)
{
    eq_state *s = state;
    if (s->n_sec == 0)
        return;
    lathe_biquad_cascade_reset(&s->casc);
    if (s->conv)
        lathe_fftconv_reset(s->conv);
    if (s->ring)
        lathe_sampledelay_reset(&s->delay);
}

/* The filter itself on nch planar channels, in place. */
static void run_filter(eq_state *s, float *const *x, uint32_t n)
{
    if (s->linear)
        lathe_fftconv_process(s->conv, (const float *const *)x, x, n);
    else
        lathe_biquad_cascade_process(&s->casc, (const float *const *)x, x, n);
}

static void process_ms(eq_state *s, const float *l, const float *r, float *ol, float *or,
                       uint32_t n)
{
    float *restrict m = s->mid, *restrict d = s->side;
    for (uint32_t i = 0; i < n; i++) {
        m[i] = 0.5f * (l[i] + r[i]);
        d[i] = 0.5f * (l[i] - r[i]);
    }
    float *target = s->mode == MODE_MID ? m : d, *other = s->mode == MODE_MID ? d : m;
    run_filter(s, &target, n);
    if (s->ring)
        lathe_sampledelay_process(&s->delay, other, other, n);
    for (uint32_t i = 0; i < n; i++) {
        ol[i] = m[i] + d[i];
        or[i] = m[i] - d[i];
    }
}

static void eq_process(void *state, lathe_block *b)
{
    eq_state *s = state;
    const float *const *in = b->in[0];
    if (s->n_sec == 0) {
        for (uint32_t c = 0; c < s->channels; c++)
            if (b->out[c] != in[c])
                memcpy(b->out[c], in[c], b->n_in * sizeof(float));
        return;
    }
    if (s->mode != MODE_STEREO) {
        process_ms(s, in[0], in[1], b->out[0], b->out[1], b->n_in);
        return;
    }
    if (s->linear)
        lathe_fftconv_process(s->conv, in, b->out, b->n_in);
    else
        lathe_biquad_cascade_process(&s->casc, in, b->out, b->n_in);
}

static void eq_release(void *state)
{
    eq_state *s = state;
    lathe_fftconv_free(s->conv);
    lathe_dealloc(s->ring);
    lathe_dealloc(s->mid);
    lathe_dealloc(s->side);
    s->conv = NULL;
    s->ring = s->mid = s->side = NULL;
}

static int eq_is_identity(const void *params, const lathe_format *in)
{
    const eq_params *p = params;
    (void)in;
    for (int i = 0; i < p->n_bands; i++)
        if (band_active(&p->bands[i]))
            return 0;
    return 1;
}

const lathe_node_desc lathe_node_eq = {
    .name = "eq",
    .summary = "parametric EQ: bell, shelves, high/low-pass, notch, bandpass, tilt; "
               "minimum or linear phase; stereo, mid or side",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(eq_params),
    .params = eq_table,
    .state_size = sizeof(eq_state),
    .prepare = eq_prepare,
    .reset = eq_reset,
    .process = eq_process,
    .release = eq_release,
    .is_identity = eq_is_identity,
};
