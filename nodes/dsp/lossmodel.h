/* lossmodel.h - a quick estimate of the loudness a peak limiter takes away at a given gain.
 *
 * The loudness node searches the gain that brings its limited output to a target; every step of
 * that search is a full limiter pass. A first step that ignores the limiter undershoots by
 * exactly the loudness the limiter removes, which costs a second pass. This model predicts that
 * loss from the input alone: per 10 ms block it keeps the sample peak and energy; at a gain it
 * asks each block for min(1, ceiling / peak) (peaks scaled by the file's true-peak over
 * sample-peak ratio), lets the gain recover with the limiter's release, and compares the
 * energy kept with the energy in. It only chooses where the search starts: the node still
 * measures every pass exactly. What it leaves out (the bridge, the attack's shape) can cost a
 * heavily limited master 10-20% of its loss; the node measures that on windows of the song
 * (lathe_lossmodel_window_loss_db) before its first full pass. */
#ifndef LATHE_LOSSMODEL_H
#define LATHE_LOSSMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

typedef struct lathe_lossmodel lathe_lossmodel;

/* [main] For a stream of `frames` frames (its length must be known), its state from al (NULL:
 * malloc). LATHE_DSP_OK, or LATHE_DSP_NOMEM. */
int lathe_lossmodel_new(uint32_t rate, uint32_t channels, uint64_t frames,
                        const lathe_dsp_alloc *al, lathe_lossmodel **out);
void lathe_lossmodel_free(lathe_lossmodel *m);
/* [rt] Feeds the next n frames of the input (gain 1). */
void lathe_lossmodel_add(lathe_lossmodel *m, const float *const *ch, uint32_t n);

/* The block data as bytes (to remember between runs), and back: load returns -1 when the bytes
 * do not fit this model's length and rate. */
const void *lathe_lossmodel_data(const lathe_lossmodel *m, size_t *size);
int lathe_lossmodel_load(lathe_lossmodel *m, const void *data, size_t size);

/* Predicted loudness loss in dB (>= 0) of gain_db followed by a limiter at ceiling (linear)
 * with the given lookahead and release (two_stage: limiter.h's program-dependent one), the
 * input's true peak being tp_db. */
double lathe_lossmodel_loss_db(const lathe_lossmodel *m, double gain_db, double ceiling,
                               double lookahead_ms, double release_ms, int two_stage,
                               double tp_db);

/* Windows of the stream (frames, multiples of lathe_lossmodel_block()): the limiter starts at
 * rest at `warm`, and what it keeps is counted from `start` to `end`. */
typedef struct lathe_lossmodel_window {
    uint64_t warm, start, end;
} lathe_lossmodel_window;

/* Frames per block of the model. */
size_t lathe_lossmodel_block(const lathe_lossmodel *m);
/* The predicted loss over n windows only, as lathe_lossmodel_loss_db: the model's half of a
 * calibration, whose other half renders the limiter over the same windows (loudness.c). */
double lathe_lossmodel_window_loss_db(const lathe_lossmodel *m, double gain_db, double ceiling,
                                      double lookahead_ms, double release_ms, int two_stage,
                                      double tp_db, const lathe_lossmodel_window *w, int n);

#endif
