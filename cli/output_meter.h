/* output_meter.h - the program's tap on a render's outputs: every output written is measured
 * (loudness, true peak, QC: measure/analysis.h) from the very frames the engine writes, so the
 * reports and spec checks need no second read of the file. The engine knows no meter; it calls
 * the tap (lathe_output_tap) this module hands to the render configuration. */
#ifndef LATHE_OUTPUT_METER_H
#define LATHE_OUTPUT_METER_H

#include "cache/cache.h"
#include "lathe/lathe.h"
#include "measure/analysis.h"
#include "measure/spec.h"

typedef struct lathe_output_meters lathe_output_meters;

/* [main] Meters for the outputs of g. A lossy output (mp3, opus, ogg) is measured from its
 * decoded file once written: what a listener gets back, overs of the codec included. LATHE_OK or
 * LATHE_ERR_NOMEM; *out untouched on error. */
int lathe_output_meters_new(const lathe_graph *g, lathe_output_meters **out);
/* NULL is a no-op; frees every result too. */
void lathe_output_meters_free(lathe_output_meters *m);
/* The tap to put in lathe_render_config.tap; valid while m lives. */
const lathe_output_tap *lathe_output_meters_tap(lathe_output_meters *m);
/* What output i measured as it was written this run; NULL when it was not written (left alone,
 * up to date) or m is NULL. Owned by m. */
const lathe_analysis_result *lathe_output_meters_result(const lathe_output_meters *m, int i);

/* The low end's correlation output i's deliverable asked for (vinyl), measured as it was
 * written this run; NULL when none was (no such spec, mono, silent low end, not written).
 * Owned by m. */
const lathe_spec_extra *lathe_output_meters_lf(const lathe_output_meters *m, int i);

/* The source file output i is compared with in the reports: the first reached walking up from
 * its node, depth first; NULL when none (a generator) or out of memory. */
const char *lathe_output_source_path(const lathe_graph *g, int i);

/* [main] With threads > 1, starts measuring on a thread of its own, while the render runs, the
 * source files the outputs are compared with (the reports chart them beside each output), each
 * as lathe_cli_analyze_file_cached would (remembered in c, which may be NULL); with one thread
 * it does nothing and the report measures them after the render, as before. */
void lathe_output_meters_measure_sources(lathe_output_meters *m, lathe_cache *c, int threads);
/* [main] Waits for that measurement (a no-op when none runs): after it, the cache's counters
 * include what it read. */
void lathe_output_meters_wait_sources(lathe_output_meters *m);
/* [main] The measurement of source file `path` started above (waiting for it), or NULL when it
 * was not started or failed. Owned by m. */
const lathe_analysis_result *lathe_output_meters_source(lathe_output_meters *m, const char *path);

#endif
