/* dynamics_testutil.c - helpers shared by the dynamics node tests (compress, multiband, dyneq,
 * saturate, loudness), compiled once into the test library. */
#include "dynamics_testutil.h"

#include "engine/params.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets a NUMBER/INT/BOOL parameter of `base` (a parameter struct or a list element). */
void dt_set(const lathe_param *table, void *base, const char *name, double v)
{
    char err[256];
    const lathe_param *p = lathe_params_find(table, name);
    if (!p || lathe_param_set_number(p, base, v, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "test setup: %s = %g: %s\n", name, v, p ? err : "no such parameter");
        abort();
    }
}

/* Sets an ENUM/STRING parameter. */
void dt_sets(const lathe_param *table, void *base, const char *name, const char *v)
{
    char err[256];
    const lathe_param *p = lathe_params_find(table, name);
    if (!p || lathe_param_set_string(p, base, v, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "test setup: %s = %s: %s\n", name, v, p ? err : "no such parameter");
        abort();
    }
}

/* Appends one NUMBERS value. */
void dt_push(const lathe_param *table, void *base, const char *name, double v)
{
    char err[256];
    const lathe_param *p = lathe_params_find(table, name);
    if (!p || lathe_param_push_number(p, base, v, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "test setup: %s += %g: %s\n", name, v, p ? err : "no such parameter");
        abort();
    }
}

/* Appends one LIST element (defaults filled) and returns it with its field table. */
void *dt_elem(const lathe_param *table, void *base, const char *name, const lathe_param **fields)
{
    char err[256];
    const lathe_param *p = lathe_params_find(table, name);
    void *e = p ? lathe_param_push_element(p, base, err, sizeof err) : NULL;
    if (!e) {
        fprintf(stderr, "test setup: %s: %s\n", name, p ? err : "no such parameter");
        abort();
    }
    *fields = p->fields;
    return e;
}

/* A fresh parameter struct with the node's defaults (free() it). */
void *dt_params(const lathe_node_desc *d)
{
    void *p = calloc(1, d->params_size);
    tu_params_default(d, p);
    return p;
}

/* Runs the node on one input; aborts on error (tests of errors call tu_node_run directly). */
tu_signal dt_run(const lathe_node_desc *d, const void *params, const tu_signal *in, uint32_t block)
{
    tu_signal out;
    char err[512];
    int rc = tu_node_run(d, params, in, 1, block, &out, err, sizeof err);
    if (rc != LATHE_OK) {
        fprintf(stderr, "node %s failed: %d %s\n", d->name, rc, err);
        abort();
    }
    return out;
}

/* Largest |a - b| over all channels and frames, as dBFS (-400 when identical). */
double dt_diff_db(const tu_signal *a, const tu_signal *b)
{
    if (a->fmt.channels != b->fmt.channels || a->fmt.frames != b->fmt.frames)
        return 400.0;
    double m = 0.0;
    for (uint32_t c = 0; c < a->fmt.channels; c++)
        for (uint64_t i = 0; i < a->fmt.frames; i++) {
            double d = fabs((double)a->ch[c][i] - (double)b->ch[c][i]);
            m = d > m ? d : m;
        }
    return tu_db(m);
}

/* Value of "key=value" in a report text (NAN when absent). */
double dt_report(const char *report, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = report; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, k) == 0 && p[k] == '=')
            return strtod(p + k + 1, NULL);
    return NAN;
}

/* Band-limited-ish test program: white noise with a slow random envelope, deterministic. */
tu_signal dt_program(uint32_t rate, uint32_t channels, uint64_t frames, double peak)
{
    tu_signal s = tu_signal_new(rate, channels, frames);
    uint64_t st = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < frames; i++) {
        double env = 0.55 + 0.45 * sin(2.0 * 3.14159265358979 * 1.7 * (double)i / rate);
        for (uint32_t c = 0; c < channels; c++)
            s.ch[c][i] = (float)(peak * env * tu_rand(&st));
    }
    return s;
}

static int dt_fail_at, dt_n_allocs;

static int dt_failing_alloc(void *ud, size_t size)
{
    (void)ud;
    (void)size;
    return dt_n_allocs++ != dt_fail_at;
}

/* Fails each allocation of a run in turn: every run must end in LATHE_ERR_NOMEM or in the
 * reference output (the ASan build checks that nothing leaks). Returns the number of NOMEM
 * runs, or -1 when a run went wrong. */
int dt_oom(const lathe_node_desc *d, const void *params, const tu_signal *in)
{
    tu_signal ref = dt_run(d, params, in, 0), out;
    int nomem = 0, bad = 0, rc = LATHE_OK;
    for (dt_fail_at = 0; dt_fail_at < 100; dt_fail_at++) {
        dt_n_allocs = 0;
        lathe_set_allocator(dt_failing_alloc, NULL);
        rc = tu_node_run(d, params, in, 1, 0, &out, NULL, 0);
        lathe_set_allocator(NULL, NULL);
        if (rc == LATHE_OK)
            bad += !tu_signal_same(&out, &ref);
        else
            bad += rc != LATHE_ERR_NOMEM;
        nomem += rc == LATHE_ERR_NOMEM;
        tu_signal_free(&out);
        if (dt_n_allocs <= dt_fail_at)
            break;
    }
    tu_signal_free(&ref);
    return bad || rc != LATHE_OK ? -1 : nomem;
}

/* dt_oom on a 5000-frame stereo programme at `rate`: at least two runs must end in NOMEM (the
 * node allocates), and none otherwise wrong. */
void dt_check_oom(const lathe_node_desc *d, const void *params, uint32_t rate)
{
    tu_signal x = dt_program(rate, 2, 5000, 1.0);
    int nomem = dt_oom(d, params, &x);
    CHECK(nomem >= 2, "%s OOM loop: %d NOMEM runs (-1: a run failed otherwise)", d->name, nomem);
    tu_signal_free(&x);
}
