/* The node test harness: one node, in-memory signals, driven through the engine's own runner. */
#include "nodeharness.h"

#include "lathe/lathe.h"
#include "nodes/registry.h"
#include "engine/params.h"
#include "engine/runner.h"
#include "engine/stream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tu_signal tu_signal_new(uint32_t rate, uint32_t channels, uint64_t frames)
{
    tu_signal s = {.fmt = {rate, channels, frames}};
    for (uint32_t c = 0; c < channels; c++)
        s.ch[c] = calloc(frames ? frames : 1, sizeof(float));
    return s;
}

void tu_signal_free(tu_signal *s)
{
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        free(s->ch[c]);
    memset(s, 0, sizeof *s);
}

int tu_signal_same(const tu_signal *a, const tu_signal *b)
{
    if (a->fmt.rate != b->fmt.rate || a->fmt.channels != b->fmt.channels
        || a->fmt.frames != b->fmt.frames)
        return 0;
    for (uint32_t c = 0; c < a->fmt.channels; c++)
        if (memcmp(a->ch[c], b->ch[c], sizeof(float) * a->fmt.frames) != 0)
            return 0;
    return 1;
}

void tu_params_default(const lathe_node_desc *d, void *params)
{
    memset(params, 0, d->params_size);
    lathe_params_defaults(d->params, params);
}

const lathe_node_desc *tu_node(const char *name)
{
    return lathe_registry_find(name);
}

/* Streams every input block by block (in lockstep, zeros once an input ends), then flushes. */
static int drive(lathe_runner *r, const tu_signal *in, int n_in, uint32_t block, tu_signal *out)
{
    uint64_t longest = 0, pos_in = 0, pos_out = 0;
    for (int i = 0; i < n_in; i++)
        if (in[i].fmt.frames > longest)
            longest = in[i].fmt.frames;
    int pulls = r->desc->flags & (LATHE_NODE_GENERATOR | LATHE_NODE_BARRIER);
    while (!lathe_runner_done(r)) {
        const float *chans[64][LATHE_MAX_CHANNELS];
        const float *const *ins[64];
        uint32_t n = 0;
        if (!pulls && pos_in < longest) {
            n = longest - pos_in < block ? (uint32_t)(longest - pos_in) : block;
            for (int i = 0; i < n_in; i++) {
                /* A shorter input ends inside this block: cut the block at its end first. */
                if (in[i].fmt.frames > pos_in && in[i].fmt.frames - pos_in < n)
                    n = (uint32_t)(in[i].fmt.frames - pos_in);
            }
            for (int i = 0; i < n_in; i++) {
                ins[i] = NULL;
                if (in[i].fmt.frames > pos_in) {
                    for (uint32_t c = 0; c < in[i].fmt.channels; c++)
                        chans[i][c] = in[i].ch[c] + pos_in;
                    ins[i] = chans[i];
                }
            }
            pos_in += n;
        } else if (!pulls) {
            n = block;
            for (int i = 0; i < n_in; i++)
                ins[i] = NULL;
            if (lathe_runner_stuck(r))
                return LATHE_ERR_INTERNAL;
        }
        const float *y[LATHE_MAX_CHANNELS];
        uint32_t got = lathe_runner_process(r, pulls ? NULL : ins, n, y);
        for (uint32_t c = 0; got && c < out->fmt.channels; c++)
            memcpy(out->ch[c] + pos_out, y[c], got * sizeof(float));
        pos_out += got;
    }
    return LATHE_OK;
}

int tu_node_run_report(const lathe_node_desc *desc, const void *params, const tu_signal *in,
                       int n_in, uint32_t block, tu_signal *out, char *report, size_t report_size)
{
    char *defaults = NULL;
    lathe_format fmts[64];
    lathe_stream *streams[64] = {0};
    double analysis[LATHE_ANALYSIS_MAX];
    int n_analysis = 0, rc;
    lathe_runner r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    if (report && report_size)
        report[0] = 0;
    if (!block)
        block = 4096;
    if (!params) {
        defaults = calloc(1, desc->params_size ? desc->params_size : 1);
        tu_params_default(desc, defaults);
        params = defaults;
    }
    for (int i = 0; i < n_in; i++) {
        fmts[i] = in[i].fmt;
        lathe_stream_memory_new(&in[i].fmt, in[i].ch, &streams[i]);
    }
    if (desc->flags & LATHE_NODE_BARRIER) {
        char err[LATHE_ERR_MAX];
        rc = lathe_runner_analyze(desc, params, 1, streams, n_in, analysis, &n_analysis, NULL, NULL, err,
                                  sizeof err);
        if (rc != LATHE_OK) {
            if (report && report_size)
                snprintf(report, report_size, "error=%s\n", err);
            goto done;
        }
    }
    rc = lathe_runner_prepare(&r, desc, params, fmts, n_in, block, 0x5eed5eed5eedull, analysis,
                              n_analysis, streams);
    if (rc != LATHE_OK) {
        if (report && report_size)
            snprintf(report, report_size, "error=%s\n", r.ctx.err);
        goto done;
    }
    *out = tu_signal_new(r.ctx.out.rate, r.ctx.out.channels, r.ctx.out.frames);
    rc = drive(&r, in, n_in, block, out);
    lathe_runner_collect_report(&r);
    if (report && report_size && r.report.text)
        snprintf(report, report_size, "%s", r.report.text);
done:
    lathe_runner_release(&r);
    for (int i = 0; i < n_in; i++)
        lathe_stream_free(streams[i]);
    free(defaults);
    return rc;
}

int tu_node_run(const lathe_node_desc *desc, const void *params, const tu_signal *in, int n_in,
                uint32_t block, tu_signal *out, char *err, size_t err_size)
{
    char report[4096];
    int rc = tu_node_run_report(desc, params, in, n_in, block, out, report, sizeof report);
    if (err && err_size) {
        err[0] = 0;
        if (rc != LATHE_OK && strncmp(report, "error=", 6) == 0)
            snprintf(err, err_size, "%.*s", (int)strcspn(report + 6, "\n"), report + 6);
    }
    return rc;
}

double tu_report_number(const char *report, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = report; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, k) == 0 && p[k] == '=')
            return atof(p + k + 1);
    return NAN;
}
