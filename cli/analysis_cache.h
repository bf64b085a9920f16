/* analysis_cache.h - measurements of files remembered in the render cache by their content. */
#ifndef LATHE_ANALYSIS_CACHE_H
#define LATHE_ANALYSIS_CACHE_H

#include "measure/analysis.h"
#include "cache/cache.h"

/* Remembers r as the analysis of the file at path (as it is now), or, given its content key (hex
 * XXH3-128 of its bytes, lathe_output_result.content_key; NULL or "": read the file), of the
 * file of those bytes. c may be NULL. */
void lathe_cli_remember_analysis(lathe_cache *c, const char *path, const char *content_key,
                                 const lathe_analysis_result *r);
/* The remembered analysis of the file, or a new measurement (then remembered). c may be NULL.
 * Returns 0, or the exit code of lathe_cli_analyze_file. */
int lathe_cli_analyze_file_cached(lathe_cache *c, const char *path, lathe_analysis_result **out);

#endif
