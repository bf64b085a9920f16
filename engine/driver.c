/* lathe_render: plan, decide what the cache already holds, materialise what barrier nodes need
 * (each barrier input rendered once, its analysis cached as a small entry), then one streaming
 * pass for every output that is not already up to date. */
#define _XOPEN_SOURCE 700
#include "graph_int.h"

#include "analyze_output.h"
#include "explain.h"
#include "output_copy.h"
#include "pool.h"
#include "progress.h"
#include "stream.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

lathe_render_config lathe_render_config_default(void)
{
    lathe_render_config c = {.threads = 1};
    return c;
}

static int entry_exists(lathe_cache *cache, lathe_key key)
{
    lathe_cache_reader *r;
    if (lathe_cache_reader_open(cache, key, &r) != LATHE_OK)
        return 0;
    lathe_cache_reader_free(r);
    return 1;
}

static lathe_key analysis_key(lathe_key node_key)
{
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "analysis");
    lathe_key_builder_add_key(&kb, node_key);
    return lathe_key_builder_finish(&kb);
}

/* The key of a barrier's input memos: its type and version and its inputs' keys. */
static lathe_key input_memo_key(const lathe_graph *g, const graph_node *n)
{
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, n->desc->name);
    lathe_key_builder_add_u64(&kb, n->desc->version);
    for (int k = 0; k < n->n_inputs; k++)
        lathe_key_builder_add_key(&kb, g->nodes[lathe_plan_resolve(g, n->inputs[k])].key);
    return lathe_key_builder_finish(&kb);
}

/* Per input: the node's type and version and that input's key alone. */
static void input_memo_keys(const lathe_graph *g, const graph_node *n, lathe_key *keys)
{
    for (int k = 0; k < n->n_inputs; k++) {
        lathe_key_builder kb;
        lathe_key_builder_init(&kb);
        lathe_key_builder_add_str(&kb, n->desc->name);
        lathe_key_builder_add_u64(&kb, n->desc->version);
        lathe_key_builder_add_key(&kb, g->nodes[lathe_plan_resolve(g, n->inputs[k])].key);
        keys[k] = lathe_key_builder_finish(&kb);
    }
}

static int open_input_stream(lathe_graph *g, lathe_cache *cache, int src, lathe_stream **out)
{
    const graph_node *s = &g->nodes[src];
    char err[LATHE_ERR_MAX + 64];
    if (s->kind == NODE_SOURCE && !s->cached) {
        int rc = lathe_stream_file_new(s->path, out, err, sizeof err);
        return rc == LATHE_OK ? rc : lathe_graph_fail(g, -1, rc, "%s", err);
    }
    lathe_cache_reader *r;
    if (lathe_cache_reader_open(cache, s->key, &r) != LATHE_OK)
        return lathe_graph_fail(g, src, LATHE_ERR_IO, "materialised output missing from the cache");
    return lathe_stream_cache_new(r, out);
}

/* A barrier whose trial pass became its output does not run in the main pass: its report
 * (the gain it found, say) comes from a prepare with the analysis. */
static void report_from_analysis(lathe_graph *g, graph_node *n, lathe_stream *const *streams)
{
    lathe_format in[LATHE_MAX_INPUTS];
    lathe_runner r;
    if (!n->desc->report)
        return;
    for (int k = 0; k < n->n_inputs; k++)
        in[k] = g->nodes[lathe_plan_resolve(g, n->inputs[k])].fmt;
    if (lathe_runner_prepare(&r, n->desc, n->params, in, n->n_inputs, 1, 0, n->analysis,
                             n->n_analysis, streams) == LATHE_OK) {
        lathe_runner_collect_report(&r);
        if (r.report.text) {
            lathe_dealloc(n->report);
            n->report = lathe_strdup(r.report.text);
        }
    }
    lathe_runner_release(&r);
}

/* Analyses barrier id, its output to the cache or, with sink >= 0, to that output's file (sets
 * *written when the file is committed). */
static int analyse_barrier(lathe_graph *g, lathe_cache *cache, int id,
                           const lathe_render_config *cfg, int sink, char *written)
{
    graph_node *n = &g->nodes[id];
    lathe_key ak = analysis_key(n->key);
    size_t len;
    if (lathe_cache_get_blob(cache, ak, n->analysis, sizeof n->analysis, &len) == LATHE_OK
        && len % sizeof(double) == 0) {
        n->n_analysis = (int)(len / sizeof(double));
        n->analysed = 1;
        return LATHE_OK;
    }
    lathe_stream *streams[LATHE_MAX_INPUTS] = {0};
    int rc = LATHE_OK;
    for (int k = 0; k < n->n_inputs && rc == LATHE_OK; k++)
        rc = open_input_stream(g, cache, lathe_plan_resolve(g, n->inputs[k]), &streams[k]);
    if (rc == LATHE_OK) {
        char err[LATHE_ERR_MAX];
        lathe_analyze_output out; /* a trial pass that is the output spares the main pass */
        lathe_analyze_output_init(&out, cache, n->key, &n->fmt, n->desc->version,
                                  input_memo_key(g, n));
        if (sink >= 0)
            lathe_analyze_output_take_sink(&out, g, sink, cfg->threads, cfg->tap);
        lathe_key per_input[LATHE_MAX_INPUTS];
        input_memo_keys(g, n, per_input);
        out.input_memo_keys = per_input;
        out.n_inputs = n->n_inputs;
        double cpu_s = 0.0;
        lathe_progress_phase(cfg->progress, "analysing");
        rc = lathe_runner_analyze(n->desc, n->params, cfg->threads, streams, n->n_inputs,
                                  n->analysis, &n->n_analysis, &out, &cpu_s, err, sizeof err);
        n->time_s += cpu_s; /* measuring is this node's work too */
        if (rc != LATHE_OK)
            lathe_graph_fail(g, id, rc, "%s", err);
        int taken = lathe_analyze_output_finish(&out, rc == LATHE_OK);
        if (rc == LATHE_OK && out.sink_rc != LATHE_OK)
            rc = out.sink_rc; /* the file's error is the graph's already */
        *written = (taken & LATHE_ANALYZE_WRITTEN) != 0;
        if (taken) {
            n->cached = (taken & LATHE_ANALYZE_CACHED) != 0; /* the main pass reads it */
            n->ran = 1;
            __atomic_fetch_add(&g->stats.nodes_run, 1, __ATOMIC_RELAXED);
            size_t used = strlen(n->why);
            snprintf(n->why + used, sizeof n->why - used, " (rendered while analysing)");
            report_from_analysis(g, n, streams);
        }
    }
    for (int k = 0; k < n->n_inputs; k++)
        lathe_stream_free(streams[k]);
    if (rc != LATHE_OK)
        return rc;
    n->analysed = 1;
    lathe_cache_put_blob(cache, ak, n->analysis, sizeof(double) * (size_t)n->n_analysis);
    return LATHE_OK;
}

/* True when the not-yet-cached part of the graph above node id holds a barrier whose
 * analysis is still to be done: such a node can only be materialised in a later wave. */
static int waits_for_barrier(const lathe_graph *g, int id)
{
    id = lathe_plan_resolve(g, id);
    const graph_node *n = &g->nodes[id];
    if (n->cached || n->kind == NODE_SOURCE)
        return 0;
    if (n->desc->flags & LATHE_NODE_BARRIER)
        return !n->analysed;
    for (int k = 0; k < n->n_inputs; k++)
        if (waits_for_barrier(g, n->inputs[k]))
            return 1;
    return 0;
}

typedef struct wave {
    int *mat, n_mat;         /* barrier inputs to materialise now */
    int *ana, n_ana;         /* barriers whose inputs are all cached: analyse now */
    char *seen;              /* visited by collect() */
    char *queued;            /* already in mat */
} wave;

/* Collects, from the outputs still to render, the work that can start now. */
static void collect(lathe_graph *g, int id, wave *w)
{
    id = lathe_plan_resolve(g, id);
    graph_node *n = &g->nodes[id];
    if (w->seen[id] || n->cached || n->kind == NODE_SOURCE)
        return;
    w->seen[id] = 1;
    if (!(n->desc->flags & LATHE_NODE_BARRIER) || n->analysed) {
        for (int k = 0; k < n->n_inputs; k++)
            collect(g, n->inputs[k], w);
        return;
    }
    int ready = 1;
    for (int k = 0; k < n->n_inputs; k++) {
        int src = lathe_plan_resolve(g, n->inputs[k]);
        graph_node *s = &g->nodes[src];
        if (s->cached || s->kind == NODE_SOURCE)
            continue;
        ready = 0;
        if (waits_for_barrier(g, src)) {
            collect(g, src, w);
        } else if (!w->queued[src]) {
            w->queued[src] = 1;
            w->mat[w->n_mat++] = src;
        }
    }
    if (ready)
        w->ana[w->n_ana++] = id;
}

typedef struct job_ctx {
    lathe_graph *g;
    lathe_render_config cfg;
    lathe_cache *cache;
    wave *w;
    int *rcs;
    const int *sinks; /* outputs that ride along the lone materialisation (see below) */
    int n_sinks;
    const int *todo; /* the outputs to render, and those already written (prepare_barriers) */
    int n_todo;
    char *done_sinks;
} job_ctx;

static void materialise_task(void *ud, int t)
{
    job_ctx *j = ud;
    int node = j->w->mat[t];
    j->g->nodes[node].store = 1;
    j->rcs[t] = lathe_render_pass(j->g, &j->cfg, j->cache, j->sinks, j->n_sinks, &node, 1);
}

static void analyse_task(void *ud, int t)
{
    job_ctx *j = ud;
    int id = j->w->ana[t], take = -1;
    char unused = 0, *written = &unused;
    /* An output that alone reads the node takes the node's output as it is rendered. */
    for (int s = 0; s < j->n_todo && j->g->nodes[id].n_consumers == 1; s++)
        if (!j->done_sinks[s] && lathe_plan_resolve(j->g, j->g->sinks[j->todo[s]].node) == id) {
            take = j->todo[s];
            written = &j->done_sinks[s];
        }
    j->rcs[t] = analyse_barrier(j->g, j->cache, id, &j->cfg, take, written);
}

/* Every barrier the outputs depend on gets its inputs into the cache and its analysis done, in
 * waves: independent materialisations (an album's tracks) and analyses run in parallel. A pass
 * on its own gets all threads; several share them one each. Results do not depend on this.
 * The outputs in todo[] that wait for no barrier (the CD, vinyl and hi-res branches beside a
 * loudness-targeted streaming branch) ride along a lone materialisation: they read the shared
 * part as it is produced, not again from the cache after it, and their encoding and measuring
 * fill the threads the analyses would leave idle. Each one rendered gets done_sinks[] set (by
 * its index in todo[]): the main pass leaves it. */
static int prepare_barriers(lathe_graph *g, const lathe_render_config *cfg, lathe_cache *cache,
                            const int *todo, int n_todo, char *done_sinks)
{
    wave w = {0};
    job_ctx j = {.g = g, .cfg = *cfg, .cache = cache, .w = &w, .todo = todo, .n_todo = n_todo,
                 .done_sinks = done_sinks};
    lathe_pool *pool = NULL;
    int rc = LATHE_ERR_NOMEM, *ride = lathe_calloc((size_t)n_todo + 1, sizeof *ride);
    w.mat = lathe_calloc((size_t)g->n_nodes, sizeof *w.mat);
    w.ana = lathe_calloc((size_t)g->n_nodes, sizeof *w.ana);
    w.seen = lathe_calloc((size_t)g->n_nodes, 1);
    w.queued = lathe_calloc((size_t)g->n_nodes, 1);
    j.rcs = lathe_calloc((size_t)g->n_nodes, sizeof *j.rcs);
    if (!ride || !w.mat || !w.ana || !w.seen || !w.queued || !j.rcs ||
        lathe_pool_new(cfg->threads, &pool) != LATHE_OK)
        goto done;
    for (;;) {
        w.n_mat = w.n_ana = 0;
        memset(w.seen, 0, (size_t)g->n_nodes);
        memset(w.queued, 0, (size_t)g->n_nodes);
        for (int s = 0; s < n_todo; s++)
            if (!done_sinks[s])
                collect(g, g->sinks[todo[s]].node, &w);
        if (!w.n_mat && !w.n_ana) {
            rc = LATHE_OK;
            break;
        }
        j.n_sinks = 0;
        for (int s = 0; w.n_mat == 1 && s < n_todo; s++)
            if (!done_sinks[s] && !waits_for_barrier(g, g->sinks[todo[s]].node))
                ride[j.n_sinks++] = todo[s];
        j.sinks = ride;
        j.cfg.threads = w.n_mat > 1 ? 1 : cfg->threads;
        lathe_pool_run(pool, w.n_mat, materialise_task, &j);
        for (int t = 0; t < w.n_mat; t++)
            if ((rc = j.rcs[t]) != LATHE_OK)
                goto done;
        for (int s = 0; s < n_todo; s++)
            for (int r = 0; r < j.n_sinks; r++)
                done_sinks[s] |= todo[s] == ride[r];
        for (int t = 0; t < w.n_mat; t++)
            g->nodes[w.mat[t]].cached = 1;
        j.cfg.threads = w.n_ana > 1 ? 1 : cfg->threads;
        lathe_pool_run(pool, w.n_ana, analyse_task, &j);
        for (int t = 0; t < w.n_ana; t++)
            if ((rc = j.rcs[t]) != LATHE_OK)
                goto done;
    }
done:
    lathe_pool_free(pool);
    lathe_dealloc(ride);
    lathe_dealloc(w.mat);
    lathe_dealloc(w.ana);
    lathe_dealloc(w.seen);
    lathe_dealloc(w.queued);
    lathe_dealloc(j.rcs);
    return rc;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int output_up_to_date(lathe_cache *cache, graph_sink *s)
{
    char abs[PATH_MAX];
    struct stat st;
    lathe_key key;
    uint64_t size;
    int64_t mtime;
    if (!realpath(s->path, abs) || stat(abs, &st) != 0)
        return 0;
    if (lathe_cache_get_output_record(cache, abs, &key, &size, &mtime) != LATHE_OK)
        return 0;
    if (!lathe_key_equal(key, s->key) || size != (uint64_t)st.st_size || mtime != mtime_ns(&st))
        return 0;
    /* Size and mtime can be put back by hand after an edit; the bytes cannot, nor the change
     * time the file-key memo is kept under (cache.h): the file is read once after it settles,
     * then left unread while nothing touches it. */
    return lathe_output_noted_intact(cache, s->key, abs) != 0;
}

/* note: also leave the file's content note (output_copy.h); a copy has joined it already. The
 * note first: it stamps the file's mtime (lathe_cache_file_key_written), which the record
 * keeps. */
static void record_output(lathe_cache *cache, graph_sink *s, int note)
{
    char abs[PATH_MAX];
    struct stat st;
    lathe_key content;
    if (!realpath(s->path, abs))
        return;
    if (note && lathe_output_note_written(cache, s->key, abs, &content) == 0)
        lathe_key_to_hex(content, s->result.content_key);
    if (stat(abs, &st) == 0)
        lathe_cache_put_output_record(cache, abs, s->key, (uint64_t)st.st_size, mtime_ns(&st));
}

/* An output of a key some earlier run wrote elsewhere (masters/v1 when rendering masters/v2),
 * whose file is still there untouched, is copied instead of rendered: its nodes need not run. */
static int copy_from_earlier(lathe_cache *cache, graph_sink *s, int dry_run)
{
    char from[PATH_MAX];
    if (!lathe_output_copy_noted(cache, s->key, s->path, dry_run, from, sizeof from))
        return 0;
    s->copied_from = lathe_strdup(from);
    s->result.copied_from = s->copied_from; /* NULL if out of memory: then reported as written */
    if (!dry_run)
        record_output(cache, s, 0);
    return 1;
}

/* The copies of a render run on a thread of their own beside its nodes: they are I/O (a copy
 * in the kernel, then a hash of what was written), and in a tweak rendered into a new folder they
 * were a fifth of the run. Each was checked before (its source's bytes, through the file-key
 * memo); one that fails all the same (its source edited or removed meanwhile, say by another
 * render sharing the cache) leaves its destination untouched and is rendered after. */
typedef struct copy_batch {
    lathe_cache *cache;
    graph_sink **sinks;
    char *ok;
    int n, dry_run, started;
    pthread_t thread;
} copy_batch;

static void *copy_batch_run(void *arg)
{
    copy_batch *b = arg;
    for (int i = 0; i < b->n; i++)
        b->ok[i] = (char)copy_from_earlier(b->cache, b->sinks[i], b->dry_run);
    return NULL;
}

static void copy_batch_start(copy_batch *b)
{
    b->started = b->n > 0 && pthread_create(&b->thread, NULL, copy_batch_run, b) == 0;
    if (b->n > 0 && !b->started)
        copy_batch_run(b);
}

/* Waits for the copies, then writes the checksum files they name (here, on this thread: a file
 * several outputs name lists them all, once every one of them is there, and the render's own
 * outputs write theirs as they finish). Appends the sinks of the copies that failed to todo, a
 * copy whose checksum file cannot be written too (rendered, it fails the same way, and says so);
 * returns how many. */
static int copy_batch_finish(copy_batch *b, lathe_graph *g, int *todo)
{
    int failed = 0;
    char err[LATHE_ERR_MAX + 64];
    if (b->started)
        pthread_join(b->thread, NULL);
    b->started = 0;
    for (int i = 0; i < b->n; i++) {
        graph_sink *s = b->sinks[i];
        int written = 0; /* by an earlier copy naming the same file: each file hashed once */
        for (int k = 0; k < i && s->md5 && !written; k++)
            written = b->ok[k] && b->sinks[k]->md5 && strcmp(b->sinks[k]->md5, s->md5) == 0;
        if (b->ok[i] && !b->dry_run && s->md5 && !written &&
            lathe_graph_write_sums(g, s->md5, err, sizeof err) != 0) {
            b->ok[i] = 0;
            lathe_dealloc(s->copied_from);
            s->copied_from = NULL;
            s->result.copied_from = NULL;
        }
        if (b->ok[i])
            g->stats.outputs_copied++;
        else
            todo[failed++] = (int)(s - g->sinks);
    }
    return failed;
}

/* Without a cache, materialised inputs still need a home: a private cache in a temporary
 * folder, removed at the end. One mechanism for both cases. */
static int open_spill(const lathe_render_config *cfg, char *dir, size_t size, lathe_cache **out,
                      lathe_graph *g)
{
    const char *t = cfg->tmp_dir ? cfg->tmp_dir : getenv("TMPDIR");
    snprintf(dir, size, "%s/lathe-spill-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        return lathe_graph_fail(g, -1, LATHE_ERR_IO, "%s: cannot create a temporary folder", dir);
    char err[LATHE_ERR_MAX];
    int rc = lathe_cache_open(dir, UINT64_MAX, out, err, sizeof err);
    if (rc == LATHE_OK)
        return rc;
    lathe_cache_remove(dir); /* whatever the open had made of it */
    return lathe_graph_fail(g, -1, rc, "%s", err);
}

static void choose_stored(lathe_graph *g)
{
    /* Branch points are stored: a tweak in one branch then re-reads the shared part instead of
     * recomputing it. Barrier inputs are stored when they are materialised. */
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        n->store = n->kind == NODE_DSP && n->alias < 0 && n->n_consumers > 1 && !n->unrepeatable;
    }
}

/* Marks what the outputs to render need: a node is looked up in the cache (cache non-NULL) only
 * when something to render reads it, and the nodes above one found there are not needed. An
 * output left alone or copied costs no look-up (on a shared cache, no download) at all. */
static void mark_needed(lathe_graph *g, lathe_cache *cache, int id, char *needed, char mark)
{
    id = lathe_plan_resolve(g, id);
    graph_node *n = &g->nodes[id];
    if (needed[id])
        return;
    needed[id] = mark;
    n->cached = cache && n->kind == NODE_DSP && n->alias < 0 && entry_exists(cache, n->key);
    if (!n->cached)
        for (int k = 0; k < n->n_inputs; k++)
            mark_needed(g, cache, n->inputs[k], needed, mark);
}

static void init_results(lathe_graph *g)
{
    for (int s = 0; s < g->n_sinks; s++) {
        graph_sink *sk = &g->sinks[s];
        const char *dot = strrchr(sk->path, '.');
        sk->result = (lathe_output_result){
            .path = sk->path, .deliverable = sk->deliverable, .bits = sk->bits,
            .bitrate_kbps = sk->bitrate_kbps,
            .fmt = g->nodes[lathe_plan_resolve(g, sk->node)].fmt,
            .format = sk->format ? sk->format : dot ? dot + 1 : "",
        };
        lathe_key_to_hex(sk->key, sk->result.key);
    }
}

/* Renders the outputs todo[0 .. n_todo): marks the nodes they need in `needed` as `round`
 * (round 1 plans every node; a later round, for copies that failed, only those it adds), says
 * why each runs or not, materialises barrier inputs, then one streaming pass. done_early[s]:
 * output todo[s] was written by a materialisation. */
static int render_outputs(lathe_graph *g, const lathe_render_config *cfg, lathe_cache *cache,
                          const int *todo, int n_todo, char *needed, char round, char *done_early)
{
    int *rest = lathe_calloc((size_t)n_todo + 1, sizeof *rest), n_rest = 0, rc = LATHE_OK;
    if (!rest)
        return LATHE_ERR_NOMEM;
    for (int i = 0; round == 1 && i < g->n_nodes; i++)
        g->nodes[i].cached = 0;
    for (int s = 0; s < n_todo; s++)
        mark_needed(g, cfg->cache ? cache : NULL, g->sinks[todo[s]].node, needed, round);
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        if (round > 1 && needed[i] != round)
            continue;
        n->ran = 0;
        n->why[0] = 0;
        if (n->kind == NODE_SOURCE)
            snprintf(n->why, sizeof n->why, "file");
        else if (n->alias >= 0 || n->cached)
            snprintf(n->why, sizeof n->why, "%s", n->alias >= 0 ? "no-op for its input" : "in the cache");
        else if (!needed[i])
            snprintf(n->why, sizeof n->why,
                     "not run: every output it feeds is up to date or copied");
        else if (n->unrepeatable)
            snprintf(n->why, sizeof n->why, "%s", n->unrepeatable & 2
                     ? "not reproducible (two runs differ): never cached"
                     : "reads a not reproducible node: never cached");
        else if (cfg->cache)
            lathe_explain_why(g, cache, i, n->why, sizeof n->why);
        else
            snprintf(n->why, sizeof n->why, "rendered without a cache");
    }
    if (!cfg->dry_run)
        rc = prepare_barriers(g, cfg, cache, todo, n_todo, done_early);
    for (int s = 0; s < n_todo; s++) /* the outputs no materialisation took along, in order */
        if (!done_early[s])
            rest[n_rest++] = todo[s];
    if (rc == LATHE_OK && n_rest && !cfg->dry_run)
        rc = lathe_render_pass(g, cfg, cache, rest, n_rest, NULL, 0);
    lathe_dealloc(rest);
    return rc;
}

int lathe_render(lathe_graph *g, const lathe_render_config *cfg)
{
    char spill_dir[4096] = "";
    lathe_cache *cache = cfg->cache;
    int *todo = NULL, n_todo = 0, rc;
    char *needed = NULL, *done_early = NULL, from[PATH_MAX];
    copy_batch copies = {.cache = cache, .dry_run = cfg->dry_run};
    memset(&g->stats, 0, sizeof g->stats);
    if (!cache && (rc = open_spill(cfg, spill_dir, sizeof spill_dir, &cache, g)) != LATHE_OK)
        return rc;
    if ((rc = lathe_plan(g, cache)) != LATHE_OK)
        goto done;
    choose_stored(g);
    todo = lathe_calloc((size_t)g->n_sinks + 1, sizeof *todo);
    done_early = lathe_calloc((size_t)g->n_sinks + 1, 1);
    needed = lathe_calloc((size_t)g->n_nodes + 1, 1);
    copies.sinks = lathe_calloc((size_t)g->n_sinks + 1, sizeof *copies.sinks);
    copies.ok = lathe_calloc((size_t)g->n_sinks + 1, 1);
    rc = LATHE_ERR_NOMEM;
    if (!todo || !done_early || !needed || !copies.sinks || !copies.ok)
        goto done;
    init_results(g);
    for (int s = 0; s < g->n_sinks; s++) {
        lathe_dealloc(g->sinks[s].copied_from);
        g->sinks[s].copied_from = NULL;
        if (cfg->cache && output_up_to_date(cache, &g->sinks[s]))
            g->sinks[s].result.skipped = 1;
        else if (cfg->cache && lathe_output_copy_noted(cache, g->sinks[s].key, g->sinks[s].path,
                                                       1, from, sizeof from))
            copies.sinks[copies.n++] = &g->sinks[s];
        else
            todo[n_todo++] = s;
    }
    copy_batch_start(&copies);
    rc = render_outputs(g, cfg, cache, todo, n_todo, needed, 1, done_early);
    int n_failed = copy_batch_finish(&copies, g, todo + n_todo);
    if (rc == LATHE_OK && n_failed)
        rc = render_outputs(g, cfg, cache, todo + n_todo, n_failed, needed, 2,
                            done_early + n_todo);
    n_todo += n_failed;
    if (rc == LATHE_OK && !cfg->dry_run)
        rc = lathe_graph_write_texts(g);
    /* An output written whole stays recorded as such even when a later one fails. */
    for (int s = 0; cfg->cache && !cfg->dry_run && s < n_todo; s++)
        if (rc == LATHE_OK || done_early[s])
            record_output(cache, &g->sinks[todo[s]], 1);
    if (rc == LATHE_OK && cfg->cache && !cfg->dry_run)
        lathe_explain_record(g, cache);
done:
    if (cfg->cache) {
        const lathe_cache_stats stv = lathe_cache_get_stats(cache), *st = &stv;
        g->stats.cache_hits = st->hits;
        g->stats.cache_misses = st->misses;
        g->stats.bytes_read = st->bytes_read;
        g->stats.bytes_written = st->bytes_written;
    } else if (cache) {
        lathe_cache_free(cache);
        lathe_cache_remove(spill_dir);
    }
    lathe_dealloc(copies.sinks);
    lathe_dealloc(copies.ok);
    lathe_dealloc(todo);
    lathe_dealloc(done_early);
    lathe_dealloc(needed);
    if (rc != LATHE_OK && !g->err[0]) /* a bare NOMEM deep down still gets its one line */
        lathe_graph_fail(g, -1, rc, "%s", lathe_status_text(rc));
    return rc;
}
