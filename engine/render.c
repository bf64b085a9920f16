/* One streaming pass: sources (files, cache entries, generators, barriers pulling their
 * materialised inputs) are read block by block; every needed node runs once per round in index
 * (topological) order; fan-out reads the producer's FIFO in place; sinks write and measure
 * (render_sink.c); stored nodes are teed into the cache as they are produced. */
#define _POSIX_C_SOURCE 200809L
#include "graph_int.h"

#include "audio_io.h"
#include "fifo.h"
#include "params.h"
#include "pool.h"
#include "progress.h"
#include "render_sink.h"
#include "stream.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define BLOCK 4096

typedef struct pass_node {
    int active, from_cache;
    lathe_audio_reader *reader;
    lathe_cache_reader *creader;
    lathe_stream *streams[LATHE_MAX_INPUTS];
    int n_streams;
    lathe_runner runner;
    int has_runner;
    lathe_fifo fifo;
    uint64_t pos[LATHE_MAX_INPUTS]; /* read position on each input's FIFO */
    uint64_t produced;
    lathe_cache_writer *tee;
    float *scratch[LATHE_MAX_CHANNELS]; /* readers: their own block (readers run in parallel) */
} pass_node;

typedef struct pass {
    lathe_graph *g;
    lathe_pool *pool;
    int *order;       /* active nodes by level: a node only reads nodes before it */
    int *level_start; /* order[level_start[l] .. level_start[l+1]) */
    int n_levels;
    int *rcs;         /* per task status of the round being run: nodes in order, then sinks */
    lathe_cache *cache;
    pass_node *pn;
    pass_sink *ps;
    int n_ps;
    uint64_t *low;    /* compact()'s scratch: lowest read position per node */
    int threads;      /* -j: beyond one, each output is also encoded on its own thread */
    const lathe_output_tap *tap;
} pass;

static void mark(pass *p, int id)
{
    lathe_graph *g = p->g;
    id = lathe_plan_resolve(g, id);
    graph_node *n = &g->nodes[id];
    if (p->pn[id].active)
        return;
    p->pn[id].active = 1;
    if (n->cached) {
        p->pn[id].from_cache = 1;
        return;
    }
    if (n->kind == NODE_DSP && !(n->desc->flags & LATHE_NODE_BARRIER))
        for (int k = 0; k < n->n_inputs; k++)
            mark(p, n->inputs[k]);
}

static int open_stream(pass *p, lathe_key key, lathe_stream **out)
{
    lathe_cache_reader *r;
    int rc = lathe_cache_reader_open(p->cache, key, &r);
    if (rc != LATHE_OK)
        return rc == LATHE_CACHE_MISS ? LATHE_ERR_IO : rc;
    return lathe_stream_cache_new(r, out);
}

static int setup_node(pass *p, int id)
{
    lathe_graph *g = p->g;
    graph_node *n = &g->nodes[id];
    pass_node *q = &p->pn[id];
    char err[LATHE_ERR_MAX + 64];
    int rc = lathe_fifo_init(&q->fifo, n->fmt.channels, 4 * BLOCK);
    n->n_energy = 0;
    n->energy_acc = 0;
    n->energy_fill = 0;
    n->energy_window = (n->fmt.rate + 5) / 10;
    if (rc != LATHE_OK)
        return rc;
    size_t need = (size_t)(n->fmt.frames / n->energy_window) + 2; /* sized here, not in the loop */
    if (n->cap_energy < need) {
        lathe_dealloc(n->energy);
        n->energy = lathe_alloc(need * sizeof *n->energy);
        n->cap_energy = n->energy ? need : 0; /* the series is for the report: no failed render */
    }
    if (q->from_cache || n->kind == NODE_SOURCE)
        for (uint32_t c = 0; c < n->fmt.channels; c++)
            if (!(q->scratch[c] = lathe_alloc(sizeof(float) * BLOCK)))
                return LATHE_ERR_NOMEM;
    if (q->from_cache) {
        rc = lathe_cache_reader_open(p->cache, n->key, &q->creader);
        if (rc != LATHE_OK)
            return lathe_graph_fail(g, id, LATHE_ERR_IO, "cache entry vanished during the run");
        if (!n->ran) /* rendered while analysing this run: keep why it ran */
            snprintf(n->why, sizeof n->why, "read from the cache");
        return LATHE_OK;
    }
    if (n->kind == NODE_SOURCE) {
        lathe_audio_info info;
        rc = lathe_audio_reader_open(n->path, &q->reader, &info, err, sizeof err);
        if (rc != LATHE_OK)
            return lathe_graph_fail(g, -1, rc, "%s", err);
        snprintf(n->why, sizeof n->why, "decoded");
        n->ran = 1;
        return LATHE_OK;
    }
    lathe_format in[LATHE_MAX_INPUTS];
    for (int k = 0; k < n->n_inputs; k++)
        in[k] = g->nodes[lathe_plan_resolve(g, n->inputs[k])].fmt;
    if (n->desc->flags & LATHE_NODE_BARRIER) {
        for (int k = 0; k < n->n_inputs; k++) {
            const graph_node *src = &g->nodes[lathe_plan_resolve(g, n->inputs[k])];
            rc = src->kind == NODE_SOURCE && !src->cached
                     ? lathe_stream_file_new(src->path, &q->streams[k], err, sizeof err)
                     : open_stream(p, src->key, &q->streams[k]);
            if (rc != LATHE_OK)
                return lathe_graph_fail(g, id, rc, "materialised input %d unavailable", k + 1);
            q->n_streams++;
        }
    }
    rc = lathe_runner_prepare(&q->runner, n->desc, n->params, in, n->n_inputs, BLOCK,
                              n->key.lo ^ n->key.hi, n->analysed ? n->analysis : NULL,
                              n->n_analysis, q->streams);
    q->has_runner = 1;
    if (rc != LATHE_OK)
        return lathe_graph_fail(g, id, rc, "%s", q->runner.ctx.err[0] ? q->runner.ctx.err
                                                                     : lathe_status_text(rc));
    if (n->store && p->cache) {
        rc = lathe_cache_writer_begin(p->cache, n->key, n->fmt.rate, n->fmt.channels,
                                      n->desc->version, &q->tee);
        if (rc != LATHE_OK)
            q->tee = NULL; /* the cache is an optimisation: a failed store never fails a render */
    }
    n->ran = 1;
    __atomic_fetch_add(&g->stats.nodes_run, 1, __ATOMIC_RELAXED); /* passes may run in parallel */
    return LATHE_OK;
}

/* Adds frames to the node's 100 ms level series (a node's task is the only writer). */
static void record_energy(graph_node *n, const float *const *y, uint32_t got)
{
    for (uint32_t i = 0; i < got;) {
        uint32_t take = n->energy_window - n->energy_fill;
        if (take > got - i)
            take = got - i;
        double sum = 0;
        for (uint32_t c = 0; c < n->fmt.channels; c++) {
            double part[4] = {0, 0, 0, 0}; /* four sums in a fixed order: it vectorises */
            uint32_t k = i;
            for (; k + 4 <= i + take; k += 4)
                for (int j = 0; j < 4; j++)
                    part[j] += (double)y[c][k + j] * (double)y[c][k + j];
            for (; k < i + take; k++)
                part[0] += (double)y[c][k] * (double)y[c][k];
            sum += (part[0] + part[1]) + (part[2] + part[3]);
        }
        n->energy_acc += sum;
        n->energy_fill += take;
        i += take;
        if (n->energy_fill < n->energy_window)
            break;
        if (n->n_energy == n->cap_energy)
            return; /* longer than its format said (or the series could not be had) */
        n->energy[n->n_energy++] = (float)(n->energy_acc / ((double)n->energy_window * n->fmt.channels));
        n->energy_acc = 0;
        n->energy_fill = 0;
    }
}

static int emit(pass *p, int id, const float *const *y, uint32_t got)
{
    pass_node *q = &p->pn[id];
    if (!got)
        return LATHE_OK;
    record_energy(&p->g->nodes[id], y, got);
    q->produced += got;
    if (q->tee && lathe_cache_writer_append(q->tee, y, got) != LATHE_OK) {
        lathe_cache_writer_abort(q->tee);
        q->tee = NULL;
    }
    return lathe_fifo_push(&q->fifo, y, got);
}

/* Sources and cache entries: read the next block. */
static int step_reader(pass *p, int id)
{
    pass_node *q = &p->pn[id];
    const graph_node *n = &p->g->nodes[id];
    uint64_t left = n->fmt.frames - q->produced;
    uint32_t want = left < BLOCK ? (uint32_t)left : BLOCK;
    long got = q->creader ? lathe_cache_reader_read(q->creader, q->scratch, want)
                          : lathe_audio_reader_read(q->reader, q->scratch, want);
    if (got < 0 || (got == 0 && want > 0))
        return lathe_graph_fail(p->g, -1, LATHE_ERR_IO,
                                "%s: truncated or unreadable audio data at frame %llu of %llu",
                                n->kind == NODE_SOURCE ? n->path : "cache entry",
                                (unsigned long long)q->produced, (unsigned long long)n->fmt.frames);
    if (q->reader) {
        int ch;
        int64_t bad = lathe_audio_reader_bad_sample(q->reader, &ch);
        if (bad >= 0)
            return lathe_graph_fail(p->g, -1, LATHE_ERR_IO,
                                    "%s: NaN or infinite sample at frame %lld, channel %d",
                                    n->path, (long long)bad, ch + 1);
    }
    int rc = emit(p, id, (const float *const *)q->scratch, (uint32_t)got);
    if (q->produced >= n->fmt.frames)
        q->fifo.ended = 1;
    return rc;
}

/* Code lathe did not write (a hosted plugin) is checked at its output: NaN or Inf stops the
 * render with the node and what it runs named, instead of reaching a file or the cache. */
static int check_finite(pass *p, int id, const float *const *y, uint32_t got)
{
    const graph_node *n = &p->g->nodes[id];
    for (uint32_t c = 0; c < n->fmt.channels; c++)
        for (uint32_t k = 0; k < got; k++)
            if (!isfinite(y[c][k])) {
                char what[512];
                lathe_params_summary(n->desc->params, n->params, what, sizeof what);
                return lathe_graph_fail(p->g, id, LATHE_ERR_INTERNAL,
                                        "%s: NaN or infinite sample in its output at frame %llu, "
                                        "channel %u", what,
                                        (unsigned long long)(p->pn[id].produced + k), c + 1);
            }
    return LATHE_OK;
}

static int step_runner(pass *p, int id, uint32_t *consumed)
{
    lathe_graph *g = p->g;
    graph_node *n = &g->nodes[id];
    pass_node *q = &p->pn[id];
    const float *y[LATHE_MAX_CHANNELS];
    uint32_t got;
    if (n->desc->flags & (LATHE_NODE_GENERATOR | LATHE_NODE_BARRIER)) {
        got = lathe_runner_process(&q->runner, NULL, 0, y);
    } else {
        const float *chans[LATHE_MAX_INPUTS][LATHE_MAX_CHANNELS];
        const float *const *ins[64] = {0};
        uint32_t n_in = BLOCK;
        int live = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            const lathe_fifo *f = &p->pn[lathe_plan_resolve(g, n->inputs[k])].fifo;
            uint32_t a = lathe_fifo_avail(f, q->pos[k]);
            if (lathe_fifo_ended(f) && a == 0)
                continue; /* drained: fed zeros */
            live = 1;
            if (a < n_in)
                n_in = a;
        }
        if (live && n_in == 0)
            return LATHE_OK; /* wait for the slowest input */
        for (int k = 0; k < n->n_inputs; k++) {
            const lathe_fifo *f = &p->pn[lathe_plan_resolve(g, n->inputs[k])].fifo;
            ins[k] = NULL;
            if (lathe_fifo_avail(f, q->pos[k]) == 0)
                continue;
            for (uint32_t c = 0; c < f->channels; c++)
                chans[k][c] = f->ch[c] + (q->pos[k] - f->start);
            ins[k] = chans[k];
            q->pos[k] += n_in;
        }
        *consumed = live ? n_in : 0;
        got = lathe_runner_process(&q->runner, ins, n_in, y);
        if (!live && lathe_runner_stuck(&q->runner))
            return lathe_graph_fail(g, id, LATHE_ERR_INTERNAL, "stopped producing before its end");
    }
    if ((n->desc->flags & LATHE_NODE_FOREIGN) && got)
        if (check_finite(p, id, y, got) != LATHE_OK)
            return LATHE_ERR_INTERNAL;
    int rc = emit(p, id, y, got);
    if (lathe_runner_done(&q->runner))
        q->fifo.ended = 1;
    return rc;
}

/* Frames every reader of a FIFO has passed can go. */
static void compact(pass *p)
{
    lathe_graph *g = p->g;
    uint64_t *low = p->low;
    int n = g->n_nodes;
    for (int i = 0; i < n; i++)
        low[i] = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        if (!p->pn[i].active || p->pn[i].from_cache || g->nodes[i].kind == NODE_SOURCE
            || (g->nodes[i].desc->flags & LATHE_NODE_BARRIER))
            continue;
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int src = lathe_plan_resolve(g, g->nodes[i].inputs[k]);
            if (p->pn[i].pos[k] < low[src])
                low[src] = p->pn[i].pos[k];
        }
    }
    for (int s = 0; s < p->n_ps; s++)
        if (p->ps[s].pos < low[p->ps[s].node])
            low[p->ps[s].node] = p->ps[s].pos;
    for (int i = 0; i < n; i++)
        if (p->pn[i].active)
            lathe_fifo_drop_until(&p->pn[i].fifo,
                                  low[i] == UINT64_MAX ? p->pn[i].fifo.start + p->pn[i].fifo.len : low[i]);
}

/* The cache keys of this pass describe the sources as they were hashed. A file rewritten since
 * (even to the same size: its ctime moves, which no user can set back) would give outputs that
 * match neither version, and cache entries filed under the old content: nothing is committed. */
static int sources_unchanged(pass *p)
{
    const lathe_graph *g = p->g;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        if (!p->pn[i].active || p->pn[i].from_cache || n->kind != NODE_SOURCE)
            continue;
        uint64_t now[5];
        lathe_plan_source_id(n->path, now);
        if (memcmp(now, n->src_id, sizeof now) != 0)
            return lathe_graph_fail(p->g, -1, LATHE_ERR_IO, "%s changed while it was being read: "
                                    "nothing was written or cached; render again", n->path);
    }
    return LATHE_OK;
}

/* Passes may run in parallel (independent materialisations); what they leave in the shared
 * graph nodes (reports, flags) is written under this lock. */
static pthread_mutex_t graph_mu = PTHREAD_MUTEX_INITIALIZER;

static void close_pass(pass *p, int ok)
{
    lathe_graph *g = p->g;
    pthread_mutex_lock(&graph_mu);
    for (int i = 0; p->pn && i < g->n_nodes; i++) { /* pn NULL: its allocation failed */
        pass_node *q = &p->pn[i];
        if (q->has_runner) {
            lathe_runner_collect_report(&q->runner);
            g->nodes[i].time_s += q->runner.cpu_s;
            if (ok && q->runner.report.text) {
                lathe_dealloc(g->nodes[i].report);
                g->nodes[i].report = lathe_strdup(q->runner.report.text);
            }
            lathe_runner_release(&q->runner);
        }
        if (q->tee) {
            if (ok && q->produced == g->nodes[i].fmt.frames)
                lathe_cache_writer_commit(q->tee);
            else
                lathe_cache_writer_abort(q->tee);
        }
        for (int k = 0; k < q->n_streams; k++)
            lathe_stream_free(q->streams[k]);
        lathe_audio_reader_free(q->reader);
        lathe_cache_reader_free(q->creader);
        lathe_fifo_fini(&q->fifo);
        for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
            lathe_dealloc(q->scratch[c]);
    }
    pthread_mutex_unlock(&graph_mu);
    for (int s = 0; s < p->n_ps; s++)
        lathe_sink_close(&p->ps[s], p->tap);

    lathe_dealloc(p->pn);
    lathe_dealloc(p->ps);
    lathe_dealloc(p->low);
    lathe_dealloc(p->order);
    lathe_dealloc(p->level_start);
    lathe_dealloc(p->rcs);
    lathe_pool_free(p->pool);
}

static int all_done(const pass *p)
{
    for (int i = 0; i < p->g->n_nodes; i++)
        if (p->pn[i].active && !p->pn[i].fifo.ended)
            return 0;
    for (int s = 0; s < p->n_ps; s++)
        if (lathe_fifo_avail(&p->pn[p->ps[s].node].fifo, p->ps[s].pos))
            return 0;
    return 1;
}

static uint64_t longest_frames(const pass *p)
{
    uint64_t m = 1;
    for (int i = 0; i < p->g->n_nodes; i++)
        if (p->pn[i].active && p->g->nodes[i].fmt.frames > m)
            m = p->g->nodes[i].fmt.frames;
    return m;
}

/* Levels: a node's level is one more than its inputs' deepest; order lists the nodes level by
 * level, a topological order for round_task. Each node touches only its own runner, FIFO and
 * read positions, which is why the thread count cannot change a single bit. */
static int plan_levels(pass *p)
{
    lathe_graph *g = p->g;
    int *lv = lathe_calloc((size_t)g->n_nodes, sizeof *lv);
    p->order = lathe_calloc((size_t)g->n_nodes + 1, sizeof *p->order);
    p->level_start = lathe_calloc((size_t)g->n_nodes + 2, sizeof *p->level_start);
    p->rcs = lathe_calloc((size_t)g->n_nodes + (size_t)p->n_ps + 1, sizeof *p->rcs);
    if (!lv || !p->order || !p->level_start || !p->rcs) {
        lathe_dealloc(lv);
        return LATHE_ERR_NOMEM;
    }
    int max = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        if (!p->pn[i].active || p->pn[i].from_cache || n->kind == NODE_SOURCE
            || (n->desc->flags & LATHE_NODE_BARRIER))
            continue;
        for (int k = 0; k < n->n_inputs; k++) {
            int src = lathe_plan_resolve(g, n->inputs[k]);
            if (lv[src] + 1 > lv[i])
                lv[i] = lv[src] + 1;
        }
        if (lv[i] > max)
            max = lv[i];
    }
    int at = 0;
    for (int l = 0; l <= max; l++) {
        p->level_start[l] = at;
        for (int i = 0; i < g->n_nodes; i++)
            if (p->pn[i].active && lv[i] == l)
                p->order[at++] = i;
    }
    p->level_start[max + 1] = at;
    p->n_levels = max + 1;
    lathe_dealloc(lv);
    return LATHE_OK;
}

static void run_node(pass *p, int id, int *rc)
{
    pass_node *q = &p->pn[id];
    if (q->fifo.ended)
        *rc = LATHE_OK;
    else if (q->reader || q->creader)
        *rc = step_reader(p, id);
    else {
        /* Consume everything the inputs hold: after an upsampler a round brings more than one
         * block, and leaving the rest would pile the song up in the FIFO. */
        uint32_t used;
        do {
            used = 0;
            *rc = step_runner(p, id, &used);
        } while (*rc == LATHE_OK && used && !q->fifo.ended);
    }
}

/* One task of a round: node order[t], or sink t - (nodes in order). Rounds are pipelined: a
 * task reads only what its inputs had published when the round began (lathe_fifo_publish, between
 * rounds), so the tasks of a round are independent and run on any thread in any order, and the
 * 96 kHz branch no longer holds up the shared part at every round. A node at depth d works on the
 * source's block of d rounds before. What a node reads in a round is fixed by the rounds before,
 * not by which thread ran first, which is why the thread count cannot change a bit (and the nodes
 * do not depend on how their input is cut into blocks, so the bytes are those of running each
 * input first). */
static void round_task(void *ud, int t)
{
    pass *p = ud;
    int n_order = p->level_start[p->n_levels];
    if (t < n_order) {
        run_node(p, p->order[t], &p->rcs[t]);
    } else {
        pass_sink *k = &p->ps[t - n_order];
        p->rcs[t] = lathe_sink_step(p->g, k, &p->pn[k->node].fifo, p->tap);
    }
}

/* Between rounds: what each node pushed becomes visible to its readers. */
static int publish(pass *p)
{
    for (int i = 0; i < p->g->n_nodes; i++)
        if (p->pn[i].active && lathe_fifo_publish(&p->pn[i].fifo) != LATHE_OK)
            return LATHE_ERR_NOMEM;
    return LATHE_OK;
}

static int first_error(const pass *p, int n)
{
    for (int t = 0; t < n; t++)
        if (p->rcs[t] != LATHE_OK)
            return p->rcs[t];
    return LATHE_OK;
}

static int run_rounds(pass *p, const lathe_render_config *cfg)
{
    lathe_graph *g = p->g;
    lathe_progress prog;
    int rc = plan_levels(p);
    /* A pass without outputs materialises what an analysing node (loudness, match) measures. */
    lathe_progress_begin(&prog, cfg->progress, p->n_ps ? "rendering" : "analysing",
                         longest_frames(p), g->nodes[0].fmt.rate);
    while (rc == LATHE_OK && !all_done(p)) {
        if (cfg->cancel && *cfg->cancel)
            return lathe_graph_fail(g, -1, LATHE_ERR_CANCEL,
                                    "interrupted: the outputs still rendering were not written");
        int n_tasks = p->level_start[p->n_levels] + p->n_ps;
        lathe_pool_run(p->pool, n_tasks, round_task, p);
        rc = first_error(p, n_tasks);
        if (rc == LATHE_OK)
            rc = publish(p);
        compact(p);
        uint64_t furthest = 0;
        for (int i = 0; i < g->n_nodes; i++)
            if (p->pn[i].active && p->pn[i].produced > furthest)
                furthest = p->pn[i].produced;
        lathe_progress_update(&prog, furthest);
    }
    lathe_progress_end(&prog);
    return rc;
}

int lathe_render_pass(lathe_graph *g, const lathe_render_config *cfg, lathe_cache *cache,
                      const int *sinks, int n_sinks, const int *materialise, int n_mat)
{
    pass p = {.g = g, .cache = cache, .threads = cfg->threads, .tap = cfg->tap};
    int rc = LATHE_ERR_NOMEM;
    p.pn = lathe_calloc((size_t)g->n_nodes, sizeof *p.pn);
    p.ps = lathe_calloc((size_t)(n_sinks ? n_sinks : 1), sizeof *p.ps);
    p.low = lathe_calloc((size_t)g->n_nodes, sizeof *p.low);
    if (lathe_pool_new(cfg->threads, &p.pool) != LATHE_OK)
        goto done;
    if (!p.pn || !p.ps || !p.low)
        goto done;
    for (int s = 0; s < n_sinks; s++)
        mark(&p, g->sinks[sinks[s]].node);
    for (int m = 0; m < n_mat; m++)
        mark(&p, materialise[m]);
    pthread_mutex_lock(&graph_mu);
    rc = LATHE_OK;
    for (int i = 0; i < g->n_nodes && rc == LATHE_OK; i++)
        if (p.pn[i].active)
            rc = setup_node(&p, i);
    pthread_mutex_unlock(&graph_mu);
    if (rc != LATHE_OK)
        goto done;
    for (int s = 0; s < n_sinks; s++) {
        rc = lathe_sink_open(g, &p.ps[p.n_ps], sinks[s], p.threads, p.tap);
        p.n_ps += p.ps[p.n_ps].writer != NULL; /* from here close_pass owes it a close */
        if (rc != LATHE_OK)
            goto done;
    }
    rc = run_rounds(&p, cfg);
    if (rc == LATHE_OK)
        rc = sources_unchanged(&p);
    for (int s = 0; s < p.n_ps && rc == LATHE_OK; s++)
        rc = lathe_sink_finish(g, &p.ps[s], p.tap);
done:
    close_pass(&p, rc == LATHE_OK);
    return rc;
}
