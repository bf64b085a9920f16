/* match: shapes the programme's long-term tonal balance toward a reference recording's
 * (reference matching, after Matchering's published method, with the controls its users ask
 * for). An analysis barrier with two inputs, the programme and the reference:
 *
 *  1. each is measured alone (nodes/dsp/bandspec.h): mid and side power on a 1/6-octave grid,
 *     loudest segments only, at the programme's own rate (nothing is resampled); these
 *     measurements are memos keyed by each input's content, so ten tracks matched to one
 *     reference measure it once;
 *  2. the reference's spectra are scaled to the programme's power inside [low_hz, high_hz]
 *     (mid and side together, so a difference in width is matched too), and the band-by-band
 *     ratio in dB is smoothed on the log-frequency axis, scaled by `amount`, held within
 *     +-max_db, and faded to 0 dB at the range's edges (nothing outside is touched);
 *  3. mid and side are each convolved with a linear-phase FIR carrying that curve (the eq
 *     node's FFTW partitioned convolution, nodes/dsp/fftconv.h); the delay is latency, which
 *     the engine trims.
 *
 * There is no limiter and no loudness step: the output keeps about the programme's power, and
 * the branch decides level and peaks (loudness{}, limit{}). */
#include "lathe/lathe_node.h"
#include "dsp/bandspec.h"
#include "dsp/fftconv.h"
#include "measure/kernel_host.h"

#include <stdio.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define NB LATHE_BANDSPEC_BANDS
#define READ_FRAMES 8192
#define RAMP_OCT (1.0 / 3.0)  /* the correction fades in over this inside the range's edges */
#define FLOOR_REL 1e-10       /* bands this far below the programme's strongest are noise */
/* What the measurement memo depends on besides the input: the grid and the segment rule. */
#define MEMO_TAG "bandspec 1/6 oct, loudest 3 s segments, v1"

typedef struct match_params {
    char reference[LATHE_STR_MAX];
    double amount, max_db, low_hz, high_hz, smoothing_oct;
} match_params;

static const lathe_param match_table[] = {
    LATHE_STRING(match_params, reference, "",
                 "audio file whose tonal balance to match (relative to the script; read only)"),
    LATHE_NUMBER(match_params, amount, 1.0, 0.0, 1.0,
                 "share of the correction applied, in dB (0: none, bit-exact; 0.5: half)"),
    LATHE_NUMBER(match_params, max_db, 12.0, 0.0, 24.0,
                 "largest boost or cut at any frequency (dB)"),
    LATHE_NUMBER(match_params, low_hz, 20.0, 10.0, 100000.0,
                 "nothing below this is touched (Hz)"),
    LATHE_NUMBER(match_params, high_hz, 20000.0, 10.0, 100000.0,
                 "nothing above this is touched (Hz; at most 0.45 x either rate)"),
    LATHE_NUMBER(match_params, smoothing_oct, 1.0 / 3.0, 0.0, 2.0,
                 "smoothing of the correction on the log-frequency axis (octaves at half height)"),
    LATHE_PARAM_END
};

/* The analysis: both programmes' band powers and whether each came from a memo. */
enum { A_REF_MID = 0, A_REF_SIDE = NB, A_IN_MID = 2 * NB, A_IN_SIDE = 3 * NB,
       A_REF_RECALLED = 4 * NB, A_IN_RECALLED, A_COUNT };
_Static_assert(A_COUNT <= LATHE_ANALYSIS_MAX, "the analysis fits the engine's record");

typedef struct curve_ctx {
    const double *db; /* on the band grid */
    double low_hz, high_hz;
} curve_ctx;

typedef struct match_state {
    const match_params *p;
    uint32_t channels, half;
    double rate, level_db;
    double analysis[A_COUNT];
    double corr[2][NB]; /* mid, side: dB on the band grid, before the range fade */
    curve_ctx curve[2];
    lathe_fftconv *conv[2];
    float *ms[2];
    int active, analysed;
} match_state;

/* Measures input k's mid/side band powers into spec[0..2 NB), or recalls them. */
static int measure(lathe_analyze_ctx *ctx, int k, double *spec, double *recalled)
{
    const size_t size = 2 * NB * sizeof(double);
    *recalled = lathe_analyze_recall_input(ctx, k, MEMO_TAG, spec, size) == size;
    if (*recalled)
        return LATHE_OK;
    lathe_stream *st = ctx->streams[k];
    const lathe_format *f = lathe_stream_format(st);
    lathe_bandspec *bs = NULL;
    float *buf[2] = {0};
    int rc = LATHE_ERR_NOMEM;
    if (lathe_bandspec_new(f->rate, f->channels, lathe_kernel_alloc(), &bs) != 0)
        goto done;
    for (uint32_t c = 0; c < f->channels; c++)
        if (!(buf[c] = lathe_alloc(READ_FRAMES * sizeof(float))))
            goto done;
    rc = lathe_stream_rewind(st);
    long got;
    while (rc == LATHE_OK && (got = lathe_stream_read(st, buf, READ_FRAMES)) != 0) {
        if (got < 0) {
            snprintf(ctx->err, sizeof ctx->err, "%s could not be read",
                     k ? "the reference" : "the input");
            rc = LATHE_ERR_IO;
        } else if (lathe_bandspec_add(bs, (const float *const *)buf, (uint32_t)got) != 0) {
            rc = LATHE_ERR_NOMEM;
        }
    }
    if (rc == LATHE_OK && lathe_bandspec_finish(bs, spec, spec + NB) != 0)
        rc = LATHE_ERR_NOMEM;
    if (rc == LATHE_OK)
        lathe_analyze_remember_input(ctx, k, MEMO_TAG, spec, size);
done:
    for (int c = 0; c < 2; c++)
        lathe_dealloc(buf[c]);
    lathe_bandspec_free(bs);
    return rc;
}

static int match_analyze(void *state, lathe_analyze_ctx *ctx)
{
    (void)state;
    int rc = measure(ctx, 0, ctx->result + A_IN_MID, &ctx->result[A_IN_RECALLED]);
    if (rc == LATHE_OK)
        rc = measure(ctx, 1, ctx->result + A_REF_MID, &ctx->result[A_REF_RECALLED]);
    ctx->n_result = A_COUNT;
    return rc;
}

/* 0 outside [low, high], 1 inside from RAMP_OCT in, a raised cosine in log frequency between. */
static double range_weight(double f, double low, double high)
{
    if (f <= low || f >= high)
        return 0.0;
    double up = log2(f / low) / RAMP_OCT, down = log2(high / f) / RAMP_OCT;
    double t = fmin(1.0, fmin(up, down));
    return 0.5 - 0.5 * cos(M_PI * t);
}

static double curve_db(const curve_ctx *c, double f)
{
    return range_weight(f, c->low_hz, c->high_hz) * lathe_bandspec_interp(c->db, f);
}

static double curve_gain(void *ctx, double f)
{
    return lathe_db_to_gain(curve_db(ctx, f));
}

static int in_range(const match_state *s, int b)
{
    double f = lathe_bandspec_centre_hz(b);
    return f >= s->curve[0].low_hz && f <= s->curve[0].high_hz;
}

/* The reference's level relative to the programme's inside the range (power of mid and side
 * together, bands weighted by their width, which grows with frequency); NAN when either is
 * silent there. */
static double level_offset_db(const match_state *s, const double *a)
{
    double ref = 0.0, in = 0.0;
    for (int b = 0; b < NB; b++) {
        double w = lathe_bandspec_centre_hz(b);
        if (!in_range(s, b) || isnan(a[A_REF_MID + b]) || isnan(a[A_IN_MID + b]))
            continue;
        ref += w * (a[A_REF_MID + b] + a[A_REF_SIDE + b]);
        in += w * (a[A_IN_MID + b] + a[A_IN_SIDE + b]);
    }
    return ref > 0.0 && in > 0.0 ? 10.0 * log10(ref / in) : (double)NAN;
}

/* One part's correction (dB on the grid): the level-aligned ratio, smoothed, held within
 * max_db. Bands the programme barely has (nothing to shape) are left to the smoothing of their
 * neighbours, and 0 dB where there are none. */
static void part_correction(const match_state *s, const double *ref, const double *in,
                            double floor_in, double floor_ref, double *out)
{
    double raw[NB], smooth[NB];
    for (int b = 0; b < NB; b++) {
        if (isnan(ref[b]) || isnan(in[b]) || in[b] <= floor_in)
            raw[b] = NAN;
        else
            raw[b] = 10.0 * log10(fmax(ref[b], floor_ref) / in[b]) - s->level_db;
    }
    lathe_bandspec_smooth(raw, smooth, s->p->smoothing_oct);
    for (int b = 0; b < NB; b++)
        out[b] = isnan(smooth[b]) ? 0.0 : fmax(-s->p->max_db, fmin(s->p->max_db, smooth[b]));
}

/* The programme's power inside the range after the correction, relative to before (dB). */
static double power_change_db(const match_state *s)
{
    const double *a = s->analysis;
    double before = 0.0, after = 0.0;
    for (int b = 0; b < NB; b++) {
        double f = lathe_bandspec_centre_hz(b), w = f * range_weight(f, s->curve[0].low_hz,
                                                                   s->curve[0].high_hz);
        if (w <= 0.0 || isnan(a[A_IN_MID + b]))
            continue;
        before += w * (a[A_IN_MID + b] + a[A_IN_SIDE + b]);
        after += w * (a[A_IN_MID + b] * pow(10.0, s->corr[0][b] / 10.0)
                      + a[A_IN_SIDE + b] * pow(10.0, s->corr[1][b] / 10.0));
    }
    return before > 0.0 && after > 0.0 ? 10.0 * log10(after / before) : 0.0;
}

/* The full correction keeps the programme's power in the range (where max_db cut a large
 * difference short, the aligned spectra alone would not); amount then scales it in dB, so 0.5
 * is exactly half of 1. */
static void correction(match_state *s)
{
    const double *a = s->analysis;
    double in_max = 0.0, ref_max = 0.0;
    for (int b = 0; b < NB; b++) {
        if (isnan(a[A_IN_MID + b]) || isnan(a[A_REF_MID + b]))
            continue;
        in_max = fmax(in_max, a[A_IN_MID + b] + a[A_IN_SIDE + b]);
        ref_max = fmax(ref_max, a[A_REF_MID + b] + a[A_REF_SIDE + b]);
    }
    s->level_db = level_offset_db(s, a);
    if (isnan(s->level_db)) /* a silent programme or reference: nothing to compare, 0 dB */
        return;
    for (int part = 0; part < 2; part++)
        part_correction(s, a + (part ? A_REF_SIDE : A_REF_MID), a + (part ? A_IN_SIDE : A_IN_MID),
                        FLOOR_REL * in_max, FLOOR_REL * ref_max, s->corr[part]);
    for (int pass = 0; pass < 8; pass++) {
        double d = power_change_db(s);
        for (int part = 0; part < 2; part++)
            for (int b = 0; b < NB; b++)
                s->corr[part][b] = fmax(-s->p->max_db, fmin(s->p->max_db, s->corr[part][b] - d));
    }
    for (int part = 0; part < 2; part++)
        for (int b = 0; b < NB; b++)
            s->corr[part][b] *= s->p->amount;
}

static int design(match_state *s, int part)
{
    double *h = lathe_alloc(2 * s->half * sizeof(double));
    if (!h)
        return LATHE_ERR_NOMEM;
    int rc = lathe_fftconv_design_linear_phase(curve_gain, &s->curve[part], s->rate, s->half, h);
    if (rc == 0)
        rc = lathe_fftconv_new(h, 2 * s->half, s->half / 2, 1, lathe_kernel_alloc(),
                               &s->conv[part]);
    lathe_dealloc(h);
    return rc == 0 ? LATHE_OK : LATHE_ERR_NOMEM;
}

static int check_formats(const match_params *p, lathe_prepare_ctx *ctx)
{
    for (int k = 0; k < 2; k++)
        if (ctx->in[k].channels > 2) {
            snprintf(ctx->err, LATHE_ERR_MAX, "the %s has %u channels; match takes mono or stereo",
                     k ? "reference" : "input", (unsigned)ctx->in[k].channels);
            return LATHE_ERR_FORMAT;
        }
    double top = 0.45 * fmin(ctx->in[0].rate, ctx->in[1].rate);
    if (p->low_hz >= p->high_hz) {
        snprintf(ctx->err, LATHE_ERR_MAX, "low_hz %g must be below high_hz %g", p->low_hz,
                 p->high_hz);
        return LATHE_ERR_PARAM;
    }
    if (p->low_hz >= top) {
        snprintf(ctx->err, LATHE_ERR_MAX, "low_hz %g must be below %g (0.45 x the lower rate)",
                 p->low_hz, top);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

static int match_prepare(void *state, lathe_prepare_ctx *ctx)
{
    match_state *s = state;
    const match_params *p = ctx->params;
    int rc = check_formats(p, ctx);
    if (rc != LATHE_OK)
        return rc;
    s->p = p;
    s->channels = ctx->in[0].channels;
    s->rate = ctx->in[0].rate;
    for (s->half = 16; s->half < 0.16 * s->rate; s->half *= 2)
        ;
    for (int part = 0; part < 2; part++)
        s->curve[part] = (curve_ctx){ .db = s->corr[part], .low_hz = p->low_hz,
                                      .high_hz = fmin(p->high_hz, 0.45 * fmin(ctx->in[0].rate,
                                                                              ctx->in[1].rate)) };
    /* The delay depends only on the rate, so planning (no analysis yet) sees the same one. */
    if (p->amount > 0.0)
        ctx->latency = s->half + s->half / 2;
    if (!ctx->analysis)
        return LATHE_OK;
    if (ctx->n_analysis < A_COUNT) {
        snprintf(ctx->err, LATHE_ERR_MAX, "no spectrum analysis");
        return LATHE_ERR_INTERNAL;
    }
    memcpy(s->analysis, ctx->analysis, sizeof s->analysis);
    s->analysed = 1;
    s->active = p->amount > 0.0;
    if (!s->active)
        return LATHE_OK;
    correction(s);
    for (int part = 0; part < (s->channels == 2 ? 2 : 1); part++) {
        if ((rc = design(s, part)) != LATHE_OK)
            return rc;
        if (!(s->ms[part] = lathe_alloc(ctx->max_out_frames * sizeof(float))))
            return LATHE_ERR_NOMEM;
    }
    return LATHE_OK;
}

static void match_reset(void *state)
{
    match_state *s = state;
    for (int part = 0; part < 2; part++)
        if (s->conv[part])
            lathe_fftconv_reset(s->conv[part]);
}

/* [rt] Reads the programme, convolves mid and side, zeros past its end (the FIR's tail). */
static void match_process(void *state, lathe_block *b)
{
    match_state *s = state;
    long got = lathe_stream_read(b->streams[0], b->out, b->n_out);
    uint32_t n = got > 0 ? (uint32_t)got : 0, m = b->n_out;
    for (uint32_t c = 0; c < s->channels; c++)
        memset(b->out[c] + n, 0, (m - n) * sizeof(float));
    if (!s->active) /* amount 0: the programme itself (no latency) */
        return;
    if (s->channels == 1) {
        lathe_fftconv_process(s->conv[0], (const float *const *)b->out, b->out, m);
        return;
    }
    float *restrict l = b->out[0], *restrict r = b->out[1], *mid = s->ms[0], *side = s->ms[1];
    for (uint32_t i = 0; i < m; i++) {
        mid[i] = 0.5f * (l[i] + r[i]);
        side[i] = 0.5f * (l[i] - r[i]);
    }
    lathe_fftconv_process(s->conv[0], (const float *const *)&mid, &mid, m);
    lathe_fftconv_process(s->conv[1], (const float *const *)&side, &side, m);
    for (uint32_t i = 0; i < m; i++) {
        l[i] = mid[i] + side[i];
        r[i] = mid[i] - side[i];
    }
}

static void match_release(void *state)
{
    match_state *s = state;
    for (int part = 0; part < 2; part++) {
        lathe_fftconv_free(s->conv[part]);
        lathe_dealloc(s->ms[part]);
        s->conv[part] = NULL;
        s->ms[part] = NULL;
    }
}

/* The 1/3-octave centres (base 2) reported, with their nominal names. */
static const char *const third_names[] = {
    "20", "25", "31.5", "40", "50", "63", "80", "100", "125", "160", "200", "250", "315", "400",
    "500", "630", "800", "1000", "1250", "1600", "2000", "2500", "3150", "4000", "5000", "6300",
    "8000", "10000", "12500", "16000", "20000"
};
#define THIRD_FIRST (LATHE_BANDSPEC_B1K - 34) /* the grid band of 20 Hz (19.7 Hz exactly) */
_Static_assert(THIRD_FIRST >= 0 && THIRD_FIRST + 2 * 30 < NB, "the reported bands lie on the grid");

/* Appends "v1,v2,..." of one series at the reported 1/3-octave bands to buf. */
static void series(const match_state *s, int which, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int j = 0; j < (int)(sizeof third_names / sizeof *third_names); j++) {
        int b = THIRD_FIRST + 2 * j;
        double f = lathe_bandspec_centre_hz(b), v;
        if (isnan(s->analysis[A_IN_MID + b]) || isnan(s->analysis[A_REF_MID + b]))
            break;
        if (which < 2) /* the applied correction, mid or side */
            v = s->active ? curve_db(&s->curve[which], f) : 0.0;
        else { /* spectra in dB; the reference's aligned to the programme's level */
            static const int at[] = { A_IN_MID, A_IN_SIDE, A_REF_MID, A_REF_SIDE };
            double p = s->analysis[at[which - 2] + b];
            v = 10.0 * log10(fmax(p, 1e-30)) - (which >= 4 && !isnan(s->level_db) ? s->level_db : 0);
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%.2f", j ? "," : "", v);
        if (used >= size)
            return;
    }
}

static void match_report(void *state, lathe_report *r)
{
    const match_state *s = state;
    static const char *const keys[] = { "correction_mid_db", "correction_side_db", "input_mid_db",
                                        "input_side_db", "reference_mid_db", "reference_side_db" };
    char buf[LATHE_ERR_MAX];
    if (!s->analysed)
        return;
    lathe_report_string(r, "reference", s->p->reference);
    lathe_report_string(r, "reference_analysis",
                        s->analysis[A_REF_RECALLED] != 0.0 ? "recalled" : "measured");
    lathe_report_string(r, "input_analysis",
                        s->analysis[A_IN_RECALLED] != 0.0 ? "recalled" : "measured");
    lathe_report_number(r, "reference_level_db", s->level_db);
    size_t used = 0;
    for (int j = 0; j < (int)(sizeof third_names / sizeof *third_names)
                    && !isnan(s->analysis[A_IN_MID + THIRD_FIRST + 2 * j])
                    && !isnan(s->analysis[A_REF_MID + THIRD_FIRST + 2 * j]); j++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", j ? "," : "",
                                 third_names[j]);
    lathe_report_string(r, "bands_hz", buf);
    for (int k = 0; k < 6; k++) {
        if (s->channels == 1 && (k & 1))
            continue; /* a mono programme has no side */
        series(s, k, buf, sizeof buf);
        lathe_report_string(r, keys[k], buf);
    }
}

static int match_is_identity(const void *params, const lathe_format *in)
{
    (void)in;
    return ((const match_params *)params)->amount == 0.0;
}

const lathe_node_desc lathe_node_match = {
    .name = "match",
    .summary = "reference matching: linear-phase mid/side EQ toward a reference's long-term "
               "tonal balance (amount, max_db, frequency range)",
    .version = 1,
    .n_inputs = 2,
    .params_size = sizeof(match_params),
    .params = match_table,
    .state_size = sizeof(match_state),
    .flags = LATHE_NODE_BARRIER,
    .prepare = match_prepare,
    .reset = match_reset,
    .process = match_process,
    .release = match_release,
    .analyze = match_analyze,
    .report = match_report,
    .is_identity = match_is_identity,
    .file_input = "reference",
};
