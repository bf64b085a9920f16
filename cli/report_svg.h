/* report_svg.h - hand-written inline SVG charts for report.html: line charts over time or over
 * octave bands, and horizontal bar charts. No JavaScript; every chart carries its own width and
 * height so it prints and renders the same everywhere. */
#ifndef LATHE_REPORT_SVG_H
#define LATHE_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

#define LATHE_SVG_W 760
#define LATHE_SVG_H 280

typedef struct lathe_svg_series {
    const char *name;  /* legend text */
    const double *y;   /* non-finite values leave a gap */
    size_t n;
    double x0, dx;     /* x of point i: x0 + i * dx */
    int dashed;        /* sources are dashed, deliverables solid */
    int color;         /* palette index: a file keeps its colour on every chart */
} lathe_svg_series;

typedef struct lathe_svg_chart {
    const char *kind;   /* CSS class: loudness, peak, change, spectrum, gr */
    const char *title, *xlabel, *ylabel;
    double xmin, xmax, ymin, ymax;
    const char *const *xticks; /* labels at x = 0, 1, 2, ... (NULL: numeric ticks) */
    int n_xticks;
} lathe_svg_chart;

/* Picks a y range with round limits covering the finite values of every series, at most `span`
 * wide (the top kept), falling back to [lo, hi] when there is no finite value. */
void lathe_svg_auto_y(lathe_svg_chart *c, const lathe_svg_series *s, int n, double lo, double hi,
                      double span);
/* Writes a whole line chart: frame, grid, ticks, labels, one path per series, legend. */
void lathe_svg_line_chart(FILE *f, const lathe_svg_chart *c, const lathe_svg_series *s, int n);
/* The same in three steps, for charts with markers: open (everything but the closing tag),
 * markers (a circle with a tooltip, in the chart's coordinates), close. */
void lathe_svg_line_chart_open(FILE *f, const lathe_svg_chart *c, const lathe_svg_series *s,
                               int n);
void lathe_svg_marker(FILE *f, const lathe_svg_chart *c, double x, double y, int color,
                      const char *tip);
void lathe_svg_close(FILE *f);
/* Horizontal bars (value >= 0) with their labels, e.g. gain reduction per node. */
void lathe_svg_bar_chart(FILE *f, const char *kind, const char *title, const char *unit,
                         const char *const *labels, const double *v, const double *v2,
                         const char *name1, const char *name2, int n);
/* Writes s with &, <, >, " escaped. */
void lathe_html_escape(FILE *f, const char *s);

#endif
