/* generator.h - what the test-signal generators (sine, noise, sweep, silence) share: the output
 * format parameters and their prepare step. Generators compute every sample from its absolute
 * frame number, so their output does not depend on the block size. */
#ifndef LATHE_GENERATOR_H
#define LATHE_GENERATOR_H

#include "lathe/lathe_node.h"

#include <math.h>

#define GEN_FORMAT_PARAMS(s)                                                                   \
    LATHE_INT(s, rate, 48000, 8000, 768000, "sample rate of the generated stream in Hz"),      \
    LATHE_INT(s, channels, 2, 1, LATHE_MAX_CHANNELS, "number of channels"),                    \
    LATHE_NUMBER(s, duration_s, 10.0, 0.0, 86400.0, "length; rounded to the nearest frame")

/* [main] Sets the output format of a generator and lets it produce a full block per call. */
static inline void gen_prepare_format(lathe_prepare_ctx *ctx, int rate, int channels,
                                      double duration_s)
{
    ctx->out.rate = (uint32_t)rate;
    ctx->out.channels = (uint32_t)channels;
    ctx->out.frames = (uint64_t)llround(duration_s * (double)rate);
    ctx->max_out_frames = ctx->max_frames;
}

#endif
