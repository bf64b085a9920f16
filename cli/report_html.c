/* report_html.c - report.html of a render (see report_html.h). The charts come from
 * report_svg.c; the numbers are the same ones `--json` prints. */
#define _POSIX_C_SOURCE 200809L
#include "report_html.h"

#include "analysis_cache.h"

#include "measure/analysis.h"
#include "cli.h"
#include "engine/safe_file.h"
#include "preview.h"
#include "render_report.h"
#include "report_match.h"
#include "report_findings.h"
#include "report_format.h"
#include "report_graph.h"
#include "report_svg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SERIES 32

typedef struct rep {
    lathe_cache *cache;               /* remembered measurements (may be NULL) */
    const struct lathe_previews *previews; /* --preview excerpts (may be NULL) */
    const lathe_graph *g;
    const json_t *run;
    lathe_output_meters *meters; /* what each output measured as it was written, the sources */
    int n_out, n_src;
    const lathe_analysis_result **an; /* per output */
    lathe_analysis_result **own;      /* per output, measured here (freed at the end) */
    int *out_src;                     /* per output: its source (index) or -1 */
    const char **src_path;
    const lathe_analysis_result **src_an;
    lathe_analysis_result **src_own; /* those measured here (not by meters), to free */
} rep;

static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:62em;color:#222}"
    "h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:1px solid #ccc;margin-top:2em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .6em;border-bottom:1px "
    "solid #ddd;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums}.pass{color:#176a2a}.fail{color:#b00020;font-weight:600}.warning{color:#9a6200}"
    ".error{color:#b00020}pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:12px}"
    "svg.chart{display:block;margin:1em 0;background:#fff}svg .frame{fill:none;stroke:#888}"
    "svg .grid{stroke:#e4e4e4}svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;"
    "fill:#222}svg .title{font-size:13px;font-weight:600;fill:#222}svg .legend{font-size:11px;"
    "fill:#222}svg .series{fill:none;stroke-width:1.6}svg .source{stroke-dasharray:5 3;stroke-width:2.2}"
    "svg .marker{fill:#fff;stroke-width:2}div.graph svg{max-width:100%;height:auto}p.note{color:#555;font-size:12px}"
    "@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}"
    "svg.chart,table{break-inside:avoid}pre{white-space:pre-wrap}a{color:inherit}}";

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* A number with `prec` decimals, or an en dash when unmeasured. */
static void num(FILE *f, double v, int prec)
{
    if (isfinite(v))
        fprintf(f, "<td class=\"n\">%.*f</td>", prec, v);
    else
        fputs("<td class=\"n\">\xe2\x80\x93</td>", f);
}

/* The index of output i's source in r's list (lathe_output_source_path), or -1. */
static int source_of(const rep *r, int i)
{
    const char *p = lathe_output_source_path(r->g, i);
    for (int s = 0; p && s < r->n_src; s++)
        if (strcmp(r->src_path[s], p) == 0)
            return s;
    return -1;
}

static int gather_sources(rep *r)
{
    int nn = lathe_graph_node_count(r->g);
    r->src_path = calloc((size_t)nn + 1, sizeof *r->src_path);
    r->src_an = calloc((size_t)nn + 1, sizeof *r->src_an);
    r->src_own = calloc((size_t)nn + 1, sizeof *r->src_own);
    if (!r->src_path || !r->src_an || !r->src_own)
        return -1;
    for (int id = 0; id < nn; id++) {
        const char *p = lathe_graph_node_source_path(r->g, id);
        int dup = 0;
        for (int s = 0; p && s < r->n_src; s++)
            dup |= strcmp(r->src_path[s], p) == 0;
        if (!p || dup)
            continue;
        r->src_path[r->n_src] = p;
        r->n_src++;
    }
    return 0;
}

static int gather(rep *r)
{
    r->n_out = lathe_graph_output_count(r->g);
    r->an = calloc((size_t)r->n_out + 1, sizeof *r->an);
    r->own = calloc((size_t)r->n_out + 1, sizeof *r->own);
    r->out_src = calloc((size_t)r->n_out + 1, sizeof *r->out_src);
    if (!r->an || !r->own || !r->out_src || gather_sources(r) != 0)
        return -1;
    for (int i = 0; i < r->n_out; i++) {
        const lathe_output_result *o = lathe_graph_output_result(r->g, i);
        r->an[i] = lathe_output_meters_result(r->meters, i);
        if (!r->an[i] && lathe_cli_analyze_file_cached(r->cache, o->path, &r->own[i]) == 0)
            r->an[i] = r->own[i]; /* up to date and left alone: its remembered measurement */
        r->out_src[i] = source_of(r, i);
    }
    /* Only an output's source is measured: a file that only feeds a node (match's reference)
     * is not what any output is compared with, and measuring it cost a tenth of a render. */
    for (int s = 0; s < r->n_src; s++) {
        int used = 0;
        for (int i = 0; i < r->n_out; i++)
            used |= r->out_src[i] == s;
        if (!used)
            continue;
        /* measured while the render ran (from -j 2), else now */
        r->src_an[s] = lathe_output_meters_source(r->meters, r->src_path[s]);
        if (!r->src_an[s] && lathe_cli_analyze_file_cached(r->cache, r->src_path[s],
                                                           &r->src_own[s]) == 0)
            r->src_an[s] = r->src_own[s]; /* else the chart goes without it */
    }
    return 0;
}

static void release(rep *r)
{
    for (int i = 0; r->own && i < r->n_out; i++)
        lathe_analysis_result_free(r->own[i]);
    for (int s = 0; r->src_own && s < r->n_src; s++)
        lathe_analysis_result_free(r->src_own[s]);
    free(r->an);
    free(r->own);
    free(r->out_src);
    free(r->src_path);
    free(r->src_an);
    free(r->src_own);
}

/* The spec verdict of the run's JSON: "spec cd: pass" or "spec cd: FAIL: reasons". */
static void spec_verdict(FILE *f, const json_t *spec)
{
    const json_t *fails = json_object_get(spec, "failures"), *x;
    size_t i;
    int pass = json_is_true(json_object_get(spec, "pass"));
    fprintf(f, "<span class=\"%s\">spec ", pass ? "pass" : "fail");
    lathe_html_escape(f, json_string_value(json_object_get(spec, "name")));
    fputs(pass ? ": pass" : ": FAIL", f);
    json_array_foreach(fails, i, x) {
        fputs(i ? "; " : ": ", f);
        lathe_html_escape(f, json_string_value(json_object_get(x, "message")));
    }
    fputs("</span><br>", f);
}

/* Spec verdict (when the output names a profile), then QC: errors fail, with their messages. */
static void verdict(FILE *f, const lathe_output_result *o, const lathe_analysis_result *a,
                    const json_t *spec)
{
    fputs("<td>", f);
    if (spec)
        spec_verdict(f, spec);
    if (!a) {
        fputs("not measured</td>", f);
        return;
    }
    size_t errors = 0, warnings = 0;
    for (size_t k = 0; k < a->n_findings; k++)
        if (!o || lathe_finding_applies(o, &a->findings[k]))
            errors += a->findings[k].severity == LATHE_SEV_ERROR,
                warnings += a->findings[k].severity == LATHE_SEV_WARNING;
    fputs(errors ? "<span class=\"fail\">QC fail: " : "<span class=\"pass\">QC pass", f);
    for (size_t k = 0, shown = 0; k < a->n_findings && shown < 4; k++)
        if (a->findings[k].severity == LATHE_SEV_ERROR) {
            fputs(shown++ ? "; " : "", f);
            lathe_html_escape(f, a->findings[k].message);
        }
    if (warnings)
        fprintf(f, " (%zu warning%s)", warnings, warnings == 1 ? "" : "s");
    fputs("</span></td>", f);
}

static void measure_row(FILE *f, const lathe_output_result *o, const char *name, const char *what,
                        const lathe_analysis_result *a, const json_t *spec)
{
    fputs("<tr><td>", f);
    lathe_html_escape(f, name);
    fputs("</td><td>", f);
    lathe_html_escape(f, what);
    fputs("</td>", f);
    num(f, a ? a->duration_s : (double)NAN, 2);
    num(f, a ? a->integrated_lufs : (double)NAN, 1);
    num(f, a ? a->lra_lu : (double)NAN, 1);
    num(f, a ? a->true_peak_dbtp : (double)NAN, 2);
    num(f, a ? a->plr_db : (double)NAN, 1);
    verdict(f, o, a, spec);
    fputs("</tr>\n", f);
}

static void summary_table(FILE *f, const rep *r)
{
    fputs("<h2 id=\"deliverables\">Deliverables</h2>\n<table class=\"summary\"><tr><th>file</th>"
          "<th>format</th><th>duration s</th><th>integrated LUFS</th><th>LRA LU</th>"
          "<th>true peak dBTP</th><th>PLR dB</th><th>verdict</th></tr>\n", f);
    for (int s = 0; s < r->n_src; s++)
        if (r->src_an[s])
            measure_row(f, NULL, base(r->src_path[s]), "source", r->src_an[s], NULL);
    for (int i = 0; i < r->n_out; i++) {
        const lathe_output_result *o = lathe_graph_output_result(r->g, i);
        char what[160], depth[32];
        snprintf(what, sizeof what, "%s%s%s %s %u Hz %u ch%s", o->deliverable ? o->deliverable : "",
                 o->deliverable ? ": " : "", o->format, lathe_output_depth(o, depth, sizeof depth),
                 o->fmt.rate, o->fmt.channels, o->skipped ? " (up to date)" : "");
        const json_t *out = json_array_get(json_object_get(r->run, "outputs"), (size_t)i);
        measure_row(f, o, base(o->path), what, r->an[i], json_object_get(out, "spec"));
    }
    fputs("</table>\n<p class=\"note\">Spec: the deliverable profile's rules (<code>lathe check"
          "</code>). QC: lathe's findings (README, \xe2\x80\x9cQC checks\xe2\x80\x9d, installed with "
          "the program); errors fail, warnings are listed "
          "below.</p>\n", f);
}

static int add_series(lathe_svg_series *s, int n, const char *name, const double *y, size_t len,
                      double dx, int dashed)
{
    if (n < MAX_SERIES)
        s[n] = (lathe_svg_series){name, y, len, 0.0, dx, dashed, n};
    return n < MAX_SERIES ? n + 1 : n;
}

static const char *out_name(const rep *r, int i)
{
    return base(lathe_graph_output_result(r->g, i)->path);
}

/* Series over time of one kind for every source (dashed) and output. */
static int time_series(const rep *r, lathe_svg_series *s, int peak)
{
    int n = 0;
    for (int k = 0; k < r->n_src; k++) {
        const lathe_analysis_result *a = r->src_an[k];
        if (a)
            n = add_series(s, n, base(r->src_path[k]), peak ? a->peak_dbfs : a->short_term_lufs,
                           peak ? a->n_peak : a->n_short_term, 0.1, 1);
    }
    for (int i = 0; i < r->n_out; i++) {
        const lathe_analysis_result *a = r->an[i];
        if (a)
            n = add_series(s, n, out_name(r, i), peak ? a->peak_dbfs : a->short_term_lufs,
                           peak ? a->n_peak : a->n_short_term, 0.1, 0);
    }
    return n;
}

static double longest(const lathe_svg_series *s, int n)
{
    double x = 1.0;
    for (int k = 0; k < n; k++)
        x = fmax(x, s[k].x0 + (double)s[k].n * s[k].dx);
    return x;
}

static int measured_sources(const rep *r)
{
    int k = 0;
    for (int i = 0; i < r->n_src; i++)
        k += r->src_an[i] != NULL;
    return k;
}

static void loudness_chart(FILE *f, const rep *r)
{
    lathe_svg_series s[MAX_SERIES];
    int n = time_series(r, s, 0);
    lathe_svg_chart c = {"loudness", "Short-term loudness (3 s window, every 100 ms)", "time (s)",
                         "LUFS", 0, longest(s, n), 0, 0, NULL, 0};
    lathe_svg_auto_y(&c, s, n, -40, 0, 50);
    lathe_svg_line_chart(f, &c, s, n);
}

static void peak_chart(FILE *f, const rep *r)
{
    lathe_svg_series s[MAX_SERIES];
    int n = time_series(r, s, 1);
    lathe_svg_chart c = {"peak", "Peak per 100 ms (sample peak); circles: true-peak maximum",
                         "time (s)", "dBFS / dBTP", 0, longest(s, n), 0, 0, NULL, 0};
    lathe_svg_auto_y(&c, s, n, -40, 0, 40);
    c.ymax = fmax(c.ymax, 1.0);
    lathe_svg_line_chart_open(f, &c, s, n);
    int k = measured_sources(r); /* markers take their series' colours: sources come first */
    for (int i = 0; i < r->n_out; i++) {
        if (!r->an[i])
            continue;
        char tip[200];
        snprintf(tip, sizeof tip, "%s: true peak %.2f dBTP at %.2f s",
                 base(lathe_graph_output_result(r->g, i)->path), r->an[i]->true_peak_dbtp,
                 r->an[i]->true_peak_time_s);
        lathe_svg_marker(f, &c, r->an[i]->true_peak_time_s, r->an[i]->true_peak_dbtp, k++, tip);
    }
    lathe_svg_close(f);
}

/* Output minus source short-term loudness: what the chain's gain, compression and limiting did
 * over time (flat for pure gain; dips where a compressor or limiter worked). */
static void change_chart(FILE *f, const rep *r)
{
    lathe_svg_series s[MAX_SERIES];
    double *buf[MAX_SERIES];
    int n = 0;
    for (int i = 0; i < r->n_out && n < MAX_SERIES; i++) {
        int k = r->out_src[i];
        const lathe_analysis_result *a = r->an[i], *b = k >= 0 ? r->src_an[k] : NULL;
        size_t len = a && b ? (a->n_short_term < b->n_short_term ? a->n_short_term
                                                                 : b->n_short_term) : 0;
        if (!len || !(buf[n] = malloc(len * sizeof(double))))
            continue;
        for (size_t j = 0; j < len; j++)
            buf[n][j] = a->short_term_lufs[j] - b->short_term_lufs[j]; /* NAN stays a gap */
        s[n] = (lathe_svg_series){base(lathe_graph_output_result(r->g, i)->path), buf[n], len,
                                  0.0, 0.1, 0, measured_sources(r) + i};
        n++;
    }
    lathe_svg_chart c = {"change", "Level change against the source (short-term, output minus source)",
                         "time (s)", "LU", 0, longest(s, n), 0, 0, NULL, 0};
    lathe_svg_auto_y(&c, s, n, -10, 10, 40);
    lathe_svg_line_chart(f, &c, s, n);
    if (!n)
        fputs("<p class=\"note\">No output has a source file to compare with (generated "
              "signals only).</p>\n", f);
    for (int k = 0; k < n; k++)
        free(buf[k]);
}

/* The number after "key=" in a node's report, NAN when absent. */
static double report_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, kl) == 0 && p[kl] == '=')
            return strtod(p + kl + 1, NULL);
    return NAN;
}

static void gr_chart(FILE *f, const rep *r)
{
    int nn = lathe_graph_node_count(r->g), n = 0;
    const char **labels = calloc((size_t)nn + 1, sizeof *labels);
    char (*names)[96] = calloc((size_t)nn + 1, sizeof *names);
    double *mx = calloc((size_t)nn + 1, sizeof(double)), *avg = calloc((size_t)nn + 1, sizeof(double));
    for (int id = 0; labels && names && mx && avg && id < nn; id++) {
        const char *rt = lathe_graph_node_report(r->g, id);
        double m = report_value(rt, "gr_max_db"), a = report_value(rt, "gr_avg_db");
        if (!isfinite(m))
            continue;
        snprintf(names[n], sizeof names[n], "%s %s", lathe_graph_node_name(r->g, id),
                 base(lathe_graph_node_label(r->g, id)));
        labels[n] = names[n];
        mx[n] = fabs(m);
        avg[n++] = isfinite(a) ? fabs(a) : 0.0;
    }
    lathe_svg_bar_chart(f, "gr", "Gain reduction per dynamics node (dB taken off: "
                        "below, the same as a negative gain change)", "dB", labels, mx, avg, "max",
                        "average", n);
    free(labels);
    free(names);
    free(mx);
    free(avg);
}

/* A node's level series, following no-op nodes (they keep none) to the node they pass on. */
static const float *level_of(const lathe_graph *g, int id, size_t *n)
{
    const lathe_node_id *in;
    for (int hops = 0; hops < 64; hops++) {
        const float *e = lathe_graph_node_energy(g, id, n);
        if (*n || lathe_graph_node_inputs(g, id, &in) != 1)
            return e;
        id = in[0];
    }
    *n = 0;
    return NULL;
}

/* Gain change over time of every dynamics node: its output level minus its input level per
 * 100 ms window (mean square over all channels), from the levels the engine recorded. */
static void gr_time_chart(FILE *f, const rep *r)
{
    lathe_svg_series s[MAX_SERIES];
    double *buf[MAX_SERIES];
    char names[MAX_SERIES][96];
    int n = 0, nn = lathe_graph_node_count(r->g);
    for (int id = 0; id < nn && n < MAX_SERIES; id++) {
        const lathe_node_id *in;
        size_t ni, no;
        if (!isfinite(report_value(lathe_graph_node_report(r->g, id), "gr_max_db"))
            || lathe_graph_node_inputs(r->g, id, &in) < 1)
            continue;
        const float *eo = lathe_graph_node_energy(r->g, id, &no), *ei = level_of(r->g, in[0], &ni);
        size_t len = ni < no ? ni : no;
        if (!len || !(buf[n] = malloc(len * sizeof(double))))
            continue;
        for (size_t j = 0; j < len; j++)
            buf[n][j] = ei[j] > 1e-12f && eo[j] > 1e-12f ? 10.0 * log10((double)eo[j] / (double)ei[j]) : (double)NAN;
        snprintf(names[n], sizeof names[n], "%s %s", lathe_graph_node_name(r->g, id),
                 base(lathe_graph_node_label(r->g, id)));
        s[n] = (lathe_svg_series){names[n], buf[n], len, 0.0, 0.1, 0, n};
        n++;
    }
    if (n) {
        /* the title fits the chart's width (test_report lays it out in Chromium) */
        lathe_svg_chart c = {"grtime", "Gain change per dynamics node (output minus input, "
                             "100 ms; negative = reduction)", "time (s)", "dB", 0,
                             longest(s, n), 0, 0, NULL, 0};
        lathe_svg_auto_y(&c, s, n, -12, 3, 30);
        lathe_svg_line_chart(f, &c, s, n);
    }
    for (int i = 0; i < n; i++)
        free(buf[i]);
}

static void spectrum_chart(FILE *f, const rep *r)
{
    static const char *const ticks[LATHE_OCTAVE_BANDS] = {"31", "63", "125", "250", "500",
                                                          "1k", "2k", "4k", "8k", "16k"};
    lathe_svg_series s[MAX_SERIES];
    int n = 0;
    for (int k = 0; k < r->n_src; k++)
        if (r->src_an[k])
            n = add_series(s, n, base(r->src_path[k]), r->src_an[k]->octave_db,
                           LATHE_OCTAVE_BANDS, 1.0, 1);
    for (int i = 0; i < r->n_out; i++)
        if (r->an[i])
            n = add_series(s, n, out_name(r, i), r->an[i]->octave_db, LATHE_OCTAVE_BANDS, 1.0, 0);
    lathe_svg_chart c = {"spectrum", "Averaged spectrum in octave bands (power relative to the total)",
                         "octave band centre (Hz)", "dB", -0.3, LATHE_OCTAVE_BANDS - 0.7, 0, 0,
                         ticks, LATHE_OCTAVE_BANDS};
    lathe_svg_auto_y(&c, s, n, -40, 0, 60);
    lathe_svg_line_chart(f, &c, s, n);
}

/* A node's "key=value" lines as "key: value unit; ...", numbers to their meaning. */
static void node_report(FILE *f, const char *text)
{
    for (int first = 1; text && *text; first = 0) {
        const char *nl = strchr(text, '\n'), *eq = strchr(text, '=');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        char line[600], shown[600];
        snprintf(line, sizeof line, "%.*s", (int)len, text);
        fputs(first ? "" : "; ", f);
        if (eq && eq < text + len) {
            line[eq - text] = 0;
            lathe_report_format_value(shown, sizeof shown, line, line + (eq - text) + 1);
            lathe_html_escape(f, line);
            fputs(": ", f);
            lathe_html_escape(f, shown);
        } else {
            lathe_html_escape(f, line);
        }
        text += len + (nl ? 1 : 0);
    }
}

static void nodes_and_cache(FILE *f, const rep *r)
{
    const lathe_run_stats *st = lathe_graph_run_stats(r->g);
    fprintf(f, "<h2 id=\"nodes\">Nodes and cache</h2>\n<p>%d node%s ran; cache: %llu hit%s, %llu "
               "miss%s, %.1f MB read, %.1f MB written.</p>\n<table class=\"nodes\"><tr><th>#</th>"
               "<th>node</th><th>made at</th><th>this run</th><th>report</th></tr>\n",
            st->nodes_run, st->nodes_run == 1 ? "" : "s", (unsigned long long)st->cache_hits,
            st->cache_hits == 1 ? "" : "s", (unsigned long long)st->cache_misses,
            st->cache_misses == 1 ? "" : "es", (double)st->bytes_read / 1e6,
            (double)st->bytes_written / 1e6);
    for (int id = 0; id < lathe_graph_node_count(r->g); id++) {
        fprintf(f, "<tr><td class=\"n\">%d</td><td>", id);
        lathe_html_escape(f, lathe_graph_node_name(r->g, id));
        fputs("</td><td>", f);
        lathe_html_escape(f, base(lathe_graph_node_label(r->g, id)));
        fputs("</td><td>", f);
        lathe_html_escape(f, lathe_graph_node_ran(r->g, id) ? "ran" : "");
        fputs(lathe_graph_node_ran(r->g, id) && *lathe_graph_node_why(r->g, id) ? ": " : "", f);
        lathe_html_escape(f, lathe_graph_node_why(r->g, id));
        fputs("</td><td>", f);
        node_report(f, lathe_graph_node_report(r->g, id));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void document(FILE *f, const rep *r, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>lathe report", f);
    fputs(title ? ": " : "", f);
    lathe_html_escape(f, title ? base(title) : "");
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>lathe report</h1>\n<p>", css);
    lathe_html_escape(f, title ? title : "");
    fprintf(f, " \xe2\x80\x94 lathe %s</p>\n", lathe_version());
    summary_table(f, r);
    lathe_preview_html(f, r->previews);
    fputs("<h2 id=\"charts\">Charts</h2>\n<p class=\"note\">Thick dashed: sources, drawn over "
          "the deliverables; each deliverable has its own colour and dash pattern, so outputs "
          "that coincide stay told apart.</p>\n", f);
    loudness_chart(f, r);
    peak_chart(f, r);
    change_chart(f, r);
    gr_chart(f, r);
    gr_time_chart(f, r);
    spectrum_chart(f, r);
    lathe_report_match_charts(f, r->g);
    const lathe_analysis_result **srcs = calloc((size_t)r->n_out + 1, sizeof *srcs);
    for (int i = 0; srcs && i < r->n_out; i++)
        srcs[i] = r->out_src[i] >= 0 ? r->src_an[r->out_src[i]] : NULL;
    if (srcs) /* each output's source, for "also in the source" */
        lathe_report_findings(f, r->g, r->an, srcs);
    free(srcs);
    nodes_and_cache(f, r);
    lathe_report_graph(f, r->g);
    fputs("</body></html>\n", f);
}

int lathe_report_html_write(const char *path, const lathe_graph *g, const char *title,
                            const struct lathe_previews *previews,
                            const json_t *run, lathe_output_meters *m,
                            lathe_cache *cache)
{
    rep r = {.g = g, .run = run, .meters = m, .cache = cache, .previews = previews};
    /* The report lives directly in the folder the user named: that folder is followed even when
     * it is a link, the file itself is never written through one. */
    char root[4200], why[LATHE_ERR_MAX + 64];
    snprintf(root, sizeof root, "%s", path);
    char *slash = strrchr(root, '/');
    if (slash)
        *slash = 0;
    lathe_safe_file sf;
    if (lathe_safe_open(&sf, slash ? root : NULL, path, why, sizeof why) != 0) {
        fprintf(stderr, "lathe: cannot write the report: %s\n", why);
        return 3;
    }
    FILE *f = lathe_safe_stream(&sf);
    if (!f) {
        fprintf(stderr, "lathe: %s: cannot write the report: %s\n", path, strerror(errno));
        lathe_safe_abandon(&sf);
        return 3;
    }
    int ok = gather(&r) == 0;
    if (ok)
        document(f, &r, title);
    release(&r);
    ok = ok && !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (ok && lathe_safe_commit(&sf) == 0)
        return 0;
    fprintf(stderr, "lathe: %s: cannot write the report: %s\n", path,
            ok ? strerror(errno) : "out of memory or disk full");
    lathe_safe_abandon(&sf);
    return 3;
}
