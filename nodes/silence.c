/* silence: digital silence of a given format and length. */
#include "generator.h"

#include <string.h>

typedef struct silence_params {
    int rate, channels;
    double duration_s;
} silence_params;

static const lathe_param silence_table[] = {
    GEN_FORMAT_PARAMS(silence_params),
    LATHE_PARAM_END
};

typedef struct silence_state {
    uint32_t channels;
} silence_state;

static int silence_prepare(void *state, lathe_prepare_ctx *ctx)
{
    silence_state *s = state;
    const silence_params *p = ctx->params;
    gen_prepare_format(ctx, p->rate, p->channels, p->duration_s);
    s->channels = (uint32_t)p->channels;
    return LATHE_OK;
}

static void silence_process(void *state, lathe_block *b)
{
    const silence_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        memset(b->out[c], 0, b->n_out * sizeof(float));
}

const lathe_node_desc lathe_node_silence = {
    .name = "silence",
    .summary = "digital silence",
    .version = 1,
    .n_inputs = 0,
    .params_size = sizeof(silence_params),
    .params = silence_table,
    .state_size = sizeof(silence_state),
    .flags = LATHE_NODE_GENERATOR,
    .prepare = silence_prepare,
    .process = silence_process,
};
