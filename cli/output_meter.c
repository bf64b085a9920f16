/* The program's output tap: one analysis per output written, finished when the engine commits
 * the file. Results stay with the meters until they are freed. */
#include "output_meter.h"

#include "analysis_cache.h"
#include "cli.h"
#include "spec_measure.h"
#include "engine/audio_io.h"
#include "measure/kernel_host.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct lathe_output_meters {
    lathe_output_tap tap;
    const lathe_graph *g;
    int n;
    lathe_analysis_result **results; /* per output; NULL until written */
    lathe_spec_extra *lf;            /* per output: the low end its spec asks for, as written */
    /* the sources' measurements (lathe_output_meters_measure_sources) */
    lathe_cache *cache;
    const char **src_path;
    lathe_analysis_result **src;
    int n_src, src_started;
    pthread_t src_thread;
};

/* One output's meters while it is written. */
typedef struct output_tap {
    lathe_analysis *a;
    lathe_spec_lf *lf;
} output_tap;

/* The low-end meter an output's deliverable asks for (vinyl), NULL when none: measured as the
 * output is written, so its spec check reads no file for it. A lossy output is judged decoded. */
static lathe_spec_lf *lf_for(lathe_output_meters *m, int output, const lathe_format *fmt)
{
    const lathe_output_result *r = lathe_graph_output_result(m->g, output);
    lathe_spec_profile p;
    char err[256];
    if (!r->deliverable || !lathe_spec_known(r->deliverable) ||
        lathe_audio_format_is_lossy(lathe_audio_format_from_path(r->format)) ||
        lathe_spec_parse(r->deliverable, NULL, 0, &p, err, sizeof err) != 0)
        return NULL;
    lathe_spec_wants w = lathe_spec_wants_of(&p);
    m->lf[output] = (lathe_spec_extra){0};
    return lathe_spec_lf_new(&w, fmt->rate, fmt->channels, &m->lf[output]);
}

static int tap_open(void *ud, int output, const lathe_format *fmt, void **state)
{
    lathe_output_meters *m = ud;
    if (output < 0 || output >= m->n)
        return LATHE_ERR_INTERNAL;
    output_tap *t = calloc(1, sizeof *t);
    if (!t)
        return LATHE_ERR_NOMEM;
    int rc = lathe_kernel_status(lathe_analysis_new(fmt->rate, fmt->channels, &t->a));
    if (rc == LATHE_OK && lathe_analysis_reserve(t->a, fmt->frames) != 0)
        rc = LATHE_ERR_NOMEM;
    if (rc != LATHE_OK) {
        lathe_analysis_free(t->a);
        free(t);
        return rc == LATHE_ERR_FORMAT ? rc : LATHE_ERR_NOMEM;
    }
    t->lf = lf_for(m, output, fmt); /* NULL: the check measures the file, as before */
    *state = t;
    return LATHE_OK;
}

static void tap_write(void *state, const float *const *ch, uint32_t n)
{
    output_tap *t = state;
    lathe_analysis_add(t->a, ch, n);
    if (t->lf)
        lathe_spec_lf_add(t->lf, ch, n);
}

static int tap_loudness(void *state, double *lufs)
{
    *lufs = lathe_analysis_integrated(((output_tap *)state)->a);
    return 1;
}

static void tap_close(void *ud, int output, void *state, int ok)
{
    lathe_output_meters *m = ud;
    output_tap *t = state;
    if (!ok || !t->lf)
        m->lf[output] = (lathe_spec_extra){0};
    if (ok) {
        const lathe_output_result *r = lathe_graph_output_result(m->g, output);
        lathe_analysis_result_free(m->results[output]);
        m->results[output] = NULL;
        if (lathe_audio_format_is_lossy(lathe_audio_format_from_path(r->format)))
            lathe_cli_analyze_file(r->path, &m->results[output]); /* errors: unmeasured */
        else
            lathe_analysis_finish(t->a, &m->results[output]); /* OOM: reported as unmeasured */
        if (t->lf)
            lathe_spec_lf_finish(t->lf);
    }
    lathe_spec_lf_free(t->lf);
    lathe_analysis_free(t->a);
    free(t);
}

int lathe_output_meters_new(const lathe_graph *g, lathe_output_meters **out)
{
    int n_outputs = lathe_graph_output_count(g);
    lathe_output_meters *m = calloc(1, sizeof *m);
    if (!m || !(m->results = calloc((size_t)n_outputs + 1, sizeof *m->results)) ||
        !(m->lf = calloc((size_t)n_outputs + 1, sizeof *m->lf))) {
        if (m)
            free(m->results);
        free(m);
        return LATHE_ERR_NOMEM;
    }
    m->n = n_outputs;
    m->g = g;
    m->tap = (lathe_output_tap){m, tap_open, tap_write, tap_close, tap_loudness};
    *out = m;
    return LATHE_OK;
}

void lathe_output_meters_wait_sources(lathe_output_meters *m)
{
    if (m->src_started)
        pthread_join(m->src_thread, NULL);
    m->src_started = 0;
}

void lathe_output_meters_free(lathe_output_meters *m)
{
    if (!m)
        return;
    lathe_output_meters_wait_sources(m);
    for (int i = 0; i < m->n; i++)
        lathe_analysis_result_free(m->results[i]);
    for (int s = 0; s < m->n_src; s++)
        lathe_analysis_result_free(m->src[s]);
    free(m->results);
    free(m->lf);
    free(m->src_path);
    free(m->src);
    free(m);
}

static const char *source_above(const lathe_graph *g, int id, char *seen)
{
    if (seen[id])
        return NULL;
    seen[id] = 1;
    const char *p = lathe_graph_node_source_path(g, id);
    const lathe_node_id *in;
    int n = lathe_graph_node_inputs(g, id, &in);
    for (int i = 0; !p && i < n; i++)
        p = source_above(g, in[i], seen);
    return p;
}

const char *lathe_output_source_path(const lathe_graph *g, int i)
{
    char *seen = calloc((size_t)lathe_graph_node_count(g) + 1, 1);
    const char *p = seen ? source_above(g, lathe_graph_output_node(g, i), seen) : NULL;
    free(seen);
    return p;
}

static void *measure_sources(void *arg)
{
    lathe_output_meters *m = arg;
    for (int s = 0; s < m->n_src && !lathe_cli_interrupted(); s++)
        if (lathe_cli_analyze_file_cached(m->cache, m->src_path[s], &m->src[s]) != 0)
            m->src[s] = NULL;
    return NULL;
}

void lathe_output_meters_measure_sources(lathe_output_meters *m, lathe_cache *c, int threads)
{
    if (threads < 2 || m->src_path)
        return;
    m->src_path = calloc((size_t)m->n + 1, sizeof *m->src_path);
    m->src = calloc((size_t)m->n + 1, sizeof *m->src);
    if (!m->src_path || !m->src)
        return;
    m->cache = c;
    for (int i = 0; i < m->n; i++) {
        const char *p = lathe_output_source_path(m->g, i);
        int dup = 0;
        for (int s = 0; p && s < m->n_src; s++)
            dup |= strcmp(m->src_path[s], p) == 0;
        if (p && !dup)
            m->src_path[m->n_src++] = p;
    }
    m->src_started = m->n_src && pthread_create(&m->src_thread, NULL, measure_sources, m) == 0;
}

const lathe_analysis_result *lathe_output_meters_source(lathe_output_meters *m, const char *path)
{
    if (!m)
        return NULL;
    lathe_output_meters_wait_sources(m);
    for (int s = 0; s < m->n_src; s++)
        if (strcmp(m->src_path[s], path) == 0)
            return m->src[s];
    return NULL;
}

const lathe_output_tap *lathe_output_meters_tap(lathe_output_meters *m)
{
    return &m->tap;
}

const lathe_analysis_result *lathe_output_meters_result(const lathe_output_meters *m, int i)
{
    return m && i >= 0 && i < m->n ? m->results[i] : NULL;
}

const lathe_spec_extra *lathe_output_meters_lf(const lathe_output_meters *m, int i)
{
    return m && i >= 0 && i < m->n && m->lf[i].have_lf ? &m->lf[i] : NULL;
}
