/* report_graph.h - the graph section of report.html: a drawing laid out by Graphviz's library
 * (libgvc) when lathe was built with it, else the DOT text `lathe graph` prints. */
#ifndef LATHE_CLI_REPORT_GRAPH_H
#define LATHE_CLI_REPORT_GRAPH_H

#include "lathe/lathe.h"

#include <stdio.h>

void lathe_report_graph(FILE *f, const lathe_graph *g);

#endif
