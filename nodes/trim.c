/* trim: keeps the frames [start, end) of the input and drops the rest, sample-exact.
 *
 * start_frames / end_frames are exact; start_s / end_s are rounded to the nearest frame. end 0
 * means the end of the input. The output length is end - start; since it differs from the input
 * length the node is LATHE_NODE_RATE and sets b->n_out itself: 0 for blocks wholly outside the
 * kept range, the overlap for the others. Everything is emitted while the input flows. */
#include "lathe/lathe_node.h"
#include "lengths.h"

#include <stdio.h>
#include <string.h>

typedef struct trim_params {
    double start_s, end_s;
    int start_frames, end_frames;
} trim_params;

static const lathe_param trim_table[] = {
    LATHE_NUMBER(trim_params, start_s, 0.0, 0.0, 86400.0, "first kept time, rounded to a frame"),
    LATHE_NUMBER(trim_params, end_s, 0.0, 0.0, 86400.0, "end (exclusive) in seconds; 0: input end"),
    LATHE_INT(trim_params, start_frames, 0, 0, 2147483647, "first kept frame (instead of start_s)"),
    LATHE_INT(trim_params, end_frames, 0, 0, 2147483647,
              "end frame, exclusive (instead of end_s); 0: input end"),
    LATHE_PARAM_END
};

typedef struct trim_state {
    uint64_t start, end, pos;
    uint32_t channels;
} trim_state;

static int trim_prepare(void *state, lathe_prepare_ctx *ctx)
{
    trim_state *s = state;
    const trim_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    int64_t a = len_frames(p->start_s, 1.0, p->start_frames, in->rate, "start_s", "start_frames",
                           ctx->err, sizeof ctx->err);
    int64_t e = len_frames(p->end_s, 1.0, p->end_frames, in->rate, "end_s", "end_frames",
                           ctx->err, sizeof ctx->err);
    if (a < 0 || e < 0)
        return LATHE_ERR_PARAM;
    uint64_t end = e == 0 ? in->frames : (uint64_t)e;
    if (end > in->frames || (uint64_t)a >= end) {
        snprintf(ctx->err, sizeof ctx->err, "the kept range [%lld, %llu) is empty or beyond the "
                 "input's %llu frames", (long long)a, (unsigned long long)end,
                 (unsigned long long)in->frames);
        return LATHE_ERR_PARAM;
    }
    s->start = (uint64_t)a;
    s->end = end;
    s->channels = in->channels;
    ctx->out.frames = end - s->start;
    return LATHE_OK;
}

static void trim_reset(void *state)
{
    ((trim_state *)state)->pos = 0;
}

static void trim_process(void *state, lathe_block *b)
{
    trim_state *s = state;
    uint64_t lo = s->pos > s->start ? s->pos : s->start;
    uint64_t hi = s->pos + b->n_in < s->end ? s->pos + b->n_in : s->end;
    b->n_out = hi > lo ? (uint32_t)(hi - lo) : 0;
    for (uint32_t c = 0; c < s->channels && b->n_out; c++)
        memcpy(b->out[c], b->in[0][c] + (lo - s->pos), b->n_out * sizeof(float));
    s->pos += b->n_in;
}

static int trim_is_identity(const void *params, const lathe_format *in)
{
    const trim_params *p = params;
    int64_t a = len_frames(p->start_s, 1.0, p->start_frames, in->rate, "", "", NULL, 0);
    int64_t e = len_frames(p->end_s, 1.0, p->end_frames, in->rate, "", "", NULL, 0);
    return a == 0 && (e == 0 || (uint64_t)e == in->frames);
}

const lathe_node_desc lathe_node_trim = {
    .name = "trim",
    .summary = "keeps the frames [start, end), sample-exact",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(trim_params),
    .params = trim_table,
    .state_size = sizeof(trim_state),
    .flags = LATHE_NODE_RATE,
    .prepare = trim_prepare,
    .reset = trim_reset,
    .process = trim_process,
    .is_identity = trim_is_identity,
};
