/* spec.h - the check of any audio file against a deliverable profile (measure/profiles.h)
 * (specs.md table, §1-§4, §6.10-6.11): every rule with its measured
 * value and limit, the failures, notes, and for streaming the playback each platform would make.
 *
 * A spec string is a profile name with optional overrides: "cd" or "cd:ceiling_dbtp=-1,min_track_s=2".
 * The stock chains (chains/deliver.lua) write such a string as an output's deliverable, so a
 * script's overrides reach the check; `lathe check --spec` accepts the same form. */
#ifndef LATHE_SPEC_H
#define LATHE_SPEC_H

#include "measure/analysis.h"
#include "measure/profiles.h"
#include "engine/audio_io.h"

#include <jansson.h>

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

/* Platforms used when lathe_spec_check gets NULL (master's --platform); NULL: all. */
void lathe_spec_set_platforms(const char *list);


/* Reads path, measuring the analysis (unless r is NULL: the caller has it), the stereo low end
 * and (when the profile asks) the lossy round trips, each on its own thread. On failure returns
 * an exit code (3) after writing err. */
int lathe_spec_measure_file(const char *path, const lathe_spec_profile *p,
                            lathe_analysis_result **r, lathe_audio_info *info,
                            lathe_spec_extra *x, char *err, size_t err_size);

/* Checks the measured file against the spec: returns 1 pass, 0 fail, -1 on a bad spec (message
 * in the verdict's "error"). *verdict: {name, spec, pass, failures:[{rule, measured, limit,
 * message}], rules:[...every rule...], notes:[...], playback:[...]}. `platforms` is a comma list
 * (NULL: report every platform; named platforms also add their own peak rule). `path` is read
 * again for the extra measurements. */
int lathe_spec_check(const char *spec, const char *platforms, const char *path,
                     const lathe_analysis_result *r, const lathe_audio_info *info,
                     json_t **verdict);
/* Same, with the file's measurements already made. */
int lathe_spec_evaluate(const lathe_spec_profile *p, const char *platforms,
                        const lathe_analysis_result *r, const lathe_audio_info *info,
                        const lathe_spec_extra *x, json_t **verdict);
/* Prints a verdict for people: one line per rule, then notes. */
void lathe_spec_print(FILE *f, const json_t *verdict);

#endif
