/* render_sink.h - the outputs of one streaming pass (render.c): each opens its file's writer
 * (encoded on its own thread from -j 2) and the host's tap, takes what its node's FIFO holds
 * each round, and at the end commits the file, its md5 sidecar and the tap's measurement.
 * Private to the engine. */
#ifndef LATHE_RENDER_SINK_H
#define LATHE_RENDER_SINK_H

#include "graph_int.h"

#include "audio_io.h"
#include "fifo.h"
#include "writebehind.h"

typedef struct pass_sink {
    int sink, node;
    uint64_t pos;               /* frames taken from the node's FIFO */
    lathe_audio_writer *writer; /* NULL until opened: nothing to close */
    lathe_writebehind *encoder; /* writes `writer` on its own thread */
    void *tap;                  /* the host's state for this output (lathe_output_tap) */
    int tapped;                 /* open() succeeded: close() is owed */
} pass_sink;

/* Opens graph sink s into k (zeroed first). On failure the graph's error is set; k->writer,
 * when set, still needs lathe_sink_close. */
int lathe_sink_open(lathe_graph *g, pass_sink *k, int s, int threads, const lathe_output_tap *tap);
/* Writes (and taps) n frames, the next k->pos on (a barrier's output taken while it analyses,
 * analyze_output.h). */
int lathe_sink_write(lathe_graph *g, pass_sink *k, const float *const *x, uint32_t n,
                     const lathe_output_tap *tap);
/* Writes (and taps) what f holds past k->pos. */
int lathe_sink_step(lathe_graph *g, pass_sink *k, const lathe_fifo *f, const lathe_output_tap *tap);
/* Finishes encoding, commits the file to its final name, writes its md5 sidecar, closes the tap
 * as measured. */
int lathe_sink_finish(lathe_graph *g, pass_sink *k, const lathe_output_tap *tap);
/* Frees k; an uncommitted file leaves no temp behind, an open tap is closed as failed. */
void lathe_sink_close(pass_sink *k, const lathe_output_tap *tap);

#endif
