/* nodeharness.h - runs one node type on in-memory signals the way the engine does (defaults from
 * the parameter table, prepare, blocks, latency trimmed, tail flushed, barrier analysis on a
 * memory stream), so node tests need no script and no files. */
#ifndef LATHE_NODEHARNESS_H
#define LATHE_NODEHARNESS_H

#include "lathe/lathe_node.h"

typedef struct tu_signal {
    lathe_format fmt;   /* rate, channels, frames */
    float *ch[LATHE_MAX_CHANNELS]; /* planar, malloc'd */
} tu_signal;

tu_signal tu_signal_new(uint32_t rate, uint32_t channels, uint64_t frames); /* zeroed */
void tu_signal_free(tu_signal *s);
/* Bit-exact equality: same rate, channels, frames and samples. */
int tu_signal_same(const tu_signal *a, const tu_signal *b);

/* Fills params with the table's defaults. */
void tu_params_default(const lathe_node_desc *d, void *params);

/* Runs desc on n_in inputs with the given params (NULL: defaults), cutting the input into blocks
 * of block_frames (0: 4096). Writes the output into *out (allocated here; free it with
 * tu_signal_free). Returns LATHE_OK or the node's error code; the node's message goes to err
 * (may be NULL). */
int tu_node_run(const lathe_node_desc *desc, const void *params, const tu_signal *in, int n_in,
                uint32_t block_frames, tu_signal *out, char *err, size_t err_size);
/* As tu_node_run, with the node's report ("key=value" lines; "error=..." on failure). */
int tu_node_run_report(const lathe_node_desc *desc, const void *params, const tu_signal *in,
                       int n_in, uint32_t block_frames, tu_signal *out, char *report,
                       size_t report_size);

/* Value of "key=value" in a node report, NAN when absent. */
double tu_report_number(const char *report, const char *key);

/* Looks a node type up in the registry by name (NULL if absent). */
const lathe_node_desc *tu_node(const char *name);

#endif
