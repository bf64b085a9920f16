/* spec_measure.h - the program's half of a spec check: what it measures beyond the analysis, in
 * one read of the file (the stereo low end's correlation and the lossy round trips), then the
 * judging by measure/spec.h. The measuring is told what to measure (lathe_spec_wants) and knows
 * no profile, so the two do not call each other. */
#ifndef LATHE_SPEC_MEASURE_H
#define LATHE_SPEC_MEASURE_H

#include "engine/audio_io.h"
#include "measure/spec.h"

#include <stdint.h>

/* Reads path, measuring the analysis (unless r is NULL: the caller has it), the stereo low end
 * and (when w asks) the lossy round trips, each on its own thread. On failure returns
 * an exit code (3) after writing err. */
int lathe_spec_measure_file(const char *path, const lathe_spec_wants *w,
                            lathe_analysis_result **r, lathe_audio_info *info,
                            lathe_spec_extra *x, char *err, size_t err_size);

/* The format facts the rules judge, from what the reader found. */
static inline lathe_spec_file lathe_spec_file_of(const lathe_audio_info *info)
{
    return (lathe_spec_file){info->container, info->bits, info->is_float};
}

/* Measures path and judges it against spec ("cd" or "cd:ceiling_dbtp=-1"): 1 pass, 0 fail, -1 on
 * a bad spec or an unreadable file (message in the verdict's "error"). With r, the caller's
 * analysis is used and the file is read only for the extra measurements. platforms NULL: the
 * list set by lathe_spec_set_platforms. */
int lathe_spec_check(const char *spec, const char *platforms, const char *path,
                     const lathe_analysis_result *r, json_t **verdict);
/* Platforms used when lathe_spec_check gets NULL (master's --platform); NULL: all. */
void lathe_spec_set_platforms(const char *list);
const char *lathe_spec_platforms(void);

#endif
