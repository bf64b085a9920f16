/* meter: a pass-through node (output = input, bit for bit) that measures what flows through it:
 * BS.1770 loudness (integrated, max momentary, max short-term, LRA), true peak, sample peak,
 * PLR, DC offset and inter-channel correlation, left in the run report. The kernels
 * (nodes/dsp/bs1770, truepeak) do the work; this file is glue. */
#include "lathe/lathe_node.h"

#include "measure/bs1770.h"
#include "dsp/truepeak.h"
#include "measure/kernel_host.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct meter_params {
    char label[LATHE_STR_MAX];
} meter_params;

static const lathe_param meter_table[] = {
    LATHE_STRING(meter_params, label, "", "name shown with the measurements in the run report"),
    LATHE_PARAM_END
};

typedef struct meter_state {
    lathe_bs1770 *loud;
    lathe_truepeak *tp;
    uint32_t channels;
    double sum[LATHE_MAX_CHANNELS], peak[LATHE_MAX_CHANNELS];
    double sum2[2], sum_lr;
    uint64_t frames;
    char label[LATHE_STR_MAX];
} meter_state;

static void meter_release(void *state)
{
    meter_state *s = state;
    lathe_bs1770_free(s->loud);
    lathe_truepeak_free(s->tp);
    s->loud = NULL;
    s->tp = NULL;
}

static void meter_reset(void *state)
{
    meter_state *s = state;
    lathe_bs1770_reset(s->loud);
    lathe_truepeak_reset(s->tp);
    memset(s->sum, 0, sizeof(s->sum));
    memset(s->peak, 0, sizeof(s->peak));
    s->sum2[0] = s->sum2[1] = s->sum_lr = 0.0;
    s->frames = 0;
}

static int meter_prepare(void *state, lathe_prepare_ctx *ctx)
{
    meter_state *s = state;
    const meter_params *p = ctx->params;
    const lathe_format *in = &ctx->in[0];
    s->channels = in->channels;
    memcpy(s->label, p->label, sizeof(s->label));
    int rc = lathe_bs1770_new(in->rate, in->channels, &s->loud);
    if (rc == 0)
        rc = lathe_truepeak_new(in->rate, in->channels, lathe_kernel_alloc(), &s->tp);
    /* reserve the block store so process never allocates */
    if (rc == 0 && in->frames)
        rc = lathe_bs1770_reserve(s->loud, in->frames);
    if (rc != 0) {
        meter_release(s);
        snprintf(ctx->err, sizeof(ctx->err), "cannot meter %u channels at %u Hz",
                 (unsigned)in->channels, (unsigned)in->rate);
        return lathe_kernel_status(rc);
    }
    meter_reset(s);
    return LATHE_OK;
}

static void stats(meter_state *s, const float *const *x, uint32_t n)
{
    for (uint32_t c = 0; c < s->channels; c++) {
        double sum = 0.0, pk = s->peak[c];
        for (uint32_t i = 0; i < n; i++) {
            double v = (double)x[c][i];
            sum += v;
            pk = fabs(v) > pk ? fabs(v) : pk;
        }
        s->sum[c] += sum;
        s->peak[c] = pk;
    }
    if (s->channels < 2)
        return;
    for (uint32_t i = 0; i < n; i++) {
        double l = (double)x[0][i], r = (double)x[1][i];
        s->sum2[0] += l * l;
        s->sum2[1] += r * r;
        s->sum_lr += l * r;
    }
}

static void meter_process(void *state, lathe_block *b)
{
    meter_state *s = state;
    const float *const *x = b->in[0];
    for (uint32_t c = 0; c < s->channels; c++)
        memcpy(b->out[c], x[c], b->n_in * sizeof(float));
    lathe_bs1770_add(s->loud, x, b->n_in);
    lathe_truepeak_add(s->tp, x, b->n_in);
    stats(s, x, b->n_in);
    s->frames += b->n_in;
}

static void put(lathe_report *r, const char *key, double v)
{
    if (isfinite(v))
        lathe_report_number(r, key, v);
    else
        lathe_report_string(r, key, "null"); /* below the gate / silence: never -inf */
}

static void meter_report(void *state, lathe_report *r)
{
    const meter_state *s = state;
    double spk = 0.0, dc = 0.0, n = s->frames ? (double)s->frames : 1.0;
    for (uint32_t c = 0; c < s->channels; c++) {
        spk = s->peak[c] > spk ? s->peak[c] : spk;
        dc = fabs(s->sum[c] / n) > dc ? fabs(s->sum[c] / n) : dc;
    }
    double integrated = lathe_bs1770_integrated(s->loud);
    double tp = lathe_gain_to_db(lathe_truepeak_max(s->tp));
    if (s->label[0])
        lathe_report_string(r, "label", s->label);
    put(r, "integrated_lufs", integrated);
    put(r, "momentary_max_lufs", lathe_bs1770_momentary_max(s->loud));
    put(r, "short_term_max_lufs", lathe_bs1770_short_term_max(s->loud));
    put(r, "lra_lu", lathe_bs1770_lra(s->loud));
    put(r, "true_peak_dbtp", tp);
    put(r, "sample_peak_dbfs", lathe_gain_to_db(spk));
    put(r, "plr_db", tp - integrated);
    put(r, "dc_offset_dbfs", lathe_gain_to_db(dc));
    if (s->channels >= 2) {
        double den = sqrt(s->sum2[0] * s->sum2[1]);
        put(r, "correlation", den > 0.0 ? s->sum_lr / den : (double)NAN);
    }
}

const lathe_node_desc lathe_node_meter = {
    .name = "meter",
    .summary = "pass-through loudness/true-peak meter (results in the run report)",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(meter_params),
    .params = meter_table,
    .state_size = sizeof(meter_state),
    .prepare = meter_prepare,
    .reset = meter_reset,
    .process = meter_process,
    .release = meter_release,
    .report = meter_report,
};
