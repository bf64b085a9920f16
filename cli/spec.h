/* spec.h - the check of any audio file against a deliverable profile (measure/profiles.h)
 * (specs.md table, §1-§4, §6.10-6.11): every rule with its measured
 * value and limit, the failures, notes, and for streaming the playback each platform would make.
 *
 * A spec string is a profile name with optional overrides: "cd" or "cd:ceiling_dbtp=-1,min_track_s=2".
 * The stock chains (chains/deliver.lua) write such a string as an output's deliverable, so a
 * script's overrides reach the check; `lathe check --spec` accepts the same form. */
#ifndef LATHE_SPEC_H
#define LATHE_SPEC_H

#include "measure/profiles.h"
#include "spec_measure.h"

#include <jansson.h>


/* Platforms used when lathe_spec_check gets NULL (master's --platform); NULL: all. */
void lathe_spec_set_platforms(const char *list);
/* 0 when every name of the comma-separated list is a known platform; else -1 with the first
 * unknown name in bad. */
int lathe_spec_check_platforms(const char *list, char *bad, size_t n);


/* What a profile asks the measuring pass for (its lf_hz and codec_check). */
lathe_spec_wants lathe_spec_wants_of(const lathe_spec_profile *p);

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
