/* analyze_output.h - what barrier nodes hand the engine while analysing (lathe_node.h): output
 * candidates written to the cache under the node's key, the kept one committed at the end, or,
 * when an output file takes the node's output alone, written to that file instead (see
 * lathe_analyze_output_take_sink); and memos of their inputs, small entries under a key of the
 * node type and its inputs' keys. */
#ifndef LATHE_ANALYZE_OUTPUT_H
#define LATHE_ANALYZE_OUTPUT_H

#include "cache/cache.h"
#include "cache/cache_key.h"
#include "lathe/lathe_node.h"
#include "render_sink.h"

typedef struct lathe_analyze_output {
    lathe_cache *cache;
    lathe_key key;
    lathe_format fmt;
    uint32_t node_version;
    lathe_cache_writer *current, *kept;
    uint64_t current_frames, kept_frames;
    int failed; /* a write failed: nothing is taken */
    lathe_key memo_key; /* node type + version + input keys (not parameters) */
    const lathe_key *input_memo_keys; /* per input: node type + version + that input's key */
    int n_inputs;
    /* the output file taking the candidates (lathe_analyze_output_take_sink) */
    lathe_graph *g;
    int sink, threads; /* sink -1: none */
    const lathe_output_tap *tap;
    pass_sink *current_sink, *kept_sink;
    int sink_rc; /* the first failure of the file's writer (its error is the graph's) */
} lathe_analyze_output;

void lathe_analyze_output_init(lathe_analyze_output *o, lathe_cache *cache, lathe_key key,
                               const lathe_format *fmt, uint32_t node_version, lathe_key memo_key);
/* The candidates go to graph sink `sink` (an output reading this node and nothing else does)
 * instead of the cache: each is written as the file and measured by the tap as it is rendered,
 * and the kept one is committed as the output. The node's output then costs no cache entry
 * written and read back, and no pass of its own after the analysis. */
void lathe_analyze_output_take_sink(lathe_analyze_output *o, lathe_graph *g, int sink,
                                    int threads, const lathe_output_tap *tap);
/* Commits the kept candidate when the analysis succeeded and the candidate is complete;
 * returns LATHE_ANALYZE_CACHED when the node's output is now in the cache,
 * LATHE_ANALYZE_WRITTEN when it is the sink's file, 0 when neither (o->sink_rc then says
 * whether the file failed). Always releases everything. */
#define LATHE_ANALYZE_CACHED 1
#define LATHE_ANALYZE_WRITTEN 2
int lathe_analyze_output_finish(lathe_analyze_output *o, int analysis_ok);

#endif
