/* stream_gain.h - the streaming half of barrier nodes that apply one measured gain (normalize,
 * cap): measure the materialised input, prepare copies the analysis and derives the gain,
 * process reads the input and scales it, zeros past its end. */
#ifndef LATHE_STREAM_GAIN_H
#define LATHE_STREAM_GAIN_H

#include "lathe/lathe_node.h"

#include <stdio.h>

typedef struct stream_gain {
    float g;
    uint32_t channels;
} stream_gain;

/* Copies n doubles of the analysis into `analysis` and sets the gain from analysis[gain_index]
 * (dB). While planning there is no analysis: the output format is the input's. */
static inline int stream_gain_prepare(stream_gain *s, lathe_prepare_ctx *ctx, double *analysis,
                                      int n, int gain_index)
{
    if (!ctx->analysis)
        return LATHE_OK;
    if (ctx->n_analysis < n) {
        snprintf(ctx->err, sizeof ctx->err, "no loudness analysis");
        return LATHE_ERR_INTERNAL;
    }
    for (int i = 0; i < n; i++)
        analysis[i] = ctx->analysis[i];
    s->g = (float)lathe_db_to_gain(analysis[gain_index]);
    s->channels = ctx->in[0].channels;
    return LATHE_OK;
}

/* Integrated loudness (LUFS, NAN below the gate) and true peak (dBTP) of the whole stream
 * times g, from its start (the stream is rewound first). LATHE_OK, LATHE_ERR_NOMEM, or
 * LATHE_ERR_IO with a message. */
int stream_gain_measure(lathe_stream *st, float g, double *lufs, double *tp_db, char *err,
                        size_t n_err);

static inline void stream_gain_process(const stream_gain *s, lathe_block *b)
{
    long got = lathe_stream_read(b->streams[0], b->out, b->n_out);
    uint32_t n = got > 0 ? (uint32_t)got : 0;
    for (uint32_t c = 0; c < s->channels; c++) {
        float *y = b->out[c];
        for (uint32_t i = 0; i < n; i++)
            y[i] *= s->g;
        for (uint32_t i = n; i < b->n_out; i++)
            y[i] = 0.0f;
    }
}

#endif
