/* dyneq: dynamic EQ. Each band cuts (or boosts) its frequency region only while the level in
 * that region exceeds a threshold, by a compressor-style amount (ratio, capped by range_db).
 *
 * A band is a parallel split y = x + (g - 1) * F(x), where F is the band filter: for a bell a
 * 0 dB-peak bandpass (freq_hz, q; bilinear, so exactly 1 with zero phase at the centre:
 * lathe_dynamics_bandpass), for a low / high shelf a first-order low-pass / high-pass. F(x) is also the detector's sidechain, and g = 10^(-+GR/20) from the shared kernel
 * (dsp/dynamics.h). At the centre of a bell F = 1, so the band's gain there is exactly g; with
 * first-order filters 1 + (g - 1) F is an exact first-order shelf. When a band does nothing,
 * g - 1 is exactly 0 and y is x bit for bit: below threshold the node is a true identity.
 * The filters are fixed (no coefficient modulation), so fast gain changes cannot zipper.
 * Bands run in series, in list order.
 * A band with `relative` compares F(x) with the programme, not with full scale: its detector
 * hears F(x) / R, R the broadband RMS of the node's input (channels together), the larger of a
 * slow (REL_TAU_S) and a fast (REL_FAST_S) average, so threshold_db is a band-to-programme ratio:
 * the fast one holds the ratio near or under 0 dB at onsets (and at the start, before the slow
 * one has settled), the slow one keeps the programme's level through short pauses. A de-esser set so acts on sibilance, not on level:
 * the same signal 12 dB louder or quieter gets the same cut (R scales with it). */
#include "lathe/lathe_node.h"

#include "dsp/biquad.h"
#include "dsp/dynamics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DQ_MAX_BANDS 8
#define DQ_MAX_ALL (DQ_MAX_BANDS + 1) /* + the preset's band */
#define REL_TAU_S 0.4    /* the programme reference: slower than a sibilant, faster than a song */
#define REL_FAST_S 0.005 /* an onset's own level */
#define REL_FLOOR 1e-7   /* R below this (-140 dBFS) counts as this: silence is no programme */

enum { T_BELL, T_LOWSHELF, T_HIGHSHELF };
enum { M_CUT, M_BOOST };
enum { P_NONE, P_DEESSER };

typedef struct dq_band {
    int type;
    double freq_hz, q, threshold_db, ratio, range_db, attack_ms, release_ms;
    int mode;
    int enabled;
    int relative;
} dq_band;

typedef struct dyneq_params {
    dq_band bands[DQ_MAX_BANDS];
    int n_bands;
    int preset;
    double link;
} dyneq_params;

static const char *const type_choices[] = {"bell", "lowshelf", "highshelf", NULL};
static const char *const mode_choices[] = {"cut", "boost", NULL};
static const char *const preset_choices[] = {"none", "deesser", NULL};

static const lathe_param band_table[] = {
    LATHE_ENUM(dq_band, type, "bell", type_choices, "bell, or first-order lowshelf/highshelf"),
    LATHE_NUMBER(dq_band, freq_hz, 1000.0, 20.0, 22000.0, "centre (bell) or corner (shelf)"),
    LATHE_NUMBER(dq_band, q, 1.0, 0.1, 20.0, "bell bandwidth (shelves ignore it)"),
    LATHE_NUMBER(dq_band, threshold_db, -20.0, -80.0, 0.0, "band level where action starts"),
    LATHE_NUMBER(dq_band, ratio, 2.0, 1.0, 100.0, "dB over threshold per dB of gain change"),
    LATHE_NUMBER(dq_band, range_db, 6.0, 0.1, 48.0, "largest cut or boost"),
    LATHE_NUMBER(dq_band, attack_ms, 5.0, 0.01, 1000.0, "time to 63% of a gain-change rise"),
    LATHE_NUMBER(dq_band, release_ms, 100.0, 1.0, 5000.0, "time to 63% of a gain-change fall"),
    LATHE_ENUM(dq_band, mode, "cut", mode_choices, "cut or boost above the threshold"),
    LATHE_BOOL(dq_band, enabled, 1, "band active"),
    LATHE_BOOL(dq_band, relative, 0, "threshold_db relative to the programme's broadband RMS"),
    LATHE_PARAM_END
};

static const lathe_param dyneq_table[] = {
    LATHE_LIST(dyneq_params, bands, band_table, "dynamic bands, applied in series"),
    LATHE_ENUM(dyneq_params, preset, "none", preset_choices,
               "deesser: adds a cut-only 7 kHz bell (q 1.5, -30 dB, 4:1, 10 dB range) first"),
    LATHE_NUMBER(dyneq_params, link, 1.0, 0.0, 1.0, "stereo link of the detectors"),
    LATHE_PARAM_END
};

static const dq_band deesser_band = {T_BELL, 7000.0, 1.5, -30.0, 4.0, 10.0, 1.0, 60.0, M_CUT, 1, 0};

typedef struct dyneq_state {
    lathe_biquad_cascade filt[DQ_MAX_ALL];
    lathe_dynamics dyn[DQ_MAX_ALL];
    int boost[DQ_MAX_ALL], relative[DQ_MAX_ALL];
    int n_active, any_relative;
    double ref_env[2], ref_coef[2]; /* programme power, slow and fast; one-pole coefficients */
    double *ref;              /* 1 / R per frame of the block */
    float *rsc[LATHE_MAX_CHANNELS]; /* F(x) / R for relative bands */
    uint32_t channels;
    float *fmem;
    double *dmem;
    float *sc[LATHE_MAX_CHANNELS];
    double *gr[LATHE_MAX_CHANNELS];
} dyneq_state;

/* The bands that act, preset first; returns their count. */
static int gather(const dyneq_params *p, dq_band *out)
{
    int n = 0;
    if (p->preset == P_DEESSER)
        out[n++] = deesser_band;
    for (int k = 0; k < p->n_bands; k++)
        if (p->bands[k].enabled && p->bands[k].ratio > 1.0)
            out[n++] = p->bands[k];
    return n;
}

static void setup_band(dyneq_state *s, int k, const dq_band *b, const lathe_format *in,
                       double link)
{
    lathe_biquad sec;
    if (b->type == T_BELL)
        lathe_dynamics_bandpass(&sec, b->freq_hz, b->q, in->rate);
    else
        lathe_biquad_butterworth(&sec, 1, b->type == T_HIGHSHELF, b->freq_hz, in->rate);
    lathe_biquad_cascade_init(&s->filt[k], &sec, 1, in->channels);
    lathe_dynamics_config c;
    lathe_dynamics_config_default(&c);
    c.rate = in->rate;
    c.channels = in->channels;
    c.threshold_db = b->threshold_db;
    c.ratio = b->ratio;
    c.attack_ms = b->attack_ms;
    c.release_ms = b->release_ms;
    c.range_db = b->range_db;
    c.link = link;
    lathe_dynamics_init(&s->dyn[k], &c);
    s->boost[k] = b->mode == M_BOOST;
    s->relative[k] = b->relative;
    s->any_relative |= b->relative;
}

static int dyneq_prepare(void *state, lathe_prepare_ctx *ctx)
{
    dyneq_state *s = state;
    const dyneq_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    if (in->channels > LATHE_DYNAMICS_MAX_CH) {
        snprintf(ctx->err, LATHE_ERR_MAX, "at most %d channels", LATHE_DYNAMICS_MAX_CH);
        return LATHE_ERR_FORMAT;
    }
    dq_band bands[DQ_MAX_ALL];
    s->n_active = gather(p, bands);
    s->channels = in->channels;
    s->any_relative = 0;
    s->ref_env[0] = s->ref_env[1] = 0.0;
    s->ref_coef[0] = exp(-1.0 / (REL_TAU_S * in->rate));
    s->ref_coef[1] = exp(-1.0 / (REL_FAST_S * in->rate));
    for (int k = 0; k < s->n_active; k++) {
        if (bands[k].freq_hz >= 0.45 * in->rate) {
            snprintf(ctx->err, LATHE_ERR_MAX, "freq_hz %g must be below %g at %u Hz",
                     bands[k].freq_hz, 0.45 * in->rate, (unsigned)in->rate);
            return LATHE_ERR_PARAM;
        }
        setup_band(s, k, &bands[k], in, p->link);
    }
    uint32_t m = ctx->max_frames;
    s->fmem = lathe_alloc(sizeof(float) * 2 * in->channels * m);
    s->dmem = lathe_alloc(sizeof(double) * (in->channels + 1) * m);
    if (!s->fmem || !s->dmem) {
        snprintf(ctx->err, LATHE_ERR_MAX, "out of memory");
        return LATHE_ERR_NOMEM;
    }
    for (uint32_t c = 0; c < in->channels; c++) {
        s->sc[c] = s->fmem + (size_t)c * m;
        s->gr[c] = s->dmem + (size_t)c * m;
        s->rsc[c] = s->fmem + (size_t)(in->channels + c) * m;
    }
    s->ref = s->dmem + (size_t)in->channels * m;
    return LATHE_OK;
}

static void dyneq_reset(void *state)
{
    dyneq_state *s = state;
    s->ref_env[0] = s->ref_env[1] = 0.0;
    for (int k = 0; k < s->n_active; k++) {
        lathe_biquad_cascade_reset(&s->filt[k]);
        lathe_dynamics_reset(&s->dyn[k]);
    }
}

static void dyneq_release(void *state)
{
    dyneq_state *s = state;
    lathe_dealloc(s->fmem);
    lathe_dealloc(s->dmem);
    s->fmem = NULL;
    s->dmem = NULL;
}

/* y = x + (g - 1) F(x) for band k; x and y may alias. */
static void run_band(dyneq_state *s, int k, const float *const *x, float *const *y, uint32_t n)
{
    lathe_biquad_cascade_process(&s->filt[k], x, s->sc, n);
    float *const *det = s->sc;
    if (s->relative[k]) {
        for (uint32_t c = 0; c < s->channels; c++)
            for (uint32_t i = 0; i < n; i++)
                s->rsc[c][i] = (float)((double)s->sc[c][i] * s->ref[i]);
        det = s->rsc;
    }
    lathe_dynamics_process(&s->dyn[k], (const float *const *)det, n, s->gr);
    /* gains in place of the GR, once when the channels are linked; a boost mirrors the cut */
    uint32_t rows = lathe_dynamics_linked(&s->dyn[k]) ? 1 : s->channels;
    double sign = s->boost[k] ? -1.0 : 1.0;
    for (uint32_t c = 0; c < rows; c++) {
        double *g = s->gr[c];
        for (uint32_t i = 0; i < n; i++)
            g[i] = lathe_dynamics_gain(g[i]) - 1.0;
        if (sign < 0.0)
            for (uint32_t i = 0; i < n; i++)
                g[i] = 1.0 / (g[i] + 1.0) - 1.0;
    }
    for (uint32_t c = 0; c < s->channels; c++) {
        const float *xc = x[c], *f = s->sc[c];
        const double *gm1 = s->gr[rows == 1 ? 0 : c];
        float *yc = y[c];
        for (uint32_t i = 0; i < n; i++)
            yc[i] = (float)((double)xc[i] + gm1[i] * (double)f[i]);
    }
}

/* 1 / R per frame from the node's input (before any band), for the relative bands. */
static void programme_reference(dyneq_state *s, const float *const *x, uint32_t n)
{
    double a = s->ref_coef[0], e = s->ref_env[0], inv_ch = 1.0 / s->channels;
    double af = s->ref_coef[1], ef = s->ref_env[1];
    for (uint32_t i = 0; i < n; i++) {
        double p = 0.0;
        for (uint32_t c = 0; c < s->channels; c++)
            p += (double)x[c][i] * (double)x[c][i];
        e = a * e + (1.0 - a) * p * inv_ch;
        ef = af * ef + (1.0 - af) * p * inv_ch;
        double r = sqrt(e > ef ? e : ef);
        s->ref[i] = 1.0 / (r > REL_FLOOR ? r : REL_FLOOR);
    }
    s->ref_env[0] = e;
    s->ref_env[1] = ef;
}

static void dyneq_process(void *state, lathe_block *b)
{
    dyneq_state *s = state;
    uint32_t n = b->n_in;
    const float *const *x = b->in[0];
    if (s->n_active == 0) {
        for (uint32_t c = 0; c < s->channels; c++)
            memcpy(b->out[c], x[c], sizeof(float) * n);
        return;
    }
    if (s->any_relative)
        programme_reference(s, x, n);
    for (int k = 0; k < s->n_active; k++) {
        run_band(s, k, x, b->out, n);
        x = (const float *const *)b->out;
    }
}

static int dyneq_is_identity(const void *params, const lathe_format *in)
{
    dq_band bands[DQ_MAX_ALL];
    (void)in;
    return gather(params, bands) == 0;
}

const lathe_node_desc lathe_node_dyneq = {
    .name = "dyneq",
    .summary = "dynamic EQ: bands that cut or boost only above a threshold; de-esser preset",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(dyneq_params),
    .params = dyneq_table,
    .state_size = sizeof(dyneq_state),
    .prepare = dyneq_prepare,
    .reset = dyneq_reset,
    .process = dyneq_process,
    .release = dyneq_release,
    .is_identity = dyneq_is_identity,
};
