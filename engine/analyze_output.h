/* analyze_output.h - what barrier nodes hand the engine while analysing (lathe_node.h): output
 * candidates written to the cache under the node's key, the kept one committed at the end; and
 * memos of their inputs, small entries under a key of the node type and its inputs' keys. */
#ifndef LATHE_ANALYZE_OUTPUT_H
#define LATHE_ANALYZE_OUTPUT_H

#include "cache/cache.h"
#include "cache/cache_key.h"
#include "lathe/lathe_node.h"

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
} lathe_analyze_output;

void lathe_analyze_output_init(lathe_analyze_output *o, lathe_cache *cache, lathe_key key,
                               const lathe_format *fmt, uint32_t node_version, lathe_key memo_key);
/* Commits the kept candidate when the analysis succeeded and the candidate is complete;
 * returns 1 when the node's output is now in the cache. Always releases everything. */
int lathe_analyze_output_finish(lathe_analyze_output *o, int analysis_ok);

#endif
