/* lathe.h - the host API of lathe, a mastering engine: build a graph of DSP nodes, render every
 * output of it in one streaming pass, with intermediate results cached.
 *
 * Status codes are the LATHE_OK / LATHE_ERR_* values of lathe_node.h. Objects come back through
 * `T **out`, untouched on error; a graph keeps the last error message, naming the node (and the
 * script line that made it) and what was expected. */
#ifndef LATHE_H
#define LATHE_H

#include "lathe_node.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_VERSION_MAJOR 0
#define LATHE_VERSION_MINOR 1
#define LATHE_VERSION_PATCH 0

const char *lathe_version(void);
const char *lathe_status_text(int status);
/* Exit code of the command-line contract for a status: 0 ok, 1 spec, 2 usage/param, 3 I/O. */
int lathe_status_exit_code(int status);

/* Allocation hook: return 0 to make an allocation of `size` bytes fail (tests). */
typedef int lathe_alloc_fn(void *ud, size_t size);
void lathe_set_allocator(lathe_alloc_fn *fn, void *ud);
char *lathe_strdup(const char *s);

/* ---- Graph ----------------------------------------------------------------------------------- */

typedef struct lathe_graph lathe_graph;
typedef int lathe_node_id;
struct lathe_cache;

typedef struct lathe_output_config {
    int bits;              /* 16, 24 (integer) or 32 (float); 0: 24 (lossy formats: none) */
    const char *format;    /* "wav", "flac", "aiff", "mp3", "opus", "ogg"; NULL: the extension */
    int bitrate_kbps;      /* mp3, opus, ogg (Vorbis, nominal); 0: 320, 80 per channel, 256 */
    const char *deliverable; /* a name for reports ("streaming", "cd"); may be NULL */
    const char *const *tags; /* key, value, key, value, ..., NULL: metadata written to the file */
    const char *md5;       /* a checksum file written beside it ("<hex>  <name>"); may be NULL */
} lathe_output_config;

int lathe_graph_new(lathe_graph **out);
void lathe_graph_free(lathe_graph *g);
const char *lathe_graph_error(const lathe_graph *g);
/* Names the graph (the script's path): the cache then remembers each node's parameters between
 * runs and explains what changed. */
int lathe_graph_set_name(lathe_graph *g, const char *name);

/* `origin` ("script.lua:12") names where the node was made, for messages; may be NULL. */
int lathe_graph_add_source(lathe_graph *g, const char *path, const char *origin,
                           lathe_node_id *out);
/* Copies params (desc->params_size bytes), after checking every field against desc->params:
 * a value out of its range, an unknown choice or an overlong list is LATHE_ERR_PARAM. */
int lathe_graph_add_node(lathe_graph *g, const lathe_node_desc *desc, const void *params,
                         const lathe_node_id *inputs, int n_inputs, const char *origin,
                         lathe_node_id *out);
int lathe_graph_add_output(lathe_graph *g, lathe_node_id node, const char *path,
                           const lathe_output_config *cfg, const char *origin);
/* A text file written (atomically) when the render succeeds; `text` is copied. */
int lathe_graph_add_text_output(lathe_graph *g, const char *path, const char *text, size_t len,
                                const char *origin);
/* The stream format a node will produce (rate, channels, frames), known before rendering. */
int lathe_graph_node_format(lathe_graph *g, lathe_node_id id, lathe_format *out);
int lathe_graph_node_count(const lathe_graph *g);
/* Writes the graph as Graphviz DOT. */
int lathe_graph_write_dot(const lathe_graph *g, FILE *f);

/* ---- Render ---------------------------------------------------------------------------------- */

/* A tap on the outputs: the engine hands every frame it writes to the host, which measures it
 * (the program meters loudness, true peak and QC; the engine knows no meter). Called for the
 * outputs written this run, in output order; never for outputs left alone. */
typedef struct lathe_output_tap {
    void *ud;
    /* [main] Output i (lathe_graph_output_result index) is about to be written in fmt. Returns
     * LATHE_OK with *state set (may be NULL), or LATHE_ERR_NOMEM: the render then fails. */
    int (*open)(void *ud, int output, const lathe_format *fmt, void **state);
    /* [render] n frames as written, planar; block boundaries carry no meaning. */
    void (*write)(void *state, const float *const *ch, uint32_t n);
    /* [main] Output i is complete and committed (ok 1), or the render failed (ok 0): state is
     * the tap's to free either way. */
    void (*close)(void *ud, int output, void *state, int ok);
    /* [render] Optional (NULL: none). When the host meters the BS.1770 integrated loudness of
     * the frames written so far, sets *lufs to it and returns 1, else returns 0: a loudness
     * node writing this output reads it (lathe_analyze_output_loudness) instead of metering
     * the same frames a second time. */
    int (*loudness)(void *state, double *lufs);
} lathe_output_tap;

typedef struct lathe_render_config {
    int threads;               /* 1..; results never depend on it */
    struct lathe_cache *cache; /* NULL: no cache (materialised inputs spill to tmp_dir) */
    const char *tmp_dir;       /* for spills without a cache; NULL: $TMPDIR or /tmp */
    int progress;              /* draw a progress line on stderr */
    volatile int *cancel;      /* set non-zero (from a signal handler) to stop cleanly */
    int dry_run;               /* decide what would run (explain) without rendering */
    const lathe_output_tap *tap; /* NULL: outputs are written, not measured */
} lathe_render_config;

lathe_render_config lathe_render_config_default(void);

/* Renders every output of g. Results (per output and per node) are read back with the
 * lathe_graph_result_* functions below. */
int lathe_render(lathe_graph *g, const lathe_render_config *cfg);

typedef struct lathe_output_result {
    const char *path;        /* final path */
    const char *deliverable; /* NULL when none was named */
    const char *format;
    int bits;                /* 0 for lossy formats */
    int bitrate_kbps;        /* lossy formats: the bitrate asked for; else 0 */
    lathe_format fmt;
    uint64_t clipped;        /* samples clipped by the integer conversion */
    int skipped;             /* left alone: its recorded key matched */
    /* Not rendered but copied from this earlier file of the same key (absolute path, its bytes
     * checked against the hash noted when it was written); NULL when rendered or left alone. */
    const char *copied_from;
    char key[33];            /* hex cache key of the file's content (node key, format, tags) */
    /* hex XXH3-128 of the file's bytes as written, "" when they were not read back (no cache,
     * or copied): what lathe_cache_file_key() would return for the file */
    char content_key[33];
} lathe_output_result;

int lathe_graph_output_count(const lathe_graph *g);
const lathe_output_result *lathe_graph_output_result(const lathe_graph *g, int i);

typedef struct lathe_run_stats {
    uint64_t cache_hits, cache_misses, bytes_read, bytes_written;
    int nodes_run;           /* node instances processed this run */
    int outputs_copied;      /* outputs copied from an earlier file instead of rendered */
} lathe_run_stats;
const lathe_run_stats *lathe_graph_run_stats(const lathe_graph *g);

/* Per node: did it run, why, and its report ("key=value" lines). */
const char *lathe_graph_node_name(const lathe_graph *g, lathe_node_id id);
const char *lathe_graph_node_label(const lathe_graph *g, lathe_node_id id);
int lathe_graph_node_ran(const lathe_graph *g, lathe_node_id id);
const char *lathe_graph_node_why(const lathe_graph *g, lathe_node_id id);
const char *lathe_graph_node_report(const lathe_graph *g, lathe_node_id id);
/* The node's output level over time: mean square (all channels) per 100 ms window, from the
 * pass that computed it this run; *n is 0 when it was not computed (cached, no-op). */
const float *lathe_graph_node_energy(const lathe_graph *g, lathe_node_id id, size_t *n);
/* CPU seconds the node spent in process() (all passes that ran it; 0 if it did not run). */
double lathe_graph_node_time(const lathe_graph *g, lathe_node_id id);
/* The file a source node reads (NULL for other nodes); a node's inputs (returns the count,
 * *inputs borrowed from the graph); the node an output writes. For reports. */
const char *lathe_graph_node_source_path(const lathe_graph *g, lathe_node_id id);
int lathe_graph_node_inputs(const lathe_graph *g, lathe_node_id id, const lathe_node_id **inputs);
lathe_node_id lathe_graph_output_node(const lathe_graph *g, int i);
/* The deliverable output i names (NULL: none), known before rendering. */
const char *lathe_graph_output_deliverable(const lathe_graph *g, int i);
/* A number parameter of a node as set (NAN when the node has no such number): lets the
 * program reason about a chain (a limiter's ceiling before dither) without knowing its struct. */
double lathe_graph_node_number(const lathe_graph *g, lathe_node_id id, const char *param);

#ifdef __cplusplus
}
#endif
#endif
