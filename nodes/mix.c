/* mix: the sum of any number of inputs, each with its own gain.
 *
 * All inputs must share rate and channel count. The output is as long as the longest input; the
 * engine feeds zeros for an input that has ended. Sums are accumulated in double in input order
 * and rounded to float once, so the result is exact whenever the exact sum fits in a float
 * (and is never worse than one rounding). */
#include "lathe/lathe_node.h"

#include <stdio.h>

#define MIX_MAX_INPUTS 64
#define MIX_CHUNK 256

typedef struct mix_params {
    double gains_db[MIX_MAX_INPUTS];
    int n_gains_db;
} mix_params;

static const lathe_param mix_table[] = {
    LATHE_NUMBERS(mix_params, gains_db, n_gains_db, -120.0, 60.0,
                  "gain of each input in order; missing entries are 0 dB"),
    LATHE_PARAM_END
};

typedef struct mix_state {
    double g[MIX_MAX_INPUTS];
    int n_in;
    uint32_t channels;
} mix_state;

static int mix_prepare(void *state, lathe_prepare_ctx *ctx)
{
    mix_state *s = state;
    const mix_params *p = ctx->params;
    if (ctx->n_in < 1 || ctx->n_in > MIX_MAX_INPUTS) {
        snprintf(ctx->err, sizeof ctx->err, "takes 1 to %d inputs, got %d", MIX_MAX_INPUTS,
                 ctx->n_in);
        return LATHE_ERR_PARAM;
    }
    if (p->n_gains_db > ctx->n_in) {
        snprintf(ctx->err, sizeof ctx->err, "gains_db has %d entries for %d inputs",
                 p->n_gains_db, ctx->n_in);
        return LATHE_ERR_PARAM;
    }
    uint64_t frames = 0;
    for (int i = 0; i < ctx->n_in; i++) {
        const lathe_format *f = &ctx->in[i];
        if (f->rate != ctx->in[0].rate || f->channels != ctx->in[0].channels) {
            snprintf(ctx->err, sizeof ctx->err, "input %d is %u Hz, %u channels but input 1 is "
                     "%u Hz, %u channels (resample or convert channels first)", i + 1, f->rate,
                     f->channels, ctx->in[0].rate, ctx->in[0].channels);
            return LATHE_ERR_FORMAT;
        }
        if (f->frames > frames)
            frames = f->frames;
        s->g[i] = i < p->n_gains_db ? lathe_db_to_gain(p->gains_db[i]) : 1.0;
    }
    ctx->out = ctx->in[0];
    ctx->out.frames = frames;
    s->n_in = ctx->n_in;
    s->channels = ctx->in[0].channels;
    return LATHE_OK;
}

static void mix_process(void *state, lathe_block *b)
{
    const mix_state *s = state;
    double acc[MIX_CHUNK];
    for (uint32_t c = 0; c < s->channels; c++) {
        for (uint32_t done = 0; done < b->n_in; done += MIX_CHUNK) {
            uint32_t n = b->n_in - done < MIX_CHUNK ? b->n_in - done : MIX_CHUNK;
            const float *x = b->in[0][c] + done;
            for (uint32_t i = 0; i < n; i++)
                acc[i] = s->g[0] * (double)x[i];
            for (int k = 1; k < s->n_in; k++) {
                const float *xk = b->in[k][c] + done;
                const double g = s->g[k];
                for (uint32_t i = 0; i < n; i++)
                    acc[i] += g * (double)xk[i];
            }
            float *y = b->out[c] + done;
            for (uint32_t i = 0; i < n; i++)
                y[i] = (float)acc[i];
        }
    }
}

const lathe_node_desc lathe_node_mix = {
    .name = "mix",
    .summary = "sum of inputs with per-input gains in dB",
    .version = 1,
    .n_inputs = LATHE_VARIADIC,
    .params_size = sizeof(mix_params),
    .params = mix_table,
    .state_size = sizeof(mix_state),
    .prepare = mix_prepare,
    .process = mix_process,
};
