/* verdicts.h - what render and master say about each deliverable after a run: what was done
 * to its level, its spec verdict, what the platforms will play it at, and the failures on
 * stderr (the exit code says 1 when one failed). */
#ifndef LATHE_VERDICTS_H
#define LATHE_VERDICTS_H

#include "lathe/lathe.h"

#include <jansson.h>
#include <stdio.h>

/* Output i's level line ("raised +2.9 dB, limited at most 0.8 dB"), its verdict and its
 * playback line, when its JSON object out carries a spec. */
void lathe_cli_output_verdict(FILE *f, const lathe_graph *g, int i, const json_t *out);
/* Prints each failed rule of every output on stderr ("lathe: PATH: spec cd: RULE: message")
 * and returns 1 when every judged output passed. */
int lathe_cli_judge(const json_t *run);
/* Warns (stderr) for every judged output whose chain limits to the spec's ceiling and then
 * dithers with no margin left for the dither and the rounding. */
void lathe_cli_warn_dither_margin(const lathe_graph *g);

#endif
