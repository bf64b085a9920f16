/* analysis.c - the loudness and QC aggregator (see analysis.h): meters fed block by block, then
 * findings (specs.md §6; each with a severity, a code, a time and a message) and the result. */
#include "analysis.h"

#include "bs1770.h"
#include "click_rank.h"
#include "kernel_host.h"
#include "qc.h"
#include "dsp/fftw_safe.h"
#include "dsp/simd.h"
#include "dsp/truepeak.h"

#include "lathe/lathe_node.h"

#include <fftw3.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FFT_N 8192
#define FOLD_BLOCK 1024
#define LIST_CAP 20 /* findings listed per code before a summary line */

struct lathe_analysis {
    uint32_t rate, channels;
    lathe_bs1770 *loud, *mono;
    lathe_truepeak *tp;
    lathe_qc *qc;
    float fold[FOLD_BLOCK];  /* mono fold-down of the first two channels */
    int mono_fed;            /* stereo: the loudness meter feeds `mono` itself */
    double *fft_in;          /* mono mix, FFT_N */
    fftw_complex *fft_out;
    fftw_plan plan;
    double window[FFT_N];
    uint32_t fft_pos;
    double band_power[LATHE_OCTAVE_BANDS];
    int band_lo[LATHE_OCTAVE_BANDS], band_hi[LATHE_OCTAVE_BANDS]; /* bins, inclusive */
    /* peak per 100 ms window (linear); grows like the short-term series */
    double *peaks;
    size_t n_peaks, cap_peaks;
    uint32_t win, win_pos;
    float win_max;
    int peaks_oom;
    /* optional helper thread running side_add() beside the loudness meter and true peak */
    lathe_worker *worker;
    const float *const *job_ch;
    uint32_t job_n;
};

const char *lathe_severity_name(lathe_severity s)
{
    return s == LATHE_SEV_ERROR ? "error" : s == LATHE_SEV_WARNING ? "warning" : "info";
}

static void setup_bands(lathe_analysis *a)
{
    double bin_hz = (double)a->rate / FFT_N;
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++) {
        double fc = 1000.0 * pow(2.0, b - 5);
        double lo = fc / sqrt(2.0), hi = fmin(fc * sqrt(2.0), a->rate / 2.0);
        a->band_lo[b] = (int)ceil(lo / bin_hz);
        a->band_hi[b] = (int)floor(hi / bin_hz);
        if (a->band_hi[b] >= FFT_N / 2)
            a->band_hi[b] = FFT_N / 2;
    }
    for (int i = 0; i < FFT_N; i++)
        a->window[i] = 0.5 - 0.5 * cos(2.0 * 3.14159265358979323846 * i / FFT_N);
}

int lathe_analysis_new(uint32_t rate, uint32_t channels, lathe_analysis **out)
{
    if (rate < 8000 || rate > 768000 || channels < 1 || channels > LATHE_ANALYSIS_MAX_CH)
        return -2;
    lathe_analysis *a = lathe_calloc(1, sizeof(*a));
    if (!a)
        return -1;
    a->rate = rate;
    a->channels = channels;
    int rc = lathe_bs1770_new(rate, channels, &a->loud);
    if (!rc && channels >= 2 && (rc = lathe_bs1770_new(rate, 1, &a->mono)) == 0) {
        lathe_bs1770_set_weight(a->mono, 0, 2.0); /* a fold played on two speakers */
        a->mono_fed = channels == 2 && lathe_bs1770_set_fold(a->loud, a->mono) == 0;
    }
    if (!rc)
        rc = lathe_truepeak_new(rate, channels, lathe_kernel_alloc(), &a->tp);
    if (!rc)
        rc = lathe_qc_new(rate, channels, &a->qc);
    a->fft_in = fftw_alloc_real(FFT_N);
    a->fft_out = fftw_alloc_complex(FFT_N / 2 + 1);
    if (!rc && (!a->fft_in || !a->fft_out))
        rc = -1;
    if (!rc) {
        lathe_fftw_planner_safe();
        a->plan = fftw_plan_dft_r2c_1d(FFT_N, a->fft_in, a->fft_out, FFTW_ESTIMATE);
        if (!a->plan)
            rc = -1;
    }
    if (rc) {
        lathe_analysis_free(a);
        return rc;
    }
    setup_bands(a);
    a->win = rate / 10;
    *out = a;
    return 0;
}

void lathe_analysis_free(lathe_analysis *a)
{
    if (!a)
        return;
    lathe_worker_free(a->worker);
    lathe_bs1770_free(a->loud);
    lathe_bs1770_free(a->mono);
    lathe_truepeak_free(a->tp);
    lathe_qc_free(a->qc);
    if (a->plan)
        fftw_destroy_plan(a->plan);
    fftw_free(a->fft_in);
    fftw_free(a->fft_out);
    lathe_dealloc(a->peaks);
    lathe_dealloc(a);
}

static void spectrum_frame(lathe_analysis *a)
{
    for (int i = 0; i < FFT_N; i++)
        a->fft_in[i] *= a->window[i];
    fftw_execute(a->plan);
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++) {
        double p = 0.0;
        for (int k = a->band_lo[b]; k <= a->band_hi[b]; k++)
            p += a->fft_out[k][0] * a->fft_out[k][0] + a->fft_out[k][1] * a->fft_out[k][1];
        a->band_power[b] += p;
    }
    a->fft_pos = 0;
}

static void spectrum_add(lathe_analysis *a, const float *const *ch, uint32_t n)
{
    double g = 1.0 / a->channels;
    for (uint32_t i = 0; i < n;) {
        uint32_t k = FFT_N - a->fft_pos < n - i ? FFT_N - a->fft_pos : n - i;
        double *d = a->fft_in + a->fft_pos;
        for (uint32_t j = 0; j < k; j++)
            d[j] = (double)ch[0][i + j];
        for (uint32_t c = 1; c < a->channels; c++)
            for (uint32_t j = 0; j < k; j++)
                d[j] += (double)ch[c][i + j];
        for (uint32_t j = 0; j < k; j++)
            d[j] *= g;
        a->fft_pos += k;
        i += k;
        if (a->fft_pos == FFT_N)
            spectrum_frame(a);
    }
}

static int peaks_reserve(lathe_analysis *a, size_t cap)
{
    if (cap <= a->cap_peaks)
        return 0;
    double *p = lathe_realloc(a->peaks, cap * sizeof(double));
    if (!p)
        return -1;
    a->peaks = p;
    a->cap_peaks = cap;
    return 0;
}

int lathe_analysis_reserve(lathe_analysis *a, uint64_t frames)
{
    if (lathe_bs1770_reserve(a->loud, frames) || (a->mono && lathe_bs1770_reserve(a->mono, frames)))
        return -1;
    return peaks_reserve(a, (size_t)(frames / a->win) + 2);
}

static void peak_push(lathe_analysis *a)
{
    if (a->n_peaks == a->cap_peaks && !a->peaks_oom)
        a->peaks_oom = peaks_reserve(a, a->cap_peaks ? 2 * a->cap_peaks : 1024) != 0;
    if (!a->peaks_oom)
        a->peaks[a->n_peaks++] = (double)a->win_max;
    a->win_max = 0.0f;
    a->win_pos = 0;
}

/* lathe_absmax (dsp/simd.h) in this file's AVX2 clone: the largest |x| with NaNs passed over,
 * as `v > m ? v : m` over the samples gives it, in lanes instead of one serial chain. */
LATHE_HOT_CLONES static float window_absmax(const float *x, uint32_t n)
{
    return lathe_absmax(x, n);
}

static void peak_add(lathe_analysis *a, const float *const *ch, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        uint32_t k = a->win - a->win_pos < n - i ? a->win - a->win_pos : n - i;
        float m = a->win_max;
        for (uint32_t c = 0; c < a->channels; c++) {
            float v = window_absmax(ch[c] + i, k);
            m = v > m ? v : m;
        }
        a->win_max = m;
        a->win_pos += k;
        i += k;
        if (a->win_pos == a->win)
            peak_push(a);
    }
}

static void mono_add(lathe_analysis *a, const float *const *ch, uint32_t n);

/* The QC detectors, peaks, spectrum and (beyond stereo) the mono fold share no state with the
 * loudness meter and true peak: they may run on a second thread, block by block, with the same
 * results. The split keeps the two threads about equally busy. */
static void side_add(lathe_analysis *a, const float *const *ch, uint32_t n)
{
    lathe_qc_add(a->qc, ch, n);
    peak_add(a, ch, n);
    spectrum_add(a, ch, n);
    mono_add(a, ch, n);
}

static void side_job(void *arg)
{
    lathe_analysis *a = arg;
    side_add(a, a->job_ch, a->job_n);
}

int lathe_analysis_set_parallel(lathe_analysis *a)
{
    if (!a->worker && lathe_worker_new(&a->worker) != LATHE_OK)
        return -1; /* stays sequential: slower, same results */
    return 0;
}

void lathe_analysis_add(lathe_analysis *a, const float *const *ch, uint32_t n)
{
    if (!a->worker) {
        lathe_bs1770_add(a->loud, ch, n);
        lathe_truepeak_add(a->tp, ch, n);
        side_add(a, ch, n);
        return;
    }
    a->job_ch = ch;
    a->job_n = n;
    lathe_worker_run(a->worker, side_job, a);
    lathe_bs1770_add(a->loud, ch, n);
    lathe_truepeak_add(a->tp, ch, n);
    lathe_worker_wait(a->worker); /* ch belongs to the caller: done with it before returning */
}

double lathe_analysis_integrated(const lathe_analysis *a)
{
    return lathe_bs1770_integrated(a->loud);
}

static void mono_add(lathe_analysis *a, const float *const *ch, uint32_t n)
{
    if (!a->mono || a->mono_fed)
        return;
    for (uint32_t off = 0; off < n; off += FOLD_BLOCK) {
        uint32_t k = n - off < FOLD_BLOCK ? n - off : FOLD_BLOCK;
        for (uint32_t i = 0; i < k; i++)
            a->fold[i] = 0.5f * (ch[0][off + i] + ch[1][off + i]);
        const float *f[1] = {a->fold};
        lathe_bs1770_add(a->mono, f, k);
    }
}

/* ---- findings -------------------------------------------------------------------------------- */

/* The findings' capacity, and whether one could not be added (the result is then refused). */
typedef struct finding_list {
    size_t cap;
    int oom;
} finding_list;

static void add_finding(lathe_analysis_result *r, finding_list *cap, lathe_severity sev,
                        const char *code, double t, int ch, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void add_finding(lathe_analysis_result *r, finding_list *cap, lathe_severity sev,
                        const char *code, double t, int ch, const char *fmt, ...)
{
    if (r->n_findings == cap->cap) {
        size_t nc = cap->cap ? cap->cap * 2 : 16;
        lathe_finding *p = lathe_realloc(r->findings, nc * sizeof(*p));
        if (!p) {
            cap->oom = 1;
            return;
        }
        r->findings = p;
        cap->cap = nc;
    }
    lathe_finding *f = &r->findings[r->n_findings++];
    f->severity = sev;
    snprintf(f->code, sizeof(f->code), "%s", code);
    f->time_s = t;
    f->channel = ch;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
}

static double db20(double x)
{
    return x > 0.0 ? 20.0 * log10(x) : -(double)INFINITY;
}

/* Clicks as ranked places (click_rank.h): the LIST_CAP strongest groups with their counts, then
 * one line with the totals, so hundreds of detections still make a report one can act on. */
static void click_findings(lathe_analysis_result *r, finding_list *cap, const lathe_qc_summary *q)
{
    if (q->n_clicks == 0)
        return;
    lathe_click_group *g = lathe_alloc(q->n_clicks * sizeof *g);
    size_t ng = g ? lathe_click_groups(q->clicks, q->n_clicks, r->rate, g) : 0;
    cap->oom |= ng == 0; /* clicks always make a place: none is out of memory */
    for (size_t i = 0; i < ng && i < LIST_CAP; i++)
        add_finding(r, cap, LATHE_SEV_WARNING, "click", g[i].strongest_s, (int)g[i].channel,
                    "click/pop #%zu: %zu click(s) %.2f-%.2f s, strongest |3rd diff| %.3f", i + 1,
                    g[i].count, g[i].start_s, g[i].end_s, g[i].peak);
    double minutes = r->duration_s > 0.0 ? r->duration_s / 60.0 : 1.0;
    add_finding(r, cap, LATHE_SEV_WARNING, "click", 0.0, -1,
                "%zu clicks in %zu places (%.1f per minute)%s", q->n_clicks, ng,
                (double)q->n_clicks / minutes, ng > LIST_CAP ? ", strongest places listed" : "");
    lathe_dealloc(g);
}

static void event_findings(lathe_analysis_result *r, finding_list *cap, const lathe_qc_summary *q)
{
    for (size_t i = 0; i < q->n_clip_runs; i++) {
        const lathe_qc_event *e = &q->clip_runs[i];
        if (i < LIST_CAP)
            add_finding(r, cap, LATHE_SEV_ERROR, "clip_run", (double)e->frame / r->rate,
                        (int)e->channel, "%u consecutive full-scale samples (4 or more is an over)",
                        (unsigned)e->length);
    }
    if (q->n_clip_runs > LIST_CAP)
        add_finding(r, cap, LATHE_SEV_ERROR, "clip_run", 0.0, -1, "%zu more clip runs",
                    q->n_clip_runs - LIST_CAP);
    click_findings(r, cap, q);
    for (size_t i = 0; i < q->n_anti_phase && i < LIST_CAP; i++)
        add_finding(r, cap, LATHE_SEV_WARNING, "anti_phase",
                    (double)q->anti_phase[i].frame / r->rate, -1,
                    "channels out of phase for 1 s (correlation %.2f)", q->anti_phase[i].value);
}

static void level_findings(lathe_analysis_result *r, finding_list *cap)
{
    if (r->nonfinite_samples)
        add_finding(r, cap, LATHE_SEV_ERROR, "nonfinite", 0.0, -1, "%llu NaN/Inf samples",
                    (unsigned long long)r->nonfinite_samples);
    if (r->true_peak_dbtp > 0.0)
        add_finding(r, cap, LATHE_SEV_ERROR, "true_peak", r->true_peak_time_s, -1,
                    "true peak %+.2f dBTP: inter-sample overs", r->true_peak_dbtp);
    else if (r->true_peak_dbtp > -1.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "true_peak", r->true_peak_time_s, -1,
                    "true peak %+.2f dBTP above -1 dBTP", r->true_peak_dbtp);
    if (r->clipped_samples && !r->clip_runs)
        add_finding(r, cap, LATHE_SEV_INFO, "full_scale", 0.0, -1,
                    "%llu full-scale samples, none in runs of 4",
                    (unsigned long long)r->clipped_samples);
    for (uint32_t c = 0; c < r->channels; c++)
        if (fabs(r->dc_offset[c]) > 0.001)
            add_finding(r, cap, LATHE_SEV_WARNING, "dc_offset", 0.0, (int)c,
                        "DC offset %.1f dBFS (above -60 dBFS)", r->dc_offset_dbfs[c]);
    if (isnan(r->integrated_lufs))
        add_finding(r, cap, LATHE_SEV_INFO, "below_gate", 0.0, -1,
                    "programme below the -70 LUFS gate or shorter than 400 ms");
    if (r->silence_head_s > 2.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "silence_head", 0.0, -1,
                    "%.2f s of silence (< -60 dBFS) at the start", r->silence_head_s);
    if (r->silence_tail_s > 2.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "silence_tail", r->duration_s - r->silence_tail_s,
                    -1, "%.2f s of silence (< -60 dBFS) at the end", r->silence_tail_s);
    if (r->correlation < 0.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "phase", 0.0, -1,
                    "negative inter-channel correlation %.2f", r->correlation);
    if (r->mono_loss_lu > 3.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "mono_loss", 0.0, -1,
                    "mono fold-down loses %.1f LU", r->mono_loss_lu);
    if (fabs(r->imbalance_db) > 1.0)
        add_finding(r, cap, LATHE_SEV_WARNING, "imbalance", 0.0, -1,
                    "left/right level differs by %.1f dB", r->imbalance_db);
    /* Meters flat to 0.98 of Nyquist may read the peak that much apart (dsp/topband.h); from
     * 0.01 dB, the precision peaks are quoted to, it is worth knowing why two disagree. */
    double spread = 20.0 * log10(1.0 + pow(10.0, (r->top_band_dbfs - r->true_peak_dbtp) / 20.0));
    if (isfinite(r->top_band_dbfs) && spread >= 0.01)
        add_finding(r, cap, LATHE_SEV_INFO, "top_band", 0.0, -1,
                    "content above 0.98 of Nyquist (aliasing?) up to %.1f dBFS: true-peak meters "
                    "may read up to %.2f dB apart", r->top_band_dbfs, spread);
}

/* ---- result ---------------------------------------------------------------------------------- */

static void fill_levels(lathe_analysis *a, lathe_analysis_result *r, const lathe_qc_summary *q)
{
    double frames = r->frames ? (double)r->frames : 1.0, sum2 = 0.0, spk = 0.0;
    r->integrated_lufs = lathe_bs1770_integrated(a->loud);
    r->momentary_max_lufs = lathe_bs1770_momentary_max(a->loud);
    r->short_term_max_lufs = lathe_bs1770_short_term_max(a->loud);
    r->lra_lu = lathe_bs1770_lra(a->loud);
    for (uint32_t c = 0; c < r->channels; c++) {
        r->channel_true_peak_dbtp[c] = db20(lathe_truepeak_channel_max(a->tp, c));
        r->channel_sample_peak_dbfs[c] = db20(q->peak[c]);
        r->channel_rms_dbfs[c] = db20(sqrt(q->sum2[c] / frames));
        r->dc_offset[c] = q->sum[c] / frames;
        r->dc_offset_dbfs[c] = db20(fabs(r->dc_offset[c]));
        r->clipped_samples += q->full_scale[c];
        r->nonfinite_samples += q->nonfinite[c];
        sum2 += q->sum2[c];
        spk = fmax(spk, q->peak[c]);
    }
    r->true_peak_dbtp = db20(lathe_truepeak_max(a->tp));
    int64_t tf = lathe_truepeak_max_frame(a->tp);
    r->true_peak_time_s = tf > 0 ? (double)tf / r->rate : 0.0;
    r->sample_peak_dbfs = db20(spk);
    r->plr_db = r->true_peak_dbtp - r->integrated_lufs;
    r->crest_db = r->sample_peak_dbfs - db20(sqrt(sum2 / (frames * r->channels)));
    r->clip_runs = q->n_clip_runs;
    r->noise_floor_dbfs = db20(q->noise_floor);
    r->top_band_dbfs = db20(q->top_band);
    r->silence_head_s = q->first_loud < 0 ? r->duration_s : (double)q->first_loud / r->rate;
    r->silence_tail_s = q->last_loud < 0 ? r->duration_s
                                         : (double)(r->frames - 1 - (uint64_t)q->last_loud) / r->rate;
}

static void fill_stereo(lathe_analysis *a, lathe_analysis_result *r, const lathe_qc_summary *q)
{
    r->correlation = r->mono_loss_lu = r->imbalance_db = NAN;
    if (r->channels < 2)
        return;
    double den = sqrt(q->sum2[0] * q->sum2[1]);
    r->correlation = den > 0.0 ? q->sum_lr / den : 0.0;
    double fold = lathe_bs1770_integrated(a->mono), st = r->integrated_lufs;
    if (!isnan(st))
        r->mono_loss_lu = isnan(fold) ? st + 70.0 : st - fold; /* a silent fold: at least this */
    if (q->sum2[0] > 0.0 && q->sum2[1] > 0.0)
        r->imbalance_db = 10.0 * log10(q->sum2[0] / q->sum2[1]);
}

static int fill_series(lathe_analysis *a, lathe_analysis_result *r, const lathe_qc_summary *q)
{
    r->n_short_term = lathe_bs1770_short_term_count(a->loud);
    r->short_term_lufs = lathe_alloc((r->n_short_term + 1) * sizeof(double));
    r->clicks = lathe_alloc((q->n_clicks + 1) * sizeof(lathe_click_at));
    if (!r->short_term_lufs || !r->clicks)
        return -1;
    for (size_t i = 0; i < r->n_short_term; i++)
        r->short_term_lufs[i] = lathe_bs1770_short_term_at(a->loud, i);
    r->n_clicks = q->n_clicks;
    for (size_t i = 0; i < q->n_clicks; i++)
        r->clicks[i] = (lathe_click_at){(double)q->clicks[i].frame / r->rate, q->clicks[i].channel};
    if (a->win_pos > 0)
        peak_push(a);
    r->peak_dbfs = lathe_alloc((a->n_peaks + 1) * sizeof(double));
    if (!r->peak_dbfs)
        return -1;
    r->n_peak = a->n_peaks;
    for (size_t i = 0; i < a->n_peaks; i++)
        r->peak_dbfs[i] = db20(a->peaks[i]);
    double total = 0.0;
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++)
        total += a->band_power[b];
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++) {
        r->octave_hz[b] = 1000.0 * pow(2.0, b - 5);
        r->octave_db[b] = total > 0.0 ? 10.0 * log10(a->band_power[b] / total) : -(double)INFINITY;
    }
    return 0;
}

int lathe_analysis_finish(lathe_analysis *a, lathe_analysis_result **out)
{
    lathe_analysis_result *r = lathe_calloc(1, sizeof(*r));
    if (!r)
        return -1;
    const lathe_qc_summary *q = lathe_qc_finish(a->qc);
    if (a->fft_pos > FFT_N / 4) { /* a last partial frame, zero-padded, if it holds enough */
        memset(a->fft_in + a->fft_pos, 0, (FFT_N - a->fft_pos) * sizeof(double));
        spectrum_frame(a);
    }
    r->rate = a->rate;
    r->channels = a->channels;
    r->frames = q->frames;
    r->duration_s = (double)q->frames / a->rate;
    fill_levels(a, r, q);
    fill_stereo(a, r, q);
    if (fill_series(a, r, q) != 0) {
        lathe_analysis_result_free(r);
        return -1;
    }
    finding_list list = {0, 0};
    level_findings(r, &list);
    event_findings(r, &list, q);
    /* Out of memory anywhere in the pass leaves a partial result: refused, never reported. */
    if (list.oom || q->oom || a->peaks_oom || !lathe_bs1770_complete(a->loud) ||
        (a->mono && !lathe_bs1770_complete(a->mono))) {
        lathe_analysis_result_free(r);
        return -1;
    }
    *out = r;
    return 0;
}
