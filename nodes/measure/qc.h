/* qc.h - sample-level mastering QC detectors (specs.md §6), with no engine dependency: DC and
 * RMS per channel, full-scale samples and clip runs (1630 rule), clicks, silence at head and tail,
 * inter-channel correlation (overall and anti-phase seconds), noise floor, content above 0.98 of
 * Nyquist (aliasing, where true-peak meters disagree).
 *
 * Clicks: the third difference of the signal (which suppresses the low-frequency bulk of music)
 * at a sample is compared with its mean magnitude over the ~5 ms before and the ~5 ms after
 * (0.5 ms around the sample left out); above LATHE_QC_CLICK_K times the larger of the two, and
 * above -60 dBFS, it is an impulse (a drum onset, quiet before but loud after, is not).
 * Detections closer than 2 ms merge. Spikes that are the signal's own edges are not reported
 * unless one stands LATHE_QC_CLICK_STANDOUT times above the rest: a spike with another of similar
 * strength within LATHE_QC_CLICK_CROWD_S on its channel (clipped peaks, a dense distorted synth),
 * or one of three evenly spaced at most LATHE_QC_CLICK_PERIOD_S apart (a saw or square wave down
 * to a 20 Hz fundamental). The last 5 ms of a stream are not examined (no lookahead past the end).

 * add() may grow the event lists (at most LATHE_QC_MAX_EVENTS each): [main] use only. */
#ifndef LATHE_QC_H
#define LATHE_QC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_QC_MAX_CH 64
#define LATHE_QC_MAX_EVENTS 10000
#define LATHE_QC_CLICK_K 14.0
#define LATHE_QC_CLICK_CROWD_S 0.025  /* spikes this close together are the signal's edges */
#define LATHE_QC_CLICK_PERIOD_S 0.05  /* ... and so is a regular series up to this period */
#define LATHE_QC_CLICK_STANDOUT 4.0   /* ... unless one is this much stronger (12 dB) */
#define LATHE_QC_FULL_SCALE 0.99996948f /* 32767/32768: 16-bit positive full scale */
#define LATHE_QC_CLIP_RUN 4             /* PCM-1630: 4 consecutive full-scale samples = over */
#define LATHE_QC_SILENCE 0.001          /* -60 dBFS, as FFmpeg silencedetect */

typedef struct lathe_qc_event {
    uint64_t frame;   /* first frame */
    uint32_t channel; /* or UINT32_MAX when it concerns all channels */
    uint32_t length;  /* frames */
    double value;     /* clip run: level; click: |3rd difference|; anti-phase: correlation */
} lathe_qc_event;

typedef struct lathe_qc_summary {
    uint32_t rate, channels;
    uint64_t frames;
    double sum[LATHE_QC_MAX_CH];   /* sum of x: DC = sum / frames */
    double sum2[LATHE_QC_MAX_CH];  /* sum of x^2 */
    double peak[LATHE_QC_MAX_CH];  /* max |x| */
    uint64_t full_scale[LATHE_QC_MAX_CH]; /* samples at or above LATHE_QC_FULL_SCALE */
    uint64_t nonfinite[LATHE_QC_MAX_CH];
    double sum_lr;                 /* sum of x0 * x1 (two or more channels) */
    int64_t first_loud, last_loud; /* first/last frame above LATHE_QC_SILENCE in any channel */
    double noise_floor;            /* min over 50 ms windows of the window peak, exact zeros
                                    * excluded; 0 when there is none */
    double top_band;               /* largest amplitude of the content between 0.98 of Nyquist
                                    * and Nyquist (dsp/topband.h; up to 8 channels, else 0) */
    lathe_qc_event *clip_runs;
    size_t n_clip_runs;
    lathe_qc_event *clicks;
    size_t n_clicks;
    lathe_qc_event *anti_phase;    /* 1 s windows above -50 dBFS with correlation < -0.5 */
    size_t n_anti_phase;
    int oom;                       /* an event list could not grow: the lists are incomplete */
} lathe_qc_summary;

typedef struct lathe_qc lathe_qc;

/* [main] Returns 0, -1 on out-of-memory, -2 on bad rate/channels. */
int lathe_qc_new(uint32_t rate, uint32_t channels, lathe_qc **out);
void lathe_qc_free(lathe_qc *q);
/* [main] Feeds n frames (planar). Block size does not change results. */
void lathe_qc_add(lathe_qc *q, const float *const *ch, uint32_t n);
/* [main] Closes open runs; the summary stays valid until the next add() or free(). */
const lathe_qc_summary *lathe_qc_finish(lathe_qc *q);
/* Drops from e (n events) the spikes that are the signal's own edges (see above); keeps the
 * rest in frame order and returns their count (click_edges.c; lathe_qc_finish calls it). Out
 * of memory keeps all n and sets *oom. */
size_t lathe_click_drop_edges(lathe_qc_event *e, size_t n, uint32_t rate, int *oom);

#ifdef __cplusplus
}
#endif
#endif
