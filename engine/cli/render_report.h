/* render_report.h - what render and master print after a run: a readable summary, or the JSON
 * contract of design.md ({"outputs": [...], "cache": {...}, "nodes": [...]}). */
#ifndef LATHE_RENDER_REPORT_H
#define LATHE_RENDER_REPORT_H

#include "lathe.h"

#include <jansson.h>
#include <stdio.h>

/* One output's JSON object (path, deliverable, rate, bits, format, the analysis fields). */
json_t *lathe_output_to_json(const lathe_output_result *r);
/* The whole run. */
json_t *lathe_run_to_json(const lathe_graph *g);
void lathe_run_print(FILE *f, const lathe_graph *g);

#endif
