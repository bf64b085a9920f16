/* report_graph.c - see report_graph.h. The DOT that `lathe graph` prints is the one source of the
 * drawing: libgvc lays it out and writes SVG, inlined without its XML prolog. */
#define _POSIX_C_SOURCE 200809L
#include "report_graph.h"

#include "report_svg.h"

#include <stdlib.h>
#include <string.h>

#ifdef LATHE_HAVE_GVC
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

/* Writes the drawing; 0 when done, -1 when Graphviz could not (no layout or svg plugin).
 * One context for the process, as Graphviz intends: its text plugin keeps font state across
 * contexts, and a second context after freeing the first reads freed memory (lathe batch and
 * lathe master draw one report per track). */
static int draw(FILE *f, const char *dot)
{
    static GVC_t *gvc;
    if (!gvc)
        gvc = gvContext();
    Agraph_t *G = gvc ? agmemread(dot) : NULL;
    char *svg = NULL;
    unsigned int len = 0;
    int ok = G && gvLayout(gvc, G, "dot") == 0;
    if (ok)
        ok = gvRenderData(gvc, G, "svg", &svg, &len) == 0 && svg;
    const char *start = ok ? strstr(svg, "<svg") : NULL;
    if (start) {
        fputs("<div class=\"graph\">\n", f);
        fwrite(start, 1, len - (unsigned int)(start - svg), f);
        fputs("</div>\n", f);
    }
    if (svg)
        gvFreeRenderData(svg);
    if (G) {
        gvFreeLayout(gvc, G);
        agclose(G);
    }
    return start ? 0 : -1;
}
#else
static int draw(FILE *f, const char *dot)
{
    (void)f, (void)dot;
    return -1;
}
#endif

void lathe_report_graph(FILE *f, const lathe_graph *g)
{
    char *dot = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&dot, &len);
    if (m) {
        lathe_graph_write_dot(g, m);
        fclose(m);
    }
    fputs("<h2 id=\"graph\">Graph</h2>\n", f);
    if (dot && draw(f, dot) == 0) {
        fputs("<p class=\"note\">Drawn by Graphviz from the DOT that <code>lathe graph</code> "
              "prints.</p>\n", f);
    } else {
        fputs("<p class=\"note\">Graphviz DOT (<code>lathe graph</code> prints the same; "
              "<code>dot -Tsvg</code> draws it; lathe draws it itself when built with Graphviz's "
              "library, libgraphviz-dev).</p>\n<pre class=\"dot\">", f);
        lathe_html_escape(f, dot ? dot : "");
        fputs("</pre>\n", f);
    }
    free(dot);
}
