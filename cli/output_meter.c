/* The program's output tap: one analysis per output written, finished when the engine commits
 * the file. Results stay with the meters until they are freed. */
#include "output_meter.h"

#include "cli.h"
#include "engine/audio_io.h"
#include "measure/kernel_host.h"

#include <stdlib.h>

struct lathe_output_meters {
    lathe_output_tap tap;
    const lathe_graph *g;
    int n;
    lathe_analysis_result **results; /* per output; NULL until written */
};

static int tap_open(void *ud, int output, const lathe_format *fmt, void **state)
{
    lathe_output_meters *m = ud;
    if (output < 0 || output >= m->n)
        return LATHE_ERR_INTERNAL;
    lathe_analysis *a;
    int rc = lathe_kernel_status(lathe_analysis_new(fmt->rate, fmt->channels, &a));
    if (rc == LATHE_ERR_FORMAT)
        return rc;
    if (rc != LATHE_OK || lathe_analysis_reserve(a, fmt->frames) != 0) {
        lathe_analysis_free(a);
        return LATHE_ERR_NOMEM;
    }
    *state = a;
    return LATHE_OK;
}

static void tap_write(void *state, const float *const *ch, uint32_t n)
{
    lathe_analysis_add(state, ch, n);
}

static void tap_close(void *ud, int output, void *state, int ok)
{
    lathe_output_meters *m = ud;
    if (ok) {
        const lathe_output_result *r = lathe_graph_output_result(m->g, output);
        lathe_analysis_result_free(m->results[output]);
        m->results[output] = NULL;
        if (lathe_audio_format_is_lossy(lathe_audio_format_from_path(r->format)))
            lathe_cli_analyze_file(r->path, &m->results[output]); /* errors: unmeasured */
        else
            lathe_analysis_finish(state, &m->results[output]); /* OOM: reported as unmeasured */
    }
    lathe_analysis_free(state);
}

int lathe_output_meters_new(const lathe_graph *g, lathe_output_meters **out)
{
    int n_outputs = lathe_graph_output_count(g);
    lathe_output_meters *m = calloc(1, sizeof *m);
    if (!m || !(m->results = calloc((size_t)n_outputs + 1, sizeof *m->results))) {
        free(m);
        return LATHE_ERR_NOMEM;
    }
    m->n = n_outputs;
    m->g = g;
    m->tap = (lathe_output_tap){m, tap_open, tap_write, tap_close};
    *out = m;
    return LATHE_OK;
}

void lathe_output_meters_free(lathe_output_meters *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++)
        lathe_analysis_result_free(m->results[i]);
    free(m->results);
    free(m);
}

const lathe_output_tap *lathe_output_meters_tap(lathe_output_meters *m)
{
    return &m->tap;
}

const lathe_analysis_result *lathe_output_meters_result(const lathe_output_meters *m, int i)
{
    return m && i >= 0 && i < m->n ? m->results[i] : NULL;
}
