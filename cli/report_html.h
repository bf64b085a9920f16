/* report_html.h - report.html: what a render did to the music, readable without JavaScript and
 * printable. Per deliverable a table (format, loudness, LRA, true peak, PLR, QC verdict with
 * reasons); inline SVG charts (short-term loudness of the sources and every deliverable, peak per
 * 100 ms with the true-peak maximum marked, level change against the source over time, gain
 * reduction per dynamics node, octave spectrum before/after); QC findings with times; the nodes
 * and cache use; the graph as DOT. */
#ifndef LATHE_REPORT_HTML_H
#define LATHE_REPORT_HTML_H

#include "lathe/lathe.h"
#include "output_meter.h"

#include <jansson.h>

struct lathe_cache;

/* [main] Writes the report of a rendered graph to path (a temporary file beside it, renamed when
 * complete). Sources are measured again here (read once each); outputs left alone because they
 * were up to date are measured from their files. `title` names the run (the script); may be
 * NULL. `run` is the run's JSON (lathe_run_to_json) when made: each output's "spec" verdict
 * comes from it; NULL shows the QC verdict only. `previews` (may be NULL): the --preview
 * excerpts, played with <audio> elements. Returns 0, or 3 after printing a one-line error
 * when the file cannot be written. */
struct lathe_previews;
int lathe_report_html_write(const char *path, const lathe_graph *g, const char *title,
                            const struct lathe_previews *previews,
                            const json_t *run, lathe_output_meters *m,
                            struct lathe_cache *cache);

#endif
