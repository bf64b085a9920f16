/* render_report.h - what render and master print after a run: a readable summary, or the JSON
 * contract of design.md ({"outputs": [...], "cache": {...}, "nodes": [...]}). */
#ifndef LATHE_RENDER_REPORT_H
#define LATHE_RENDER_REPORT_H

#include "lathe/lathe.h"
#include "output_meter.h"

#include <jansson.h>
#include <stdio.h>

/* One output's JSON object (path, deliverable, rate, bits, format, the analysis fields of a,
 * what the output measured as it was written; NULL: none) with its spec verdict (lf: its low
 * end measured as written, NULL: measured from the file). */
json_t *lathe_output_to_json(const lathe_output_result *r, const lathe_analysis_result *a,
                             const lathe_spec_extra *lf);
struct lathe_cache;
/* The whole run. With a cache, each written output's report (analysis, spec verdict) is
 * remembered, and outputs left alone (up to date) report what was remembered: the JSON contract
 * holds without measuring or checking again. */
json_t *lathe_run_to_json(const lathe_graph *g, const lathe_output_meters *m,
                          struct lathe_cache *cache);
/* "24-bit", or a lossy output's "320 kbps", into buf. */
const char *lathe_output_depth(const lathe_output_result *r, char *buf, size_t size);
/* The summary for people, from the run's JSON. */
void lathe_run_print(FILE *f, const lathe_graph *g, const json_t *run);

#endif
