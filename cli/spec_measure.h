/* spec_measure.h - what a spec check measures beyond the analysis, in one read of the file:
 * the stereo low end's correlation and the lossy round trips. It is told what to measure
 * (lathe_spec_wants) and knows no profile, so the measuring and the judging (spec.c) do not
 * call each other. */
#ifndef LATHE_SPEC_MEASURE_H
#define LATHE_SPEC_MEASURE_H

#include "measure/analysis.h"
#include "engine/audio_io.h"

#include <stdint.h>

/* What the check measures beyond lathe_analysis_result (spec_measure.c). */
typedef struct lathe_spec_codec {
    const char *name;    /* "mp3_320k", "opus_160k" */
    int available;       /* 0: libsndfile cannot encode it here (the note says why) */
    uint64_t on_sample;  /* decoded samples with |x| >= 1.0 */
    uint64_t inter_sample; /* frames over 1.0 only between samples (4x+ reconstruction) */
    double sample_peak_dbfs, true_peak_dbtp;
    uint32_t rate;       /* the rate encoded at (Opus: 48 kHz) */
    long bytes;          /* encoded size */
    double kbps;         /* its average bitrate */
    char note[160];
} lathe_spec_codec;

typedef struct lathe_spec_extra {
    int have_lf;         /* stereo: low-frequency correlation measured */
    double lf_hz;
    double lf_corr_min;  /* lowest correlation of a 1 s window below lf_hz */
    double lf_corr_min_time_s;
    int n_codecs;
    lathe_spec_codec codecs[2];
} lathe_spec_extra;

typedef struct lathe_spec_wants {
    double lf_hz;    /* low-end correlation below this (NAN: not measured) */
    int codec_check; /* 1: MP3 and Opus round trips */
} lathe_spec_wants;

/* Reads path, measuring the analysis (unless r is NULL: the caller has it), the stereo low end
 * and (when w asks) the lossy round trips, each on its own thread. On failure returns
 * an exit code (3) after writing err. */
int lathe_spec_measure_file(const char *path, const lathe_spec_wants *w,
                            lathe_analysis_result **r, lathe_audio_info *info,
                            lathe_spec_extra *x, char *err, size_t err_size);

#endif
