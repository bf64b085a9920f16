/* report_findings.h - report.html's QC findings: each output's, judged against its own
 * deliverable where it names one, and marked when its source already had the same. */
#ifndef LATHE_CLI_REPORT_FINDINGS_H
#define LATHE_CLI_REPORT_FINDINGS_H

#include "lathe/lathe.h"
#include "measure/analysis.h"

#include <stdio.h>

/* 0 for a finding the output's own spec judges instead: the generic "true peak above -1 dBTP"
 * of an output that names a deliverable, whose ceiling (the CD's -0.3 dBTP, a loud stream's
 * -2) its spec verdict checks. Overs above 0 dBTP always apply. */
int lathe_finding_applies(const lathe_output_result *o, const lathe_finding *x);

/* The findings section: per output a table of what applies, each row marked "also in the
 * source" when src[i] (the output's source, NULL when none was measured) has that finding too. */
void lathe_report_findings(FILE *f, const lathe_graph *g, const lathe_analysis_result *const *an,
                           const lathe_analysis_result *const *src);

#endif
