/* runner.h - one node instance at work: prepare, feed blocks, trim the declared latency, flush
 * the tail with zeros, stop at the declared length. The scheduler drives one runner per node;
 * the node test harness drives one alone, so tests run nodes exactly as a render does. */
#ifndef LATHE_RUNNER_H
#define LATHE_RUNNER_H

#include "lathe/lathe_node.h"
#include "report.h"

struct lathe_analyze_output;

typedef struct lathe_runner {
    const lathe_node_desc *desc;
    void *state;
    lathe_prepare_ctx ctx;   /* after prepare: ctx.out, ctx.latency, ctx.max_out_frames */
    uint64_t produced;       /* frames the node produced, latency included */
    uint64_t emitted;        /* frames handed downstream (after the trim) */
    float *out[LATHE_MAX_CHANNELS];
    float *zeros;            /* max_frames zeros, fed for inputs that have ended */
    lathe_stream *const *streams; /* barrier inputs (borrowed) */
    int idle_flushes;        /* flush calls in a row that produced nothing */
    double cpu_s;            /* thread CPU time spent in process() */
    int prepared;
    lathe_report report;
} lathe_runner;

/* [main] Runs the barrier analysis of desc on streams (rewinds them afterwards), which may keep
 * up to `threads` threads busy. output (may be NULL) takes the output the node hands over while
 * analysing. *cpu_s (may be NULL) receives the calling thread's CPU time. */
int lathe_runner_analyze(const lathe_node_desc *desc, const void *params, int threads,
                         lathe_stream *const *streams, int n_in, double *result, int *n_result,
                         struct lathe_analyze_output *output, double *cpu_s, char *err,
                         size_t err_size);

/* [main] Allocates state and buffers and prepares the node. analysis may be NULL. On failure
 * the node's message is in r->ctx.err. */
int lathe_runner_prepare(lathe_runner *r, const lathe_node_desc *desc, const void *params,
                         const lathe_format *in, int n_in, uint32_t max_frames, uint64_t seed,
                         const double *analysis, int n_analysis, lathe_stream *const *streams);

/* [rt] Feeds one block: in[i] is input i's planar block of n_in frames, or NULL when input i
 * has ended (zeros are fed instead). Generators and barriers take n_in = 0. Returns the number
 * of frames ready downstream, planar in *out (valid until the next call). */
uint32_t lathe_runner_process(lathe_runner *r, const float *const *const *in, uint32_t n_in,
                              const float *out[LATHE_MAX_CHANNELS]);

/* True once the node has emitted its declared length. */
static inline int lathe_runner_done(const lathe_runner *r) { return r->emitted >= r->ctx.out.frames; }
/* [main] A flush that produces nothing repeatedly is a node bug: stop instead of spinning. */
static inline int lathe_runner_stuck(const lathe_runner *r) { return r->idle_flushes > 64; }

/* [main] Calls the node's report hook into r->report. */
void lathe_runner_collect_report(lathe_runner *r);
void lathe_runner_release(lathe_runner *r);

#endif
