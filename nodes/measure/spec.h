/* spec.h - the judging of a measured audio file against a deliverable profile (profiles.h)
 * (specs.md table, §1-§4, §6.10-6.11): every rule with its measured value and limit, the
 * failures, notes, and for streaming the playback each platform would make. It reads no file:
 * the program measures (cli/spec_measure.c) and hands the numbers in.
 *
 * A spec string is a profile name with optional overrides: "cd" or "cd:ceiling_dbtp=-1,min_track_s=2".
 * The stock chains (chains/deliver.lua) write such a string as an output's deliverable, so a
 * script's overrides reach the check; `lathe check --spec` accepts the same form. */
#ifndef LATHE_MEASURE_SPEC_H
#define LATHE_MEASURE_SPEC_H

#include "analysis.h"
#include "profiles.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* What the file is, as far as the format rules care (the caller reads it). */
typedef struct lathe_spec_file {
    const char *container; /* "wav", "flac", "aiff", "ogg", "mp3", ... */
    int bits;              /* word length; 0 for lossy */
    int is_float;
} lathe_spec_file;

/* What the check measures beyond lathe_analysis_result (the program's spec_measure.c). */
typedef struct lathe_spec_codec {
    const char *name;      /* "mp3_320k", "opus_160k" */
    int available;         /* 0: libsndfile cannot encode it here (the note says why) */
    uint64_t on_sample;    /* decoded samples with |x| >= 1.0 */
    uint64_t inter_sample; /* frames over 1.0 only between samples (4x+ reconstruction) */
    double sample_peak_dbfs, true_peak_dbtp;
    uint32_t rate; /* the rate encoded at (Opus: 48 kHz) */
    long bytes;    /* encoded size */
    double kbps;   /* its average bitrate */
    char note[160];
} lathe_spec_codec;

typedef struct lathe_spec_extra {
    int have_lf; /* stereo: low-frequency correlation measured */
    double lf_hz;
    double lf_corr_min; /* lowest correlation of a 1 s window below lf_hz */
    double lf_corr_min_time_s;
    int n_codecs;
    lathe_spec_codec codecs[2];
} lathe_spec_extra;

/* What a profile asks the measuring pass for, so the measuring knows no profile. */
typedef struct lathe_spec_wants {
    double lf_hz;    /* low-end correlation below this (NAN: not measured) */
    int codec_check; /* 1: MP3 and Opus round trips */
} lathe_spec_wants;

/* 0 when every name of the comma-separated list is a known platform; else -1 with the first
 * unknown name in bad. */
int lathe_spec_check_platforms(const char *list, char *bad, size_t n);


/* What a profile asks the measuring pass for (its lf_hz and codec_check). */
lathe_spec_wants lathe_spec_wants_of(const lathe_spec_profile *p);

/* Judges a measured file against the profile: returns 1 pass, 0 fail, -1 on a bad platform list
 * (message in the verdict's "error"). *verdict: {name, pass, failures:[{rule, measured, limit,
 * message}], rules:[...every rule...], notes:[...], playback:[...]}. `platforms` is a comma list
 * (NULL: report every platform; named platforms also add their own peak rule). */
int lathe_spec_evaluate(const lathe_spec_profile *p, const char *platforms,
                        const lathe_analysis_result *r, const lathe_spec_file *file,
                        const lathe_spec_extra *x, json_t **verdict);
/* Prints a verdict for people: one line per rule, then notes. */
void lathe_spec_print(FILE *f, const json_t *verdict);

#endif
