/* explain.h - naming what changed since the last run, for `lathe cache explain` and the JSON
 * run log. */
#ifndef LATHE_EXPLAIN_H
#define LATHE_EXPLAIN_H

#include "graph_int.h"

/* [main] After a successful render: remember every node's parameters and input keys. */
void lathe_explain_record(lathe_graph *g, lathe_cache *cache);
/* [main] Why node i is not in the cache: the parameters or inputs that differ from last time. */
void lathe_explain_why(const lathe_graph *g, lathe_cache *cache, int i, char *why, size_t size);

#endif
