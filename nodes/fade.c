/* fade: fade in at the start and/or out at the end, with one of four curves (dsp/fade.h):
 * linear, equal_power (sin), log (dB-linear from -60 dB) and scurve (raised cosine).
 *
 * Lengths are exact in frames: in_frames / out_frames, or in_ms / out_ms rounded to the nearest
 * frame. The fade-in's first frame is silent and frame L is the first at unity; the fade-out
 * mirrors it and ends with a silent last frame of the input (its length is known in prepare).
 * Overlapping fades multiply. */
#include "lathe/lathe_node.h"
#include "dsp/fade.h"
#include "lengths.h"

#include <stdio.h>
#include <string.h>

static const char *const fade_curves[] = { "linear", "equal_power", "log", "scurve", NULL };

typedef struct fade_params {
    double in_ms, out_ms;
    int in_frames, out_frames;
    int curve;
} fade_params;

static const lathe_param fade_table[] = {
    LATHE_NUMBER(fade_params, in_ms, 0.0, 0.0, 3600000.0, "fade-in length in ms"),
    LATHE_NUMBER(fade_params, out_ms, 0.0, 0.0, 3600000.0, "fade-out length in ms"),
    LATHE_INT(fade_params, in_frames, 0, 0, 2147483647, "fade-in length in frames (instead of ms)"),
    LATHE_INT(fade_params, out_frames, 0, 0, 2147483647, "fade-out length in frames (instead of ms)"),
    LATHE_ENUM(fade_params, curve, "linear", fade_curves, "linear, equal_power, log or scurve"),
    LATHE_PARAM_END
};

#define FADE_CHUNK 256

typedef struct fade_state {
    lathe_fade_curve curve;
    uint64_t in_len, out_len, total, pos;
    uint32_t channels;
} fade_state;

static int fade_prepare(void *state, lathe_prepare_ctx *ctx)
{
    fade_state *s = state;
    const fade_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    int64_t li = len_frames(p->in_ms, 1e-3, p->in_frames, in->rate, "in_ms", "in_frames",
                            ctx->err, sizeof ctx->err);
    int64_t lo = len_frames(p->out_ms, 1e-3, p->out_frames, in->rate, "out_ms", "out_frames",
                            ctx->err, sizeof ctx->err);
    if (li < 0 || lo < 0)
        return LATHE_ERR_PARAM;
    if ((uint64_t)li > in->frames || (uint64_t)lo > in->frames) {
        snprintf(ctx->err, sizeof ctx->err, "a fade of %lld frames is longer than the input "
                 "(%llu frames)", (long long)(li > lo ? li : lo), (unsigned long long)in->frames);
        return LATHE_ERR_PARAM;
    }
    s->curve = (lathe_fade_curve)p->curve;
    s->in_len = (uint64_t)li;
    s->out_len = (uint64_t)lo;
    s->total = in->frames;
    s->channels = in->channels;
    return LATHE_OK;
}

static void fade_reset(void *state)
{
    ((fade_state *)state)->pos = 0;
}

/* Applies the gains of frames pos..pos+n-1 (n <= FADE_CHUNK) from x to y. */
static void fade_chunk(const fade_state *s, uint64_t pos, const float *const *x, float *const *y,
                       uint32_t n)
{
    float g[FADE_CHUNK], go[FADE_CHUNK];
    int in_fade = pos < s->in_len;
    int out_fade = s->out_len > 0 && pos + n > s->total - s->out_len;
    if (!in_fade && !out_fade) {
        for (uint32_t c = 0; c < s->channels; c++)
            if (y[c] != x[c])
                memcpy(y[c], x[c], n * sizeof(float));
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        g[i] = 1.0f;
    if (in_fade)
        lathe_fade_in_gains(s->curve, s->in_len, pos, g, n);
    if (out_fade) {
        lathe_fade_out_gains(s->curve, s->out_len, s->total, pos, go, n);
        for (uint32_t i = 0; i < n; i++)
            g[i] *= go[i];
    }
    for (uint32_t c = 0; c < s->channels; c++)
        for (uint32_t i = 0; i < n; i++)
            y[c][i] = x[c][i] * g[i];
}

static void fade_process(void *state, lathe_block *b)
{
    fade_state *s = state;
    const float *x[LATHE_MAX_CHANNELS];
    float *y[LATHE_MAX_CHANNELS];
    for (uint32_t done = 0; done < b->n_in; done += FADE_CHUNK) {
        uint32_t n = b->n_in - done < FADE_CHUNK ? b->n_in - done : FADE_CHUNK;
        for (uint32_t c = 0; c < s->channels; c++) {
            x[c] = b->in[0][c] + done;
            y[c] = b->out[c] + done;
        }
        fade_chunk(s, s->pos + done, x, y, n);
    }
    s->pos += b->n_in;
}

static int fade_is_identity(const void *params, const lathe_format *in)
{
    const fade_params *p = params;
    return len_frames(p->in_ms, 1e-3, p->in_frames, in->rate, "", "", NULL, 0) == 0
           && len_frames(p->out_ms, 1e-3, p->out_frames, in->rate, "", "", NULL, 0) == 0;
}

const lathe_node_desc lathe_node_fade = {
    .name = "fade",
    .summary = "fade in/out (linear, equal_power, log, scurve), frame-exact",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(fade_params),
    .params = fade_table,
    .state_size = sizeof(fade_state),
    .prepare = fade_prepare,
    .reset = fade_reset,
    .process = fade_process,
    .is_identity = fade_is_identity,
};
