/* pad: adds digital silence before (head) and after (tail) the input, and optionally extends
 * the tail so the length is a multiple of to_multiple_frames (588 = one CD sector at 44.1 kHz).
 *
 * Lengths: head_frames / tail_frames are exact, head_s / tail_s round to the nearest frame.
 * out.frames = head + input + tail, rounded up to the multiple. The head is an exact delay line
 * (the output is the input shifted by `head` frames, like the delay node), so n_out = n_in on
 * every block and the result does not depend on block size; the tail is the engine feeding
 * zeros after the input ends until out.frames have been produced. */
#include "lathe/lathe_node.h"
#include "lengths.h"
#include "dsp/sampledelay.h"

#include <stdio.h>

typedef struct pad_params {
    double head_s, tail_s;
    int head_frames, tail_frames;
    int to_multiple_frames;
} pad_params;

static const lathe_param pad_table[] = {
    /* The head is a delay line held in memory, so it has the delay node's bounds (60 s at the
     * highest rate): an hour at 192 kHz asked for 8.6 GB before the render could even start
     * (found by fuzz_render). The tail is the engine feeding zeros: it costs no memory. */
    LATHE_NUMBER(pad_params, head_s, 0.0, 0.0, 60.0, "silence before, rounded to a frame"),
    LATHE_NUMBER(pad_params, tail_s, 0.0, 0.0, 3600.0, "silence after, rounded to a frame"),
    LATHE_INT(pad_params, head_frames, 0, 0, 46080000,
              "silence before in frames (instead of head_s)"),
    LATHE_INT(pad_params, tail_frames, 0, 0, 2147483647, "silence after in frames (instead of tail_s)"),
    LATHE_INT(pad_params, to_multiple_frames, 0, 0, 1048576,
              "extend the tail to a multiple of this many frames (588: CD sectors); 0: off"),
    LATHE_PARAM_END
};

typedef struct pad_state {
    lathe_sampledelay d[LATHE_MAX_CHANNELS];
    float *ring;
    uint32_t channels;
} pad_state;

static int pad_prepare(void *state, lathe_prepare_ctx *ctx)
{
    pad_state *s = state;
    const pad_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    int64_t head = len_frames(p->head_s, 1.0, p->head_frames, in->rate, "head_s", "head_frames",
                              ctx->err, sizeof ctx->err);
    int64_t tail = len_frames(p->tail_s, 1.0, p->tail_frames, in->rate, "tail_s", "tail_frames",
                              ctx->err, sizeof ctx->err);
    if (head < 0 || tail < 0)
        return LATHE_ERR_PARAM;
    uint64_t frames = (uint64_t)head + in->frames + (uint64_t)tail;
    if (p->to_multiple_frames > 1) {
        uint64_t m = (uint64_t)p->to_multiple_frames;
        frames = (frames + m - 1) / m * m;
    }
    s->channels = in->channels;
    if (head > 0) {
        s->ring = lathe_calloc((size_t)head * s->channels, sizeof(float));
        if (!s->ring)
            return LATHE_ERR_NOMEM;
    }
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_init(&s->d[c], s->ring ? s->ring + (size_t)head * c : NULL,
                               (uint32_t)head);
    ctx->out.frames = frames;
    return LATHE_OK;
}

static void pad_reset(void *state)
{
    pad_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_reset(&s->d[c]);
}

static void pad_process(void *state, lathe_block *b)
{
    pad_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_sampledelay_process(&s->d[c], b->in[0][c], b->out[c], b->n_in);
}

static void pad_release(void *state)
{
    lathe_dealloc(((pad_state *)state)->ring);
}

const lathe_node_desc lathe_node_pad = {
    .name = "pad",
    .summary = "digital silence before/after, optionally to a multiple of N frames",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(pad_params),
    .params = pad_table,
    .state_size = sizeof(pad_state),
    .prepare = pad_prepare,
    .reset = pad_reset,
    .process = pad_process,
    .release = pad_release,
};
