/* channels: channel layout changes.
 *
 *   swap       exchanges left and right (stereo input only)
 *   mono       one channel: the average of all input channels, (L + R) / 2 for stereo, times
 *              mono_gain_db. The average keeps an in-phase (centre) signal at its level; for
 *              uncorrelated channels the power drops 3 dB, which mono_gain_db = +3.01 restores
 *              (the "-3 dB pan law" fold-down (L + R) / sqrt(2)).
 *   select     one channel: input channel `channel` (0-based)
 *   duplicate  out_channels copies of input channel `channel` (mono to stereo)
 */
#include "lathe/lathe_node.h"

#include <stdio.h>
#include <string.h>

static const char *const channels_modes[] = { "swap", "mono", "select", "duplicate", NULL };
enum { CH_SWAP, CH_MONO, CH_SELECT, CH_DUPLICATE };

typedef struct channels_params {
    int mode;
    int channel;
    int out_channels;
    double mono_gain_db;
} channels_params;

static const lathe_param channels_table[] = {
    LATHE_ENUM(channels_params, mode, "swap", channels_modes, "swap, mono, select or duplicate"),
    LATHE_INT(channels_params, channel, 0, 0, LATHE_MAX_CHANNELS - 1,
              "select/duplicate: the 0-based input channel"),
    LATHE_INT(channels_params, out_channels, 2, 1, LATHE_MAX_CHANNELS,
              "duplicate: number of output channels"),
    LATHE_NUMBER(channels_params, mono_gain_db, 0.0, -60.0, 12.0,
                 "mono: gain after averaging (+3.01 for an equal-power fold-down)"),
    LATHE_PARAM_END
};

typedef struct channels_state {
    int mode;
    uint32_t in_ch, out_ch, channel;
    float mono_g; /* mono: gain / in_ch */
} channels_state;

static int channels_prepare(void *state, lathe_prepare_ctx *ctx)
{
    channels_state *s = state;
    const channels_params *p = ctx->params;
    s->mode = p->mode;
    s->in_ch = ctx->in[0].channels;
    s->channel = (uint32_t)p->channel;
    if (s->mode == CH_SWAP && s->in_ch != 2) {
        snprintf(ctx->err, sizeof ctx->err, "mode swap needs a stereo input, got %u channels",
                 s->in_ch);
        return LATHE_ERR_FORMAT;
    }
    if ((s->mode == CH_SELECT || s->mode == CH_DUPLICATE) && s->channel >= s->in_ch) {
        snprintf(ctx->err, sizeof ctx->err, "channel %u does not exist in a %u-channel input "
                 "(0 to %u)", s->channel, s->in_ch, s->in_ch - 1);
        return LATHE_ERR_PARAM;
    }
    s->out_ch = s->mode == CH_SWAP ? 2 : s->mode == CH_DUPLICATE ? (uint32_t)p->out_channels : 1;
    s->mono_g = (float)(lathe_db_to_gain(p->mono_gain_db) / s->in_ch);
    ctx->out.channels = s->out_ch;
    return LATHE_OK;
}

static void mono_process(const channels_state *s, lathe_block *b)
{
    float *y = b->out[0];
    memcpy(y, b->in[0][0], b->n_in * sizeof(float));
    for (uint32_t c = 1; c < s->in_ch; c++) {
        const float *x = b->in[0][c];
        for (uint32_t i = 0; i < b->n_in; i++)
            y[i] += x[i];
    }
    /* For stereo, (L + R) * 0.5f is exact scaling of the float sum. */
    for (uint32_t i = 0; i < b->n_in; i++)
        y[i] *= s->mono_g;
}

static void channels_process(void *state, lathe_block *b)
{
    const channels_state *s = state;
    size_t bytes = b->n_in * sizeof(float);
    switch (s->mode) {
    case CH_SWAP:
        memcpy(b->out[0], b->in[0][1], bytes);
        memcpy(b->out[1], b->in[0][0], bytes);
        break;
    case CH_MONO:
        mono_process(s, b);
        break;
    default: /* select, duplicate */
        for (uint32_t c = 0; c < s->out_ch; c++)
            memcpy(b->out[c], b->in[0][s->channel], bytes);
        break;
    }
}

const lathe_node_desc lathe_node_channels = {
    .name = "channels",
    .summary = "swap, fold to mono, select or duplicate channels",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(channels_params),
    .params = channels_table,
    .state_size = sizeof(channels_state),
    .prepare = channels_prepare,
    .process = channels_process,
};
