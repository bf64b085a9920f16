/* analysis_json.h - a lathe_analysis_result as the JSON object of design.md "Machine-readable
 * results", and as a readable text report. */
#ifndef LATHE_ANALYSIS_JSON_H
#define LATHE_ANALYSIS_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "measure/analysis.h"

/* A new JSON object (the caller owns the reference). NAN/inf loudness and dB values are null. */
json_t *lathe_analysis_to_json(const char *file, const lathe_analysis_result *r);
/* The same numbers as a report for people, to f. */
void lathe_analysis_print(FILE *f, const char *file, const lathe_analysis_result *r);

#endif
