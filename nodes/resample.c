/* resample: sample-rate conversion, only where a script puts it.
 *
 * quality=best runs the polyphase kernel (nodes/dsp/polyphase.c) for every ratio it accepts:
 * reduced L <= 1024 and a table of <= 2^21 coefficients, which covers the 44.1/48 kHz families,
 * x2, x4 and everything between 8 and 384 kHz on those grids. Passband flat to 20 kHz (to
 * 20000/22050 of the lower Nyquist), >= 140 dB stopband from the lower Nyquist, 1 kHz THD+N
 * near -150 dB, 15-40x faster than libsamplerate's best mode (integer ratios such as 48 -> 96 kHz
 * convolve each phase by FFT: polyphase.h).
 * Other ratios, and quality=reference, run libsamplerate's SRC_SINC_BEST_QUALITY.
 *
 * Length: out.frames = round(in.frames * out_rate / in_rate), halves rounded up, computed
 * exactly in integers. Alignment: input frame k lands at output frame k * out_rate / in_rate in
 * both paths (the polyphase delay is declared as latency; libsamplerate's output is already
 * centred, it only holds output back until it has seen its lookahead).
 *
 * libsamplerate's internal fractional position depends on how its input is cut, so the node
 * feeds it fixed chunks of SRC_CHUNK frames whatever the engine's block size is: the output is
 * then block-size independent in that path too. */
#include "lathe/lathe_node.h"

#include "dsp/polyphase.h"
#include "measure/kernel_host.h"

#include <samplerate.h>
#include <stdio.h>
#include <string.h>

#define SRC_CHUNK 256

typedef struct resample_params {
    int rate;
    int quality;
} resample_params;

static const char *const quality_choices[] = { "best", "reference", NULL };

static const lathe_param resample_table[] = {
    LATHE_INT(resample_params, rate, 44100, 8000, 384000, "output sample rate (Hz)"),
    LATHE_ENUM(resample_params, quality, "best", quality_choices,
               "best: fast polyphase for rational ratios (libsamplerate otherwise); "
               "reference: libsamplerate SRC_SINC_BEST_QUALITY always"),
    LATHE_PARAM_END
};

enum { PATH_IDENTITY, PATH_POLYPHASE, PATH_SRC };

typedef struct resample_state {
    int path;
    uint32_t channels;
    lathe_polyphase *pp;
    SRC_STATE *src;
    double ratio;
    float *ibuf, *obuf; /* interleaved: SRC_CHUNK input frames, obuf_frames output frames */
    uint32_t ifill, obuf_frames;
} resample_state;

static int prepare_src(resample_state *s, lathe_prepare_ctx *ctx, uint32_t out_rate)
{
    const lathe_format *in = &ctx->in[0];
    int err = 0;
    s->path = PATH_SRC;
    s->ratio = (double)out_rate / (double)in->rate;
    /* src_new allocates with malloc; the engine's allocator hook does not reach it. */
    s->src = src_new(SRC_SINC_BEST_QUALITY, (int)in->channels, &err);
    if (!s->src) {
        snprintf(ctx->err, sizeof ctx->err, "libsamplerate: %s", src_strerror(err));
        return LATHE_ERR_NOMEM; /* its only failure for a valid converter and channel count */
    }
    s->obuf_frames = (uint32_t)ceil(SRC_CHUNK * s->ratio) + 64;
    s->ibuf = lathe_calloc((size_t)SRC_CHUNK * in->channels, sizeof(float));
    s->obuf = lathe_calloc((size_t)s->obuf_frames * in->channels, sizeof(float));
    if (!s->ibuf || !s->obuf)
        return LATHE_ERR_NOMEM;
    /* Per call: at most the chunks n_in completes (plus one buffered), libsamplerate's output
     * for them, and slack for its rounding (a frame or two per chunk, generously). */
    ctx->max_out_frames = (uint32_t)ceil(((double)ctx->max_frames + SRC_CHUNK) * s->ratio)
                          + 2 * (ctx->max_frames / SRC_CHUNK) + 64;
    ctx->latency = 0;
    return LATHE_OK;
}

static int prepare_polyphase(resample_state *s, lathe_prepare_ctx *ctx, uint32_t out_rate)
{
    const lathe_format *in = &ctx->in[0];
    lathe_polyphase_config c =
        lathe_polyphase_config_default(in->rate, out_rate, in->channels, ctx->max_frames);
    c.alloc = lathe_kernel_alloc();
    int rc = lathe_polyphase_new(&c, &s->pp);
    if (rc == LATHE_DSP_NOMEM)
        return LATHE_ERR_NOMEM;
    if (rc != 0)
        return prepare_src(s, ctx, out_rate); /* a ratio the table cannot hold */
    s->path = PATH_POLYPHASE;
    ctx->max_out_frames = lathe_polyphase_max_out(s->pp, ctx->max_frames);
    ctx->latency = lathe_polyphase_get_plan(s->pp)->latency;
    return LATHE_OK;
}

static int resample_prepare(void *state, lathe_prepare_ctx *ctx)
{
    resample_state *s = state;
    const resample_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    uint32_t out_rate = (uint32_t)p->rate;
    s->channels = in->channels;
    ctx->out.rate = out_rate;
    /* round(frames * out / in), halves up; frames < 2^40 keeps the product inside 64 bits. */
    ctx->out.frames = (in->frames * out_rate + in->rate / 2) / in->rate;
    if (out_rate == in->rate) {
        s->path = PATH_IDENTITY;
        return LATHE_OK;
    }
    if (p->quality == 1)
        return prepare_src(s, ctx, out_rate);
    return prepare_polyphase(s, ctx, out_rate);
}

static void resample_reset(void *state)
{
    resample_state *s = state;
    if (s->pp)
        lathe_polyphase_reset(s->pp);
    if (s->src)
        src_reset(s->src);
    s->ifill = 0;
}

/* Runs one full chunk through libsamplerate, appending its output to out at *n_out. */
static void src_chunk(resample_state *s, float *const *out, uint32_t *n_out)
{
    const uint32_t nc = s->channels;
    long used = 0;
    while (used < SRC_CHUNK) {
        SRC_DATA d = {
            .data_in = s->ibuf + (size_t)used * nc, .input_frames = SRC_CHUNK - used,
            .data_out = s->obuf, .output_frames = s->obuf_frames, .src_ratio = s->ratio,
        };
        if (src_process(s->src, &d) != 0)
            break; /* only on a bad ratio or state, both excluded by prepare */
        for (long i = 0; i < d.output_frames_gen; i++)
            for (uint32_t c = 0; c < nc; c++)
                out[c][*n_out + i] = s->obuf[(size_t)i * nc + c];
        *n_out += (uint32_t)d.output_frames_gen;
        used += d.input_frames_used;
        if (d.input_frames_used == 0 && d.output_frames_gen == 0)
            break;
    }
}

static void process_src(resample_state *s, lathe_block *b)
{
    const uint32_t nc = s->channels;
    uint32_t n_out = 0, i = 0;
    while (i < b->n_in) {
        uint32_t take = SRC_CHUNK - s->ifill;
        if (take > b->n_in - i)
            take = b->n_in - i;
        for (uint32_t k = 0; k < take; k++)
            for (uint32_t c = 0; c < nc; c++)
                s->ibuf[(size_t)(s->ifill + k) * nc + c] = b->in[0][c][i + k];
        s->ifill += take;
        i += take;
        if (s->ifill == SRC_CHUNK) {
            src_chunk(s, b->out, &n_out);
            s->ifill = 0;
        }
    }
    b->n_out = n_out;
}

static void resample_process(void *state, lathe_block *b)
{
    resample_state *s = state;
    switch (s->path) {
    case PATH_POLYPHASE:
        b->n_out = lathe_polyphase_process(s->pp, b->in[0], b->n_in, b->out);
        break;
    case PATH_SRC:
        process_src(s, b);
        break;
    default:
        for (uint32_t c = 0; c < s->channels; c++)
            memcpy(b->out[c], b->in[0][c], sizeof(float) * b->n_in);
        b->n_out = b->n_in;
        break;
    }
}

static void resample_release(void *state)
{
    resample_state *s = state;
    lathe_polyphase_free(s->pp);
    if (s->src)
        src_delete(s->src);
    lathe_dealloc(s->ibuf);
    lathe_dealloc(s->obuf);
    memset(s, 0, sizeof *s);
}

static void resample_report(void *state, lathe_report *r)
{
    const resample_state *s = state;
    static const char *const names[] = { "identity", "polyphase", "libsamplerate" };
    lathe_report_string(r, "path", names[s->path]);
    if (s->pp) {
        const lathe_polyphase_plan *p = lathe_polyphase_get_plan(s->pp);
        lathe_report_number(r, "ratio_l", (double)p->L);
        lathe_report_number(r, "ratio_m", (double)p->M);
        lathe_report_number(r, "taps_per_phase", (double)p->taps);
    }
}

static int resample_is_identity(const void *params, const lathe_format *in)
{
    return (uint32_t)((const resample_params *)params)->rate == in->rate;
}

const lathe_node_desc lathe_node_resample = {
    .name = "resample",
    .summary = "sample-rate conversion (polyphase for rational ratios, libsamplerate otherwise)",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(resample_params),
    .params = resample_table,
    .state_size = sizeof(resample_state),
    .flags = LATHE_NODE_RATE,
    .prepare = resample_prepare,
    .reset = resample_reset,
    .process = resample_process,
    .release = resample_release,
    .report = resample_report,
    .is_identity = resample_is_identity,
};
