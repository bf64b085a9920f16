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

/* The stereo low end's correlation per 1 s window below w->lf_hz (vinyl, specs.md §3.3), fed
 * the frames as they come: output_meter.c measures it as each output is written, so the check
 * needs no second read of the file. lathe_spec_lf_new: NULL when w asks for none, the stream is
 * not stereo, or out of memory; the result goes into x's low-end fields (x outlives the meter),
 * complete after lathe_spec_lf_finish. */
typedef struct lathe_spec_lf lathe_spec_lf;
lathe_spec_lf *lathe_spec_lf_new(const lathe_spec_wants *w, uint32_t rate, uint32_t channels,
                                 lathe_spec_extra *x);
void lathe_spec_lf_add(lathe_spec_lf *m, const float *const *ch, uint32_t n);
void lathe_spec_lf_finish(lathe_spec_lf *m);
void lathe_spec_lf_free(lathe_spec_lf *m);

/* The format facts the rules judge, from what the reader found. */
static inline lathe_spec_file lathe_spec_file_of(const lathe_audio_info *info)
{
    return (lathe_spec_file){info->container, info->bits, info->is_float};
}

/* Measures path and judges it against spec ("cd" or "cd:ceiling_dbtp=-1"): 1 pass, 0 fail, -1 on
 * a bad spec or an unreadable file (message in the verdict's "error"). With r, the caller's
 * analysis is used, and with lf a low end measured as the file was written (lathe_spec_lf, used
 * when its frequency is the spec's); the file is read only for what is left. platforms NULL:
 * the list set by lathe_spec_set_platforms. */
int lathe_spec_check(const char *spec, const char *platforms, const char *path,
                     const lathe_analysis_result *r, const lathe_spec_extra *lf, json_t **verdict);
/* Platforms used when lathe_spec_check gets NULL (master's --platform); NULL: all. */
void lathe_spec_set_platforms(const char *list);
const char *lathe_spec_platforms(void);

#endif
