/* limit: lookahead true-peak limiter. The output's true peak (lathe's 8x meter) never exceeds
 * ceiling_dbtp; a programme already below the ceiling passes bit-exact (after the latency, which
 * the engine compensates). The kernel is nodes/dsp/limiter.c. */
#include "lathe/lathe_node.h"

#include "dsp/limiter.h"
#include "measure/kernel_host.h"

#include <stdio.h>

typedef struct limit_params {
    double ceiling_dbtp;
    double lookahead_ms;
    double release_ms;
    int release;
    double link;
    int true_peak;
} limit_params;

static const char *const release_choices[] = { "fixed", "adaptive", NULL };

static const lathe_param limit_table[] = {
    LATHE_NUMBER(limit_params, ceiling_dbtp, -1.0, -40.0, 0.0,
                 "output true-peak ceiling (dBTP; dBFS sample peak when true_peak is off)"),
    LATHE_NUMBER(limit_params, lookahead_ms, 3.0, 0.5, 20.0,
                 "lookahead: the gain ramps down over this time before a peak"),
    LATHE_NUMBER(limit_params, release_ms, 100.0, 1.0, 5000.0,
                 "release time constant back towards unity gain (after sustained limiting, when "
                 "adaptive)"),
    LATHE_ENUM(limit_params, release, "adaptive", release_choices,
               "adaptive: program dependent, what the bass asks held 8 ms, a transient's "
               "reduction gone in ~15 ms, release_ms after sustained limiting; fixed: "
               "release_ms always"),
    LATHE_NUMBER(limit_params, link, 1.0, 0.0, 1.0,
                 "stereo link: 1 one gain for all channels, 0 independent channels"),
    LATHE_BOOL(limit_params, true_peak, 1, "detect 8x-oversampled (inter-sample) peaks"),
    LATHE_PARAM_END
};

typedef struct limit_state {
    lathe_limiter *lim;
} limit_state;

static int limit_prepare(void *state, lathe_prepare_ctx *ctx)
{
    limit_state *s = state;
    const limit_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    if (in->channels > LATHE_LIMITER_MAX_CHANNELS) {
        snprintf(ctx->err, sizeof ctx->err, "%u channels: at most %d supported", in->channels,
                 LATHE_LIMITER_MAX_CHANNELS);
        return LATHE_ERR_FORMAT;
    }
    lathe_limiter_config c = lathe_limiter_config_default(in->rate, in->channels);
    c.ceiling = lathe_db_to_gain(p->ceiling_dbtp);
    c.lookahead_ms = p->lookahead_ms;
    c.release_ms = p->release_ms;
    c.two_stage_release = p->release == 1;
    c.link = p->link;
    c.true_peak = p->true_peak;
    int rc = lathe_kernel_status(lathe_limiter_new(&c, lathe_kernel_alloc(), &s->lim));
    if (rc == LATHE_ERR_FORMAT)
        snprintf(ctx->err, sizeof ctx->err, "unsupported format: %u Hz, %u channels", in->rate,
                 in->channels);
    if (rc != LATHE_OK)
        return rc;
    lathe_limiter_set_length(s->lim, in->frames);
    ctx->latency = lathe_limiter_latency(s->lim);
    return LATHE_OK;
}

static void limit_reset(void *state)
{
    lathe_limiter_reset(((limit_state *)state)->lim);
}

static void limit_process(void *state, lathe_block *b)
{
    limit_state *s = state;
    lathe_limiter_process(s->lim, b->in[0], b->out, b->n_in, NULL);
}

static void limit_release(void *state)
{
    limit_state *s = state;
    lathe_limiter_free(s->lim);
    s->lim = NULL;
}

static void limit_report(void *state, lathe_report *r)
{
    limit_state *s = state;
    double gr_max, gr_avg;
    if (!s->lim)
        return;
    lathe_limiter_stats(s->lim, &gr_max, &gr_avg);
    lathe_report_number(r, "gr_max_db", gr_max);
    lathe_report_number(r, "gr_avg_db", gr_avg);
    lathe_report_number(r, "latency_frames", lathe_limiter_latency(s->lim));
}

const lathe_node_desc lathe_node_limit = {
    .name = "limit",
    .summary = "lookahead true-peak limiter: output never above ceiling_dbtp",
    .version = 3, /* 2: two-stage (program-dependent) release by default; 3: its bridge on the
                   * low frequencies only, 3 ms lookahead, the top-band bound */
    .n_inputs = 1,
    .params_size = sizeof(limit_params),
    .params = limit_table,
    .state_size = sizeof(limit_state),
    .prepare = limit_prepare,
    .reset = limit_reset,
    .process = limit_process,
    .release = limit_release,
    .report = limit_report,
};
