/* analysis.h - the whole loudness and QC report of one stream (what `lathe analyze` prints):
 * BS.1770 loudness (bs1770.h), true peak (truepeak.h), sample-level QC (qc.h), mono fold-down
 * loss, octave-band balance, and findings graded by severity with thresholds from specs.md §6.
 *
 * Usage [main]: new(rate, channels) -> add(block)... -> finish(&result) -> free; the result lives
 * on until lathe_analysis_result_free().
 * Loudness values that are below the absolute gate (or need more signal) are NAN in the result;
 * dB values of an all-zero signal are -INFINITY (JSON writers print both as null). */
#ifndef LATHE_ANALYSIS_H
#define LATHE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_ANALYSIS_MAX_CH 64
#define LATHE_OCTAVE_BANDS 10 /* centres 31.25 Hz .. 16 kHz (nominal 31.5 .. 16k) */

typedef enum lathe_severity {
    LATHE_SEV_INFO = 0,
    LATHE_SEV_WARNING = 1,
    LATHE_SEV_ERROR = 2
} lathe_severity;

typedef struct lathe_finding {
    lathe_severity severity;
    char code[24];     /* clip_run, true_peak, dc_offset, click, silence_head, ... */
    double time_s;     /* where it happens (0 for whole-file findings) */
    int channel;       /* -1 for all channels */
    char message[160];
} lathe_finding;

typedef struct lathe_click_at {
    double time_s;
    uint32_t channel;
} lathe_click_at;

typedef struct lathe_analysis_result {
    uint32_t rate, channels;
    uint64_t frames;
    double duration_s;
    /* loudness (LUFS / LU), NAN below the gate */
    double integrated_lufs, momentary_max_lufs, short_term_max_lufs, lra_lu;
    /* peaks and dynamics (dB) */
    double true_peak_dbtp, true_peak_time_s, sample_peak_dbfs, plr_db, crest_db;
    double channel_true_peak_dbtp[LATHE_ANALYSIS_MAX_CH];
    double channel_sample_peak_dbfs[LATHE_ANALYSIS_MAX_CH];
    double channel_rms_dbfs[LATHE_ANALYSIS_MAX_CH];
    double dc_offset[LATHE_ANALYSIS_MAX_CH];       /* mean, linear */
    double dc_offset_dbfs[LATHE_ANALYSIS_MAX_CH];  /* 20 log10 |mean| */
    /* stereo (first two channels); NAN for mono */
    double correlation, mono_loss_lu, imbalance_db;
    /* QC */
    uint64_t clipped_samples, clip_runs, nonfinite_samples;
    lathe_click_at *clicks;
    size_t n_clicks;
    double silence_head_s, silence_tail_s;
    double noise_floor_dbfs;
    double top_band_dbfs;    /* peak of the content above 0.98 of Nyquist (-inf: none) */
    double octave_hz[LATHE_OCTAVE_BANDS];
    double octave_db[LATHE_OCTAVE_BANDS]; /* band power relative to the total, dB */
    /* short-term loudness every 100 ms (NAN for silent windows) */
    double *short_term_lufs;
    size_t n_short_term;
    lathe_finding *findings;
    size_t n_findings;
    /* sample peak over all channels in each 100 ms window (dBFS; -inf for digital silence), for
     * peak-over-time plots; the last window may be shorter */
    double *peak_dbfs;
    size_t n_peak;
} lathe_analysis_result;

typedef struct lathe_analysis lathe_analysis;

/* Returns 0, -1 on out-of-memory, -2 on an unsupported rate or channel count. */
int lathe_analysis_new(uint32_t rate, uint32_t channels, lathe_analysis **out);
void lathe_analysis_free(lathe_analysis *a);
/* Sizes the loudness and peak series for a stream of `frames` frames, so add() allocates
 * nothing (a longer stream still works: the series grow). 0, or -1 on out-of-memory. */
int lathe_analysis_reserve(lathe_analysis *a, uint64_t frames);
/* Feeds n frames (planar, ch[c][i]). Block size does not change results. */
void lathe_analysis_add(lathe_analysis *a, const float *const *ch, uint32_t n);
/* Runs the QC detectors on a second thread beside the meters (same results, shorter wall time)
 * for callers measuring one stream at a time (lathe analyze). 0, or -1: stays sequential. */
int lathe_analysis_set_parallel(lathe_analysis *a);
/* The BS.1770 integrated loudness (LUFS) of what was added so far: what
 * lathe_analysis_finish() reports, and what a lathe_bs1770 meter fed the same frames reads. */
double lathe_analysis_integrated(const lathe_analysis *a);
/* Allocates the result into *out (the caller owns it: lathe_analysis_result_free). Returns 0, or
 * -1 on out-of-memory with *out untouched. Call once, after the last add(). */
int lathe_analysis_finish(lathe_analysis *a, lathe_analysis_result **out);
/* Frees a result and everything it points to; NULL is a no-op. */
void lathe_analysis_result_free(lathe_analysis_result *r);
/* One buffer holding a result (malloc'd), for the render cache: readable by the same build on
 * the same machine only (a layout check refuses anything else). */
int lathe_analysis_result_pack(const lathe_analysis_result *r, void **buf, size_t *len);
int lathe_analysis_result_unpack(const void *buf, size_t len, lathe_analysis_result **out);

/* Shortcuts for reports: LUFS, dBTP, LU (NAN when unmeasured). */
double lathe_analysis_result_integrated(const lathe_analysis_result *r);
double lathe_analysis_result_true_peak(const lathe_analysis_result *r);
double lathe_analysis_result_lra(const lathe_analysis_result *r);

const char *lathe_severity_name(lathe_severity s);

#ifdef __cplusplus
}
#endif
#endif
