/* loudness_pass.h - the loudness node's trial passes (loudness.c): gain + limiter rendered
 * over the materialised input exactly as the node's process() renders it, and measured; the
 * same on windows of it for the loss model's calibration; the limiter's main-stage peaks kept in
 * the cache from one pass (or run) to the next. */
#ifndef LATHE_LOUDNESS_PASS_H
#define LATHE_LOUDNESS_PASS_H

#include "lathe/lathe_node.h"

#include "dsp/limiter.h"
#include "dsp/lossmodel.h"

#define LOUDNESS_READ_FRAMES 4096

/* What one pass measured: the loudness, and the true peak of the plain input (the limiter's
 * output is not metered here: its true peak is the limiter's ceiling by construction, and the
 * output that takes it measures it once, with everything else). */
typedef struct loudness_pass {
    double gain_db, lufs, tp_db, gr_max, gr_avg;
} loudness_pass;

/* The buffers of the trial passes, two of each: with a worker, block b + 1 is read and goes
 * through the limiter's front half while block b goes through its back half and is measured and
 * stored (each stage and meter still sees its blocks in order, on one thread at a time, so the
 * results are those of one thread). */
typedef struct loudness_trial {
    float *x[2][LATHE_MAX_CHANNELS], *y[2][LATHE_MAX_CHANNELS];
    lathe_limiter_peaks pk; /* the main stage's peaks of a block, kept or given */
    int peaks_read;         /* a pass read them from the memo */
    lathe_worker *worker;   /* NULL: everything on the calling thread */
} loudness_trial;

/* Reads up to n frames into x, zeros after the end (the engine's tail flush). The gain is the
 * limiter's input gain (lathe_limiter_set_input_gain), not applied here. */
long lathe_loudness_read_block(lathe_stream *st, float *const *x, uint32_t channels, uint32_t n);
/* Renders gain g + the limiter over the stream exactly as the main pass will (latency trimmed,
 * tail flushed), offers it as the node's output, and measures it into *out. lim == NULL
 * measures the plain input (its true peak too, and feeds the loss model). */
int lathe_loudness_render_pass(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                               loudness_trial *t, lathe_lossmodel *model, loudness_pass *out);
/* Renders gain g + the limiter over the n windows w (one read of the input) and returns the
 * loss there in LU: the gained input's integrated loudness over the windows less the
 * output's. */
int lathe_loudness_render_windows(lathe_analyze_ctx *ctx, lathe_limiter *lim, float g,
                                  loudness_trial *t, const lathe_lossmodel_window *w, int n,
                                  double *loss);

#endif
