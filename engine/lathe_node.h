/* lathe_node.h - the node-author API: what a node type declares and what the engine gives it.
 *
 * A node type is data: one `static const lathe_node_desc` at the end of its file in nodes/,
 * listed once in nodes/registry.def. The engine validates, documents, binds to Lua and hashes
 * parameters from the descriptor's parameter table, so a node writes no parsing, binding or
 * hashing code of its own.
 *
 * Lifecycle (after LV2): prepare [main] -> reset [rt] -> process [rt]... -> release [main].
 * Everything that can fail happens in prepare; process and reset never allocate, lock or do I/O
 * (barrier nodes, below, are the one exception: they read the engine's materialised input).
 *
 * Streams between nodes are planar float32, one sample rate per edge. Recursive state should be
 * kept in double. A node's output must not depend on how its input is cut into blocks: the cache
 * and the thread count change block boundaries, and outputs must stay bit-identical.
 */
#ifndef LATHE_NODE_H
#define LATHE_NODE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_MAX_CHANNELS 8
#define LATHE_STR_MAX 256     /* bytes of a string parameter, terminator included */
#define LATHE_ERR_MAX 512
#define LATHE_ANALYSIS_MAX 256 /* doubles a barrier node may keep from its analysis */
#define LATHE_VARIADIC (-1)   /* n_inputs of a node taking any number of inputs (mix) */
#define LATHE_MAX_INPUTS 99   /* a variadic node's inputs at most: an album's tracks (Red Book) */

/* Status codes. Negative is failure. */
enum {
    LATHE_OK = 0,
    LATHE_ERR_NOMEM = -1,
    LATHE_ERR_PARAM = -2,  /* a parameter is invalid for this input (exit 2) */
    LATHE_ERR_FORMAT = -3, /* incompatible stream format: rate, channels (exit 2) */
    LATHE_ERR_IO = -4,     /* an input could not be read / an output written (exit 3) */
    LATHE_ERR_SPEC = -5,   /* a measured check failed (exit 1) */
    LATHE_ERR_CANCEL = -6, /* interrupted */
    LATHE_ERR_INTERNAL = -7
};

/* Format of one stream. `frames` is the stream's total length: every source knows it, so every
 * node knows its input's length in prepare (fades to the end need it). */
typedef struct lathe_format {
    uint32_t rate;
    uint32_t channels;
    uint64_t frames;
} lathe_format;

/* ---- Parameters ------------------------------------------------------------------------------ */

typedef enum lathe_param_type {
    LATHE_P_NUMBER,  /* double */
    LATHE_P_INT,     /* int */
    LATHE_P_BOOL,    /* int, 0 or 1 */
    LATHE_P_ENUM,    /* int: index into `choices`; Lua sees the string */
    LATHE_P_STRING,  /* char[LATHE_STR_MAX] */
    LATHE_P_NUMBERS, /* double[max_count] plus an int count at count_offset */
    LATHE_P_LIST,    /* struct[max_count] described by `fields`, plus an int count */
    LATHE_P_MAP      /* lathe_named_number[max_count] plus an int count: `{name = number, ...}`
                      * whose names the node itself checks in prepare (a hosted plugin's
                      * ports); kept sorted by name, so equal tables hash equally */
} lathe_param_type;

#define LATHE_NAME_MAX 64 /* bytes of a LATHE_P_MAP entry's name, terminator included */

typedef struct lathe_named_number {
    char name[LATHE_NAME_MAX];
    double value;
} lathe_named_number;

typedef struct lathe_param {
    const char *name; /* with its unit: gain_db, freq_hz, attack_ms */
    lathe_param_type type;
    size_t offset; /* offsetof() into the node's parameter struct (or list element) */
    double def, min, max; /* NUMBER/INT/BOOL default and inclusive range */
    const char *def_str;  /* ENUM/STRING default */
    const char *const *choices; /* ENUM: NULL-terminated */
    const char *help;           /* one line for `lathe help NODE` */
    /* NUMBERS and LIST */
    size_t count_offset;
    int max_count;
    const struct lathe_param *fields; /* LIST: element table, NULL-name terminated */
    size_t elem_size;                 /* LIST: sizeof one element */
} lathe_param;

/* Helpers for the tables. */
#define LATHE_NUMBER(s, f, d, lo, hi, h) \
    { .name = #f, .type = LATHE_P_NUMBER, .offset = offsetof(s, f), .def = d, .min = lo, .max = hi, .help = h }
#define LATHE_INT(s, f, d, lo, hi, h) \
    { .name = #f, .type = LATHE_P_INT, .offset = offsetof(s, f), .def = d, .min = lo, .max = hi, .help = h }
#define LATHE_BOOL(s, f, d, h) \
    { .name = #f, .type = LATHE_P_BOOL, .offset = offsetof(s, f), .def = d, .min = 0, .max = 1, .help = h }
#define LATHE_ENUM(s, f, dstr, ch, h) \
    { .name = #f, .type = LATHE_P_ENUM, .offset = offsetof(s, f), .def_str = dstr, .choices = ch, .help = h }
#define LATHE_STRING(s, f, dstr, h) \
    { .name = #f, .type = LATHE_P_STRING, .offset = offsetof(s, f), .def_str = dstr, .help = h }
#define LATHE_NUMBERS(s, f, n, lo, hi, h) \
    { .name = #f, .type = LATHE_P_NUMBERS, .offset = offsetof(s, f), .count_offset = offsetof(s, n_##f), \
      .max_count = (int)(sizeof(((s *)0)->f) / sizeof(double)), .min = lo, .max = hi, .help = h }
#define LATHE_LIST(s, f, tbl, h) \
    { .name = #f, .type = LATHE_P_LIST, .offset = offsetof(s, f), .count_offset = offsetof(s, n_##f), \
      .max_count = (int)(sizeof(((s *)0)->f) / sizeof(((s *)0)->f[0])), .fields = tbl, \
      .elem_size = sizeof(((s *)0)->f[0]), .help = h }
#define LATHE_MAP(s, f, h) \
    { .name = #f, .type = LATHE_P_MAP, .offset = offsetof(s, f), .count_offset = offsetof(s, n_##f), \
      .max_count = (int)(sizeof(((s *)0)->f) / sizeof(lathe_named_number)), .help = h }
#define LATHE_PARAM_END { .name = NULL }

/* ---- What the engine gives a node ------------------------------------------------------------ */

/* A materialised, re-readable input of a barrier node (engine-owned). */
typedef struct lathe_stream lathe_stream;
/* Reads up to max frames into planar buffers (one per channel); returns frames read, 0 at end,
 * negative on an I/O error. */
long lathe_stream_read(lathe_stream *s, float *const *bufs, uint32_t max);
int lathe_stream_rewind(lathe_stream *s);
/* The next read starts at frame (at most the stream's frames): LATHE_OK, else an error. */
int lathe_stream_seek(lathe_stream *s, uint64_t frame);
const lathe_format *lathe_stream_format(const lathe_stream *s);

typedef struct lathe_prepare_ctx {
    const void *params;      /* the node's validated parameter struct */
    const lathe_format *in;  /* n_in formats */
    int n_in;
    uint32_t max_frames;     /* largest n_in a process call will see */
    uint64_t seed;           /* derived from the node's cache key: stable across re-renders */
    const double *analysis;  /* barrier nodes: what analyze() stored (n_analysis doubles) */
    int n_analysis;
    /* Set by the node (the engine presets out = in[0], max_out_frames = max_frames): */
    lathe_format out;
    uint32_t max_out_frames; /* largest n_out a process call may produce */
    uint32_t latency;        /* output frames of delay; the engine trims them and flushes the tail */
    char err[LATHE_ERR_MAX]; /* message on failure, without the node's name */
    /* What the output depends on beyond the parameters and inputs (a hosted plugin's version
     * and the hash of its binary): hashed into the node's cache key. Empty for native nodes. */
    char identity[LATHE_STR_MAX];
    /* Set when the same input gives a different output from run to run: the node's output
     * (and everything computed from it) is then never stored in nor served from the cache. */
    int not_reproducible;
} lathe_prepare_ctx;

typedef struct lathe_block {
    const float *const *const *in; /* in[input][channel], n_in frames each (not for barriers) */
    uint32_t n_in;
    lathe_stream *const *streams;   /* barrier nodes: their materialised inputs, to pull from */
    float *const *out;              /* out[channel], max_out_frames each */
    uint32_t n_out;                 /* preset to n_in; rate-changing and barrier nodes set it */
} lathe_block;

/* A barrier node's whole-input analysis: read the inputs (rewinding as often as needed) and
 * store at most LATHE_ANALYSIS_MAX doubles in `result`; the engine caches them and hands them
 * to prepare as ctx->analysis. Returns LATHE_OK or an error with a message in err. */
typedef struct lathe_analyze_ctx {
    const void *params;
    lathe_stream *const *streams;
    int n_in;
    double result[LATHE_ANALYSIS_MAX];
    int n_result;
    char err[LATHE_ERR_MAX];
    struct lathe_analyze_output *output; /* engine-owned; NULL when outputs are not taken */
    int threads; /* threads this analysis may keep busy, its own included (>= 1); the results
                  * must not depend on it */
} lathe_analyze_ctx;

/* A barrier whose trial pass renders exactly what process() would produce (latency trimmed,
 * out.frames long) may hand that output to the engine, which then stores it as the node's
 * output (or, when one output file alone reads the node, writes it as that file) and skips the
 * node in the main pass. begin() starts a candidate, write() appends to
 * it, keep() makes the current candidate the output (replacing an earlier kept one). All are
 * no-ops when ctx->output is NULL. */
void lathe_analyze_output_begin(lathe_analyze_ctx *ctx);
void lathe_analyze_output_write(lathe_analyze_ctx *ctx, const float *const *y, uint32_t n);
void lathe_analyze_output_keep(lathe_analyze_ctx *ctx);
/* When the current candidate is an output file whose host meters its BS.1770 integrated
 * loudness as it is written (lathe_output_tap's loudness): returns 1 and sets *lufs to that
 * of the frames written so far; else returns 0. Asked after begin(), it tells whether the node
 * may leave the candidate's loudness to the host; after the last write(), it gives it. */
int lathe_analyze_output_loudness(lathe_analyze_ctx *ctx, double *lufs);

/* What a barrier measures of its inputs alone, whatever its parameters (the input's loudness,
 * say), may be kept for later runs that change only parameters. remember() stores n bytes (at
 * most 1 MiB) under `tag` for these inputs, this node type and version; recall() copies them
 * into buf and returns their size, or 0 when there is none (or it is larger than cap). Both are
 * no-ops when ctx->output is NULL. A recalled memo must give the same result as measuring. */
size_t lathe_analyze_recall(lathe_analyze_ctx *ctx, const char *tag, void *buf, size_t cap);
void lathe_analyze_remember(lathe_analyze_ctx *ctx, const char *tag, const void *data, size_t n);
/* The same for what is measured of one input alone (`input` counts from 0): the memo is keyed
 * by that input's key, this node type and version and `tag` (which should name the measuring
 * parameters), so every node of this type fed the same programme (a reference track shared by
 * ten renders) finds it. */
size_t lathe_analyze_recall_input(lathe_analyze_ctx *ctx, int input, const char *tag, void *buf,
                                  size_t cap);
void lathe_analyze_remember_input(lathe_analyze_ctx *ctx, int input, const char *tag,
                                  const void *data, size_t n);

/* A memo too large for remember() (a detector's peaks, one float per frame): frames of
 * `channels` floats under `tag`, for these inputs, this node type and version. create() starts
 * one (NULL when ctx->output is NULL or the cache cannot write), append() adds frames (LATHE_OK
 * or an error, after which finish() drops it), finish(m, 1) stores it whole, finish(m, 0) drops
 * it. open() finds one of exactly these channels and frames (NULL when there is none), read()
 * fills the next n frames (LATHE_OK, or an error when fewer were there), seek() moves to a
 * frame (LATHE_OK, or an error past the end), close() ends. Entries
 * of one tag are taken to be identical (the first stored stays): put in the tag whatever the
 * values depend on beyond the inputs. */
typedef struct lathe_analyze_memo lathe_analyze_memo;
lathe_analyze_memo *lathe_analyze_memo_create(lathe_analyze_ctx *ctx, const char *tag,
                                              uint32_t channels);
int lathe_analyze_memo_append(lathe_analyze_memo *m, const float *const *v, uint32_t n);
void lathe_analyze_memo_finish(lathe_analyze_memo *m, int keep);
lathe_analyze_memo *lathe_analyze_memo_open(lathe_analyze_ctx *ctx, const char *tag,
                                            uint32_t channels, uint64_t frames);
int lathe_analyze_memo_read(lathe_analyze_memo *m, float *const *v, uint32_t n);
int lathe_analyze_memo_seek(lathe_analyze_memo *m, uint64_t frame);
void lathe_analyze_memo_close(lathe_analyze_memo *m);

/* A report: key/value pairs a node exposes after a run (gain reduction, measured loudness). */
typedef struct lathe_report lathe_report;
void lathe_report_number(lathe_report *r, const char *key, double value);
void lathe_report_string(lathe_report *r, const char *key, const char *value);

enum {
    LATHE_NODE_GENERATOR = 1 << 0, /* no inputs; produces out.frames frames (set in prepare) */
    LATHE_NODE_BARRIER = 1 << 1,   /* needs its whole input first: analyze() then pull streams */
    LATHE_NODE_RATE = 1 << 2,      /* n_out may differ from n_in (resample) */
    LATHE_NODE_SINK = 1 << 3,      /* engine-internal sinks */
    LATHE_NODE_FOREIGN = 1 << 4    /* runs code lathe did not write (a hosted plugin): the engine
                                    * checks its output for NaN/Inf and fails the render */
};

typedef struct lathe_node_desc {
    const char *name;
    const char *summary;   /* one line for help and the README */
    uint32_t version;      /* bump whenever the output for the same input could change */
    int n_inputs;          /* 0 generators, 1 most, 2 sidechain, LATHE_VARIADIC */
    size_t params_size;
    const lathe_param *params; /* LATHE_PARAM_END terminated */
    size_t state_size;         /* zeroed by the engine before prepare */
    unsigned flags;
    /* [main] validate against the input formats, set out/latency, initialise state. The engine
     * also calls prepare (then release) while planning, to learn formats before anything runs:
     * a barrier node then sees ctx->analysis == NULL and must still succeed. */
    int (*prepare)(void *state, lathe_prepare_ctx *ctx);
    /* [rt] clear history so the next process starts a fresh stream. May be NULL. */
    void (*reset)(void *state);
    /* [rt] produce b->n_out frames; cannot fail. */
    void (*process)(void *state, lathe_block *b);
    /* [main] free what prepare allocated; also called after a failed prepare, so it frees
     * whatever is non-NULL. May be NULL. */
    void (*release)(void *state);
    /* [main] barriers only. */
    int (*analyze)(void *state, lathe_analyze_ctx *ctx);
    /* [main] after the pass: numbers for the run report. May be NULL. */
    void (*report)(void *state, lathe_report *r);
    /* [main] true when these parameters leave this input unchanged (gain 0 dB): the engine then
     * passes the input's cache key through. May be NULL. */
    int (*is_identity)(const void *params, const lathe_format *in);
    /* The name of a STRING parameter that names an audio file feeding the node's last input
     * (match's `reference`): the script binding opens it as source(path) would (script-relative,
     * read-only, keyed by the file's content), unless that input is given as a node. NULL: none. */
    const char *file_input;
} lathe_node_desc;

/* Memory for node state beyond state_size: allocate in prepare, free in release. One allocator
 * hook (lathe_set_allocator in lathe.h) lets tests fail the Nth allocation. */
void *lathe_alloc(size_t n);
void *lathe_calloc(size_t count, size_t size);
void *lathe_realloc(void *p, size_t n); /* NULL on failure, p still valid (as realloc) */
void lathe_dealloc(void *p);

/* A helper thread that runs one job at a time beside its owner (decoding ahead, encoding behind,
 * a meter's second half). run() waits for the previous job, then hands this one over and returns;
 * wait() returns once it is done. The job's data is the worker's until then. When no thread can
 * be made, run() does the job in place: slower, the same results. free() lets a job already
 * handed over finish. [main] for new and free; run and wait from the owner's thread. */
typedef struct lathe_worker lathe_worker;
int lathe_worker_new(lathe_worker **out); /* LATHE_OK or LATHE_ERR_NOMEM */
void lathe_worker_run(lathe_worker *w, void (*job)(void *arg), void *arg);
void lathe_worker_wait(lathe_worker *w);
void lathe_worker_free(lathe_worker *w);

/* "Did you mean": the candidate closest to name, or NULL when none is close (names a node checks
 * itself, such as a hosted plugin's port symbols). */
const char *lathe_suggest_name(const char *name, const char *const *candidates, int n);

static inline double lathe_db_to_gain(double db) { return pow(10.0, db / 20.0); }
static inline double lathe_gain_to_db(double g) { return 20.0 * log10(g); }

#ifdef __cplusplus
}
#endif
#endif
