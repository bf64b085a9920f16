/* report_match.h - report.html's reference-matching section: for every match node that ran, the
 * long-term 1/3-octave spectra of its input and of the reference (aligned in level), mid and
 * side, beside the correction it applied, from the curves its run report carries. */
#ifndef LATHE_REPORT_MATCH_H
#define LATHE_REPORT_MATCH_H

#include "lathe/lathe.h"

#include <stdio.h>

/* [main] Writes the section (nothing when no match node reported curves). */
void lathe_report_match_charts(FILE *f, const lathe_graph *g);

#endif
