/* noise: seeded white or pink Gaussian noise at an RMS level.
 *
 * White noise is Gaussian from a counter-based generator (dsp/rng.h) indexed by frame, so any
 * block size gives the same samples; pink noise filters it with dsp/pink.h (-3 dB/octave,
 * normalised so the RMS is the requested level). Channels get independent streams derived from
 * the seed unless `correlated` is set, in which case every channel carries the same stream.
 * The same seed always gives the same noise, wherever the node sits in a graph. */
#include "generator.h"
#include "dsp/pink.h"
#include "dsp/rng.h"

#include <string.h>

static const char *const noise_colors[] = { "white", "pink", NULL };
enum { NOISE_WHITE, NOISE_PINK };

typedef struct noise_params {
    int rate, channels;
    double duration_s;
    int color;
    double amplitude_db;
    int seed;
    int correlated;
} noise_params;

static const lathe_param noise_table[] = {
    GEN_FORMAT_PARAMS(noise_params),
    LATHE_ENUM(noise_params, color, "white", noise_colors, "spectrum: white or pink (-3 dB/oct)"),
    LATHE_NUMBER(noise_params, amplitude_db, -20.0, -200.0, 20.0, "RMS level in dBFS"),
    LATHE_INT(noise_params, seed, 1, 0, 2147483647, "the same seed gives the same noise"),
    LATHE_BOOL(noise_params, correlated, 0, "same noise on every channel"),
    LATHE_PARAM_END
};

#define NOISE_CHUNK 256

typedef struct noise_state {
    lathe_pink pink;
    lathe_pink_state ps[LATHE_MAX_CHANNELS];
    uint64_t stream_seed[LATHE_MAX_CHANNELS];
    double rms;
    int color;
    uint32_t channels, streams; /* streams: 1 when correlated */
    uint64_t pos;
} noise_state;

static int noise_prepare(void *state, lathe_prepare_ctx *ctx)
{
    noise_state *s = state;
    const noise_params *p = ctx->params;
    gen_prepare_format(ctx, p->rate, p->channels, p->duration_s);
    s->rms = lathe_db_to_gain(p->amplitude_db);
    s->color = p->color;
    s->channels = (uint32_t)p->channels;
    s->streams = p->correlated ? 1 : s->channels;
    for (uint32_t c = 0; c < s->streams; c++)
        s->stream_seed[c] = lathe_rng_substream((uint64_t)p->seed, c);
    if (s->color == NOISE_PINK)
        lathe_pink_design(&s->pink, (double)p->rate);
    return LATHE_OK;
}

static void noise_reset(void *state)
{
    noise_state *s = state;
    memset(s->ps, 0, sizeof s->ps);
    s->pos = 0;
}

static void noise_process(void *state, lathe_block *b)
{
    noise_state *s = state;
    double buf[NOISE_CHUNK];
    for (uint32_t c = 0; c < s->streams; c++) {
        float *y = b->out[c];
        for (uint32_t done = 0; done < b->n_out; done += NOISE_CHUNK) {
            uint32_t n = b->n_out - done < NOISE_CHUNK ? b->n_out - done : NOISE_CHUNK;
            lathe_rng_gauss(s->stream_seed[c], s->pos + done, buf, n);
            if (s->color == NOISE_PINK)
                lathe_pink_process(&s->pink, &s->ps[c], buf, n);
            for (uint32_t i = 0; i < n; i++)
                y[done + i] = (float)(buf[i] * s->rms);
        }
    }
    for (uint32_t c = s->streams; c < s->channels; c++)
        memcpy(b->out[c], b->out[0], b->n_out * sizeof(float));
    s->pos += b->n_out;
}

const lathe_node_desc lathe_node_noise = {
    .name = "noise",
    .summary = "seeded white or pink noise (RMS level in dBFS)",
    .version = 1,
    .n_inputs = 0,
    .params_size = sizeof(noise_params),
    .params = noise_table,
    .state_size = sizeof(noise_state),
    .flags = LATHE_NODE_GENERATOR,
    .prepare = noise_prepare,
    .reset = noise_reset,
    .process = noise_process,
};
