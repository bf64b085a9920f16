/* sine: a sine test tone, identical on every channel. */
#include "generator.h"

#include <stdio.h>

typedef struct sine_params {
    int rate, channels;
    double duration_s;
    double freq_hz, amplitude_db, phase_deg;
} sine_params;

static const lathe_param sine_table[] = {
    GEN_FORMAT_PARAMS(sine_params),
    LATHE_NUMBER(sine_params, freq_hz, 1000.0, 0.0, 384000.0, "frequency; below rate/2"),
    LATHE_NUMBER(sine_params, amplitude_db, -20.0, -200.0, 20.0, "peak level in dBFS"),
    LATHE_NUMBER(sine_params, phase_deg, 0.0, -360.0, 360.0, "phase of the first frame"),
    LATHE_PARAM_END
};

typedef struct sine_state {
    double cycles_per_frame, amp, phase_rad;
    uint32_t channels;
    uint64_t pos; /* absolute frame of the next block */
} sine_state;

static int sine_prepare(void *state, lathe_prepare_ctx *ctx)
{
    sine_state *s = state;
    const sine_params *p = ctx->params;
    if (p->freq_hz >= 0.5 * p->rate) {
        snprintf(ctx->err, sizeof ctx->err, "freq_hz %g must be below half the rate (%d Hz)",
                 p->freq_hz, p->rate / 2);
        return LATHE_ERR_PARAM;
    }
    gen_prepare_format(ctx, p->rate, p->channels, p->duration_s);
    s->cycles_per_frame = p->freq_hz / p->rate;
    s->amp = lathe_db_to_gain(p->amplitude_db);
    s->phase_rad = p->phase_deg * (3.14159265358979323846 / 180.0);
    s->channels = (uint32_t)p->channels;
    return LATHE_OK;
}

static void sine_reset(void *state)
{
    ((sine_state *)state)->pos = 0;
}

static void sine_process(void *state, lathe_block *b)
{
    sine_state *s = state;
    const double two_pi = 6.283185307179586476925;
    float *y0 = b->out[0];
    for (uint32_t i = 0; i < b->n_out; i++) {
        /* Phase from the absolute frame number, reduced to one cycle before sin(): exact for
         * any block size and accurate for hours of signal. */
        double c = (double)(s->pos + i) * s->cycles_per_frame;
        c -= floor(c);
        y0[i] = (float)(s->amp * sin(two_pi * c + s->phase_rad));
    }
    for (uint32_t ch = 1; ch < s->channels; ch++)
        for (uint32_t i = 0; i < b->n_out; i++)
            b->out[ch][i] = y0[i];
    s->pos += b->n_out;
}

const lathe_node_desc lathe_node_sine = {
    .name = "sine",
    .summary = "sine test tone (peak level in dBFS)",
    .version = 1,
    .n_inputs = 0,
    .params_size = sizeof(sine_params),
    .params = sine_table,
    .state_size = sizeof(sine_state),
    .flags = LATHE_NODE_GENERATOR,
    .prepare = sine_prepare,
    .reset = sine_reset,
    .process = sine_process,
};
