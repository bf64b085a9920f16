/* gain: a constant gain in dB. The model node: a parameter struct, its table, prepare/process,
 * and one descriptor. */
#include "lathe/lathe_node.h"

typedef struct gain_params {
    double gain_db;
} gain_params;

static const lathe_param gain_table[] = {
    LATHE_NUMBER(gain_params, gain_db, 0.0, -120.0, 60.0, "gain applied to every channel"),
    LATHE_PARAM_END
};

typedef struct gain_state {
    float g;
    uint32_t channels;
} gain_state;

static int gain_prepare(void *state, lathe_prepare_ctx *ctx)
{
    gain_state *s = state;
    const gain_params *p = ctx->params;
    s->g = (float)lathe_db_to_gain(p->gain_db);
    s->channels = ctx->in[0].channels;
    return LATHE_OK;
}

static void gain_process(void *state, lathe_block *b)
{
    const gain_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++) {
        const float *x = b->in[0][c];
        float *y = b->out[c];
        for (uint32_t i = 0; i < b->n_in; i++)
            y[i] = x[i] * s->g;
    }
}

static int gain_is_identity(const void *params, const lathe_format *in)
{
    (void)in;
    return ((const gain_params *)params)->gain_db == 0.0;
}

const lathe_node_desc lathe_node_gain = {
    .name = "gain",
    .summary = "constant gain in dB",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(gain_params),
    .params = gain_table,
    .state_size = sizeof(gain_state),
    .prepare = gain_prepare,
    .process = gain_process,
    .is_identity = gain_is_identity,
};
