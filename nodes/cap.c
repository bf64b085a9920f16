/* cap: one linear gain that only ever turns down, so the programme is no louder than max_lufs
 * (integrated, BS.1770) and its true peak no higher than max_dbtp. A quiet mix passes
 * unchanged; a loud one comes down by exactly what the tighter of the two bounds needs. It
 * never limits or compresses: the "never louder than the deliverable calls for" stage of the
 * stock delivery chains (vinyl keeps its dynamics; streaming limits only what remains over the
 * ceiling). An analysis barrier: the whole input is measured first. */
#include "lathe/lathe_node.h"
#include "stream_gain.h"


#include <stdio.h>


typedef struct cap_params {
    double max_lufs;
    double max_dbtp;
} cap_params;

static const lathe_param cap_table[] = {
    LATHE_NUMBER(cap_params, max_lufs, -14.0, -70.0, 0.0,
                 "the output is at most this loud (integrated LUFS); 0: no loudness bound"),
    LATHE_NUMBER(cap_params, max_dbtp, 6.0, -40.0, 6.0,
                 "turn down until the true peak is at most this (dBTP); 6: no peak bound"),
    LATHE_PARAM_END
};

enum { A_GAIN_DB, A_IN_LUFS, A_IN_TP, A_COUNT };

typedef struct cap_state {
    stream_gain sg;
    double analysis[A_COUNT];
} cap_state;

static int cap_analyze(void *state, lathe_analyze_ctx *ctx)
{
    (void)state;
    const cap_params *p = ctx->params;
    double lufs, tp;
    int rc = stream_gain_measure(ctx->streams[0], 1.0f, &lufs, &tp, ctx->err, sizeof ctx->err);
    if (rc != LATHE_OK)
        return rc;
    /* K-weighting and the true-peak filter are linear: one gain moves both by exactly that
     * many dB (the gates move with the signal too), so no second pass is needed. */
    double gain_db = 0.0;
    if (p->max_lufs < 0.0 && isfinite(lufs) && lufs > p->max_lufs)
        gain_db = p->max_lufs - lufs;
    if (p->max_dbtp < 6.0 && isfinite(tp) && tp + gain_db > p->max_dbtp)
        gain_db = p->max_dbtp - tp;
    ctx->result[A_GAIN_DB] = gain_db;
    ctx->result[A_IN_LUFS] = lufs;
    ctx->result[A_IN_TP] = tp;
    ctx->n_result = A_COUNT;
    return LATHE_OK;
}

static int cap_prepare(void *state, lathe_prepare_ctx *ctx)
{
    cap_state *s = state;
    return stream_gain_prepare(&s->sg, ctx, s->analysis, A_COUNT, A_GAIN_DB);
}

static void cap_process(void *state, lathe_block *b)
{
    stream_gain_process(&((const cap_state *)state)->sg, b);
}

static void cap_report(void *state, lathe_report *r)
{
    const cap_state *s = state;
    lathe_report_number(r, "gain_db", s->analysis[A_GAIN_DB]);
    lathe_report_number(r, "input_lufs", s->analysis[A_IN_LUFS]);
    lathe_report_number(r, "input_true_peak_dbtp", s->analysis[A_IN_TP]);
    lathe_report_number(r, "output_lufs", s->analysis[A_IN_LUFS] + s->analysis[A_GAIN_DB]);
    lathe_report_number(r, "output_true_peak_dbtp", s->analysis[A_IN_TP] + s->analysis[A_GAIN_DB]);
}

static int cap_is_identity(const void *params, const lathe_format *in)
{
    (void)in;
    const cap_params *p = params;
    return p->max_lufs >= 0.0 && p->max_dbtp >= 6.0;
}

const lathe_node_desc lathe_node_cap = {
    .name = "cap",
    .summary = "turn-down-only linear gain: no louder than max_lufs, true peak under max_dbtp",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(cap_params),
    .params = cap_table,
    .state_size = sizeof(cap_state),
    .flags = LATHE_NODE_BARRIER,
    .prepare = cap_prepare,
    .process = cap_process,
    .analyze = cap_analyze,
    .report = cap_report,
    .is_identity = cap_is_identity,
};
