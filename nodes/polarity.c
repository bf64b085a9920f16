/* polarity: inverts the polarity (sign) of chosen channels; exact, sample for sample. */
#include "lathe/lathe_node.h"

#include <stdio.h>
#include <string.h>

typedef struct polarity_params {
    double invert_channels[LATHE_MAX_CHANNELS];
    int n_invert_channels;
} polarity_params;

static const lathe_param polarity_table[] = {
    LATHE_NUMBERS(polarity_params, invert_channels, n_invert_channels, 0, LATHE_MAX_CHANNELS - 1,
                  "0-based indices of the channels to invert (0 left, 1 right); empty: all"),
    LATHE_PARAM_END
};

typedef struct polarity_state {
    int invert[LATHE_MAX_CHANNELS];
    uint32_t channels;
} polarity_state;

static int polarity_prepare(void *state, lathe_prepare_ctx *ctx)
{
    polarity_state *s = state;
    const polarity_params *p = ctx->params;
    s->channels = ctx->in[0].channels;
    for (uint32_t c = 0; c < s->channels; c++)
        s->invert[c] = p->n_invert_channels == 0;
    for (int i = 0; i < p->n_invert_channels; i++) {
        double v = p->invert_channels[i];
        if (v != floor(v) || v < 0 || v >= (double)s->channels) {
            snprintf(ctx->err, sizeof ctx->err, "invert_channels entry %g is not a channel index "
                     "of this %u-channel input (0 to %u)", v, s->channels, s->channels - 1);
            return LATHE_ERR_PARAM;
        }
        s->invert[(int)v] = 1;
    }
    return LATHE_OK;
}

static void polarity_process(void *state, lathe_block *b)
{
    const polarity_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++) {
        const float *x = b->in[0][c];
        float *y = b->out[c];
        if (s->invert[c]) {
            for (uint32_t i = 0; i < b->n_in; i++)
                y[i] = -x[i];
        } else {
            memcpy(y, x, b->n_in * sizeof(float));
        }
    }
}

const lathe_node_desc lathe_node_polarity = {
    .name = "polarity",
    .summary = "inverts the polarity of chosen channels",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(polarity_params),
    .params = polarity_table,
    .state_size = sizeof(polarity_state),
    .prepare = polarity_prepare,
    .process = polarity_process,
};
