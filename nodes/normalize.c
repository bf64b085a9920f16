/* normalize: one linear gain that brings the programme's integrated loudness to target_lufs.
 * An analysis barrier: the whole input is measured first (BS.1770 integrated loudness and the
 * 8x true peak), then streamed with the gain. It never changes dynamics: when the gain would
 * push the true peak over ceiling_dbtp it refuses (use loudness{} to have it limited) rather
 * than clip or limit behind the user's back. */
#include "lathe/lathe_node.h"
#include "stream_gain.h"


#include <stdio.h>

#define MAX_PASSES 3
/* The K-weighting is linear, so one gain step lands within float rounding; a re-measured pass
 * corrects the rare case where the -70 LUFS absolute gate admits or drops a block. */
#define EXACT_LU 1e-3

typedef struct normalize_params {
    double target_lufs;
    double ceiling_dbtp;
    int check_peak;
} normalize_params;

static const lathe_param normalize_table[] = {
    LATHE_NUMBER(normalize_params, target_lufs, -14.0, -70.0, 0.0,
                 "integrated loudness of the output (BS.1770, LUFS)"),
    LATHE_NUMBER(normalize_params, ceiling_dbtp, -1.0, -40.0, 6.0,
                 "refuse when the gain would put the true peak above this (dBTP)"),
    LATHE_BOOL(normalize_params, check_peak, 1, "enforce ceiling_dbtp (0: gain regardless)"),
    LATHE_PARAM_END
};

enum { A_GAIN_DB, A_IN_LUFS, A_OUT_LUFS, A_IN_TP, A_OUT_TP, A_COUNT };

typedef struct normalize_state {
    stream_gain sg;
    double analysis[A_COUNT];
} normalize_state;

static int normalize_analyze(void *state, lathe_analyze_ctx *ctx)
{
    (void)state;
    const normalize_params *p = ctx->params;
    struct { double lufs, tp; } in, out;
    int rc = stream_gain_measure(ctx->streams[0], 1.0f, &in.lufs, &in.tp, ctx->err,
                                 sizeof ctx->err);
    if (rc != LATHE_OK)
        return rc;
    if (isnan(in.lufs)) {
        snprintf(ctx->err, sizeof ctx->err,
                 "input is silent (below the -70 LUFS gate): nothing to normalize");
        return LATHE_ERR_PARAM;
    }
    double gain_db = p->target_lufs - in.lufs;
    out.lufs = in.lufs + gain_db;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        rc = stream_gain_measure(ctx->streams[0], (float)lathe_db_to_gain(gain_db), &out.lufs,
                                 &out.tp, ctx->err, sizeof ctx->err);
        if (rc != LATHE_OK)
            return rc;
        if (isnan(out.lufs) || fabs(out.lufs - p->target_lufs) < EXACT_LU)
            break;
        gain_db += p->target_lufs - out.lufs;
    }
    if (p->check_peak && out.tp > p->ceiling_dbtp) {
        snprintf(ctx->err, sizeof ctx->err,
                 "gain %+.1f dB would put the true peak at %+.2f dBTP, over the %+.1f dBTP "
                 "ceiling (input %.1f LUFS, %+.2f dBTP); use loudness{} to limit, or lower "
                 "target_lufs", gain_db, out.tp, p->ceiling_dbtp, in.lufs, in.tp);
        return LATHE_ERR_PARAM;
    }
    ctx->result[A_GAIN_DB] = gain_db;
    ctx->result[A_IN_LUFS] = in.lufs;
    ctx->result[A_OUT_LUFS] = out.lufs;
    ctx->result[A_IN_TP] = in.tp;
    ctx->result[A_OUT_TP] = out.tp;
    ctx->n_result = A_COUNT;
    return LATHE_OK;
}

static int normalize_prepare(void *state, lathe_prepare_ctx *ctx)
{
    normalize_state *s = state;
    return stream_gain_prepare(&s->sg, ctx, s->analysis, A_COUNT, A_GAIN_DB);
}

static void normalize_process(void *state, lathe_block *b)
{
    stream_gain_process(&((const normalize_state *)state)->sg, b);
}

static void normalize_report(void *state, lathe_report *r)
{
    const normalize_state *s = state;
    lathe_report_number(r, "gain_db", s->analysis[A_GAIN_DB]);
    lathe_report_number(r, "input_lufs", s->analysis[A_IN_LUFS]);
    lathe_report_number(r, "output_lufs", s->analysis[A_OUT_LUFS]);
    lathe_report_number(r, "input_true_peak_dbtp", s->analysis[A_IN_TP]);
    lathe_report_number(r, "output_true_peak_dbtp", s->analysis[A_OUT_TP]);
}

const lathe_node_desc lathe_node_normalize = {
    .name = "normalize",
    .summary = "linear gain to an integrated loudness; refuses to push the true peak over a ceiling",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(normalize_params),
    .params = normalize_table,
    .state_size = sizeof(normalize_state),
    .flags = LATHE_NODE_BARRIER,
    .prepare = normalize_prepare,
    .process = normalize_process,
    .analyze = normalize_analyze,
    .report = normalize_report,
};
