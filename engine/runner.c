#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runner.h"

#include "lathe/lathe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int lathe_runner_analyze(const lathe_node_desc *desc, const void *params, int threads,
                         lathe_stream *const *streams, int n_in, double *result, int *n_result,
                         struct lathe_analyze_output *output, double *cpu_s, char *err,
                         size_t err_size)
{
    double t0 = thread_cpu_s();
    void *state = lathe_calloc(1, desc->state_size ? desc->state_size : 1);
    lathe_analyze_ctx *ctx = lathe_calloc(1, sizeof *ctx);
    int rc = LATHE_ERR_NOMEM;
    if (!state || !ctx)
        goto fail;
    ctx->params = params;
    ctx->streams = streams;
    ctx->n_in = n_in;
    ctx->output = output;
    ctx->threads = threads > 1 ? threads : 1;
    rc = desc->analyze(state, ctx);
    if (rc == LATHE_OK) {
        *n_result = ctx->n_result;
        memcpy(result, ctx->result, sizeof(double) * (size_t)ctx->n_result);
    } else {
        snprintf(err, err_size, "%s", ctx->err[0] ? ctx->err : lathe_status_text(rc));
    }
    for (int i = 0; i < n_in; i++)
        if (lathe_stream_rewind(streams[i]) != LATHE_OK && rc == LATHE_OK) {
            rc = LATHE_ERR_IO;
            snprintf(err, err_size, "input %d could not be read again", i + 1);
        }
fail:
    if (!state || !ctx)
        snprintf(err, err_size, "%s", lathe_status_text(rc)); /* every failure says why */
    lathe_dealloc(ctx);
    lathe_dealloc(state);
    if (cpu_s)
        *cpu_s = thread_cpu_s() - t0;
    return rc;
}

int lathe_runner_prepare(lathe_runner *r, const lathe_node_desc *desc, const void *params,
                         const lathe_format *in, int n_in, uint32_t max_frames, uint64_t seed,
                         const double *analysis, int n_analysis, lathe_stream *const *streams)
{
    memset(r, 0, sizeof *r);
    lathe_report_init(&r->report);
    r->desc = desc;
    r->streams = streams;
    r->ctx.params = params;
    r->ctx.in = in;
    r->ctx.n_in = n_in;
    r->ctx.max_frames = max_frames;
    r->ctx.seed = seed;
    r->ctx.analysis = analysis;
    r->ctx.n_analysis = n_analysis;
    if (n_in > 0)
        r->ctx.out = in[0];
    r->ctx.max_out_frames = max_frames;
    r->state = lathe_calloc(1, desc->state_size ? desc->state_size : 1);
    if (!r->state)
        return LATHE_ERR_NOMEM;
    r->prepared = 1; /* release runs even after a failed prepare: it frees what is non-NULL */
    int rc = desc->prepare(r->state, &r->ctx);
    if (rc != LATHE_OK)
        return rc;
    if (r->ctx.out.channels < 1 || r->ctx.out.channels > LATHE_MAX_CHANNELS) {
        snprintf(r->ctx.err, sizeof r->ctx.err, "produces %u channels (1 to %d supported)",
                 r->ctx.out.channels, LATHE_MAX_CHANNELS);
        return LATHE_ERR_FORMAT;
    }
    for (uint32_t c = 0; c < r->ctx.out.channels; c++) {
        r->out[c] = lathe_calloc(r->ctx.max_out_frames ? r->ctx.max_out_frames : 1, sizeof(float));
        if (!r->out[c])
            return LATHE_ERR_NOMEM;
    }
    r->zeros = lathe_calloc(max_frames ? max_frames : 1, sizeof(float));
    if (!r->zeros)
        return LATHE_ERR_NOMEM;
    if (desc->reset)
        desc->reset(r->state);
    return LATHE_OK;
}

uint32_t lathe_runner_process(lathe_runner *r, const float *const *const *in, uint32_t n_in,
                              const float *out[LATHE_MAX_CHANNELS])
{
    const uint64_t total = r->ctx.out.frames + r->ctx.latency;
    if (r->produced >= total)
        return 0;
    const float *zero_ch[LATHE_MAX_CHANNELS];
    const float *const *ins[64];
    int n = r->ctx.n_in < 64 ? r->ctx.n_in : 64;
    int feeding_zeros = 1;
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        zero_ch[c] = r->zeros;
    for (int i = 0; i < n; i++) {
        ins[i] = in && in[i] ? in[i] : zero_ch;
        feeding_zeros &= !(in && in[i]);
    }
    lathe_block b = {
        .in = ins, .n_in = n_in, .streams = r->streams, .out = r->out, .n_out = n_in,
    };
    if (r->desc->flags & (LATHE_NODE_GENERATOR | LATHE_NODE_BARRIER)) {
        uint64_t want = total - r->produced;
        b.n_out = want < r->ctx.max_out_frames ? (uint32_t)want : r->ctx.max_out_frames;
        b.in = NULL;
        feeding_zeros = 0;
    }
    double t0 = thread_cpu_s();
    r->desc->process(r->state, &b);
    r->cpu_s += thread_cpu_s() - t0;
    r->idle_flushes = (feeding_zeros && b.n_out == 0) ? r->idle_flushes + 1 : 0;

    /* Trim the latency from the front and the excess past the declared length. */
    uint64_t start = r->produced, end = r->produced + b.n_out;
    r->produced = end;
    uint64_t lo = start > r->ctx.latency ? start : r->ctx.latency;
    uint64_t hi = end < total ? end : total;
    if (hi <= lo)
        return 0;
    for (uint32_t c = 0; c < r->ctx.out.channels; c++)
        out[c] = r->out[c] + (lo - start);
    r->emitted += hi - lo;
    return (uint32_t)(hi - lo);
}

void lathe_runner_collect_report(lathe_runner *r)
{
    if (r->prepared && r->desc->report)
        r->desc->report(r->state, &r->report);
}

void lathe_runner_release(lathe_runner *r)
{
    if (r->prepared && r->desc->release)
        r->desc->release(r->state);
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        lathe_dealloc(r->out[c]);
    lathe_dealloc(r->zeros);
    lathe_dealloc(r->state);
    lathe_report_fini(&r->report);
    memset(r, 0, sizeof *r);
}
