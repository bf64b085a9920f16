/* report.html: written beside the outputs by `lathe render`, one chart of each kind with its size,
 * the numbers of the JSON, the source measured for before/after, outputs left alone measured from
 * their files, no JavaScript, no temporary file left; the peak-per-100-ms series of the analysis
 * against a sine's known peak; and, when Debian's chromium is installed, a headless screenshot
 * showing the charts draw pixels, and a laid-out copy showing no chart text (legends with whole
 * file names) leaves its drawing. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "measure/analysis.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* The value in the summary row of `file`, column `col` (0: duration, 1: LUFS, 2: LRA, 3: TP). */
static double row_value(const char *html, const char *file, int col)
{
    char key[256];
    snprintf(key, sizeof key, "<tr><td>%s</td>", file);
    const char *p = strstr(html, key);
    for (int c = 0; p && c <= col; c++)
        if ((p = strstr(p, "<td class=\"n\">")))
            p += strlen("<td class=\"n\">");
    return p ? strtod(p, NULL) : (double)NAN;
}

static void check_charts(const char *html)
{
    static const char *const kinds[] = {"loudness", "peak", "change", "gr", "spectrum"};
    for (int k = 0; k < 5; k++) {
        char tag[128];
        snprintf(tag, sizeof tag, "<svg class=\"chart %s\"", kinds[k]);
        CHECK(ct_count(html, tag) == 1, "one %s chart (found %d)", kinds[k], ct_count(html, tag));
        const char *p = strstr(html, tag);
        int w = 0, h = 0;
        if (p) {
            const char *pw = strstr(p, "width=\""), *ph = strstr(p, "height=\"");
            w = pw ? atoi(pw + 7) : 0;
            h = ph ? atoi(ph + 8) : 0;
        }
        CHECK(w == 760 && h >= 100, "%s chart sized: %dx%d", kinds[k], w, h);
    }
    CHECK(ct_count(html, "<svg") == ct_count(html, "</svg>"), "svg elements closed");
    CHECK(ct_count(html, "<table") == ct_count(html, "</table>"), "tables closed");
    CHECK(ct_count(html, "<script") == 0, "no JavaScript");
    CHECK(strstr(html, "@media print") != NULL, "print styles");
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0 && strstr(html, "</html>\n"), "whole document");
}

/* Numbers are written to their meaning: no run of 5+ decimals anywhere (a node's raw report
 * carries 17 significant digits), and the limiter's reduction reads in 0.01 dB. */
static void check_number_format(const char *html)
{
    int longest = 0;
    for (const char *p = html; *p; p++)
        if (*p == '.' && p > html && p[-1] >= '0' && p[-1] <= '9') {
            int d = 0;
            while (p[1 + d] >= '0' && p[1 + d] <= '9')
                d++;
            longest = d > longest ? d : longest;
        }
    CHECK(longest < 5, "no number printed with %d decimals", longest);
    const char *gr = strstr(html, "gr_max_db: ");
    CHECK(gr && strstr(gr, " dB") && strchr(gr, '.') && strspn(strchr(gr, '.') + 1, "0123456789") == 2,
          "limiter reduction in 0.01 dB: %.40s", gr ? gr : "(none)");
}

/* The graph section is a drawing when lathe was built with Graphviz's library (CMake links it
 * whenever pkg-config finds it): an <svg> holding one Graphviz node per graph node. */
static void check_graph(const char *html, int nodes)
{
    if (tu_run("pkg-config --exists libgvc") != 0) {
        printf("note: libgvc not installed; the report shows DOT text (apt-get install "
               "libgraphviz-dev)\n");
        CHECK(strstr(html, "<pre class=\"dot\">digraph") != NULL, "graph as DOT text");
        return;
    }
    const char *g = strstr(html, "<div class=\"graph\">\n<svg");
    CHECK(g != NULL, "graph drawn as svg");
    CHECK(g && ct_count(g, "class=\"node\"") == nodes, "graph drawing holds %d nodes (found %d)",
          nodes, g ? ct_count(g, "class=\"node\"") : 0);
    CHECK(g && strstr(g, "class=\"edge\""), "graph drawing holds edges");
}

/* Every output's integrated loudness and true peak of the JSON appear, as printed, in its row. */
static void check_numbers(const char *html, json_t *run)
{
    size_t i;
    json_t *o;
    int n = 0;
    json_array_foreach(json_object_get(run, "outputs"), i, o) {
        const char *path = json_string_value(json_object_get(o, "path"));
        const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        double lufs = json_number_value(json_object_get(o, "integrated_lufs"));
        double tp = json_number_value(json_object_get(o, "true_peak_dbtp"));
        CHECK_NEAR(row_value(html, name, 1), lufs, 0.051, "report LUFS = JSON");
        CHECK_NEAR(row_value(html, name, 3), tp, 0.0051, "report dBTP = JSON");
        n++;
    }
    CHECK(n == 2, "two outputs in the JSON (%d)", n);
}

static int leftover_temp(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/out", ct_dir);
    DIR *d = opendir(path);
    int found = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        found |= strstr(e->d_name, ".lathe-tmp-") != NULL || strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    return found;
}

static const char *chain =
    "local mix = source(param('input', 'mix.wav'))\n"
    "output(mix:gain{gain_db = -6}, 'quiet.wav', {bits = 24})\n"
    "output(mix:compress{threshold_db = -30, ratio = 4, attack_ms = 5, release_ms = 80}\n"
    "         :multiband{bands = {{threshold_db = -30, ratio = 3}}}\n"
    "         :limit{ceiling_dbtp = -1}, 'loud-master-for-streaming-services-24bit.flac', {bits = 24})\n";

static void test_render_report(void)
{
    ct_write("gen.lua", "local s = sine{freq_hz = 220, duration_s = 4, amplitude_db = -6}\n"
                          "local n = noise{color = 'pink', duration_s = 4, amplitude_db = -24}\n"
                          "output(mix(s, n):fade{in_ms = 1500, out_ms = 500}, 'mix.wav', "
                          "{bits = 24})\n");
    ct_write("chain.lua", chain);
    CHECK(ct_lathe("render gen.lua -o . --no-cache --quiet") == 0, "mix rendered");
    CHECK(ct_lathe("render chain.lua -o out --cache cache --json") == 0, "chain rendered");
    long len = 0;
    char *js = ct_slurp("stdout.txt", NULL), *html = ct_slurp("out/report.html", &len);
    json_t *run = js ? json_loads(js, 0, NULL) : NULL;
    CHECK(html && run, "report.html and the JSON exist");
    if (!html || !run)
        return;
    /* kept for Chromium: the later runs leave outputs alone, and their nodes off the charts */
    tu_run("cp %s/out/report.html %s/out/full-report.html", ct_dir, ct_dir);
    check_charts(html);
    check_number_format(html);
    check_graph(html, 7); /* source, gain, compress, multiband, limit and the two outputs */
    check_numbers(html, run);
    CHECK(strstr(html, "quiet.wav") && strstr(html, "loud-master-for-streaming-services-24bit.flac")
          && strstr(html, "mix.wav"),
          "outputs and source named");
    /* a pure -6 dB gain: exactly 6 LU under the source, measured here from the source file */
    CHECK_NEAR(row_value(html, "mix.wav", 1) - row_value(html, "quiet.wav", 1), 6.0, 0.11,
               "source measured for before/after");
    CHECK(strstr(html, "limit chain.lua:5") != NULL, "the limiter's gain reduction is charted");
    CHECK(strstr(html, "multiband chain.lua:4") != NULL, "the multiband's gain reduction too");
    CHECK(!leftover_temp(), "no temporary file left");
    CHECK(len < 200000, "report stays small: %ld bytes", len);
    /* second run: nothing to do, so the report describing these files is left as it was */
    CHECK(ct_lathe("render chain.lua -o out --cache cache --quiet") == 0, "re-render");
    char *same = ct_slurp("out/report.html", NULL);
    CHECK(same && strcmp(same, html) == 0, "a run that renders nothing leaves the report alone");
    free(same);
    /* third run: one output is missing; the other is up to date, left alone, measured from file */
    tu_run("rm -f %s/out/quiet.wav", ct_dir);
    CHECK(ct_lathe("render chain.lua -o out --cache cache --quiet") == 0, "partial re-render");
    char *again = ct_slurp("out/report.html", NULL);
    CHECK(again && strstr(again, "(up to date)"), "outputs left alone are marked");
    CHECK_NEAR(row_value(again ? again : "", "loud-master-for-streaming-services-24bit.flac", 1), row_value(html, "loud-master-for-streaming-services-24bit.flac", 1), 0.01,
               "left-alone output measured from its file");
    free(again);
    json_decref(run);
    free(js);
    free(html);
}

/* The peak series: a sine at -6 dBFS peaks at -6 dB in every full window, whatever the block
 * size; 4.25 s make 43 windows (the last one short). */
static void test_peak_series(void)
{
    uint32_t rate = 48000, n = rate * 17 / 4;
    float *x = malloc(sizeof(float) * n);
    tu_sine(x, n, 997.0, rate, pow(10.0, -6.0 / 20.0), 0.3);
    lathe_analysis_result *res[2] = {NULL, NULL};
    uint32_t blocks[2] = {4096, 37};
    for (int k = 0; k < 2; k++) {
        lathe_analysis *a;
        CHECK(lathe_analysis_new(rate, 1, &a) == 0, "analysis");
        for (uint32_t i = 0; i < n; i += blocks[k]) {
            const float *ch[1] = {x + i};
            lathe_analysis_add(a, ch, n - i < blocks[k] ? n - i : blocks[k]);
        }
        CHECK(lathe_analysis_finish(a, &res[k]) == 0, "finish");
        lathe_analysis_free(a);
    }
    CHECK(res[0]->n_peak == 43 && res[1]->n_peak == 43, "43 windows (%zu)", res[0]->n_peak);
    double worst = 0.0;
    for (size_t i = 0; i < res[0]->n_peak && i < res[1]->n_peak; i++) {
        worst = fmax(worst, fabs(res[0]->peak_dbfs[i] + 6.0));
        CHECK(res[0]->peak_dbfs[i] == res[1]->peak_dbfs[i], "block size independent at %zu", i);
    }
    /* 997 Hz sampled at 48 kHz: the sampled maximum is within 0.01 dB of the peak */
    CHECK(worst < 0.01, "peak per window = -6 dBFS (worst error %.4f dB)", worst);
    lathe_analysis_result_free(res[0]);
    lathe_analysis_result_free(res[1]);
    free(x);
}

/* Bytes of a PNG file and its size from the IHDR chunk. */
static long png_info(const char *name, int *w, int *h)
{
    long len = 0;
    unsigned char *b = (unsigned char *)ct_slurp(name, &len);
    *w = *h = 0;
    if (b && len > 24 && memcmp(b + 12, "IHDR", 4) == 0) {
        *w = (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
        *h = (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
    }
    free(b);
    return b ? len : -1;
}

static int shoot(const char *html, const char *png)
{
    return tu_run("cd %s && timeout 120 chromium --headless --no-sandbox --disable-gpu "
                  "--disable-background-networking --disable-component-update --disable-sync "
                  "--disable-quic --no-first-run --user-data-dir=%s/chrome "
                  "--window-size=1000,2400 --screenshot=%s/%s file://%s/%s >/dev/null 2>&1",
                  ct_dir, ct_dir, ct_dir, png, ct_dir, html);
}

/* Written into a copy of the report (the report itself has no JavaScript): counts the texts of
 * the charts and those whose box leaves their <svg> (a clipped legend or label), into <body>. */
static const char *clip_probe =
    "<script>var n=0,out=0,leg=0,mb=0;document.querySelectorAll('svg.chart').forEach(function(s){"
    "var r=s.getBoundingClientRect();s.querySelectorAll('text').forEach(function(t){n++;"
    "if(t.classList.contains('legend'))leg++;if(/^multiband /.test(t.textContent))mb++;"
    "var b=t.getBoundingClientRect();"
    "if(b.left<r.left-.5||b.right>r.right+.5||b.top<r.top-.5||b.bottom>r.bottom+.5)out++;});});"
    "document.body.setAttribute('data-texts',n);document.body.setAttribute('data-legends',leg);"
    "document.body.setAttribute('data-clipped',out);document.body.setAttribute('data-mb',mb);"
    "</script>";

static int body_attr(const char *dom, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "%s=\"", name);
    const char *p = dom ? strstr(dom, key) : NULL;
    return p ? atoi(p + strlen(key)) : -1;
}

/* Chromium lays the report out: no text of a chart (legends with whole file names, tick labels,
 * titles) falls outside its drawing. */
static void check_not_clipped(const char *html)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/out/probe.html", ct_dir);
    FILE *o = fopen(path, "w");
    const char *end = strstr(html, "</body>");
    if (o && end) {
        fwrite(html, 1, (size_t)(end - html), o);
        fputs(clip_probe, o);
        fputs(end, o);
    }
    if (o)
        fclose(o);
    CHECK(tu_run("cd %s && timeout 120 chromium --headless --no-sandbox --disable-gpu "
                 "--disable-background-networking --disable-component-update --disable-sync "
                 "--disable-quic --no-first-run --user-data-dir=%s/chrome-dom "
                 "--window-size=1000,2400 --dump-dom file://%s/out/probe.html >dom.html "
                 "2>/dev/null", ct_dir, ct_dir, ct_dir) == 0, "chromium --dump-dom");
    char *dom = ct_slurp("dom.html", NULL);
    int texts = body_attr(dom, "data-texts"), legends = body_attr(dom, "data-legends");
    CHECK(texts > 20 && legends >= 6, "chart texts laid out: %d texts, %d legend entries", texts,
          legends);
    CHECK(body_attr(dom, "data-clipped") == 0, "no chart text clipped: %d outside their svg",
          body_attr(dom, "data-clipped"));
    CHECK(body_attr(dom, "data-mb") >= 1, "multiband drawn in a chart (%d texts name it)",
          body_attr(dom, "data-mb"));
    free(dom);
}

/* Chromium draws the report: the screenshot of the page with its charts holds much more than the
 * same page with the <svg> elements removed (compressed PNG size as a measure of ink). */
static void test_chromium(void)
{
    if (tu_run("command -v chromium >/dev/null 2>&1") != 0) {
        printf("note: chromium not installed; headless rendering check skipped "
               "(apt-get install chromium)\n");
        return;
    }
    char *html = ct_slurp("out/full-report.html", NULL);
    if (!html)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/out/nocharts.html", ct_dir);
    FILE *o = fopen(path, "w");
    for (char *p = html; o && *p;) { /* copy without the svg elements */
        char *s = strstr(p, "<svg"), *e = s ? strstr(s, "</svg>") : NULL;
        if (!s || !e) {
            fputs(p, o);
            break;
        }
        fwrite(p, 1, (size_t)(s - p), o);
        p = e + 6;
    }
    if (o)
        fclose(o);
    CHECK(shoot("out/full-report.html", "with.png") == 0 && shoot("out/nocharts.html", "without.png") == 0,
          "chromium screenshots");
    int w1, h1, w2, h2;
    long with = png_info("with.png", &w1, &h1), without = png_info("without.png", &w2, &h2);
    CHECK(w1 == 1000 && h1 == 2400, "screenshot size %dx%d", w1, h1);
    CHECK(with > 0 && without > 0 && with > without * 5 / 4,
          "charts draw: %ld bytes with, %ld without", with, without);
    check_not_clipped(html);
    free(html);
}

int main(void)
{
    ct_setup();
    test_peak_series();
    test_render_report();
    test_chromium();
    ct_cleanup();
    return tu_done();
}
