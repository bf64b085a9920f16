/* sweep: an exponential (logarithmic) sine sweep, identical on every channel.
 *
 * Phase phi(t) = 2 pi f1 L (exp(t / L) - 1) with L = T / ln(f2 / f1) and T = duration_s, so the
 * instantaneous frequency phi'(t) / 2 pi = f1 (f2 / f1)^(t / T) runs from start_hz at t = 0 to
 * end_hz at t = T, covering equal time per octave (Farina's sweep). Downward sweeps work too;
 * start_hz == end_hz gives a plain sine. */
#include "generator.h"

#include <stdio.h>

typedef struct sweep_params {
    int rate, channels;
    double duration_s;
    double start_hz, end_hz, amplitude_db;
} sweep_params;

static const lathe_param sweep_table[] = {
    GEN_FORMAT_PARAMS(sweep_params),
    LATHE_NUMBER(sweep_params, start_hz, 20.0, 0.001, 384000.0, "frequency at the first frame"),
    LATHE_NUMBER(sweep_params, end_hz, 20000.0, 0.001, 384000.0, "frequency at the end; below rate/2"),
    LATHE_NUMBER(sweep_params, amplitude_db, -20.0, -200.0, 20.0, "peak level in dBFS"),
    LATHE_PARAM_END
};

typedef struct sweep_state {
    double f1_per_frame; /* start frequency in cycles per frame */
    double l_frames;     /* L in frames; 0 for a constant frequency */
    double amp;
    uint32_t channels;
    uint64_t pos;
} sweep_state;

static int sweep_prepare(void *state, lathe_prepare_ctx *ctx)
{
    sweep_state *s = state;
    const sweep_params *p = ctx->params;
    double nyq = 0.5 * p->rate;
    if (p->start_hz >= nyq || p->end_hz >= nyq) {
        snprintf(ctx->err, sizeof ctx->err, "start_hz %g and end_hz %g must be below half the "
                 "rate (%g Hz)", p->start_hz, p->end_hz, nyq);
        return LATHE_ERR_PARAM;
    }
    gen_prepare_format(ctx, p->rate, p->channels, p->duration_s);
    double ratio = log(p->end_hz / p->start_hz);
    s->f1_per_frame = p->start_hz / p->rate;
    s->l_frames = fabs(ratio) > 1e-12 && p->duration_s > 0.0
                      ? p->duration_s * p->rate / ratio : 0.0;
    s->amp = lathe_db_to_gain(p->amplitude_db);
    s->channels = (uint32_t)p->channels;
    return LATHE_OK;
}

static void sweep_reset(void *state)
{
    ((sweep_state *)state)->pos = 0;
}

static void sweep_process(void *state, lathe_block *b)
{
    sweep_state *s = state;
    const double two_pi = 6.283185307179586476925;
    float *y0 = b->out[0];
    for (uint32_t i = 0; i < b->n_out; i++) {
        double n = (double)(s->pos + i), c;
        if (s->l_frames != 0.0)
            c = s->f1_per_frame * s->l_frames * expm1(n / s->l_frames);
        else
            c = s->f1_per_frame * n;
        c -= floor(c); /* cycles, reduced before sin() for accuracy */
        y0[i] = (float)(s->amp * sin(two_pi * c));
    }
    for (uint32_t ch = 1; ch < s->channels; ch++)
        for (uint32_t i = 0; i < b->n_out; i++)
            b->out[ch][i] = y0[i];
    s->pos += b->n_out;
}

const lathe_node_desc lathe_node_sweep = {
    .name = "sweep",
    .summary = "exponential sine sweep from start_hz to end_hz",
    .version = 1,
    .n_inputs = 0,
    .params_size = sizeof(sweep_params),
    .params = sweep_table,
    .state_size = sizeof(sweep_state),
    .flags = LATHE_NODE_GENERATOR,
    .prepare = sweep_prepare,
    .reset = sweep_reset,
    .process = sweep_process,
};
