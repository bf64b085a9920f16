/* dither: final word-length reduction to 16, 20 or 24 bits with TPDF dither (+-1 LSB) and
 * optional error-feedback noise shaping (dsp/dither.h).
 *
 * Apply it once, last: its outputs are exact multiples of 2^-(bits-1) within [-1, 1 - LSB], so a
 * writer of the same bit depth stores exactly these values. The noise is seeded from the node's
 * cache key (ctx->seed): a re-render is bit-identical, and two branches (different keys) get
 * different noise. Each channel has its own noise stream. The shaping curves are designed for
 * 44.1 kHz and usable at 48 kHz; other rates are refused (plain TPDF is the advice there).
 *
 * auto_blank_ms: where the input has been exact digital zero on every channel for at least this
 * long, the output is exact zero too (no dither noise in a silent intro, gap or ending). The
 * hold keeps the dither running through short runs of zeros inside the programme; the start of
 * the stream counts as silence, so a silent intro is blank from its first frame. */
#include "lathe/lathe_node.h"
#include "dsp/dither.h"
#include "dsp/rng.h"

#include <stdio.h>
#include <string.h>

static const char *const dither_shapes[] = { "none", "lipshitz5", "fweighted9", NULL };

typedef struct dither_params {
    int bits;
    int shaping;
    double auto_blank_ms;
} dither_params;

static const lathe_param dither_table[] = {
    LATHE_INT(dither_params, bits, 16, 16, 24, "target word length: 16, 20 or 24"),
    LATHE_ENUM(dither_params, shaping, "none", dither_shapes,
               "noise shaping: none, lipshitz5 (E-weighted) or fweighted9 (44.1/48 kHz)"),
    LATHE_NUMBER(dither_params, auto_blank_ms, 0.0, 0.0, 10000.0,
                 "exact zero out where the input has been exact zero this long (0: off)"),
    LATHE_PARAM_END
};

typedef struct dither_state {
    lathe_dither d;
    lathe_dither_ch ch[LATHE_MAX_CHANNELS];
    uint64_t seed[LATHE_MAX_CHANNELS];
    uint32_t channels;
    uint64_t pos;
    uint64_t hold;     /* auto-blank hold in frames; 0 off */
    uint64_t zero_run; /* frames of exact zero on every channel up to now */
} dither_state;

static int dither_prepare(void *state, lathe_prepare_ctx *ctx)
{
    dither_state *s = state;
    const dither_params *p = ctx->params;
    if (p->bits != 16 && p->bits != 20 && p->bits != 24) {
        snprintf(ctx->err, sizeof ctx->err, "bits %d: must be 16, 20 or 24", p->bits);
        return LATHE_ERR_PARAM;
    }
    uint32_t rate = ctx->in[0].rate;
    if (p->shaping != LATHE_DITHER_FLAT && rate != 44100 && rate != 48000) {
        snprintf(ctx->err, sizeof ctx->err, "shaping %s is designed for 44100 or 48000 Hz, the "
                 "input is %u Hz (use shaping none)", dither_shapes[p->shaping], rate);
        return LATHE_ERR_PARAM;
    }
    lathe_dither_init(&s->d, p->bits, (lathe_dither_shape)p->shaping);
    s->channels = ctx->in[0].channels;
    for (uint32_t c = 0; c < s->channels; c++)
        s->seed[c] = lathe_rng_substream(ctx->seed, c);
    s->hold = p->auto_blank_ms > 0.0 ? (uint64_t)(p->auto_blank_ms * 1e-3 * rate + 0.5) : 0;
    s->hold = p->auto_blank_ms > 0.0 && s->hold == 0 ? 1 : s->hold;
    return LATHE_OK;
}

static void dither_reset(void *state)
{
    dither_state *s = state;
    memset(s->ch, 0, sizeof s->ch);
    s->pos = 0;
    s->zero_run = s->hold; /* the stream starts in silence */
}

/* Zeroes the output frames whose input has been exact zero on every channel for >= hold
 * frames (counting this one). The dither itself ran as usual: its noise stream stays where it
 * would be without blanking. */
static void auto_blank(dither_state *s, lathe_block *b)
{
    for (uint32_t i = 0; i < b->n_in; i++) {
        int zero = 1;
        for (uint32_t c = 0; c < s->channels; c++)
            zero &= b->in[0][c][i] == 0.0f;
        s->zero_run = zero ? s->zero_run + 1 : 0;
        if (s->zero_run >= s->hold)
            for (uint32_t c = 0; c < s->channels; c++)
                b->out[c][i] = 0.0f;
    }
}

static void dither_process(void *state, lathe_block *b)
{
    dither_state *s = state;
    for (uint32_t c = 0; c < s->channels; c++)
        lathe_dither_process(&s->d, &s->ch[c], s->seed[c], s->pos, b->in[0][c], b->out[c],
                             b->n_in);
    if (s->hold)
        auto_blank(s, b);
    s->pos += b->n_in;
}

const lathe_node_desc lathe_node_dither = {
    .name = "dither",
    .summary = "TPDF dither to 16/20/24 bits with optional noise shaping; apply once, last",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(dither_params),
    .params = dither_table,
    .state_size = sizeof(dither_state),
    .prepare = dither_prepare,
    .reset = dither_reset,
    .process = dither_process,
};
