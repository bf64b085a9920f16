/* graph_int.h - the graph's insides, shared by graph.c (building, DOT, results), plan.c (formats,
 * keys, what must run) and render.c (the streaming passes). Never installed. */
#ifndef LATHE_GRAPH_INT_H
#define LATHE_GRAPH_INT_H

#include "cache/cache.h"
#include "cache/cache_key.h"
#include "lathe/lathe.h"
#include "runner.h"

#include <stdio.h>

enum node_kind { NODE_SOURCE, NODE_DSP };

typedef struct graph_node {
    enum node_kind kind;
    const lathe_node_desc *desc; /* NODE_DSP */
    void *params;
    char *path;                  /* NODE_SOURCE: resolved file path */
    /* NODE_SOURCE: the file as its key was made (device, inode, size, mtime, ctime in ns); a
     * render whose source no longer matches this stores and writes nothing. */
    uint64_t src_id[5];
    char *origin;                /* "script.lua:12" or NULL */
    int *inputs;
    int n_inputs;
    /* Planned (plan.c): */
    lathe_format fmt;            /* output format */
    uint32_t latency;
    lathe_key key;
    int alias;                   /* is_identity: this node is its input (index), else -1 */
    char identity[LATHE_STR_MAX]; /* what the node declared its output depends on (plugin) */
    int unrepeatable;            /* 2: its own output differs between runs; 1: an input's does */
    int n_consumers;             /* nodes and sinks reading this output */
    int cached;                  /* output available as a cache entry this run */
    int needed;                  /* must produce output in the current pass */
    int store;                   /* policy: write this output to the cache when computed */
    int ran;
    char why[256];
    char *report;                /* "key=value" lines after the run */
    double time_s;               /* CPU seconds in process() over this graph's passes */
    /* Mean square of the output over 100 ms windows (all channels), recorded as the node runs:
     * input minus output is the node's gain change over time, for the report. */
    float *energy;
    size_t n_energy, cap_energy;
    double energy_acc;
    uint32_t energy_fill, energy_window;
    double analysis[LATHE_ANALYSIS_MAX];
    int n_analysis, analysed;
} graph_node;

typedef struct graph_sink {
    int node;
    char *path, *format, *deliverable;
    char **tags;                 /* key, value, ..., NULL */
    char *md5;                   /* md5sum-style checksum file of the written file, or NULL */
    int bits, bitrate_kbps;
    lathe_key key;               /* of the file's content: node key + format + bits */
    char *copied_from;           /* this run copied it from an earlier file (output_copy.h) */
    lathe_output_result result;
} graph_sink;

/* A text file (CUE sheet, side sheet) written beside the audio when the render succeeds. */
typedef struct graph_text {
    char *path, *text;
    size_t len;
} graph_text;

struct lathe_graph {
    graph_node *nodes;
    int n_nodes, cap_nodes;
    graph_sink *sinks;
    int n_sinks, cap_sinks;
    graph_text *texts;
    int n_texts, cap_texts;
    char *name; /* the project (script path): node identities for explanations */
    char err[1024];
    lathe_run_stats stats;
    int planned;
    int n_format_planned; /* nodes whose format lathe_graph_node_format already knows */
};

/* Formats a message into g->err, prefixed with the node's name and origin. Returns rc. */
int lathe_graph_fail(lathe_graph *g, int node, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "gain" / "source" for messages. */
const char *lathe_graph_node_type(const lathe_graph *g, int node);

/* plan.c: formats, latencies and keys of every node, in order (inputs precede consumers). */
int lathe_plan(lathe_graph *g, lathe_cache *cache);
/* The node whose output a consumer actually reads (following aliases). */
int lathe_plan_resolve(const lathe_graph *g, int node);
/* A source file's identity now: device, inode, size, mtime and ctime in ns (zeros if gone). */
void lathe_plan_source_id(const char *path, uint64_t id[5]);
/* Writes the checksum file sum_path (graph.c): every output naming it, once all exist. */
int lathe_graph_write_sums(const lathe_graph *g, const char *sum_path, char *err, size_t err_size);

/* Writes the text outputs (temp file, then rename). */
int lathe_graph_write_texts(lathe_graph *g);

/* render.c: one streaming pass producing every sink with needed == 1 and every node with
 * store == 1 that is not cached yet. */
int lathe_render_pass(lathe_graph *g, const lathe_render_config *cfg, lathe_cache *cache,
                      const int *sinks, int n_sinks, const int *materialise, int n_mat);

#endif
