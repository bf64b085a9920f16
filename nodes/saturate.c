/* saturate: gentle soft clipping for density without a limiter.
 *
 * y = curve(drive * x), computed at 8x the input rate between linear-phase FIR cascades
 * (dsp/oversample.h: three 2x stages, 110 dB stopband from the input's Nyquist), so harmonics
 * the curve creates above Nyquist are removed instead of folding back as aliases. Both curves
 * have slope 1 at 0 and approach +-1: tanh, and "soft" u / sqrt(1 + u^2), which bends later and
 * more gently. drive_db is not compensated (louder in, denser and louder out; trim with
 * output_db). The dry path is delayed by the oversampler's latency, so mix blends in phase; the
 * latency is declared and trimmed by the engine. mix 0 with output 0 dB is a bit-exact
 * identity. */
#include "lathe/lathe_node.h"

#include "dsp/dynamics.h"
#include "dsp/oversample.h"

#include <stdio.h>
#include <string.h>

#define SAT_FACTOR 8
#define SAT_PASS 0.44 /* 21.1 kHz at 48 kHz, 19.4 kHz at 44.1 kHz */
#define SAT_STOP 0.50
#define SAT_ATTEN_DB 110.0

enum { CURVE_TANH, CURVE_SOFT };

typedef struct saturate_params {
    double drive_db;
    int curve;
    double mix, output_db;
} saturate_params;

static const char *const curve_choices[] = {"tanh", "soft", NULL};

static const lathe_param saturate_table[] = {
    LATHE_NUMBER(saturate_params, drive_db, 0.0, -24.0, 36.0, "gain into the curve"),
    LATHE_ENUM(saturate_params, curve, "tanh", curve_choices, "tanh, or soft: x/sqrt(1+x^2)"),
    LATHE_NUMBER(saturate_params, mix, 1.0, 0.0, 1.0, "wet proportion"),
    LATHE_NUMBER(saturate_params, output_db, 0.0, -48.0, 24.0, "gain after the mix"),
    LATHE_PARAM_END
};

typedef struct saturate_state {
    lathe_oversample os;
    lathe_dynamics_delay dry;
    uint32_t channels;
    int curve;
    double drive, mix, out_gain;
    float *mem;  /* oversampler */
    float *dmem; /* dry delay and the wet block */
    float *wet;
} saturate_state;

static int saturate_prepare(void *state, lathe_prepare_ctx *ctx)
{
    saturate_state *s = state;
    const saturate_params *p = ctx->params;
    uint32_t nch = ctx->in[0].channels, m = ctx->max_frames;
    if (nch > LATHE_OVERSAMPLE_MAX_CH || nch > LATHE_DYNAMICS_MAX_CH) {
        snprintf(ctx->err, LATHE_ERR_MAX, "at most %d channels", LATHE_OVERSAMPLE_MAX_CH);
        return LATHE_ERR_FORMAT;
    }
    lathe_oversample_spec spec = {SAT_FACTOR, SAT_PASS, SAT_STOP, SAT_ATTEN_DB};
    s->mem = lathe_alloc(sizeof(float) * lathe_oversample_floats(&spec, nch, m));
    if (!s->mem)
        goto nomem;
    lathe_oversample_init(&s->os, &spec, s->mem, nch, m);
    uint32_t lat = lathe_oversample_latency(&s->os);
    s->dmem = lathe_alloc(sizeof(float) * (lathe_dynamics_delay_floats(lat, m) * nch + m));
    if (!s->dmem)
        goto nomem;
    lathe_dynamics_delay_init(&s->dry, s->dmem, nch, lat, m);
    s->wet = s->dmem + lathe_dynamics_delay_floats(lat, m) * nch;
    s->channels = nch;
    s->curve = p->curve;
    s->drive = lathe_db_to_gain(p->drive_db);
    s->mix = p->mix;
    s->out_gain = lathe_db_to_gain(p->output_db);
    ctx->latency = lat;
    return LATHE_OK;
nomem:
    snprintf(ctx->err, LATHE_ERR_MAX, "out of memory");
    return LATHE_ERR_NOMEM; /* release() frees what was allocated */
}

static void saturate_reset(void *state)
{
    saturate_state *s = state;
    lathe_oversample_reset(&s->os);
    lathe_dynamics_delay_reset(&s->dry);
}

static void saturate_release(void *state)
{
    saturate_state *s = state;
    lathe_dealloc(s->mem);
    lathe_dealloc(s->dmem);
    s->mem = NULL;
    s->dmem = NULL;
}

/* tanh to ~5e-12 relative, about 4x faster than libm's tanh (which dominated the node):
 * (1 - e) / (1 + e) with e = exp(-2|u|), and its odd Taylor series near 0 where 1 - e would
 * cancel. */
static inline double tanh_fast(double u)
{
    double a = fabs(u), r;
    if (a < 0.0625) {
        double u2 = u * u;
        r = a * (1.0 + u2 * (-1.0 / 3.0 + u2 * (2.0 / 15.0 + u2 * (-17.0 / 315.0))));
    } else {
        double e = exp(-2.0 * a);
        r = (1.0 - e) / (1.0 + e);
    }
    return copysign(r, u);
}

static void shape(float *restrict v, size_t n, double drive, int curve)
{
    if (curve == CURVE_SOFT) {
        for (size_t i = 0; i < n; i++) {
            double u = drive * (double)v[i];
            v[i] = (float)(u / sqrt(1.0 + u * u));
        }
    } else {
        for (size_t i = 0; i < n; i++)
            v[i] = (float)tanh_fast(drive * (double)v[i]);
    }
}

static void saturate_process(void *state, lathe_block *b)
{
    saturate_state *s = state;
    uint32_t n = b->n_in;
    const float *dry[LATHE_MAX_CHANNELS];
    lathe_dynamics_delay_push(&s->dry, b->in[0], n, dry);
    for (uint32_t c = 0; c < s->channels; c++) {
        float *v = lathe_oversample_up(&s->os, c, b->in[0][c], n);
        shape(v, (size_t)n * SAT_FACTOR, s->drive, s->curve);
        lathe_oversample_down(&s->os, c, n, s->wet);
        const float *d = dry[c];
        float *y = b->out[c];
        double mix = s->mix, g = s->out_gain;
        for (uint32_t i = 0; i < n; i++) {
            double dv = (double)d[i];
            y[i] = (float)((dv + mix * ((double)s->wet[i] - dv)) * g);
        }
    }
    lathe_dynamics_delay_advance(&s->dry, n);
}

static int saturate_is_identity(const void *params, const lathe_format *in)
{
    const saturate_params *p = params;
    (void)in;
    return p->mix == 0.0 && p->output_db == 0.0;
}

const lathe_node_desc lathe_node_saturate = {
    .name = "saturate",
    .summary = "soft clipping (tanh or soft curve), 8x oversampled, with dry/wet mix",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(saturate_params),
    .params = saturate_table,
    .state_size = sizeof(saturate_state),
    .prepare = saturate_prepare,
    .reset = saturate_reset,
    .process = saturate_process,
    .release = saturate_release,
    .is_identity = saturate_is_identity,
};
