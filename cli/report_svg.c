/* report_svg.c - inline SVG charts for report.html (see report_svg.h). Coordinates are written
 * with one decimal: enough for a 760-pixel chart, and the file stays small. */
#include "report_svg.h"

#include <math.h>

#define ML 58.0  /* margins: left (y labels), right, top (title), bottom (x labels) */
#define MR 20.0
#define LEGEND_ROW 16.0 /* the legend sits under the plot, one whole file name per row */
#define MAX_LEGEND 14
#define MT 30.0
#define MB 42.0
#define MAX_POINTS 1500 /* longer series are reduced to per-bucket maxima */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_COLORS (int)(sizeof palette / sizeof palette[0])

/* Outputs of one chain often coincide (the same master in five formats): each solid series gets
 * its own dash pattern as well as its colour, so a curve hidden under another still shows. */
static const char *const dashes[] = {"none", "9 3", "2 3", "12 3 3 3", "6 2 2 2 2 2", "4 4"};
#define N_DASHES (int)(sizeof dashes / sizeof dashes[0])
#define SOURCE_DASH "5 3"

static const char *dash_of(const lathe_svg_series *s, int k)
{
    return s->dashed ? SOURCE_DASH : dashes[k % N_DASHES];
}

static int legend_rows(int n)
{
    return n < MAX_LEGEND ? n : MAX_LEGEND;
}

static int chart_height(int n)
{
    return LATHE_SVG_H + (int)(LEGEND_ROW * legend_rows(n)) + (n ? 6 : 0);
}

void lathe_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static double px(const lathe_svg_chart *c, double x)
{
    double w = LATHE_SVG_W - ML - MR, span = c->xmax - c->xmin;
    return ML + (span > 0 ? (x - c->xmin) / span : 0.0) * w;
}

static double py(const lathe_svg_chart *c, double y)
{
    double h = LATHE_SVG_H - MT - MB, span = c->ymax - c->ymin;
    y = fmin(fmax(y, c->ymin), c->ymax);
    return MT + (span > 0 ? (c->ymax - y) / span : 0.0) * h;
}

/* A round step giving about `want` intervals over span. */
static double nice_step(double span, int want)
{
    double raw = span / want, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

void lathe_svg_auto_y(lathe_svg_chart *c, const lathe_svg_series *s, int n, double lo, double hi,
                      double span)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int k = 0; k < n; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].y[i])) {
                mn = fmin(mn, s[k].y[i]);
                mx = fmax(mx, s[k].y[i]);
            }
    if (!isfinite(mn)) {
        c->ymin = lo;
        c->ymax = hi;
        return;
    }
    c->ymax = ceil((mx + 0.5) / 5.0) * 5.0;
    c->ymin = fmax(floor((mn - 0.5) / 5.0) * 5.0, c->ymax - span);
    if (c->ymax - c->ymin < 10.0)
        c->ymin = c->ymax - 10.0;
}

static void axes(FILE *f, const lathe_svg_chart *c)
{
    double x1 = LATHE_SVG_W - MR, y1 = LATHE_SVG_H - MB;
    fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
            ML, MT, x1 - ML, y1 - MT);
    double ys = nice_step(c->ymax - c->ymin, 6);
    for (double y = ceil(c->ymin / ys) * ys; y <= c->ymax + 1e-9; y += ys)
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                ML, x1, py(c, y), py(c, y), ML - 5, py(c, y) + 4, fabs(y) < 1e-9 ? 0.0 : y);
    if (c->xticks) {
        for (int i = 0; i < c->n_xticks; i++)
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    px(c, i), y1 + 15, c->xticks[i]);
    } else {
        double xs = nice_step(c->xmax - c->xmin, 8);
        for (double x = ceil(c->xmin / xs) * xs; x <= c->xmax + 1e-9; x += xs)
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                    px(c, x), px(c, x), MT, y1, px(c, x), y1 + 15, x);
    }
    fprintf(f, "<text class=\"title\" x=\"%.1f\" y=\"18\">", ML);
    lathe_html_escape(f, c->title);
    fprintf(f, "</text>\n<text class=\"label\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
            (ML + x1) / 2, LATHE_SVG_H - 6);
    lathe_html_escape(f, c->xlabel);
    fprintf(f, "</text>\n<text class=\"label\" transform=\"translate(14 %.1f) rotate(-90)\" "
               "text-anchor=\"middle\">", (MT + y1) / 2);
    lathe_html_escape(f, c->ylabel);
    fputs("</text>\n", f);
}

/* Value of bucket b (maximum of its finite points; NAN when none). */
static double bucket(const lathe_svg_series *s, size_t b, size_t step)
{
    double m = NAN;
    for (size_t i = b; i < b + step && i < s->n; i++)
        if (isfinite(s->y[i]) && !(m >= s->y[i]))
            m = s->y[i];
    return m;
}

static void series_path(FILE *f, const lathe_svg_chart *c, const lathe_svg_series *s, int k)
{
    size_t step = s->n / MAX_POINTS + 1;
    int pen = 0;
    fprintf(f, "<path class=\"series%s\" stroke=\"%s\" stroke-dasharray=\"%s\" d=\"",
            s->dashed ? " source" : "", palette[s->color % N_COLORS], dash_of(s, k));
    for (size_t b = 0; b < s->n; b += step) {
        double v = bucket(s, b, step);
        if (!isfinite(v)) {
            pen = 0;
            continue;
        }
        fprintf(f, "%c%.1f %.1f ", pen ? 'L' : 'M', px(c, s->x0 + (double)b * s->dx), py(c, v));
        pen = 1;
    }
    fputs("\"/>\n", f);
}

/* Under the plot, the whole width: file names are shown whole (a long name is what tells two
 * deliverables apart); the plot keeps its size whatever the names. */
static void legend(FILE *f, const lathe_svg_series *s, int n)
{
    double x = ML;
    for (int k = 0; k < legend_rows(n); k++) {
        double y = LATHE_SVG_H + 2 + LEGEND_ROW * k;
        fprintf(f, "<line class=\"series%s\" stroke=\"%s\" stroke-dasharray=\"%s\" x1=\"%.1f\" "
                   "x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/><text class=\"legend\" x=\"%.1f\" "
                   "y=\"%.1f\">", s[k].dashed ? " source" : "", palette[s[k].color % N_COLORS],
                dash_of(&s[k], k), x, x + 30, y, y, x + 36, y + 4);
        lathe_html_escape(f, s[k].name);
        fputs(s[k].dashed ? " (source, drawn on top)" : "", f);
        fputs("</text>\n", f);
    }
    if (n > MAX_LEGEND)
        fprintf(f, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">and %d more</text>\n", x,
                LATHE_SVG_H + 6 + LEGEND_ROW * MAX_LEGEND, n - MAX_LEGEND);
}

void lathe_svg_line_chart_open(FILE *f, const lathe_svg_chart *c, const lathe_svg_series *s,
                               int n)
{
    int h = chart_height(n) + (n > MAX_LEGEND ? (int)LEGEND_ROW : 0);
    fprintf(f, "<svg class=\"chart %s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            c->kind, LATHE_SVG_W, h, LATHE_SVG_W, h);
    lathe_html_escape(f, c->title);
    fputs("\">\n", f);
    axes(f, c);
    /* deliverables first, sources last: a source's dashed line stays visible over outputs that
     * follow it closely */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < n; k++)
            if (!s[k].dashed == !pass)
                series_path(f, c, &s[k], k);
    legend(f, s, n);
}

void lathe_svg_marker(FILE *f, const lathe_svg_chart *c, double x, double y, int color,
                      const char *tip)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    fprintf(f, "<circle class=\"marker\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" stroke=\"%s\"><title>",
            px(c, x), py(c, y), palette[color % N_COLORS]);
    lathe_html_escape(f, tip);
    fputs("</title></circle>\n", f);
}

void lathe_svg_close(FILE *f)
{
    fputs("</svg>\n", f);
}

void lathe_svg_line_chart(FILE *f, const lathe_svg_chart *c, const lathe_svg_series *s, int n)
{
    lathe_svg_line_chart_open(f, c, s, n);
    lathe_svg_close(f);
}

void lathe_svg_bar_chart(FILE *f, const char *kind, const char *title, const char *unit,
                         const char *const *labels, const double *v, const double *v2,
                         const char *name1, const char *name2, int n)
{
    int h = (int)(MT + 10 + 26.0 * (n ? n : 1) + 24);
    double w = LATHE_SVG_W - 340.0, mx = 1.0; /* room right of the longest bar for its value */
    for (int i = 0; i < n; i++)
        mx = fmax(mx, fmax(v[i], v2 ? v2[i] : 0.0));
    mx = ceil(mx);
    fprintf(f, "<svg class=\"chart %s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            kind, LATHE_SVG_W, h, LATHE_SVG_W, h);
    lathe_html_escape(f, title);
    fputs("\">\n<text class=\"title\" x=\"10\" y=\"18\">", f);
    lathe_html_escape(f, title);
    fputs("</text>\n", f);
    if (!n)
        fprintf(f, "<text class=\"label\" x=\"10\" y=\"%.1f\">no node reported gain reduction"
                   "</text>\n", MT + 20);
    for (int i = 0; i < n; i++) {
        double y = MT + 10 + 26.0 * i;
        fprintf(f, "<text class=\"tick\" x=\"190\" y=\"%.1f\" text-anchor=\"end\">", y + 12);
        lathe_html_escape(f, labels[i]);
        fprintf(f, "</text><rect class=\"bar\" fill=\"%s\" x=\"200\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"10\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%.2f %s %s</text>\n",
                palette[0], y, w * v[i] / mx, 206 + w * v[i] / mx, y + 9, v[i], unit, name1);
        if (v2)
            fprintf(f, "<rect class=\"bar\" fill=\"%s\" x=\"200\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"8\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%.2f %s %s"
                       "</text>\n", palette[1], y + 12, w * v2[i] / mx, 206 + w * v2[i] / mx,
                    y + 20, v2[i], unit, name2);
    }
    lathe_svg_close(f);
}
