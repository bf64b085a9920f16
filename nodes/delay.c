/* delay: shifts the signal later by an exact number of frames.
 *
 * The output is the input preceded by `delay` frames of silence, and is that much longer, so
 * nothing is lost at the end (the engine feeds zeros after the input ends until out.frames have
 * been produced). This is an intentional shift, so it is deliberately NOT declared as latency:
 * latency is what the engine compensates away to keep outputs aligned with their source. */
#include "lathe/lathe_node.h"
#include "dsp/sampledelay.h"

#include <stdio.h>

typedef struct delay_params {
    double delay_ms;
    int delay_frames;
} delay_params;

static const lathe_param delay_table[] = {
    LATHE_NUMBER(delay_params, delay_ms, 0.0, 0.0, 60000.0,
                 "delay in ms, rounded to the nearest frame"),
    /* The delay is held in memory: at most delay_ms's 60 s at the highest rate (768 kHz), so
     * what cannot fit is refused when the script is read, not after gigabytes of silence. */
    LATHE_INT(delay_params, delay_frames, 0, 0, 46080000,
              "delay in frames (exact); give delay_ms or delay_frames, not both"),
    LATHE_PARAM_END
};

typedef struct delay_state {
    lathe_sampledelay d[LATHE_MAX_CHANNELS];
    float *ring;
    uint32_t channels;
} delay_state;

static int delay_prepare(void *state, lathe_prepare_ctx *ctx)
{
    delay_state *s = state;
    const delay_params *p = ctx->params;
    if (p->delay_ms > 0.0 && p->delay_frames > 0) {
        snprintf(ctx->err, sizeof ctx->err, "give delay_ms or delay_frames, not both");
        return LATHE_ERR_PARAM;
    }
    uint64_t frames = p->delay_frames > 0
                          ? (uint64_t)p->delay_frames
                          : (uint64_t)llround(p->delay_ms * 1e-3 * ctx->in[0].rate);
    s->channels = ctx->in[0].channels;
    if (frames > 0) {
        s->ring = lathe_calloc(frames * s->channels, sizeof(float));
        if (!s->ring)
            return LATHE_ERR_NOMEM;
    }
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_init(&s->d[c], s->ring ? s->ring + frames * c : NULL, (uint32_t)frames);
    ctx->out.frames = ctx->in[0].frames + frames;
    return LATHE_OK;
}

static void delay_reset(void *state)
{
    delay_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_reset(&s->d[c]);
}

static void delay_process(void *state, lathe_block *b)
{
    delay_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_process(&s->d[c], b->in[0][c], b->out[c], b->n_in);
}

static void delay_release(void *state)
{
    lathe_dealloc(((delay_state *)state)->ring);
}

static int delay_is_identity(const void *params, const lathe_format *in)
{
    const delay_params *p = params;
    return p->delay_frames == 0 && llround(p->delay_ms * 1e-3 * in->rate) == 0;
}

const lathe_node_desc lathe_node_delay = {
    .name = "delay",
    .summary = "exact integer-frame delay (output longer by the delay)",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(delay_params),
    .params = delay_table,
    .state_size = sizeof(delay_state),
    .prepare = delay_prepare,
    .reset = delay_reset,
    .process = delay_process,
    .release = delay_release,
    .is_identity = delay_is_identity,
};
